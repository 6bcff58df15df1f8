/**
 * The reading loop both Netflix export parsers share: files in path order,
 * bytes decoded (BOM dropped, UTF-8 or UTF-16), CSV rows tokenized as text
 * arrives, a chunk yielded every `chunkRows` rows. A row reader turns rows into
 * observations and keeps its own counts; memory is bounded by the chunk.
 */
import type { AccountHint, BatchWarning, CoverageClaim, Observation } from '../../core/model';
import type { ArtifactFile, ArtifactParseResult } from '../types';
import { CsvTokenizer, parseCsv } from '../../artifacts/csv';
import { decodeText } from '../../artifacts/text';
import type { ChunkOptions, ParsedChunk, ParseSummary, StreamFile } from '../../artifacts/streaming';

const MAX_WARNINGS_PER_CODE = 20;
/**
 * Keys remembered for spotting a row repeated exactly (a part pasted twice sits
 * close by). Bounded, so memory does not grow with the file; a repeat further
 * back is still stored once (same key), counted as already known instead.
 */
const RECENT_KEYS = 20_000;

/** Counts and state common to both readers. */
export abstract class RowReader {
  warnings: BatchWarning[] = [];
  private readonly warnCounts = new Map<string, number>();
  observations: Observation[] = [];
  readonly entries: string[] = [];
  rowsRead = 0;
  skipped = 0;
  duplicates = 0;
  failed = 0;
  start = '';
  end = '';
  protected fileName = '';
  private header: string[] | null = null;
  private contributed = false;
  private path = '';
  /** Hashes of the most recent keys (exact repeats are counted once), oldest first in `recentKeys`. */
  private readonly seen = new Set<number>();
  private readonly recentKeys: number[] = [];

  /** Up to MAX_WARNINGS_PER_CODE warnings per code per chunk; the rest are counted in one overflow note (see `takeWarnings`). */
  warn(warning: BatchWarning): void {
    const n = (this.warnCounts.get(warning.code) ?? 0) + 1;
    this.warnCounts.set(warning.code, n);
    if (n <= MAX_WARNINGS_PER_CODE) this.warnings.push({ ...warning, message: warning.message.slice(0, 500) });
  }

  /** The warnings since the last call, with `N more "code" warnings` notes the preview adds to their code's count. */
  takeWarnings(): BatchWarning[] {
    const out = this.warnings.splice(0);
    for (const [code, n] of this.warnCounts) {
      if (n > MAX_WARNINGS_PER_CODE) out.push({ code: 'warnings_truncated', message: `${n - MAX_WARNINGS_PER_CODE} more "${code}" warnings were not listed.` });
    }
    this.warnCounts.clear();
    return out;
  }

  /** Is the next row a file's header? */
  get atHeader(): boolean {
    return this.header === null;
  }

  /**
   * The account a data row belongs to, when one upload holds several (a
   * Netflix export's profiles): rows of different accounts go in different
   * chunks. Undefined when the reader does not route.
   */
  routeOf(_cells: string[]): AccountHint | undefined {
    return undefined;
  }

  beginFile(path: string): void {
    this.path = path;
    this.fileName = path.split(/[/\\]/).pop() ?? path;
    this.header = null;
    this.contributed = false;
  }

  endFile(): void {
    if (this.contributed && !this.entries.includes(this.path)) this.entries.push(this.path);
  }

  addRow(cells: string[]): void {
    if (!this.header) {
      this.header = cells.map((cell, index) => (index === 0 ? cell.replace(/^\uFEFF/, '') : cell).trim().toLowerCase());
      this.readHeader(this.header);
      return;
    }
    if (cells.every((cell) => cell.trim() === '')) return;
    this.rowsRead++;
    const where = `${this.fileName} row ${this.rowsRead}`;
    const data = this.readRow(cells, where);
    if (!data) return;
    const id = data.id as string;
    const hash = parseInt(id.slice(0, 13), 16);
    if (this.seen.has(hash)) {
      this.skipped++;
      this.duplicates++;
      this.warn({ code: 'duplicate_row', message: 'This viewing repeats an earlier row exactly and was counted once.', where });
      return;
    }
    this.seen.add(hash);
    this.recentKeys.push(hash);
    if (this.recentKeys.length > RECENT_KEYS * 2) for (const old of this.recentKeys.splice(0, this.recentKeys.length - RECENT_KEYS)) this.seen.delete(old);
    this.contributed = true;
    const day = data.watched_on as string;
    if (!this.start || day < this.start) this.start = day;
    if (!this.end || day > this.end) this.end = day;
    this.observations.push({ stream: 'viewing_activity', data });
  }

  /** Called with the header's lower-case names; throw an ArtifactError to refuse the file. */
  protected abstract readHeader(names: string[]): void;
  /** One data row as a record's data (with its `id` and `watched_on`), or null after counting why. */
  protected abstract readRow(cells: string[], where: string): Record<string, unknown> | null;
  /** Warnings summarising the whole upload (counted skips). */
  abstract closingWarnings(): BatchWarning[];
  /** The profile the upload belongs to, when it says. */
  abstract accountHint(): AccountHint | undefined;
  /** What the coverage claim says it saw. */
  protected abstract coverageEvidence(): string;

  coverage(): CoverageClaim[] {
    return this.start ? [{ stream: 'viewing_activity', start: this.start, end: this.end, completeness: 'partial', evidence: this.coverageEvidence() }] : [];
  }
}

/** Column index by lower-case header name. */
export function columnsOf(names: string[]): (name: string) => number {
  return (name) => names.indexOf(name);
}

