// @vitest-environment happy-dom
/** The owner-UI handlers: pause, tab status with the last capture, deleting one connection, the records browser, storage health. */
import { Blob as NodeBlob } from 'node:buffer';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { createHandlers } from '../../../src/background/handlers';
import { createCaptureMemory, createOwnerHandlers } from '../../../src/background/owner-handlers';
import { createImportHandlers, importRunnerFor } from '../../../src/background/import-handlers';
import type { AcquisitionBatch } from '../../../src/core/model';
import { memoryArea, CANARY_KEY } from '../../../src/background/storage-guard';
import { connectors } from '../../../src/connectors/registry';
import { amazonPageExtractor } from '../../../src/connectors/amazon/page';
import { amazonMeta } from '../../../src/connectors/amazon/meta';
import { toSubmission } from '../../../src/capture/page-capture';
import { requestSchemas } from '../../../src/messages/protocol';
import { amazonExportCsvBytes, expectations, readAmazonFixture, type AmazonPageFixture } from '../../fixtures/amazon';
import { freshDb } from '../../support/streams';
import type { GleanerDatabase } from '../../../src/db/database';

function captureOf(fixture: AmazonPageFixture) {
  const { url } = expectations.pages[fixture];
  const doc = new DOMParser().parseFromString(readAmazonFixture(fixture), 'text/html');
  const target = { connectorKey: amazonMeta.key, extractorVersion: amazonMeta.extractorVersion, extractor: amazonPageExtractor, submit: async () => undefined };
  return { url, request: requestSchemas['capture.submit'].parse(toSubmission(target, new URL(url), amazonPageExtractor.extract(doc, new URL(url)))) };
}

async function setup() {
  const db = await freshDb();
  const local = memoryArea();
  const session = memoryArea();
  const core = createHandlers(db, connectors, { afterCapture: createCaptureMemory(db, connectors, session) });
  const forgotten: string[] = [];
  const owner = createOwnerHandlers(db, connectors, { local, session, forgetExportToken: async (id) => void forgotten.push(id) });
  const capture = async (fixture: AmazonPageFixture, tabId = 7) => {
    const { url, request } = captureOf(fixture);
    return core['capture.submit'](request, { senderTabUrl: url, senderTabId: tabId });
  };
  return { db, local, session, core, owner, capture, forgotten };
}

/** Imports the Amazon export CSV into a new connection named by the owner, through the import job messages. */
async function importExport(db: GleanerDatabase, accountName: string): Promise<{ connectionId: string; batch: AcquisitionBatch }> {
  const jobs = createImportHandlers(db, connectors);
  const settle = () => importRunnerFor(db, connectors).whenIdle();
  const bytes = amazonExportCsvBytes();
  const stagedId = `stg_${Math.random().toString(36).slice(2)}`;
  await db.staged.put({ id: stagedId, fileName: 'Retail.OrderHistory.1.csv', sizeBytes: bytes.length, stagedAt: new Date().toISOString(), blob: new NodeBlob([bytes]) as unknown as Blob });
  const job = await jobs['import.start']({ stagedId });
  await settle();
  await jobs['import.confirm']({ jobId: job.id, target: { newConnection: { accountName } } });
  await settle();
  const done = await jobs['import.get']({ jobId: job.id });
  if (done.status !== 'committed' || !done.connectionId || !done.receipt) throw new Error(`import ended ${done.status}`);
  return { connectionId: done.connectionId, batch: done.receipt };
}

describe('pause', () => {
  it('pauses and resumes one site and everything, and the tab status says which', async () => {
    const { owner } = await setup();
    const url = expectations.pages['orders-2024-dana.html'].url;
    expect((await owner['tab.status']({ tabId: 1, url })).paused).toBeUndefined();
    await owner['capture.pause']({ scope: 'site', host: 'www.amazon.com', paused: true });
    expect((await owner['tab.status']({ tabId: 1, url })).paused).toBe('site');
    await owner['capture.pause']({ scope: 'global', paused: true });
    expect((await owner['tab.status']({ tabId: 1, url })).paused).toBe('global');
    await owner['capture.pause']({ scope: 'global', paused: false });
    await owner['capture.pause']({ scope: 'site', host: 'www.amazon.com', paused: false });
    expect(await owner['capture.settings']()).toEqual({ paused: false, pausedHosts: [] });
  });
});

