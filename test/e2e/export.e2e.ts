/**
 * Export to a personal server, end to end, against the REAL PDPP reference
 * server (../shared/pdpp-reference, default-deployment posture: its own
 * first-party manifests registered at boot): the built extension in headless
 * Chromium, Amazon pages served from fixtures. What the owner reads back with
 * an owner token must equal what the extension shows, stream by stream.
 *
 * Only the browser-restart test uses the project's receiver: it needs a 503
 * with Retry-After on demand, which the real server cannot be made to answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AMAZON_EXPORT_ZIP_NAME, expectations, makeAmazonExportZip, readAmazonFixture } from '../fixtures/amazon';
import { startReceiver, type Receiver } from '../receiver/server';
import { startReferenceServer, type ReferenceServer } from '../support/pdpp-reference';
import { DashboardPage } from './pages/dashboard-page';
import { browseAmazon } from './pages/amazon-site';
import { grantedExtensionCopy, launchWithServerAccess } from './pages/server-browser';
import { ServerPanelPage } from './pages/server-panel';
import { extensionVisible, linkOf, ownerVisible, type ShownLink } from './pages/server-readback';
import type { ExtensionSession } from './support/extension';
import { listConnections } from './support/api';

interface BatchView {
  id: string;
  status: string;
  bodyHash: string;
  recordCount: number;
  deletes: number;
  lastRequestId?: string;
}

const zip = () => ({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' });
const screenshot = (name: string) => path.resolve(import.meta.dirname, `../../test-results/screenshots/${name}.png`);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function session(options: Parameters<typeof launchWithServerAccess>[0] = {}): Promise<ExtensionSession> {
  const launched = await launchWithServerAccess(options);
  cleanups.push(() => launched.close());
  return launched;
}

async function realServer(): Promise<ReferenceServer> {
  const started = await startReferenceServer();
  cleanups.push(() => started.close());
  return started;
}

/** A real server and a browser, started side by side; both are cleaned up even when one of them fails to start. */
async function serverAndSession(): Promise<[ReferenceServer, ExtensionSession]> {
  const [server, browser] = await Promise.allSettled([realServer(), session()]);
  if (server.status === 'rejected') throw server.reason;
  if (browser.status === 'rejected') throw browser.reason;
  return [server.value, browser.value];
}

async function receiver(options: Parameters<typeof startReceiver>[0] = {}): Promise<Receiver> {
  const started = await startReceiver(options);
  cleanups.push(() => started.close());
  return started;
}

/** Every linked connection: the owner reads back exactly the extension's visible records (keys and data). */
async function expectOwnerReadsVisible(s: ExtensionSession, server: ReferenceServer) {
  for (const connection of await listConnections(s)) {
    const link = await linkOf(s, connection.id);
    const shown = await extensionVisible(s, connection.id);
    expect(shown.length).toBeGreaterThan(0);
    expect(await ownerVisible(server, link), `${connection.displayName} on the server`).toEqual(shown);
  }
}

