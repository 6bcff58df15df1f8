/**
 * The export client against the local PDPP test receiver over real HTTP:
 * linking, draining in order, equality of what the server holds, retries,
 * revocation, set-aside and conflicting batches, deletes only for tombstones.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from '../../../src/connectors/types';
import { applyBatch, applyBatchChunk, beginBatch, finishBatch } from '../../../src/core/merge-engine';
import type { GleanerDatabase } from '../../../src/db/database';
import { drainConnection, linkConnection, writeSettings, type ExportDeps, type TokenStore } from '../../../src/export/exporter';
import { ingestBody, pendingCounts } from '../../../src/export/outbox';
import { bodyHash } from '../../../src/export/canonical-json';
import { startReceiver, listRecords, type Receiver } from '../../receiver/server';
import { batchInput, obs } from '../../support/batches';
import { freshDb, testConnection, testStreams } from '../../support/streams';

const testConnector = {
  key: 'test',
  displayName: 'Test',
  hosts: ['example.test'],
  matches: ['https://example.test/*'],
  streams: testStreams.filter((stream) => stream.name !== 'views'),
  extractorVersion: 't/1',
  parserVersion: 't/1',
  pageExtractor: { matches: () => false, extract: () => ({ observations: [], coverage: [], warnings: [] }) },
  artifactParsers: [],
  exportSteps: [],
} as unknown as ConnectorDefinition;

function memoryTokens(): TokenStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, get: async (id) => map.get(id), set: async (id, token) => void map.set(id, token), remove: async (id) => void map.delete(id) };
}

let receiver: Receiver;
let db: GleanerDatabase;
let deps: ExportDeps & { tokens: ReturnType<typeof memoryTokens> };

beforeEach(async () => {
  receiver = await startReceiver();
  db = await freshDb();
  deps = { db, connectors: [testConnector], tokens: memoryTokens(), hasOriginPermission: async () => true, fetch: globalThis.fetch, sleep: async () => undefined, random: () => 0 };
});
afterEach(async () => {
  await receiver.close();
  db.close();
});

async function visible(connectionId: string) {
  const records = await db.records.where('connectionId').equals(connectionId).toArray();
  return records.filter((record) => !record.tombstone).map((record) => ({ stream: record.stream, key: record.key, data: record.data })).sort((a, b) => `${a.stream}/${a.key}`.localeCompare(`${b.stream}/${b.key}`));
}

function onServer(connectorInstanceId: string, streams = ['orders', 'synced']) {
  return listRecords(receiver.state, connectorInstanceId)
    .filter((record) => streams.includes(record.stream))
    .map((record) => ({ stream: record.stream, key: record.record_id, data: record.data }))
    .sort((a, b) => `${a.stream}/${a.key}`.localeCompare(`${b.stream}/${b.key}`));
}

async function seed(connectionId: string, count: number, asOf = '2024-06-01T00:00:00Z') {
  const observations = Array.from({ length: count }, (_, index) => obs('orders', `o${String(index).padStart(4, '0')}`, '2024-05-01', { title: `Order ${index}` }));
  return applyBatch(db, { ...batchInput(connectionId, { method: 'browser_polyfill', observations, dataAsOf: asOf }), connectorKey: 'test', streams: testConnector.streams });
}

describe('export to a PDPP server', () => {
  it('links in one click on a loopback server and sends exactly the visible records plus receipts', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 12);
    const link = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    expect(link.deviceId).toMatch(/^dexp_/);
    expect(link.localBindingName).toBe('test|alice');
    // The token lives in the token store only.
    expect(deps.tokens.map.get(connection.id)).toMatch(/^ldt_/);
    expect(JSON.stringify(await db.exportLinks.toArray())).not.toContain(deps.tokens.map.get(connection.id));

    const result = await drainConnection(deps, connection.id);
    expect(result).toMatchObject({ status: 'active', acceptedRecords: 13, pendingRecords: 0 });
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
    const receipts = listRecords(receiver.state, link.connectorInstanceId).filter((record) => record.stream === 'acquisition_batches');
    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.data).toMatchObject({ method: 'browser_polyfill', counts: { new: 12 } });
    // Cursor after acceptance, heartbeat with nothing pending.
    expect(receiver.state.cursors.get(link.sourceInstanceId)?.state).toMatchObject({ orders: { change_seq: expect.any(Number) } });
    expect(receiver.state.heartbeats.get(link.deviceId)?.source_instances[0]).toMatchObject({ status: 'healthy', records_pending: 0 });
    // Nothing new: a second drain sends nothing.
    expect((await drainConnection(deps, connection.id)).sent).toBe(0);
  });

  it('splits into deterministic batches, resends identical bytes on 503 and never conflicts', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 10);
    await writeSettings(db, { batchRecords: 3 });
    const link = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    receiver.inject503(2, 1);
    const result = await drainConnection(deps, connection.id);
    expect(result.status).toBe('active');
    const rows = await db.exportBatches.orderBy('[connectionId+seq]').toArray();
    expect(rows.map((row) => row.recordCount)).toEqual([3, 3, 3, 2]);
    expect(rows.every((row) => row.status === 'accepted')).toBe(true);
    expect(rows[0]!.id).toBe(`gl_${connection.id}_${rows[0]!.fromSeq}_${rows[0]!.toSeq}`);
    expect(receiver.state.requestLog.filter((entry) => entry.status === 409)).toEqual([]);
    expect(receiver.state.requestLog.filter((entry) => entry.status === 503)).toHaveLength(2);
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
  });

  it('keeps a built batch when the server is down and sends the same id and body hash later', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 4);
    const link = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    const origin = receiver.origin;
    await receiver.close();
    const down = await drainConnection(deps, connection.id);
    expect(down.status).toBe('retrying');
    const [kept] = await db.exportBatches.toArray();
    expect(kept).toMatchObject({ status: 'pending', attempts: 5 });
    // More changes meanwhile do not alter the kept batch.
    await seed(connection.id, 6, '2024-07-01T00:00:00Z');
    receiver = await startReceiver({ port: Number(new URL(origin).port) });
    // The receiver restarted empty here, so re-link (same binding keeps the plan).
    await linkConnection(deps, { connectionId: connection.id, serverOrigin: origin });
    const up = await drainConnection(deps, connection.id);
    expect(up.status).toBe('active');
    const first = await db.exportBatches.get(kept!.id);
    expect(first).toMatchObject({ status: 'accepted', bodyHash: kept!.bodyHash });
    expect([...receiver.state.batches.values()][0]).toMatchObject({ batch_id: kept!.id, body_hash: kept!.bodyHash });
    const relinked = await db.exportLinks.get(connection.id);
    expect(onServer(relinked!.connectorInstanceId)).toEqual(await visible(connection.id));
    expect(link.serverOrigin).toBe(origin);
  });

  it('sends a delete only for an authorised tombstone, and an upsert when it is lifted', async () => {
    const connection = await testConnection(db);
    const streams = testConnector.streams;
    const put = (input: Parameters<typeof batchInput>[1]) => applyBatch(db, { ...batchInput(connection.id, input), streams });
    await put({ method: 'browser_polyfill', dataAsOf: '2024-01-01T00:00:00Z', observations: [obs('orders', 'a', '2024-05-01'), obs('orders', 'b', '2024-05-02')] });
    await put({ method: 'owner_artifact', sha: 'f'.repeat(64), dataAsOf: '2024-01-02T00:00:00Z', observations: [obs('orders', 'exportonly', '2024-05-03')] });
    const link = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    await drainConnection(deps, connection.id);
    // A complete page read of 2024 without b (and without the export-only order): b is tombstoned, exportonly is not.
    await put({ method: 'browser_polyfill', dataAsOf: '2024-03-01T00:00:00Z', observations: [obs('orders', 'a', '2024-05-01')], coverage: [{ stream: 'orders', start: '2024-01-01', end: '2024-12-31', completeness: 'full' }] });
    const before = receiver.state.batches.size;
    await drainConnection(deps, connection.id);
    const sent = [...receiver.state.batches.values()].slice(before);
    expect(sent).toHaveLength(1);
    const keys = onServer(link.connectorInstanceId).map((record) => record.key);
    expect(keys).toEqual(['a', 'exportonly']);
    const row = (await db.exportBatches.toArray()).at(-1)!;
    expect(row.deletes).toBe(1);
    // b seen again later: un-tombstoned, sent as an upsert.
    await put({ method: 'browser_polyfill', dataAsOf: '2024-04-01T00:00:00Z', observations: [obs('orders', 'b', '2024-05-02')] });
    await drainConnection(deps, connection.id);
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
  });

  it('pauses on a revoked token, keeps everything, and continues after linking again', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 3);
    await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    await drainConnection(deps, connection.id);
    receiver.revokeAll();
    await seed(connection.id, 5, '2024-08-01T00:00:00Z');
    const paused = await drainConnection(deps, connection.id);
    expect(paused.status).toBe('paused_auth');
    expect(paused.message).toMatch(/Link again/);
    expect(paused.message).not.toContain(deps.tokens.map.get(connection.id)!);
    expect(paused.pendingRecords).toBeGreaterThan(0);
    // Paused stays paused until the owner links again.
    expect((await drainConnection(deps, connection.id)).sent).toBe(0);
    const relinked = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    const resumed = await drainConnection(deps, connection.id);
    expect(resumed).toMatchObject({ status: 'active', pendingRecords: 0 });
    expect(onServer(relinked.connectorInstanceId)).toEqual(await visible(connection.id));
  });

  it('sets a refused batch aside with the server’s reason and continues with later ones', async () => {
    const connection = await testConnection(db);
    await writeSettings(db, { batchRecords: 2 });
    const link = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    // The server forgets the `synced` stream: a batch carrying one is refused as a whole.
    receiver.state.connectors.get('test')!.streams = receiver.state.connectors.get('test')!.streams.filter((stream) => stream.name !== 'synced');
    const streams = testConnector.streams;
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('synced', 's1', '2024-05-01')] }), streams });
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'o1', '2024-05-01')] }), streams });
    const result = await drainConnection(deps, connection.id);
    expect(result.setAside).toBe(1);
    const aside = (await db.exportBatches.toArray()).find((row) => row.status === 'set_aside')!;
    expect(aside.lastError).toMatch(/not declared/);
    expect(onServer(link.connectorInstanceId).map((record) => record.key)).toEqual(['o1']);
  });

  it('surfaces a 409 batch conflict and keeps the batch', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 2);
    const link = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    await drainConnection(deps, connection.id);
    const [row] = await db.exportBatches.toArray();
    // Another content under the same id (as if a different build had sent it).
    const recordsJson = JSON.stringify([{ data: { id: 'zzz' }, record_key: 'zzz', stream: 'orders' }]);
    await db.exportBatches.update(row!.id, { status: 'pending', recordsJson, bodyHash: await bodyHash(JSON.parse(recordsJson)) });
    const result = await drainConnection(deps, connection.id);
    expect(result.conflicts).toBe(1);
    expect(await db.exportBatches.get(row!.id)).toMatchObject({ status: 'conflict', lastError: expect.stringMatching(/device_batch_conflict/) });
    expect(ingestBody(link, (await db.exportBatches.get(row!.id))!)).toContain('"records":[{"data":{"id":"zzz"}');
  });

  it('refuses to link without host permission and without a code on a remote server', async () => {
    const connection = await testConnection(db);
    await expect(linkConnection({ ...deps, hasOriginPermission: async () => false }, { connectionId: connection.id, serverOrigin: receiver.origin })).rejects.toMatchObject({ code: 'server_permission_needed' });
    await expect(linkConnection(deps, { connectionId: connection.id, serverOrigin: 'https://pdpp.example.org' })).rejects.toMatchObject({ code: 'code_needed' });
    await expect(linkConnection(deps, { connectionId: connection.id, serverOrigin: 'http://pdpp.example.org' })).rejects.toMatchObject({ code: 'bad_server_address' });
  });
});

describe('a large backlog', () => {
  it('a bulk import (one change row per chunk) goes out as a snapshot, weighed by its records while pending', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 4);
    await writeSettings(db, { batchRecords: 10 });
    const link = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    await drainConnection(deps, connection.id);
    const header = {
      connectionId: connection.id,
      connectorKey: 'test',
      streams: testConnector.streams,
      method: 'owner_artifact' as const,
      provenance: { kind: 'artifact' as const, fileName: 'orders.csv', sha256: 'b'.repeat(64), sizeBytes: 10, parserVersion: '1', importedAt: '2025-01-01T00:00:00Z' },
      dataAsOf: '2025-01-01T00:00:00Z',
      artifactSha256: 'b'.repeat(64),
    };
    const { batch } = await beginBatch(db, header);
    for (const part of [0, 1]) {
      const observations = Array.from({ length: 12 }, (_, index) => obs('orders', `imp${part}-${index}`, '2023-02-01', { title: `Imported ${index}` }));
      await applyBatchChunk(db, header, batch.id, { observations, feed: 'bulk' });
    }
    await finishBatch(db, batch.id, { status: 'committed', coverage: [] });
    // Two bulk rows of 12 records and one receipt row: 25 waiting, below the snapshot threshold.
    expect((await pendingCounts(db, connection.id)).unplannedChanges).toBe(25);
    const result = await drainConnection(deps, connection.id);
    expect(result).toMatchObject({ status: 'active', pendingRecords: 0 });
    const rows = await db.exportBatches.orderBy('[connectionId+seq]').toArray();
    expect(rows.slice(1).every((row) => row.id.includes('_snap'))).toBe(true);
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
    expect(onServer(link.connectorInstanceId)).toHaveLength(28);
  });

  it('goes out as a snapshot of current states in key order, then continues change by change', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 25);
    const snapDeps = { ...deps, limits: { snapshotThreshold: 10 } };
    await writeSettings(db, { batchRecords: 10 });
    const link = await linkConnection(snapDeps, { connectionId: connection.id, serverOrigin: receiver.origin });
    const result = await drainConnection(snapDeps, connection.id);
    expect(result).toMatchObject({ status: 'active', acceptedRecords: 26, pendingRecords: 0 });
    const rows = await db.exportBatches.orderBy('[connectionId+seq]').toArray();
    expect(rows.map((row) => row.id)).toEqual([0, 1, 2].map((seq) => `gl_${connection.id}_snap26_${seq}`));
    expect(rows.map((row) => row.recordCount)).toEqual([10, 10, 6]);
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
    const planned = await db.exportLinks.get(connection.id);
    expect(planned).toMatchObject({ plannedThroughSeq: 26, cursorSeq: 26 });
    expect(planned?.snapshot).toBeUndefined();
    // Later changes go change by change.
    await seed(connection.id, 3, '2024-09-01T00:00:00Z');
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'o0000', '2024-05-01', { title: 'renamed' })], dataAsOf: '2024-10-01T00:00:00Z' }), streams: testConnector.streams });
    await drainConnection(snapDeps, connection.id);
    expect((await db.exportBatches.orderBy('[connectionId+seq]').toArray()).at(-1)!.id).toMatch(new RegExp(`^gl_${connection.id}_27_\\d+$`));
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
  });
});
