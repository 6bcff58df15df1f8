/**
 * Reddit's six listings and the schemas that validate their untrusted records.
 *
 * Streams, keys and field names follow the PDPP reference server's first-party
 * `reddit` manifest: `submitted`, `comments`, `saved`, `upvoted`, `downvoted`,
 * `hidden`, each keyed by `id`, the fullname (`t3_<base36>` a post, `t1_<base36>`
 * a comment), with `created_utc` (an ISO instant) the event time. The export
 * writes bare base36 ids; the parser adds the prefix its file implies, so a
 * record seen on a page and in the export has one key (cross-method identity).
 *
 * Where Gleaner differs from the reference, and why:
 * - `created_utc` may be missing: the export's saved, vote and hidden files
 *   carry only an id and a permalink, so those records stay undated (never the
 *   import time) until a listing page shows the item and fills date and title.
 * - No `fetched_at`: when a method saw a record is the batch's receipt
 *   (`acquisition_batches`), not a field that would change on every visit.
 * - No `selftext_len`/`body_len`: merged text comes from whichever method saw the
 *   fuller or newer text, and a stored length could disagree with it.
 * - Comments add `link_title` (the post's title, which the comments listing shows).
 * - Text is not cut at 10,000 characters; bodies are kept whole (up to 40,000).
 *
 * No stream reconciles across methods: a listing page stops at about 1,000 items
 * and shows only a window, so absence on a page proves nothing about the export.
 * Field merges use the default policy: the newest observation wins, but never an
 * empty value, nor a truncated prefix over the fuller text. Reddit's `[removed]`
 * and `[deleted]` bodies are not text: pages and parser omit them, so they never
 * replace the real text another method saw.
 */
import { z } from 'zod';
import type { RecordView, StreamDefinition } from '../types';
import { FULLNAME_RE } from './ids';

/** Missing values are omitted or null, never ''. */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
const text = (max: number) => z.string().min(1).max(max);
const webUrl = z.string().max(2048).regex(/^https?:\/\/[^\s]+$/, 'not a web URL');
const Instant = z.iso.datetime({ offset: true });
const count = z.number().int().min(-1e9).max(1e9);

export const RedditId = z.string().regex(FULLNAME_RE, 'not a Reddit fullname (t1_/t3_ + base36)');
const PostId = z.string().regex(/^t3_[a-z0-9]{1,13}$/, 'not a post id (t3_…)');
const CommentId = z.string().regex(/^t1_[a-z0-9]{1,13}$/, 'not a comment id (t1_…)');
const ParentId = z.string().regex(/^t[1-6]_[a-z0-9]{1,13}$/, 'not a fullname');
const Subreddit = z.string().regex(/^[A-Za-z0-9_]{1,21}$/, 'not a subreddit name');

const common = {
  subreddit: maybe(Subreddit),
  permalink: maybe(webUrl),
  created_utc: maybe(Instant),
};

export const RedditSubmitted = z.looseObject({
  id: PostId,
  ...common,
  title: maybe(text(300)),
  url: maybe(webUrl),
  domain: maybe(text(253)),
  selftext: maybe(text(40000)),
  is_self: maybe(z.boolean()),
  over_18: maybe(z.boolean()),
  score: maybe(count),
  num_comments: maybe(count.nonnegative()),
  gilded: maybe(count.nonnegative()),
});

export const RedditComment = z.looseObject({
  id: CommentId,
  ...common,
  body: maybe(text(40000)),
  link_id: maybe(PostId),
  link_title: maybe(text(300)),
  parent_id: maybe(ParentId),
  is_top_level: maybe(z.boolean()),
  score: maybe(count),
  gilded: maybe(count.nonnegative()),
});

const kindAgrees = (item: { id: string; kind: string; is_post: boolean }) => item.id.startsWith(`${item.kind}_`) && item.is_post === (item.kind === 't3');
const kindRule = { message: 'kind and is_post must agree with the id prefix', path: ['kind'] };

/** A saved item: a post or a comment. */
export const RedditSaved = z
  .looseObject({
    id: RedditId,
    kind: z.enum(['t1', 't3']),
    is_post: z.boolean(),
    ...common,
    title: maybe(text(300)),
    body: maybe(text(40000)),
    url: maybe(webUrl),
  })
  .refine(kindAgrees, kindRule);

/** An upvoted, downvoted or hidden item (one shape, as in the reference). */
export const RedditVote = z
  .looseObject({
    id: RedditId,
    kind: z.enum(['t1', 't3']),
    is_post: z.boolean(),
    ...common,
    title: maybe(text(300)),
    body: maybe(text(40000)),
    url: maybe(webUrl),
    score: maybe(count),
    num_comments: maybe(count.nonnegative()),
  })
  .refine(kindAgrees, kindRule);

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function excerpt(value: unknown, max = 90): string | undefined {
  const body = str(value)?.replace(/\s+/g, ' ').trim();
  if (!body) return undefined;
  return body.length > max ? `${body.slice(0, max - 1)}…` : body;
}

