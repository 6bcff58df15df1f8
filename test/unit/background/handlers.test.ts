// @vitest-environment happy-dom
/** The background's handlers against a real (fake-indexeddb) database and the real Amazon connector. */
import { describe, expect, it } from 'vitest';
import { createHandlers, RequestError } from '../../../src/background/handlers';
import { createImportHandlers, importRunnerFor } from '../../../src/background/import-handlers';
import { connectors } from '../../../src/connectors/registry';
import { amazonPageExtractor } from '../../../src/connectors/amazon/page';
import { toSubmission } from '../../../src/capture/page-capture';
import { amazonMeta } from '../../../src/connectors/amazon/meta';
import { requestSchemas } from '../../../src/messages/protocol';
import { amazonExportCsvBytes, expectations, makeAmazonExportZip, readAmazonFixture, type AmazonPageFixture } from '../../fixtures/amazon';
import { freshDb } from '../../support/streams';
import { rejectionOf } from '../../support/errors';
import { stageBytes } from '../import/support';
import type { GleanerDatabase } from '../../../src/db/database';

function captureOf(fixture: AmazonPageFixture) {
  const { url } = expectations.pages[fixture];
  const doc = new DOMParser().parseFromString(readAmazonFixture(fixture), 'text/html');
  const target = { connectorKey: amazonMeta.key, extractorVersion: amazonMeta.extractorVersion, extractor: amazonPageExtractor, submit: async () => undefined };
  return { url, request: requestSchemas['capture.submit'].parse(toSubmission(target, new URL(url), amazonPageExtractor.extract(doc, new URL(url)))) };
}

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, RequestError);

describe('capture.submit', () => {
  it('accepts a capture from a tab on the connector’s host and routes it by account', async () => {
    const db = await freshDb();
    const handlers = createHandlers(db, connectors);
    const { url, request } = captureOf('orders-2024-dana.html');
    const reply = await handlers['capture.submit'](request, { senderTabUrl: url });
    expect(reply.outcome).toBe('merged');
    expect((await db.connections.toArray()).map((connection) => connection.accountKey)).toEqual([expectations.accounts.dana.key]);
    // The same page again: no new batch, a counter.
    const again = await handlers['capture.submit'](request, { senderTabUrl: url });
    expect(again.outcome).toBe('unchanged_recapture');
    expect(await db.batches.count()).toBe(1);
  });

  it('refuses a capture from a tab on another host, or about another page than the tab’s, and stores nothing', async () => {
    const db = await freshDb();
    const handlers = createHandlers(db, connectors);
    const { request } = captureOf('orders-2024-dana.html');
    expect((await rejection(handlers['capture.submit'](request, { senderTabUrl: 'https://evil.example/your-orders/orders' }))).code).toBe('host_not_allowed');
    expect((await rejection(handlers['capture.submit'](request, { senderTabUrl: 'http://www.amazon.com/your-orders/orders' }))).code).toBe('host_not_allowed');
    expect((await rejection(handlers['capture.submit']({ ...request, pageUrl: 'https://evil.example/x' }, { senderTabUrl: 'https://www.amazon.com/your-orders/orders' }))).code).toBe('host_mismatch');
    expect(await db.records.count()).toBe(0);
    expect(await db.connections.count()).toBe(0);
  });

  it('stores nothing from a page without an account signal (a connector type alone never routes a batch)', async () => {
    const db = await freshDb();
    const handlers = createHandlers(db, connectors);
    const { url, request } = captureOf('orders-2024-dana.html');
    const reply = await handlers['capture.submit']({ ...request, accountHint: undefined }, { senderTabUrl: url });
    expect(reply.outcome).toBe('no_account');
    expect(await db.connections.count()).toBe(0);
  });

  it('counts a record of the wrong shape as failed instead of storing it', async () => {
    const db = await freshDb();
    const handlers = createHandlers(db, connectors);
    const { url, request } = captureOf('orders-2024-dana.html');
    const hostile = { ...request, observations: [...request.observations, { stream: 'orders', data: { id: '<script>', order_date: 'yesterday' } }, { stream: 'secrets', data: { id: 'x' } }] };
    const reply = await handlers['capture.submit'](hostile, { senderTabUrl: url });
    expect(reply.batch?.counts.failed).toBe(2);
    expect(await db.records.filter((record) => record.key === '<script>').count()).toBe(0);
  });

  it('rejects oversized or malformed capture payloads at the schema', () => {
    const { request } = captureOf('orders-2024-dana.html');
    expect(requestSchemas['capture.submit'].safeParse({ ...request, observations: Array.from({ length: 2001 }, () => request.observations[0]) }).success).toBe(false);
    expect(requestSchemas['capture.submit'].safeParse({ ...request, coverage: [{ stream: 'orders', start: 'soon', end: 'later', completeness: 'full' }] }).success).toBe(false);
    expect(requestSchemas['capture.submit'].safeParse({ ...request, pageUrl: 'not a url' }).success).toBe(false);
  });
});