describe('tab.status', () => {
  it('says a page is not read when no connector covers it, and shows nothing of other tabs', async () => {
    const { owner, capture } = await setup();
    await capture('orders-2024-dana.html', 7);
    expect(await owner['tab.status']({ tabId: 7, url: 'https://example.org/' })).toMatchObject({ connector: undefined, lastCapture: undefined });
    expect(await owner['tab.status']({ tabId: 7 })).toMatchObject({ connector: undefined });
    expect((await owner['tab.status']({ tabId: 8, url: expectations.pages['orders-2024-dana.html'].url })).lastCapture).toBeUndefined();
  });

  it('tells a page the connector reads from another page of its site, and where it does read', async () => {
    const { owner } = await setup();
    const orders = await owner['tab.status']({ tabId: 1, url: expectations.pages['orders-2024-dana.html'].url });
    expect(orders).toMatchObject({ readsThisPage: true, connector: { key: 'amazon' } });
    const product = await owner['tab.status']({ tabId: 1, url: 'https://www.amazon.com/dp/B08N5WRWNW' });
    expect(product).toMatchObject({ readsThisPage: false, connector: { key: 'amazon' }, visit: { url: 'https://www.amazon.com/your-orders/orders' } });
    expect((await owner['tab.status']({ tabId: 1, url: expectations.pages['order-details-dana.html'].url })).readsThisPage).toBe(true);
  });

  it('remembers what the last capture on the tab saw: per kind seen and new, and the window', async () => {
    const { owner, capture, db } = await setup();
    await importExport(db, 'Dana');
    await capture('orders-2023-dana.html', 7);
    const status = await owner['tab.status']({ tabId: 7, url: expectations.pages['orders-2023-dana.html'].url });
    expect(status.connector).toEqual({ key: 'amazon', displayName: 'Amazon' });
    const page = expectations.pages['orders-2023-dana.html'];
    // Two of the 2023 page's orders were already in the export; one is new.
    expect(status.lastCapture?.streams[0]).toEqual({ stream: 'orders', seen: page.orderIds.length, new: page.orderIds.length - expectations.overlap.both.length });
    expect(status.lastCapture?.window).toEqual({ start: '2023-01-01', end: '2023-12-31', completeness: 'full' });
    expect(status.streamNouns.orders).toEqual({ one: 'order', other: 'orders' });

    // The same page again: seen, nothing new.
    await capture('orders-2023-dana.html', 7);
    const again = await owner['tab.status']({ tabId: 7, url: page.url });
    expect(again.lastCapture).toMatchObject({ outcome: 'unchanged_recapture', streams: [{ stream: 'orders', seen: page.orderIds.length, new: 0 }, { stream: 'order_items' }] });
  });
});