function points(value: unknown): string | undefined {
  return typeof value === 'number' ? `${value} ${Math.abs(value) === 1 ? 'point' : 'points'}` : undefined;
}

function facts(...values: (string | undefined)[]): string[] {
  return values.filter((value): value is string => !!value);
}

const where = (data: Record<string, unknown>) => (str(data.subreddit) ? `r/${str(data.subreddit)}` : undefined);

/** An item of a mixed listing (saved, voted, hidden), as Reddit shows it. */
function presentItem(data: Record<string, unknown>, notSeen: string): RecordView {
  const post = data.kind !== 't1';
  const title = post ? str(data.title) : excerpt(data.body);
  return {
    title: title ?? notSeen,
    facts: facts(post ? 'Post' : 'Comment', where(data), !post && str(data.title) ? `on “${excerpt(data.title, 60)}”` : undefined, points(data.score)),
  };
}

const NOT_SEEN = {
  post: 'A post (its title shows once you open the listing on Reddit)',
  comment: 'A comment (its text shows once you open the listing on Reddit)',
};

function itemStream(name: string, displayName: string, schema: z.ZodType<Record<string, unknown>>, noun: string): StreamDefinition {
  return {
    name,
    displayName,
    primaryKey: ['id'],
    eventTimeField: 'created_utc',
    crossMethodIdentity: true,
    crossMethodReconciliation: false,
    schema,
    describe(data) {
      const view = presentItem(data, data.kind === 't1' ? NOT_SEEN.comment : NOT_SEEN.post);
      return [`${noun}: ${view.title}`, where(data)].filter(Boolean).join(' · ');
    },
    present: (data) => presentItem(data, data.kind === 't1' ? NOT_SEEN.comment : NOT_SEEN.post),
    fieldLabels: {
      title: 'Title',
      body: 'Text',
      subreddit: 'Community',
      created_utc: 'Posted',
      score: 'Points',
      num_comments: 'Comments',
      url: 'Link',
      permalink: 'On Reddit',
    },
  };
}

export const submittedStream: StreamDefinition = {
  name: 'submitted',
  displayName: 'Posts',
  primaryKey: ['id'],
  eventTimeField: 'created_utc',
  crossMethodIdentity: true,
  crossMethodReconciliation: false,
  schema: RedditSubmitted,
  describe(data) {
    return [str(data.title) ?? NOT_SEEN.post, where(data)].filter(Boolean).join(' · ');
  },
  present(data) {
    return { title: str(data.title) ?? NOT_SEEN.post, facts: facts(where(data), points(data.score), typeof data.num_comments === 'number' ? `${data.num_comments} comments` : undefined) };
  },
  fieldLabels: {
    title: 'Title',
    subreddit: 'Community',
    created_utc: 'Posted',
    selftext: 'Text',
    url: 'Link',
    score: 'Points',
    num_comments: 'Comments',
    permalink: 'On Reddit',
  },
};

export const commentsStream: StreamDefinition = {
  name: 'comments',
  displayName: 'Comments',
  primaryKey: ['id'],
  eventTimeField: 'created_utc',
  crossMethodIdentity: true,
  crossMethodReconciliation: false,
  schema: RedditComment,
  describe(data) {
    return [excerpt(data.body) ?? NOT_SEEN.comment, where(data)].filter(Boolean).join(' · ');
  },
  present(data) {
    return { title: excerpt(data.body) ?? NOT_SEEN.comment, facts: facts(where(data), str(data.link_title) ? `on “${excerpt(data.link_title, 60)}”` : undefined, points(data.score)) };
  },
  fieldLabels: {
    body: 'Text',
    subreddit: 'Community',
    link_title: 'On the post',
    created_utc: 'Commented',
    score: 'Points',
    permalink: 'On Reddit',
  },
};

export const savedStream = itemStream('saved', 'Saved', RedditSaved, 'Saved');
export const upvotedStream = itemStream('upvoted', 'Upvoted', RedditVote, 'Upvoted');
export const downvotedStream = itemStream('downvoted', 'Downvoted', RedditVote, 'Downvoted');
export const hiddenStream = itemStream('hidden', 'Hidden', RedditVote, 'Hidden');

export const redditStreams: StreamDefinition[] = [submittedStream, commentsStream, savedStream, upvotedStream, downvotedStream, hiddenStream];