describe('export to the real PDPP reference server', () => {
  it('capture + import, one-click link for two accounts: the owner reads back exactly the visible records and every receipt', async () => {
    const [server, s] = await serverAndSession();
    // The server registered its own first-party Amazon manifest at boot; Gleaner's key is its own.
    expect((await server.manifest('amazon'))?.connector_key).toBe('amazon');
    const dashboard = await DashboardPage.open(s);
    await dashboard.importFile(zip(), { newAccountName: 'Dana' });
    await browseAmazon(s, 'orders-2024-dana.html');
    await browseAmazon(s, 'orders-2023-dana.html');
    await browseAmazon(s, 'orders-2024-sam.html');
    const connections = await listConnections(s);
    expect(connections).toHaveLength(2);

    const panel = await ServerPanelPage.open(s);
    for (const connection of connections) {
      await panel.selectConnection(connection.displayName);
      expect(await panel.link(server.asUrl)).toMatch(/everything is on your server/);
      expect((await panel.status()).status).toBe('active');
    }
    await panel.page.screenshot({ path: screenshot('dashboard-server-linked'), fullPage: true });
    // The first-party manifest is untouched; Gleaner's declares its receipts stream too.
    expect(((await server.manifest('amazon'))?.streams as { name: string }[]).map((stream) => stream.name)).toEqual(['orders', 'order_items']);
    expect(((await server.manifest('gleaner-amazon'))?.streams as { name: string }[]).map((stream) => stream.name)).toEqual(['orders', 'order_items', 'acquisition_batches']);

    await expectOwnerReadsVisible(s, server);
    // Two accounts → two source instances and two server connections, named by account.
    const onServer = (await server.connections()).filter((connection) => connection.connector_id === 'gleaner-amazon');
    expect(onServer.map((connection) => connection.source_binding.local_binding_name).sort()).toEqual([expectations.accounts.dana.key, expectations.accounts.sam.key]);
    expect(new Set(onServer.map((connection) => connection.source_binding.source_instance_id)).size).toBe(2);

    // Receipts: one per batch with method, window and provenance, read back by the owner.
    const dana = connections.find((connection) => connection.accountKey === expectations.accounts.dana.key)!;
    const danaLink = await linkOf(s, dana.id);
    const receipts = await server.ownerRecords('acquisition_batches', danaLink.connectorId, danaLink.connectorInstanceId);
    const local = await s.call<{ id: string; method: string }[]>('batches.list', { connectionId: dana.id });
    expect(receipts.map((record) => record.id).sort()).toEqual(local.map((batch) => batch.id).sort());
    expect(receipts.map((record) => record.data.method).sort()).toEqual(['browser_polyfill', 'browser_polyfill', 'owner_artifact']);
    expect(receipts.find((record) => record.data.method === 'owner_artifact')!.data).toMatchObject({ provenance: { kind: 'artifact', fileName: AMAZON_EXPORT_ZIP_NAME }, coverage: [expect.objectContaining({ stream: 'orders', completeness: 'partial' }), expect.anything()] });
    expect(receipts.find((record) => record.data.method === 'browser_polyfill')!.data).toMatchObject({ provenance: { kind: 'page', pageUrl: expect.stringMatching(/^https:\/\/www\.amazon\.com\//) } });

    // Every accepted batch keeps the server's request id (from the `request-id` header).
    const sent = await s.call<BatchView[]>('export.batches', { connectionId: dana.id, limit: 100 });
    expect(sent.length).toBeGreaterThan(0);
    for (const batch of sent) expect(batch).toMatchObject({ status: 'accepted', lastRequestId: expect.stringMatching(/^req_/) });
    // The token never leaves extension storage: not in any reply the pages can read.
    expect(JSON.stringify(await s.call('export.status'))).not.toMatch(/ldt_/);
    expect(JSON.stringify(sent)).not.toMatch(/ldt_/);
    // Heartbeats reported nothing pending; the scope is everything Gleaner holds, not the server's default 30 days.
    const sources = (await server.sourceInstances()).filter((source) => onServer.some((connection) => connection.connector_instance_id === source.connector_instance_id));
    expect(sources.map((source) => [source.records_pending, source.last_heartbeat_status])).toEqual([
      [0, 'healthy'],
      [0, 'healthy'],
    ]);
  });

  it('linked with a code the owner minted on the server', async () => {
    const [server, s] = await serverAndSession();
    await browseAmazon(s, 'orders-2024-sam.html');
    const [sam] = await listConnections(s);
    // Gleaner's manifest must be on the server before the owner can mint a code for it (the dashboard offers it; here the owner posts it).
    const [manifest] = await s.call<unknown[]>('export.manifests');
    expect((await server.register(manifest)).status).toBe(201);
    const code = await server.mintCode('gleaner-amazon', sam!.accountKey!);

    const panel = await ServerPanelPage.open(s);
    await panel.selectConnection(sam!.displayName);
    expect(await panel.link(server.asUrl, code)).toMatch(/everything is on your server/);
    expect((await panel.status()).status).toBe('active');
    await expectOwnerReadsVisible(s, server);
    // The same code again is refused in owner words.
    await panel.page.getByTestId('unlink-server').click();
    await panel.page.getByTestId('link-server').waitFor();
    expect(await panel.link(server.asUrl, code)).toMatch(/unknown or was already used/);
  });

  it('the server is killed (SIGKILL) mid-export and restarted: the export completes, nothing lost, nothing twice', async () => {
    const [server, s] = await serverAndSession();
    const dashboard = await DashboardPage.open(s);
    await dashboard.importFile(zip(), { newAccountName: 'Dana' });
    await browseAmazon(s, 'orders-2024-dana.html');
    const [dana] = await listConnections(s);
    await s.call('export.settings.set', { batchRecords: 2 });
    await s.call('export.link', { connectionId: dana!.id, serverOrigin: server.asUrl });
    const link = await linkOf(s, dana!.id);

    const running = s.call<{ status: string }[]>('export.now', { connectionId: dana!.id });
    // Kill the server once a few batches are in.
    const acceptedOnServer = async () => (await server.sourceInstances().catch(() => [])).find((source) => source.connector_instance_id === link.connectorInstanceId)?.accepted_record_count ?? 0;
    let before = 0;
    for (let tries = 0; tries < 600 && before < 6; tries++) {
      before = await acceptedOnServer();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await server.kill();
    await server.start(); // same data and ports, as a supervisor would restart it
    const [first] = await running;
    // Either the same run finished after the restart (its retries reached the new process), or it left the rest to the next one.
    if (first!.status !== 'active') expect((await s.call<{ status: string }[]>('export.now', { connectionId: dana!.id }))[0]!.status).toBe('active');

    await expectOwnerReadsVisible(s, server);
    const sent = await s.call<BatchView[]>('export.batches', { connectionId: dana!.id, limit: 1000 });
    expect(sent.length).toBeGreaterThan(before / 2 + 2); // it really was killed mid-export
    // No batch id with two contents: the server would have answered 409 and the batch would be a conflict.
    expect(sent.map((batch) => batch.status)).toEqual(sent.map(() => 'accepted'));
    const receipts = await server.ownerRecords('acquisition_batches', link.connectorId, link.connectorInstanceId);
    expect(receipts).toHaveLength(2);
  });

  it('the owner revokes the device: the heartbeat alone pauses the link with the re-link sentence; linking again resumes', async () => {
    const [server, s] = await serverAndSession();
    await browseAmazon(s, 'orders-2024-dana.html');
    const [dana] = await listConnections(s);
    const panel = await ServerPanelPage.open(s);
    await panel.selectConnection(dana!.displayName);
    await panel.link(server.asUrl);
    const link = await linkOf(s, dana!.id);
    await server.revokeDevice(link.deviceId);
    // Nothing is waiting: only the heartbeat goes out, and its 401 counts.
    await panel.exportNow();
    const paused = await panel.status();
    expect(paused.status).toBe('paused_auth');
    expect(paused.message).toMatch(/no longer accepts this browser’s link.*Link again.*kept/);
    await browseAmazon(s, 'orders-2023-dana.html');
    await panel.page.reload();
    await panel.selectConnection(dana!.displayName);
    expect((await panel.status()).progress).toMatch(/[1-9]\d* waiting/);
    await panel.page.screenshot({ path: screenshot('dashboard-server-revoked'), fullPage: true });
    // Linking again (one click) sends what waited, to the same server connection.
    await panel.link(server.asUrl);
    expect((await panel.status()).status).toBe('active');
    expect((await linkOf(s, dana!.id)).connectorInstanceId).toBe(link.connectorInstanceId);
    await expectOwnerReadsVisible(s, server);
  });

  it('after a server restart, linking the same account again works without a new name from the owner, and sends the whole history', async () => {
    const [server, s] = await serverAndSession();
    await browseAmazon(s, 'orders-2024-dana.html');
    await browseAmazon(s, 'orders-2023-dana.html');
    const [dana] = await listConnections(s);
    const panel = await ServerPanelPage.open(s);
    await panel.selectConnection(dana!.displayName);
    await panel.link(server.asUrl);
    const before: ShownLink = await linkOf(s, dana!.id);
    await server.stop();
    await server.start();
    // The owner stops sending, then links again: the server cannot enroll the same name after its restart (upstream defect).
    await panel.page.getByTestId('unlink-server').click();
    await panel.page.getByTestId('link-server').waitFor();
    const notice = await panel.link(server.asUrl);
    expect(notice).toMatch(/new connection for this account.*all of its history.*everything is on your server/);
    const after = await linkOf(s, dana!.id);
    expect(after.status).toBe('active');
    expect(after.localBindingName.startsWith(expectations.accounts.dana.key)).toBe(true);
    if (after.connectorInstanceId !== before.connectorInstanceId) expect(after.localBindingName).not.toBe(before.localBindingName);
    await expectOwnerReadsVisible(s, server);
  });

  it('a batch the server set aside is shown to the owner and sent again once the cause is fixed', async () => {
    const [server, s] = await serverAndSession();
    await browseAmazon(s, 'orders-2024-dana.html');
    const [dana] = await listConnections(s);
    const panel = await ServerPanelPage.open(s);
    await panel.selectConnection(dana!.displayName);
    await panel.link(server.asUrl);
    // Someone replaces Gleaner's manifest on the server with one that lacks the receipts stream.
    const manifest = (await server.manifest('gleaner-amazon')) as { streams: { name: string }[] };
    expect((await server.register({ ...manifest, streams: manifest.streams.filter((stream) => stream.name !== 'acquisition_batches') })).status).toBeLessThan(300);
    await browseAmazon(s, 'orders-2023-dana.html');
    await panel.page.reload();
    await panel.selectConnection(dana!.displayName);
    await panel.exportNow();
    const problems = panel.page.getByTestId('export-problems');
    await expect.poll(() => problems.textContent()).toMatch(/refused one group.*does not expect this kind of record/);
    // The server's own sentence and request id stay under Technical details.
    expect(await panel.page.getByTestId('export-problem-details').textContent()).toMatch(/not declared by the connector manifest.*request req_/);
    await panel.page.screenshot({ path: screenshot('dashboard-server-set-aside'), fullPage: true });
    expect((await s.call<BatchView[]>('export.batches', { connectionId: dana!.id })).filter((batch) => batch.status === 'set_aside')).toHaveLength(1);
    // "Send again": Gleaner registers its manifest again and resends the batch, rebuilt from current states.
    await panel.sendAgain();
    expect(await panel.page.getByTestId('export-problems').count()).toBe(0);
    expect((await s.call<BatchView[]>('export.batches', { connectionId: dana!.id })).every((batch) => batch.status === 'accepted')).toBe(true);
    await expectOwnerReadsVisible(s, server);
  });

  it('an authorised tombstone arrives as a delete; an export-only order missing from a complete page never does', async () => {
    const [server, s] = await serverAndSession();
    const dashboard = await DashboardPage.open(s);
    await dashboard.importFile(zip(), { newAccountName: 'Dana' });
    await browseAmazon(s, 'orders-2024-dana-page1.html'); // 2 newest 2024 orders, partial
    const [dana] = await listConnections(s);
    await s.call('export.link', { connectionId: dana!.id, serverOrigin: server.asUrl });
    await s.call('export.now', { connectionId: dana!.id });
    const link = await linkOf(s, dana!.id);
    const gone = '114-3358190-0917625';
    expect((await ownerVisible(server, link)).some((record) => record.id === gone)).toBe(true);

    // The complete 2023 page lacks the archived export-only order: no tombstone, no delete.
    await browseAmazon(s, 'orders-2023-dana.html');
    // A complete 2024 page, newer than page 1, without one of page 1's orders: reconciliation tombstones it.
    const full = readAmazonFixture('orders-2024-dana.html');
    const cards = full.split('<div class="order-card__list">');
    const without = [cards[0], ...cards.slice(1).filter((card) => !card.includes(gone))].join('<div class="order-card__list">').replace('<span class="num-orders">4 orders</span>', '<span class="num-orders">3 orders</span>');
    const url = expectations.pages['orders-2024-dana.html'].url;
    s.servePage(url, without);
    await s.visit(url);
    await s.call('export.now', { connectionId: dana!.id });

    const batches = await s.call<BatchView[]>('export.batches', { connectionId: dana!.id, limit: 100 });
    expect(batches.reduce((sum, batch) => sum + batch.deletes, 0)).toBe(2); // the order and its one item
    const held = await ownerVisible(server, link);
    expect(held.some((record) => record.id === gone)).toBe(false);
    for (const id of expectations.overlap.archivedExportOnly) expect(held.some((record) => record.stream === 'orders' && record.id === id)).toBe(true);
    await expectOwnerReadsVisible(s, server);
  });

  it('survives a browser restart mid-outbox (503 with Retry-After from the test receiver): the kept batch is resent with the same id and content', async () => {
    const server = await receiver();
    const extensionDir = grantedExtensionCopy();
    const userDataDir = mkdtempSync(path.join(tmpdir(), 'gleaner-e2e-profile-'));
    cleanups.push(() => rmSync(userDataDir, { recursive: true, force: true }));
    cleanups.push(() => rmSync(extensionDir, { recursive: true, force: true }));
    const first = await launchWithServerAccess({ userDataDir, extensionDir });
    await browseAmazon(first, 'orders-2024-dana.html');
    const [dana] = await listConnections(first);
    await first.call('export.link', { connectionId: dana!.id, serverOrigin: server.origin });
    server.inject503(100, 1); // the server is down: batches are built and kept
    const down = await first.call<{ status: string }[]>('export.now', { connectionId: dana!.id });
    expect(down[0]!.status).toBe('retrying');
    const kept = await first.call<BatchView[]>('export.batches', { connectionId: dana!.id });
    expect(kept.map((batch) => batch.status)).toEqual(['pending']);
    await first.close({ keepProfile: true });

    server.inject503(0);
    const second = await launchWithServerAccess({ userDataDir, extensionDir });
    cleanups.push(() => second.close({ keepProfile: true }));
    expect((await second.call<{ status: string }[]>('export.now', { connectionId: dana!.id }))[0]!.status).toBe('active');
    const after = await second.call<BatchView[]>('export.batches', { connectionId: dana!.id });
    expect(after.map((batch) => [batch.id, batch.bodyHash, batch.status])).toEqual([[kept[0]!.id, kept[0]!.bodyHash, 'accepted']]);
    const link = await linkOf(second, dana!.id);
    const held = [...(server.state.records.get(link.connectorInstanceId)?.values() ?? [])].filter((record) => record.stream !== 'acquisition_batches');
    expect(held.map((record) => ({ stream: record.stream, id: record.record_id, data: record.data })).sort((a, b) => `${a.stream}${a.id}`.localeCompare(`${b.stream}${b.id}`))).toEqual(await extensionVisible(second, dana!.id));
  });
});
