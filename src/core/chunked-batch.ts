/**
 * Chunked batches (large artifacts). One batch is committed as many chunks,
 * each its own transaction: `beginBatch` writes the batch row with status
 * `importing`, `applyBatchChunk` merges one chunk and adds its counts to the
 * row, `finishBatch` makes the receipt final (`committed`, or `cancelled` /
 * `failed` with exactly what was stored). The row's counts are always exactly
 * what the store holds from it. Chunked batches never tombstone (artifacts
 * claim `partial` coverage), but earlier full claims still judge what they
 * observe (M6). The caller's `within` hook runs inside each chunk's
 * transaction, so a job cursor advances atomically with the chunk: a resumed
 * import skips exactly the chunks that landed, with no duplicates. The merge
 * itself is the merge engine's (merge-engine.ts), as for one-transaction batches.
 */
import type { Table } from 'dexie';
import type { GleanerDatabase } from '../db/database';
import { writeChangeFeed } from './change-feed';
import { addTallies } from '../db/record-tallies';
import type { StreamDefinition } from '../connectors/types';
import { newId } from './hash';
import { emptyCounts, type AcquisitionBatch, type AcquisitionMethod, type BatchWarning, type CoverageClaim, type Observation, type Provenance } from './model';
import { mergeEntries, prepareObservations, storedFullClaims, type MergeContext } from './merge-engine';

export interface BatchHeader {
  connectionId: string;
  connectorKey: string;
  streams: readonly StreamDefinition[];
  method: AcquisitionMethod;
  provenance: Provenance;
  dataAsOf: string;
  artifactSha256?: string;
  batchId?: string;
  now?: string;
}

export interface BatchChunk {
  observations: Observation[];
  skipped?: number;
  failed?: number;
  warnings?: BatchWarning[];
  /** Combines a record's part from this chunk with the part an earlier chunk of the batch stored. */
  combine?: MergeContext['combine'];
  /**
   * How the chunk enters the change feed: `records` (default) one row per changed
   * record; `bulk` one row for the whole chunk. An import large enough that the
   * outbox would send it as a snapshot anyway says `bulk`, and spares IndexedDB
   * a write per record (docs/EXPORT.md).
   */
  feed?: 'records' | 'bulk';
}

export interface ChunkTransactionOptions {
  /** More tables the `within` hook writes. */
  tables?: Table[];
  /** Runs first inside the chunk's transaction; throwing aborts the chunk. */
  within?: (batch: AcquisitionBatch) => Promise<void>;
}

export type BeginOutcome = 'started' | 'resumed' | 'already_imported';

/** Creates (or reopens, to resume) the batch row of a chunked import. */
export async function beginBatch(db: GleanerDatabase, header: BatchHeader): Promise<{ outcome: BeginOutcome; batch: AcquisitionBatch }> {
  return db.transaction('rw', [db.batches, db.connections], async () => {
    const connection = await db.connections.get(header.connectionId);
    if (!connection) throw new Error(`No connection ${header.connectionId}`);
    if (connection.connectorKey !== header.connectorKey) throw new Error('Batch connector does not match the connection');
    if (header.artifactSha256) {
      const original = await db.batches.where('[connectionId+artifactSha256]').equals([header.connectionId, header.artifactSha256]).first();
      if (original?.status === 'committed') return { outcome: 'already_imported', batch: original };
      if (original) {
        const reopened: AcquisitionBatch = { ...original, status: 'importing' };
        await db.batches.put(reopened);
        return { outcome: 'resumed', batch: reopened };
      }
    }
    if (header.batchId) {
      const existing = await db.batches.get(header.batchId);
      if (existing) {
        if (existing.status === 'committed') return { outcome: 'already_imported', batch: existing };
        const reopened: AcquisitionBatch = { ...existing, status: 'importing' };
        await db.batches.put(reopened);
        return { outcome: 'resumed', batch: reopened };
      }
    }
    const now = header.now ?? new Date().toISOString();
    const batch: AcquisitionBatch = {
      id: header.batchId ?? newId('bat'),
      connectionId: header.connectionId,
      connectorKey: header.connectorKey,
      method: header.method,
      provenance: header.provenance,
      coverage: [],
      counts: emptyCounts(),
      warnings: [],
      status: 'importing',
      receivedAt: now,
      dataAsOf: header.dataAsOf,
      artifactSha256: header.artifactSha256,
      recaptureCount: 0,
    };
    await db.batches.add(batch);
    return { outcome: 'started', batch };
  });
}

