/** Owner-facing wording shared by the popup and dashboard. */
import type { AcquisitionMethod, BatchCounts } from '../core/model';
import { localDayOf } from '../core/local-day';

/**
 * The owner's one vocabulary for how records arrive: each method has one name
 * (`source`: "your export", "pages you visited") used in every phrase the
 * popup, dashboard, receipts and demo show.
 */
const METHOD_WORDS: Record<AcquisitionMethod, { label: string; source: string; tag: string }> = {
  owner_artifact: { label: 'Imported from your export', source: 'Your export', tag: 'Export' },
  browser_polyfill: { label: 'Captured from pages you visited', source: 'Pages you visited', tag: 'Pages' },
  provider_api: { label: 'From the service’s API', source: 'The service’s API', tag: 'API' },
  device_sync: { label: 'Synced from a device', source: 'A device', tag: 'Device' },
  device_backup: { label: 'From a device backup', source: 'A device backup', tag: 'Backup' },
};

/** "Imported from your export": what a receipt or a line about one batch says. */
export function methodLabel(method: AcquisitionMethod): string {
  return METHOD_WORDS[method].label;
}

/** "Your export" / "Pages you visited": the method as a source, for lanes, filters and lists. */
export function methodSource(method: AcquisitionMethod): string {
  return METHOD_WORDS[method].source;
}

/** "Export" / "Pages": the short tag beside a record. */
export function methodTag(method: AcquisitionMethod): string {
  return METHOD_WORDS[method].tag;
}

/** "complete" / "partly seen", and what "partly seen" means, wherever a covered window is shown. */
export function completenessWord(completeness: 'full' | 'partial'): string {
  return completeness === 'full' ? 'complete' : 'partly seen';
}
export const PARTIAL_MEANS = 'Partly seen: Gleaner saw records from this period, but the source did not show that it was all of them (an export with rows it could not read, or one page of several). Nothing is ever marked gone on the strength of a partly seen period.';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Mar 2, 2024" from `2024-03-02` or an ISO instant (its calendar day as written). */
export function formatDay(time: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(time);
  if (!match) return time;
  return `${MONTHS[Number(match[2]) - 1] ?? match[2]} ${Number(match[3])}, ${match[1]}`;
}

/**
 * A record's day as the owner lives it: a bare day as written, an instant
 * ("2024-03-02T01:30:00Z") on the owner's own calendar (Mar 1 in Los Angeles),
 * so the Date column agrees with the times shown beside it.
 */
export function formatEventDay(eventTime: string): string {
  if (!/T\d{2}:\d{2}/.test(eventTime)) return formatDay(eventTime);
  const date = new Date(eventTime);
  if (Number.isNaN(date.getTime())) return formatDay(eventTime);
  return formatDay(localDayOf(date));
}

export function formatWindow(start: string, end: string): string {
  return start.slice(0, 10) === end.slice(0, 10) ? formatDay(start) : `${formatDay(start)} – ${formatDay(end)}`;
}

