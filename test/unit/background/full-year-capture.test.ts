// @vitest-environment happy-dom
/** A year of Your Orders over two pages, through `capture.submit` and the merge engine (fake-indexeddb, the real Amazon connector). */
import { describe, expect, it } from 'vitest';
import { createHandlers } from '../../../src/background/handlers';
import { createCaptureMemory, TAB_CAPTURE_PREFIX, type TabCapture } from '../../../src/background/owner-handlers';
import { memoryArea } from '../../../src/background/storage-guard';
import { countVisibleByStream } from '../../../src/db/record-index';
import { readTallies } from '../../../src/db/record-tallies';
import { describeCapture } from '../../../src/ui/popup/capture-line';
import { toSubmission } from '../../../src/capture/page-capture';
import { amazonConnector, amazonOrderHistoryParser } from '../../../src/connectors/amazon';
import { amazonMeta } from '../../../src/connectors/amazon/meta';
import { amazonPageExtractor } from '../../../src/connectors/amazon/page';
import { connectors } from '../../../src/connectors/registry';
import { applyBatch } from '../../../src/core/merge-engine';
import { coverageView } from '../../../src/core/coverage';
import { requestSchemas } from '../../../src/messages/protocol';
import type { GleanerDatabase } from '../../../src/db/database';
import { AMAZON_EXPORT_CSV, expectations, readAmazonFixture, withExtraOrder, type AmazonPageFixture } from '../../fixtures/amazon';
import { freshDb } from '../../support/streams';

const X = '112-4000000-0000001';
const EXPORT_ONLY_2023 = expectations.overlap.archivedExportOnly[0];

function extract(html: string, url: string) {
  return amazonPageExtractor.extract(new DOMParser().parseFromString(html, 'text/html'), new URL(url));
}

function submission(html: string, url: string) {
  const target = { connectorKey: amazonMeta.key, extractorVersion: amazonMeta.extractorVersion, extractor: amazonPageExtractor, submit: async () => undefined };
  return requestSchemas['capture.submit'].parse(JSON.parse(JSON.stringify(toSubmission(target, new URL(url), extract(html, url)))));
}

function visit(handlers: ReturnType<typeof createHandlers>, fixture: AmazonPageFixture, extraOrder?: string, senderTabId?: number) {
  const { url } = expectations.pages[fixture];
  const html = readAmazonFixture(fixture);
  return handlers['capture.submit'](submission(extraOrder ? withExtraOrder(html, extraOrder) : html, url), { senderTabUrl: url, ...(senderTabId === undefined ? {} : { senderTabId }) });
}

async function visibleOrders(db: GleanerDatabase): Promise<string[]> {
  return (await db.records.toArray()).filter((record) => record.stream === 'orders' && !record.tombstone).map((record) => record.key).sort();
}

async function pagesCoverage2023(db: GleanerDatabase) {
  const view = coverageView(await db.batches.toArray()).find((entry) => entry.stream === 'orders');
  return view?.methods.find((method) => method.method === 'browser_polyfill')?.windows.filter((window) => window.start.startsWith('2023')) ?? [];
}

describe('the Amazon list page says where it sits in its year', () => {
  it('its year, first order’s position, orders read, Next and Amazon’s total; nothing when no year is chosen', () => {
    const page = (fixture: AmazonPageFixture, url: string = expectations.pages[fixture].url) => extract(readAmazonFixture(fixture), url).paging;
    expect(page('orders-2023-dana-p1.html')).toEqual({ list: 'year-2023', start: '2023-01-01', end: '2023-12-31', offset: 0, count: 2, next: true, total: 3 });
    expect(page('orders-2023-dana-p2.html')).toEqual({ list: 'year-2023', start: '2023-01-01', end: '2023-12-31', offset: 2, count: 1, next: false, total: 3 });
    expect(page('orders-2023-dana.html')).toMatchObject({ offset: 0, count: 3, next: false });
    expect(page('orders-2024-sam.html')).toMatchObject({ list: 'year-2024', offset: 0, count: 2, next: false });
    expect(page('orders-2023-dana.html', 'https://www.amazon.com/your-orders/orders')).toBeUndefined();
    // 2024 orders on a page claiming to be 2023: never part of a complete 2023.
    expect(page('orders-2024-dana.html', 'https://www.amazon.com/your-orders/orders?timeFilter=year-2023')).toBeUndefined();
  });
});

