/** Rows the import pipeline keeps in the database (owned by the import feature; see docs/IMPORT.md). */
import type { AccountHint, BatchCounts } from '../core/model';

/**
 * Where a job is. `received` (staged, being fingerprinted) → `parsing` (the
 * preview pass) → `ready` (waiting for the owner to confirm) → `committing`
 * (chunks landing) → `committed`. Stopped early: `cancelled` or `failed`
 * (resumable from the last committed chunk). Ended without storing anything:
 * `refused` (a typed refusal), `already_imported` (the same file, or the
 * same files in another wrapper, imported before),
 * `discarded` (the owner dropped it before confirming).
 */
export type ImportJobStatus = 'received' | 'parsing' | 'ready' | 'committing' | 'committed' | 'cancelled' | 'failed' | 'refused' | 'already_imported' | 'discarded';

export const ACTIVE_JOB_STATUSES: readonly ImportJobStatus[] = ['received', 'parsing', 'committing'];

export interface ImportProblem {
  code: string;
  /** One owner sentence (the first occurrence's). */
  message: string;
  count: number;
  /** A few places it happened ("Retail.OrderHistory.1.csv row 10"). */
  where: string[];
}

export interface ImportCandidate {
  connectionId: string;
  displayName: string;
  accountLabel: string;
  /** How many of the file's keys (of its main stream) this connection already holds. */
  overlap: number;
  compared: number;
  /** Records of the file this connection already holds, all streams. */
  known: number;
  /** For records no key proves the same (viewings): how many of the file's are probably kept from pages already. */
  probable?: number;
}

export interface ImportPreview {
  connectorKey: string;
  connectorName: string;
  parserName: string;
  format: string;
  entries: string[];
  rowsRead: number;
  /** Records the file holds, per stream. */
  recordsByStream: Record<string, number>;
  records: number;
  /** Rows that repeat another row exactly (counted once). */
  duplicatesInFile: number;
  skipped: number;
  failed: number;
  problems: ImportProblem[];
  eventRange?: { start: string; end: string };
  /** Stretches of a month or more with no records, inside the range. */
  gaps: { start: string; end: string }[];
  undated: number;
  /** Newest event day when the export is older than a month: "covered through <date>". */
  coveredThrough?: string;
  accountHint?: AccountHint;
  /** The file's own evidence of whose account it is (e.g. the names on its shipping addresses), shown when the owner names it. */
  accountEvidence?: { label: string; values: { value: string; count: number }[] };
  /** The connector's words for the name field (`ConnectorDefinition.accountNaming`). */
  accountNaming?: { prompt: string; help: string };
  matchedConnectionId?: string;
  candidates: ImportCandidate[];
  /** The file's main records in the service's nouns ("order"/"orders", "viewing"/"viewings"). */
  recordNouns?: { one: string; other: string };
  /** The connection the preview compared against for new/known, when one is suggested. */
  suggestedConnectionId?: string;
  newRecords: number;
  knownRecords: number;
  chunks: number;
  ignoredEntries: string[];
  /** When the file holds several accounts (a Netflix export's profiles): each account's share and connection (src/import/routes.ts). */
  routes?: import('./routes').ImportRoute[];
}

export interface ImportError {
  code: string;
  message: string;
}

/** One import of one staged file: its phase, progress and what was committed so far. */
export interface ImportJobRow {
  id: string;
  stagedId: string;
  status: ImportJobStatus;
  fileName: string;
  sizeBytes: number;
  lastModified?: number;
  createdAt: string;
  updatedAt: string;
  /**
   * sha256 of the staged bytes: computed before parsing only when a committed import has the same size;
   * for a bare file the preview fingerprinted, that fingerprint; else computed when the commit starts.
   */
  sha256?: string;
  /**
   * Each file read inside the upload, fingerprinted as it was read: by the preview when every file has a
   * size some receipt holds, else by the commit (see `artifact-identity.ts`).
   */
  entryFingerprints?: EntryFingerprint[];
  /** Bytes read in the current pass (hashing, preview or commit). */
  bytesRead: number;
  preview?: ImportPreview;
  /** The owner's choice of connection (set on confirm). */
  connectionId?: string;
  batchId?: string;
  /** Chunks whose records are stored; a resumed commit skips exactly these. */
  chunksCommitted: number;
  rowsCommitted: number;
  recordsCommitted: number;
  counts?: BatchCounts;
  cancelRequested?: boolean;
  /** How many times the commit was (re)started, e.g. after the worker was stopped. */
  runs: number;
  error?: ImportError;
  /** For `already_imported`: the original receipt's batch and connection. */
  originalBatchId?: string;
  finishedAt?: string;
  /** When each phase ended (ISO), for progress display and the bench. */
  timings?: { fingerprinted?: string; previewed?: string; confirmed?: string; committed?: string };
  [extra: string]: unknown;
}

/** One file a parser read inside an upload (a zip entry, or the bare file itself). */
export interface EntryFingerprint {
  path: string;
  /** sha256 of the entry's bytes as the parser read them (inflated, for a zip entry). */
  sha256: string;
  sizeBytes: number;
}

/** Owner-adjustable import settings (kept in `meta`). */
export interface ImportSettings {
  maxFileBytes: number;
  /** Rows per committed chunk. */
  chunkRows: number;
}

/** What the background gives an `ImportRunner` (src/import/runner.ts). */
export interface ImportRunnerOptions {
  /** Called now and then while working, so the browser keeps the worker alive. */
  keepAlive?: () => void;
  /** Called when the runner goes idle, with whether unfinished jobs remain. */
  onIdle?: (unfinished: boolean) => void;
  /** Called whenever a job is queued (the background arms its restart alarm). */
  onBusy?: () => void;
  /** Test hook, after each committed chunk (throw to simulate a stopped worker). */
  afterChunk?: (job: ImportJobRow, chunkIndex: number) => void | Promise<void>;
}
