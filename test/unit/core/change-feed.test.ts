/** The change feed export drains: every visible change, in order, and nothing else. */
import { describe, expect, it } from 'vitest';
import { applyBatch } from '../../../src/core/merge-engine';
import { batchInput, obs } from '../../support/batches';
import { freshDb, testConnection } from '../../support/streams';

describe('change feed', () => {
  it('records inserts, updates, tombstones and un-tombstones of visible records, plus each new batch, per connection in order', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    const other = await testConnection(db, 'other');
    const a = await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2024-01-01T00:00:00Z', observations: [obs('orders', 'o1', '2024-05-01'), obs('orders', 'o2', '2024-05-02')] }));
    const b = await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2024-02-01T00:00:00Z', observations: [obs('orders', 'o1', '2024-05-01', { note: 'changed' }), obs('orders', 'o2', '2024-05-02')], coverage: [] }));
    const c = await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2024-03-01T00:00:00Z', observations: [obs('orders', 'o1', '2024-05-01', { note: 'changed' })], coverage: [{ stream: 'orders', start: '2024-01-01', end: '2024-12-31', completeness: 'full' }] }));
    const d = await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2024-04-01T00:00:00Z', observations: [obs('orders', 'o2', '2024-05-02')] }));
    await applyBatch(db, batchInput(other.id, { method: 'browser_polyfill', observations: [obs('orders', 'x', '2024-05-01')] }));
    const feed = await db.changes.where('[connectionId+seq]').between([connection.id, 0], [connection.id, Infinity]).toArray();
    expect(feed.map((change) => [change.batchId, change.kind, change.rid ?? '', change.op])).toEqual([
      [a.batch.id, 'record', 'o1', 'upsert'],
      [a.batch.id, 'record', 'o2', 'upsert'],
      [a.batch.id, 'batch', '', 'upsert'],
      [b.batch.id, 'record', 'o1', 'upsert'], // o2 unchanged: no entry
      [b.batch.id, 'batch', '', 'upsert'],
      [c.batch.id, 'record', 'o2', 'delete'], // authorised reconciliation
      [c.batch.id, 'batch', '', 'upsert'],
      [d.batch.id, 'record', 'o2', 'upsert'], // un-tombstoned
      [d.batch.id, 'batch', '', 'upsert'],
    ]);
  });

  it('never produces a delete for a record only another method knows, whatever full claims arrive', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    await applyBatch(db, batchInput(connection.id, { method: 'owner_artifact', dataAsOf: '2023-01-01T00:00:00Z', observations: [obs('orders', 'archived', '2023-05-19')] }));
    await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2024-01-01T00:00:00Z', observations: [], coverage: [{ stream: 'orders', start: '2023-01-01', end: '2023-12-31', completeness: 'full' }] }));
    expect((await db.changes.toArray()).filter((change) => change.op === 'delete')).toEqual([]);
  });
});
