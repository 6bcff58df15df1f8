/**
 * Small pure helpers shared by the Amazon page extractor and the CSV parser.
 *
 * No imports on purpose: this file is bundled into the content script that
 * runs on amazon.com, so it must stay free of zod, papaparse and fflate.
 */

/** Retail order ids (`111-2222222-3333333`) and digital ones (`D01-2222222-3333333`). */
export const ORDER_ID_PATTERN = '(?:\\d{3}|D\\d{2})-\\d{7}-\\d{7}';
export const ORDER_ID_RE = new RegExp(`^${ORDER_ID_PATTERN}$`);
/** Finds an order id inside running text. */
export const ORDER_ID_IN_TEXT_RE = new RegExp(`(?<![\\w-])(${ORDER_ID_PATTERN})(?![\\w-])`);

/** An ASIN: ten upper-case letters or digits. */
export const ASIN_RE = /^[A-Z0-9]{10}$/;
/** `/dp/<ASIN>` or `/gp/product/<ASIN>` (optionally after a slug: `/Some-Title/dp/<ASIN>`). */
export const ASIN_IN_PATH_RE = /\/(?:dp|gp\/product|gp\/aw\/d)\/([A-Z0-9]{10})(?=[/?#]|$)/;

export const MAX_TEXT = 2000;

/** Collapses whitespace and trims; `null` for nothing, never `''`. Bounded to `max` characters. */
export function cleanText(value: string | null | undefined, max = MAX_TEXT): string | null {
  if (value == null) return null;
  const text = value.replace(/[\s\u00a0\u200b\u200e\u200f]+/g, ' ').trim();
  if (text === '') return null;
  return text.length > max ? text.slice(0, max) : text;
}

/** Drops keys whose value is `undefined` (missing values are omitted, not invented). */
export function compact<T extends Record<string, unknown>>(record: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const value = record[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Lower-case, accent-preserving, whitespace-collapsed title used as an item key when there is no ASIN. */
export function normalizeItemName(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\u00a0]+/g, ' ')
    .trim()
    .slice(0, 300);
}

/** `order_items` key part: the ASIN, or `name:` + normalised title. `null` when neither is known. */
export function itemKey(asin: string | null | undefined, name: string | null | undefined): string | null {
  if (asin && ASIN_RE.test(asin)) return asin;
  const normalized = name ? normalizeItemName(name) : '';
  return normalized ? `name:${normalized}` : null;
}

/** An `order_items` record's `id` and key: `<order id>|<item key>` (the reference manifest's item id). */
export function orderItemId(orderId: string, key: string): string {
  return `${orderId}|${key}`;
}

const MONTHS: Record<string, number> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5,
  jun: 6, june: 6, jul: 7, july: 7, aug: 8, august: 8, sep: 9, sept: 9, september: 9,
  oct: 10, october: 10, nov: 11, november: 11, dec: 12, december: 12,
};

function isValidDay(y: number, m: number, d: number): boolean {
  if (y < 1990 || y > 2100 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
  return d <= days;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * "January 15, 2024", "Jan 15 2024" or "15 January 2024" (anywhere in `text`)
 * → "2024-01-15". Parsed by hand: the Date parser would read it in some
 * zone and shift the day. `null` when no complete date is present.
 */
export function parseMonthDate(text: string): string | null {
  const mdy = /\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b/.exec(text);
  const dmy = mdy ? null : /\b(\d{1,2})\.?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b/.exec(text);
  let month: number | undefined;
  let day: number;
  let year: number;
  if (mdy) {
    month = MONTHS[(mdy[1] ?? '').toLowerCase()];
    day = Number(mdy[2]);
    year = Number(mdy[3]);
  } else if (dmy) {
    month = MONTHS[(dmy[2] ?? '').toLowerCase()];
    day = Number(dmy[1]);
    year = Number(dmy[3]);
  } else {
    return null;
  }
  if (month === undefined || !isValidDay(year, month, day)) return null;
  return `${year}-${pad2(month)}-${pad2(day)}`;
}

const SYMBOL_CURRENCY: Record<string, string> = { $: 'USD', '£': 'GBP', '€': 'EUR', '¥': 'JPY' };

export interface Money {
  /** The amount as displayed (for a page) or formatted from the cents (for a file). */
  display: string;
  cents: number;
  currency: string | null;
}

/**
 * Reads the first money amount in `text`: "$1,234.56" → 123456 cents, "23.99"
 * → 2399. Integer arithmetic only. `null` for "Not Available" and the like.
 */
export function parseMoney(text: string | null | undefined): Money | null {
  if (!text) return null;
  const plain = plainAmount(text);
  if (plain !== undefined) return plain;
  const m = /(-)?\s*([$£€¥]|\b[A-Z]{3}\b)?\s*(-)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?![\d,])/.exec(text);
  if (!m) return null;
  const whole = Number((m[4] ?? '').replace(/,/g, ''));
  const frac = Number(((m[5] ?? '') + '00').slice(0, 2));
  if (!Number.isSafeInteger(whole) || whole > 1e11) return null;
  const negative = Boolean(m[1] || m[3]);
  const cents = (negative ? -1 : 1) * (whole * 100 + frac);
  const symbol = m[2];
  const currency = symbol ? (SYMBOL_CURRENCY[symbol] ?? (/^[A-Z]{3}$/.test(symbol) ? symbol : null)) : null;
  const display = cleanText(m[0], 64) ?? m[0];
  return { display, cents, currency };
}

/**
 * The common case of an export cell, "23.99" or "7" (digits, optionally a dot and
 * one or two digits), read without the regular expression; the same result as
 * `parseMoney`'s general path. `undefined` for anything else.
 */
function plainAmount(text: string): Money | null | undefined {
  const n = text.length;
  let dot = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && dot === -1 && i > 0) dot = i;
    else if (c < 48 || c > 57) return undefined;
  }
  const wholeDigits = dot === -1 ? n : dot;
  const fracDigits = dot === -1 ? 0 : n - dot - 1;
  if (wholeDigits > 12 || (dot !== -1 && (fracDigits < 1 || fracDigits > 2))) return undefined;
  const whole = Number(text.slice(0, wholeDigits));
  if (whole > 1e11) return null;
  const frac = fracDigits === 0 ? 0 : fracDigits === 1 ? Number(text[dot + 1]) * 10 : Number(text.slice(dot + 1));
  return { display: text, cents: whole * 100 + frac, currency: null };
}

