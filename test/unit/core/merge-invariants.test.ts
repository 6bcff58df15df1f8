/**
 * The merge invariants M1–M10 (docs/DATA-MODEL.md), one named test each.
 * The requirement text's SHALLs map onto them as noted per test.
 */
import { describe, expect, it } from 'vitest';
import { applyBatch } from '../../../src/core/merge-engine';
import { coverageView } from '../../../src/core/coverage';
import { batchInput, obs } from '../../support/batches';
import { freshDb, testConnection } from '../../support/streams';
import type { GleanerDatabase } from '../../../src/db/database';

async function visible(db: GleanerDatabase, connectionId: string, stream?: string) {
  const all = await db.records.where('connectionId').equals(connectionId).toArray();
  return all.filter((record) => !record.tombstone && (!stream || record.stream === stream));
}

describe('merge invariants', () => {
  it('M1: records are connection-scoped — one connection never overwrites, tombstones or dedupes another', async () => {
    const db = await freshDb();
    const alice = await testConnection(db, 'alice');
    const bob = await testConnection(db, 'bob');
    await applyBatch(db, batchInput(alice.id, { method: 'browser_polyfill', observations: [obs('orders', 'o1', '2024-05-01', { title: 'Alice lamp' })] }));
    await applyBatch(db, batchInput(bob.id, { method: 'browser_polyfill', observations: [obs('orders', 'o1', '2024-05-01', { title: 'Bob chair' })] }));
    // Bob's full claim over 2024 with nothing of Alice's in it.
    await applyBatch(db, batchInput(bob.id, { method: 'browser_polyfill', observations: [], coverage: [{ stream: 'orders', start: '2024-01-01', end: '2024-12-31', completeness: 'full' }] }));
    const aliceRecords = await visible(db, alice.id);
    expect(aliceRecords).toHaveLength(1);
    expect(aliceRecords[0]!.data.title).toBe('Alice lamp');
    expect(aliceRecords[0]!.tombstone).toBeUndefined();
    expect((await db.records.where('connectionId').equals(bob.id).toArray())[0]!.data.title).toBe('Bob chair');
  });

  it('M2: without an identity rule equal keys from two methods stay apart; with it they are one record', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    for (const method of ['browser_polyfill', 'owner_artifact'] as const) {
      await applyBatch(db, batchInput(connection.id, { method, observations: [obs('views', 'v1', '2024-03-01'), obs('orders', 'o1', '2024-03-01')] }));
    }
    expect(await visible(db, connection.id, 'views')).toHaveLength(2);
    const orders = await visible(db, connection.id, 'orders');
    expect(orders).toHaveLength(1);
    expect(orders[0]!.methods.sort()).toEqual(['browser_polyfill', 'owner_artifact']);
  });

  it('M3: every batch keeps method, provenance, coverage and counts; every record lists its batches', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    const coverage = [{ stream: 'orders', start: '2019-01-01', end: '2023-12-31', completeness: 'partial' as const }];
    const artifact = await applyBatch(db, batchInput(connection.id, { method: 'owner_artifact', sha: 'a'.repeat(64), observations: [obs('orders', 'o1', '2020-01-01'), obs('orders', 'o2', '2021-01-01')], coverage }));
    const capture = await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'o2', '2021-01-01')] }));
    const stored = await db.batches.get(artifact.batch.id);
    expect(stored?.method).toBe('owner_artifact');
    expect(stored?.provenance).toMatchObject({ kind: 'artifact', sha256: 'a'.repeat(64) });
    expect(stored?.coverage).toEqual(coverage);
    expect(stored?.counts).toMatchObject({ parsed: 2, new: 2 });
    const o2 = await db.records.get([connection.id, 'orders', 'o2']);
    expect(o2?.batchIds).toEqual([artifact.batch.id, capture.batch.id]);
    expect(o2?.methods).toEqual(['owner_artifact', 'browser_polyfill']);
  });

  it('M4: newest value wins per field, but never an empty value or a truncated prefix; every observation recoverable', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    await applyBatch(db, batchInput(connection.id, { method: 'owner_artifact', dataAsOf: '2024-01-01T00:00:00Z', observations: [obs('orders', 'o1', '2023-06-01T10:00:00Z', { title: 'Ergonomic walnut desk lamp with dimmer', note: 'Delivered' })] }));
    const later = await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2024-06-01T00:00:00Z', observations: [obs('orders', 'o1', '2023-06-01', { title: 'Ergonomic walnut desk lamp…', note: 'Returned', n: 0 })] }));
    const record = (await db.records.get([connection.id, 'orders', 'o1']))!;
    expect(record.data.title).toBe('Ergonomic walnut desk lamp with dimmer'); // truncated prefix never wins
    expect(record.data.at).toBe('2023-06-01T10:00:00Z'); // a day is a prefix of the instant
    expect(record.data.note).toBe('Returned'); // newest wins
    expect(record.data.n).toBe(0); // zero is a value, not an absence
    expect(record.versions).toHaveLength(2);
    expect(record.versions.find((version) => version.batchIds.includes(later.batch.id))?.data.note).toBe('Returned');
    await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2024-07-01T00:00:00Z', observations: [obs('orders', 'o1', '2023-06-01', { note: '' })] }));
    expect((await db.records.get([connection.id, 'orders', 'o1']))!.data.note).toBe('Returned'); // empty never replaces
  });

  it('M5: a batch never hides or removes a record it did not observe (partial claims included)', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    await applyBatch(db, batchInput(connection.id, { method: 'owner_artifact', observations: [obs('orders', 'old', '2024-02-01')] }));
    await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'new', '2024-03-01')], coverage: [{ stream: 'orders', start: '2024-01-01', end: '2024-12-31', completeness: 'partial' }] }));
    expect((await visible(db, connection.id)).map((record) => record.key).sort()).toEqual(['new', 'old']);
  });

  it('M6: a full claim tombstones only same-method records inside its window, softly, and a later observation lifts it', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    await applyBatch(db, batchInput(connection.id, { method: 'owner_artifact', observations: [obs('orders', 'export-only', '2024-04-01')] }));
    await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'cancelled', '2024-05-01'), obs('orders', 'kept', '2024-06-01'), obs('orders', 'outside', '2023-12-31')] }));
    const full = await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'kept', '2024-06-01')], coverage: [{ stream: 'orders', start: '2024-01-01', end: '2024-12-31', completeness: 'full' }] }));
    expect(full.batch.counts.tombstoned).toBe(1);
    const cancelled = await db.records.get([connection.id, 'orders', 'cancelled']);
    expect(cancelled?.tombstone?.batchId).toBe(full.batch.id);
    expect((await visible(db, connection.id)).map((record) => record.key).sort()).toEqual(['export-only', 'kept', 'outside']);
    // Soft: the record is still stored, and is back once observed again.
    const again = await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'cancelled', '2024-05-01')] }));
    expect(again.batch.counts.restored).toBe(1);
    expect((await db.records.get([connection.id, 'orders', 'cancelled']))?.tombstone).toBeUndefined();
  });

  it('M6: an explicit reconciliation rule lets a full claim reach other methods’ records', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    await applyBatch(db, batchInput(connection.id, { method: 'owner_artifact', observations: [obs('synced', 's1', '2024-04-01'), obs('orders', 'o1', '2024-04-01')] }));
    await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', observations: [], coverage: [{ stream: 'synced', start: '2024-01-01', end: '2024-12-31', completeness: 'full' }, { stream: 'orders', start: '2024-01-01', end: '2024-12-31', completeness: 'full' }] }));
    expect((await db.records.get([connection.id, 'synced', 's1']))?.tombstone).toBeDefined();
    expect((await db.records.get([connection.id, 'orders', 'o1']))?.tombstone).toBeUndefined();
  });

  it('M7: the same artifact twice changes nothing and returns the original receipt', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    const input = { method: 'owner_artifact' as const, sha: 'b'.repeat(64), observations: [obs('orders', 'o1', '2024-01-01')] };
    const first = await applyBatch(db, batchInput(connection.id, input));
    const snapshot = await db.records.toArray();
    const second = await applyBatch(db, batchInput(connection.id, { ...input, observations: [obs('orders', 'o1', '2024-01-01', { title: 'changed' })] }));
    expect(second.outcome).toBe('already_imported');
    expect(second.batch).toEqual(first.batch);
    expect(await db.batches.count()).toBe(1);
    expect(await db.records.toArray()).toEqual(snapshot);
  });

  it('M7: an unchanged re-capture adds no record versions and only bumps a counter', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    const capture = { method: 'browser_polyfill' as const, contentHash: 'h1', observations: [obs('orders', 'o1', '2024-01-01')] };
    const first = await applyBatch(db, batchInput(connection.id, capture));
    const records = await db.records.toArray();
    const second = await applyBatch(db, batchInput(connection.id, capture));
    expect(second.outcome).toBe('unchanged_recapture');
    expect(second.batch.id).toBe(first.batch.id);
    expect(second.batch.recaptureCount).toBe(1);
    expect(await db.records.toArray()).toEqual(records);
    expect(await db.batches.count()).toBe(1);
  });

  it('M8: the export’s window stays visible in the coverage view after many captures', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    await applyBatch(db, batchInput(connection.id, { method: 'owner_artifact', observations: [obs('orders', 'o1', '2019-03-01')], coverage: [{ stream: 'orders', start: '2019-01-01', end: '2023-12-31', completeness: 'partial' }] }));
    for (let index = 1; index <= 12; index += 1) {
      const month = String(index).padStart(2, '0');
      await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', `c${index}`, `2024-${month}-02`)], coverage: [{ stream: 'orders', start: `2024-${month}-01`, end: `2024-${month}-28`, completeness: 'full' }] }));
    }
    const view = coverageView(await db.batches.where('connectionId').equals(connection.id).toArray());
    const orders = view.find((entry) => entry.stream === 'orders')!;
    expect(orders.methods.find((method) => method.method === 'owner_artifact')?.windows).toMatchObject([{ start: '2019-01-01', end: '2023-12-31' }]);
    expect(orders.methods.find((method) => method.method === 'browser_polyfill')?.windows).toHaveLength(12);
  });

  it('M9: a batch for another account goes to another connection; an artifact without signal goes where the owner picks', async () => {
    const db = await freshDb();
    const { connectionForHint } = await import('../../../src/core/connections');
    const dana = await connectionForHint(db, 'test', 'Test', { key: 'test|dana', label: 'Dana', evidence: 'greeting' });
    const danaAgain = await connectionForHint(db, 'test', 'Test', { key: 'test|dana', label: 'Dana', evidence: 'greeting' });
    const sam = await connectionForHint(db, 'test', 'Test', { key: 'test|sam', label: 'Sam', evidence: 'greeting' });
    expect(danaAgain.id).toBe(dana.id);
    expect(sam.id).not.toBe(dana.id);
    // The owner picks Sam's connection for an unsigned artifact: it lands there with its own receipt.
    const receipt = await applyBatch(db, batchInput(sam.id, { method: 'owner_artifact', sha: 'c'.repeat(64), observations: [obs('orders', 'x', '2020-01-01')] }));
    expect(receipt.batch.connectionId).toBe(sam.id);
    expect(await db.records.where('connectionId').equals(dana.id).count()).toBe(0);
  });

  it('M10: export before or after the captures yields the same visible records', async () => {
    const exportBatch = { method: 'owner_artifact' as const, sha: 'd'.repeat(64), dataAsOf: '2024-01-05T00:00:00Z', observations: [obs('orders', 'o1', '2023-12-01T08:00:00Z', { note: 'Delivered' }), obs('orders', 'o2', '2023-11-01T08:00:00Z')] };
    const captures = [
      { method: 'browser_polyfill' as const, dataAsOf: '2024-03-01T00:00:00Z', observations: [obs('orders', 'o1', '2023-12-01', { note: 'Returned' }), obs('orders', 'o3', '2024-02-01')] },
      { method: 'browser_polyfill' as const, dataAsOf: '2024-04-01T00:00:00Z', observations: [obs('orders', 'o3', '2024-02-01')], coverage: [{ stream: 'orders', start: '2023-01-01', end: '2024-12-31', completeness: 'full' as const }] },
    ];
    const results: unknown[] = [];
    for (const order of [[exportBatch, ...captures], [...captures, exportBatch]]) {
      const db = await freshDb();
      const connection = await testConnection(db);
      for (const [index, batch] of order.entries()) await applyBatch(db, batchInput(connection.id, { ...batch, batchId: `b${batch.method}${index}` }));
      results.push((await visible(db, connection.id)).map((record) => ({ key: record.key, data: record.data })).sort((a, b) => a.key.localeCompare(b.key)));
    }
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toHaveLength(3);
  });
});
