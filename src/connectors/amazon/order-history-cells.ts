/**
 * How one row of Amazon's order history CSV is read: which columns, where
 * they sit in a file's header, a cell cleaned (with a fast path for the
 * clean ones) and placeholders read as nothing, the recipient in a shipping
 * address, and rows' hashes for exact-duplicate detection.
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

const LANE_A_PRIME = 0x01000193; // FNV-1a's 32-bit prime
const LANE_B_PRIME = 0x5bd1e995; // MurmurHash2's multiplier: a second lane unlike the first

/** Cells this long or longer are kept per column for comparison (see RowHasher). */
const LONG_CELL = 32;
/** The lanes of the last cell `hashCell` hashed: two results without an object per cell. */
let cellA = 0;
let cellB = 0;

function hashCell(cell: string): void {
  const n = cell.length;
  // The length first, so the words of cells of different lengths never line up.
  let a = Math.imul(0x811c9dc5 ^ n, LANE_A_PRIME);
  let b = Math.imul(0x050c5d1f ^ n, LANE_B_PRIME);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const word = cell.charCodeAt(i) | (cell.charCodeAt(i + 1) << 16);
    a = Math.imul(a ^ word, LANE_A_PRIME);
    b = Math.imul(b ^ word, LANE_B_PRIME);
  }
  if (i < n) {
    const last = cell.charCodeAt(i);
    a = Math.imul(a ^ last, LANE_A_PRIME);
    b = Math.imul(b ^ last, LANE_B_PRIME);
  }
  cellA = a;
  cellB = b;
}

/**
 * 53-bit hashes of rows' cells for exact-duplicate detection, cheap to keep per order. A false match
 * would drop a real row, so: each cell is hashed with its length first, two UTF-16 code units per
 * 32-bit word (half the multiplications of one per character), in two lanes; a row mixes its cells'
 * lanes in order. Each step (xor a word, multiply by an odd number) is a bijection of the lane, so two
 * rows that differ in one 32-bit word (one character, or two sharing a word), in place, always differ
 * in lane A, whose 32 bits are all kept; other different rows share a hash with odds near 2^-53.
 * A file's rows repeat their long cells (the addresses): each column keeps its last long cell and
 * its lanes, and an equal one is compared, not hashed again. A comparison costs about as much as
 * hashing 30 characters, so shorter cells are hashed at once.
 */
export class RowHasher {
  private cells: string[] = [];
  private laneA: number[] = [];
  private laneB: number[] = [];

  hash(row: string[], width: number): number {
    let a = 0x811c9dc5 ^ width;
    let b = 0x01000193 ^ width;
    const { cells, laneA, laneB } = this;
    for (let c = 0; c < width; c++) {
      const cell = row[c] ?? '';
      if (cell.length < LONG_CELL) {
        hashCell(cell);
        a = Math.imul(a ^ cellA, LANE_A_PRIME);
        b = Math.imul(b ^ cellB, LANE_B_PRIME);
        continue;
      }
      if (c >= cells.length || cell !== cells[c]) {
        hashCell(cell);
        // Columns fill in order from 0, so the arrays stay without holes.
        while (cells.length < c) {
          cells.push('');
          laneA.push(0);
          laneB.push(0);
        }
        cells[c] = cell;
        laneA[c] = cellA;
        laneB[c] = cellB;
      }
      a = Math.imul(a ^ laneA[c]!, LANE_A_PRIME);
      b = Math.imul(b ^ laneB[c]!, LANE_B_PRIME);
    }
    // Lane B's high bits depend on every bit of its words (its low bits only on their low bits).
    return (a >>> 0) * 0x200000 + (b >>> 11);
  }

  /** Drops the cells kept: slices of a file's text that would keep it alive. */
  forget(): void {
    this.cells = [];
    this.laneA = [];
    this.laneB = [];
  }
}

/**
 * A copy of `text` that holds no reference to the string it was cut from. A short slice of a long
 * string (a cell of the decoded text) keeps all of that string alive while it lives.
 */
export function detached(text: string): string {
  // Joining makes a new string, and cutting it flattens it into text of its own.
  return ` ${text}`.slice(1);
}
