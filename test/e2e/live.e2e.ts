/**
 * Live pages: the dashboard and the popup follow what lands elsewhere (a
 * capture in another tab, an import in another dashboard, a rename, a delete)
 * without Refresh or a reload, because the background announces each committed
 * write (`gleaner.changed`, docs/MESSAGES.md); and while nothing is written,
 * nothing is announced. Screenshots go to test-results/screenshots/live-*.png.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { AMAZON_EXPORT_ZIP_NAME, expectations, makeAmazonExportZip, readAmazonFixture } from '../fixtures/amazon';
import { DashboardPage } from './pages/dashboard-page';
import { PopupPage } from './pages/popup-page';
import { launchExtension, type ExtensionSession } from './support/extension';
import { listBatches, listConnections } from './support/api';

const { pages } = expectations;

let session: ExtensionSession;
beforeEach(async () => {
  // GLEANER_OUT_DIR: a build of one's own (as `npm run bench` takes), so a parallel `wxt build` cannot swap it mid-test.
  session = await launchExtension(process.env.GLEANER_OUT_DIR ? { extensionDir: path.resolve(process.env.GLEANER_OUT_DIR, 'chrome-mv3') } : {});
});
afterEach(async () => {
  await session?.close();
});

interface NoticeLog {
  __gleanerNotices: { at: number; what: string[] }[];
  chrome: { runtime: { onMessage: { addListener(listener: (message: unknown) => void): void } } };
}

/** Records the change notices `page` receives (a second listener beside the page's own; it never answers). */
async function logNotices(page: Page): Promise<void> {
  await page.evaluate(() => {
    const scope = globalThis as unknown as NoticeLog;
    scope.__gleanerNotices = [];
    scope.chrome.runtime.onMessage.addListener((message) => {
      const notice = message as { type?: string; what?: string[] } | null;
      if (notice?.type === 'gleaner.changed') scope.__gleanerNotices.push({ at: Date.now(), what: notice.what ?? [] });
    });
  });
}

async function notices(page: Page): Promise<{ at: number; what: string[] }[]> {
  return page.evaluate(() => (globalThis as unknown as NoticeLog).__gleanerNotices);
}

/** Waits until `selector` matches in `page` (polling the page's DOM, not the background) and returns the page's clock then. */
async function shownAt(page: Page, selector: string, timeout = 5000): Promise<number> {
  await page.waitForFunction((css) => document.querySelector(css) !== null, selector, { polling: 50, timeout });
  return page.evaluate(() => Date.now());
}

/** Opens a served Amazon page in a new tab without waiting for anything (the capture lands on its own). */
async function openAmazonTab(url: string, html: string): Promise<Page> {
  session.servePage(url, html);
  const page = await session.context.newPage();
  await page.goto(url);
  return page;
}

/** When the newest receipt of the only connection was stored (the background's clock; the same machine). */
async function newestBatchAt(): Promise<number> {
  const [connection] = await listConnections(session);
  const batches = await listBatches(session, connection!.id);
  return Math.max(...batches.map((batch) => Date.parse(batch.receivedAt)));
}

