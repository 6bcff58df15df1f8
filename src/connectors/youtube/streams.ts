/**
 * YouTube's one stream, `youtube_watch_history`, following the PDPP reference
 * server's first-party `google_takeout` manifest (`id`, `watched_at`,
 * `video_url`, `video_title`, `channel_name`, `channel_url`), with fields of
 * Gleaner's own added: `video_id`, `watched_at_precision`, and for a page's
 * day `watched_on`, `day_ends_at` and `time_zone`.
 *
 * Where Gleaner differs from the reference:
 * - `id`: the reference hashes `time|url`; Gleaner writes it readably and by
 *   method (`takeout:<video>:<instant>` for the export, `page:<video>:<day>`
 *   for the history page), because records of the two methods stay apart
 *   (below) and the server keys records by `id` alone.
 * - `watched_at`: always an instant (the cursor is `date-time`, as in the
 *   reference). The history page shows only a day, so a page row's
 *   `watched_at` is the start of that day in the browser's time zone, with
 *   `watched_at_precision: "day"` saying so (export rows: `"instant"`).
 *
 * Identity: weak. A video id is stable, but the page gives a local day and the
 * export an instant, and one video can be watched many times: nothing proves
 * that a page row and an export row are the same viewing. So records of the
 * two methods stay apart (`crossMethodIdentity: false`), and a page row and
 * an export row of the same video whose instant falls inside the page row's
 * local day are shown as probable duplicates (never merged, never changing
 * what is exported).
 */
import { z } from 'zod';
import type { AcquisitionMethod } from '../../core/model';
import type { ProbableDuplicateRule, StreamDefinition } from '../types';

const text = (max = 2000) => z.string().min(1).max(max);
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
const httpsUrl = z.string().max(2048).regex(/^https:\/\/[^\s]+$/, 'not an https URL');
const Instant = z.iso.datetime({ offset: true });

/** YouTube video ids: 11 characters of `A-Z a-z 0-9 _ -`. */
export const VIDEO_ID_RE = /^[\w-]{11}$/;
export const YoutubeVideoId = z.string().regex(VIDEO_ID_RE, 'not a YouTube video id');

export const YoutubeWatch = z.looseObject({
  /** `takeout:<video id>:<instant>` (export) or `page:<video id>:<day>` (history page). */
  id: z.string().min(8).max(120).regex(/^(takeout|page):[\w-]{11}:\S+$/, 'not a watch id'),
  video_id: YoutubeVideoId,
  /**
   * The export's instant (UTC, `Z`); for a page row, the start of its local day
   * with the zone's offset ("2026-03-13T00:00:00+13:00", `watched_at_precision: "day"`),
   * so its first ten characters are the day the page showed.
   */
  watched_at: Instant,
  watched_at_precision: z.enum(['instant', 'day']),
  /** Page rows: the local day the history page showed the video under. */
  watched_on: maybe(z.iso.date()),
  /** Page rows: the end of that local day (the next day's start). */
  day_ends_at: maybe(Instant),
  /** Page rows: the browser's time zone that turned "Today" into a day. */
  time_zone: maybe(text(64)),
  video_url: maybe(httpsUrl),
  /** Unknown (null) when the export gave only the video's address. */
  video_title: maybe(text(1000)),
  channel_name: maybe(text(500)),
  channel_url: maybe(httpsUrl),
  /** "YouTube" or "YouTube Music" (the export's `header`). */
  product: maybe(text(64)),
});
export type YoutubeWatch = z.infer<typeof YoutubeWatch>;

const SLOT_MS = 15 * 60 * 1000;

/**
 * Same video, and the export's instant falls inside the page row's local day:
 * keys are the video and a 15-minute slot (every time zone's midnight falls on
 * one), the page row holding every slot of its day.
 */
export const watchProbableDuplicates: ProbableDuplicateRule = {
  reason: 'same video, watched on the same day',
  matchKeys(data: Record<string, unknown>, _method: AcquisitionMethod): string[] {
    const video = typeof data.video_id === 'string' ? data.video_id : '';
    const start = typeof data.watched_at === 'string' ? Date.parse(data.watched_at) : NaN;
    if (!video || Number.isNaN(start)) return [];
    if (data.watched_at_precision !== 'day') return [`${video}@${Math.floor(start / SLOT_MS)}`];
    const endParsed = typeof data.day_ends_at === 'string' ? Date.parse(data.day_ends_at) : NaN;
    const end = Number.isNaN(endParsed) || endParsed <= start || endParsed - start > 26 * 3600_000 ? start + 24 * 3600_000 : endParsed;
    const keys: string[] = [];
    for (let slot = Math.floor(start / SLOT_MS); slot * SLOT_MS < end; slot++) keys.push(`${video}@${slot}`);
    return keys;
  },
};

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function titleOf(data: Record<string, unknown>): string {
  return str(data.video_title) ?? `Video ${str(data.video_id) ?? '?'}`;
}

/**
 * "Watched on 2026-12-01" (a page's day) or "Watched 2026-12-01T14:03:00Z"
 * (the export's instant): ISO, so the owner's pages put them in words and in
 * the owner's time zone (`factsInWords`, src/ui/format.ts).
 */
function whenOf(data: Record<string, unknown>): string | undefined {
  if (data.watched_at_precision === 'day') return str(data.watched_on) ? `Watched on ${data.watched_on}` : undefined;
  const at = str(data.watched_at);
  return at ? `Watched ${at}` : undefined;
}

export const watchHistoryStream: StreamDefinition = {
  name: 'youtube_watch_history',
  displayName: 'Watch history',
  primaryKey: ['id'],
  eventTimeField: 'watched_at',
  crossMethodIdentity: false,
  crossMethodReconciliation: false,
  schema: YoutubeWatch,
  describe(data) {
    return [titleOf(data), str(data.channel_name), whenOf(data)].filter(Boolean).join(' · ');
  },
  present(data) {
    return { title: titleOf(data), facts: [str(data.channel_name), whenOf(data)].filter((fact): fact is string => !!fact) };
  },
  fieldLabels: {
    video_title: 'Video',
    channel_name: 'Channel',
    watched_on: 'Day on the history page',
    video_url: 'Video page',
    channel_url: 'Channel page',
    product: 'Service',
  },
  probableDuplicates: watchProbableDuplicates,
};

export const youtubeStreams: StreamDefinition[] = [watchHistoryStream];
