/**
 * Shaping ingest batches for the owner's PDPP server: stored records and
 * receipts as the ingest route takes them, a batch cut to the server's byte
 * limit, its row (exact `records` JSON and body hash, so a resend is
 * byte-identical), and saving it with the plan cursor in one transaction.
 * Shared by the three ways the outbox walks a backlog: change by change
 * (outbox.ts), by change seq (change-walk.ts) and as a snapshot
 * (snapshot-walk.ts).
 */
import type { ChangeRow, GleanerDatabase } from '../db/database';
import type { AcquisitionBatch, StoredRecord } from '../core/model';
import { canonicalJson } from './canonical-json';
import { sha256Hex } from '../core/hash';
import { RECEIPT_STREAM, type ExportedReceipt } from './manifest';
import type { ExportBatchRow, ExportLinkRow } from './types';

/** Request bodies are capped at 50 MiB by the server. */
export const MAX_REQUEST_BYTES = 50 * 1024 * 1024;
/** Room kept for the envelope around `records`. */
export const ENVELOPE_ALLOWANCE = 4 * 1024;

export interface BatchLimits {
  maxRecords: number;
  maxBytes: number;
  /** Backlogs longer than this many changes are sent as a snapshot (default SNAPSHOT_THRESHOLD). */
  snapshotThreshold?: number;
}

/**
 * Gleaner's batch size: up to 5,000 records or 8 MiB of records JSON, whichever
 * comes first — far under the 50 MiB cap, so a resend is cheap, and 50× fewer
 * round trips than the reference collector's 100 records.
 */
export const DEFAULT_LIMITS: BatchLimits = { maxRecords: 5000, maxBytes: 8 * 1024 * 1024 };

/** One record as the ingest route takes it. */
export interface PdppRecord {
  stream: string;
  record_key: string | string[];
  data?: Record<string, unknown>;
  emitted_at?: string;
  op?: 'delete';
}

export function recordKey(keyParts: readonly string[]): string | string[] {
  return keyParts.length === 1 ? (keyParts[0] as string) : [...keyParts];
}

/** A stored record as the server should hold it: its visible data, or a delete for an authorised tombstone. */
export function toPdppRecord(record: StoredRecord): PdppRecord {
  if (record.tombstone) return { stream: record.stream, record_key: recordKey(record.keyParts), op: 'delete', emitted_at: record.tombstone.at };
  return { stream: record.stream, record_key: recordKey(record.keyParts), data: record.data, emitted_at: record.updatedAt };
}

export function receiptData(batch: AcquisitionBatch): ExportedReceipt {
  return {
    batch_id: batch.id,
    method: batch.method,
    provenance: batch.provenance,
    coverage: batch.coverage,
    counts: batch.counts,
    warnings: batch.warnings,
    received_at: batch.receivedAt,
    data_as_of: batch.dataAsOf,
    event_range: batch.eventRange ?? null,
    recapture_count: batch.recaptureCount,
  };
}

export function toReceiptRecord(batch: AcquisitionBatch): PdppRecord {
  return { stream: RECEIPT_STREAM, record_key: batch.id, data: receiptData(batch) as unknown as Record<string, unknown>, emitted_at: batch.receivedAt };
}

/** `gl_<connectionId>_<fromSeq>_<toSeq>`: the same change range always gets the same id. */
export function batchIdFor(connectionId: string, fromSeq: number, toSeq: number): string {
  return `gl_${connectionId}_${fromSeq}_${toSeq}`;
}

export interface PlannedEntry {
  /** `r\0stream\0rid` or `b\0batchId`. */
  slot: string;
  firstSeq: number;
  change: ChangeRow;
}

/** Coalesces a run of changes by record, in order of first appearance, keeping at most `maxRecords` slots. */
export function coalesce(changes: readonly ChangeRow[], maxRecords: number): { entries: PlannedEntry[]; toSeq: number; firstSeq: number } {
  const entries: PlannedEntry[] = [];
  const seen = new Set<string>();
  let toSeq = -1;
  let firstSeq = -1;
  for (const change of changes) {
    const seq = change.seq as number;
    // A bulk row names no record: `buildNextBatch` answers it with a snapshot before it gets here.
    const slot = change.kind === 'bulk' ? undefined : change.kind === 'batch' ? `b\u0000${change.batchId}` : `r\u0000${change.stream}\u0000${change.rid}`;
    if (slot !== undefined && !seen.has(slot)) {
      if (entries.length >= maxRecords) break;
      seen.add(slot);
      entries.push({ slot, firstSeq: seq, change });
    }
    if (firstSeq < 0) firstSeq = seq;
    toSeq = seq;
  }
  return { entries, toSeq, firstSeq };
}

