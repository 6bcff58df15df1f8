/**
 * The export outbox: turns a connection's change feed (`db.changes`, written
 * by the merge engine in the same transaction as every merge) into PDPP ingest
 * batches and drains them to the linked server, in order.
 *
 * - A batch is built from the next run of change-feed entries, coalesced by
 *   record (the current state is read at build time), and **persisted before
 *   it is sent**, together with the plan cursor, in one transaction. Its id is
 *   derived from the connection id and the seq range it covers, and its exact
 *   `records` JSON and `body_hash` are stored, so a resend after a worker or
 *   browser restart is byte-identical and can only ever be replayed, never
 *   conflict.
 * - Deletes: a record whose current state carries a tombstone is sent as
 *   `op:"delete"`. Only the merge engine's authorised reconciliation (M6)
 *   ever sets a tombstone, so nothing else can produce a delete; an
 *   un-tombstoned record is current again and goes out as an upsert.
 * - Batch receipts go out as `acquisition_batches` records.
 */
import Dexie from 'dexie';
import type { ChangeRow, GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';
import { ACQUISITION_METHODS, type AcquisitionBatch, type StoredRecord } from '../core/model';
import { recordIdentity } from '../core/merge-engine';
import type { StreamDefinition } from '../connectors/types';
import { canonicalJson } from './canonical-json';
import { sha256Hex } from '../core/hash';
import { RECEIPT_STREAM, type ExportedReceipt } from './manifest';
import type { ExportBatchRow, ExportLinkRow } from './types';
import { buildWalkBatch } from './change-walk';
import { CHANGE_SEQ_SINCE_KEY } from '../db/upgrades/v8-change-and-search-indexes';

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

/** A backlog larger than this is sent as a snapshot (ranged reads) rather than change by change (one read per record). */
export const SNAPSHOT_THRESHOLD = 10_000;
/** Backlogs up to this many rows are read to weigh bulk rows in the pending count. */
const PENDING_SCAN_LIMIT = 20_000;

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

/**
 * Builds and persists the connection's next batch from the change feed, or
 * returns undefined when everything is planned. Pure of the network.
 * `streamNames`: the connector's record streams, in manifest order.
 */
export async function buildNextBatch(db: GleanerDatabase, connectionId: string, limits: BatchLimits, now = new Date().toISOString(), streamNames: readonly string[] = []): Promise<ExportBatchRow | undefined> {
  const maxBytes = Math.min(limits.maxBytes, MAX_REQUEST_BYTES - ENVELOPE_ALLOWANCE);
  for (;;) {
    const link = await db.exportLinks.get(connectionId);
    if (!link) return undefined;
    const backlog = db.changes.where('[connectionId+seq]').between([connectionId, link.plannedThroughSeq + 1], [connectionId, Dexie.maxKey], true, true);
    if (!link.snapshot && !link.walk && streamNames.length > 0) {
      const last = await backlog.clone().last();
      if (!last) return undefined;
      const threshold = limits.snapshotThreshold ?? SNAPSHOT_THRESHOLD;
      const long = (last.seq as number) - link.plannedThroughSeq > threshold && (await backlog.clone().count()) > threshold;
      // A large import writes one `bulk` row per chunk instead of a row per record: it is sent as a snapshot too.
      if (long || (await backlog.clone().filter((change) => change.kind === 'bulk').first())) {
        // Sent as the records those changes touched (change-walk.ts); a range that starts before schema v8
        // (records not yet stamped with their change seq) as a snapshot of current states.
        const since = ((await db.meta.get(CHANGE_SEQ_SINCE_KEY))?.value as number | undefined) ?? 0;
        const throughSeq = last.seq as number;
        const plan = link.plannedThroughSeq + 1 >= since ? { walk: { throughSeq, phase: 'records' as const } } : { snapshot: { throughSeq, streamIndex: 0 } };
        await saveBatch(db, link, undefined, plan);
        continue;
      }
    }
    if (link.walk) {
      const built = await buildWalkBatch(db, link, link.walk, limits.maxRecords, maxBytes, now);
      if (built === 'retry') continue;
      return built;
    }
    if (link.snapshot) {
      const built = await buildSnapshotBatch(db, link, link.snapshot, streamNames, limits.maxRecords, maxBytes, now);
      if (built === 'retry') continue;
      return built;
    }

    const changes = await backlog.limit(limits.maxRecords + 64).toArray();
    if (changes.length === 0) return undefined;
    const { entries, toSeq: coalescedTo, firstSeq } = coalesce(changes, limits.maxRecords);
    const recordEntries = entries.filter((entry) => entry.change.kind === 'record');
    const batchEntries = entries.filter((entry) => entry.change.kind === 'batch');
    const stored = await db.records.bulkGet(recordEntries.map((entry) => [connectionId, entry.change.stream as string, entry.change.rid as string] as [string, string, string]));
    const receipts = await db.batches.bulkGet(batchEntries.map((entry) => entry.change.batchId));
    const bySlot = new Map<string, PdppRecord>();
    recordEntries.forEach((entry, index) => {
      const record = stored[index];
      if (record) bySlot.set(entry.slot, toPdppRecord(record));
      // A record that left this connection (its import moved to another): the server forgets it here.
      else if (entry.change.op === 'delete' && entry.change.keyParts) bySlot.set(entry.slot, { stream: entry.change.stream as string, record_key: recordKey(entry.change.keyParts), op: 'delete', emitted_at: entry.change.at });
    });
    batchEntries.forEach((entry, index) => {
      const receipt = receipts[index];
      if (receipt) bySlot.set(entry.slot, toReceiptRecord(receipt));
    });
    const ordered = entries.flatMap((entry) => {
      const record = bySlot.get(entry.slot);
      return record ? [{ entry, record, json: canonicalJson(record) }] : [];
    });
    const { count, bytes } = fitByBytes(ordered.map((item) => item.json), maxBytes);
    // Cut by bytes: the plan ends just before the first record left out, so it is planned again next time.
    const toSeq = count < ordered.length ? (ordered[count] as { entry: PlannedEntry }).entry.firstSeq - 1 : coalescedTo;
    const chosen = ordered.slice(0, count);
    if (chosen.length === 0) {
      // Nothing left to send in this range (e.g. rows that no longer exist): advance the plan and look further.
      await saveBatch(db, link, undefined, { plannedThroughSeq: toSeq });
      continue;
    }
    const row = await batchRow(link, batchIdFor(connectionId, firstSeq, toSeq), firstSeq, toSeq, chosen, bytes, now);
    if (await saveBatch(db, link, row, { plannedThroughSeq: toSeq })) return row;
  }
}

/**
 * The next batch of a snapshot: current states read in key order with ranged
 * reads (one request per stream and batch, not one per record), record
 * streams first, then the receipts. The batch id names the snapshot and the
 * batch's place in it.
 */
async function buildSnapshotBatch(
  db: GleanerDatabase,
  link: ExportLinkRow,
  snapshot: NonNullable<ExportLinkRow['snapshot']>,
  streamNames: readonly string[],
  maxRecords: number,
  maxBytes: number,
  now: string,
): Promise<ExportBatchRow | undefined | 'retry'> {
  const connectionId = link.connectionId;
  const order = [...streamNames, RECEIPT_STREAM];
  const picked: (Candidate & { streamIndex: number; key: string })[] = [];
  let streamIndex = snapshot.streamIndex;
  let afterKey = snapshot.afterKey;
  while (streamIndex < order.length && picked.length < maxRecords) {
    const stream = order[streamIndex] as string;
    const room = maxRecords - picked.length;
    let rows: { key: string; record: PdppRecord }[];
    if (stream === RECEIPT_STREAM) {
      const all = (await db.batches.where('connectionId').equals(connectionId).toArray()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      rows = all.filter((batch) => afterKey === undefined || batch.id > afterKey).slice(0, room).map((batch) => ({ key: batch.id, record: toReceiptRecord(batch) }));
    } else {
      const records = await db.records
        .where('[connectionId+stream+rid]')
        .between([connectionId, stream, afterKey ?? Dexie.minKey], [connectionId, stream, Dexie.maxKey], afterKey === undefined, true)
        .limit(room)
        .toArray();
      rows = records.map((record) => ({ key: record.rid, record: toPdppRecord(record) }));
    }
    for (const row of rows) picked.push({ ...row, json: canonicalJson(row.record), streamIndex });
    if (rows.length < room) {
      streamIndex += 1;
      afterKey = undefined;
    } else {
      afterKey = rows.at(-1)?.key;
    }
  }
  const { count, bytes } = fitByBytes(picked.map((item) => item.json), maxBytes);
  if (count < picked.length) {
    const last = picked[count - 1] as (typeof picked)[number];
    streamIndex = last.streamIndex;
    afterKey = last.key;
  }
  const chosen = picked.slice(0, count);
  const done = streamIndex >= order.length;
  const plan: Partial<ExportLinkRow> = done ? { plannedThroughSeq: snapshot.throughSeq, snapshot: undefined } : { snapshot: { throughSeq: snapshot.throughSeq, streamIndex, afterKey } };
  if (chosen.length === 0) {
    await saveBatch(db, link, undefined, plan);
    return 'retry';
  }
  const row = await batchRow(
    link,
    `gl_${connectionId}_snap${snapshot.throughSeq}_${link.nextBatchSeq}`,
    link.plannedThroughSeq + 1,
    // Only the snapshot's last batch completes the range its cursor may claim.
    done ? snapshot.throughSeq : link.plannedThroughSeq,
    chosen,
    bytes,
    now,
  );
  return (await saveBatch(db, link, row, plan)) ? row : 'retry';
}

/**
 * A set-aside batch made ready to send again: the same id and range, its
 * records rebuilt from their current states (so resending it can never put an
 * older state over a newer one a later batch sent), a new body hash. The
 * server stored nothing of a refused batch, so its id is free to reuse.
 */
export async function refreshSetAside(db: GleanerDatabase, row: ExportBatchRow, streams: readonly StreamDefinition[]): Promise<ExportBatchRow> {
  const sent = JSON.parse(row.recordsJson || '[]') as PdppRecord[];
  const rebuilt: PdppRecord[] = [];
  for (const record of sent) {
    const key = Array.isArray(record.record_key) ? record.record_key.join('|') : record.record_key;
    if (record.stream === RECEIPT_STREAM) {
      const receipt = await db.batches.get(key);
      if (receipt) rebuilt.push(toReceiptRecord(receipt));
      continue;
    }
    const stream = streams.find((candidate) => candidate.name === record.stream);
    if (!stream) continue;
    // Without a cross-method identity rule one key is one record per method: the newest visible one is what the server holds.
    const rids = [...new Set([key, ...ACQUISITION_METHODS.map((method) => recordIdentity(stream, method, key))])];
    const found = (await db.records.bulkGet(rids.map((rid) => [row.connectionId, stream.name, rid] as [string, string, string]))).filter((candidate): candidate is StoredRecord => !!candidate);
    const current = found.filter((candidate) => !candidate.tombstone).sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1))[0] ?? found[0];
    if (current) rebuilt.push(toPdppRecord(current));
  }
  const parts = rebuilt.map((record) => canonicalJson(record));
  const recordsJson = `[${parts.join(',')}]`;
  const streamCounts: Record<string, number> = {};
  for (const record of rebuilt) streamCounts[record.stream] = (streamCounts[record.stream] ?? 0) + 1;
  return {
    ...row,
    status: 'pending',
    recordsJson,
    bodyHash: await sha256Hex(recordsJson),
    recordCount: rebuilt.length,
    streams: streamCounts,
    deletes: rebuilt.filter((record) => record.op === 'delete').length,
    bytes: utf8Length(recordsJson),
    attempts: 0,
    setAsideUnder: undefined,
  };
}