describe('connections.delete', () => {
  it('erases exactly one connection’s records, batches, change feed, export rows and import jobs; its sibling is untouched', async () => {
    const { db, owner, capture, forgotten } = await setup();
    await capture('orders-2024-dana.html');
    await capture('orders-2024-sam.html');
    const [dana, sam] = (await db.connections.toArray()).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    expect(dana!.accountKey).toBe(expectations.accounts.dana.key);
    for (const connection of [dana!, sam!]) {
      await db.exportLinks.put({ connectionId: connection.id, serverOrigin: 'https://pds.example', deviceId: 'd', sourceInstanceId: 's', connectorInstanceId: 'c', connectorId: 'amazon', localBindingName: 'x', linkedAt: '2026-11-28', status: 'active' } as never);
      await db.exportBatches.put({ id: `xb_${connection.id}`, connectionId: connection.id, seq: 1, status: 'pending' } as never);
      await db.staged.put({ id: `stg_${connection.id}`, fileName: 'f.csv', sizeBytes: 1, stagedAt: '2026-11-28', blob: new NodeBlob(['x']) as unknown as Blob });
      await db.importJobs.put({ id: `job_${connection.id}`, stagedId: `stg_${connection.id}`, status: 'committing', connectionId: connection.id });
    }
    const snapshot = async (id: string) => ({
      records: await db.records.where('connectionId').equals(id).toArray(),
      batches: await db.batches.where('connectionId').equals(id).toArray(),
      changes: (await db.changes.toArray()).filter((row) => row.connectionId === id),
      link: await db.exportLinks.get(id),
      exportBatches: (await db.exportBatches.toArray()).filter((row) => row.connectionId === id),
      jobs: (await db.importJobs.toArray()).filter((row) => row.connectionId === id),
      staged: await db.staged.get(`stg_${id}`),
      tallies: await db.tallies.where('connectionId').equals(id).toArray(),
    });
    const samBefore = await snapshot(sam!.id);
    const danaBefore = await snapshot(dana!.id);
    expect(danaBefore.records.length).toBeGreaterThan(0);
    expect(danaBefore.changes.length).toBeGreaterThan(0);

    const receipt = await owner['connections.delete']({ connectionId: dana!.id });
    expect(receipt.erased).toMatchObject({ records: danaBefore.records.length, batches: danaBefore.batches.length, changes: danaBefore.changes.length, exportLinks: 1, exportBatches: 1, importJobs: 1, stagedFiles: 1 });
    const danaAfter = await snapshot(dana!.id);
    expect(danaBefore.tallies.length).toBeGreaterThan(0);
    expect(danaAfter).toEqual({ records: [], batches: [], changes: [], link: undefined, exportBatches: [], jobs: [], staged: undefined, tallies: [] });
    expect(await db.connections.get(dana!.id)).toBeUndefined();
    expect(await snapshot(sam!.id)).toEqual(samBefore);
    expect(forgotten).toEqual([dana!.id]); // the server token of that connection only
    expect(await db.meta.get(CANARY_KEY)).toBeUndefined(); // meta is not a connection's

    await expect(owner['connections.delete']({ connectionId: dana!.id })).rejects.toMatchObject({ code: 'unknown_connection' });
  });

  it('the popup forgets a deleted connection’s last capture', async () => {
    const { owner, capture } = await setup();
    const reply = await capture('orders-2024-dana.html', 3);
    const url = expectations.pages['orders-2024-dana.html'].url;
    expect((await owner['tab.status']({ tabId: 3, url })).lastCapture).toBeDefined();
    await owner['connections.delete']({ connectionId: reply.connectionId! });
    expect((await owner['tab.status']({ tabId: 3, url })).lastCapture).toBeUndefined();
  });
});

describe('records.query', () => {
  it('filters by kind, method, time range and words, labels each record, newest first', async () => {
    const { db, owner, capture } = await setup();
    const commit = await importExport(db, 'Dana');
    await capture('orders-2023-dana.html');
    const id = commit.connectionId;
    const both = await owner['records.query']({ connectionId: id, stream: 'orders', method: 'both', includeTombstoned: false, limit: 100, offset: 0 });
    expect(both.records.map((record) => record.key).sort()).toEqual([...expectations.overlap.both].sort());
    expect(both.records[0]!.summary).toMatch(/^Order /);
    const in2023 = await owner['records.query']({ connectionId: id, stream: 'orders', method: 'any', from: '2023-01-01', to: '2023-12-31', includeTombstoned: false, limit: 100, offset: 0 });
    expect(in2023.records.every((record) => record.eventTime.startsWith('2023'))).toBe(true);
    expect(in2023.records.map((record) => record.eventTime)).toEqual([...in2023.records.map((record) => record.eventTime)].sort().reverse());
    const target = both.records[0]!;
    const found = await owner['records.query']({ connectionId: id, method: 'any', text: target.key.slice(4), includeTombstoned: false, limit: 100, offset: 0 });
    expect(found.records.map((record) => record.key)).toContain(target.key);
    expect(found.records.every((record) => record.key.includes(target.key.slice(4)) || JSON.stringify(record.data).includes(target.key.slice(4)))).toBe(true);
    expect((await owner['records.query']({ connectionId: 'con_missing', method: 'any', includeTombstoned: false, limit: 10, offset: 0 })).total).toBe(0);
  });
});

