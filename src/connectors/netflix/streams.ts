/**
 * Netflix's one stream, `viewing_activity`, and the schema that validates its
 * untrusted records.
 *
 * Field names follow the PDPP reference server's first-party `netflix_export`
 * manifest (`title`, `watched_at`, `watched_at_precision`, `profile_name`,
 * `device_type`, `duration_seconds`, `country`, `source_schema`, key `id` a
 * hash of the record's evidence). Where Gleaner differs, and why:
 * - The event time is `watched_on`, the calendar day, from every source; the
 *   exact instant is `watched_at` only where a source has one (the full
 *   export). The reference writes a day-only viewing as that day's UTC
 *   midnight, which would claim an instant nobody saw and move the day for
 *   anyone west of Greenwich (as Amazon's `order_date`/`ordered_at`).
 * - `source_schema` adds `viewing_activity_page` for the Viewing activity page.
 *
 * No identity across methods: one viewing is spelled three ways (the export
 * `Show: Season 1: Big Man (Episode 8)`, the page `Show: Season 1: "Big Man"`,
 * the quick CSV `Show: Season 1: Big Man`) and dated by a local day or a UTC
 * instant, so nothing proves a page row and an export row the same. Records of
 * each method stay apart (their keys hash different evidence, so they never
 * collide on the server either) and likely pairs are shown as probable
 * duplicates: same normalised title, and days that can be the same viewing
 * once time zones are considered.
 */
import { z } from 'zod';
import type { ProbableDuplicateRule, StreamDefinition } from '../types';
import { normaliseTitle } from './util';

const text = (max = 1000) => z.string().min(1).max(max);
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
const Day = z.iso.date();
const Instant = z.iso.datetime({ offset: true });

export const SOURCE_SCHEMAS = ['viewing_activity_page', 'direct_history', 'full_export'] as const;

export const NetflixViewing = z.looseObject({
  /** A hash of the evidence (source, profile, title, time, …): 28 hex digits. */
  id: z.string().regex(/^[0-9a-f]{28}$/, 'not a Netflix viewing key'),
  title: text(),
  /** The day watched: as the page or quick CSV shows it, or the export instant's day in the browser's time zone. */
  watched_on: Day,
  /** The exact start (UTC), only from the full export. */
  watched_at: maybe(Instant),
  watched_at_precision: z.enum(['day', 'instant']),
  /** The date or time exactly as the source wrote it. */
  watched_at_raw: maybe(text(64)),
  profile_name: maybe(text(100)),
  device_type: maybe(text(200)),
  duration_seconds: maybe(z.number().int().nonnegative().max(1e7)),
  country: maybe(text(64)),
  /** Export attributes ("Autoplayed: user action: None", "Not latest view"). */
  attributes: maybe(text(500)),
  /** The title's page on Netflix (`https://www.netflix.com/title/<id>`), from the Viewing activity page. */
  title_url: maybe(z.string().max(200).regex(/^https:\/\/www\.netflix\.com\/title\/\d{1,12}$/)),
  source_schema: z.enum(SOURCE_SCHEMAS),
});
export type NetflixViewing = z.infer<typeof NetflixViewing>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function shiftDay(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/**
 * The local days a viewing can have been on. A day (page, quick CSV) is
 * already local. A UTC instant is local day d, the day before (when the UTC
 * hour is before 12: time zones down to UTC−12) or the day after (from 10:00:
 * up to UTC+14), whatever zone the owner watched in.
 */
export function possibleLocalDays(data: Record<string, unknown>): string[] {
  const instant = str(data.watched_at);
  if (data.watched_at_precision !== 'instant' || !instant) {
    const day = str(data.watched_on);
    return day ? [day] : [];
  }
  const day = instant.slice(0, 10);
  const hour = Number(instant.slice(11, 13));
  const days = [day];
  if (hour < 12) days.push(shiftDay(day, -1));
  if (hour >= 10) days.push(shiftDay(day, 1));
  return days;
}

export const netflixProbableDuplicates: ProbableDuplicateRule = {
  reason: 'same title, watched on the same day (time zones considered)',
  matchKeys(data) {
    const title = str(data.title);
    if (!title) return [];
    const normalised = normaliseTitle(title);
    if (!normalised) return [];
    return possibleLocalDays(data).map((day) => `${normalised}|${day}`);
  },
};

function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min`;
  return `${seconds} s`;
}

export const viewingActivityStream: StreamDefinition = {
  name: 'viewing_activity',
  displayName: 'Viewing activity',
  primaryKey: ['id'],
  eventTimeField: 'watched_on',
  crossMethodIdentity: false,
  crossMethodReconciliation: false,
  schema: NetflixViewing,
  probableDuplicates: netflixProbableDuplicates,
  describe(data) {
    const parts = [str(data.title) ?? 'Viewing'];
    const day = str(data.watched_on);
    if (day) parts.push(day);
    const profile = str(data.profile_name);
    if (profile) parts.push(profile);
    return parts.join(' · ');
  },
  present(data) {
    const facts: string[] = [];
    const profile = str(data.profile_name);
    if (profile) facts.push(`Profile ${profile}`);
    if (typeof data.duration_seconds === 'number') facts.push(`Watched ${formatDuration(data.duration_seconds)}`);
    const device = str(data.device_type);
    if (device) facts.push(device);
    return { title: str(data.title) ?? 'Viewing', facts };
  },
  fieldLabels: {
    title: 'Title',
    watched_on: 'Watched on',
    // Shown in the owner's time zone (formatFieldValue), so no "(UTC)".
    watched_at: 'Started at',
    profile_name: 'Profile',
    duration_seconds: 'Seconds watched',
    device_type: 'Device',
    country: 'Country',
    attributes: 'Notes from Netflix',
    title_url: 'Title on Netflix',
  },
};

export const netflixStreams: StreamDefinition[] = [viewingActivityStream];