describe('a year over several pages becomes one full claim', () => {
  it('only once every page was seen; the missing page-only order is marked gone, the export-only one stays, and the order comes back when seen again', async () => {
    const db = await freshDb();
    const handlers = createHandlers(db, connectors);

    // An earlier visit: page 1 still listed order X.
    const first = await visit(handlers, 'orders-2023-dana-p1.html', X);
    expect(first.run).toBeUndefined();
    const connectionId = first.connectionId!;
    const parsed = amazonOrderHistoryParser.parse([{ path: AMAZON_EXPORT_CSV, text: () => readAmazonFixture(AMAZON_EXPORT_CSV) }]);
    await applyBatch(db, {
      connectionId,
      connectorKey: amazonConnector.key,
      streams: amazonConnector.streams,
      method: 'owner_artifact',
      provenance: { kind: 'artifact', fileName: AMAZON_EXPORT_CSV, sha256: 'a'.repeat(64), sizeBytes: 1, parserVersion: amazonMeta.parserVersion, importedAt: new Date().toISOString() },
      coverage: parsed.coverage,
      observations: parsed.observations,
      dataAsOf: '2023-12-02T10:00:00.000Z',
    });

    // Page 1 again without X: still one page of two.
    expect((await visit(handlers, 'orders-2023-dana-p1.html')).run).toBeUndefined();
    expect((await pagesCoverage2023(db)).every((window) => window.completeness === 'partial')).toBe(true);
    expect(await visibleOrders(db)).toContain(X);

    // Page 2: the year is complete.
    const last = await visit(handlers, 'orders-2023-dana-p2.html');
    expect(last.run?.pages).toBe(2);
    expect(last.run?.batch.coverage).toEqual([
      { stream: 'orders', start: '2023-01-01', end: '2023-12-31', completeness: 'full', evidence: 'All of 2023: 3 orders on 2 pages of Your Orders, seen within an hour' },
      { stream: 'order_items', start: '2023-01-01', end: '2023-12-31', completeness: 'full', evidence: 'All of 2023: 3 orders on 2 pages of Your Orders, seen within an hour' },
    ]);
    // X and its one item, nothing else.
    expect(last.run?.batch.counts).toMatchObject({ parsed: 7, new: 0, tombstoned: 2 });
    expect(await pagesCoverage2023(db)).toContainEqual(expect.objectContaining({ start: '2023-01-01', end: '2023-12-31', completeness: 'full' }));
    const visible = await visibleOrders(db);
    expect(visible).not.toContain(X);
    expect(visible).toContain(EXPORT_ONLY_2023);
    for (const id of [...expectations.pages['orders-2023-dana-p1.html'].orderIds, ...expectations.pages['orders-2023-dana-p2.html'].orderIds]) expect(visible).toContain(id);
    const gone = await db.records.get([connectionId, 'orders', X]);
    expect(gone?.tombstone?.reason).toContain('All of 2023: 3 orders on 2 pages of Your Orders');

    // The same year walked again unchanged claims nothing new.
    expect((await visit(handlers, 'orders-2023-dana-p2.html')).run).toBeUndefined();

    // X is listed again: it comes back.
    const back = await visit(handlers, 'orders-2023-dana-p1.html', X);
    expect(back.batch?.counts.restored).toBe(2);
    expect(await visibleOrders(db)).toContain(X);
  });

  it('a page dropped from the run (seen with other orders since) keeps the year partial', async () => {
    const db = await freshDb();
    const handlers = createHandlers(db, connectors);
    await visit(handlers, 'orders-2023-dana-p2.html');
    // Page 1 now shows three orders: page 2 should start at 3, so the pages do not join.
    expect((await visit(handlers, 'orders-2023-dana-p1.html', X)).run).toBeUndefined();
    expect((await pagesCoverage2023(db)).every((window) => window.completeness === 'partial')).toBe(true);
    expect((await visit(handlers, 'orders-2023-dana-p1.html')).run?.pages).toBe(2);
  });
});

