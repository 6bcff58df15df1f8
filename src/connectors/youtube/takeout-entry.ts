/**
 * One Google Takeout watch-history entry → one watch, or the reason it is not
 * one. Entries look like
 * `{header, title: "Watched <title>", titleUrl, subtitles: [{name, url}], time, details?}`.
 *
 * The "Watched " wording is in the owner's Takeout language: known wordings
 * are stripped, and for any other language the wording is learned from the
 * file itself (the prefix and suffix every title shares; see `learnAffix`).
 */

export type SkipReason = 'ad' | 'removed_video' | 'no_time' | 'not_a_video';

export interface TitleAffix {
  prefix: string;
  suffix: string;
}

/** Wordings seen in Takeout per language (prefix, suffix). */
const KNOWN_AFFIXES: TitleAffix[] = [
  { prefix: 'Watched ', suffix: '' },
  { prefix: 'Vous avez regardé ', suffix: '' },
  { prefix: 'Has visto ', suffix: '' },
  { prefix: 'Hai guardato ', suffix: '' },
  { prefix: 'Assistiu a ', suffix: '' },
  { prefix: 'Você assistiu a ', suffix: '' },
  { prefix: 'Obejrzano: ', suffix: '' },
  { prefix: '', suffix: ' angesehen' },
  { prefix: '', suffix: ' bekeken' },
  { prefix: '', suffix: ' を視聴しました' },
];

const VIDEO_URL_RE = /^https?:\/\/(?:www\.|m\.|music\.)?(?:youtube\.com\/(?:watch\?(?:.*&)?v=|shorts\/)|youtu\.be\/)([\w-]{11})(?![\w-])/;
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const MAX_TITLE = 1000;

export interface WatchEntry {
  header?: unknown;
  title?: unknown;
  titleUrl?: unknown;
  subtitles?: unknown;
  time?: unknown;
  details?: unknown;
}

export type EntryResult =
  | { kind: 'watch'; data: Record<string, unknown> }
  | { kind: 'skip'; reason: SkipReason }
  | { kind: 'fail'; code: string; message: string };

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function isAd(entry: WatchEntry): boolean {
  return Array.isArray(entry.details) && entry.details.some((detail) => /google ads/i.test(String((detail as { name?: unknown })?.name ?? '')));
}

/** The longest prefix and suffix (at a word boundary) shared by every title, learned from a file's first entries. */
export function learnAffix(titles: readonly string[]): TitleAffix | undefined {
  const distinct = [...new Set(titles)];
  if (distinct.length < 3) return undefined;
  for (const known of KNOWN_AFFIXES) {
    if (distinct.every((title) => title.startsWith(known.prefix) && title.endsWith(known.suffix))) return known;
  }
  let prefix = distinct[0]!;
  let suffix = distinct[0]!;
  for (const title of distinct) {
    while (!title.startsWith(prefix)) prefix = prefix.slice(0, -1);
    while (!title.endsWith(suffix)) suffix = suffix.slice(1);
  }
  // Only up to a word boundary, and never a whole title.
  const cut = Math.max(prefix.lastIndexOf(' '), prefix.lastIndexOf(':'));
  prefix = cut >= 0 ? prefix.slice(0, cut + 1) : '';
  const start = suffix.indexOf(' ');
  suffix = start >= 0 ? suffix.slice(start) : '';
  return prefix || suffix ? { prefix, suffix } : undefined;
}

/** The video's title without the "Watched" wording; null when what is left is only the video's address. */
export function videoTitle(raw: string | undefined, affix: TitleAffix | undefined): string | null {
  if (!raw) return null;
  let title = raw;
  const affixes = affix ? [affix, ...KNOWN_AFFIXES] : KNOWN_AFFIXES;
  for (const { prefix, suffix } of affixes) {
    if (title.startsWith(prefix) && title.endsWith(suffix) && title.length > prefix.length + suffix.length) {
      title = title.slice(prefix.length, title.length - suffix.length);
      break;
    }
  }
  title = title.replace(/\s+/g, ' ').trim();
  if (!title || /^https?:\/\/\S+$/.test(title)) return null;
  return title.slice(0, MAX_TITLE);
}

export function readEntry(value: unknown, affix: TitleAffix | undefined): EntryResult {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { kind: 'fail', code: 'not_an_entry', message: 'An element of the list was not a history entry.' };
  const entry = value as WatchEntry;
  if (isAd(entry)) return { kind: 'skip', reason: 'ad' };
  const time = str(entry.time);
  if (!time) return { kind: 'skip', reason: 'no_time' };
  const url = str(entry.titleUrl);
  if (!url) return { kind: 'skip', reason: 'removed_video' };
  const videoId = VIDEO_URL_RE.exec(url)?.[1];
  if (!videoId) return { kind: 'skip', reason: 'not_a_video' };
  const ms = INSTANT_RE.test(time) ? Date.parse(time) : NaN;
  if (Number.isNaN(ms)) return { kind: 'fail', code: 'bad_time', message: 'An entry\'s time was not a date and time Gleaner can read; it was not kept.' };
  const watchedAt = new Date(ms).toISOString();
  const channel = Array.isArray(entry.subtitles) ? (entry.subtitles[0] as { name?: unknown; url?: unknown } | undefined) : undefined;
  const channelUrl = str(channel?.url);
  return {
    kind: 'watch',
    data: {
      id: `takeout:${videoId}:${watchedAt}`,
      video_id: videoId,
      watched_at: watchedAt,
      watched_at_precision: 'instant',
      video_url: url.replace(/^http:/, 'https:').slice(0, 2048),
      video_title: videoTitle(str(entry.title), affix),
      channel_name: str(channel?.name)?.slice(0, 500) ?? null,
      channel_url: channelUrl && /^https?:\/\/\S+$/.test(channelUrl) ? channelUrl.replace(/^http:/, 'https:').slice(0, 2048) : null,
      product: str(entry.header)?.slice(0, 64) ?? null,
    },
  };
}

/** Owner words for each skip reason, with its count. */
export function skipMessage(reason: SkipReason, count: number): string {
  switch (reason) {
    case 'ad':
      return `${count} ad view(s) ("From Google Ads") were skipped: they are ads YouTube showed you, not videos you chose.`;
    case 'removed_video':
      return `${count} entr(ies) were skipped because the video has since been removed and Takeout no longer says which video it was.`;
    case 'no_time':
      return `${count} entr(ies) had no time (such as "Visited YouTube Music") and were skipped.`;
    case 'not_a_video':
      return `${count} entr(ies) were not videos (posts, pages) and were skipped.`;
  }
}
