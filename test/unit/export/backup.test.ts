/** Backup and restore: one file, replayed through the merge engine into another profile. */
import { describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from '../../../src/connectors/types';
import { applyBatch } from '../../../src/core/merge-engine';
import { coverageView } from '../../../src/core/coverage';
import type { GleanerDatabase } from '../../../src/db/database';
import { createBackup, parseBackup, restoreBackup } from '../../../src/export/backup';
import { batchInput, obs } from '../../support/batches';
import { exportableStreams, freshDb, testConnection, testStreams } from '../../support/streams';

const connector = { key: 'test', displayName: 'Test', hosts: [], matches: [], streams: exportableStreams(testStreams), artifactParsers: [], exportSteps: [] } as unknown as ConnectorDefinition;
const full2024 = [{ stream: 'orders', start: '2024-01-01', end: '2024-12-31', completeness: 'full' as const }];

async function story(db: GleanerDatabase) {
  const alice = await testConnection(db, 'alice');
  const bob = await testConnection(db, 'bob');
  await applyBatch(db, batchInput(alice.id, { method: 'owner_artifact', sha: 'a'.repeat(64), dataAsOf: '2024-01-01T00:00:00Z', observations: [obs('orders', 'x1', '2023-03-01', { title: 'Export' }), obs('views', 'v1', '2023-03-02')], coverage: [{ stream: 'orders', start: '2019-01-01', end: '2023-12-31', completeness: 'partial' }] }));
  await applyBatch(db, batchInput(alice.id, { method: 'browser_polyfill', dataAsOf: '2024-02-01T00:00:00Z', observations: [obs('orders', 'p1', '2024-05-01'), obs('orders', 'p2', '2024-05-02'), obs('views', 'v1', '2023-03-02', { note: 'page' })] }));
  // A complete read without p2: an authorised tombstone.
  await applyBatch(db, batchInput(alice.id, { method: 'browser_polyfill', dataAsOf: '2024-03-01T00:00:00Z', observations: [obs('orders', 'p1', '2024-05-01', { title: 'newer' })], coverage: full2024 }));
  await applyBatch(db, batchInput(bob.id, { method: 'browser_polyfill', dataAsOf: '2024-02-01T00:00:00Z', observations: [obs('orders', 'b1', '2024-06-01')] }));
  return { alice, bob };
}

async function snapshot(db: GleanerDatabase) {
  const connections = (await db.connections.toArray()).sort((a, b) => (a.accountKey ?? '').localeCompare(b.accountKey ?? ''));
  return Promise.all(
    connections.map(async (connection) => {
      const records = (await db.records.where('connectionId').equals(connection.id).toArray()).sort((a, b) => `${a.stream}/${a.rid}`.localeCompare(`${b.stream}/${b.rid}`));
      const batches = await db.batches.where('connectionId').equals(connection.id).toArray();
      return {
        account: connection.accountKey,
        visible: records.filter((record) => !record.tombstone).map((record) => ({ stream: record.stream, rid: record.rid, data: record.data, batchIds: [...record.batchIds].sort() })),
        tombstoned: records.filter((record) => record.tombstone).map((record) => record.rid),
        coverage: coverageView(batches),
        receipts: batches.map((batch) => ({ id: batch.id, counts: batch.counts, method: batch.method, provenance: batch.provenance })).sort((a, b) => a.id.localeCompare(b.id)),
      };
    }),
  );
}

describe('backup and restore', () => {
  it('restores the same visible records, tombstones, coverage and receipts into an empty profile', async () => {
    const source = await freshDb();
    await story(source);
    const { text, counts } = await createBackup(source, [connector]);
    expect(counts).toEqual({ connections: 2, batches: 4, records: 6 });
    expect(text.split('\n')[0]).toContain('"type":"gleaner-backup"');
    const target = await freshDb();
    const report = await restoreBackup(target, [connector], text);
    expect(report).toMatchObject({ batchesRestored: 4, batchesAlreadyPresent: 0 });
    expect(await snapshot(target)).toEqual(await snapshot(source));
  });

  it('is idempotent: restoring twice changes nothing', async () => {
    const source = await freshDb();
    await story(source);
    const { text } = await createBackup(source, [connector]);
    const target = await freshDb();
    await restoreBackup(target, [connector], text);
    const once = await snapshot(target);
    const changesOnce = await target.changes.count();
    const again = await restoreBackup(target, [connector], text);
    expect(again).toMatchObject({ batchesRestored: 0, batchesAlreadyPresent: 4 });
    expect(await snapshot(target)).toEqual(once);
    expect(await target.changes.count()).toBe(changesOnce);
  });

  it('merges with what the profile already holds, never overwriting it', async () => {
    const source = await freshDb();
    await story(source);
    const { text } = await createBackup(source, [connector]);
    const target = await freshDb();
    const alice = await testConnection(target, 'alice');
    await applyBatch(target, batchInput(alice.id, { method: 'browser_polyfill', dataAsOf: '2024-04-01T00:00:00Z', observations: [obs('orders', 'local', '2024-07-01', { title: 'only here' })] }));
    const report = await restoreBackup(target, [connector], text);
    expect(report.connections.find((connection) => connection.connectionId === alice.id)).toMatchObject({ created: false });
    const records = await target.records.where('connectionId').equals(alice.id).toArray();
    expect(records.find((record) => record.rid === 'local')?.data).toMatchObject({ title: 'only here' });
    expect(records.filter((record) => !record.tombstone).map((record) => record.rid).sort()).toEqual(['browser_polyfill/v1', 'local', 'owner_artifact/v1', 'p1', 'x1']);
  });

  it('refuses damaged or foreign files before changing anything', async () => {
    expect(() => parseBackup('hello')).toThrow(/not a Gleaner backup/);
    const source = await freshDb();
    await story(source);
    const { text } = await createBackup(source, [connector]);
    const cut = text.split('\n').slice(0, 5).join('\n');
    expect(() => parseBackup(cut)).toThrow(/incomplete/);
  });
});
