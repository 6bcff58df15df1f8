/**
 * X's one stream, `tweets`, and the schema that validates its untrusted records.
 *
 * Field names and the key follow the PDPP reference server's first-party
 * `twitter_archive` manifest (`id`, `text`, `created_at`, `favorite_count`,
 * `retweet_count`, `in_reply_to_status_id`, `in_reply_to_screen_name`,
 * `lang`, `media_count`, `url_count`), so a server reads Gleaner's posts as it
 * reads its own connector's. Where Gleaner adds to it, and why:
 * - `reply_count` and `url`: the page shows both; the archive has neither.
 * - `edit_of` / `edit_ids`: an edit is a new post id linked to the first one;
 *   both are kept, and these fields tie them into one post's history.
 * - `deleted_by_owner` / `deleted_at`: the archive's `deleted-tweets.js` keeps
 *   posts the owner deleted; they are the owner's records, marked as deleted
 *   (not tombstoned: the owner still has them, X no longer shows them).
 * - `text` is the whole text: for a long post, the archive's `note-tweet.js`
 *   text, where the reference keeps the cut `full_text`. HTML entities are
 *   decoded (the reference keeps `&amp;`), so the page and the archive agree.
 * - The reference also reads direct messages; Gleaner does not (yet): they are
 *   other people's words as much as the owner's.
 *
 * Cross-method identity: a post id is the same post whether a page or the
 * archive shows it. Never reconciled across methods: a profile timeline never
 * proves it shows every post of a window.
 */
import { z } from 'zod';
import type { StreamDefinition } from '../types';
import { HANDLE_RE, X_ID_RE } from './util';

const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
const PostId = z.string().regex(X_ID_RE, 'not an X post id');
const count = z.number().int().nonnegative().max(1e12);
const Instant = z.iso.datetime({ offset: true });

export const XTweet = z.looseObject({
  id: PostId,
  /** The post's whole text as the owner wrote it (entities decoded). A page's cut text ends with "…". */
  text: maybe(z.string().min(1).max(30_000)),
  created_at: Instant,
  favorite_count: maybe(count),
  retweet_count: maybe(count),
  reply_count: maybe(count),
  in_reply_to_status_id: maybe(PostId),
  in_reply_to_screen_name: maybe(z.string().regex(HANDLE_RE)),
  lang: maybe(z.string().min(1).max(16)),
  media_count: maybe(count),
  url_count: maybe(count),
  /** The post on x.com. */
  url: maybe(z.string().max(200).regex(/^https:\/\/x\.com\/[\w/]+\/status\/\d+$/)),
  /** For an edit: the id of the post as first written. */
  edit_of: maybe(PostId),
  /** Every id of the post's history, first to latest (on the first version and on each edit). */
  edit_ids: maybe(z.array(PostId).min(1).max(20)),
  /** True for a post the owner deleted (kept from the archive's deleted-tweets.js). */
  deleted_by_owner: maybe(z.boolean()),
  deleted_at: maybe(Instant),
});
export type XTweet = z.infer<typeof XTweet>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** "Version 2 of 3 of an edited post" (the history the ids tie together). */
function editFact(data: Record<string, unknown>): string | undefined {
  const ids = Array.isArray(data.edit_ids) ? (data.edit_ids as string[]) : [];
  const id = str(data.id);
  if (ids.length < 2 || !id) return str(data.edit_of) ? `An edit of post ${str(data.edit_of)}` : undefined;
  const at = ids.indexOf(id);
  return at >= 0 ? `Version ${at + 1} of ${ids.length} of an edited post` : `An edit of post ${ids[0]}`;
}

function short(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function plural(n: number, one: string, other: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : other}`;
}

export const tweetsStream: StreamDefinition = {
  name: 'tweets',
  displayName: 'Posts',
  primaryKey: ['id'],
  eventTimeField: 'created_at',
  crossMethodIdentity: true,
  crossMethodReconciliation: false,
  // No field policies: the default ('newest', by each method's data date) keeps a fuller text over a
  // cut one ("…", see field-merge.ts), and counts as of the newest look (likes can be taken back).
  schema: XTweet,
  describe(data) {
    const text = str(data.text);
    const parts = [text ? short(text, 80) : `Post ${str(data.id) ?? '?'}`];
    if (data.deleted_by_owner === true) parts.push('deleted by you');
    return parts.join(' · ');
  },
  present(data) {
    const facts: string[] = [];
    if (data.deleted_by_owner === true) facts.push('Deleted by you');
    const edit = editFact(data);
    if (edit) facts.push(edit);
    const reply = str(data.in_reply_to_screen_name);
    if (reply) facts.push(`Replying to @${reply}`);
    if (typeof data.reply_count === 'number') facts.push(plural(data.reply_count, 'reply', 'replies'));
    if (typeof data.retweet_count === 'number') facts.push(plural(data.retweet_count, 'repost', 'reposts'));
    if (typeof data.favorite_count === 'number') facts.push(plural(data.favorite_count, 'like', 'likes'));
    const text = str(data.text);
    return { title: text ? short(text, 140) : `Post ${str(data.id) ?? '?'}`, facts };
  },
  fieldLabels: {
    text: 'Post',
    created_at: 'Posted',
    in_reply_to_screen_name: 'Replying to',
    reply_count: 'Replies',
    retweet_count: 'Reposts',
    favorite_count: 'Likes',
    deleted_at: 'Deleted on',
    edit_of: 'Edit of post',
    url: 'Post on X',
  },
};

export const xStreams: StreamDefinition[] = [tweetsStream];
