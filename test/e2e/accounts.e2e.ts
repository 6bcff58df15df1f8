/**
 * Account identity the owner can trust (issue 9), end to end in headless
 * Chromium with the built extension: an import's account name is checked,
 * import-then-visit and visit-then-import each end in ONE connection, two
 * connections of one account merge (records, receipts, provenance, coverage,
 * the server link; the REAL PDPP reference server then holds exactly the
 * visible records), two accounts whose evidence disagrees are refused, and an
 * import moves to the account it belongs to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AMAZON_EXPORT_ZIP_NAME, expectations, makeAmazonExportZip } from '../fixtures/amazon';
import { startReferenceServer, type ReferenceServer } from '../support/pdpp-reference';
import { AccountsPanel } from './pages/accounts-page';
import { browseAmazon } from './pages/amazon-site';
import { DashboardPage, type UploadFile } from './pages/dashboard-page';
import { launchWithServerAccess } from './pages/server-browser';
import { ServerPanelPage } from './pages/server-panel';
import { extensionVisible, linkOf, ownerVisible } from './pages/server-readback';
import { launchExtension, type ExtensionSession } from './support/extension';
import { getCoverage, listBatches, listConnections, listRecords, onlyConnection, visibleOrderIds } from './support/api';

const zipUpload = (): UploadFile => ({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' });
const { overlap, pages } = expectations;
const sorted = (ids: readonly string[]) => [...new Set(ids)].sort();
const DANA_GREETED = 'Amazon — Dana on amazon.com';
const SAM_GREETED = 'Amazon — Sam on amazon.com';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function session(): Promise<ExtensionSession> {
  const launched = await launchExtension();
  cleanups.push(() => launched.close());
  return launched;
}

describe('one account, one connection', () => {
  it('an empty name is refused (the export’s names shown); an import named "Dana", then a visit greeted "Hello, Dana": one connection', async () => {
    const s = await session();
    const dashboard = await DashboardPage.open(s);
    await dashboard.chooseFile(zipUpload());
    expect((await dashboard.waitForPreviewOrError()).preview).toBe(true);
    await dashboard.page.getByTestId('target-new').check();
    expect(await dashboard.page.getByTestId('account-evidence').innerText()).toMatch(/Names on this export’s shipping addresses: Dana Whitfield \(\d+\)/);
    await dashboard.page.getByTestId('confirm-import').click();
    const refusal = dashboard.page.getByTestId('import-error');
    await refusal.waitFor();
    expect(await refusal.innerText()).toMatch(/Type the name Amazon greets you with before importing/);
    await dashboard.page.getByTestId('account-name').fill('Dana Whitfield');
    await dashboard.page.getByTestId('confirm-import').click();
    await dashboard.page.getByText(/first name only \("Hello, Dana"\)/).waitFor();
    expect(await listConnections(s)).toEqual([]);

    await dashboard.page.getByTestId('account-name').fill('Dana');
    await dashboard.page.getByTestId('confirm-import').click();
    expect((await dashboard.receipt()).outcome).toBe('merged');
    await browseAmazon(s, 'orders-2023-dana.html');
    const connection = await onlyConnection(s);
    expect(connection.accountKey).toBe(expectations.accounts.dana.key);
    expect(connection.accountEvidence).toBe('greeting on www.amazon.com');
    expect(await visibleOrderIds(s, connection.id)).toEqual(sorted([...expectations.export.orderIds, ...pages['orders-2023-dana.html'].orderIds]));
  });

  it('a visit greeted "Hello, Dana", then the export: the preview picks her connection by overlap, one connection', async () => {
    const s = await session();
    await browseAmazon(s, 'orders-2023-dana.html');
    const visited = await onlyConnection(s);
    const dashboard = await DashboardPage.open(s);
    await dashboard.chooseFile(zipUpload());
    expect((await dashboard.waitForPreviewOrError()).preview).toBe(true);
    const picked = dashboard.page.getByRole('radio', { name: new RegExp(DANA_GREETED) });
    expect(await picked.isChecked()).toBe(true);
    expect(await dashboard.previewText()).toContain(`${overlap.both.length} of`);
    await dashboard.page.getByTestId('confirm-import').click();
    expect((await dashboard.receipt()).outcome).toBe('merged');
    expect((await onlyConnection(s)).id).toBe(visited.id);
  });
});

describe('merge two connections of one account', () => {
  it('merges an import named "Dana W" into the greeted Dana: records, receipts, provenance, coverage and the server link kept; the real server then holds exactly the visible records; Dana and Sam are refused', async () => {
    const [serverResult, browserResult] = await Promise.allSettled([startReferenceServer(), launchWithServerAccess()]);
    if (serverResult.status === 'fulfilled') cleanups.push(() => serverResult.value.close());
    if (browserResult.status === 'fulfilled') cleanups.push(() => browserResult.value.close());
    if (serverResult.status === 'rejected') throw serverResult.reason;
    if (browserResult.status === 'rejected') throw browserResult.reason;
    const server: ReferenceServer = serverResult.value;
    const s = browserResult.value;

    await browseAmazon(s, 'orders-2023-dana.html');
    await browseAmazon(s, 'orders-2024-dana.html');
    const dashboard = await DashboardPage.open(s);
    expect((await dashboard.importFile(zipUpload(), { newAccountName: 'Dana W' })).outcome).toBe('merged');
    const before = await listConnections(s);
    expect(before).toHaveLength(2);
    const dana = before.find((connection) => connection.displayName === DANA_GREETED)!;
    const named = before.find((connection) => connection.id !== dana.id)!;
    const namedBatches = await listBatches(s, named.id);
    const danaBatches = await listBatches(s, dana.id);

    // The greeted connection is linked and exported first.
    const panel = await ServerPanelPage.open(s);
    await panel.selectConnection(DANA_GREETED);
    expect(await panel.link(server.asUrl)).toMatch(/everything is on your server/);
    const link = await linkOf(s, dana.id);
    await panel.page.close();

    await dashboard.refresh();
    await dashboard.selectConnection(DANA_GREETED);
    const accounts = new AccountsPanel(dashboard.page);
    const preview = await accounts.previewMerge(named.displayName);
    expect(preview.refused).toBe('');
    expect(await dashboard.page.getByTestId('merge-both').innerText()).toMatch(new RegExp(`^${overlap.both.length} orders · \\d+ items`));
    const allOrders = sorted([...expectations.export.orderIds, ...pages['orders-2023-dana.html'].orderIds, ...pages['orders-2024-dana.html'].orderIds]);
    expect(await dashboard.page.getByTestId('merge-after').innerText()).toMatch(new RegExp(`^${allOrders.length} orders · \\d+ items, 3 receipts`));
    expect(preview.text).toContain('Stays linked to');
    await accounts.screenshot('merge-preview');
    expect(await accounts.confirmMerge()).toMatch(new RegExp(`^Merged ${named.displayName} into ${DANA_GREETED}: 1 receipt and \\d+ records \\(\\d+ already here\\)`));

    // One connection: every record of both, every receipt, provenance and coverage of both methods.
    const after = await onlyConnection(s);
    expect(after.id).toBe(dana.id);
    expect(await visibleOrderIds(s, dana.id)).toEqual(allOrders);
    const receipts = await listBatches(s, dana.id);
    expect(sorted(receipts.map((batch) => batch.id))).toEqual(sorted([...namedBatches, ...danaBatches].map((batch) => batch.id)));
    const moved = receipts.find((batch) => batch.method === 'owner_artifact')!;
    expect(moved).toMatchObject({ counts: namedBatches[0]!.counts, provenance: namedBatches[0]!.provenance, formerConnections: [expect.objectContaining({ connectionId: named.id, how: 'merge' })] });
    const shared = (await listRecords(s, dana.id, 'orders')).find((record) => record.key === overlap.both[0])!;
    expect(sorted(shared.methods)).toEqual(['browser_polyfill', 'owner_artifact']);
    expect(shared.batchIds).toContain(moved.id);
    expect(shared.versions.map((version) => version.method)).toEqual(expect.arrayContaining(['browser_polyfill', 'owner_artifact']));
    // Found by its words after the merge: a record the merge rebuilt keeps its search words.
    const exportItem = (await listRecords(s, dana.id, 'order_items')).find((record) => record.methods.join() === 'owner_artifact')!;
    const words = String(exportItem.data.name).split(/\s+/).slice(0, 2).join(' ');
    const found = await s.call<{ records: { key: string; parts?: { key: string }[] }[] }>('records.query', { connectionId: dana.id, text: words, method: 'any', includeTombstoned: false, offset: 0, limit: 50 });
    expect(found.records.flatMap((record) => [record.key, ...(record.parts ?? []).map((part) => part.key)])).toContain(exportItem.key);
    const orders = (await getCoverage(s, dana.id)).find((entry) => entry.stream === 'orders')!;
    expect(orders.methods.map((method) => method.method).sort()).toEqual(['browser_polyfill', 'owner_artifact']);

    // The link stayed; after an export the owner reads back exactly the visible records and every receipt.
    expect(await linkOf(s, dana.id)).toMatchObject({ connectorInstanceId: link.connectorInstanceId, status: 'active' });
    await s.call('export.now', { connectionId: dana.id });
    expect(await ownerVisible(server, link)).toEqual(await extensionVisible(s, dana.id));
    const serverReceipts = await server.ownerRecords('acquisition_batches', link.connectorId, link.connectorInstanceId);
    expect(sorted(serverReceipts.map((record) => record.id))).toEqual(sorted(receipts.map((batch) => batch.id)));

    // Dana and Sam: two greetings, two accounts.
    await browseAmazon(s, 'orders-2024-sam.html');
    await dashboard.refresh();
    await dashboard.selectConnection(DANA_GREETED);
    const refused = await accounts.previewMerge(SAM_GREETED);
    expect(refused.refused).toBe('different_accounts');
    expect(refused.text).toMatch(/two different Amazon accounts: Dana on amazon.com \(greeting on www.amazon.com\) and Sam on amazon.com/);
    expect(await dashboard.page.getByTestId('merge-confirm').count()).toBe(0);
    // Automation gets the same refusal, and nothing changes.
    const samId = (await listConnections(s)).find((connection) => connection.displayName === SAM_GREETED)!.id;
    await expect(s.call('connections.merge', { keepId: dana.id, absorbId: samId })).rejects.toThrow(/different_accounts/);
    expect(await listConnections(s)).toHaveLength(2);
  }, 240_000);
});

describe('move an import', () => {
  it('an export imported into Sam’s connection by mistake moves to Dana’s, with its receipt; Sam keeps only his pages', async () => {
    const s = await session();
    await browseAmazon(s, 'orders-2023-dana.html');
    await browseAmazon(s, 'orders-2024-sam.html');
    const dashboard = await DashboardPage.open(s);
    const receipt = await dashboard.importFile(zipUpload(), { existingConnectionName: SAM_GREETED });
    expect(receipt.outcome).toBe('merged');
    const connections = await listConnections(s);
    const sam = connections.find((connection) => connection.displayName === SAM_GREETED)!;
    const dana = connections.find((connection) => connection.displayName === DANA_GREETED)!;
    expect(await visibleOrderIds(s, sam.id)).toEqual(sorted([...expectations.export.orderIds, ...pages['orders-2024-sam.html'].orderIds]));

    await dashboard.refresh();
    await dashboard.selectConnection(SAM_GREETED);
    const accounts = new AccountsPanel(dashboard.page);
    const preview = await accounts.previewMove(AMAZON_EXPORT_ZIP_NAME, DANA_GREETED);
    expect(preview.refused).toBe('');
    expect(preview.text).toContain(`${expectations.export.orderIds.length} orders from “${AMAZON_EXPORT_ZIP_NAME}” go to ${DANA_GREETED}`);
    expect(await accounts.confirmMove()).toMatch(/Moved “Your Orders.zip” to Amazon — Dana on amazon.com/);

    expect(await visibleOrderIds(s, sam.id)).toEqual(sorted(pages['orders-2024-sam.html'].orderIds));
    expect(await visibleOrderIds(s, dana.id)).toEqual(sorted([...expectations.export.orderIds, ...pages['orders-2023-dana.html'].orderIds]));
    const danaReceipts = await listBatches(s, dana.id);
    const moved = danaReceipts.find((batch) => batch.id === receipt.batchId)!;
    expect(moved.formerConnections).toEqual([expect.objectContaining({ connectionId: sam.id, how: 'move' })]);
    expect((await listBatches(s, sam.id)).map((batch) => batch.method)).toEqual(['browser_polyfill']);
    const shared = (await listRecords(s, dana.id, 'orders')).find((record) => record.key === overlap.both[0])!;
    expect(sorted(shared.methods)).toEqual(['browser_polyfill', 'owner_artifact']);
  });
});
