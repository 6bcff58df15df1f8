import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../../src/artifacts/csv';
import { RowHasher } from '../../../../src/connectors/amazon/order-history-cells';
import { amazonCsv } from '../../import/generate-amazon-csv';

// Short cells (hashed at once) and long ones (kept per column), any UTF-16 code units.
const cell = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 20 }), fc.string({ unit: 'grapheme', minLength: 28, maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 60 }));
const row = fc.array(cell, { minLength: 1, maxLength: 30 });

describe('RowHasher (exact-duplicate detection: a false match would drop a real row)', () => {
  it('gives rows that differ in one character different hashes', () => {
    fc.assert(
      fc.property(row, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 0xffff }), (cells, columnPick, atPick, delta) => {
        const column = columnPick % cells.length;
        const original = cells[column]!.length > 0 ? cells[column]! : 'x';
        const at = atPick % original.length;
        const changedChar = String.fromCharCode((original.charCodeAt(at) + delta) & 0xffff);
        const before = cells.map((value, c) => (c === column ? original : value));
        const after = cells.map((value, c) => (c === column ? original.slice(0, at) + changedChar + original.slice(at + 1) : value));
        const hasher = new RowHasher();
        expect(hasher.hash(after, cells.length)).not.toBe(hasher.hash(before, cells.length));
      }),
      { numRuns: 20_000 },
    );
  });

  it('gives rows that differ by a character added, removed or moved to the next cell different hashes', () => {
    fc.assert(
      fc.property(fc.array(cell, { minLength: 2, maxLength: 20 }), fc.nat(), (cells, columnPick) => {
        const column = columnPick % (cells.length - 1);
        const lastChar = cells[column]!.slice(-1);
        const variants = [
          cells.map((value, c) => (c === column ? `${value}a` : value)),
          cells.map((value, c) => (c === column ? value.slice(1) : value)),
          // "ab","c" against "a","bc": the same characters, split differently.
          cells.map((value, c) => (c === column ? value.slice(0, -1) : c === column + 1 ? lastChar + value : value)),
        ];
        const hasher = new RowHasher();
        const original = hasher.hash(cells, cells.length);
        for (const variant of variants) {
          // An empty cell has no character to add back or move.
          if (variant.some((value, c) => value !== cells[c])) expect(hasher.hash(variant, cells.length)).not.toBe(original);
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it('hashes a row the same whether its long cells were kept from the row before or not', () => {
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 8, maxLength: 8 }), { minLength: 2, maxLength: 20 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), (rows, repeats) => {
        // Rows that repeat cells of the row before, as a file's rows do.
        for (let i = 1; i < rows.length; i++) rows[i] = rows[i]!.map((value, c) => (repeats[c] ? rows[i - 1]![c]! : value));
        const hasher = new RowHasher();
        for (const cells of rows) expect(hasher.hash(cells, 8)).toBe(new RowHasher().hash(cells, 8));
      }),
    );
  });

  it('gives each of 100,000 order history rows a hash of its own', () => {
    const [header, ...rows] = parseCsv(amazonCsv(100_000));
    const hasher = new RowHasher();
    const hashes = new Set(rows.map((cells) => hasher.hash(cells, header!.length)));
    expect(hashes.size).toBe(rows.length);
  });

  it('reads a missing cell as an empty one and tells widths apart', () => {
    const hasher = new RowHasher();
    expect(hasher.hash(['a', 'b'], 3)).toBe(hasher.hash(['a', 'b', ''], 3));
    expect(hasher.hash(['a', 'b', ''], 3)).not.toBe(hasher.hash(['a', 'b', '', ''], 4));
    expect(hasher.hash(['ab', 'c'], 2)).not.toBe(hasher.hash(['a', 'bc'], 2));
  });

  it('stays a safe integer, so a Set of hashes compares them exactly', () => {
    fc.assert(fc.property(row, (cells) => Number.isSafeInteger(new RowHasher().hash(cells, cells.length))));
  });
});
