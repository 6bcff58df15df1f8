/** The export's message handlers: owner-facing errors keep their code, replies never carry the token. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from '../../../src/connectors/types';
import { applyBatch } from '../../../src/core/merge-engine';
import type { GleanerDatabase } from '../../../src/db/database';
import { createExportHandlers } from '../../../src/background/export-handlers';
import type { TokenStore } from '../../../src/export/exporter';
import { startReceiver, type Receiver } from '../../receiver/server';
import { batchInput, obs } from '../../support/batches';
import { exportableStreams, freshDb, testConnection, testStreams } from '../../support/streams';

const connector = { key: 'test', displayName: 'Test', hosts: ['example.test'], matches: [], streams: exportableStreams(testStreams.filter((stream) => stream.name === 'orders')), artifactParsers: [], exportSteps: [] } as unknown as ConnectorDefinition;

let db: GleanerDatabase;
let receiver: Receiver;
const tokens = new Map<string, string>();
const store: TokenStore = { get: async (id) => tokens.get(id), set: async (id, token) => void tokens.set(id, token), remove: async (id) => void tokens.delete(id) };

beforeEach(async () => {
  db = await freshDb();
  receiver = await startReceiver();
});
afterEach(async () => {
  await receiver.close();
  db.close();
});

describe('export handlers', () => {
  it('link, export now, status and batches: progress visible, the token nowhere in a reply', async () => {
    const handlers = createExportHandlers(db, [connector], { tokens: store, hasOriginPermission: async () => true, fetch: globalThis.fetch, scheduleRetry: () => undefined });
    const connection = await testConnection(db);
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'a', '2024-01-01'), obs('orders', 'b', '2024-01-02')] }), streams: connector.streams });
    const link = await handlers['export.link']({ connectionId: connection.id, serverOrigin: `${receiver.origin}/` });
    expect(link).not.toHaveProperty('plannedThroughSeq');
    const [result] = await handlers['export.now']({ connectionId: connection.id });
    expect(result).toMatchObject({ status: 'active', acceptedRecords: 3, pendingRecords: 0 });
    const status = await handlers['export.status']();
    expect(status[0]).toMatchObject({ connectionId: connection.id, pendingRecords: 0, problems: [], link: { status: 'active', acceptedRecords: 3, serverOrigin: receiver.origin } });
    const batches = await handlers['export.batches']({ connectionId: connection.id, limit: 10 });
    expect(batches[0]).not.toHaveProperty('recordsJson');
    const token = tokens.get(connection.id)!;
    expect(JSON.stringify([link, result, status, batches, await handlers['export.settings.get']()])).not.toContain(token);
  });

  it('turns export errors into coded owner-facing refusals', async () => {
    const handlers = createExportHandlers(db, [connector], { tokens: store, hasOriginPermission: async () => false, fetch: globalThis.fetch });
    const connection = await testConnection(db);
    await expect(handlers['export.link']({ connectionId: connection.id, serverOrigin: receiver.origin })).rejects.toMatchObject({ name: 'RequestError', code: 'server_permission_needed' });
    await expect(handlers['export.settings.set']({ serverOrigin: 'ftp://nope' })).rejects.toMatchObject({ code: 'bad_server_address' });
    await expect(handlers['backup.restore']({ fileId: 'missing' })).rejects.toMatchObject({ code: 'backup_missing' });
  });

  it('writes a backup file and restores an uploaded one', async () => {
    const handlers = createExportHandlers(db, [connector], { tokens: store, hasOriginPermission: async () => true, fetch: globalThis.fetch });
    const connection = await testConnection(db);
    await applyBatch(db, { ...batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'a', '2024-01-01')] }), streams: connector.streams });
    const created = await handlers['backup.create']();
    expect(created.counts).toEqual({ connections: 1, batches: 1, records: 1 });
    const file = await db.exportFiles.get(created.fileId);
    const target = await freshDb();
    const targetHandlers = createExportHandlers(target, [connector]);
    await target.exportFiles.put({ id: 'rst_1', kind: 'restore', fileName: created.fileName, createdAt: '', sizeBytes: file!.sizeBytes, blob: file!.blob });
    const report = await targetHandlers['backup.restore']({ fileId: 'rst_1' });
    expect(report).toMatchObject({ batchesRestored: 1, recordsInBackup: 1 });
    expect(await target.records.count()).toBe(1);
    expect(await target.exportFiles.get('rst_1')).toBeUndefined();
  });
});
