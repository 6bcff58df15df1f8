/**
 * The ChatGPT data export (Settings → Data controls → Export data): a zip
 * with `conversations.json`, `user.json` (the account's id and email),
 * `chat.html` (for reading; refused alone) and media files named by their
 * file id (`file-…`, `file_…`).
 *
 * `conversations.json` is one JSON array, often one line of hundreds of
 * megabytes: it is read as a stream, one conversation at a time
 * (`JsonArrayReader`), and yields observations in chunks of about
 * `chunkRows` records. Every node of every conversation is kept, branches
 * included (`on_current_branch` marks the branch `current_node` shows); the
 * empty root node and messages ChatGPT hides from the conversation are skipped
 * and counted with their reason; a media file the zip lacks is a
 * `missing_media` note, never an error.
 */
import type { AccountHint, BatchWarning, CoverageClaim, Observation } from '../../core/model';
import type { ArtifactFile, ArtifactParseResult } from '../types';
import { ChunkCutter, type ChunkedArtifactParser, type ParsedChunk, type ParseSummary } from '../../artifacts/streaming';
import { JsonArrayReader } from '../../artifacts/json-array';
import { decodeText } from '../../artifacts/text';
import { chatgptAccountHint } from './account';
import { flattenContent } from './content';
import { UUID_RE } from './streams';

const CONVERSATIONS_RE = /(^|\/)conversations\.json$/i;
const USER_RE = /(^|\/)user\.json$/i;
/** Media the export names by file id: `file-AbC…-photo.png`, `dalle-generations/file_00…-uuid.webp`. */
const MEDIA_RE = /(^|\/)(file[-_][A-Za-z0-9][^/]*)\.[A-Za-z0-9]{1,5}$/;
const NODE_ID_RE = /^[\w.:-]{1,128}$/;
/**
 * One conversation may be tens of megabytes (pasted logs, long code sessions):
 * far above the CSV row limit, still bounded so a broken file cannot take the heap.
 */
export const MAX_CONVERSATION_CHARS = 64 * 1024 * 1024;
const MAX_WARNINGS_PER_CODE = 5;
const MAX_USER_JSON_BYTES = 1024 * 1024;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => !!value && typeof value === 'object' && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

/** Unix seconds (float) or an ISO string → an ISO instant; missing, zero or nonsense → undefined (never now). */
export function tsToIso(value: unknown): string | undefined {
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) ms = value * 1000;
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) ms = Date.parse(value);
  if (ms === undefined || Number.isNaN(ms) || ms > 8.64e15) return undefined;
  return new Date(ms).toISOString();
}

const SKIP_REASONS: Record<string, string> = {
  empty_node: 'A node without a message (the root every conversation starts from) was skipped.',
  hidden_system: 'A system message ChatGPT hides from the conversation was skipped.',
};

/** Reads conversations one by one into observations; counts, warnings and the coverage window along the way. */
class ConversationReader {
  rowsRead = 0;
  skipped = 0;
  failed = 0;
  conversations = 0;
  readonly warnings: BatchWarning[] = [];
  private readonly warnCounts = new Map<string, number>();
  private pending: Observation[] = [];
  private convStart = '';
  private convEnd = '';
  private msgStart = '';
  private msgEnd = '';

  constructor(
    /** File ids of the media the upload holds; undefined when the upload was `conversations.json` alone. */
    private readonly media: ReadonlySet<string> | undefined,
  ) {}

  get pendingCount(): number {
    return this.pending.length;
  }