/** The oldest batch still waiting to be sent. */
export async function nextPendingBatch(db: GleanerDatabase, connectionId: string): Promise<ExportBatchRow | undefined> {
  return db.exportBatches
    .where('[connectionId+seq]')
    .between([connectionId, Dexie.minKey], [connectionId, Dexie.maxKey])
    .filter((row) => row.status === 'pending')
    .first();
}

/** Records waiting: in built-but-unsent batches plus change-feed entries not yet planned. */
export async function pendingCounts(db: GleanerDatabase, connectionId: string): Promise<{ records: number; batches: number; unplannedChanges: number }> {
  const link = await db.exportLinks.get(connectionId);
  if (!link) return { records: 0, batches: 0, unplannedChanges: 0 };
  let records = 0;
  let batches = 0;
  await db.exportBatches
    .where('[connectionId+seq]')
    .between([connectionId, Dexie.minKey], [connectionId, Dexie.maxKey])
    .each((row) => {
      if (row.status === 'pending') {
        records += row.recordCount;
        batches += 1;
      }
    });
  const unplanned = db.changes.where('[connectionId+seq]').between([connectionId, link.plannedThroughSeq + 1], [connectionId, Dexie.maxKey], true, true);
  let unplannedChanges = await unplanned.clone().count();
  // A bulk row stands for `count` records. Read rows to weigh them only while the backlog is short
  // (bulk rows come one per import chunk, so a long backlog is per-record rows, already counted right).
  if (unplannedChanges <= PENDING_SCAN_LIMIT) {
    await unplanned.each((change) => {
      if (change.kind === 'bulk') unplannedChanges += (change.count ?? 1) - 1;
    });
  }
  return { records: records + unplannedChanges, batches, unplannedChanges };
}

/** The change seq up to which every batch was accepted, in order (the cursor the server may hold). */
export async function acceptedPrefixSeq(db: GleanerDatabase, connectionId: string, fallback: number): Promise<number> {
  let through = fallback;
  let blocked = false;
  await db.exportBatches
    .where('[connectionId+seq]')
    .between([connectionId, Dexie.minKey], [connectionId, Dexie.maxKey])
    .each((row) => {
      if (blocked) return;
      if (row.status === 'accepted') through = Math.max(through, row.toSeq);
      else blocked = true;
    });
  return through;
}

export type { ConnectorDefinition };
