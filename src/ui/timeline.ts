/**
 * Coverage timeline geometry, pure: which windows each acquisition method
 * covers, the gaps nothing covers, and where each lands on a 0–1000 axis.
 * The dashboard draws it as SVG; unit tests check the numbers.
 */
import type { AcquisitionMethod, Completeness } from '../core/model';

export interface DayWindow {
  start: string;
  end: string;
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a `YYYY-MM-DD` (or the day of an ISO instant). */
export function dayNumber(day: string): number {
  const [y, m, d] = day.slice(0, 10).split('-').map(Number);
  return Math.round(Date.UTC(y!, m! - 1, d!) / DAY_MS);
}

export function dayString(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** Overlapping or touching (next-day) windows joined; sorted by start. */
export function unionWindows(windows: readonly DayWindow[]): DayWindow[] {
  const sorted = windows.map((w) => ({ start: w.start.slice(0, 10), end: w.end.slice(0, 10) })).sort((a, b) => a.start.localeCompare(b.start));
  const out: DayWindow[] = [];
  for (const window of sorted) {
    const last = out[out.length - 1];
    if (last && dayNumber(window.start) <= dayNumber(last.end) + 1) {
      if (window.end > last.end) last.end = window.end;
    } else out.push({ ...window });
  }
  return out;
}

export interface Gap extends DayWindow {
  days: number;
  /** `between`: two covered spans; `since`: from the last covered day to today. */
  kind: 'between' | 'since';
}

/** Days nothing covers: between covered spans, and from the last one up to `today` when given. */
export function coverageGaps(windows: readonly DayWindow[], today?: string): Gap[] {
  const union = unionWindows(windows);
  const gaps: Gap[] = [];
  for (let index = 1; index < union.length; index += 1) {
    const from = dayNumber(union[index - 1]!.end) + 1;
    const to = dayNumber(union[index]!.start) - 1;
    if (to >= from) gaps.push({ start: dayString(from), end: dayString(to), days: to - from + 1, kind: 'between' });
  }
  const last = union[union.length - 1];
  if (last && today) {
    const from = dayNumber(last.end) + 1;
    const to = dayNumber(today);
    if (to >= from) gaps.push({ start: dayString(from), end: dayString(to), days: to - from + 1, kind: 'since' });
  }
  return gaps;
}

export interface LaneInput {
  method: AcquisitionMethod;
  windows: { start: string; end: string; completeness: Completeness; batchIds: string[] }[];
  tombstoned: number;
}

export interface PlacedWindow {
  start: string;
  end: string;
  completeness: Completeness;
  batchIds: string[];
  x: number;
  width: number;
}

export interface TimelineLayout {
  /** The axis: first and last day drawn. */
  domain: DayWindow;
  width: number;
  ticks: { day: string; x: number; label: string }[];
  lanes: { method: AcquisitionMethod; tombstoned: number; windows: PlacedWindow[]; coveredDays: number }[];
  gaps: (Gap & { x: number; width: number })[];
}

export const TIMELINE_WIDTH = 1000;
/** A window of one day is still visible. */
const MIN_WIDTH = 3;

/** Lanes in the order the owner reads them: history first, then what browsing keeps current. */
const LANE_ORDER: AcquisitionMethod[] = ['owner_artifact', 'browser_polyfill', 'provider_api', 'device_sync', 'device_backup'];

/**
 * Lays out one stream's lanes. The axis runs from January 1 of the earliest
 * covered year to `today` (or the last covered day, if later), so a stale
 * export shows as the gap it is.
 */
export function layoutTimeline(input: readonly LaneInput[], options: { today?: string; width?: number; always?: AcquisitionMethod[] } = {}): TimelineLayout | undefined {
  const width = options.width ?? TIMELINE_WIDTH;
  const methods = new Set<AcquisitionMethod>([...(options.always ?? []), ...input.map((lane) => lane.method)]);
  const lanes = [...methods]
    .sort((a, b) => LANE_ORDER.indexOf(a) - LANE_ORDER.indexOf(b))
    .map((method) => input.find((lane) => lane.method === method) ?? { method, windows: [], tombstoned: 0 });
  const all = lanes.flatMap((lane) => lane.windows);
  if (all.length === 0) return undefined;
  const first = all.reduce((min, w) => (w.start < min ? w.start : min), all[0]!.start).slice(0, 10);
  let last = all.reduce((max, w) => (w.end > max ? w.end : max), all[0]!.end).slice(0, 10);
  if (options.today && options.today > last) last = options.today.slice(0, 10);
  const domain = { start: `${first.slice(0, 4)}-01-01`, end: last };
  const d0 = dayNumber(domain.start);
  const span = Math.max(1, dayNumber(domain.end) + 1 - d0);
  const x = (day: string) => ((dayNumber(day) - d0) / span) * width;
  const xEnd = (day: string) => ((dayNumber(day) + 1 - d0) / span) * width;
  const place = (start: string, end: string) => {
    const left = x(start);
    return { x: round(left), width: round(Math.max(MIN_WIDTH, xEnd(end) - left)) };
  };

  const firstYear = Number(domain.start.slice(0, 4));
  const lastYear = Number(domain.end.slice(0, 4));
  const years = lastYear - firstYear + 1;
  const step = years <= 8 ? 1 : years <= 16 ? 2 : years <= 40 ? 5 : 10;
  const ticks = [];
  for (let year = firstYear; year <= lastYear; year += step) ticks.push({ day: `${year}-01-01`, x: round(x(`${year}-01-01`)), label: String(year) });

  return {
    domain,
    width,
    ticks,
    lanes: lanes.map((lane) => ({
      method: lane.method,
      tombstoned: lane.tombstoned,
      coveredDays: unionWindows(lane.windows).reduce((sum, w) => sum + dayNumber(w.end) - dayNumber(w.start) + 1, 0),
      windows: lane.windows.map((w) => ({ start: w.start.slice(0, 10), end: w.end.slice(0, 10), completeness: w.completeness, batchIds: w.batchIds, ...place(w.start, w.end) })),
    })),
    gaps: coverageGaps(all, options.today).map((gap) => ({ ...gap, ...place(gap.start, gap.end) })),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** "4 months", "2 years", "12 days": how long a gap is, roughly. */
export function describeDuration(days: number): string {
  if (days < 45) return `${days} day${days === 1 ? '' : 's'}`;
  if (days < 548) {
    const months = Math.round(days / 30.44);
    return `${months} month${months === 1 ? '' : 's'}`;
  }
  const years = Math.round((days / 365.25) * 10) / 10;
  return `${years % 1 === 0 ? years.toFixed(0) : years.toFixed(1)} years`;
}