describe('the dashboard updates itself', () => {
  it('shows a capture from another tab, an import from another dashboard, a rename and a delete, without Refresh; idle, nothing is sent', async () => {
    const dashboard = await DashboardPage.open(session);
    await logNotices(dashboard.page);
    await dashboard.page.getByText('No connections yet').waitFor();
    await dashboard.screenshot('live-dashboard-before-capture');

    // Dana opens Your Orders in another tab: the dashboard lists her connection, its coverage and its orders.
    const page2024 = pages['orders-2024-dana.html'];
    const amazon = await openAmazonTab(page2024.url, readAmazonFixture('orders-2024-dana.html'));
    const listed = await shownAt(dashboard.page, '[data-testid="connection-list"] li[data-connection-id]', 10_000);
    const captureLatency = listed - (await newestBatchAt());
    console.log(`live: capture shown on the dashboard ${captureLatency} ms after it was stored`);
    expect(captureLatency).toBeLessThan(2000);
    const [connection] = await listConnections(session);
    await dashboard.page.locator('[data-testid="coverage-table"] tr[data-stream="orders"][data-method="browser_polyfill"]').waitFor();
    for (const orderId of page2024.orderIds) await dashboard.page.locator(`[data-testid="records-table"] tr[data-key="${orderId}"]`).waitFor();
    expect(await dashboard.page.locator(`[data-testid="connection-list"] li[data-connection-id="${connection!.id}"]`).innerText()).toContain(connection!.displayName);
    await dashboard.screenshot('live-dashboard-after-capture');

    // The same tab moves on to 2023: the open connection's records follow.
    const page2023 = pages['orders-2023-dana.html'];
    session.servePage(page2023.url, readAmazonFixture('orders-2023-dana.html'));
    await amazon.goto(page2023.url);
    for (const orderId of page2023.orderIds) await dashboard.page.locator(`[data-testid="records-table"] tr[data-key="${orderId}"]`).waitFor({ timeout: 5000 });

    // An import committed in a second dashboard tab shows up in the first: its lane in the coverage table.
    const other = await DashboardPage.open(session);
    await other.importFile({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' }, { existingConnectionName: connection!.displayName });
    const imported = await shownAt(dashboard.page, '[data-testid="coverage-table"] tr[data-stream="orders"][data-method="owner_artifact"]');
    const [job] = await session.call<{ status: string; finishedAt?: string }[]>('import.list', { limit: 1 });
    expect(job?.status).toBe('committed');
    const importLatency = imported - Date.parse(job!.finishedAt!);
    console.log(`live: import shown on the first dashboard ${importLatency} ms after it was committed`);
    expect(importLatency).toBeLessThan(2000);
    await other.page.close();
    await dashboard.page.waitForTimeout(400);
    await dashboard.screenshot('live-dashboard-after-import');

    // Renamed and deleted elsewhere (through the message API, as automation would): the dashboard follows.
    await session.call('connections.rename', { connectionId: connection!.id, displayName: 'Dana (kitchen laptop)' });
    await dashboard.page.getByTestId('connection-list').getByRole('button', { name: 'Dana (kitchen laptop)' }).waitFor({ timeout: 5000 });
    await session.call('connections.delete', { connectionId: connection!.id });
    await dashboard.page.getByText('No connections yet').waitFor({ timeout: 5000 });
    expect(await dashboard.page.locator('[data-testid="connection-view"]').count()).toBe(0);

    // Every notice names only kinds of data, never ids or contents.
    const received = await notices(dashboard.page);
    expect(received.length).toBeGreaterThanOrEqual(4);
    for (const notice of received) expect(notice.what.every((area) => ['connections', 'batches', 'records'].includes(area))).toBe(true);

    // Idle: the re-reads those notices caused wrote nothing, so nothing more is announced (no loop, no polling).
    await dashboard.page.waitForTimeout(800);
    const settled = (await notices(dashboard.page)).length;
    await dashboard.page.waitForTimeout(3000);
    expect((await notices(dashboard.page)).length).toBe(settled);
  });
});

describe('the popup updates itself', () => {
  it('shows the capture on its tab and the new connection while it stays open', async () => {
    // The tab starts on an Amazon page Gleaner does not read.
    const home = 'https://www.amazon.com/';
    const tab = await openAmazonTab(home, '<!doctype html><title>Amazon.com</title><h1>Amazon</h1><p>Hello, sign in</p>');
    const popup = await PopupPage.open(session, home);
    await logNotices(popup.page);
    expect(await popup.state()).toBe('other-page');
    await popup.page.getByText('None yet.').waitFor();
    await popup.screenshot('live-popup-before-capture');

    // The owner goes to Your Orders in that tab: the open popup says what was kept and lists the connection.
    const page2024 = pages['orders-2024-dana.html'];
    session.servePage(page2024.url, readAmazonFixture('orders-2024-dana.html'));
    await tab.goto(page2024.url);
    const shown = await shownAt(popup.page, '[data-testid="tab-card"][data-state="on"] [data-testid="last-capture"]', 10_000);
    const latency = shown - (await newestBatchAt());
    console.log(`live: capture shown in the popup ${latency} ms after it was stored`);
    expect(latency).toBeLessThan(2000);
    expect(await popup.lastCapture()).toContain(`Kept ${page2024.orderIds.length} orders for `);
    await popup.page.locator('[data-testid="popup-connections"] li').first().waitFor({ timeout: 5000 });
    const [connection] = await listConnections(session);
    expect(await popup.page.getByTestId('popup-connections').innerText()).toContain(connection!.displayName);
    await popup.screenshot('live-popup-after-capture');
    expect((await notices(popup.page)).length).toBeGreaterThanOrEqual(1);
  });
});