/** Whole-text parse (tests, small inputs). */
export function parseWhole(reader: RowReader, files: ArtifactFile[]): ArtifactParseResult {
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    reader.beginFile(file.path);
    for (const row of parseCsv(file.text().replace(/^\uFEFF/, ''))) reader.addRow(row);
    reader.endFile();
  }
  const hint = reader.accountHint();
  return {
    observations: reader.observations,
    coverage: reader.coverage(),
    ...(hint ? { accountHint: hint } : {}),
    warnings: [...reader.takeWarnings(), ...reader.closingWarnings()],
    rowsRead: reader.rowsRead,
    skipped: reader.skipped,
    failed: reader.failed,
    entries: reader.entries,
  };
}

/** Streamed parse: a chunk every `chunkRows` rows. */
interface Pending {
  hint?: AccountHint;
  observations: Observation[];
  rowsRead: number;
  skipped: number;
  duplicates: number;
  failed: number;
  warnings: BatchWarning[];
}

/**
 * Streamed parse: a chunk every `chunkRows` rows. When the reader routes rows
 * to accounts (`routeOf`), each chunk holds one account's rows and counts:
 * rows wait in their account's pending chunk (at most `chunkRows` each, so
 * memory stays bounded by accounts × chunk), whatever order the file has.
 */
export async function* parseStreamed(reader: RowReader, files: StreamFile[], { chunkRows, limits }: ChunkOptions): AsyncGenerator<ParsedChunk, ParseSummary> {
  let replaced = 0;
  const pending = new Map<string, Pending>();
  const slotOf = (hint: AccountHint | undefined): Pending => {
    const key = hint?.key ?? '';
    let slot = pending.get(key);
    if (!slot) {
      slot = { hint, observations: [], rowsRead: 0, skipped: 0, duplicates: 0, failed: 0, warnings: [] };
      pending.set(key, slot);
    }
    return slot;
  };
  const take = (slot: Pending): ParsedChunk => {
    const chunk: ParsedChunk = {
      observations: slot.observations,
      continuations: 0,
      rowsRead: slot.rowsRead,
      skipped: slot.skipped,
      duplicates: slot.duplicates,
      failed: slot.failed,
      warnings: slot.warnings,
      ...(slot.hint ? { accountHint: slot.hint } : {}),
    };
    Object.assign(slot, { observations: [], rowsRead: 0, skipped: 0, duplicates: 0, failed: 0, warnings: [] });
    return chunk;
  };
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    reader.beginFile(file.path);
    const tokenizer = new CsvTokenizer(limits.maxLineChars);
    const text = decodeText(file.bytes());
    const handle = function* (rows: string[][]): Generator<ParsedChunk> {
      for (const row of rows) {
        if (reader.atHeader) {
          reader.addRow(row);
          continue;
        }
        const slot = slotOf(reader.routeOf(row));
        const before = { rowsRead: reader.rowsRead, skipped: reader.skipped, duplicates: reader.duplicates, failed: reader.failed, warnings: reader.warnings.length };
        reader.addRow(row);
        slot.rowsRead += reader.rowsRead - before.rowsRead;
        slot.skipped += reader.skipped - before.skipped;
        slot.duplicates += reader.duplicates - before.duplicates;
        slot.failed += reader.failed - before.failed;
        if (reader.observations.length > 0) {
          for (const observation of reader.observations) slot.observations.push(observation);
          reader.observations.length = 0;
        }
        if (reader.warnings.length > before.warnings) for (const warning of reader.warnings.splice(before.warnings)) slot.warnings.push(warning);
        if (slot.rowsRead >= chunkRows) yield take(slot);
      }
    };
    for await (const piece of text.chunks) yield* handle(tokenizer.push(piece));
    yield* handle(tokenizer.end());
    replaced += text.replaced;
    reader.endFile();
  }
  if (replaced > 0) reader.warn({ code: 'invalid_text', message: `${replaced} character(s) in this file were not valid text and were replaced; the rest was read normally.` });
  const slots = [...pending.values()].filter((slot) => slot.rowsRead > 0 || slot.observations.length > 0 || slot.warnings.length > 0);
  const chunks = slots.map(take);
  // File-wide notes (overflow counts, invalid text) ride on the last chunk, or on one of their own.
  const closing = [...reader.closingWarnings(), ...reader.takeWarnings()];
  if (closing.length > 0) {
    if (chunks.length > 0) chunks.at(-1)!.warnings.push(...closing);
    else chunks.push({ observations: [], continuations: 0, rowsRead: 0, skipped: 0, duplicates: 0, failed: 0, warnings: closing });
  }
  for (const chunk of chunks) yield chunk;
  const hint = reader.accountHint();
  return { coverage: reader.coverage(), entries: reader.entries, ...(hint ? { accountHint: hint } : {}), replacedCharacters: replaced };
}

/** Reads only the second column of each row of `files` until `stop` says enough (a cheap first pass). */
export async function scanColumn(files: StreamFile[], column: number, limits: ChunkOptions['limits'], stop: (value: string) => boolean): Promise<void> {
  for (const file of files) {
    const tokenizer = new CsvTokenizer(limits.maxLineChars);
    let header = true;
    const text = decodeText(file.bytes());
    const iterator = text.chunks[Symbol.asyncIterator]();
    try {
      for (;;) {
        const step = await iterator.next();
        const rows = step.done ? tokenizer.end() : tokenizer.push(step.value);
        for (const row of rows) {
          if (header) {
            header = false;
            continue;
          }
          if (stop(row[column] ?? '')) return;
        }
        if (step.done) break;
      }
    } finally {
      await iterator.return?.(undefined);
    }
  }
}
