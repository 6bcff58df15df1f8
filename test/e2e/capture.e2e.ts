/** Passive capture as it behaves on real pages: where it runs, when it sends, what a changed layout does. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectations, readAmazonFixture } from '../fixtures/amazon';
import { browseAmazon } from './pages/amazon-site';
import { DashboardPage } from './pages/dashboard-page';
import { launchExtension, type ExtensionSession } from './support/extension';
import { listBatches, listConnections, listRecords, onlyConnection } from './support/api';

let session: ExtensionSession;
beforeEach(async () => {
  session = await launchExtension();
});
afterEach(async () => {
  await session?.close();
});

describe('passive capture', () => {
  it('runs nowhere but the connector’s declared order pages', async () => {
    const html = readAmazonFixture('orders-2024-dana.html');
    for (const url of ['https://www.example.com/your-orders/orders?timeFilter=year-2024', 'https://smile.amazon.com/your-orders/orders?timeFilter=year-2024', 'https://www.amazon.com/dp/B08N5WRWNW']) {
      session.servePage(url, html);
      await session.visitExpectingNoCapture(url, 1500);
    }
    expect(await listConnections(session)).toEqual([]);
  });

  it('the built manifest reads only the declared hosts and injects only on the declared order pages', async () => {
    const { readFile } = await import('node:fs/promises');
    const { EXTENSION_DIR } = await import('./support/extension');
    const { connectorMetas } = await import('../../src/connectors/hosts');
    const manifest = JSON.parse(await readFile(`${EXTENSION_DIR}/manifest.json`, 'utf8')) as { host_permissions: string[]; content_scripts: { matches: string[] }[] };
    // Exactly the hosts the connectors declare (no wildcard hosts, nothing else), and content scripts only on their declared pages.
    expect([...manifest.host_permissions].sort()).toEqual(connectorMetas.flatMap((meta) => meta.hosts.map((host) => `https://${host}/*`)).sort());
    expect(manifest.host_permissions.every((pattern) => /^https:\/\/[a-z0-9.-]+\/\*$/.test(pattern))).toBe(true);
    expect(manifest.content_scripts.flatMap((script) => script.matches).sort()).toEqual(connectorMetas.flatMap((meta) => [...meta.matches]).sort());
  });

  it('re-captures an unchanged page as a counter, and sends again when the page loads more orders', async () => {
    const page = await browseAmazon(session, 'orders-2024-dana.html');
    const connection = await onlyConnection(session);
    const [first] = await listBatches(session, connection.id);
    await session.afterCapture(() => page.reload());
    const afterReload = await listBatches(session, connection.id);
    expect(afterReload).toHaveLength(1);
    expect(afterReload[0]).toMatchObject({ id: first!.id, recaptureCount: 1 });

    // The page loads one more order card (as infinite scroll or "show more" would).
    const extraId = '114-1234567-7654321';
    await session.afterCapture(() =>
      page.evaluate((id) => {
        const card = document.querySelector('.order-card, .js-order-card');
        if (!card?.parentElement) throw new Error('no order card in fixture');
        const copy = card.cloneNode(true) as HTMLElement;
        copy.innerHTML = copy.innerHTML.replace(/\d{3}-\d{7}-\d{7}/g, id);
        card.parentElement.appendChild(copy);
      }, extraId),
    );
    expect(await listBatches(session, connection.id)).toHaveLength(2);
    expect((await listRecords(session, connection.id, 'orders')).map((record) => record.key)).toContain(extraId);
  });

  it('a page whose layout changed yields a receipt that says so, and stores no records', async () => {
    await browseAmazon(session, 'orders-changed-layout.html');
    const connection = await onlyConnection(session);
    const [batch] = await listBatches(session, connection.id);
    expect(batch?.warnings.map((warning) => warning.code)).toContain('layout_unrecognized');
    expect(batch?.counts.parsed).toBe(0);
    expect(await listRecords(session, connection.id, 'orders', true)).toEqual([]);
  });

  it('the popup says whether Gleaner reads the page and what it holds', async () => {
    await browseAmazon(session, 'orders-2024-dana.html');
    const popup = await session.openExtensionPage('popup.html');
    await popup.setViewportSize({ width: 360, height: 420 });
    // Counted in Amazon's nouns, never "records".
    const page = expectations.pages['orders-2024-dana.html'];
    await expect(popup.getByTestId('popup-connections').innerText()).resolves.toContain(`${page.orderIds.length} orders · ${page.itemCount} items`);
    const dashboard = await DashboardPage.open(session);
    await dashboard.page.waitForTimeout(100);
    await popup.screenshot({ path: `${(await import('./pages/dashboard-page')).SCREENSHOT_DIR}/popup.png` });
  });
});