  take(): Observation[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  warn(warning: BatchWarning): void {
    const n = (this.warnCounts.get(warning.code) ?? 0) + 1;
    this.warnCounts.set(warning.code, n);
    if (n <= MAX_WARNINGS_PER_CODE) this.warnings.push(warning);
  }

  overflowWarnings(): BatchWarning[] {
    const out: BatchWarning[] = [];
    for (const [code, n] of this.warnCounts) {
      if (n > MAX_WARNINGS_PER_CODE) out.push({ code, message: `${n - MAX_WARNINGS_PER_CODE} more "${code}" warnings were not listed.` });
    }
    return out;
  }

  private mediaPresent(fileId: string): boolean {
    return !!this.media?.has(fileId);
  }

  add(element: unknown): void {
    this.rowsRead++;
    const conversation = isObject(element) ? element : undefined;
    const id = conversation && (str(conversation.id) ?? str(conversation.conversation_id));
    if (!conversation || !id || !UUID_RE.test(id)) {
      this.failed++;
      this.warn({ code: 'invalid_conversation', message: 'A conversation without a valid id was not saved.', where: `conversation ${this.rowsRead}` });
      return;
    }
    this.conversations++;
    const title = str(conversation.title)?.trim().slice(0, 500);
    const where = title ? `“${title.slice(0, 60)}”` : id;
    const mapping = isObject(conversation.mapping) ? conversation.mapping : {};
    const currentNode = str(conversation.current_node);
    // The branch ChatGPT shows: current_node up to the root.
    const onBranch = new Set<string>();
    for (let at = currentNode; at && !onBranch.has(at) && isObject(mapping[at]); at = str((mapping[at] as Json).parent)) onBranch.add(at);
    let shown = 0;
    const messages: Observation[] = [];
    for (const [key, raw] of Object.entries(mapping)) {
      this.rowsRead++;
      const node = isObject(raw) ? raw : {};
      const nodeId = str(node.id) ?? key;
      const message = isObject(node.message) ? node.message : undefined;
      if (!message) {
        this.skip('empty_node', where);
        continue;
      }
      const metadata = isObject(message.metadata) ? message.metadata : {};
      const role = isObject(message.author) ? str(message.author.role) : undefined;
      if (metadata.is_visually_hidden_from_conversation === true) {
        this.skip('hidden_system', where);
        continue;
      }
      if (!NODE_ID_RE.test(nodeId)) {
        this.failed++;
        this.warn({ code: 'invalid_message', message: 'A message without a valid id was not saved.', where });
        continue;
      }
      const { text, fileIds } = flattenContent(message.content);
      const attachments = Array.isArray(metadata.attachments) ? metadata.attachments.map((a) => (isObject(a) ? str(a.id) : undefined)).filter((a): a is string => !!a) : [];
      for (const fileId of fileIds) {
        if (!this.mediaPresent(fileId)) {
          this.warn({ code: 'missing_media', message: 'An image or file a message points to is not in the upload; the message is kept without it.', where: `${fileId} in ${where}` });
        }
      }
      const createTime = tsToIso(message.create_time);
      const data: Json = {
        id: nodeId,
        conversation_id: id,
        parent_id: str(node.parent) ?? null,
        children_ids: Array.isArray(node.children) ? node.children.filter((child): child is string => typeof child === 'string' && NODE_ID_RE.test(child)) : [],
        role: role?.slice(0, 40) ?? null,
        content: text,
        content_type: isObject(message.content) ? (str(message.content.content_type)?.slice(0, 60) ?? null) : null,
        model_slug: str(metadata.model_slug)?.slice(0, 80) ?? null,
        create_time: createTime ?? null,
        on_current_branch: onBranch.has(nodeId),
      };
      const recipient = str(message.recipient);
      if (recipient && recipient !== 'all') data.recipient = recipient.slice(0, 120);
      const allFiles = [...new Set([...fileIds, ...attachments])];
      if (allFiles.length > 0) data.attachment_ids = allFiles.slice(0, 1000);
      if (onBranch.has(nodeId)) shown++;
      if (createTime) {
        if (!this.msgStart || createTime < this.msgStart) this.msgStart = createTime;
        if (!this.msgEnd || createTime > this.msgEnd) this.msgEnd = createTime;
      }
      messages.push({ stream: 'messages', data });
    }
    const updateTime = tsToIso(conversation.update_time);
    const record: Json = {
      id,
      title: title ?? null,
      create_time: tsToIso(conversation.create_time) ?? null,
      update_time: updateTime ?? null,
      current_node: currentNode && NODE_ID_RE.test(currentNode) ? currentNode : null,
      message_count_on_current_branch: shown,
    };
    if (typeof conversation.is_archived === 'boolean') record.is_archived = conversation.is_archived;
    if (typeof conversation.is_starred === 'boolean') record.is_starred = conversation.is_starred;
    const gizmo = str(conversation.gizmo_id);
    if (gizmo) record.gizmo_id = gizmo.slice(0, 128);
    const model = str(conversation.default_model_slug);
    if (model) record.default_model_slug = model.slice(0, 80);
    if (updateTime) {
      if (!this.convStart || updateTime < this.convStart) this.convStart = updateTime;
      if (!this.convEnd || updateTime > this.convEnd) this.convEnd = updateTime;
    }
    // The conversation before its messages, all in one chunk.
    this.pending.push({ stream: 'conversations', data: record });
    for (const message of messages) this.pending.push(message);
  }

  private skip(code: keyof typeof SKIP_REASONS, where: string): void {
    this.skipped++;
    this.warn({ code, message: SKIP_REASONS[code]!, where });
  }

  coverage(): CoverageClaim[] {
    const out: CoverageClaim[] = [];
    const evidence = `ChatGPT data export: ${this.conversations} conversations (an export is never claimed complete)`;
    if (this.convStart) out.push({ stream: 'conversations', start: this.convStart, end: this.convEnd, completeness: 'partial', evidence });
    if (this.msgStart) out.push({ stream: 'messages', start: this.msgStart, end: this.msgEnd, completeness: 'partial', evidence });
    return out;
  }
}

/** The file ids of the media files in an upload: `file-AbC12-photo.png` holds `file-AbC12` (and is also known by its whole name). */
function mediaIds(paths: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const path of paths) {
    const stem = MEDIA_RE.exec(path)?.[2];
    if (!stem) continue;
    out.add(stem);
    const id = /^file[-_][A-Za-z0-9]+/.exec(stem)?.[0];
    if (id) out.add(id);
  }
  return out;
}

