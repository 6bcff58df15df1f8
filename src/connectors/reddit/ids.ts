/**
 * Small pure helpers shared by the Reddit page extractor and the export parser.
 *
 * No imports on purpose: this file is bundled into the content script that runs
 * on reddit.com, so it stays free of zod and the CSV reader.
 */

/** The six listings of a user's profile, as Reddit names them in its URLs (and the reference names its streams). */
export const REDDIT_LISTINGS = ['submitted', 'comments', 'saved', 'upvoted', 'downvoted', 'hidden'] as const;
export type RedditListing = (typeof REDDIT_LISTINGS)[number];

/** A base36 thing id, as Reddit writes it (lower case, no prefix). */
const BASE36_RE = /^[a-z0-9]{1,13}$/;
/** A fullname: `t3_` posts, `t1_` comments. */
export const FULLNAME_RE = /^t[13]_[a-z0-9]{1,13}$/;

/**
 * The record key: the fullname (`t3_<id>` for a post, `t1_<id>` for a comment),
 * as the reference connector keys records. The export writes bare ids; pages
 * write fullnames. `kind` says which prefix a bare id takes. `null` when `raw`
 * is not a Reddit id (or carries the other kind's prefix).
 */
export function fullname(raw: string | null | undefined, kind: 't1' | 't3'): string | null {
  if (!raw) return null;
  const value = raw.trim().toLowerCase();
  if (FULLNAME_RE.test(value)) return value.startsWith(`${kind}_`) ? value : null;
  return BASE36_RE.test(value) ? `${kind}_${value}` : null;
}

/** `t3`/`t1` of a fullname. */
export function kindOf(id: string): 't1' | 't3' {
  return id.startsWith('t1_') ? 't1' : 't3';
}

