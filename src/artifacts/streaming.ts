/**
 * The streaming parser contract. A connector's artifact parser that also
 * implements `ChunkedArtifactParser` is fed entry by entry, text chunk by
 * text chunk, and yields observations in bounded chunks, so memory does not
 * grow with the file. It claims files by content with a confidence.
 */
import type { AccountHint, BatchWarning, CoverageClaim, Observation } from '../core/model';
import type { ArtifactParser, ConnectorDefinition } from '../connectors/types';
import type { ArtifactLimits } from './limits';
import type { SniffedFormat } from './sniff';

/** One file of an upload: the bare file or one zip entry, readable again from the start as often as needed. */
export interface StreamFile {
  path: string;
  sizeBytes: number;
  /** Identity of the bytes (CRC + size for zip entries), to spot one part uploaded twice. */
  fingerprint: string;
  bytes(): AsyncIterable<Uint8Array>;
}

export interface SniffProbe {
  path: string;
  format: SniffedFormat;
  /** The file's first characters, decoded. */
  head: string;
}

export interface ParsedChunk {
  observations: Observation[];
  /**
   * How many observations continue a record an earlier chunk of the same
   * upload already delivered (rows of one order far apart in the file); the
   * merge engine combines them with the parser's `combine`.
   */
  continuations: number;
  rowsRead: number;
  skipped: number;
  /** Rows that exactly repeat an earlier row (counted in `skipped` too). */
  duplicates: number;
  failed: number;
  warnings: BatchWarning[];
  /**
   * The account every observation and count of this chunk belongs to, when one
   * upload holds several accounts (a Netflix account export holds every
   * profile): the runner then stores each account's chunks in that account's
   * connection (src/import/routes.ts). Absent: the chunk goes where the owner chose.
   */
  accountHint?: AccountHint;
}

export interface ParseSummary {
  coverage: CoverageClaim[];
  entries: string[];
  accountHint?: AccountHint;
  /** Characters that were not valid text and were replaced. */
  replacedCharacters: number;
}

export interface ChunkOptions {
  /** Rows per chunk (a chunk may run a little longer to keep one order whole). */
  chunkRows: number;
  limits: ArtifactLimits;
  /**
   * For the preview pass (src/import/preview-pass.ts), which reads of each observation only its stream's
   * primary key and event time fields and the connector's account evidence field (`accountNaming.evidence`;
   * and what a `probableDuplicates` rule matches on): a parser may leave every other field out. Everything
   * else (chunks, observations, keys, counts, continuations, warnings, summary) must be exactly what the
   * same parse without it yields. A parser that ignores it yields full records, which is as correct.
   */
  preview?: boolean;
}

export interface ChunkedArtifactParser extends ArtifactParser {
  /** 0 = not mine, 1 = certainly mine; ≥ 0.5 claims the file. */
  sniff(probe: SniffProbe): number;
  parseChunks(files: StreamFile[], options: ChunkOptions): AsyncGenerator<ParsedChunk, ParseSummary>;
  /** Combines two partial observations of one record from the same upload (e.g. sums an order's rows). */
  combine?(stream: string, earlier: Record<string, unknown>, later: Record<string, unknown>): Record<string, unknown>;
}

export function isChunkedParser(parser: ArtifactParser): parser is ChunkedArtifactParser {
  return typeof (parser as ChunkedArtifactParser).parseChunks === 'function' && typeof (parser as ChunkedArtifactParser).sniff === 'function';
}

export function chunkedParsers(connectors: readonly ConnectorDefinition[]): { connector: ConnectorDefinition; parser: ChunkedArtifactParser }[] {
  return connectors.flatMap((connector) => connector.artifactParsers.filter(isChunkedParser).map((parser) => ({ connector, parser })));
}

/** What a streaming reader has counted so far (running totals). */
export interface ReaderTotals {
  rowsRead: number;
  skipped: number;
  failed: number;
  /** Rows that exactly repeat an earlier one, for readers that spot them. */
  duplicates?: number;
  warnings: readonly BatchWarning[];
}

/**
 * Cuts a streaming reader's running totals into chunks: each chunk carries the
 * observations handed over and what was read since the previous chunk.
 */
export class ChunkCutter {
  private mark = { rowsRead: 0, skipped: 0, failed: 0, duplicates: 0, warnings: 0 };

  constructor(private readonly reader: ReaderTotals) {}

  /** Rows read since the last chunk was cut. */
  get rowsPending(): number {
    return this.reader.rowsRead - this.mark.rowsRead;
  }

  /** The chunk of `observations` (and `continuations` of records an earlier chunk delivered). */
  cut(observations: Observation[], continuations = 0): ParsedChunk {
    const { reader, mark } = this;
    const duplicates = reader.duplicates ?? 0;
    const chunk: ParsedChunk = {
      observations,
      continuations,
      rowsRead: reader.rowsRead - mark.rowsRead,
      skipped: reader.skipped - mark.skipped,
      duplicates: duplicates - mark.duplicates,
      failed: reader.failed - mark.failed,
      warnings: reader.warnings.slice(mark.warnings),
    };
    this.mark = { rowsRead: reader.rowsRead, skipped: reader.skipped, failed: reader.failed, duplicates, warnings: reader.warnings.length };
    return chunk;
  }
}