export function summariseCounts(counts: BatchCounts): string {
  const parts = [`${counts.parsed} seen`, `${counts.new} new`, `${counts.updated} updated`, `${counts.alreadyKnown} already known`];
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  if (counts.failed) parts.push(`${counts.failed} could not be read`);
  if (counts.tombstoned) parts.push(`${counts.tombstoned} marked gone`);
  if (counts.restored) parts.push(`${counts.restored} back again`);
  return parts.join(', ');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(1)} GB`;
}

/** "Mar 2 – Nov 20, 2024" within one year, "all of 2024" for a whole year, else both years. */
export function formatShortWindow(start: string, end: string): string {
  const a = start.slice(0, 10);
  const b = end.slice(0, 10);
  if (a === b) return formatDay(a);
  if (a.slice(0, 4) === b.slice(0, 4)) {
    if (a.slice(5) === '01-01' && b.slice(5) === '12-31') return `all of ${a.slice(0, 4)}`;
    return `${formatDay(a).replace(/, \d{4}$/, '')} – ${formatDay(b)}`;
  }
  return `${formatDay(a)} – ${formatDay(b)}`;
}

/**
 * What a full claim assembled from several pages means: "All of 2024: 43 orders
 * on 5 pages of Your Orders, seen within an hour" (the claim's evidence, read
 * back in receipts and in why a record was marked gone).
 */
export function pagesTogetherInWords(run: PagesRun & { spanWords: string }): string {
  return `${capitalise(formatShortWindow(run.start, run.end))}: ${recordsOnPages(run)}, seen within ${run.spanWords}`;
}

/** A list's window read from several pages, as the owner is told about it. */
export interface PagesRun {
  start: string;
  end: string;
  /** Records of the list's first stream on all its pages (orders). */
  records: number;
  pages: number;
  noun: { one: string; other: string };
  /** The service's name for the pages ("Your Orders"). */
  pagesName?: string;
}

/** "3 orders on 2 pages of Your Orders": what the pages of one list hold together. */
export function recordsOnPages(run: Pick<PagesRun, 'records' | 'pages' | 'noun' | 'pagesName'>): string {
  return `${plural(run.records, run.noun.one, run.noun.other)} on ${run.pages} pages${run.pagesName ? ` of ${run.pagesName}` : ''}`;
}

/** "Kept all of 2023 for Dana: 3 orders on 2 pages of Your Orders": the popup's headline after a page completed a list's window. */
export function keptPagesInWords(run: PagesRun, account?: string): string {
  return `Kept ${formatShortWindow(run.start, run.end)}${account ? ` for ${account}` : ''}: ${recordsOnPages(run)}`;
}

/** "just now", "5 minutes ago", "3 hours ago", "yesterday", else the day. */
export function relativeTime(at: string, now = new Date().toISOString()): string {
  const seconds = (Date.parse(now) - Date.parse(at)) / 1000;
  if (!Number.isFinite(seconds)) return at;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) {
    const minutes = Math.floor(seconds / 60);
    return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  }
  if (seconds < 86_400) {
    const hours = Math.floor(seconds / 3600);
    return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  }
  if (seconds < 2 * 86_400) return 'yesterday';
  return `on ${formatDay(at)}`;
}

/** "Nov 28, 2026, 14:05" (UTC-free: the browser's local time). */
export function formatMoment(at: string): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return at;
  return `${formatEventDay(at)}, ${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** "1 order" / "3 orders" from a count and its two nouns. */
export function plural(count: number, one: string, other: string): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : other}`;
}

/** "orders", "orders or items", "orders, items or returns". */
export function joinWithOr(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** "17 orders · 22 items" from counts and their nouns; zero counts left out unless every count is zero ("0 orders"). */
export function countsInNouns(counts: readonly { total: number; one: string; other: string }[]): string {
  const shown = counts.filter((count) => count.total > 0);
  return (shown.length ? shown : counts.slice(0, 1)).map((count) => plural(count.total, count.one, count.other)).join(' · ');
}

/** A connection's visible records in the service's nouns ("7 orders · 9 items"), from `connections.list`'s `streamCounts`. */
export function connectionCounts(summary: { visibleRecords: number; streamCounts?: readonly { count: number; one: string; other: string }[] }): string {
  if (!summary.streamCounts?.length) return plural(summary.visibleRecords, 'record', 'records');
  return countsInNouns(summary.streamCounts.map((entry) => ({ total: entry.count, one: entry.one, other: entry.other })));
}

/** The text cut at `max` characters with an ellipsis (for long product names). */
export function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

/** "Order" from "order": a noun at the start of a line. */
export function capitalise(text: string): string {
  return text ? `${text[0]!.toUpperCase()}${text.slice(1)}` : text;
}

/**
 * A record's field value for the owner: days as "Dec 31, 2024", instants in
 * local time, numbers grouped, anything else as stored; '—' when empty.
 */
export function formatFieldValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'number') return value.toLocaleString('en-US');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') {
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return formatDay(value);
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return formatMoment(value);
    return value;
  }
  return JSON.stringify(value);
}

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "March 2021" from `2021-03-…`. */
export function formatMonth(time: string): string {
  const match = /^(\d{4})-(\d{2})/.exec(time);
  if (!match) return time;
  return `${MONTH_NAMES[Number(match[2]) - 1] ?? match[2]} ${match[1]}`;
}

/**
 * A run of whole months as a span, for quiet stretches of a history: "in
 * March 2021", "from March to May 2021", "from November 2020 to February 2021".
 */
export function formatMonthSpan(start: string, end: string): string {
  const a = start.slice(0, 7);
  const b = end.slice(0, 7);
  if (a === b) return `in ${formatMonth(a)}`;
  if (a.slice(0, 4) === b.slice(0, 4)) return `from ${formatMonth(a).replace(/ \d{4}$/, '')} to ${formatMonth(b)}`;
  return `from ${formatMonth(a)} to ${formatMonth(b)}`;
}

/**
 * A sentence written elsewhere (a tombstone's reason, a parser's note) with
 * its ISO days and instants in the one date format: "2024-01-01" → "Jan 1, 2024".
 */
export function datesInWords(text: string): string {
  return text.replace(/\b(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b/g, (whole, day: string, time?: string) => (time ? formatMoment(whole) : formatDay(day)));
}

/** A record's facts (its stream's `present()`) as one line: "Priya Codes · Watched Dec 1, 2026, 15:03", its days and instants in the owner's words and time zone. */
export function factsInWords(facts: readonly string[]): string {
  return facts.map(datesInWords).join(' · ');
}

/**
 * How a source's value stands to the kept one: the same, the same moment
 * seen as days in two time zones (two days one apart: a page dates in the
 * shopper's zone, an export in UTC), or a real difference.
 */
export function fieldDifference(said: unknown, kept: unknown): 'same' | 'time_zone' | 'differs' {
  if (sameFieldValue(said, kept)) return 'same';
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (typeof said === 'string' && typeof kept === 'string' && day.test(said) && day.test(kept)) {
    if (Math.abs(Date.parse(`${said}T00:00:00Z`) - Date.parse(`${kept}T00:00:00Z`)) === 86_400_000) return 'time_zone';
  }
  return 'differs';
}

/**
 * Do two field values say the same thing? Equal values do; so does a day and
 * an instant on that same day (a page shows "Sep 2, 2023", the export says
 * 2023-09-02T15:09:26Z): a difference of precision, not of fact.
 */
export function sameFieldValue(said: unknown, kept: unknown): boolean {
  if (formatFieldValue(said) === formatFieldValue(kept)) return true;
  if (typeof said !== 'string' || typeof kept !== 'string') return false;
  const day = /^\d{4}-\d{2}-\d{2}$/;
  const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
  const pair = day.test(said) && instant.test(kept) ? [said, kept] : day.test(kept) && instant.test(said) ? [kept, said] : undefined;
  if (!pair) return false;
  // The day is the service's local calendar day, the instant is in UTC: up to a day apart for the same moment.
  const [dayValue, instantValue] = pair as [string, string];
  const apart = Math.abs(Date.parse(`${dayValue}T00:00:00Z`) - Date.parse(`${instantValue.slice(0, 10)}T00:00:00Z`)) / 86_400_000;
  return apart <= 1;
}

/**
 * "This history has no orders from March to May 2021.": months without
 * purchases are a fact about the history, not missing data. Many quiet
 * stretches are counted, with the longest named.
 */
export function quietMonths(gaps: readonly { start: string; end: string }[], stream = 'records'): string {
  const noun = stream.replace(/_/g, ' ');
  if (gaps.length > 3) {
    const months = (gap: { start: string; end: string }) => (Number(gap.end.slice(0, 4)) - Number(gap.start.slice(0, 4))) * 12 + Number(gap.end.slice(5, 7)) - Number(gap.start.slice(5, 7)) + 1;
    const longest = gaps.reduce((best, gap) => (months(gap) > months(best) ? gap : best), gaps[0]!);
    return `This history has ${gaps.length} stretches of three months or more with no ${noun}; the longest ${formatMonthSpan(longest.start, longest.end).replace(/^from /, 'ran from ')}.`;
  }
  const spans = gaps
    .slice()
    .sort((a, b) => a.start.localeCompare(b.start))
    .map((gap) => formatMonthSpan(gap.start, gap.end));
  const joined = spans.length > 1 ? `${spans.slice(0, -1).join(', ')} and ${spans.at(-1)}` : spans[0];
  return `This history has no ${noun} ${joined}.`;
}
