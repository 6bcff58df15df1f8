/**
 * Reads a Reddit user's listing pages: `/user/<name>/{submitted,comments,saved,
 * upvoted,downvoted,hidden}` on two layouts.
 *
 * - old.reddit.com: the `#siteTable` of `.thing` rows (`data-fullname`,
 *   `data-timestamp`, `data-permalink`, …); the signed-in user from the page's
 *   own config, `r.setup({… "logged": "<name>" …})`.
 * - www.reddit.com (the current "shreddit" layout, shape as reported by public
 *   parsers, not checked against a live account): `<shreddit-post>` and
 *   `<shreddit-profile-comment>` elements; the signed-in user from the profile
 *   link in the header's user drawer (`#user-drawer-content a[href^="/user/"]`).
 * - Any other layout (the 2018 redesign, a changed page): an own listing that
 *   shows no rows the extractor knows says `layout_unrecognized`, never a silent zero.
 *
 * A listing is the owner's only when its name is the signed-in user's own
 * (case-insensitive: `Dana_Writes` and `dana_writes` are one account). Another
 * user's listing browsed while signed in yields nothing at all (nothing is sent);
 * a signed-out page yields a warning and no account, so nothing is stored.
 * The user overview and every other page yield nothing.
 *
 * A listing page is one window (25–100 items, newest first, and the listing
 * stops at about 1,000): every claim is `partial`, its range the page's oldest
 * to newest `created_utc`, its evidence naming the listing.
 *
 * Pure: reads only the `Document` and the URL. No zod (content-script bundle).
 */
import type { AccountHint, BatchWarning, CoverageClaim, Observation } from '../../core/model';
import type { PageCapture, PageExtractor } from '../types';
import {
  REDDIT_LISTINGS,
  accountHintFor,
  bodyText,
  canonicalPermalink,
  canonicalUrl,
  compact,
  domainOf,
  fullname,
  intOf,
  isoInstant,
  lineText,
  parseRedditTime,
  subredditName,
  threadOf,
  usernameOf,
  type RedditListing,
} from './ids';

const HOSTS = new Set(['old.reddit.com', 'www.reddit.com']);
const LISTING_PATH_RE = /^\/user\/([A-Za-z0-9_-]{3,20})\/([a-z]+)\/?$/;

/** Owner words for each listing, in "one page of your …". */
const LISTING_WORDS: Record<RedditListing, string> = {
  submitted: 'posts',
  comments: 'comments',
  saved: 'saved items',
  upvoted: 'upvoted items',
  downvoted: 'downvoted items',
  hidden: 'hidden items',
};

/** The listing a URL shows and whose it is; `null` for anything else. */
export function listingOf(url: URL): { user: string; listing: RedditListing } | null {
  if (url.protocol !== 'https:' || !HOSTS.has(url.hostname)) return null;
  const m = LISTING_PATH_RE.exec(url.pathname);
  if (!m || !(REDDIT_LISTINGS as readonly string[]).includes(m[2]!)) return null;
  return { user: m[1]!, listing: m[2] as RedditListing };
}

/** old.reddit: `"logged": "<name>"` in the `r.setup(…)` config (`"logged": false` when signed out). */
function oldSignedIn(doc: Document): string | null {
  for (const script of Array.from(doc.scripts)) {
    const source = script.textContent ?? '';
    if (!source.includes('"logged"')) continue;
    const m = /"logged"\s*:\s*"([^"]{1,40})"/.exec(source);
    return m ? usernameOf(m[1]) : null;
  }
  return null;
}