describe('the page that completes a year', () => {
  const P1 = 'orders-2023-dana-p1.html' as const;
  const P2 = 'orders-2023-dana-p2.html' as const;

  it('the popup speaks of the whole year its pages hold, not of the last page alone', async () => {
    const db = await freshDb();
    const session = memoryArea();
    const handlers = createHandlers(db, connectors, { afterCapture: createCaptureMemory(db, connectors, session) });
    await visit(handlers, P2, undefined, 7);
    await visit(handlers, P1, undefined, 7);
    const capture = session.data[`${TAB_CAPTURE_PREFIX}7`] as TabCapture;
    const line = describeCapture({ ...capture, accountLabel: 'Dana' }, { orders: { one: 'order', other: 'orders' }, order_items: { one: 'item', other: 'items' } }, capture.at);
    expect(line.headline).toBe('Kept all of 2023 for Dana: 3 orders on 2 pages of Your Orders');
    expect(line.detail).toBe('2 orders on this page (2 new) · 3 items (3 new) · just now');
  });

  it('is merged as its own batch, and the run batch observing it again counts it once: receipts, change feed, versions, tallies', async () => {
    const db = await freshDb();
    const handlers = createHandlers(db, connectors);
    const first = await visit(handlers, P1);
    const last = await visit(handlers, P2);
    const [page1, page2, year] = [first.batch!, last.batch!, last.run!.batch];
    // Each record is new once, in the receipt of the page that showed it; the year finds all 7 already known.
    expect(page1.counts).toMatchObject({ parsed: 5, new: 5, updated: 0, alreadyKnown: 0 });
    expect(page2.counts).toMatchObject({ parsed: 2, new: 2, updated: 0, alreadyKnown: 0 });
    expect(year.counts).toMatchObject({ parsed: 7, new: 0, updated: 0, alreadyKnown: 7, tombstoned: 0, restored: 0 });
    // The change feed: one upsert per record (from its page) and one receipt row per batch; the year adds only its receipt.
    const rows = await db.changes.toArray();
    const rowsOf = (batchId: string) => rows.filter((row) => row.batchId === batchId).map((row) => `${row.kind}:${row.op}`);
    expect(rowsOf(page1.id).sort()).toEqual([...Array(5).fill('record:upsert'), 'batch:upsert'].sort());
    expect(rowsOf(page2.id).sort()).toEqual(['batch:upsert', 'record:upsert', 'record:upsert']);
    expect(rowsOf(year.id)).toEqual(['batch:upsert']);
    expect(rows).toHaveLength(5 + 1 + 2 + 1 + 1);
    // One version per record: the year's batch joined the page's identical observation.
    const records = await db.records.toArray();
    expect(records).toHaveLength(7);
    for (const record of records) {
      expect(record.versions).toHaveLength(1);
      const page = page1.id === record.batchIds[0] ? page1 : page2;
      expect(record.versions[0]!.batchIds).toEqual([page.id, year.id]);
      expect(record.versions[0]!.asOf).toBe(page.dataAsOf);
      expect(record.batchIds).toEqual([page.id, year.id]);
    }
    // The kept tallies are the index counts.
    const tallies = await readTallies(db, first.connectionId!);
    expect(tallies).toEqual({ all: 7, tombstoned: 0, visibleByStream: await countVisibleByStream(db, first.connectionId!, ['order_items', 'orders']) });
    expect(tallies.visibleByStream).toEqual({ orders: 3, order_items: 4 });
  });
});