/** 123456 cents, 'USD' → "$1,234.56"; other currencies → "1,234.56 EUR"; unknown → "1,234.56". */
export function formatCents(cents: number, currency: string | null | undefined): string {
  const negative = cents < 0;
  const abs = Math.abs(cents);
  const units = Math.floor(abs / 100);
  // Most amounts are under 1,000: no thousands separator to place.
  const whole = units < 1000 ? String(units) : units.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const amount = `${whole}.${pad2(abs % 100)}`;
  const sign = negative ? '-' : '';
  if (currency === 'USD') return `${sign}$${amount}`;
  if (!currency) return `${sign}${amount}`;
  return `${sign}${amount} ${currency}`;
}

/** "www.amazon.com" / "Amazon.com" → "amazon.com". */
export function marketplaceOf(hostOrWebsite: string): string | null {
  const cleaned = cleanText(hostOrWebsite, 100);
  if (!cleaned) return null;
  return cleaned.toLowerCase().replace(/^www\./, '');
}

/**
 * The account hint for a name on a marketplace: the same key whether the name
 * came from the page's greeting or from the owner typing it at import time.
 */
export function accountHintFor(marketplace: string, rawName: string, evidence: string): { key: string; label: string; evidence: string } | undefined {
  const name = cleanText(rawName.replace(/[!.]+$/, ''), 100);
  if (!name || /^sign in$/i.test(name)) return undefined;
  return { key: `${marketplace}|${name.toLowerCase()}`, label: `${name} on ${marketplace}`, evidence };
}