function accountOfUserJson(text: string): AccountHint | undefined {
  try {
    const user = JSON.parse(text) as unknown;
    return isObject(user) ? chatgptAccountHint(user.id, user.email, 'user.json in the ChatGPT export') : undefined;
  } catch {
    return undefined;
  }
}

const NO_CONVERSATIONS: BatchWarning = {
  code: 'no_conversations',
  message: 'This upload holds no conversations.json: upload the zip ChatGPT sent, or conversations.json from it.',
};

export const chatgptExportParser: ChunkedArtifactParser = {
  id: 'chatgpt-export',
  displayName: 'ChatGPT data export (conversations.json)',
  claims(path) {
    return CONVERSATIONS_RE.test(path) || USER_RE.test(path) || MEDIA_RE.test(path);
  },

  sniff({ path, format, head }) {
    if (format === 'json' && /^\s*\[/.test(head)) {
      if (/^\s*\[\s*\]\s*$/.test(head)) return CONVERSATIONS_RE.test(path) ? 0.6 : 0;
      if (/"mapping"\s*:/.test(head) && /"(current_node|create_time|title)"\s*:/.test(head)) return 0.95;
      return 0;
    }
    if (format === 'json' && USER_RE.test(path) && /"id"\s*:\s*"user-/.test(head)) return 0.9;
    // A media file first in the zip's directory: the conversations.json beside it decides (none: nothing to import).
    if (MEDIA_RE.test(path) && (format === 'binary' || format === 'text')) return 0.6;
    return 0;
  },

  /** Whole-text parse of small inputs (tests): one pass, exact. */
  parse(files: ArtifactFile[]): ArtifactParseResult {
    const paths = files.map((file) => file.path);
    const reader = new ConversationReader(files.some((file) => !CONVERSATIONS_RE.test(file.path)) ? mediaIds(paths) : undefined);
    const user = files.find((file) => USER_RE.test(file.path));
    const accountHint = user ? accountOfUserJson(user.text()) : undefined;
    const entries: string[] = [];
    const conversations = files.filter((file) => CONVERSATIONS_RE.test(file.path));
    if (conversations.length === 0) reader.warn(NO_CONVERSATIONS);
    for (const file of conversations) {
      entries.push(file.path);
      const json = new JsonArrayReader({ maxElementChars: MAX_CONVERSATION_CHARS });
      for (const element of [...json.push(file.text().replace(/^\uFEFF/, '')), ...json.end()]) reader.add(element);
      reader.failed += json.invalid;
    }
    if (user && accountHint) entries.push(user.path);
    return {
      observations: reader.take(),
      coverage: reader.coverage(),
      accountHint,
      warnings: [...reader.warnings, ...reader.overflowWarnings()],
      rowsRead: reader.rowsRead,
      skipped: reader.skipped,
      failed: reader.failed,
      entries,
    };
  },

  async *parseChunks(files, { chunkRows, limits }): AsyncGenerator<ParsedChunk, ParseSummary> {
    const entries: string[] = [];
    let accountHint: AccountHint | undefined;
    const user = files.find((file) => USER_RE.test(file.path));
    if (user && user.sizeBytes <= MAX_USER_JSON_BYTES) {
      const parts: string[] = [];
      for await (const text of decodeText(user.bytes()).chunks) parts.push(text);
      accountHint = accountOfUserJson(parts.join(''));
      if (accountHint) entries.push(user.path);
    }
    const conversations = files.filter((file) => CONVERSATIONS_RE.test(file.path));
    const reader = new ConversationReader(files.length > conversations.length ? mediaIds(files.map((file) => file.path)) : undefined);
    const cutter = new ChunkCutter(reader);
    const take = (): ParsedChunk => cutter.cut(reader.take());
    if (conversations.length === 0) reader.warn(NO_CONVERSATIONS);
    let replaced = 0;
    for (const file of conversations) {
      entries.push(file.path);
      const json = new JsonArrayReader({ maxDepth: Math.max(limits.maxJsonDepth, 64), maxElementChars: MAX_CONVERSATION_CHARS });
      const text = decodeText(file.bytes());
      let invalid = 0;
      const handle = function* (elements: unknown[]): Generator<ParsedChunk> {
        for (const element of elements) {
          reader.add(element);
          if (reader.pendingCount >= chunkRows) yield take();
        }
        // Elements that were not JSON at all: counted as they are found.
        if (json.invalid > invalid) {
          reader.failed += json.invalid - invalid;
          invalid = json.invalid;
        }
      };
      for await (const chunk of text.chunks) yield* handle(json.push(chunk));
      yield* handle(json.end());
      replaced += text.replaced;
    }
    if (replaced > 0) reader.warn({ code: 'invalid_text', message: `${replaced} character(s) in this file were not valid text and were replaced; the rest was read normally.` });
    const last = take();
    last.warnings.push(...reader.overflowWarnings());
    if (last.observations.length > 0 || last.rowsRead > 0 || last.warnings.length > 0) yield last;
    return { coverage: reader.coverage(), entries, accountHint, replacedCharacters: replaced };
  },
};
