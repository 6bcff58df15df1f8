/**
 * The Firefox build, really loaded: `.output/firefox-mv2` in headless Firefox ESR
 * (WebDriver BiDi, puppeteer-core). Dana's 2024 Your Orders page is served at
 * www.amazon.com and captured by the content script; her export's CSV is then
 * imported through the dashboard's file input into the same connection; the
 * records browser shows every order of both, each with its items, as the
 * Chromium end-to-end tests do; linking a personal server gets its permission.
 * Screenshot: test-results/screenshots/firefox-records.png.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionSummary } from '../../src/background/handlers';
import type { StoredRecord } from '../../src/core/model';
import { AMAZON_EXPORT_CSV, amazonFixturePath, expectations, readAmazonFixture } from '../fixtures/amazon';
import { launchFirefox, settled, type FirefoxSession } from './support/firefox';

const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../test-results/screenshots');
const PAGE = 'orders-2024-dana.html';
const sorted = (ids: readonly string[]) => [...ids].sort();

interface PermissionsGlobal {
  browser: { permissions: { contains(query: { origins: string[] }): Promise<boolean> } };
}

let session: FirefoxSession;
beforeEach(async () => {
  session = await launchFirefox();
});
afterEach(async () => {
  await session?.close();
});

async function records(connectionId: string, stream: string): Promise<StoredRecord[]> {
  return (await session.call<{ records: StoredRecord[] }>('records.list', { connectionId, stream, limit: 10000 })).records;
}

describe('the Firefox build in Firefox ESR', () => {
  it('captures a routed Amazon page, imports the export through the dashboard, shows both in the records browser, and asks for a server’s permission in the click', async () => {
    const { url, accountKey, orderIds: pageOrders, itemCount: pageItems } = expectations.pages[PAGE];
    session.servePage(url, readAmazonFixture(PAGE));
    await session.visit(url);
    const [dana] = await settled(
      () => session.call<ConnectionSummary[]>('connections.list'),
      (list) => list.length === 1 && list[0]!.visibleRecords > 0,
    );
    expect(dana!.accountKey).toBe(accountKey);
    expect(sorted((await records(dana!.id, 'orders')).map((record) => record.key))).toEqual(sorted(pageOrders));

    const dashboard = await session.openExtensionPage('dashboard.html');
    const input = await dashboard.waitForSelector('input[type="file"][data-testid="artifact-input"]');
    await input!.uploadFile(amazonFixturePath(AMAZON_EXPORT_CSV));
    const preview = await dashboard.waitForSelector('[data-testid="import-preview"], [data-testid="import-error"]', { timeout: 30_000 });
    await expect(preview!.evaluate((element) => element.getAttribute('data-testid'))).resolves.toBe('import-preview');
    await dashboard.click(`input[name="target"][value="${dana!.id}"]`);
    await dashboard.click('[data-testid="confirm-import"]');
    const receipt = await dashboard.waitForSelector('[data-testid="import-receipt"]', { timeout: 60_000 });
    await expect(receipt!.evaluate((element) => element.getAttribute('data-outcome'))).resolves.toBe('merged');

    // One connection holds both; the store agrees with the fixtures.
    expect((await session.call<ConnectionSummary[]>('connections.list')).map((connection) => connection.id)).toEqual([dana!.id]);
    const orders = await records(dana!.id, 'orders');
    const items = await records(dana!.id, 'order_items');
    expect(sorted(orders.map((record) => record.key))).toEqual(sorted([...pageOrders, ...expectations.export.orderIds]));
    expect(items).toHaveLength(pageItems + expectations.export.itemCount);

    // The records browser, told of the import without a reload, shows every order with its items.
    // (A page re-reads only while it is shown: in Firefox a tab behind another is hidden.)
    await dashboard.bringToFront();
    const status = `${orders.length} orders · ${items.length} items`;
    await dashboard.waitForFunction((wanted) => document.querySelector('[data-testid="record-total"]')?.textContent?.trim() === wanted, { timeout: 15_000 }, status);
    const rows = await dashboard.$$eval('[data-testid="records-table"] tbody tr', (trs) =>
      trs.map((tr) => ({
        key: tr.getAttribute('data-key') ?? '',
        text: (tr as HTMLElement).innerText,
        parts: [...tr.querySelectorAll('[data-testid="record-parts"] li[data-key]')].map((li) => li.getAttribute('data-key') ?? ''),
      })),
    );
    expect(sorted(rows.map((row) => row.key))).toEqual(sorted(orders.map((record) => record.key)));
    for (const row of rows) {
      const mine = items.filter((item) => item.data.order_id === row.key);
      expect(sorted(row.parts)).toEqual(sorted(mine.map((item) => item.key)));
      for (const item of mine) expect(row.text).toContain(String(item.data.name).slice(0, 40));
    }
    // Newest first, dates as the owner reads them.
    expect(rows[0]!.text).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}\s/);

    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await dashboard.evaluate(() => document.querySelector('[data-testid="records-table"]')?.closest('section')?.scrollIntoView({ block: 'start' }));
    await dashboard.screenshot({ path: path.join(SCREENSHOT_DIR, 'firefox-records.png') });

    // Linking a personal server asks for its host permission in the click itself: Firefox refuses
    // `permissions.request` once the click handler has awaited anything. (No server listens there.)
    const loopback = { origins: ['http://127.0.0.1/*'] };
    const held = () => dashboard.evaluate((query) => (globalThis as unknown as PermissionsGlobal).browser.permissions.contains(query), loopback);
    await expect(held()).resolves.toBe(false);
    await dashboard.type('[data-testid="server-origin"]', 'http://127.0.0.1:9');
    await dashboard.click('[data-testid="link-server"]');
    const said = await dashboard.waitForSelector('[data-testid="server-error"], [data-testid="server-notice"]', { timeout: 30_000 });
    await expect(held()).resolves.toBe(true);
    await expect(said!.evaluate((element) => element.textContent)).resolves.not.toMatch(/permission/);
  });
});
