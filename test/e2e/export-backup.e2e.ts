/**
 * "Download everything" in one profile, "Restore from a backup" in a fresh
 * one: the same connections, visible records and coverage; twice is the same
 * as once; never a token in the file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AMAZON_EXPORT_ZIP_NAME, makeAmazonExportZip } from '../fixtures/amazon';
import { DashboardPage } from './pages/dashboard-page';
import { browseAmazon } from './pages/amazon-site';
import { ServerPanelPage } from './pages/server-panel';
import { launchExtension, type ExtensionSession } from './support/extension';
import { getCoverage, listBatches, listConnections, listRecords } from './support/api';

const sessions: ExtensionSession[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) await session.close();
});

async function launch() {
  const session = await launchExtension();
  sessions.push(session);
  return session;
}

/** Per account: visible records (stream, key, data, methods), coverage, receipts. */
async function everything(session: ExtensionSession) {
  const connections = (await listConnections(session)).sort((a, b) => (a.accountKey ?? '').localeCompare(b.accountKey ?? ''));
  return Promise.all(
    connections.map(async (connection) => ({
      account: connection.accountKey,
      displayName: connection.displayName,
      visible: connection.visibleRecords,
      records: (await Promise.all(['orders', 'order_items'].map((stream) => listRecords(session, connection.id, stream))))
        .flat()
        .map((record) => ({ stream: record.stream, key: record.key, data: record.data, methods: [...record.methods].sort(), batchIds: [...record.batchIds].sort() }))
        .sort((a, b) => `${a.stream}/${a.key}`.localeCompare(`${b.stream}/${b.key}`)),
      coverage: await getCoverage(session, connection.id),
      receipts: (await listBatches(session, connection.id)).map((batch) => ({ id: batch.id, method: batch.method, counts: batch.counts, coverage: batch.coverage, provenance: batch.provenance })).sort((a, b) => a.id.localeCompare(b.id)),
    })),
  );
}

describe('backup and restore', () => {
  it('backup → restore into a fresh profile → the same visible records and coverage, idempotently', async () => {
    const source = await launch();
    const dashboard = await DashboardPage.open(source);
    await dashboard.importFile({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' }, { newAccountName: 'Dana' });
    await browseAmazon(source, 'orders-2024-dana.html');
    await browseAmazon(source, 'orders-2023-dana.html');
    await browseAmazon(source, 'orders-2024-sam.html');
    const before = await everything(source);
    expect(before).toHaveLength(2);

    const panel = await ServerPanelPage.open(source);
    const backup = await panel.downloadBackup();
    expect(backup.fileName).toMatch(/^gleaner-backup-\d{4}-\d{2}-\d{2}\.ndjson$/);
    const text = backup.bytes.toString('utf8');
    expect(text).not.toMatch(/ldt_|device_token/);
    expect(JSON.parse(text.split('\n')[0]!)).toMatchObject({ type: 'gleaner-backup', version: 1, counts: { connections: 2 } });

    const target = await launch();
    const restorePanel = await ServerPanelPage.open(target);
    const report = await restorePanel.restoreBackup(backup);
    expect(report).toMatch(/Restored into .*Dana.*Sam/);
    expect(await everything(target)).toEqual(before);
    await restorePanel.page.screenshot({ path: 'test-results/screenshots/dashboard-restored.png', fullPage: true });

    // Twice is once.
    const again = await restorePanel.restoreBackup(backup);
    expect(again).toMatch(/0 imports and captures added, \d+ already here/);
    expect(await everything(target)).toEqual(before);
  });
});
