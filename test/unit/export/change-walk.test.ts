/**
 * Export proportional to change (issue 13): an import's bulk feed rows and a
 * long backlog go out as the records those changes touched, read by change
 * seq, never as a snapshot of the connection; the walk is resumable and a
 * record changed again meanwhile goes out once more, newest state; a range
 * from before schema v8 (records without a change seq) still goes out whole.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from '../../../src/connectors/types';
import { applyBatch } from '../../../src/core/merge-engine';
import { applyBatchChunk, beginBatch, finishBatch } from '../../../src/core/chunked-batch';
import type { GleanerDatabase } from '../../../src/db/database';
import { CHANGE_SEQ_SINCE_KEY } from '../../../src/db/upgrades/v8-change-and-search-indexes';
import { drainConnection, linkConnection, writeSettings, type ExportDeps } from '../../../src/export/exporter';
import { buildNextBatch, DEFAULT_LIMITS } from '../../../src/export/outbox';
import { startReceiver, listRecords, type Receiver } from '../../receiver/server';
import { batchInput, obs } from '../../support/batches';
import { exportableStreams, freshDb, testConnection, testStreams } from '../../support/streams';

const streams = exportableStreams(testStreams.filter((stream) => stream.name !== 'views'));
const connector = {
  key: 'test',
  displayName: 'Test',
  hosts: ['example.test'],
  matches: ['https://example.test/*'],
  streams,
  extractorVersion: 't/1',
  parserVersion: 't/1',
  pageExtractor: { matches: () => false, extract: () => ({ observations: [], coverage: [], warnings: [] }) },
  artifactParsers: [],
  exportSteps: [],
} as unknown as ConnectorDefinition;

let receiver: Receiver;
let db: GleanerDatabase;
let deps: ExportDeps;
const tokens = new Map<string, string>();

beforeEach(async () => {
  receiver = await startReceiver();
  db = await freshDb();
  deps = {
    db,
    connectors: [connector],
    tokens: { get: async (id) => tokens.get(id), set: async (id, token) => void tokens.set(id, token), remove: async (id) => void tokens.delete(id) },
    hasOriginPermission: async () => true,
    fetch: globalThis.fetch,
    sleep: async () => undefined,
    random: () => 0,
  };
});
afterEach(async () => {
  await receiver.close();
  db.close();
});

async function seed(connectionId: string, count: number, prefix = 'o', asOf = '2024-06-01T00:00:00Z') {
  const observations = Array.from({ length: count }, (_, index) => obs('orders', `${prefix}${String(index).padStart(4, '0')}`, '2024-05-01', { title: `Order ${index}` }));
  return applyBatch(db, { ...batchInput(connectionId, { method: 'browser_polyfill', observations, dataAsOf: asOf }), connectorKey: 'test', streams });
}

async function bulkImport(connectionId: string, parts: Record<string, unknown>[][], sha: string) {
  const header = {
    connectionId,
    connectorKey: 'test',
    streams,
    method: 'owner_artifact' as const,
    provenance: { kind: 'artifact' as const, fileName: 'orders.csv', sha256: sha, sizeBytes: 10, parserVersion: '1', importedAt: '2025-01-01T00:00:00Z' },
    dataAsOf: '2025-01-01T00:00:00Z',
    artifactSha256: sha,
  };
  const { batch } = await beginBatch(db, header);
  for (const part of parts) await applyBatchChunk(db, header, batch.id, { observations: part.map((data) => ({ stream: 'orders', data })), feed: 'bulk' });
  return finishBatch(db, batch.id, { status: 'committed', coverage: [] });
}

const sentAfter = async (connectionId: string, afterBatchSeq: number) =>
  (await db.exportBatches.where('[connectionId+seq]').between([connectionId, afterBatchSeq + 1], [connectionId, Infinity]).toArray()).flatMap((row) => ({ id: row.id, count: row.recordCount }));

const visible = async (connectionId: string) =>
  (await db.records.where('connectionId').equals(connectionId).toArray())
    .filter((record) => !record.tombstone)
    .map((record) => ({ stream: record.stream, key: record.key, data: record.data }))
    .sort((a, b) => `${a.stream}/${a.key}`.localeCompare(`${b.stream}/${b.key}`));

const onServer = (connectorInstanceId: string) =>
  listRecords(receiver.state, connectorInstanceId)
    .filter((record) => record.stream !== 'acquisition_batches')
    .map((record) => ({ stream: record.stream, key: record.record_id, data: record.data }))
    .sort((a, b) => `${a.stream}/${a.key}`.localeCompare(`${b.stream}/${b.key}`));

describe('export proportional to change', () => {
  it('an import into a large connection sends exactly the records it changed and its receipt', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 60);
    await writeSettings(db, { batchRecords: 7 });
    const link = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    await drainConnection(deps, connection.id);
    const before = (await db.exportBatches.toArray()).length;
    // 3 chunks: 5 changed existing orders, 5 unchanged ones, 20 new.
    const changed = Array.from({ length: 5 }, (_, index) => ({ id: `o${String(index).padStart(4, '0')}`, at: '2024-05-01', title: `Renamed ${index}` }));
    const same = Array.from({ length: 5 }, (_, index) => ({ id: `o${String(index + 10).padStart(4, '0')}`, at: '2024-05-01', title: `Order ${index + 10}` }));
    const fresh = Array.from({ length: 20 }, (_, index) => ({ id: `n${String(index).padStart(4, '0')}`, at: '2023-02-01', title: `New ${index}` }));
    const receipt = await bulkImport(connection.id, [[...changed, ...same], fresh.slice(0, 10), fresh.slice(10)], 'c'.repeat(64));
    expect(receipt.counts).toMatchObject({ new: 20, updated: 5, alreadyKnown: 5 });
    const result = await drainConnection(deps, connection.id);
    expect(result).toMatchObject({ status: 'active', pendingRecords: 0 });
    const batches = await sentAfter(connection.id, before - 1);
    expect(batches.every((batch) => batch.id.includes('_w'))).toBe(true);
    // 25 changed records + 1 receipt, in batches of at most 7.
    expect(batches.reduce((sum, batch) => sum + batch.count, 0)).toBe(26);
    expect(batches.map((batch) => batch.count)).toEqual([7, 7, 7, 5]);
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
    const planned = await db.exportLinks.get(connection.id);
    expect(planned?.walk).toBeUndefined();
    expect(planned?.plannedThroughSeq).toBe((await db.changes.orderBy('seq').last())!.seq);
  });

  it('is resumable: each batch persists where the walk got to; a record changed meanwhile goes out again, newest state', async () => {
    const connection = await testConnection(db);
    await writeSettings(db, { batchRecords: 4 });
    const link = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    const fresh = Array.from({ length: 10 }, (_, index) => ({ id: `n${String(index).padStart(4, '0')}`, at: '2023-02-01', title: `New ${index}` }));
    await bulkImport(connection.id, [fresh.slice(0, 5), fresh.slice(5)], 'd'.repeat(64));
    const limits = { ...DEFAULT_LIMITS, maxRecords: 4 };
    const first = await buildNextBatch(db, connection.id, limits, undefined, ['orders', 'synced']);
    expect(first?.recordCount).toBe(4);
    expect((await db.exportLinks.get(connection.id))?.walk).toMatchObject({ phase: 'records', after: [expect.any(Number), 'orders', 'n0003'] });
    // A record not yet walked changes again (later seq), and one already walked changes too.
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'n0008', '2023-02-01', { title: 'Later' }), obs('orders', 'n0001', '2023-02-01', { title: 'Later too' })], dataAsOf: '2025-06-01T00:00:00Z' }), streams });
    // The rest, by a later drain (as after a worker restart): nothing twice within the walk, everything in its newest state.
    await drainConnection(deps, connection.id);
    const rows = await db.exportBatches.orderBy('[connectionId+seq]').toArray();
    expect(rows.every((row) => row.status === 'accepted')).toBe(true);
    const walked = rows.filter((row) => row.id.includes('_w')).reduce((sum, row) => sum + row.recordCount, 0);
    // The walk: 9 of the 10 (n0008 left its range) + the import's receipt; then change by change: n0008, n0001 and the page's receipt.
    expect(walked).toBe(10);
    expect(rows.filter((row) => !row.id.includes('_w')).reduce((sum, row) => sum + row.recordCount, 0)).toBe(3);
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
    expect(onServer(link.connectorInstanceId).find((record) => record.key === 'n0008')?.data).toMatchObject({ title: 'Later' });
  });

  it('a range from before schema v8 (records without a change seq) still goes out as a snapshot', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 8);
    const last = (await db.changes.orderBy('seq').last())!.seq as number;
    await db.meta.put({ key: CHANGE_SEQ_SINCE_KEY, value: last + 1 });
    await writeSettings(db, { batchRecords: 5 });
    const link = await linkConnection({ ...deps, limits: { snapshotThreshold: 3 } }, { connectionId: connection.id, serverOrigin: receiver.origin });
    await drainConnection({ ...deps, limits: { snapshotThreshold: 3 } }, connection.id);
    const rows = await db.exportBatches.orderBy('[connectionId+seq]').toArray();
    expect(rows.map((row) => row.id)).toEqual([0, 1].map((seq) => `gl_${connection.id}_snap${last}_${seq}`));
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
  });

  it('tombstones from a full claim go out as deletes by change seq', async () => {
    const connection = await testConnection(db);
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', observations: Array.from({ length: 6 }, (_, index) => obs('synced', `s${index}`, '2024-03-0' + (index + 1))), dataAsOf: '2024-04-01T00:00:00Z' }), streams });
    const link = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    await drainConnection(deps, connection.id);
    const full = { stream: 'synced', start: '2024-03-01', end: '2024-03-31', completeness: 'full' as const };
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('synced', 's0', '2024-03-01')], coverage: [full], dataAsOf: '2024-05-01T00:00:00Z' }), streams });
    const before = (await db.exportBatches.toArray()).length;
    await drainConnection({ ...deps, limits: { snapshotThreshold: 2 } }, connection.id);
    const rows = await sentAfter(connection.id, before - 1);
    expect(rows.every((row) => row.id.includes('_w'))).toBe(true);
    expect((await db.exportBatches.toArray()).slice(before).reduce((sum, row) => sum + row.deletes, 0)).toBe(5);
    expect(listRecords(receiver.state, link.connectorInstanceId).filter((record) => record.stream === 'synced').map((record) => record.record_id)).toEqual(['s0']);
  });
});
