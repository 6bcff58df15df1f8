/**
 * Records the owner recognises, end to end in headless Chromium with the
 * built extension: Dana's export imported through the dashboard and a Your
 * Orders page browsed; the records browser lists orders with their items,
 * searches every kind from its default view, says when nothing matches (with
 * a way out), counts in Amazon's nouns, and its provenance panel speaks in
 * field labels and closes on Escape and when the list changes. Screenshots:
 * test-results/screenshots/records-*.png (1280×900; records-narrow at 360×800).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AMAZON_EXPORT_ZIP_NAME, expectations, makeAmazonExportZip } from '../fixtures/amazon';
import { DashboardPage, type UploadFile } from './pages/dashboard-page';
import { browseAmazon } from './pages/amazon-site';
import { launchExtension, type ExtensionSession } from './support/extension';
import { listRecords, onlyConnection } from './support/api';

const zipUpload = (): UploadFile => ({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' });

/** In the export only: "Echo Dot (3rd Gen) - Smart speaker with Alexa - Charcoal", the one item of this order. */
const ECHO_ORDER = '112-0385716-2849013';
const ECHO_ITEM = `${ECHO_ORDER}|B07FZ8S74R`;

let session: ExtensionSession;
beforeEach(async () => {
  session = await launchExtension();
});
afterEach(async () => {
  await session?.close();
});

describe('the records browser', () => {
  it('lists orders with their items, finds an order by an item’s name from the default view, shows an empty state, and closes provenance on Escape', async () => {
    const dashboard = await DashboardPage.open(session);
    await dashboard.importFile(zipUpload(), { newAccountName: 'Dana' });
    await browseAmazon(session, 'orders-2024-dana.html');
    await dashboard.refresh();

    const dana = await onlyConnection(session);
    const orders = await listRecords(session, dana.id, 'orders');
    const items = await listRecords(session, dana.id, 'order_items');
    expect(orders.length).toBe(expectations.export.orderIds.length + expectations.pages['orders-2024-dana.html'].orderIds.length);

    // The default view: every kind, counted in Amazon's nouns.
    await expect(dashboard.page.getByTestId('stream-filter').inputValue()).resolves.toBe('');
    expect(await dashboard.recordStatus()).toBe(`${orders.length} orders · ${items.length} items`);
    // Each order's row lists its items by name; no item is repeated as a row under a listed order.
    const rows = await dashboard.recordRows();
    expect(rows.map((row) => row.stream)).toEqual(orders.map(() => 'orders'));
    for (const row of rows) {
      const mine = items.filter((item) => item.data.order_id === row.key);
      expect(row.parts.map((part) => part.key).sort()).toEqual(mine.map((item) => item.key).sort());
      for (const item of mine) expect(row.text).toContain(String(item.data.name).slice(0, 40));
    }
    // Dates in one owner format; an order reads as Amazon shows it.
    const newest = rows[0]!;
    expect(newest.text).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}\s/);
    expect(newest.text).toContain(`Order ${newest.key}`);
    expect(newest.text).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    await dashboard.screenshotRecords('records-default');

    // "Echo Dot" from the default view: the order that holds it and the item itself.
    expect(await dashboard.searchRecords('Echo Dot')).toBe('1 order · 1 item');
    const found = await dashboard.recordRows();
    expect(found.map((row) => row.key)).toEqual([ECHO_ORDER]);
    expect(found[0]!.parts).toEqual([{ key: ECHO_ITEM, text: expect.stringContaining('Echo Dot (3rd Gen)'), matched: true }]);
    expect(found[0]!.text).toContain('1 × $49.99');
    await dashboard.screenshotRecords('records-search');

    // The order's provenance in field labels; raw names only under Technical details; Escape closes it.
    await dashboard.openProvenance(ECHO_ORDER);
    const panel = dashboard.page.getByTestId('provenance-panel');
    const said = await panel.innerText();
    expect(said).toContain('Order total');
    expect(said).toContain('Echo Dot (3rd Gen)');
    expect(said).not.toMatch(/cents|item key|order_total|_/);
    await dashboard.screenshotRecords('records-provenance');
    await dashboard.closeProvenanceWithEscape();
    await expect(dashboard.page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-key'))).resolves.toBe(ECHO_ORDER);

    // The item, opened from its order's row, says where it belongs; a new search closes it.
    await dashboard.openPartProvenance(ECHO_ITEM);
    await expect(panel.innerText()).resolves.toContain(`In order ${ECHO_ORDER}`);
    await dashboard.searchRecords('Moleskine');
    await expect(panel.count()).resolves.toBe(0);

    // Nothing matches: said in the owner's nouns, with a way to clear.
    expect(await dashboard.searchRecords('xyzzy lamp')).toBe('No orders or items match “xyzzy lamp”.');
    await expect(dashboard.page.getByTestId('records-empty').isVisible()).resolves.toBe(true);
    await expect(dashboard.page.getByTestId('records-table').count()).resolves.toBe(0);
    await dashboard.screenshotRecords('records-empty');
    await dashboard.page.getByTestId('clear-search').click();
    await dashboard.page.waitForTimeout(600);
    expect(await dashboard.recordStatus()).toBe(`${orders.length} orders · ${items.length} items`);

    // One kind: its own noun, singular when one.
    await dashboard.filterRecords({ stream: 'orders', text: ECHO_ORDER });
    expect(await dashboard.recordStatus()).toBe('1 order');
    const section = await dashboard.page.getByRole('heading', { name: 'Records', exact: true }).evaluate((heading) => (heading.closest('section') as HTMLElement).innerText);
    expect(section).not.toMatch(/\b1 records\b/);

    // At a phone's width: nothing overflows sideways, and each row still carries its date.
    await dashboard.filterRecords({ stream: '', text: '' });
    await dashboard.page.setViewportSize({ width: 360, height: 800 });
    await dashboard.page.waitForTimeout(300);
    await expect(dashboard.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).resolves.toBeLessThanOrEqual(0);
    await expect(dashboard.page.locator(`tr[data-key="${ECHO_ORDER}"] .rb-date-inline`).isVisible()).resolves.toBe(true);
    await dashboard.screenshotRecords('records-narrow');
  });
});