/** UTF-8 length of a string without encoding it (lone surrogates count as the 3-byte replacement). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a pair: 2 UTF-16 units → 4 bytes
      index += 1;
    } else bytes += 2;
  }
  return bytes;
}

/**
 * Splits prepared records by the byte limit: returns how many of them fit
 * (at least one, so one oversized record becomes its own batch) and their bytes.
 */
export function fitByBytes(jsonParts: readonly string[], maxBytes: number): { count: number; bytes: number } {
  let bytes = 2; // []
  let count = 0;
  for (const part of jsonParts) {
    const size = utf8Length(part) + (count > 0 ? 1 : 0);
    if (count > 0 && bytes + size > maxBytes) break;
    bytes += size;
    count += 1;
  }
  return { count, bytes };
}

/**
 * The ingest request body, byte-for-byte: canonical JSON of the envelope with
 * the stored `records` JSON spliced in (so nothing is re-serialised on resend).
 */
export function ingestBody(link: Pick<ExportLinkRow, 'deviceId' | 'sourceInstanceId' | 'connectorId'>, batch: Pick<ExportBatchRow, 'id' | 'seq' | 'bodyHash' | 'recordsJson'>): string {
  const marker = '@@gleaner-records@@';
  const placeholder = `"${marker}"`;
  const envelope = canonicalJson({
    batch_id: batch.id,
    batch_seq: batch.seq,
    body_hash: batch.bodyHash,
    connector_id: link.connectorId,
    device_id: link.deviceId,
    records: marker,
    source_instance_id: link.sourceInstanceId,
  });
  const at = envelope.indexOf(placeholder);
  return `${envelope.slice(0, at)}${batch.recordsJson}${envelope.slice(at + placeholder.length)}`;
}

export interface Candidate {
  record: PdppRecord;
  json: string;
}

/** Persists a built batch and the plan together; false when another drain built this batch first. */
export async function saveBatch(db: GleanerDatabase, link: ExportLinkRow, row: ExportBatchRow | undefined, plan: Partial<ExportLinkRow>): Promise<boolean> {
  return db.transaction('rw', [db.exportLinks, db.exportBatches], async () => {
    const current = await db.exportLinks.get(link.connectionId);
    if (!current || current.nextBatchSeq !== link.nextBatchSeq || current.plannedThroughSeq !== link.plannedThroughSeq || canonicalJson(current.snapshot ?? null) !== canonicalJson(link.snapshot ?? null) || canonicalJson(current.walk ?? null) !== canonicalJson(link.walk ?? null)) return false;
    if (row) await db.exportBatches.add(row);
    await db.exportLinks.update(link.connectionId, { ...plan, nextBatchSeq: link.nextBatchSeq + (row ? 1 : 0) });
    return true;
  });
}

export async function batchRow(link: ExportLinkRow, id: string, fromSeq: number, toSeq: number, chosen: Candidate[], bytes: number, now: string): Promise<ExportBatchRow> {
  const recordsJson = `[${chosen.map((candidate) => candidate.json).join(',')}]`;
  const streams: Record<string, number> = {};
  let deletes = 0;
  for (const { record } of chosen) {
    streams[record.stream] = (streams[record.stream] ?? 0) + 1;
    if (record.op === 'delete') deletes += 1;
  }
  const tooLarge = bytes + ENVELOPE_ALLOWANCE > MAX_REQUEST_BYTES;
  return {
    id,
    connectionId: link.connectionId,
    seq: link.nextBatchSeq,
    fromSeq,
    toSeq,
    status: tooLarge ? 'set_aside' : 'pending',
    recordsJson,
    // body_hash: sha256 of exactly the canonical records JSON that is sent (canonicalJson of the array).
    bodyHash: await sha256Hex(recordsJson),
    recordCount: chosen.length,
    streams,
    deletes,
    bytes,
    createdAt: now,
    attempts: 0,
    lastError: tooLarge ? 'This record is larger than a personal server accepts in one request (50 MiB).' : undefined,
    ...(tooLarge ? { tooLarge: true } : {}),
  };
}

