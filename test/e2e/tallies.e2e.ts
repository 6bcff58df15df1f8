/**
 * The kept tallies' drift guard in the built extension: a tally row made wrong
 * behind Gleaner's back (straight into IndexedDB) is what the popup's read
 * repeats, until the dashboard opens the connection, recounts it on the
 * indexes and shows the truth.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { browseAmazon } from './pages/amazon-site';
import { DashboardPage } from './pages/dashboard-page';
import { launchExtension, type ExtensionSession } from './support/extension';
import { listConnections, onlyConnection } from './support/api';

let session: ExtensionSession;
beforeEach(async () => {
  session = await launchExtension();
});
afterEach(async () => {
  await session?.close();
});

describe('kept record counts', () => {
  it('a drifted tally is repaired when the dashboard opens the connection', async () => {
    await browseAmazon(session, 'orders-2023-dana-p1.html');
    const connection = await onlyConnection(session);
    expect(connection.streamCounts.map((entry) => [entry.stream, entry.count])).toEqual([
      ['orders', 2],
      ['order_items', 3],
    ]);

    // A defect, simulated: the orders row says 40 in the extension's own database.
    const page = await session.openExtensionPage('popup.html');
    await page.evaluate(
      (connectionId) =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('gleaner');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const tx = open.result.transaction('tallies', 'readwrite');
            tx.objectStore('tallies').put({ connectionId, stream: 'orders', stored: 40, tombstoned: 0 });
            tx.oncomplete = () => {
              open.result.close();
              resolve();
            };
            tx.onerror = () => reject(tx.error);
          };
        }),
      connection.id,
    );
    await page.close();
    expect((await onlyConnection(session)).streamCounts.find((entry) => entry.stream === 'orders')?.count).toBe(40);

    const dashboard = await DashboardPage.open(session);
    const row = dashboard.page.locator(`[data-testid="connection-list"] li[data-connection-id="${connection.id}"]`);
    await expect.poll(() => row.innerText(), { timeout: 15_000 }).toContain('2 orders · 3 items');
    expect((await listConnections(session))[0]!.streamCounts.find((entry) => entry.stream === 'orders')?.count).toBe(2);
  });
});
