/**
 * One archive entry (`{tweet:{…}}` or flat, from tweets.js or
 * deleted-tweets.js) → one `tweets` record, in the reference manifest's field
 * names. Every number is a string in the archive; `full_text` is
 * HTML-escaped; t.co links are put back to the addresses the owner wrote
 * (`entities.urls`), the media link X appends is dropped (the page shows the
 * picture, not the link); a long post's whole text comes from its note.
 */
import { compact, countOf, parseArchiveDate, canonicalInstant, postUrl, unescapeEntities, X_ID_RE } from './util';

interface UrlEntity {
  url?: unknown;
  expanded_url?: unknown;
}

interface TweetShape {
  id_str?: unknown;
  id?: unknown;
  full_text?: unknown;
  text?: unknown;
  created_at?: unknown;
  favorite_count?: unknown;
  retweet_count?: unknown;
  in_reply_to_status_id_str?: unknown;
  in_reply_to_status_id?: unknown;
  in_reply_to_screen_name?: unknown;
  lang?: unknown;
  entities?: { urls?: UrlEntity[]; media?: UrlEntity[] };
  extended_entities?: { media?: unknown[] };
  edit_info?: { initial?: { editTweetIds?: unknown }; edit?: { initialTweetId?: unknown; editControlInitial?: { editTweetIds?: unknown } } };
  retweeted_status?: unknown;
  deleted_at?: unknown;
}

/** Long posts' whole texts from note-tweet.js, found by their creation instant. */
export class NoteIndex {
  private readonly byInstant = new Map<string, string[]>();
  size = 0;

  add(element: unknown): boolean {
    const note = (element as { noteTweet?: { createdAt?: unknown; core?: { text?: unknown } } } | null)?.noteTweet;
    const at = canonicalInstant(note?.createdAt);
    const text = note?.core?.text;
    if (!at || typeof text !== 'string' || text === '') return false;
    const second = at.slice(0, 19);
    const list = this.byInstant.get(second) ?? [];
    list.push(unescapeEntities(text));
    this.byInstant.set(second, list);
    this.size++;
    return true;
  }

  /** The whole text of the post created at `createdAt` whose cut text is `stem`, if there is a note for it. */
  find(createdAt: string, stem: string): string | undefined {
    const list = this.byInstant.get(createdAt.slice(0, 19));
    if (!list) return undefined;
    const prefix = stem.replace(/\s+/g, ' ').trim();
    const match = list.find((text) => prefix.length > 0 && text.replace(/\s+/g, ' ').startsWith(prefix));
    return match ?? (list.length === 1 && prefix.length === 0 ? list[0] : undefined);
  }
}

export type BuiltTweet =
  | { kind: 'record'; data: Record<string, unknown>; fromNote: boolean }
  | { kind: 'repost' }
  | { kind: 'invalid'; reason: string };

const TCO_RE = /https:\/\/t\.co\/[A-Za-z0-9]+/g;
const CUT_END_RE = /\s*(?:…|\.\.\.)?\s*(?:https:\/\/t\.co\/[A-Za-z0-9]+)?\s*$/;

function idOf(value: unknown): string | undefined {
  const id = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  return typeof id === 'string' && X_ID_RE.test(id) ? id : undefined;
}

function idsOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const ids = value.map(idOf).filter((id): id is string => !!id);
  return ids.length > 1 ? ids.slice(0, 20) : undefined;
}

/** The text as written: entities decoded, t.co links expanded, X's trailing media link dropped. */
function readableText(raw: string, tweet: TweetShape): string {
  const urls = new Map<string, string>();
  for (const entity of tweet.entities?.urls ?? []) {
    if (typeof entity?.url === 'string' && typeof entity.expanded_url === 'string' && /^https?:\/\//.test(entity.expanded_url)) urls.set(entity.url, entity.expanded_url);
  }
  const media = new Set((tweet.entities?.media ?? []).map((entity) => entity?.url).filter((url): url is string => typeof url === 'string'));
  let text = unescapeEntities(raw);
  if (media.size > 0) text = text.replace(TCO_RE, (link) => (media.has(link) ? '' : link));
  if (urls.size > 0) text = text.replace(TCO_RE, (link) => urls.get(link) ?? link);
  return text.trim();
}

export function buildTweet(element: unknown, notes: NoteIndex, username: string | undefined, deleted: boolean): BuiltTweet {
  const wrapped = element as { tweet?: TweetShape } | null;
  const tweet = (wrapped && typeof wrapped === 'object' && wrapped.tweet && typeof wrapped.tweet === 'object' ? wrapped.tweet : wrapped) as TweetShape | null;
  if (!tweet || typeof tweet !== 'object') return { kind: 'invalid', reason: 'not a post' };
  const id = idOf(tweet.id_str) ?? idOf(tweet.id);
  if (!id) return { kind: 'invalid', reason: 'no post id' };
  const createdAt = parseArchiveDate(tweet.created_at);
  if (!createdAt) return { kind: 'invalid', reason: 'no readable time' };
  const raw = typeof tweet.full_text === 'string' ? tweet.full_text : typeof tweet.text === 'string' ? tweet.text : '';
  // A repost of someone's post is their post, not the owner's.
  if (tweet.retweeted_status || /^RT @\w{1,15}:/.test(raw)) return { kind: 'repost' };
  let text = readableText(raw, tweet);
  const note = notes.find(createdAt, unescapeEntities(raw).replace(CUT_END_RE, ''));
  if (note) text = note;
  const edit = tweet.edit_info;
  const editOf = idOf(edit?.edit?.initialTweetId);
  const editIds = idsOf(edit?.edit?.editControlInitial?.editTweetIds) ?? idsOf(edit?.initial?.editTweetIds);
  const media = tweet.extended_entities?.media ?? tweet.entities?.media;
  return {
    kind: 'record',
    fromNote: !!note,
    data: compact({
      id,
      text: text || undefined,
      created_at: createdAt,
      favorite_count: countOf(tweet.favorite_count),
      retweet_count: countOf(tweet.retweet_count),
      in_reply_to_status_id: idOf(tweet.in_reply_to_status_id_str) ?? idOf(tweet.in_reply_to_status_id),
      in_reply_to_screen_name: typeof tweet.in_reply_to_screen_name === 'string' && /^\w{1,15}$/.test(tweet.in_reply_to_screen_name) ? tweet.in_reply_to_screen_name : undefined,
      lang: typeof tweet.lang === 'string' && /^[\w-]{1,16}$/.test(tweet.lang) ? tweet.lang : undefined,
      media_count: Array.isArray(media) ? media.length : 0,
      url_count: Array.isArray(tweet.entities?.urls) ? tweet.entities.urls.length : 0,
      url: postUrl(id, username),
      edit_of: editOf && editOf !== id ? editOf : undefined,
      edit_ids: editIds,
      deleted_by_owner: deleted ? true : undefined,
      deleted_at: deleted ? canonicalInstant(tweet.deleted_at) : undefined,
    }),
  };
}
