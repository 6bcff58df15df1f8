// @vitest-environment happy-dom
/** The background's handlers against a real (fake-indexeddb) database and the real Amazon connector. */
import { Blob as NodeBlob } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { createHandlers, RequestError } from '../../../src/background/handlers';
import { connectors } from '../../../src/connectors/registry';
import { amazonPageExtractor } from '../../../src/connectors/amazon/page';
import { toSubmission } from '../../../src/capture/page-capture';
import { amazonMeta } from '../../../src/connectors/amazon/meta';
import { requestSchemas } from '../../../src/messages/protocol';
import { amazonExportCsvBytes, expectations, makeAmazonExportZip, readAmazonFixture, type AmazonPageFixture } from '../../fixtures/amazon';
import { freshDb } from '../../support/streams';
import type { GleanerDatabase } from '../../../src/db/database';

function captureOf(fixture: AmazonPageFixture) {
  const { url } = expectations.pages[fixture];
  const doc = new DOMParser().parseFromString(readAmazonFixture(fixture), 'text/html');
  const target = { connectorKey: amazonMeta.key, extractorVersion: amazonMeta.extractorVersion, extractor: amazonPageExtractor, submit: async () => undefined };
  return { url, request: requestSchemas['capture.submit'].parse(toSubmission(target, new URL(url), amazonPageExtractor.extract(doc, new URL(url)))) };
}

async function stage(db: GleanerDatabase, bytes: Uint8Array, fileName: string) {
  const id = `stg_${Math.random().toString(36).slice(2)}`;
  await db.staged.put({ id, fileName, sizeBytes: bytes.length, stagedAt: new Date().toISOString(), blob: new NodeBlob([bytes]) as unknown as Blob }); // Node's Blob survives fake-indexeddb's structured clone
  return id;
}

async function rejection(promise: Promise<unknown>): Promise<RequestError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RequestError) return error;
    throw error;
  }
  throw new Error('expected a RequestError');
}

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

describe('artifact preview and commit', () => {
  it('previews the export with counts, range and key overlap per existing connection, then commits into the chosen one', async () => {
    const db = await freshDb();
    const handlers = createHandlers(db, connectors);
    const dana = captureOf('orders-2023-dana.html');
    await handlers['capture.submit'](dana.request, { senderTabUrl: dana.url });
    const sam = captureOf('orders-2024-sam.html');
    await handlers['capture.submit'](sam.request, { senderTabUrl: sam.url });
    const stagedId = await stage(db, makeAmazonExportZip(), 'Your Orders.zip');
    const preview = await handlers['artifact.preview']({ stagedId });
    expect(preview.connectorKey).toBe('amazon');
    expect(preview.recordsByStream).toEqual({ orders: expectations.export.orderIds.length, order_items: expectations.export.itemCount });
    expect(preview.eventRange).toEqual({ start: expectations.export.coverage.start, end: expectations.export.coverage.end });
    expect(preview.candidates[0]).toMatchObject({ overlap: expectations.overlap.both.length, compared: expectations.export.orderIds.length });
    expect(preview.candidates[1]).toMatchObject({ overlap: 0 });
    expect(preview.accountHint).toBeUndefined();
    const recordsBefore = await db.records.count();
    const commit = await handlers['artifact.commit']({ stagedId, target: { connectionId: preview.candidates[0]!.connectionId } });
    expect(commit.outcome).toBe('merged');
    expect(await db.records.count()).toBe(recordsBefore + commit.batch.counts.new);
    expect(await db.staged.count()).toBe(0);
    // The same bytes again, even as a bare CSV upload of the same zip: the original receipt.
    const again = await stage(db, makeAmazonExportZip(), 'copy.zip');
    expect((await handlers['artifact.preview']({ stagedId: again })).alreadyImported.map((entry) => entry.batch.id)).toEqual([commit.batch.id]);
    const second = await handlers['artifact.commit']({ stagedId: again, target: { connectionId: commit.connectionId } });
    expect(second).toMatchObject({ outcome: 'already_imported', batch: { id: commit.batch.id } });
  });

  it('binds a new connection to the account the owner names, so that account’s pages join it later', async () => {
    const db = await freshDb();
    const handlers = createHandlers(db, connectors);
    const stagedId = await stage(db, amazonExportCsvBytes(), 'Retail.OrderHistory.1.csv');
    const commit = await handlers['artifact.commit']({ stagedId, target: { newConnection: { accountName: '  Dana ' } } });
    const page = captureOf('orders-2024-dana.html');
    const capture = await handlers['capture.submit'](page.request, { senderTabUrl: page.url });
    expect(capture.connectionId).toBe(commit.connectionId);
    expect(await db.connections.count()).toBe(1);
  });

  it('refuses a target connection of another connector and a missing staged file, storing nothing', async () => {
    const db = await freshDb();
    const handlers = createHandlers(db, connectors);
    await db.connections.add({ id: 'con_other', connectorKey: 'netflix', accountKey: 'x', accountLabel: 'x', accountEvidence: 'x', displayName: 'x', createdAt: '' });
    const stagedId = await stage(db, amazonExportCsvBytes(), 'Retail.OrderHistory.1.csv');
    expect((await rejection(handlers['artifact.commit']({ stagedId, target: { connectionId: 'con_other' } }))).code).toBe('bad_target');
    await expect(handlers['artifact.preview']({ stagedId: 'stg_missing' })).rejects.toMatchObject({ code: 'staged_file_missing' });
    expect(await db.records.count()).toBe(0);
  });
});
