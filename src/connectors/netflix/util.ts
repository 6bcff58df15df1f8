/**
 * Small pure helpers shared by the Netflix page extractor and the export
 * parsers: record keys, titles, dates, profiles.
 *
 * No imports on purpose: this file is bundled into the content script that
 * runs on netflix.com, so it must stay free of zod and the CSV machinery.
 */

export const MAX_TITLE = 1000;

/** Collapses whitespace (keeping a French no-break space as written) and trims; `null` for nothing. */
export function cleanText(value: string | null | undefined, max = MAX_TITLE): string | null {
  if (value == null) return null;
  const text = value.replace(/[\t\r\n \u200b\u200e\u200f\ufeff]+/g, ' ').trim();
  if (text === '') return null;
  return text.length > max ? text.slice(0, max) : text;
}

/** 53 bits of a string (cyrb53), seeded. */
function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * A record's key: a hash of its evidence (which kind of source, then the
 * fields that source gives), so keys from different sources never collide.
 * 106 bits as 28 hex digits; synchronous (the content script cannot wait on WebCrypto).
 */
export function evidenceKey(parts: readonly (string | number | null | undefined)[]): string {
  const text = parts.map((part) => (part === null || part === undefined ? '\u0000' : String(part))).join('\u001f');
  return cyrb53(text, 1).toString(16).padStart(14, '0') + cyrb53(text, 2).toString(16).padStart(14, '0');
}

/**
 * A title as the three sources can agree on it: the export says `Show: Season 1:
 * Big Man (Episode 8)`, the page `Show: Season 1: "Big Man"`, the quick CSV
 * `Show: Season 1: Big Man`. Lower case, compatibility forms (a no-break space is
 * a space), a trailing "(Episode 8)" in any language dropped, punctuation gone.
 */
export function normaliseTitle(title: string): string {
  return title
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s*\((?:\p{L}+\.?\s*)?\d+\)\s*$/u, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export type DateOrder = 'DMY' | 'MDY';

interface DateParts {
  a: number;
  b: number;
  year: number;
}

const ISO_DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_DAY_RE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\.?$/;

function localParts(raw: string): DateParts | null {
  const m = LOCAL_DAY_RE.exec(raw.trim());
  if (!m) return null;
  let year = Number(m[3]);
  // Two-digit years: 00–68 are 20xx, 69–99 are 19xx (as Netflix has no earlier history).
  if (m[3]!.length === 2) year += year <= 68 ? 2000 : 1900;
  return { a: Number(m[1]), b: Number(m[2]), year };
}

function isoDay(year: number, month: number, day: number): string | null {
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * What one date proves about its file's order: `DMY` when its first part is
 * above 12 (`15/03/2024`), `MDY` when its second is (`3/15/24`); `null` when
 * it proves nothing (both parts 12 or less, or an ISO date).
 */
export function orderEvidence(raw: string): DateOrder | null {
  const parts = localParts(raw);
  if (!parts) return null;
  if (parts.a > 12 && parts.b <= 12) return 'DMY';
  if (parts.b > 12 && parts.a <= 12) return 'MDY';
  return null;
}

/** Does reading this date need the file's order (a local date whose two parts could swap)? */
export function needsOrder(raw: string): boolean {
  const parts = localParts(raw);
  return !!parts && parts.a <= 12 && parts.b <= 12 && parts.a !== parts.b;
}

/** A displayed date as `YYYY-MM-DD`: ISO as is, a local date in `order`; `null` when unreadable or undecidable. */
export function parseDay(raw: string, order: DateOrder | null): string | null {
  const text = raw.trim();
  const iso = ISO_DAY_RE.exec(text);
  if (iso) return isoDay(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const parts = localParts(text);
  if (!parts) return null;
  const effective = orderEvidence(text) ?? (parts.a === parts.b ? 'MDY' : order);
  if (!effective) return null;
  return effective === 'DMY' ? isoDay(parts.year, parts.b, parts.a) : isoDay(parts.year, parts.a, parts.b);
}

/** The full export's `Start Time` (`2024-03-15 21:04:11`, UTC though unmarked) as an ISO instant. */
export function parseStartTime(raw: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z| ?UTC)?$/.exec(raw.trim());
  if (!m) return null;
  if (!isoDay(Number(m[1]), Number(m[2]), Number(m[3])) || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}

/** `H:MM:SS` as whole seconds; `null` for anything else. */
export function parseDuration(raw: string | null | undefined): number | null {
  const m = raw ? /^(\d{1,4}):([0-5]\d):([0-5]\d)$/.exec(raw.trim()) : null;
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

/**
 * The account hint of one Netflix profile. The full export names profiles only
 * by name (no id), so the name is the identity every method agrees on.
 */
export function profileHint(rawName: string, evidence: string): { key: string; label: string; evidence: string } | undefined {
  const name = cleanText(rawName, 100);
  if (!name) return undefined;
  return { key: `netflix-profile|${name.normalize('NFKC').toLowerCase()}`, label: name, evidence };
}
