/**
 * The export's "Order Date" as Gleaner stores it: `order_date`, the calendar
 * day (what the page shows and the PDPP reference manifest declares), and
 * `ordered_at`, the instant itself when the file gives one.
 *
 * Not in util.ts: the day comes from Date's local getters, and the content
 * script stays free of Date parsing (it reads days as the page writes them).
 */

/** What zod's `z.iso.datetime({ offset: true })` accepts (seconds, `Z` or `±hh:mm`). */
const STRICT_INSTANT_RE = /^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export interface OrderTimes {
  /** `YYYY-MM-DD`: the instant's day in the browser's local time zone, or the day as written. */
  day: string;
  /** The ISO instant, when the value names one (as given when already strict ISO, else normalised to UTC). */
  instant?: string;
  /** Milliseconds since the epoch, for picking the earliest of several rows. */
  at: number;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** A real calendar day: Date would roll 2023-02-30 over to March. */
function isCalendarDay(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** `-01` … `-31`: a day or month with its dash, made once (every order's day is written). */
const DASHED = Array.from({ length: 32 }, (_, n) => `-${pad(n)}`);

/** The local calendar day of an instant, `YYYY-MM-DD`. */
function localDay(at: number): string {
  const local = new Date(at);
  const year = local.getFullYear();
  return (year >= 1000 && year <= 9999 ? String(year) : pad(year, 4)) + DASHED[local.getMonth() + 1]! + DASHED[local.getDate()]!;
}

/** The number written in `value` at [from, from + length), or -1 unless all of it is ASCII digits. */
function digitsAt(value: string, from: number, length: number): number {
  let out = 0;
  for (let i = from; i < from + length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    out = out * 10 + digit;
  }
  return out;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `YYYY-MM-DDTHH:MM:SSZ`, the shape of every Order Date Amazon writes, read by hand: what the general
 * path of `orderTimes` gives for it (the test compares them), without its regular expressions, its
 * `Date.parse` and its second Date. `undefined` for any other text, which the general path reads.
 */
function zuluTimes(value: string): OrderTimes | null | undefined {
  if (value.length !== 20 || value.charCodeAt(19) !== 90 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45 || value.charCodeAt(10) !== 84 || value.charCodeAt(13) !== 58 || value.charCodeAt(16) !== 58) return undefined;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const date = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const second = digitsAt(value, 17, 2);
  // Years before 1000 (Date.UTC reads 0–99 as 19xx) and times Date.parse treats apart (24:00) take the general path.
  if (year < 1000 || month < 0 || date < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  const leap = month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0);
  if (month < 1 || month > 12 || date < 1 || date > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)) return null;
  const at = Date.UTC(year, month - 1, date, hour, minute, second);
  return { day: localDay(at), instant: value, at };
}

/**
 * `2023-02-08T03:41:19Z` → day `2023-02-08` (in UTC; `2023-02-07` in
 * Portland: the day the owner saw the order placed) and the instant. A bare
 * day stays that day; a clock time without a zone names no instant, so only
 * its written day is kept. `null` for anything that is not a real date.
 */
export function orderTimes(value: string): OrderTimes | null {
  const zulu = zuluTimes(value);
  return zulu !== undefined ? zulu : orderTimesOf(value);
}

/** `orderTimes` for any text (exported for the test that holds the fast path to it). */
export function orderTimesOf(value: string): OrderTimes | null {
  if (value.length > 40) return null;
  const m = DATE_TIME_RE.exec(value);
  if (!m || !isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))) return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  const written = value.slice(0, 10);
  if (!m[4]) return { day: written, at };
  return { day: localDay(at), instant: STRICT_INSTANT_RE.test(value) ? value : new Date(at).toISOString(), at };
}
