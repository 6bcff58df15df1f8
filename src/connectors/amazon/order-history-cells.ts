/**
 * How one row of Amazon's order history CSV is read: which columns, where
 * they sit in a file's header, a cell cleaned (with a fast path for the
 * clean ones) and placeholders read as nothing, the recipient in a shipping
 * address, and a row's hash for exact-duplicate detection.
 * order-history-reader.ts decides what the rows make.
 */
import { cleanText } from './util';

/** The columns the parser reads, by their header names in Amazon's file. */
export const COLUMNS = ['Order ID', 'Order Date', 'Currency', 'Order Status', 'Shipping Address', 'Payment Instrument Type', 'Website', 'Total Owed', 'ASIN', 'Product Name', 'Quantity', 'Unit Price'] as const;
export type Column = (typeof COLUMNS)[number];
export type CellReader = (row: string[], name: Column) => string | null;
/** Each column's position in the file's rows (-1 when the file lacks it). */
export type ColumnIndexes = Record<Column, number>;

/** `cleanText` with a fast path: most cells need no cleaning, and the check is a cheap scan. */
function cleanCell(value: string | undefined): string | null {
  if (value === undefined) return null;
  const n = value.length;
  if (n === 0 || n > 2000) return cleanText(value);
  let previousSpace = true; // a leading space needs cleaning
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 32) {
      if (previousSpace) return cleanText(value);
      previousSpace = true;
    } else if (c < 32 || c === 0xa0 || c === 0x200b || c === 0x200e || c === 0x200f || (c > 0x1680 && c < 0x3001) || c === 0xfeff || c === 0x85) {
      return cleanText(value);
    } else {
      previousSpace = false;
    }
  }
  return previousSpace ? cleanText(value) : value;
}

/** A cell the reader already cleaned, cut to `max` characters. */
export function bounded(value: string | null, max: number): string | null {
  return value !== null && value.length > max ? value.slice(0, max) : value;
}

/** Where each column the parser reads sits in a file's header, tolerant of case and stray spaces. */
export function columnIndexes(fields: string[]): ColumnIndexes {
  const byNorm = new Map<string, number>();
  fields.forEach((f, index) => {
    const norm = f.replace(/^\uFEFF/, '').trim().toLowerCase();
    if (!byNorm.has(norm)) byNorm.set(norm, index);
  });
  // One object of one shape, resolved once per file: the reader looks columns up a dozen times per row.
  const indexes = {} as ColumnIndexes;
  for (const name of COLUMNS) indexes[name] = byNorm.get(name.toLowerCase()) ?? -1;
  return indexes;
}

/** Reads a cell by header name; the value comes back cleaned (`cleanText`), placeholders as null. */
export function cellReader(indexes: ColumnIndexes): CellReader {
  return (row, name) => {
    const index = indexes[name];
    if (index === -1) return null;
    const value = cleanCell(row[index]);
    if (value === null) return null;
    // Placeholders ("Not Available", "N/A", "null", "none", "-") all start with n, N or -.
    const first = value.charCodeAt(0);
    if ((first === 110 || first === 78 || first === 45) && value.length <= 13 && /^(?:not available|n\/a|null|none|-)$/i.test(value)) return null;
    return value;
  };
}

export function parseQuantity(value: string | null): number | null {
  if (value === null || !/^\d{1,6}$/.test(value)) return null;
  return Number(value);
}

/** "Dana Whitfield, 1200 Alder St, …" → "Dana Whitfield". Without a comma the name cannot be told from the address. */
export function recipientOf(address: string | null): string | null {
  const comma = address ? address.indexOf(',') : -1;
  if (!address || comma === -1) return null;
  const first = cleanText(address.slice(0, comma), 201);
  return first && first.length <= 200 ? first : null;
}

/** A 53-bit hash of a row's cells (two FNV-1a passes), cheap to keep per order. */
export function rowHash(cells: string[], width: number): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ width;
  for (let c = 0; c < width; c++) {
    const cell = cells[c] ?? '';
    for (let i = 0; i < cell.length; i++) {
      const code = cell.charCodeAt(i);
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x5bd1e995);
    }
    a = Math.imul(a ^ 0x1f, 0x01000193);
    b = Math.imul(b ^ 0x1f, 0x5bd1e995);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

/**
 * A copy of `text` that holds no reference to the string it was cut from. A short slice of a long
 * string (a cell of the decoded text) keeps all of that string alive while it lives.
 */
export function detached(text: string): string {
  // Joining makes a new string, and cutting it flattens it into text of its own.
  return ` ${text}`.slice(1);
}
