/**
 * ChatGPT's two streams and the schemas that validate their untrusted records.
 *
 * Names, keys and fields follow the PDPP reference server's first-party
 * `chatgpt` manifest: `conversations` keyed by the conversation id (a UUID),
 * `messages` keyed by the message node id (the key of the conversation's
 * `mapping`, which is also the `data-message-id` the page renders). Both ids
 * are the same on the page and in the export, so both streams have
 * cross-method identity. Neither reconciles across methods: the sidebar shows
 * a window of recent conversations, a conversation page only its shown branch.
 *
 * Where Gleaner differs from the reference:
 * - `messages` keeps every node of every conversation, branches included (the
 *   reference keeps the current branch only); `on_current_branch` says which
 *   branch ChatGPT showed, `parent_id`/`children_ids` rebuild the tree.
 * - `attachment_ids` also lists image pointers of `multimodal_text` parts
 *   (`file-…`, `file_…`), so a media file can be found in the zip.
 * - Times are ISO instants (the export's unix seconds converted); a page shows
 *   no times, so its records carry none (never the capture time) and page
 *   captures claim no event-time window.
 * - The title's merge: the title of the observation with the larger
 *   `update_time` wins, whichever method brought it (a page's, seen without a
 *   time, ranks by when it was seen): a conversation renamed later keeps its
 *   newest title in any import order.
 */
import { z } from 'zod';
import type { StreamDefinition } from '../types';

/** Missing values are omitted or null, never ''. */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
const text = (max: number) => z.string().min(1).max(max);
const Instant = z.iso.datetime({ offset: true });
/** ChatGPT ids: conversation UUIDs, node UUIDs, `client-created-root`, file ids. No whitespace. */
const Id = z.string().min(1).max(128).regex(/^[\w.:-]+$/, 'not a ChatGPT id');
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ConversationId = z.string().regex(UUID_RE, 'not a conversation id');

export const ChatgptConversation = z.looseObject({
  id: ConversationId,
  title: maybe(text(500)),
  create_time: maybe(Instant),
  /** When the conversation last changed (a message, a rename). */
  update_time: maybe(Instant),
  is_archived: maybe(z.boolean()),
  is_starred: maybe(z.boolean()),
  /** The node ChatGPT shows as the tip of the conversation (its current branch). */
  current_node: maybe(Id),
  message_count_on_current_branch: maybe(z.number().int().min(0).max(1_000_000)),
  gizmo_id: maybe(text(128)),
  /** The model the conversation defaulted to. */
  default_model_slug: maybe(text(80)),
});
export type ChatgptConversation = z.infer<typeof ChatgptConversation>;

export const ChatgptMessage = z.looseObject({
  id: Id,
  conversation_id: ConversationId,
  parent_id: maybe(Id),
  children_ids: maybe(z.array(Id).max(10_000)),
  /** `user`, `assistant`, `system`, `tool`. */
  role: maybe(text(40)),
  /** The message flattened to text by its content type (see content.ts). */
  content: maybe(z.string().max(16 * 1024 * 1024)),
  content_type: maybe(text(60)),
  model_slug: maybe(text(80)),
  create_time: maybe(Instant),
  /** Tool the message was addressed to (`python`, `browser`), when not everyone. */
  recipient: maybe(text(120)),
  attachment_ids: maybe(z.array(text(200)).max(1000)),
  /** On the branch ChatGPT showed when the export was made (`current_node` up to the root). */
  on_current_branch: maybe(z.boolean()),
});
export type ChatgptMessage = z.infer<typeof ChatgptMessage>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function short(value: string, max: number): string {
  const line = value.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const ROLE_WORDS: Record<string, string> = { user: 'You', assistant: 'ChatGPT', system: 'System', tool: 'Tool' };

export const conversationsStream: StreamDefinition = {
  name: 'conversations',
  displayName: 'Conversations',
  primaryKey: ['id'],
  eventTimeField: 'update_time',
  crossMethodIdentity: true,
  crossMethodReconciliation: false,
  fieldMerge: { update_time: 'max', title: { by: 'update_time' } },
  schema: ChatgptConversation,
  describe(data) {
    return `${str(data.title) ?? 'Untitled conversation'}${str(data.update_time) ? ` · ${str(data.update_time)!.slice(0, 10)}` : ''}`;
  },
  present(data) {
    const facts: string[] = [];
    if (data.is_archived === true) facts.push('Archived');
    if (typeof data.message_count_on_current_branch === 'number') facts.push(`${data.message_count_on_current_branch} messages shown`);
    return { title: str(data.title) ?? 'Untitled conversation', facts };
  },
  fieldLabels: {
    title: 'Title',
    create_time: 'Started',
    update_time: 'Last changed',
    is_archived: 'Archived',
    message_count_on_current_branch: 'Messages shown',
    default_model_slug: 'Model',
  },
};

export const messagesStream: StreamDefinition = {
  name: 'messages',
  displayName: 'Messages',
  primaryKey: ['id'],
  eventTimeField: 'create_time',
  crossMethodIdentity: true,
  crossMethodReconciliation: false,
  schema: ChatgptMessage,
  describe(data) {
    const who = ROLE_WORDS[str(data.role) ?? ''] ?? str(data.role) ?? 'Message';
    return `${who}: ${short(str(data.content) ?? '(no text)', 80)}`;
  },
  present(data) {
    const who = ROLE_WORDS[str(data.role) ?? ''] ?? str(data.role) ?? 'Message';
    const facts = [who, str(data.model_slug), data.on_current_branch === false ? 'Another branch' : undefined].filter((fact): fact is string => !!fact);
    return { title: short(str(data.content) ?? '(no text)', 120), facts, partOf: 'In a conversation' };
  },
  fieldLabels: {
    role: 'From',
    content: 'Text',
    create_time: 'Sent',
    model_slug: 'Model',
    on_current_branch: 'On the branch shown',
  },
};

export const chatgptStreams: StreamDefinition[] = [conversationsStream, messagesStream];
