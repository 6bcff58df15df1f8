/**
 * The owner's experience, end to end in headless Chromium with the built
 * extension: pause per site and everywhere, the popup's last-capture line,
 * the coverage timeline's two lanes, records browser with provenance, rename,
 * deleting one of two connections, storage health. Screenshots go to
 * test-results/screenshots/.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AMAZON_EXPORT_ZIP_NAME, expectations, makeAmazonExportZip, readAmazonFixture } from '../fixtures/amazon';
import { DashboardPage, type UploadFile } from './pages/dashboard-page';
import { PopupPage } from './pages/popup-page';
import { browseAmazon } from './pages/amazon-site';
import { launchExtension, type ExtensionSession } from './support/extension';
import { getCoverage, listBatches, listConnections, listRecords, onlyConnection } from './support/api';

const zipUpload = (): UploadFile => ({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' });
const { pages } = expectations;

let session: ExtensionSession;
beforeEach(async () => {
  session = await launchExtension();
});
afterEach(async () => {
  await session?.close();
});

async function batchCount(): Promise<number> {
  let total = 0;
  for (const connection of await listConnections(session)) total += (await listBatches(session, connection.id)).length;
  return total;
}

describe('the popup and pause', () => {
  it('shows what the last capture on an Amazon tab saw; paused on the site nothing is sent; resumed, the capture arrives', async () => {
    await browseAmazon(session, 'orders-2024-dana.html');
    const url2024 = pages['orders-2024-dana.html'].url;
    const popup = await PopupPage.open(session, url2024);
    expect(await popup.state()).toBe('on');
    expect(await popup.statusText()).toContain('Gleaner keeps your Amazon records from this page');
    const line = await popup.lastCapture();
    expect(line).toContain(`Kept ${pages['orders-2024-dana.html'].orderIds.length} orders for ${expectations.accounts.dana.label}: ${pages['orders-2024-dana.html'].orderIds.length} new, covering all of 2024`);
    expect(line).toContain(`${pages['orders-2024-dana.html'].itemCount} items`);
    await popup.screenshot('popup-amazon-tab');

    // Pause on www.amazon.com: a new Your Orders page sends nothing.
    await popup.toggleSite();
    expect(await popup.state()).toBe('paused');
    expect(await popup.statusText()).toContain('paused on www.amazon.com');
    await popup.screenshot('popup-paused-site');
    const before = await batchCount();
    const url2023 = pages['orders-2023-dana.html'].url;
    session.servePage(url2023, readAmazonFixture('orders-2023-dana.html'));
    const page2023 = await session.visitExpectingNoCapture(url2023, 2500);
    // More content loading on the paused page sends nothing either.
    await page2023.evaluate(() => document.body.appendChild(document.createElement('div')));
    await page2023.waitForTimeout(1200);
    expect(await batchCount()).toBe(before);

    // Resume from the popup of the 2023 tab: the open page is looked at again and its capture arrives.
    const popup2023 = await PopupPage.open(session, url2023);
    expect(await popup2023.state()).toBe('paused');
    await session.afterCapture(() => popup2023.toggleSite());
    expect(await batchCount()).toBe(before + 1);
    const dana = await onlyConnection(session);
    expect((await listRecords(session, dana.id, 'orders')).map((record) => record.key)).toEqual(expect.arrayContaining([...pages['orders-2023-dana.html'].orderIds]));
    await popup2023.page.reload();
    await popup2023.page.getByTestId('last-capture').waitFor();
    expect(await popup2023.lastCapture()).toContain(`Kept ${pages['orders-2023-dana.html'].orderIds.length} orders for ${expectations.accounts.dana.label}`);
  });

  it('paused everywhere, no site sends anything until resumed', async () => {
    const popup = await PopupPage.open(session);
    expect(await popup.statusText()).toBe('Gleaner does not read this page.');
    await popup.setGlobalPause(true);
    await popup.screenshot('popup-not-read-paused-everywhere');
    await popup.page.getByText('Import an export file', { exact: true }).first().click();
    await popup.page.getByTestId('drop-zone').waitFor();
    await popup.screenshot('popup-import-open');
    await popup.page.getByText('Import an export file', { exact: true }).first().click();
    const url = pages['orders-2024-sam.html'].url;
    session.servePage(url, readAmazonFixture('orders-2024-sam.html'));
    await session.visitExpectingNoCapture(url, 2500);
    expect(await listConnections(session)).toEqual([]);
    const samPopup = await PopupPage.open(session, url);
    expect(await samPopup.state()).toBe('paused');
    expect(await samPopup.statusText()).toContain('paused everywhere');
    await session.afterCapture(() => samPopup.setGlobalPause(false));
    expect((await onlyConnection(session)).accountKey).toBe(expectations.accounts.sam.key);

    // An Amazon page Gleaner does not read (a product page): said so, with where it does read.
    const product = 'https://www.amazon.com/dp/B08N5WRWNW';
    session.servePage(product, '<!doctype html><title>A product</title><p>A product page.</p>');
    await session.visitExpectingNoCapture(product, 300);
    const productPopup = await PopupPage.open(session, product);
    expect(await productPopup.statusText()).toBe('Gleaner does not read this Amazon page, only the pages that list your records.');
    await expect(productPopup.page.getByTestId('visit-link').getAttribute('href')).resolves.toBe('https://www.amazon.com/your-orders/orders');
    await productPopup.screenshot('popup-amazon-other-page');
  });
});

describe('the dashboard', () => {
  it('draws both acquisition lanes after export + capture, the gap between them, and each record’s provenance', async () => {
    const dashboard = await DashboardPage.open(session);
    await dashboard.importFile(zipUpload(), { newAccountName: 'Dana' });
    await browseAmazon(session, 'orders-2024-dana.html');
    await dashboard.refresh();
    const timeline = await dashboard.timeline('orders');
    expect(timeline.lanes.map((lane) => lane.method)).toEqual(['owner_artifact', 'browser_polyfill']);
    const [history, current] = timeline.lanes;
    expect(history!.windows).toMatchObject([{ start: expectations.export.coverage.start, end: expectations.export.coverage.end, completeness: 'partial' }]);
    expect(current!.windows).toMatchObject([{ start: '2024-01-01', end: '2024-12-31', completeness: 'full' }]);
    // Drawn in time order, left to right, without overlap.
    expect(history!.windows[0]!.x + history!.windows[0]!.width).toBeLessThan(current!.windows[0]!.x);
    expect(timeline.gaps[0]).toEqual({ start: '2023-09-03', end: '2023-12-31', kind: 'between' });

    // The Sources card: the connector's two jobs, and a next action.
    const card = dashboard.page.getByTestId('source-card').first();
    await expect(card.innerText()).resolves.toContain('Import your history from an export');
    await expect(card.innerText()).resolves.toContain('Keep recent orders current by visiting Your Orders');

    // Visit 2023 too: two orders are now in both the export and a page.
    await browseAmazon(session, 'orders-2023-dana.html');
    await dashboard.refresh();
    const both = await dashboard.filterRecords({ stream: 'orders', method: 'both' });
    expect(both.sort()).toEqual([...expectations.overlap.both].sort());
    const versions = await dashboard.openProvenance(expectations.overlap.dayDiffersAcrossMethods);
    expect(versions.map((version) => version.method).sort()).toEqual(['browser_polyfill', 'owner_artifact']);
    const dana = await onlyConnection(session);
    const batches = await listBatches(session, dana.id);
    for (const version of versions) for (const id of version.batchIds) expect(batches.map((batch) => batch.id)).toContain(id);
    await dashboard.screenshot('dashboard-wide');
    // No developer jargon in what the owner reads (closed "Technical details" disclosures excluded).
    const visible = await dashboard.page.locator('main').innerText();
    expect(visible).not.toMatch(/sha256|connector_instance_id|\brid\b|\bcon_[a-z0-9]|\bbat_[a-z0-9]|browser_polyfill|owner_artifact/i);

    // Search narrows to one order; a time range excludes it.
    expect(await dashboard.filterRecords({ method: 'any', text: expectations.overlap.dayDiffersAcrossMethods })).toEqual([expectations.overlap.dayDiffersAcrossMethods]);
    expect(await dashboard.filterRecords({ from: '2024-01-01', to: '2024-12-31' })).toEqual([]);
    await dashboard.filterRecords({ text: '', from: '', to: '' });

    await dashboard.page.setViewportSize({ width: 360, height: 800 });
    await dashboard.page.waitForTimeout(300);
    const overflow = await dashboard.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // A viewport as tall as the page, captured as is: headless Chromium's full-page capture leaves form controls unpainted at this width.
    const { SCREENSHOT_DIR } = await import('./pages/dashboard-page');
    const tall = await dashboard.page.evaluate(() => document.documentElement.scrollHeight);
    await dashboard.page.setViewportSize({ width: 360, height: tall });
    await dashboard.page.waitForTimeout(300);
    await dashboard.page.screenshot({ path: `${SCREENSHOT_DIR}/dashboard-narrow.png` });
    await dashboard.page.setViewportSize({ width: 360, height: 800 });
    await dashboard.page.locator('section[aria-labelledby="coverage-heading"]').screenshot({ path: `${SCREENSHOT_DIR}/dashboard-narrow-coverage.png` });
    await dashboard.page.locator('section[aria-labelledby="records-heading"]').screenshot({ path: `${SCREENSHOT_DIR}/dashboard-narrow-records.png` });
  });

  it('renames a connection', async () => {
    await browseAmazon(session, 'orders-2024-dana.html');
    const dashboard = await DashboardPage.open(session);
    const connection = await onlyConnection(session);
    await dashboard.selectConnection(connection.displayName);
    await dashboard.renameSelected('Dana’s orders');
    expect((await onlyConnection(session)).displayName).toBe('Dana’s orders');
    await expect(dashboard.page.getByTestId('connection-list').innerText()).resolves.toContain('Dana’s orders');
  });

  it('deletes one of two connections after confirmation; the other keeps its records, receipts and coverage', async () => {
    await browseAmazon(session, 'orders-2024-dana.html');
    await browseAmazon(session, 'orders-2024-sam.html');
    const connections = await listConnections(session);
    const dana = connections.find((connection) => connection.accountKey === expectations.accounts.dana.key)!;
    const sam = connections.find((connection) => connection.accountKey === expectations.accounts.sam.key)!;
    const snapshot = async (id: string) => ({
      orders: await listRecords(session, id, 'orders', true),
      items: await listRecords(session, id, 'order_items', true),
      batches: await listBatches(session, id),
      coverage: await getCoverage(session, id),
    });
    const samBefore = await snapshot(sam.id);

    const dashboard = await DashboardPage.open(session);
    await dashboard.selectConnection(dana.displayName);
    await dashboard.page.getByTestId('delete-connection').click();
    await dashboard.page.getByTestId('delete-dialog').waitFor();
    await dashboard.screenshot('dashboard-delete-confirmation');
    // "Keep it" is the default: Escape or the button leaves everything.
    await dashboard.page.keyboard.press('Escape');
    expect(await listConnections(session)).toHaveLength(2);

    const notice = await dashboard.deleteSelected();
    expect(notice).toContain(`${pages['orders-2024-dana.html'].orderIds.length + pages['orders-2024-dana.html'].itemCount} records`);
    expect((await listConnections(session)).map((connection) => connection.id)).toEqual([sam.id]);
    expect(await snapshot(dana.id)).toEqual({ orders: [], items: [], batches: [], coverage: [] });
    expect(await snapshot(sam.id)).toEqual(samBefore);
  });

  it('shows storage health, and raises the alarm when the eviction canary disappears', async () => {
    const dashboard = await DashboardPage.open(session);
    const health = await dashboard.storageHealth();
    // First run: the Sources card leads with the export job, its steps open.
    await expect(dashboard.page.locator('[data-connector="amazon"]').getByTestId('source-next').innerText()).resolves.toContain('import your history from an export');
    await dashboard.screenshot('dashboard-first-run');
    expect(health.bytes).toMatch(/\d+(\.\d)? (B|KB|MB)/);
    expect(['true', 'false']).toContain(health.persisted);
    expect(health).toMatchObject({ canary: 'true', alarm: false });
    await dashboard.page.getByTestId('storage-health').screenshot({ path: `${(await import('./pages/dashboard-page')).SCREENSHOT_DIR}/storage-health.png` });

    // Simulate eviction of the canary row, as the browser clearing storage would.
    await dashboard.page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('gleaner');
          open.onsuccess = () => {
            const tx = open.result.transaction('meta', 'readwrite');
            tx.objectStore('meta').delete('canary');
            tx.oncomplete = () => {
              open.result.close();
              resolve();
            };
            tx.onerror = () => reject(tx.error);
          };
          open.onerror = () => reject(open.error);
        }),
    );
    await dashboard.refresh();
    expect((await dashboard.storageHealth()).alarm).toBe(true);
    await dashboard.page.getByTestId('storage-alarm').screenshot({ path: `${(await import('./pages/dashboard-page')).SCREENSHOT_DIR}/storage-alarm.png` });
    await dashboard.page.getByRole('button', { name: 'I understand' }).click();
    await dashboard.page.getByTestId('storage-alarm').waitFor({ state: 'detached' });
  });
});
