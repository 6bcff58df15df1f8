/** Small pure helpers shared by X's page extractor and archive parser. */
import type { AccountHint } from '../../core/model';

/** A post id (snowflake) or user id: decimal digits, as X writes them in strings. */
export const X_ID_RE = /^\d{1,20}$/;
/** A handle as X allows it (1–15 letters, digits, underscore). */
export const HANDLE_RE = /^[A-Za-z0-9_]{1,15}$/;

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
/** `Wed Jun 05 13:45:22 +0000 2024`, parsed by this explicit English format only. */
const ARCHIVE_DATE_RE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$/;

/** The archive's `created_at` as an ISO instant (`2024-06-05T13:45:22.000Z`), or undefined when it is not in X's format. */
export function parseArchiveDate(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const m = ARCHIVE_DATE_RE.exec(raw.trim());
  if (!m) return undefined;
  const [, mon, day, hh, mm, ss, sign, oh, om, year] = m;
  const offset = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const wall = Date.UTC(Number(year), MONTHS[mon!]!, Number(day), Number(hh), Number(mm), Number(ss));
  // Date.UTC rolls Feb 31 over into March: such a date is not one X writes.
  if (Number.isNaN(wall) || new Date(wall).getUTCDate() !== Number(day) || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) return undefined;
  return new Date(wall - offset * 60_000).toISOString();
}

/** Any ISO instant (a page's `datetime`, the archive's `deleted_at`) in one canonical form, so equal instants are equal strings. */
export function canonicalInstant(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(raw)) return parseArchiveDate(raw);
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** The archive escapes `full_text` as HTML (`&amp;`, `&lt;`, `&gt;`, numeric references); the page shows the plain text. */
export function unescapeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos|nbsp);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[name.toLowerCase()] ?? whole;
  });
}

/** A number X wrote as a string (`"12"`), or a page's count (`"1,204"`); undefined when it is none. */
export function countOf(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isInteger(raw) && raw >= 0 ? raw : undefined;
  if (typeof raw !== 'string' || !/^\d{1,3}(?:,?\d{3})*$|^\d{1,12}$/.test(raw.trim())) return undefined;
  const n = Number(raw.trim().replace(/,/g, ''));
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The account hint for X user `id`: pages know it from the `twid` cookie, the archive from `data/account.js`. */
export function xAccountHint(id: string, handle: string | undefined, evidence: string): AccountHint {
  return { key: `x:${id}`, label: handle ? `@${handle}` : `X account ${id}`, evidence };
}

/** `https://x.com/<handle>/status/<id>` (with `i/web` when the handle is unknown). */
export function postUrl(id: string, handle: string | undefined): string {
  return `https://x.com/${handle ?? 'i/web'}/status/${id}`;
}

/** Drops undefined and null values (missing stays missing, never ''). */
export function compact<T extends Record<string, unknown>>(data: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) if (value !== undefined && value !== null && value !== '') out[key] = value;
  return out;
}
