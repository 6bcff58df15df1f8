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
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';
import { ACQUISITION_METHODS, type StoredRecord } from '../core/model';
import { recordIdentity } from '../core/merge-engine';
import type { StreamDefinition } from '../connectors/types';
import { canonicalJson } from './canonical-json';
import { sha256Hex } from '../core/hash';
import { RECEIPT_STREAM } from './manifest';
import type { ExportBatchRow } from './types';
import { buildWalkBatch } from './change-walk';
import { buildSnapshotBatch } from './snapshot-walk';
import { batchIdFor, batchRow, coalesce, ENVELOPE_ALLOWANCE, fitByBytes, MAX_REQUEST_BYTES, recordKey, saveBatch, toPdppRecord, toReceiptRecord, utf8Length, type BatchLimits, type PdppRecord, type PlannedEntry } from './ingest-records';
import { CHANGE_SEQ_SINCE_KEY } from '../db/upgrades/v8-change-and-search-indexes';

// The batch shapes live in ingest-records.ts; re-exported so callers keep one import for the outbox.
export * from './ingest-records';

/** A backlog larger than this is sent as a snapshot (ranged reads) rather than change by change (one read per record). */
export const SNAPSHOT_THRESHOLD = 10_000;
/** Backlogs up to this many rows are read to weigh bulk rows in the pending count. */
const PENDING_SCAN_LIMIT = 20_000;

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
