/**
 * A year of Your Orders over several pages (`startIndex` 0 and 2), in the built
 * extension: the pages join into one full claim for the year only when every
 * page was seen (also when the service worker was stopped between them), and
 * reconciliation then stays inside that year and that method.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AMAZON_EXPORT_ZIP_NAME, expectations, makeAmazonExportZip, readAmazonFixture, withExtraOrder } from '../fixtures/amazon';
import { browseAmazon } from './pages/amazon-site';
import { DashboardPage } from './pages/dashboard-page';
import { PopupPage } from './pages/popup-page';
import { launchExtension, stopServiceWorkers, type ExtensionSession } from './support/extension';
import { getCoverage, listBatches, listRecords, onlyConnection, visibleOrderIds } from './support/api';

const P1 = 'orders-2023-dana-p1.html' as const;
const P2 = 'orders-2023-dana-p2.html' as const;
const { pages, overlap } = expectations;
/** An order Dana's 2023 list showed on an earlier visit, and no longer does. */
const X = '112-4000000-0000001';

let session: ExtensionSession;
beforeEach(async () => {
  session = await launchExtension();
});
afterEach(async () => {
  await session?.close();
});

async function pageWindows2023(connectionId: string) {
  const orders = (await getCoverage(session, connectionId)).find((entry) => entry.stream === 'orders');
  return orders?.methods.find((method) => method.method === 'browser_polyfill')?.windows.filter((window) => window.start.startsWith('2023')) ?? [];
}

/** Opens page 1 of 2023 as Amazon shows it now (with or without order X). */
async function visitFirstPage(withX: boolean) {
  const { url } = pages[P1];
  const html = readAmazonFixture(P1);
  session.servePage(url, withX ? withExtraOrder(html, X) : html);
  return session.visit(url);
}

describe('a year of Your Orders over several pages', () => {
  it('becomes full only once every page was seen, in either order, and the popup says it covers all of the year', async () => {
    await browseAmazon(session, P2);
    const connection = await onlyConnection(session);
    expect(await pageWindows2023(connection.id)).toEqual([expect.objectContaining({ completeness: 'partial' })]);

    await browseAmazon(session, P1);
    expect(await pageWindows2023(connection.id)).toContainEqual(expect.objectContaining({ start: '2023-01-01', end: '2023-12-31', completeness: 'full' }));
    const batches = await listBatches(session, connection.id);
    // Page 2, page 1, and the year they make together.
    expect(batches).toHaveLength(3);
    const year = batches.find((batch) => batch.coverage.some((claim) => claim.completeness === 'full'))!;
    expect(year.coverage[0]?.evidence).toBe('All of 2023: 3 orders on 2 pages of Your Orders, seen within an hour');
    expect(year.counts).toMatchObject({ parsed: 7, new: 0, tombstoned: 0 });

    // The popup speaks of the year the pages hold, not of the last page's two orders.
    const popup = await PopupPage.open(session, pages[P1].url);
    const line = await popup.lastCapture();
    expect(line).toContain('Kept all of 2023 for Dana on amazon.com: 3 orders on 2 pages of Your Orders');
    expect(line).toContain('Last capture on this tab: 2 orders on this page (2 new) · 3 items (3 new)');
    expect(line).not.toContain('Kept 2 orders');
    await popup.screenshot('popup-full-year-from-pages');
  });

  it('becomes full when the service worker was stopped between its pages (the pages seen are kept in session storage)', async () => {
    await browseAmazon(session, P2);
    const connection = await onlyConnection(session);
    expect(await pageWindows2023(connection.id)).toEqual([expect.objectContaining({ completeness: 'partial' })]);

    // Chrome stops an idle extension worker; the next page's capture starts a new one with empty memory.
    await session.worker.evaluate(() => Object.assign(globalThis, { gleanerBeforeStop: true }));
    await stopServiceWorkers(session);

    await browseAmazon(session, P1);
    // The worker that took page 1 is a new one: none alive carries the stopped one's mark.
    const marks = await Promise.all(
      session.context
        .serviceWorkers()
        .filter((worker) => worker.url().startsWith(`chrome-extension://${session.extensionId}/`))
        .map((worker) => Promise.race([worker.evaluate(() => (globalThis as { gleanerBeforeStop?: boolean }).gleanerBeforeStop === true).catch(() => 'stopped'), new Promise((resolve) => setTimeout(() => resolve('stopped'), 5000))])),
    );
    expect(marks).toContain(false);
    expect(marks).not.toContain(true);
    expect(await pageWindows2023(connection.id)).toContainEqual(expect.objectContaining({ start: '2023-01-01', end: '2023-12-31', completeness: 'full' }));
    const year = (await listBatches(session, connection.id)).filter((batch) => batch.coverage.some((claim) => claim.completeness === 'full'));
    expect(year).toHaveLength(1);
    expect(year[0]!.coverage[0]?.evidence).toBe('All of 2023: 3 orders on 2 pages of Your Orders, seen within an hour');
    expect(year[0]!.counts).toMatchObject({ parsed: 7, new: 0, alreadyKnown: 7 });
  });

  it('an export-only order of that year stays; a page-only order missing from the year is marked gone and comes back when listed again', async () => {
    const dashboard = await DashboardPage.open(session);
    await dashboard.importFile({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' }, { newAccountName: 'Dana' });
    const connection = await onlyConnection(session);

    // An earlier visit: page 1 still listed X.
    await visitFirstPage(true);
    expect(await visibleOrderIds(session, connection.id)).toContain(X);
    // Page 1 without X: one page of two, nothing is judged.
    await visitFirstPage(false);
    expect((await pageWindows2023(connection.id)).every((window) => window.completeness === 'partial')).toBe(true);
    expect(await visibleOrderIds(session, connection.id)).toContain(X);

    await browseAmazon(session, P2);
    expect(await pageWindows2023(connection.id)).toContainEqual(expect.objectContaining({ start: '2023-01-01', end: '2023-12-31', completeness: 'full' }));
    const visible = await visibleOrderIds(session, connection.id);
    expect(visible).not.toContain(X);
    // Another method's record of the same year, absent from the pages, stays visible (M6).
    expect(visible).toEqual(expect.arrayContaining([...overlap.archivedExportOnly, ...pages[P1].orderIds, ...pages[P2].orderIds]));
    const gone = (await listRecords(session, connection.id, 'orders', true)).find((record) => record.key === X);
    expect(gone?.tombstone?.reason).toContain('All of 2023');

    // The dashboard's receipt says what the claim means.
    await dashboard.refresh();
    const year = (await listBatches(session, connection.id)).find((batch) => batch.coverage.some((claim) => claim.completeness === 'full' && claim.start === '2023-01-01'))!;
    const receipt = dashboard.page.locator(`[data-batch-id="${year.id}"]`);
    await receipt.waitFor();
    const text = await receipt.innerText();
    expect(text).toContain('Your Orders, 2023');
    expect(text).toContain('2 marked gone');
    expect(text).toContain('covering all of 2023, completely');

    // Amazon lists X again: it comes back.
    await visitFirstPage(true);
    expect(await visibleOrderIds(session, connection.id)).toContain(X);
    const latest = (await listBatches(session, connection.id))[0]!;
    expect(latest.counts.restored).toBe(2);
  });
});
