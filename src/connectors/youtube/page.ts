/**
 * Reads the owner's YouTube watch history page (`www.youtube.com/feed/history`):
 * videos grouped under relative day headings ("Today", "Yesterday", weekday
 * names, then dates), in both layouts YouTube serves (`ytd-video-renderer`
 * and the newer `yt-lockup-view-model`). The page shows no clock time, so each
 * row gets the day its heading names, in the browser's time zone and by its
 * clock (injected, so tests can fix both).
 *
 * The account signal is `DATASYNC_ID` in the page config (`ytcfg.set({…})`):
 * no id (signed out), no account hint, nothing stored. Coverage is always
 * `partial`: the page shows the most recent viewings and loads more as the
 * owner scrolls, and YouTube hides some (paused history, removed videos).
 *
 * Runs in the content script on every YouTube page view: no zod, no parsers.
 */
import type { AccountHint, BatchWarning, CoverageClaim, Observation } from '../../core/model';
import type { PageCapture, PageExtractor } from '../types';
import { addDays, browserClock, compareDays, isoDay, localDay, localDayIso, weekday, type Clock, type Ymd } from './local-day';

const HISTORY_PATH_RE = /^\/feed\/history\/?$/;
const VIDEO_HREF_RE = /(?:[?&]v=|\/shorts\/|youtu\.be\/)([\w-]{11})(?![\w-])/;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** "Mar 3", "March 3, 2024", "3 Mar 2024" (English headings; other languages are reported, not guessed). */
const MONTH_DAY_RE = /^([a-z]{3,9})\.? (\d{1,2})(?:, (\d{4}))?$/;
const DAY_MONTH_RE = /^(\d{1,2}) ([a-z]{3,9})\.?(?: (\d{4}))?$/;
const ITEM_SELECTOR = 'ytd-item-section-header-renderer #title, ytd-video-renderer, yt-lockup-view-model';
/** The page's own words when there is nothing to show (empty or paused history). */
const EMPTY_SELECTOR = 'ytd-background-promo-renderer, ytd-message-renderer';

function clean(value: string | null | undefined, max = 1000): string | null {
  const text = (value ?? '').replace(/\s+/g, ' ').trim();
  return text ? text.slice(0, max) : null;
}

function monthIndex(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3));
}

/** The day a heading names, relative to `today`; undefined when it is not one Gleaner reads. */
export function headingDay(heading: string, today: Ymd): Ymd | undefined {
  const h = heading.replace(/\s+/g, ' ').trim().toLowerCase();
  if (h === 'today') return today;
  if (h === 'yesterday') return addDays(today, -1);
  const wd = WEEKDAYS.indexOf(h);
  if (wd >= 0) {
    let back = (weekday(today) - wd + 7) % 7;
    if (back === 0) back = 7;
    return addDays(today, -back);
  }
  const md = MONTH_DAY_RE.exec(h);
  const dm = md ? undefined : DAY_MONTH_RE.exec(h);
  const [monthName, dayText, yearText] = md ? [md[1]!, md[2]!, md[3]] : dm ? [dm[2]!, dm[1]!, dm[3]] : [];
  if (!monthName) return undefined;
  const m = monthIndex(monthName) + 1;
  const d = Number(dayText);
  if (m < 1 || d < 1 || d > 31) return undefined;
  let day: Ymd = { y: yearText ? Number(yearText) : today.y, m, d };
  // A date without a year in the future is last year's (January's page showing "Dec 30").
  if (!yearText && compareDays(day, today) > 0) day = { ...day, y: today.y - 1 };
  const check = addDays(day, 0);
  return check.m === day.m && check.d === day.d ? day : undefined;
}

/** `DATASYNC_ID` from the page config: `"<digits>||"` (or `"<digits>||<digits>"` for a brand channel's session). */
export function accountHintOf(doc: Document): AccountHint | undefined {
  for (const script of Array.from(doc.scripts)) {
    const text = script.textContent ?? '';
    const at = text.indexOf('"DATASYNC_ID"');
    if (at === -1) continue;
    const m = /^"DATASYNC_ID"\s*:\s*"(\d{5,30})\|\|(\d{0,30})"/.exec(text.slice(at, at + 100));
    if (!m) continue;
    const id = m[2] ? `${m[1]}||${m[2]}` : m[1]!;
    const tail = (m[2] || m[1]!).slice(-4);
    return { key: `youtube|${id}`, label: `YouTube account ending ${tail}`, evidence: 'account id in the page config on www.youtube.com' };
  }
  return undefined;
}

interface Row {
  videoId: string;
  title: string | null;
  channelName: string | null;
  channelUrl: string | null;
}

