/** Rows the PDPP export keeps in the database (owned by the export feature; see docs/EXPORT.md). */

/** Why a link is not exporting right now. */
export type LinkStatus =
  /** Exporting normally. */
  | 'active'
  /** The server refused the device token (401/403): the owner must link again. Nothing waiting is lost. */
  | 'paused_auth'
  /** The server could not be reached after every attempt; Gleaner tries again on schedule. */
  | 'retrying'
  /** Gleaner may not talk to the server's address (host permission missing). */
  | 'needs_permission'
  /** The server speaks another version of the protocol. */
  | 'blocked';

/** A connection's link to the owner's personal server. The device token is NOT here: it lives in extension storage. */
export interface ExportLinkRow {
  connectionId: string;
  serverOrigin: string;
  deviceId: string;
  sourceInstanceId: string;
  connectorInstanceId: string;
  connectorId: string;
  localBindingName: string;
  linkedAt: string;
  status: LinkStatus;
  /** Owner-facing sentence explaining `status` (never contains the token). */
  message?: string;
  /** The server's request id of the last refusal, for the details disclosure. */
  lastRequestId?: string;
  /** The manifest version registered (or assumed) at link time. */
  manifestVersion?: string;
  /** Every change-feed entry with `seq` ≤ this is inside a built (persisted) batch. */
  plannedThroughSeq: number;
  /** `batch_seq` of the next batch built. */
  nextBatchSeq: number;
  /**
   * A large backlog (e.g. a whole history at first link) is sent as a
   * snapshot of current states in key order instead of change by change:
   * where that snapshot has got to. Done → `plannedThroughSeq = throughSeq`.
   */
  snapshot?: { throughSeq: number; streamIndex: number; afterKey?: string };
  /**
   * A long backlog or an import's bulk rows, sent as the records changed in
   * seq range (plannedThroughSeq, throughSeq] (src/export/change-walk.ts):
   * where that walk has got to. Done → `plannedThroughSeq = throughSeq`.
   */
  walk?: ExportWalk;
  /** The change seq whose cursor the server last acknowledged (PUT …/state). */
  cursorSeq: number;
  acceptedBatches: number;
  acceptedRecords: number;
  lastSuccessAt?: string;
  lastAttemptAt?: string;
  /** When a retry is due after the server could not be reached. */
  nextAttemptAt?: string;
}

export interface ExportWalk {
  throughSeq: number;
  /** `records` (by changeSeq), then `receipts` (the batch rows of the range), then `done`. */
  phase: 'records' | 'receipts' | 'done';
  /** In `records`: the last record planned, as its index key [changeSeq, stream, rid]. */
  after?: [number, string, string];
  /** In `receipts`: the last feed row planned. */
  afterSeq?: number;
}

export type ExportBatchStatus = 'pending' | 'accepted' | 'set_aside' | 'conflict';

/** One outbound ingest batch, built deterministically from the change feed and kept until accepted. */
export interface ExportBatchRow {
  /** The `batch_id`: `gl_<connectionId>_<fromSeq>_<toSeq>`. */
  id: string;
  connectionId: string;
  /** `batch_seq`. */
  seq: number;
  /** Change-feed range folded into this batch. */
  fromSeq: number;
  toSeq: number;
  status: ExportBatchStatus;
  /** Canonical JSON of the `records` array, exactly as sent (emptied once accepted). */
  recordsJson: string;
  bodyHash: string;
  recordCount: number;
  /** Per stream: how many records. */
  streams: Record<string, number>;
  deletes: number;
  bytes: number;
  createdAt: string;
  attempts: number;
  /** The server's reason, for a set-aside or conflicting batch, or the last transient failure. */
  lastError?: string;
  lastRequestId?: string;
  acceptedAt?: string;
  /** A record too large for any request: set aside for good, never retried. */
  tooLarge?: boolean;
  /**
   * For a batch the server refused: the manifest version and device it was
   * refused under. When either changes the batch is rebuilt and sent again.
   */
  setAsideUnder?: string;
}

/** A generated backup, or an uploaded one waiting to be restored. */
export interface ExportFileRow {
  id: string;
  kind: 'backup' | 'restore';
  fileName: string;
  createdAt: string;
  sizeBytes: number;
  blob: Blob;
}
