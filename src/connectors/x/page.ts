/**
 * Reads the owner's own profile timeline on x.com (`x.com/<handle>`, and its
 * Replies and Media tabs): each post is an `article` whose `time` element sits
 * in the post's `/<handle>/status/<id>` link.
 *
 * Whose page: the signed-in account's id is the `twid` cookie (`u%3D<id>`),
 * its handle the side bar's Profile link. A profile whose handle is not the
 * owner's is someone else's: nothing is read from it. On the owner's own
 * profile, an article whose status link names another handle is someone
 * else's post (a repost, or the post a reply answers): skipped and counted.
 *
 * A post cut at "Show more" keeps the text it shows, ending in "…", so the
 * merge never lets it replace the whole text (src/core/field-merge.ts).
 *
 * Pure: reads only the Document (its cookie included) and the URL.
 */
import type { BatchWarning, CoverageClaim, Observation } from '../../core/model';
import type { PageCapture, PageExtractor } from '../types';
import { xMeta } from './meta';
import { HANDLE_RE, canonicalInstant, compact, countOf, postUrl, xAccountHint } from './util';

/** First path segments of x.com that are app pages, not profiles. */
const NOT_PROFILES = new Set(['home', 'explore', 'notifications', 'messages', 'i', 'settings', 'search', 'compose', 'login', 'logout', 'signup', 'tos', 'privacy', 'jobs', 'hashtag', 'intent', 'share']);
/** Profile tabs that list the profile's own posts. */
const TIMELINE_TABS = new Set(['', 'with_replies', 'media']);
const STATUS_PATH_RE = /^\/([A-Za-z0-9_]{1,15})\/status\/(\d{1,20})(?:[/?#]|$)/;
const ELLIPSIS_END = /(…|\.\.\.)\s*$/;

/** The profile handle and tab of a timeline URL, or undefined for any other page. */
function profileOf(url: URL): { handle: string; tab: string } | undefined {
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts.length < 1 || parts.length > 2) return undefined;
  const [handle, tab = ''] = parts as [string, string?];
  if (!HANDLE_RE.test(handle) || NOT_PROFILES.has(handle.toLowerCase()) || !TIMELINE_TABS.has(tab ?? '')) return undefined;
  return { handle, tab: tab ?? '' };
}

/** The signed-in account's id from the `twid` cookie (`u%3D<id>`, sometimes quoted). */
export function ownerIdFromCookie(cookie: string): string | undefined {
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== 'twid') continue;
    let value = part.slice(eq + 1).trim().replace(/^"|"$/g, '');
    try {
      value = decodeURIComponent(value);
    } catch {
      return undefined;
    }
    return /^u=(\d{1,20})$/.exec(value)?.[1];
  }
  return undefined;
}

function readCookie(doc: Document): string {
  try {
    return doc.cookie ?? '';
  } catch {
    return ''; // a document without a browsing context (a parsed fixture) has no cookies
  }
}

/** The signed-in account's handle: the side bar's Profile link, else the account menu's "@handle". */
function ownerHandleOf(doc: Document): string | undefined {
  const link = doc.querySelector('a[data-testid="AppTabBar_Profile_Link"]')?.getAttribute('href');
  const fromLink = link ? /^\/([A-Za-z0-9_]{1,15})$/.exec(link)?.[1] : undefined;
  if (fromLink) return fromLink;
  const menu = doc.querySelector('[data-testid="SideNav_AccountSwitcher_Button"]')?.textContent ?? '';
  return /@([A-Za-z0-9_]{1,15})/.exec(menu)?.[1];
}

/** Visible text of a post body: text nodes, and emoji drawn as images (their `alt`). */
function textOf(root: Element): string {
  let out = '';
  const walk = (node: Node) => {
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === 3) out += child.nodeValue ?? '';
      else if (child.nodeType === 1) {
        const el = child as Element;
        if (el.tagName === 'IMG') out += el.getAttribute('alt') ?? '';
        else walk(el);
      }
    }
  };
  walk(root);
  return out.replace(/\u00a0/g, ' ').trim();
}

/** The leading number of a count button's label ("12 Likes. Like" → 12; "Like" → 0). */
function buttonCount(article: Element, ids: string[]): number | undefined {
  for (const id of ids) {
    const button = article.querySelector(`[data-testid="${id}"]`);
    if (!button) continue;
    const label = button.getAttribute('aria-label') ?? '';
    const m = /^\s*([\d,]+)\s/.exec(label);
    if (m) return countOf(m[1]);
    return /^\s*[A-Za-z]/.test(label) ? 0 : undefined;
  }
  return undefined;
}

interface PostRead {
  data: Record<string, unknown>;
  day: string;
}