/** `/r/<sub>/comments/<post>/<slug>/<comment>/` pieces of a Reddit path or URL. */
const THREAD_PATH_RE = /^\/(?:r|user|u)\/([A-Za-z0-9_-]{1,32})\/comments\/([a-z0-9]{1,13})(?:\/([^/?#]*)(?:\/([a-z0-9]{1,13})(?:\/|$|[?#])|\/?$|[?#])|\/?$|[?#])/i;
/** The newer comment link shape on www: `/r/<sub>/comments/<post>/comment/<comment>/`. */
const COMMENT_PATH_RE = /^\/(?:r|user|u)\/[A-Za-z0-9_-]{1,32}\/comments\/[a-z0-9]{1,13}\/comment\/([a-z0-9]{1,13})(?:\/|$|[?#])/i;

const REDDIT_HOST_RE = /^(?:(?:www|old|new|np|m)\.)?reddit\.com$/i;

/** The path of a Reddit URL or a bare `/r/…` path; `null` for another site. */
export function redditPath(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const value = raw.trim();
  if (value.startsWith('/')) return value.startsWith('//') ? null : value;
  try {
    const url = new URL(value);
    return REDDIT_HOST_RE.test(url.hostname) && (url.protocol === 'https:' || url.protocol === 'http:') ? url.pathname : null;
  } catch {
    return null;
  }
}

export interface ThreadRef {
  subreddit: string;
  postId: string;
  commentId: string | null;
}

/** The subreddit, post id and (for a comment) comment id a permalink names. */
export function threadOf(raw: string | null | undefined): ThreadRef | null {
  const path = redditPath(raw);
  if (!path) return null;
  const m = THREAD_PATH_RE.exec(path);
  if (!m) return null;
  const comment = COMMENT_PATH_RE.exec(path)?.[1] ?? m[4] ?? null;
  return { subreddit: m[1]!, postId: m[2]!.toLowerCase(), commentId: comment ? comment.toLowerCase() : null };
}

/**
 * A permalink in one form whichever method saw it (the reference's
 * `https://reddit.com` + path, query and fragment dropped), so a page's
 * relative link and the export's `https://www.reddit.com/…` agree.
 */
export function canonicalPermalink(raw: string | null | undefined): string | null {
  const path = redditPath(raw);
  if (!path || !/^\/(?:r|user|u)\//i.test(path)) return null;
  const clean = path.replace(/[?#].*$/, '').replace(/^\/u\//i, '/user/');
  return `https://reddit.com${clean.endsWith('/') ? clean : `${clean}/`}`.slice(0, 2048);
}

/** A post's link: another site's URL as given; a Reddit URL in the permalink form. */
export function canonicalUrl(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const value = raw.trim();
  const reddit = canonicalPermalink(value);
  if (reddit) return reddit;
  return /^https?:\/\/[^\s]+$/i.test(value) && value.length <= 2048 ? value : null;
}

/** The link's host for a link post; `null` for a self post or a Reddit link (as the reference does). */
export function domainOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const host = new URL(url).hostname.toLowerCase();
    if (host === 'reddit.com' || host.endsWith('.reddit.com') || host.startsWith('self.')) return null;
    return host || null;
  } catch {
    return null;
  }
}

/** An ISO instant with milliseconds and `Z` (the reference's `created_utc` form), or `null`. */
export function isoInstant(ms: number): string | null {
  if (!Number.isFinite(ms) || ms <= 0 || ms > 4102444800000) return null;
  return new Date(ms).toISOString();
}

/** The export's `2024-03-15 13:45:22 UTC` (or an ISO instant) as `2024-03-15T13:45:22.000Z`; `null` otherwise. */
export function parseRedditTime(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const value = raw.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(UTC|Z|[+-]\d{2}:?\d{2})?$/i.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  const offset = /^(utc|z)$/i.test(zone) ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${offset}`);
  return Number.isNaN(ms) ? null : isoInstant(ms);
}

/** Reddit's markers for a body that is gone: not text, so never stored as one. */
export function isRemovedText(text: string): boolean {
  return /^\s*\[\s*(?:removed|deleted)(?: by [a-z ]+)?\s*\]\s*$/i.test(text);
}

/** Body text as shown, newlines kept (they are the owner's paragraphs); `null` for nothing or a removal marker. */
export function bodyText(raw: string | null | undefined, max = 40000): string | null {
  if (raw == null) return null;
  const text = raw.replace(/\r\n?/g, '\n').replace(/[ \t\u00a0]+\n/g, '\n').trim();
  if (text === '' || isRemovedText(text)) return null;
  return text.length > max ? text.slice(0, max) : text;
}

/** One-line text (titles, subreddits); `null` for nothing. */
export function lineText(raw: string | null | undefined, max = 300): string | null {
  if (raw == null) return null;
  const text = raw.replace(/[\s\u00a0\u200b]+/g, ' ').trim();
  if (text === '') return null;
  return text.length > max ? text.slice(0, max) : text;
}

/** `r/Breadit` or `Breadit` → `Breadit`; `null` if it is not a subreddit name. */
export function subredditName(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const name = raw.trim().replace(/^\/?r\//i, '');
  return /^[A-Za-z0-9_]{1,21}$/.test(name) ? name : null;
}

/** A Reddit username (3–20 letters, digits, `_`, `-`), or `null`. */
export function usernameOf(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const name = raw.trim().replace(/^\/?u(?:ser)?\//i, '').replace(/\/$/, '');
  return /^[A-Za-z0-9_-]{3,20}$/.test(name) ? name : null;
}

/** The account hint's key: Reddit usernames are case-insensitive (`Dana_Writes` and `dana_writes` are one account). */
export function accountKeyOf(username: string): string {
  return `reddit:${username.toLowerCase()}`;
}

/** An account hint in the model's shape (kept import-free for the content script). */
export function accountHintFor(username: string, evidence: string): { key: string; label: string; evidence: string } {
  return { key: accountKeyOf(username), label: `u/${username}`, evidence };
}

/** An integer from a page attribute or cell ("1,204", "12"), or `null` (a hidden score "•"). */
export function intOf(raw: string | null | undefined): number | null {
  if (raw == null) return null;
  const value = raw.replace(/[,\s]/g, '');
  return /^-?\d{1,9}$/.test(value) ? Number(value) : null;
}

/** Drops keys whose value is `undefined` or `null` (missing values are omitted, not invented). */
export function compact(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in record) {
    const value = record[key];
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out;
}
