/**
 * The walking skeleton's story, end to end: the built extension in headless
 * Chromium, Amazon pages served at www.amazon.com from fixtures, the export
 * uploaded through the dashboard.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AMAZON_EXPORT_CSV, AMAZON_EXPORT_ZIP_NAME, amazonExportCsvBytes, expectations, localDay, makeAmazonExportZip } from '../fixtures/amazon';
import { DashboardPage, type UploadFile } from './pages/dashboard-page';
import { browseAmazon } from './pages/amazon-site';
import { launchExtension, type ExtensionSession } from './support/extension';
import { getCoverage, listBatches, listConnections, listRecords, onlyConnection, visibleOrderIds } from './support/api';

const zipUpload = (): UploadFile => ({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' });
const csvUpload = (): UploadFile => ({ name: AMAZON_EXPORT_CSV, buffer: Buffer.from(amazonExportCsvBytes()), mimeType: 'text/csv' });
const { overlap, pages } = expectations;
const sorted = (ids: readonly string[]) => [...ids].sort();

let session: ExtensionSession;
beforeEach(async () => {
  session = await launchExtension();
});
afterEach(async () => {
  await session?.close();
});

describe('Amazon orders, page capture and export under one connection', () => {
  it('(1) export first, then a 2024 capture: everything visible, both windows in the coverage view', async () => {
    const dashboard = await DashboardPage.open(session);
    const receipt = await dashboard.importFile(zipUpload(), { newAccountName: 'Dana' });
    expect(receipt.outcome).toBe('merged');
    await browseAmazon(session, 'orders-2024-dana.html');

    const connection = await onlyConnection(session);
    expect(connection.accountKey).toBe(expectations.accounts.dana.key);
    expect(await visibleOrderIds(session, connection.id)).toEqual(sorted([...expectations.export.orderIds, ...pages['orders-2024-dana.html'].orderIds]));

    const orders = (await getCoverage(session, connection.id)).find((entry) => entry.stream === 'orders')!;
    expect(orders.methods.find((m) => m.method === 'owner_artifact')?.windows).toMatchObject([{ start: expectations.export.coverage.start, end: expectations.export.coverage.end, completeness: 'partial' }]);
    expect(orders.methods.find((m) => m.method === 'browser_polyfill')?.windows).toMatchObject([{ start: '2024-01-01', end: '2024-12-31', completeness: 'full' }]);

    // The owner sees both lanes too.
    await dashboard.refresh();
    const shown = await dashboard.coverageWindows();
    expect(shown).toContainEqual({ stream: 'orders', method: 'owner_artifact', start: '2019-02-03', end: '2023-09-02', completeness: 'partial' });
    expect(shown).toContainEqual({ stream: 'orders', method: 'browser_polyfill', start: '2024-01-01', end: '2024-12-31', completeness: 'full' });
    await dashboard.screenshot('dashboard-export-then-capture');
  });

  it('(2) captures first, then the export: history is backfilled into the same connection', async () => {
    await browseAmazon(session, 'orders-2024-dana.html');
    await browseAmazon(session, 'orders-2023-dana.html');
    const connection = await onlyConnection(session);
    const before = await visibleOrderIds(session, connection.id);
    expect(before).toEqual(sorted([...pages['orders-2024-dana.html'].orderIds, ...pages['orders-2023-dana.html'].orderIds]));

    const storedBefore = (await listRecords(session, connection.id, 'orders')).length + (await listRecords(session, connection.id, 'order_items')).length;
    const dashboard = await DashboardPage.open(session);
    await dashboard.chooseFile(csvUpload());
    expect((await dashboard.waitForPreviewOrError()).preview).toBe(true);
    // The account evidence: the file's order ids already held by Dana's connection.
    expect(await dashboard.previewText()).toContain(`${overlap.both.length} of ${expectations.export.orderIds.length} orders in this file are already there`);
    const receipt = await dashboard.importFile(csvUpload(), { existingConnectionName: connection.displayName });
    expect(receipt.outcome).toBe('merged');

    expect(await listConnections(session)).toHaveLength(1);
    expect(await visibleOrderIds(session, connection.id)).toEqual(sorted([...new Set([...before, ...expectations.export.orderIds])]));
    const importBatch = (await listBatches(session, connection.id)).find((batch) => batch.method === 'owner_artifact')!;
    const storedAfter = (await listRecords(session, connection.id, 'orders')).length + (await listRecords(session, connection.id, 'order_items')).length;
    // The receipt tells the truth: what was new is exactly what the store gained; the overlap was merged, not duplicated.
    expect(importBatch.counts.new).toBe(storedAfter - storedBefore);
    expect(importBatch.counts.new + importBatch.counts.updated + importBatch.counts.alreadyKnown).toBe(importBatch.counts.parsed);
    expect(importBatch.counts).toMatchObject({ parsed: expectations.export.orderIds.length + expectations.export.itemCount, failed: expectations.export.failed, skipped: expectations.export.skipped });
  });

  it('(3) the same file twice: one batch, the same receipt', async () => {
    const dashboard = await DashboardPage.open(session);
    const first = await dashboard.importFile(zipUpload(), { newAccountName: 'Dana' });
    await dashboard.chooseFile(zipUpload());
    await dashboard.waitForPreviewOrError();
    await expect(dashboard.page.getByTestId('already-imported').isVisible()).resolves.toBe(true);
    const second = await dashboard.importFile(zipUpload(), { keepSuggested: true });
    expect(second.outcome).toBe('already_imported');
    expect(second.batchId).toBe(first.batchId);
    const connection = await onlyConnection(session);
    expect((await listBatches(session, connection.id)).filter((batch) => batch.method === 'owner_artifact')).toHaveLength(1);
    await dashboard.screenshot('dashboard-same-file-twice');
  });

  it('(4) an order on the page and in the file is one record whose provenance names both methods', async () => {
    const dashboard = await DashboardPage.open(session);
    await dashboard.importFile(zipUpload(), { newAccountName: 'Dana' });
    await browseAmazon(session, 'orders-2023-dana.html');
    const connection = await onlyConnection(session);
    const orders = await listRecords(session, connection.id, 'orders');
    for (const id of overlap.both) {
      const matches = orders.filter((record) => record.key === id);
      expect(matches).toHaveLength(1);
      expect(sorted(matches[0]!.methods)).toEqual(['browser_polyfill', 'owner_artifact']);
      expect(matches[0]!.batchIds).toHaveLength(2);
    }
    // The page shows Dana's day, the export an instant (stored as the browser's day, and as ordered_at): joined on id,
    // the newest day kept (the capture's), the instant kept too.
    const shifted = orders.find((record) => record.key === overlap.dayDiffersAcrossMethods)!;
    expect(shifted.data).toMatchObject({ order_date: '2023-02-07', ordered_at: overlap.dayDiffersInstant });
    expect(shifted.eventTime).toBe('2023-02-07');
    expect(shifted.versions.map((version) => version.data.order_date).sort()).toEqual(['2023-02-07', localDay(overlap.dayDiffersInstant)].sort());
    const items = await listRecords(session, connection.id, 'order_items');
    expect(items.filter((item) => item.key.startsWith(`${overlap.both[0]}|`)).every((item) => item.methods.length === 2)).toBe(true);
  });

  it('(5) a second account’s page makes a second connection and leaves the first untouched', async () => {
    await browseAmazon(session, 'orders-2024-dana.html');
    const dana = await onlyConnection(session);
    const danaRecords = await listRecords(session, dana.id, 'orders', true);
    await browseAmazon(session, 'orders-2024-sam.html');
    const connections = await listConnections(session);
    expect(connections.map((connection) => connection.accountKey).sort()).toEqual([expectations.accounts.dana.key, expectations.accounts.sam.key]);
    const sam = connections.find((connection) => connection.accountKey === expectations.accounts.sam.key)!;
    expect(await visibleOrderIds(session, sam.id)).toEqual(sorted(pages['orders-2024-sam.html'].orderIds));
    // Sam's full 2024 claim did nothing to Dana's 2024 orders.
    expect(await listRecords(session, dana.id, 'orders', true)).toEqual(danaRecords);
  });

  it('(6) a full-year capture that lacks an export-only order never hides it', async () => {
    const dashboard = await DashboardPage.open(session);
    await dashboard.importFile(zipUpload(), { newAccountName: 'Dana' });
    await browseAmazon(session, 'orders-2023-dana.html');
    const connection = await onlyConnection(session);
    const capture = (await listBatches(session, connection.id)).find((batch) => batch.method === 'browser_polyfill')!;
    expect(capture.coverage.find((claim) => claim.stream === 'orders')).toMatchObject({ completeness: 'full', start: '2023-01-01', end: '2023-12-31' });
    expect(capture.counts.tombstoned).toBe(0);
    const visible = await visibleOrderIds(session, connection.id);
    for (const id of overlap.archivedExportOnly) expect(visible).toContain(id);
    const all = await listRecords(session, connection.id, 'orders', true);
    expect(all.filter((record) => record.tombstone)).toEqual([]);
  });
});