describe('records.query in the owner’s nouns', () => {
  const query = (owner: ReturnType<typeof createOwnerHandlers>, payload: Record<string, unknown>) => owner['records.query'](requestSchemas['records.query'].parse(payload));
  const echoOrder = '112-0385716-2849013';
  const echoItem = `${echoOrder}|B07FZ8S74R`;

  it('lists every kind at once by default, each order with its items, counted per kind', async () => {
    const { db, owner } = await setup();
    const { connectionId } = await importExport(db, 'Dana');
    const all = await query(owner, { connectionId, limit: 1000 });
    const orders = expectations.export.orderIds.length;
    expect(all.counts).toEqual([
      { stream: 'orders', total: orders },
      { stream: 'order_items', total: expectations.export.itemCount },
    ]);
    expect(all.total).toBe(orders + expectations.export.itemCount);
    expect(all.streams.orders).toMatchObject({ one: 'order', other: 'orders', fieldLabels: expect.objectContaining({ order_total: 'Order total' }) });
    expect(all.streams.order_items).toMatchObject({ one: 'item', other: 'items' });
    expect(all.streams.orders!.fieldLabels).not.toHaveProperty('order_total_cents');

    const order = all.records.find((record) => record.key === echoOrder)!;
    expect(order.view).toEqual({ title: `Order ${echoOrder}`, facts: ['$54.61', 'Closed'] });
    expect(order.parts!.map((part) => part.key)).toEqual([echoItem]);
    expect(order.parts![0]!.view).toEqual({ title: 'Echo Dot (3rd Gen) - Smart speaker with Alexa - Charcoal', facts: ['1 × $49.99'], partOf: `In order ${echoOrder}` });
    // Every order's parts are exactly its visible items.
    const items = await db.records.where('[connectionId+stream+eventTime]').between([connectionId, 'order_items', Dexie.minKey], [connectionId, 'order_items', Dexie.maxKey]).toArray();
    for (const record of all.records.filter((candidate) => candidate.stream === 'orders')) {
      expect(record.parts!.map((part) => part.key).sort()).toEqual(items.filter((item) => item.data.order_id === record.key).map((item) => item.key).sort());
    }
    // Items are records of their own, with no parts.
    expect(all.records.filter((record) => record.stream === 'order_items').every((record) => record.parts === undefined && record.view.partOf?.startsWith('In order '))).toBe(true);
  });

  it('finds an order by its item’s name from the default view, and the item itself', async () => {
    const { db, owner } = await setup();
    const { connectionId } = await importExport(db, 'Dana');
    const found = await query(owner, { connectionId, text: 'echo dot' });
    expect(found.records.map((record) => record.key).sort()).toEqual([echoOrder, echoItem].sort());
    expect(found.counts).toEqual([
      { stream: 'orders', total: 1 },
      { stream: 'order_items', total: 1 },
    ]);
    // Words may be split between the order and its items.
    expect((await query(owner, { connectionId, text: `echo ${echoOrder.slice(0, 7)} closed` })).records.map((record) => record.key)).toEqual([echoOrder]);
    // Orders alone: still found through their items (two orders hold an Echo).
    const orders = await query(owner, { connectionId, stream: 'orders', text: 'Echo' });
    expect(orders.records.map((record) => record.key).sort()).toEqual([echoOrder, '114-6601927-8830641'].sort());
    expect(orders.counts).toEqual([{ stream: 'orders', total: 2 }]);
    // Items alone: only items.
    expect((await query(owner, { connectionId, stream: 'order_items', text: 'Echo' })).records.every((record) => record.stream === 'order_items')).toBe(true);
    // With a method filter the order's own methods decide.
    expect((await query(owner, { connectionId, text: 'echo dot', method: 'browser_polyfill' })).total).toBe(0);
    // Nothing matches: zero per kind, for the empty state.
    const none = await query(owner, { connectionId, text: 'xyzzy' });
    expect(none).toMatchObject({ total: 0, records: [], counts: [{ stream: 'orders', total: 0 }, { stream: 'order_items', total: 0 }] });
  });

  it('leaves items marked gone out of their order unless asked for', async () => {
    const { db, owner } = await setup();
    const { connectionId } = await importExport(db, 'Dana');
    await db.records.update([connectionId, 'order_items', echoItem], { tombstone: { batchId: 'bat_x', at: '2025-01-01T00:00:00Z', reason: 'test' } });
    const order = async (includeTombstoned: boolean) => (await query(owner, { connectionId, stream: 'orders', text: echoOrder, includeTombstoned })).records[0]!;
    expect((await order(false)).parts).toEqual([]);
    expect((await order(true)).parts!.map((part) => part.key)).toEqual([echoItem]);
    // A gone item no longer finds its order.
    expect((await query(owner, { connectionId, stream: 'orders', text: 'echo dot' })).total).toBe(0);
  });
});

