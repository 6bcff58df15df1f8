/** The merge engine's chunked batches: counts accumulate per chunk, an aborted chunk leaves nothing, a resume duplicates nothing. */
import { describe, expect, it } from 'vitest';
import { applyBatch } from '../../../src/core/merge-engine';
import { applyBatchChunk, beginBatch, finishBatch, type BatchHeader } from '../../../src/core/chunked-batch';
import type { Observation } from '../../../src/core/model';
import { freshDb, testConnection, testStreams } from '../../support/streams';

const observations: Observation[] = Array.from({ length: 60 }, (_, i) => ({ stream: 'orders', data: { id: `o${i}`, at: `2024-01-${String((i % 28) + 1).padStart(2, '0')}`, title: `Order ${i}` } }));
const chunks = [observations.slice(0, 20), observations.slice(20, 40), observations.slice(40)];

function header(connectionId: string): BatchHeader {
  return {
    connectionId,
    connectorKey: 'test',
    streams: testStreams,
    method: 'owner_artifact',
    provenance: { kind: 'artifact', fileName: 'orders.csv', sha256: 'a'.repeat(64), sizeBytes: 10, parserVersion: '1', importedAt: '2025-01-01T00:00:00Z' },
    dataAsOf: '2025-01-01T00:00:00Z',
    artifactSha256: 'a'.repeat(64),
  };
}

describe('chunked batches', () => {
  it('gives the same records and counts as one applyBatch, with an importing receipt that is exact after each chunk', async () => {
    const whole = await freshDb();
    const wholeConnection = await testConnection(whole);
    const one = await applyBatch(whole, { ...header(wholeConnection.id), coverage: [{ stream: 'orders', start: '2024-01-01', end: '2024-01-28', completeness: 'partial' }], observations });

    const db = await freshDb();
    const connection = await testConnection(db);
    const { batch } = await beginBatch(db, header(connection.id));
    expect(batch.status).toBe('importing');
    for (const chunk of chunks) {
      const { batch: after } = await applyBatchChunk(db, header(connection.id), batch.id, { observations: chunk });
      expect(await db.records.count()).toBe(after.counts.new);
    }
    const done = await finishBatch(db, batch.id, { status: 'committed', coverage: [{ stream: 'orders', start: '2024-01-01', end: '2024-01-28', completeness: 'partial' }] });
    expect(done.counts).toEqual(one.batch.counts);
    expect(done.eventRange).toEqual(one.batch.eventRange);
    const strip = (records: { key: string; data: unknown }[]) => records.map(({ key, data }) => ({ key, data })).sort((a, b) => a.key.localeCompare(b.key));
    expect(strip(await db.records.toArray())).toEqual(strip(await whole.records.toArray()));
    // The same file again: the original receipt.
    expect((await beginBatch(db, header(connection.id))).outcome).toBe('already_imported');
  });

  it('an aborted chunk stores nothing, and resuming from the last committed chunk duplicates nothing', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    const { batch } = await beginBatch(db, header(connection.id));
    let cursor = 0;
    const apply = (index: number, fail = false) =>
      applyBatchChunk(db, header(connection.id), batch.id, { observations: chunks[index]! }, {
        tables: [db.meta],
        within: async () => {
          const stored = ((await db.meta.get('cursor'))?.value as number | undefined) ?? 0;
          if (stored !== index) throw new Error('stale');
          await db.meta.put({ key: 'cursor', value: index + 1 });
          if (fail) throw new Error('worker stopped');
        },
      });
    await apply(0);
    await expect(apply(1, true)).rejects.toThrow('worker stopped');
    expect(await db.records.count()).toBe(20);
    expect((await db.meta.get('cursor'))?.value).toBe(1);
    // Resume: reopen, skip what landed, apply the rest; replaying a landed chunk is refused by the cursor.
    expect((await beginBatch(db, header(connection.id))).outcome).toBe('resumed');
    await expect(apply(0)).rejects.toThrow('stale');
    for (cursor = 1; cursor < chunks.length; cursor++) await apply(cursor);
    const done = await finishBatch(db, batch.id, { status: 'committed', coverage: [] });
    expect(done.counts).toMatchObject({ parsed: 60, new: 60, alreadyKnown: 0 });
    expect(await db.records.count()).toBe(60);
    expect(await db.changes.filter((change) => change.kind === 'record').count()).toBe(60);
  });

  it('a bulk chunk enters the change feed as one row counting the records it changed', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    const { batch } = await beginBatch(db, header(connection.id));
    await applyBatchChunk(db, header(connection.id), batch.id, { observations: chunks[0]!, feed: 'bulk' });
    // The same records again change nothing, so the second chunk adds no row.
    await applyBatchChunk(db, header(connection.id), batch.id, { observations: chunks[0]!, feed: 'bulk' });
    await applyBatchChunk(db, header(connection.id), batch.id, { observations: chunks[1]!.slice(0, 7), feed: 'bulk' });
    await finishBatch(db, batch.id, { status: 'committed', coverage: [] });
    const feed = await db.changes.orderBy('seq').toArray();
    expect(feed.map(({ kind, count, batchId }) => ({ kind, count, batchId }))).toEqual([
      { kind: 'bulk', count: 20, batchId: batch.id },
      { kind: 'bulk', count: 7, batchId: batch.id },
      { kind: 'batch', count: undefined, batchId: batch.id },
    ]);
    expect(await db.records.count()).toBe(27);
  });

  it('a cancelled batch claims only the window it stored, never the whole file', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    const { batch } = await beginBatch(db, header(connection.id));
    await applyBatchChunk(db, header(connection.id), batch.id, { observations: [{ stream: 'orders', data: { id: 'x', at: '2024-01-05' } }, { stream: 'orders', data: { id: 'y', at: '2024-01-09' } }] });
    const stopped = await finishBatch(db, batch.id, { status: 'cancelled', coverage: [{ stream: 'orders', start: '2020-01-01', end: '2024-12-31', completeness: 'partial' }] });
    expect(stopped.coverage).toEqual([{ stream: 'orders', start: '2024-01-05', end: '2024-01-09', completeness: 'partial', evidence: expect.any(String) }]);
  });
});