function readArticle(article: Element, profileHandle: string): PostRead | 'other' | 'unreadable' {
  let time: Element | null = null;
  let link: RegExpExecArray | null = null;
  for (const candidate of article.querySelectorAll('time[datetime]')) {
    const href = candidate.closest('a')?.getAttribute('href') ?? '';
    const m = STATUS_PATH_RE.exec(href);
    if (m) {
      time = candidate;
      link = m;
      break;
    }
  }
  if (!time || !link) return 'unreadable';
  const [, handle, id] = link as unknown as [string, string, string];
  if (handle.toLowerCase() !== profileHandle.toLowerCase()) return 'other';
  const createdAt = canonicalInstant(time.getAttribute('datetime'));
  if (!createdAt) return 'unreadable';
  const body = article.querySelector('[data-testid="tweetText"]');
  let text = body ? textOf(body) : '';
  // Cut at "Show more": the text shown is the start of the post; mark it so it never passes for the whole.
  if (text && article.querySelector('[data-testid="tweet-text-show-more-link"]') && !ELLIPSIS_END.test(text)) text = `${text}…`;
  let replyTo: string | undefined;
  for (const div of article.querySelectorAll('div')) {
    if (div.firstChild?.nodeType === 3 && /^\s*Replying to\s*$/.test(div.firstChild.nodeValue ?? '')) {
      replyTo = /^\/([A-Za-z0-9_]{1,15})$/.exec(div.querySelector('a')?.getAttribute('href') ?? '')?.[1];
      break;
    }
  }
  return {
    day: createdAt.slice(0, 10),
    data: compact({
      id,
      text: text || undefined,
      created_at: createdAt,
      reply_count: buttonCount(article, ['reply']),
      retweet_count: buttonCount(article, ['retweet', 'unretweet']),
      favorite_count: buttonCount(article, ['like', 'unlike']),
      in_reply_to_screen_name: replyTo,
      lang: body?.getAttribute('lang') || undefined,
      url: postUrl(id, handle),
    }),
  };
}

const EMPTY: PageCapture = { observations: [], coverage: [], warnings: [] };

export const xPageExtractor: PageExtractor = {
  matches(url: URL): boolean {
    return url.protocol === 'https:' && (xMeta.hosts as readonly string[]).includes(url.hostname) && profileOf(url) !== undefined;
  },
  extract(doc: Document, url: URL): PageCapture {
    const profile = xPageExtractor.matches(url) ? profileOf(url) : undefined;
    if (!profile) return EMPTY;
    const ownerHandle = ownerHandleOf(doc);
    const ownProfile = ownerHandle
      ? ownerHandle.toLowerCase() === profile.handle.toLowerCase()
      : !!doc.querySelector('[data-testid="editProfileButton"], a[href="/settings/profile"]');
    // Someone else's profile, browsed while signed in: not the owner's posts, nothing is read.
    if (!ownProfile) return EMPTY;
    const ownerId = ownerIdFromCookie(readCookie(doc));
    const accountHint = ownerId ? xAccountHint(ownerId, ownerHandle ?? profile.handle, 'the twid cookie on x.com') : undefined;
    const hint = accountHint ? { accountHint } : {};

    const warnings: BatchWarning[] = [];
    const observations: Observation[] = [];
    const seen = new Set<string>();
    let others = 0;
    let unreadable = 0;
    let start = '';
    let end = '';
    const articles = doc.querySelectorAll('article');
    for (const article of articles) {
      if (article.parentElement?.closest('article')) continue; // a quoted post inside a post
      const read = readArticle(article, profile.handle);
      if (read === 'other') others++;
      else if (read === 'unreadable') unreadable++;
      else if (!seen.has(read.data.id as string)) {
        seen.add(read.data.id as string);
        observations.push({ stream: 'tweets', data: read.data });
        if (!start || read.day < start) start = read.day;
        if (!end || read.day > end) end = read.day;
      }
    }
    if (articles.length === 0) {
      const empty = doc.querySelector('[data-testid="emptyState"]');
      const loading = doc.querySelector('[role="progressbar"]');
      if (empty || loading) return { ...EMPTY, ...hint };
      return {
        observations: [],
        coverage: [],
        ...hint,
        warnings: [{ code: 'layout_unrecognized', message: 'Gleaner could not find any posts on this X profile; X may have changed its layout. Nothing was saved from it.' }],
      };
    }
    if (others > 0) {
      warnings.push({ code: 'not_owner_post', message: `${others} post(s) on this page are other people’s (reposts, or posts you replied to) and were not kept.` });
    }
    if (unreadable > 0) {
      warnings.push({ code: 'post_unreadable', message: `${unreadable} post(s) on this page showed no link or time Gleaner could read and were not kept.` });
    }
    if (observations.length === 0 && others === 0) {
      warnings.push({ code: 'layout_unrecognized', message: 'Gleaner could not read the posts on this X profile; X may have changed its layout. Nothing was saved from it.' });
    }
    const coverage: CoverageClaim[] = start
      ? [{ stream: 'tweets', start, end, completeness: 'partial', evidence: `${observations.length} of your posts on your X profile (${start} to ${end}); a timeline never shows every post` }]
      : [];
    return { observations, coverage, ...hint, warnings };
  },
};