function widen(range: AcquisitionBatch['eventRange'], start: string, end: string): AcquisitionBatch['eventRange'] {
  if (!start) return range;
  if (!range) return { start, end };
  return { start: start < range.start ? start : range.start, end: end > range.end ? end : range.end };
}

/** Merges one chunk of an `importing` batch in its own transaction and adds its counts to the batch row. */
export async function applyBatchChunk(
  db: GleanerDatabase,
  header: Pick<BatchHeader, 'streams' | 'method'>,
  batchId: string,
  chunk: BatchChunk,
  options: ChunkTransactionOptions = {},
): Promise<{ batch: AcquisitionBatch; combined: number }> {
  const extra = options.tables ?? [];
  return db.transaction('rw', [db.batches, db.records, db.changes, db.tallies, ...extra], async () => {
    const batch = await db.batches.get(batchId);
    if (!batch) throw new Error(`No batch ${batchId}`);
    if (batch.status !== 'importing') throw new Error(`Batch ${batchId} is not importing`);
    await options.within?.(batch);
    const warnings: BatchWarning[] = [...(chunk.warnings ?? [])];
    const { prepared, failed, duplicates } = prepareObservations({ streams: header.streams, method: header.method, observations: chunk.observations }, warnings);
    const counts = { ...batch.counts };
    counts.failed += failed + (chunk.failed ?? 0);
    counts.skipped += (chunk.skipped ?? 0) + duplicates;
    if (duplicates > 0) warnings.push({ code: 'duplicates_in_batch', message: `${duplicates} record(s) appeared more than once and were combined.` });
    const entries = [...prepared.values()];
    const now = new Date().toISOString();
    const fullClaims = entries.length > 0 ? await storedFullClaims(db, batch.connectionId) : [];
    const merged = await mergeEntries(
      db,
      { connectionId: batch.connectionId, method: header.method, dataAsOf: batch.dataAsOf, batchId, now, fullClaims, combine: chunk.combine },
      entries,
      counts,
    );
    counts.parsed += chunk.observations.length - merged.combined;
    const updated: AcquisitionBatch = {
      ...batch,
      counts,
      warnings: batch.warnings.length >= 200 ? batch.warnings : [...batch.warnings, ...warnings].slice(0, 200),
      eventRange: widen(batch.eventRange, merged.minEvent, merged.maxEvent),
    };
    await writeChangeFeed(db, batch.connectionId, batchId, now, merged.changes, chunk.feed);
    await addTallies(db, batch.connectionId, merged.tally);
    if (merged.writes.length > 0) await db.records.bulkPut(merged.writes);
    await db.batches.put(updated);
    return { batch: updated, combined: merged.combined };
  });
}

/** Makes a chunked batch's receipt final. A stopped import keeps its counts and claims only the window it stored. */
export async function finishBatch(
  db: GleanerDatabase,
  batchId: string,
  final: { status: Exclude<AcquisitionBatch['status'], 'importing'>; coverage: CoverageClaim[]; warnings?: BatchWarning[] } & Pick<AcquisitionBatch, 'entrySha256s' | 'entrySizes'>,
  options: ChunkTransactionOptions = {},
): Promise<AcquisitionBatch> {
  const extra = options.tables ?? [];
  return db.transaction('rw', [db.batches, db.changes, ...extra], async () => {
    const batch = await db.batches.get(batchId);
    if (!batch) throw new Error(`No batch ${batchId}`);
    await options.within?.(batch);
    let coverage = final.coverage.filter((claim) => claim.completeness === 'partial');
    if (final.status !== 'committed') {
      // Only what landed: the stored event range, never the whole file's.
      const range = batch.eventRange;
      coverage = range
        ? [...new Set(final.coverage.map((claim) => claim.stream))].map((stream) => ({
            stream,
            start: range.start.slice(0, 10),
            end: range.end.slice(0, 10),
            completeness: 'partial' as const,
            evidence: 'Part of an import that stopped before the end of the file',
          }))
        : [];
    }
    // The files read inside an artifact (M7 by content) are known once every one of them was read.
    const entries = final.entrySha256s?.length ? { entrySha256s: final.entrySha256s, entrySizes: final.entrySizes } : {};
    const finished: AcquisitionBatch = { ...batch, ...entries, status: final.status, coverage, warnings: [...batch.warnings, ...(final.warnings ?? [])].slice(0, 200) };
    await db.batches.put(finished);
    await db.changes.add({ kind: 'batch', op: 'upsert', connectionId: batch.connectionId, batchId, at: new Date().toISOString() });
    return finished;
  });
}
