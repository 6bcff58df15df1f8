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

/**
 * `2023-02-08T03:41:19Z` → day `2023-02-08` (in UTC; `2023-02-07` in
 * Portland: the day the owner saw the order placed) and the instant. A bare
 * day stays that day; a clock time without a zone names no instant, so only
 * its written day is kept. `null` for anything that is not a real date.
 */
export function orderTimes(value: string): OrderTimes | null {
  if (value.length > 40) return null;
  const m = DATE_TIME_RE.exec(value);
  if (!m || !isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))) return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  const written = value.slice(0, 10);
  if (!m[4]) return { day: written, at };
  const local = new Date(at);
  const day = `${pad(local.getFullYear(), 4)}-${pad(local.getMonth() + 1)}-${pad(local.getDate())}`;
  return { day, instant: STRICT_INSTANT_RE.test(value) ? value : local.toISOString(), at };
}
