/**
 * Parses Amazon's "Request Your Data" order history:
 * `Retail.OrderHistory.N/Retail.OrderHistory.N.csv`, one row per item per
 * shipment. Numbered parts of one upload are parsed together.
 *
 * Streaming: rows are tokenized as text arrives and grouped into orders; a
 * chunk is emitted every `chunkRows` rows at an order boundary, so memory is
 * bounded by the chunk, not the file. Rows of one order that sit far apart
 * (in another chunk or part) are emitted as a continuation that `combine`
 * adds to what was emitted before (totals and quantities sum). A small
 * memory of recently emitted orders keeps exact-duplicate detection and
 * item counts right across chunk boundaries.
 *
 * The CSV carries no account identity, so no account hint: the owner picks the
 * connection and order-id overlap confirms it. Coverage is always `partial`:
 * an export part cannot prove it is the whole history, and Gleaner never
 * tombstones from a file.
 */
import type { ArtifactFile, ArtifactParseResult } from '../types';
import { CsvTokenizer, parseCsv } from '../../artifacts/csv';
import { decodeText } from '../../artifacts/text';
import { ChunkCutter, type ChunkedArtifactParser, type ParsedChunk, type ParseSummary } from '../../artifacts/streaming';
import { OrderHistoryReader } from './order-history-reader';
import { compact, formatCents } from './util';

/** `Retail.OrderHistory.1.csv`, inside its folder or bare, also a browser's `Retail.OrderHistory.1 (1).csv`. */
export const ORDER_HISTORY_PATH_RE = /(^|[/\\])Retail\.OrderHistory\.\d+(?: ?\(\d+\))?\.csv$/i;

function sortedClaimed<T extends { path: string }>(files: readonly T[]): T[] {
  return [...files].filter((f) => ORDER_HISTORY_PATH_RE.test(f.path)).sort((a, b) => a.path.localeCompare(b.path));
}

function sumOrNull(a: unknown, b: unknown): number | null {
  return typeof a === 'number' && typeof b === 'number' ? a + b : null;
}

export const amazonOrderHistoryParser: ChunkedArtifactParser = {
  id: 'amazon-retail-order-history',
  displayName: 'Amazon order history (Retail.OrderHistory CSV)',
  claims(path: string): boolean {
    return ORDER_HISTORY_PATH_RE.test(path);
  },

  sniff({ path, format, head }) {
    if (format !== 'csv' && format !== 'text') return 0;
    const header = (head.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '').toLowerCase();
    const hasId = /(^|,)\s*"?order id"?\s*(,|$)/.test(header);
    const signals = ['order date', 'asin', 'total owed', 'product name', 'website'].filter((name) => header.includes(name)).length;
    if (hasId && signals >= 2) return 0.95;
    if (hasId && signals >= 1) return 0.8;
    if (hasId) return ORDER_HISTORY_PATH_RE.test(path) ? 0.7 : 0.4;
    return 0;
  },

  /** Whole-text parse of small inputs (tests, legacy callers): one chunk, exact. */
  parse(files: ArtifactFile[]): ArtifactParseResult {
    const reader = new OrderHistoryReader(false);
    for (const file of sortedClaimed(files)) {
      reader.beginFile(file.path);
      let text: string;
      try {
        text = file.text().replace(/^\uFEFF/, '');
      } catch {
        reader.warn({ code: 'unreadable_file', message: 'This file could not be read as text.', where: file.path.split(/[/\\]/).pop() });
        continue;
      }
      for (const row of parseCsv(text)) reader.addRow(row);
      reader.endFile();
    }
    const { observations } = reader.flush();
    return {
      observations,
      coverage: reader.coverage(),
      warnings: [...reader.warnings, ...reader.overflowWarnings()],
      rowsRead: reader.rowsRead,
      skipped: reader.skipped,
      failed: reader.failed,
      entries: reader.entries,
    };
  },

  async *parseChunks(files, { chunkRows, limits, preview }): AsyncGenerator<ParsedChunk, ParseSummary> {
    const reader = new OrderHistoryReader(true, preview);
    let replaced = 0;
    const cutter = new ChunkCutter(reader);
    const take = (): ParsedChunk => {
      const { observations, continuations } = reader.flush();
      return cutter.cut(observations, continuations);
    };
    for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
      reader.beginFile(file.path);
      const tokenizer = new CsvTokenizer(limits.maxLineChars);
      const text = decodeText(file.bytes());
      const handle = function* (rows: string[][]): Generator<ParsedChunk> {
        for (const row of rows) {
          const pending = cutter.rowsPending;
          if (pending >= chunkRows) {
            // Cut at an order boundary, so an order's rows stay in one chunk (unless one order runs past twice the size).
            const id = reader.peekOrderId(row);
            if (id !== reader.lastOrderId || pending >= chunkRows * 2) yield take();
          }
          reader.addRow(row);
        }
      };
      for await (const chunk of text.chunks) yield* handle(tokenizer.push(chunk));
      yield* handle(tokenizer.end());
      replaced += text.replaced;
      reader.endFile();
    }
    if (replaced > 0) {
      reader.warn({ code: 'invalid_text', message: `${replaced} character(s) in this file were not valid text and were replaced; the rest was read normally.` });
    }
    const last = take();
    last.warnings.push(...reader.overflowWarnings());
    if (last.observations.length > 0 || last.rowsRead > 0 || last.warnings.length > 0) yield last;
    return { coverage: reader.coverage(), entries: reader.entries, replacedCharacters: replaced };
  },

  combine(stream, earlier, later) {
    if (stream === 'orders') {
      const totalCents = sumOrNull(earlier.order_total_cents, later.order_total_cents);
      const currency = (earlier.currency ?? later.currency) as string | undefined;
      const itemCount = (typeof earlier.item_count === 'number' ? earlier.item_count : 0) + (typeof later.item_count === 'number' ? later.item_count : 0);
      return compact({
        ...later,
        ...Object.fromEntries(Object.entries(earlier).filter(([, value]) => value !== null && value !== undefined)),
        order_date: minDate(earlier.order_date, later.order_date),
        ordered_at: minDate(earlier.ordered_at, later.ordered_at),
        order_total_cents: totalCents,
        order_total: totalCents !== null ? formatCents(totalCents, currency) : null,
        item_count: itemCount > 0 ? itemCount : undefined,
      });
    }
    if (stream === 'order_items') {
      return compact({
        ...later,
        ...Object.fromEntries(Object.entries(earlier).filter(([, value]) => value !== null && value !== undefined)),
        quantity: sumOrNull(earlier.quantity, later.quantity),
        order_date: minDate(earlier.order_date, later.order_date),
        ordered_at: minDate(earlier.ordered_at, later.ordered_at),
      });
    }
    return { ...earlier, ...later };
  },
};

/** The earlier of two dates (either may be missing). */
function minDate(a: unknown, b: unknown): string | undefined {
  const x = typeof a === 'string' ? a : undefined;
  const y = typeof b === 'string' ? b : undefined;
  if (!x) return y;
  if (!y) return x;
  return Date.parse(y) < Date.parse(x) ? y : x;
}