describe('coverage.tombstones', () => {
  it('counts records marked gone per stream by the method of the batch that marked them', async () => {
    const { db, core, owner } = await setup();
    const { url, request } = captureOf('orders-2024-dana.html');
    const first = await core['capture.submit'](request, { senderTabUrl: url, senderTabId: 1 });
    expect(await owner['coverage.tombstones']({ connectionId: first.connectionId! })).toEqual([]);
    // The same full year seen again later without one order: that order is marked gone (soft, by the capture method).
    const dropped = request.observations.find((observation) => observation.stream === 'orders')!;
    const later = { ...request, observations: request.observations.filter((observation) => observation !== dropped && observation.data.order_id !== dropped.data.id) };
    await new Promise((resolve) => setTimeout(resolve, 5));
    await core['capture.submit'](later, { senderTabUrl: url, senderTabId: 1 });
    const gone = await owner['coverage.tombstones']({ connectionId: first.connectionId! });
    expect(gone).toContainEqual({ stream: 'orders', method: 'browser_polyfill', count: 1 });
    expect(gone.reduce((sum, entry) => sum + entry.count, 0)).toBe((await db.records.toArray()).filter((record) => record.tombstone).length);
  });
});

describe('sources.overview', () => {
  it('names the connector’s owner jobs and each connection’s methods with their spans', async () => {
    const { db, owner, capture } = await setup();
    await importExport(db, 'Dana');
    await capture('orders-2024-dana.html');
    const [amazon] = await owner['sources.overview']();
    expect(amazon!.acquisitionPaths.map((path) => path.title)).toEqual(['Import your history from an export', 'Keep recent orders current by visiting Your Orders']);
    expect(amazon!.acquisitionPaths[0]!.steps!.length).toBeGreaterThan(2);
    expect(amazon!.connections).toHaveLength(1);
    const methods = amazon!.connections[0]!.methods;
    expect(methods.find((fact) => fact.method === 'owner_artifact')?.span).toEqual({ start: expectations.export.coverage.start, end: expectations.export.coverage.end });
    expect(methods.find((fact) => fact.method === 'browser_polyfill')?.span).toEqual({ start: '2024-01-01', end: '2024-12-31' });
  });
});

describe('storage.health', () => {
  it('plants the canary, then raises an alarm that stays until acknowledged when it disappears', async () => {
    const { db, owner } = await setup();
    expect(await owner['storage.health']()).toMatchObject({ present: true, alarm: undefined });
    expect(await owner['storage.health']()).toMatchObject({ present: true, alarm: undefined });
    await db.meta.delete(CANARY_KEY);
    const alarmed = await owner['storage.health']();
    expect(alarmed.present).toBe(false);
    expect(alarmed.alarm).toBeDefined();
    // Checked again (a new canary is planted), the alarm stands.
    expect((await owner['storage.health']()).alarm).toEqual(alarmed.alarm);
    await owner['storage.acknowledgeAlarm']();
    expect(await owner['storage.health']()).toMatchObject({ present: true, alarm: undefined });
  });

  it('a wholly evicted database (no rows, no canary) is still caught by the note kept outside it', async () => {
    const { db, local, owner } = await setup();
    await owner['storage.health']();
    await db.delete();
    await db.open();
    const fresh = createOwnerHandlers(db, connectors, { local });
    expect((await fresh['storage.health']()).alarm).toBeDefined();
  });
});
