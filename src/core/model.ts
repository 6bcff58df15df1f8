/**
 * The acquisition model: the zod schemas every context agrees on.
 *
 * Words (see ../../docs/DATA-MODEL.md): a *connection* is one account of one
 * connector; an *acquisition batch* is one page capture or one uploaded
 * artifact; a *coverage claim* says which event-time window of a stream a
 * batch saw and whether completely.
 */
import { z } from 'zod';

export const ACQUISITION_METHODS = [
  'browser_polyfill',
  'owner_artifact',
  // Reserved by the PDPP vocabulary; no Gleaner path produces them yet.
  'provider_api',
  'device_sync',
  'device_backup',
] as const;
export const AcquisitionMethod = z.enum(ACQUISITION_METHODS);
export type AcquisitionMethod = z.infer<typeof AcquisitionMethod>;

/** An event time: a calendar day `YYYY-MM-DD` or an ISO instant. */
export const EventTime = z
  .string()
  .max(40)
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/, 'not an ISO date or instant');
export type EventTime = z.infer<typeof EventTime>;

export const Completeness = z.enum(['partial', 'full']);
export type Completeness = z.infer<typeof Completeness>;

/** "For stream S, between event times start and end, this batch saw partial|full coverage." */
export const CoverageClaim = z.object({
  stream: z.string().min(1).max(64),
  start: EventTime,
  end: EventTime,
  completeness: Completeness,
  /** Why the connector believes this, in owner words ("every page of 2024"). */
  evidence: z.string().max(300).optional(),
});
export type CoverageClaim = z.infer<typeof CoverageClaim>;

export const PageProvenance = z.object({
  kind: z.literal('page'),
  pageUrl: z.string().url().max(2048),
  capturedAt: z.string(),
  extractorVersion: z.string().max(32),
});
export const ArtifactProvenance = z.object({
  kind: z.literal('artifact'),
  fileName: z.string().max(512),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sizeBytes: z.number().int().nonnegative(),
  parserVersion: z.string().max(32),
  /** Inner files of a zip that contributed records. */
  entries: z.array(z.string().max(512)).max(1000).optional(),
  importedAt: z.string(),
});
export const Provenance = z.discriminatedUnion('kind', [PageProvenance, ArtifactProvenance]);
export type Provenance = z.infer<typeof Provenance>;
export type PageProvenance = z.infer<typeof PageProvenance>;
export type ArtifactProvenance = z.infer<typeof ArtifactProvenance>;

/** What a page or artifact honestly says about whose account it is. */
export const AccountHint = z.object({
  /** Stable, normalised identity: two hints with equal keys are one account. */
  key: z.string().min(1).max(200),
  /** Shown to the owner ("Dana on amazon.com"). */
  label: z.string().min(1).max(200),
  /** Where the hint came from ("greeting on www.amazon.com"). */
  evidence: z.string().max(300),
});
export type AccountHint = z.infer<typeof AccountHint>;

export const BatchCounts = z.object({
  parsed: z.number().int().nonnegative(),
  new: z.number().int().nonnegative(),
  updated: z.number().int().nonnegative(),
  alreadyKnown: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Records this batch soft-deleted under an authorised full claim (M6). */
  tombstoned: z.number().int().nonnegative(),
  /** Tombstoned records this batch observed again, so un-hid (M6). */
  restored: z.number().int().nonnegative(),
});
export type BatchCounts = z.infer<typeof BatchCounts>;

export const BatchWarning = z.object({
  code: z.string().max(64),
  message: z.string().max(500),
  /** Row or item the warning is about, when there is one. */
  where: z.string().max(200).optional(),
});
export type BatchWarning = z.infer<typeof BatchWarning>;

/** One observation of one record, as a batch delivers it (keys derived later). */
export const Observation = z.object({
  stream: z.string().min(1).max(64),
  data: z.record(z.string(), z.unknown()),
});
export type Observation = z.infer<typeof Observation>;