function absolute(href: string | null): string | null {
  if (!href) return null;
  try {
    const url = new URL(href, 'https://www.youtube.com/');
    return url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function readItem(item: Element): Row | undefined {
  const lockup = item.localName === 'yt-lockup-view-model';
  const titleLink = lockup
    ? item.querySelector('a.yt-lockup-metadata-view-model__title, a.yt-lockup-metadata-view-model-wiz__title, h3 a[href*="watch"]')
    : item.querySelector('a#video-title');
  const href = titleLink?.getAttribute('href') ?? item.querySelector('a[href*="/watch?"], a[href*="/shorts/"]')?.getAttribute('href') ?? '';
  const videoId = VIDEO_HREF_RE.exec(href)?.[1];
  if (!videoId) return undefined;
  const title = clean(titleLink?.getAttribute('title')) ?? clean(titleLink?.textContent);
  const channelLink = item.querySelector(lockup ? 'a[href^="/@"], a[href^="/channel/"], a[href^="https://www.youtube.com/@"]' : 'ytd-channel-name a');
  const channelName = clean(channelLink?.textContent, 500) ?? (lockup ? clean(item.querySelector('.yt-content-metadata-view-model__metadata-text, .yt-content-metadata-view-model-wiz__metadata-text')?.textContent, 500) : null);
  return { videoId, title, channelName, channelUrl: absolute(channelLink?.getAttribute('href') ?? null) };
}

function unrecognized(accountHint: AccountHint | undefined, earlier: BatchWarning[]): PageCapture {
  return {
    observations: [],
    coverage: [],
    ...(accountHint ? { accountHint } : {}),
    warnings: [...earlier, { code: 'layout_unrecognized', message: 'Gleaner could not recognise this YouTube history page; YouTube may have changed its layout. Nothing was saved from it.' }],
  };
}

export function createYoutubePageExtractor(clock: () => Clock = browserClock): PageExtractor {
  return {
    matches(url: URL): boolean {
      return url.protocol === 'https:' && url.hostname === 'www.youtube.com' && HISTORY_PATH_RE.test(url.pathname);
    },

    extract(doc: Document): PageCapture {
      const accountHint = accountHintOf(doc);
      const { now, timeZone } = clock();
      const today = localDay(now.getTime(), timeZone);
      const warnings: BatchWarning[] = [];
      const observations: Observation[] = [];
      const seen = new Set<string>();
      const days = new Map<string, { start: string; end: string; last: string }>();
      let day: Ymd | undefined;
      let headings = 0;
      let undated = 0;
      let unreadable = 0;
      for (const node of Array.from(doc.querySelectorAll(ITEM_SELECTOR))) {
        if (node.id === 'title') {
          headings++;
          const heading = clean(node.textContent, 100) ?? '';
          day = headingDay(heading, today);
          if (!day) warnings.push({ code: 'unknown_day', message: 'A day heading on this page was not one Gleaner can read; its videos were not kept.', where: heading.slice(0, 100) });
          continue;
        }
        if (node.closest('ytd-reel-shelf-renderer')) continue; // Shorts shelves have their own markup and no watch rows
        const row = readItem(node);
        if (!row) {
          unreadable++;
          continue;
        }
        if (!day) {
          if (headings === 0) undated++; // under an unreadable heading: already said (unknown_day)
          continue;
        }
        const iso = isoDay(day);
        const id = `page:${row.videoId}:${iso}`;
        if (seen.has(id)) continue;
        seen.add(id);
        let window = days.get(iso);
        if (!window) {
          window = localDayIso(day, timeZone);
          days.set(iso, window);
        }
        observations.push({
          stream: 'youtube_watch_history',
          data: {
            id,
            video_id: row.videoId,
            watched_at: window.start,
            watched_at_precision: 'day',
            watched_on: iso,
            day_ends_at: window.end,
            time_zone: timeZone,
            video_url: `https://www.youtube.com/watch?v=${row.videoId}`,
            video_title: row.title,
            channel_name: row.channelName,
            channel_url: row.channelUrl,
            product: 'YouTube',
          },
        });
      }
      if (unreadable > 0) warnings.push({ code: 'unreadable_item', message: `${unreadable} item(s) on this page had no video address Gleaner could read; they were not kept.` });
      if (undated > 0) warnings.push({ code: 'no_day_heading', message: `${undated} video(s) were not under a day heading; they were not kept.` });
      if (observations.length === 0) {
        if (headings === 0 && doc.querySelector(EMPTY_SELECTOR)) return { observations: [], coverage: [], ...(accountHint ? { accountHint } : {}), warnings };
        return unrecognized(accountHint, warnings);
      }
      const ordered = [...days.keys()].sort();
      const coverage: CoverageClaim[] = [
        {
          stream: 'youtube_watch_history',
          start: days.get(ordered[0]!)!.start,
          end: days.get(ordered.at(-1)!)!.last,
          completeness: 'partial',
          evidence: `YouTube history page: ${observations.length} videos on ${days.size} days (the page shows recent viewings and loads more as you scroll)`,
        },
      ];
      return { observations, coverage, ...(accountHint ? { accountHint } : {}), warnings };
    },
  };
}

export const youtubePageExtractor = createYoutubePageExtractor();
