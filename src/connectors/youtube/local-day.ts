/**
 * Calendar days in a named time zone, for turning the history page's relative
 * headings ("Today", "Tuesday", "Mar 3") into days and day windows. Uses only
 * `Intl` (formatters cached per zone), no globals: the clock is passed in.
 */

export interface Clock {
  now: Date;
  /** IANA zone, e.g. "America/Los_Angeles". */
  timeZone: string;
}

export interface Ymd {
  y: number;
  m: number;
  d: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of `ms` in `timeZone`. */
function wall(ms: number, timeZone: string): Ymd & { h: number; mi: number; s: number } {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return { y: parts.year!, m: parts.month!, d: parts.day!, h: parts.hour! % 24, mi: parts.minute!, s: parts.second! };
}

/** The zone's offset from UTC at `ms`, in ms. */
function offsetAt(ms: number, timeZone: string): number {
  const w = wall(ms, timeZone);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
}

export function localDay(ms: number, timeZone: string): Ymd {
  const { y, m, d } = wall(ms, timeZone);
  return { y, m, d };
}

/** The instant (ms) a local day starts in `timeZone`. */
export function dayStart(day: Ymd, timeZone: string): number {
  const guess = Date.UTC(day.y, day.m - 1, day.d);
  let at = guess - offsetAt(guess, timeZone);
  const again = guess - offsetAt(at, timeZone);
  if (again !== at) at = again;
  return at;
}

export function addDays(day: Ymd, days: number): Ymd {
  const t = new Date(Date.UTC(day.y, day.m - 1, day.d + days));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** 0 = Sunday. */
export function weekday(day: Ymd): number {
  return new Date(Date.UTC(day.y, day.m - 1, day.d)).getUTCDay();
}

export function isoDay(day: Ymd): string {
  return `${String(day.y).padStart(4, '0')}-${String(day.m).padStart(2, '0')}-${String(day.d).padStart(2, '0')}`;
}

export function compareDays(a: Ymd, b: Ymd): number {
  return a.y - b.y || a.m - b.m || a.d - b.d;
}

/** The browser's clock and zone (the content script's default). */
export function browserClock(): Clock {
  return { now: new Date(), timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' };
}

/**
 * A local day as ISO strings with the zone's offset: its start
 * ("2026-03-13T00:00:00+13:00", whose first ten characters are the day), the
 * next day's start, and its last millisecond.
 */
const dayIsoCache = new Map<string, { start: string; end: string; last: string }>();

export function localDayIso(day: Ymd, timeZone: string): { start: string; end: string; last: string } {
  // Re-extractions of one page ask for the same few days again: remember them (zone rules do not change under a page).
  const cacheKey = `${timeZone} ${isoDay(day)}`;
  const hit = dayIsoCache.get(cacheKey);
  if (hit) return hit;
  if (dayIsoCache.size > 200) dayIsoCache.clear();
  const computed = computeLocalDayIso(day, timeZone);
  dayIsoCache.set(cacheKey, computed);
  return computed;
}

function computeLocalDayIso(day: Ymd, timeZone: string): { start: string; end: string; last: string } {
  const next = addDays(day, 1);
  const startMs = dayStart(day, timeZone);
  const endMs = dayStart(next, timeZone);
  const startOffset = offsetText(Date.UTC(day.y, day.m - 1, day.d) - startMs);
  const endOffset = offsetText(Date.UTC(next.y, next.m - 1, next.d) - endMs);
  return { start: `${isoDay(day)}T00:00:00${startOffset}`, end: `${isoDay(next)}T00:00:00${endOffset}`, last: `${isoDay(day)}T23:59:59.999${endOffset}` };
}

function offsetText(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