/** A connection: connector key + account identity. */
export interface Connection {
  id: string;
  connectorKey: string;
  /** Normalised account identity; undefined for a connection the owner created from a file with no account signal. */
  accountKey?: string;
  accountLabel: string;
  accountEvidence: string;
  /** Owner-chosen name. */
  displayName: string;
  createdAt: string;
  /**
   * Who named the account: `owner` when the key came from a name the owner typed at import
   * (a claim), absent when a service's own page or file said it (evidence). See `src/core/account-identity.ts`.
   */
  accountNamedBy?: 'owner';
}

/** A connection a batch belonged to before a merge or a move brought it to its current one (its receipt says so). */
export interface FormerConnection {
  connectionId: string;
  displayName: string;
  /** When it left that connection. */
  until: string;
  how: 'merge' | 'move';
}

/**
 * `committed` for every finished batch. An artifact imported in chunks is
 * `importing` while its chunks land (its counts so far are exactly what is
 * stored), and `cancelled` or `failed` if it stopped early (resumable).
 */
export type BatchStatus = 'committed' | 'importing' | 'cancelled' | 'failed';

/** A stored acquisition batch, which is also its receipt. */
export interface AcquisitionBatch {
  id: string;
  connectionId: string;
  connectorKey: string;
  method: AcquisitionMethod;
  provenance: Provenance;
  coverage: CoverageClaim[];
  counts: BatchCounts;
  warnings: BatchWarning[];
  status: BatchStatus;
  /** When the batch was merged (import/commit time; never compared with event time). */
  receivedAt: string;
  /**
   * How new the batch's data is, for per-field merge ordering: a page's capture
   * time, an artifact's file time (or its newest event time). Independent of
   * the order in which batches arrive, so merges commute (M10).
   */
  dataAsOf: string;
  /** sha256 of an artifact's bytes (indexed for M7). */
  artifactSha256?: string;
  /**
   * sha256 of each file the parser read inside the artifact (each zip entry, or the bare file,
   * whose hash is `artifactSha256`): the same files in another wrapper are the same import (M7).
   */
  entrySha256s?: string[];
  /** The byte size of each of those files, in the same order (same bytes need the same size: see `src/import/artifact-identity.ts`). */
  entrySizes?: number[];
  /** Hash of a capture's canonical content; an identical re-capture only bumps `recaptureCount` (M7). */
  contentHash?: string;
  pageUrl?: string;
  recaptureCount: number;
  lastRecapturedAt?: string;
  eventRange?: { start: string; end: string };
  /** Connections this batch belonged to before a merge or a move (oldest first). */
  formerConnections?: FormerConnection[];
}

/** One distinct version of a record's data and every batch that saw exactly it. */
export interface RecordVersion {
  data: Record<string, unknown>;
  method: AcquisitionMethod;
  batchIds: string[];
  /** Max `dataAsOf` of the batches that saw this version. */
  asOf: string;
}

export interface Tombstone {
  batchId: string;
  at: string;
  reason: string;
}

export interface StoredRecord {
  connectionId: string;
  stream: string;
  /** Identity within the stream: the key, prefixed by method when the stream has no cross-method identity rule (M2). */
  rid: string;
  /** Primary key parts joined by `|`. */
  key: string;
  keyParts: string[];
  /** Event time from the merged data; '' when unknown (never the import time). */
  eventTime: string;
  data: Record<string, unknown>;
  versions: RecordVersion[];
  batchIds: string[];
  methods: AcquisitionMethod[];
  tombstone?: Tombstone;
  firstSeenAt: string;
  updatedAt: string;
  /**
   * The change-feed `seq` of the last visible change to this record (v8): the
   * export reads "what changed in seq range (a, b]" as a ranged read on
   * `[connectionId+changeSeq+stream+rid]`. Absent on records stored before v8
   * and on records never visible.
   */
  changeSeq?: number;
  /**
   * The words the records browser finds this record by (v8, multi-entry
   * index `*searchTerms`): from its key, `describe()` and `present()`
   * (src/core/search-terms.ts). Absent only on records the v8 upgrade could not
   * describe (no connector).
   */
  searchTerms?: string[];
}

export function emptyCounts(): BatchCounts {
  return { parsed: 0, new: 0, updated: 0, alreadyKnown: 0, skipped: 0, failed: 0, tombstoned: 0, restored: 0 };
}
