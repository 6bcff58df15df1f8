/**
 * The export client against the local PDPP test receiver over real HTTP:
 * linking, draining in order, equality of what the server holds, retries,
 * revocation, set-aside and conflicting batches, deletes only for tombstones.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from '../../../src/connectors/types';
import { applyBatch } from '../../../src/core/merge-engine';
import { applyBatchChunk, beginBatch, finishBatch } from '../../../src/core/chunked-batch';
import type { GleanerDatabase } from '../../../src/db/database';
import { drainConnection, linkConnection, retrySetAside, writeSettings, type ExportDeps, type TokenStore } from '../../../src/export/exporter';
import { ingestBody, pendingCounts } from '../../../src/export/outbox';
import { buildManifest } from '../../../src/export/manifest';
import { bodyHash } from '../../../src/export/canonical-json';
import { startReceiver, listRecords, type Receiver } from '../../receiver/server';
import { batchInput, obs } from '../../support/batches';
import { exportableStreams, freshDb, testConnection, testStreams } from '../../support/streams';

const testConnector = {
  key: 'test',
  displayName: 'Test',
  hosts: ['example.test'],
  matches: ['https://example.test/*'],
  streams: exportableStreams(testStreams.filter((stream) => stream.name !== 'views')),
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
    expect(receiver.state.cursors.get(link.connectorInstanceId)?.state).toMatchObject({ orders: { change_seq: expect.any(Number) } });
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
    // A receiver whose data survives its restart, as the real server's database does.
    const dataFile = path.join(mkdtempSync(path.join(tmpdir(), 'gleaner-recv-')), 'receiver.json');
    await receiver.close();
    receiver = await startReceiver({ dataFile });
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
    receiver = await startReceiver({ port: Number(new URL(origin).port), dataFile });
    const up = await drainConnection(deps, connection.id);
    expect(up.status).toBe('active');
    expect(await db.exportBatches.get(kept!.id)).toMatchObject({ status: 'accepted', bodyHash: kept!.bodyHash });
    expect([...receiver.state.batches.values()][0]).toMatchObject({ batch_id: kept!.id, body_hash: kept!.bodyHash });
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
  });

  it('links a server that lost its data (a new server connection) afresh: everything is sent again', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 4);
    const first = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    await drainConnection(deps, connection.id);
    const port = Number(new URL(receiver.origin).port);
    await receiver.close();
    receiver = await startReceiver({ port }); // empty: the owner wiped the server
    const again = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    expect(again).toMatchObject({ newServerConnection: true, localBindingName: first.localBindingName });
    expect(await drainConnection(deps, connection.id)).toMatchObject({ status: 'active', acceptedRecords: 5 });
    expect(onServer(again.connectorInstanceId)).toEqual(await visible(connection.id));
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
    receiver.state.connectors.get('gleaner-test')!.streams = receiver.state.connectors.get('gleaner-test')!.streams.filter((stream) => stream.name !== 'synced');
    const streams = testConnector.streams;
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('synced', 's1', '2024-05-01')] }), streams });
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'o1', '2024-05-01')] }), streams });
    const result = await drainConnection(deps, connection.id);
    expect(result.setAside).toBe(1);
    const aside = (await db.exportBatches.toArray()).find((row) => row.status === 'set_aside')!;
    expect(aside.lastError).toMatch(/not declared/);
    expect(onServer(link.connectorInstanceId).map((record) => record.key)).toEqual(['o1']);
  });

  it('sends a set-aside batch again, rebuilt from current states, once the manifest changed or the owner asks', async () => {
    const connection = await testConnection(db);
    const streams = testConnector.streams;
    const link = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    // Someone registers Gleaner's manifest without the `synced` stream on the server; later the full one is back.
    const full = await buildManifest(testConnector);
    const register = (manifest: unknown) => fetch(`${receiver.origin}/connectors`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(manifest) });
    const withoutSynced = { ...full, streams: full.streams.filter((stream) => stream.name !== 'synced') };
    await register(withoutSynced);
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2024-05-02T00:00:00Z', observations: [obs('synced', 's1', '2024-05-01', { title: 'first' }), obs('orders', 'o1', '2024-05-01', { title: 'first' })] }), streams });
    expect((await drainConnection(deps, connection.id)).setAside).toBe(1);
    const [aside] = await db.exportBatches.toArray();
    expect(aside).toMatchObject({ status: 'set_aside', setAsideUnder: `${link.manifestVersion}|${link.deviceId}` });
    // A later batch changes o1 and is accepted (it carries no `synced` record).
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2024-06-01T00:00:00Z', observations: [obs('orders', 'o1', '2024-05-01', { title: 'second' })] }), streams });
    expect((await drainConnection(deps, connection.id)).acceptedRecords).toBeGreaterThan(0);
    // Nothing changed: the next drain does not resend the refused batch.
    expect((await drainConnection(deps, connection.id)).sent).toBe(0);
    // The server learns the stream again and Gleaner's manifest version moves (an update): the batch goes again,
    // with o1's current title, so the older state never overwrites the newer one.
    await register(full);
    // As if the batch had been refused under the previous version of Gleaner, whose manifest was older.
    await db.exportLinks.update(connection.id, { manifestVersion: 'an-older-version' });
    await db.exportBatches.update(aside!.id, { setAsideUnder: `an-older-version|${link.deviceId}` });
    const again = await drainConnection(deps, connection.id);
    expect(again).toMatchObject({ status: 'active', setAside: 0 });
    expect(await db.exportBatches.get(aside!.id)).toMatchObject({ status: 'accepted', id: aside!.id });
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
    expect(onServer(link.connectorInstanceId).find((record) => record.key === 'o1')?.data).toMatchObject({ title: 'second' });
    expect((await db.exportLinks.get(connection.id))?.manifestVersion).toBe(link.manifestVersion);

    // The owner's "Send again" does the same without any update.
    await register(withoutSynced);
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2024-07-01T00:00:00Z', observations: [obs('synced', 's2', '2024-05-01')] }), streams });
    expect((await drainConnection(deps, connection.id)).setAside).toBe(1);
    const retried = await retrySetAside(deps, connection.id); // re-registers the full manifest first
    expect(retried).toMatchObject({ status: 'active', setAside: 0 });
    expect((await db.exportBatches.toArray()).every((row) => row.status === 'accepted')).toBe(true);
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
  });

  it('pauses on the heartbeat alone when the owner revoked the device and nothing is waiting', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 2);
    await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    expect((await drainConnection(deps, connection.id)).status).toBe('active');
    receiver.revokeAll();
    const paused = await drainConnection(deps, connection.id);
    expect(paused).toMatchObject({ status: 'paused_auth', sent: 0, pendingRecords: 0 });
    expect(paused.message).toMatch(/no longer accepts this browser’s link.*Link again/);
    expect(await db.exportLinks.get(connection.id)).toMatchObject({ status: 'paused_auth', lastRequestId: expect.stringMatching(/^req_/) });
  });

  it('keeps the server’s request id (the `request-id` header) with every accepted batch, and declares a full collection scope', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 3);
    const enrolls: unknown[] = [];
    const watching: ExportDeps = { ...deps, fetch: (async (url: string, init: { body?: Blob | string }) => {
      if (url.endsWith('/enroll')) enrolls.push(JSON.parse(typeof init.body === 'string' ? init.body : await (init.body as Blob).text()));
      return globalThis.fetch(url, init as RequestInit);
    }) as ExportDeps['fetch'] };
    await linkConnection(watching, { connectionId: connection.id, serverOrigin: receiver.origin });
    expect(enrolls).toEqual([expect.objectContaining({ collection_scope: null })]);
    await drainConnection(deps, connection.id);
    const rows = await db.exportBatches.toArray();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.lastRequestId).toMatch(/^req_/);
  });

  it('fails the link with the server’s own sentence when it refuses the manifest', async () => {
    const connection = await testConnection(db);
    // The real server's answer to a manifest it cannot declare (HTTP 500, not 400).
    const refusing: ExportDeps = { ...deps, fetch: (async (url: string, init: RequestInit) => {
      if (url.endsWith('/connectors') && init.method === 'POST') {
        return new Response(JSON.stringify({ error: { code: 'source.declaration_invalid', type: 'api_error', message: 'Invalid SourceDeclaration: /streams/0/selection must have required property \'fields\'', request_id: 'req_abc' } }), { status: 500, headers: { 'request-id': 'req_abc' } });
      }
      return globalThis.fetch(url, init);
    }) as ExportDeps['fetch'] };
    await expect(linkConnection(refusing, { connectionId: connection.id, serverOrigin: receiver.origin })).rejects.toMatchObject({ code: 'server_refused', message: expect.stringMatching(/did not accept.*selection must have required property 'fields'.*req_abc/) });
    await expect(linkConnection(refusing, { connectionId: connection.id, serverOrigin: receiver.origin, enrollmentCode: 'lde_x' })).rejects.toMatchObject({ code: 'server_refused' });
    expect(await db.exportLinks.get(connection.id)).toBeUndefined();
  });

  it('links again after a server restart under a dated name (the server cannot enroll the same name twice then) and sends everything to that new connection', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 3);
    const first = await linkConnection(deps, { connectionId: connection.id, serverOrigin: receiver.origin });
    await drainConnection(deps, connection.id);
    // The reference server's answer after a restart (an upstream defect), once.
    let failOnce = true;
    const restarted: ExportDeps = { ...deps, fetch: (async (url: string, init: RequestInit) => {
      if (url.endsWith('/enroll') && failOnce) {
        failOnce = false;
        return new Response(JSON.stringify({ error: { code: 'SQLITE_CONSTRAINT_PRIMARYKEY', type: 'api_error', message: 'UNIQUE constraint failed: connector_instances.connector_instance_id' } }), { status: 500 });
      }
      return globalThis.fetch(url, init);
    }) as ExportDeps['fetch'] };
    const again = await linkConnection(restarted, { connectionId: connection.id, serverOrigin: receiver.origin });
    expect(again.newServerConnection).toBe(true);
    expect(again.localBindingName).toMatch(/^test\|alice \(linked \d{4}-\d{2}-\d{2} \d{2}:\d{2}\)$/);
    expect(again.connectorInstanceId).not.toBe(first.connectorInstanceId);
    expect(await drainConnection(deps, connection.id)).toMatchObject({ status: 'active', acceptedRecords: 4 });
    expect(onServer(again.connectorInstanceId)).toEqual(await visible(connection.id));
    // With the owner's own code the same failure is explained, with what to do.
    const code = 'lde_owner';
    await expect(linkConnection({ ...restarted, fetch: (async (url: string, init: RequestInit) => (url.endsWith('/enroll') ? new Response('{"error":{"code":"SQLITE_CONSTRAINT_PRIMARYKEY","type":"api_error","message":"UNIQUE constraint failed"}}', { status: 500 }) : globalThis.fetch(url, init))) as ExportDeps['fetch'] }, { connectionId: connection.id, serverOrigin: receiver.origin, enrollmentCode: code })).rejects.toMatchObject({ code: 'enroll_failed', message: expect.stringMatching(/restarted.*another name/) });
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
  it('a bulk import (one change row per chunk) goes out as the records it changed, weighed by its records while pending', async () => {
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
    expect(rows.slice(1).every((row) => row.id.includes('_w'))).toBe(true);
    // Only what the import changed: its 24 records and its receipt, not the 4 records sent before.
    expect(rows.slice(1).reduce((sum, row) => sum + row.recordCount, 0)).toBe(25);
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
    expect(onServer(link.connectorInstanceId)).toHaveLength(28);
  });

  it('goes out as the records the backlog changed (ranged reads by change seq), then continues change by change', async () => {
    const connection = await testConnection(db);
    await seed(connection.id, 25);
    const snapDeps = { ...deps, limits: { snapshotThreshold: 10 } };
    await writeSettings(db, { batchRecords: 10 });
    const link = await linkConnection(snapDeps, { connectionId: connection.id, serverOrigin: receiver.origin });
    const result = await drainConnection(snapDeps, connection.id);
    expect(result).toMatchObject({ status: 'active', acceptedRecords: 26, pendingRecords: 0 });
    const rows = await db.exportBatches.orderBy('[connectionId+seq]').toArray();
    expect(rows.map((row) => row.id)).toEqual([0, 1, 2].map((seq) => `gl_${connection.id}_w1-26_${seq}`));
    expect(rows.map((row) => row.recordCount)).toEqual([10, 10, 6]);
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
    const planned = await db.exportLinks.get(connection.id);
    expect(planned).toMatchObject({ plannedThroughSeq: 26, cursorSeq: 26 });
    expect(planned?.snapshot).toBeUndefined();
    expect(planned?.walk).toBeUndefined();
    // Later changes go change by change.
    await seed(connection.id, 3, '2024-09-01T00:00:00Z');
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'o0000', '2024-05-01', { title: 'renamed' })], dataAsOf: '2024-10-01T00:00:00Z' }), streams: testConnector.streams });
    await drainConnection(snapDeps, connection.id);
    expect((await db.exportBatches.orderBy('[connectionId+seq]').toArray()).at(-1)!.id).toMatch(new RegExp(`^gl_${connection.id}_27_\\d+$`));
    expect(onServer(link.connectorInstanceId)).toEqual(await visible(connection.id));
  });
});