/** www.reddit: the profile link in the header's user drawer. */
function wwwSignedIn(doc: Document): string | null {
  const link = doc.querySelector('#user-drawer-content a[href^="/user/"], #user-drawer-content a[href^="https://www.reddit.com/user/"]');
  const m = link ? /\/user\/([^/?#]+)/.exec(link.getAttribute('href') ?? '') : null;
  return m ? usernameOf(m[1]) : null;
}

interface Row {
  data: Record<string, unknown>;
  kind: 't1' | 't3';
  created: string | null;
}

function attr(el: Element, name: string): string | null {
  const value = el.getAttribute(name);
  return value === null || value === '' ? null : value;
}

/** Rendered markdown as text: block elements joined by blank lines. */
function markdownText(md: Element | null): string | null {
  if (!md) return null;
  const blocks = Array.from(md.children);
  const parts = blocks.length > 0 ? blocks.map((block) => block.textContent ?? '') : [md.textContent ?? ''];
  return bodyText(parts.map((part) => part.trim()).filter(Boolean).join('\n\n'));
}

/** The innermost `.md` (www wraps the markdown node in a layout node also classed `md`). */
function innermostMd(el: Element): Element | null {
  const all = el.querySelectorAll('.md');
  for (let i = all.length - 1; i >= 0; i--) if (!all[i]!.querySelector('.md')) return all[i]!;
  return null;
}

/** One `.thing` row of old.reddit. */
function oldRow(thing: Element): Row | null {
  const type = attr(thing, 'data-type');
  const raw = attr(thing, 'data-fullname');
  const kind = type === 'comment' ? 't1' : type === 'link' ? 't3' : null;
  const id = kind ? fullname(raw, kind) : null;
  if (!kind || !id) return null;
  // Links carry their creation time in `data-timestamp` (ms); comments only in the tagline's <time>.
  const stamp = intOf(attr(thing, 'data-timestamp'));
  const created = (stamp !== null ? isoInstant(stamp) : null) ?? parseRedditTime(thing.querySelector('.tagline time:not(.edited-timestamp)')?.getAttribute('datetime'));
  const permalink = canonicalPermalink(attr(thing, 'data-permalink'));
  const subreddit = subredditName(attr(thing, 'data-subreddit'));
  if (kind === 't3') {
    const url = canonicalUrl(attr(thing, 'data-url'));
    const domain = attr(thing, 'data-domain');
    return {
      kind,
      created,
      data: compact({
        id,
        subreddit,
        title: lineText(thing.querySelector('a.title')?.textContent),
        permalink,
        url,
        domain: domainOf(url),
        // The text of a self post shows only once its expando was opened (then it is in the page).
        selftext: markdownText(thing.querySelector('.expando:not(.expando-uninitialized) .md')),
        is_self: domain ? domain.toLowerCase().startsWith('self.') : thing.classList.contains('self') || null,
        over_18: attr(thing, 'data-nsfw') === null ? null : attr(thing, 'data-nsfw') === 'true',
        score: intOf(attr(thing, 'data-score')),
        num_comments: intOf(attr(thing, 'data-comments-count')),
        gilded: intOf(attr(thing, 'data-gildings')),
        created_utc: created,
      }),
    };
  }
  const score = thing.querySelector('.tagline .score.unvoted') ?? thing.querySelector('.tagline .score');
  const thread = threadOf(attr(thing, 'data-permalink'));
  return {
    kind,
    created,
    data: compact({
      id,
      subreddit,
      body: markdownText(thing.querySelector('.usertext-body .md')),
      link_id: thread ? `t3_${thread.postId}` : null,
      link_title: lineText(thing.querySelector('p.parent a.title, .parent a.title')?.textContent),
      permalink,
      score: intOf(score?.getAttribute('title')) ?? intOf(score?.textContent?.replace(/points?/i, '')),
      created_utc: created,
    }),
  };
}

/** One `<shreddit-post>` of www.reddit. */
function wwwPost(post: Element): Row | null {
  const id = fullname(attr(post, 'id') ?? attr(post, 'thingid'), 't3');
  if (!id) return null;
  const created = parseRedditTime(attr(post, 'created-timestamp'));
  const url = canonicalUrl(attr(post, 'content-href'));
  const postType = attr(post, 'post-type');
  return {
    kind: 't3',
    created,
    data: compact({
      id,
      subreddit: subredditName(attr(post, 'subreddit-prefixed-name') ?? attr(post, 'subreddit-name')),
      title: lineText(attr(post, 'post-title')),
      permalink: canonicalPermalink(attr(post, 'permalink')),
      url,
      domain: domainOf(url),
      is_self: postType ? postType === 'text' : null,
      over_18: post.hasAttribute('nsfw') ? true : null,
      score: intOf(attr(post, 'score')),
      num_comments: intOf(attr(post, 'comment-count')),
      created_utc: created,
    }),
  };
}

/** One `<shreddit-profile-comment>` of www.reddit (no author, score or depth attribute: derived from its link). */
function wwwComment(comment: Element): Row | null {
  const id = fullname(attr(comment, 'comment-id') ?? attr(comment, 'thingid'), 't1');
  if (!id) return null;
  const href = attr(comment, 'href') ?? attr(comment, 'permalink');
  const thread = threadOf(href);
  const time = comment.querySelector('faceplate-timeago[ts], time[datetime]');
  const created = parseRedditTime(time?.getAttribute('ts') ?? time?.getAttribute('datetime'));
  const subreddit = thread && /^\/r\//i.test(href ?? '') ? subredditName(thread.subreddit) : null;
  return {
    kind: 't1',
    created,
    data: compact({
      id,
      subreddit,
      body: markdownText(innermostMd(comment)),
      link_id: thread ? `t3_${thread.postId}` : null,
      permalink: canonicalPermalink(href),
      created_utc: created,
    }),
  };
}

/** A row as the stream of `listing` records it (mixed listings add kind, and a comment's post title as `title`). */
function asListingRecord(listing: RedditListing, row: Row): Record<string, unknown> | null {
  if (listing === 'submitted') return row.kind === 't3' ? row.data : null;
  if (listing === 'comments') return row.kind === 't1' ? row.data : null;
  const { link_title, link_id: _link, selftext, is_self: _self, domain: _domain, over_18: _nsfw, gilded: _gilded, ...rest } = row.data;
  return compact({
    ...rest,
    kind: row.kind,
    is_post: row.kind === 't3',
    title: row.kind === 't3' ? rest.title : link_title,
    body: row.kind === 't3' ? selftext : rest.body,
    // The saved stream has no score or comment count in the reference.
    ...(listing === 'saved' ? { score: undefined, num_comments: undefined } : {}),
  });
}

function emptyListing(doc: Document, layout: 'old' | 'www'): boolean {
  if (layout === 'old') return !!doc.querySelector('#noresults') || /there doesn['’]t seem to be anything here/i.test(doc.querySelector('.content')?.textContent ?? '');
  return /(hasn['’]t (posted|commented|saved|upvoted|downvoted|hidden)|no (posts|comments) yet|nothing (here|to see))/i.test(doc.querySelector('main')?.textContent ?? '');
}

function capture(observations: Observation[], coverage: CoverageClaim[], warnings: BatchWarning[], accountHint?: AccountHint): PageCapture {
  return { observations, coverage, ...(accountHint ? { accountHint } : {}), warnings };
}

const NOTHING: PageCapture = { observations: [], coverage: [], warnings: [] };

export const redditPageExtractor: PageExtractor = {
  matches(url: URL): boolean {
    return listingOf(url) !== null;
  },

  extract(doc: Document, url: URL): PageCapture {
    const where = listingOf(url);
    if (!where) return { ...NOTHING, warnings: [] };
    const layout = url.hostname === 'old.reddit.com' ? 'old' : 'www';
    const signedIn = layout === 'old' ? oldSignedIn(doc) : wwwSignedIn(doc);
    if (!signedIn) {
      return capture([], [], [{ code: 'signed_out', message: `Gleaner could not tell who is signed in on ${url.hostname}, so nothing from this page was kept. Sign in to Reddit and open the page again.` }]);
    }
    // Someone else's listing: not the owner's records. Nothing is kept, and nothing is sent.
    if (signedIn.toLowerCase() !== where.user.toLowerCase()) return { ...NOTHING, warnings: [] };
    const hint = accountHintFor(signedIn, `signed-in user named in the page on ${url.hostname}`);
    const { listing } = where;
    const rows: Row[] = [];
    const warnings: BatchWarning[] = [];
    let ads = 0;
    let unreadable = 0;
    let othersPosts = 0;
    const elements = layout === 'old' ? Array.from(doc.querySelectorAll('#siteTable > .thing')) : Array.from(doc.querySelectorAll('shreddit-post, shreddit-profile-comment'));
    for (const el of elements) {
      if (layout === 'old' && (el.classList.contains('promoted') || el.classList.contains('promotedlink'))) {
        ads++;
        continue;
      }
      const row = layout === 'old' ? oldRow(el) : el.localName === 'shreddit-post' ? wwwPost(el) : wwwComment(el);
      if (!row) {
        unreadable++;
        continue;
      }
      // The owner's own posts and comments listings hold only the owner's; anything else is not theirs.
      const author = el.getAttribute('data-author') ?? el.getAttribute('author');
      if ((listing === 'submitted' || listing === 'comments') && author && author.toLowerCase() !== signedIn.toLowerCase()) {
        othersPosts++;
        continue;
      }
      rows.push(row);
    }
    if (ads > 0) warnings.push({ code: 'ads_skipped', message: `${ads} promoted post${ads === 1 ? '' : 's'} (ads) on this page ${ads === 1 ? 'was' : 'were'} not kept.` });
    if (othersPosts > 0) warnings.push({ code: 'not_owner_items', message: `${othersPosts} item(s) on this page were by someone else and were not kept.` });
    if (unreadable > 0) warnings.push({ code: 'item_unreadable', message: `${unreadable} item(s) on this page could not be read and were not kept.` });

    const observations: Observation[] = [];
    let start = '';
    let end = '';
    for (const row of rows) {
      const data = asListingRecord(listing, row);
      if (!data) continue;
      observations.push({ stream: listing, data });
      if (row.created) {
        if (!start || row.created < start) start = row.created;
        if (!end || row.created > end) end = row.created;
      }
    }
    if (observations.length === 0 && !emptyListing(doc, layout)) {
      warnings.push({
        code: 'layout_unrecognized',
        message: `This page of your ${LISTING_WORDS[listing]} should list items, but Gleaner did not recognise any on it (Reddit may have changed the page). Nothing from it was kept.`,
      });
    }
    const coverage: CoverageClaim[] = start
      ? [{
          stream: listing,
          start,
          end,
          completeness: 'partial',
          evidence: `One page of your ${LISTING_WORDS[listing]} on ${url.hostname}: ${observations.length} items${url.searchParams.has('after') ? ', past the first page' : ''} (Reddit lists only about the last 1,000)`,
        }]
      : [];
    return capture(observations, coverage, warnings, hint);
  },
};