describe('importing a staged file through the job messages', () => {
  /** Core and import handlers over one database, and a way to wait for the background job. */
  function importSetup(db: GleanerDatabase) {
    const handlers = { ...createHandlers(db, connectors), ...createImportHandlers(db, connectors) };
    const settle = () => importRunnerFor(db, connectors).whenIdle();
    return { handlers, settle };
  }

  it('previews the export with counts, range and key overlap per existing connection, then commits into the chosen one; the same file again shows its original receipt', async () => {
    const db = await freshDb();
    const { handlers, settle } = importSetup(db);
    const dana = captureOf('orders-2023-dana.html');
    await handlers['capture.submit'](dana.request, { senderTabUrl: dana.url });
    const sam = captureOf('orders-2024-sam.html');
    await handlers['capture.submit'](sam.request, { senderTabUrl: sam.url });
    const stagedId = await stageBytes(db, makeAmazonExportZip(), 'Your Orders.zip');
    const started = await handlers['import.start']({ stagedId });
    await settle();
    const ready = await handlers['import.get']({ jobId: started.id });
    expect(ready.status).toBe('ready');
    const preview = ready.preview!;
    expect(preview.connectorKey).toBe('amazon');
    expect(preview.recordsByStream).toEqual({ orders: expectations.export.orderIds.length, order_items: expectations.export.itemCount });
    // The range of the file's event instants, which its coverage claim spans by day.
    expect({ start: preview.eventRange?.start.slice(0, 10), end: preview.eventRange?.end.slice(0, 10) }).toEqual({ start: expectations.export.coverage.start, end: expectations.export.coverage.end });
    expect(preview.candidates[0]).toMatchObject({ overlap: expectations.overlap.both.length, compared: expectations.export.orderIds.length });
    expect(preview.candidates[1]).toMatchObject({ overlap: 0 });
    expect(preview.accountHint).toBeUndefined();
    const recordsBefore = await db.records.count();
    await handlers['import.confirm']({ jobId: started.id, target: { connectionId: preview.candidates[0]!.connectionId } });
    await settle();
    const committed = await handlers['import.get']({ jobId: started.id });
    expect(committed.status).toBe('committed');
    expect(committed.receipt?.status).toBe('committed');
    expect(await db.records.count()).toBe(recordsBefore + committed.receipt!.counts.new);
    expect(await db.staged.count()).toBe(0);
    // The same bytes again, under another name: the original receipt, nothing parsed or stored.
    const again = await handlers['import.start']({ stagedId: await stageBytes(db, makeAmazonExportZip(), 'copy.zip') });
    await settle();
    const seen = await handlers['import.get']({ jobId: again.id });
    expect(seen).toMatchObject({ status: 'already_imported', connectionId: committed.connectionId, receipt: { id: committed.receipt!.id } });
    expect(seen.preview).toBeUndefined();
    expect(await db.batches.count()).toBe(3);
  });

  it('binds a new connection to the account the owner names, so that account’s pages join it later', async () => {
    const db = await freshDb();
    const { handlers, settle } = importSetup(db);
    const job = await handlers['import.start']({ stagedId: await stageBytes(db, amazonExportCsvBytes(), 'Retail.OrderHistory.1.csv') });
    await settle();
    await handlers['import.confirm']({ jobId: job.id, target: { newConnection: { accountName: '  Dana ' } } });
    await settle();
    const committed = await handlers['import.get']({ jobId: job.id });
    expect(committed.status).toBe('committed');
    const page = captureOf('orders-2024-dana.html');
    const capture = await handlers['capture.submit'](page.request, { senderTabUrl: page.url });
    expect(capture.connectionId).toBe(committed.connectionId);
    expect(await db.connections.count()).toBe(1);
  });

  it('refuses a target connection of another connector and a missing staged file with typed errors, storing nothing', async () => {
    const db = await freshDb();
    const { handlers, settle } = importSetup(db);
    await db.connections.add({ id: 'con_other', connectorKey: 'netflix', accountKey: 'x', accountLabel: 'x', accountEvidence: 'x', displayName: 'x', createdAt: '' });
    const job = await handlers['import.start']({ stagedId: await stageBytes(db, amazonExportCsvBytes(), 'Retail.OrderHistory.1.csv') });
    await settle();
    const badTarget = await rejection(handlers['import.confirm']({ jobId: job.id, target: { connectionId: 'con_other' } }));
    expect(badTarget.code).toBe('bad_target');
    expect(badTarget.message).toBe('Choose one of your Amazon connections for this file.');
    expect((await handlers['import.get']({ jobId: job.id })).status).toBe('ready');
    await expect(handlers['import.start']({ stagedId: 'stg_missing' })).rejects.toMatchObject({ code: 'staged_file_missing', message: 'That upload is no longer waiting; choose the file again.' });
    expect(await db.records.count()).toBe(0);
    expect(await db.batches.count()).toBe(0);
  });

  it('no longer knows the one-shot artifact messages (imports go through the job)', () => {
    for (const type of ['artifact.preview', 'artifact.commit', 'artifact.discard']) expect(type in requestSchemas).toBe(false);
  });
});
