/**
 * Export to a personal server, end to end: the built extension in headless
 * Chromium, Amazon pages served from fixtures, the local PDPP test receiver on
 * 127.0.0.1. What the server holds must equal what the extension shows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AMAZON_EXPORT_ZIP_NAME, expectations, makeAmazonExportZip, readAmazonFixture } from '../fixtures/amazon';
import { startReceiver, type Receiver } from '../receiver/server';
import { DashboardPage } from './pages/dashboard-page';
import { browseAmazon } from './pages/amazon-site';
import { grantedExtensionCopy, launchWithServerAccess } from './pages/server-browser';
import { ServerPanelPage } from './pages/server-panel';
import { extensionVisible, serverBatches, serverConnections, serverRecords, serverVisible, spawnReceiver } from './pages/server-receiver';
import type { ExtensionSession } from './support/extension';
import { listConnections } from './support/api';

interface LinkView {
  connectorInstanceId: string;
  sourceInstanceId: string;
  deviceId: string;
  localBindingName: string;
}
interface StatusView {
  connectionId: string;
  displayName: string;
  link?: LinkView & { status: string; message?: string };
  pendingRecords: number;
  problems: unknown[];
}
interface BatchView {
  id: string;
  status: string;
  bodyHash: string;
  recordCount: number;
  deletes: number;
}

const zip = () => ({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function session(options: Parameters<typeof launchWithServerAccess>[0] = {}): Promise<ExtensionSession> {
  const launched = await launchWithServerAccess(options);
  cleanups.push(() => launched.close());
  return launched;
}

async function receiver(options: Parameters<typeof startReceiver>[0] = {}): Promise<Receiver> {
  const started = await startReceiver(options);
  cleanups.push(() => started.close());
  return started;
}

const status = async (s: ExtensionSession, connectionId: string) => (await s.call<StatusView[]>('export.status')).find((entry) => entry.connectionId === connectionId)!;

async function expectServerEqualsExtension(s: ExtensionSession, origin: string) {
  for (const connection of await listConnections(s)) {
    const link = (await status(s, connection.id)).link!;
    expect(link, `${connection.displayName} is linked`).toBeDefined();
    const shown = await extensionVisible(s, connection.id);
    expect(shown.length).toBeGreaterThan(0);
    expect(await serverVisible(origin, link.connectorInstanceId)).toEqual(shown);
  }
}

describe('export to a personal server', () => {
  it('capture + import, linked in one click: the server holds exactly the visible records, one source instance per account', async () => {
    const server = await receiver();
    const s = await session();
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
      expect(await panel.link(server.origin)).toMatch(/everything is on your server/);
      expect((await panel.status()).status).toBe('active');
    }
    await panel.page.screenshot({ path: path.resolve(import.meta.dirname, '../../test-results/screenshots/dashboard-server-linked.png'), fullPage: true });

    await expectServerEqualsExtension(s, server.origin);
    // Two accounts → two source instances and two connections on the server, named by account.
    const onServer = await serverConnections(server.origin);
    expect(onServer.map((connection) => connection.local_binding_name).sort()).toEqual([expectations.accounts.dana.key, expectations.accounts.sam.key]);
    expect(new Set(onServer.map((connection) => connection.source_instance_id)).size).toBe(2);
    // Receipts carry provenance: one per batch, with method and coverage claims.
    const dana = connections.find((connection) => connection.accountKey === expectations.accounts.dana.key)!;
    const danaLink = (await status(s, dana.id)).link!;
    const receipts = (await serverRecords(server.origin)).filter((record) => record.connector_instance_id === danaLink.connectorInstanceId && record.stream === 'acquisition_batches');
    expect(receipts.map((record) => record.data.method).sort()).toEqual(['browser_polyfill', 'browser_polyfill', 'owner_artifact']);
    expect(receipts.find((record) => record.data.method === 'owner_artifact')!.data).toMatchObject({ provenance: { kind: 'artifact', fileName: AMAZON_EXPORT_ZIP_NAME }, coverage: [expect.objectContaining({ stream: 'orders', completeness: 'partial' }), expect.anything()] });
    // The token never leaves extension storage: not in any reply the pages can read.
    expect(JSON.stringify(await s.call('export.status'))).not.toMatch(/ldt_/);
    expect(JSON.stringify(await s.call('export.batches', { connectionId: dana.id }))).not.toMatch(/ldt_/);
    // A heartbeat reported nothing pending.
    const devices = (await (await fetch(`${server.origin}/_ref/device-exporters`)).json()) as { data: { source_instances: { heartbeat: { records_pending: number } | null }[] }[] };
    expect(devices.data.flatMap((device) => device.source_instances.map((source) => source.heartbeat?.records_pending))).toEqual([0, 0]);
  });

  it('the receiver is killed mid-export and restarted: export completes, no batch id with two contents, nothing missing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gleaner-recv-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dataFile = path.join(dir, 'receiver.json');
    const port = 20000 + Math.floor(Math.random() * 20000);
    let server = await spawnReceiver({ port, dataFile });
    cleanups.push(() => server.kill());
    const s = await session();
    const dashboard = await DashboardPage.open(s);
    await dashboard.importFile(zip(), { newAccountName: 'Dana' });
    await browseAmazon(s, 'orders-2024-dana.html');
    const [dana] = await listConnections(s);
    await s.call('export.settings.set', { batchRecords: 2 });
    await s.call('export.link', { connectionId: dana!.id, serverOrigin: server.origin });

    const running = s.call<{ status: string }[]>('export.now', { connectionId: dana!.id });
    // Kill the server once a few batches are in.
    let before = 0;
    for (let tries = 0; tries < 400 && before < 3; tries++) {
      before = (await serverBatches(server.origin).catch(() => [])).length;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await server.kill();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    server = await spawnReceiver({ port, dataFile });
    const [first] = await running;
    // Either the same run finished after the restart, or it left the rest to the next one.
    if (first!.status !== 'active') expect((await s.call<{ status: string }[]>('export.now', { connectionId: dana!.id }))[0]!.status).toBe('active');

    await expectServerEqualsExtension(s, server.origin);
    const sent = await s.call<BatchView[]>('export.batches', { connectionId: dana!.id, limit: 1000 });
    expect(sent.length).toBeGreaterThan(before + 2); // it really was killed mid-export
    expect(sent.every((batch) => batch.status === 'accepted')).toBe(true);
    const accepted = await serverBatches(server.origin);
    // Every batch id once on the server, with exactly the content the extension built for it.
    expect(new Set(accepted.map((batch) => batch.batch_id)).size).toBe(accepted.length);
    expect(accepted.map((batch) => [batch.batch_id, batch.body_hash]).sort()).toEqual(sent.map((batch) => [batch.id, batch.bodyHash]).sort());
  });

  it('a revoked token pauses export with a clear message; nothing is lost and linking again resumes', async () => {
    const server = await receiver();
    const s = await session();
    await browseAmazon(s, 'orders-2024-dana.html');
    const [dana] = await listConnections(s);
    const panel = await ServerPanelPage.open(s);
    await panel.selectConnection(dana!.displayName);
    await panel.link(server.origin);
    server.revokeAll();
    await browseAmazon(s, 'orders-2023-dana.html');
    await panel.page.reload();
    await panel.selectConnection(dana!.displayName);
    await panel.exportNow();
    const paused = await panel.status();
    expect(paused.status).toBe('paused_auth');
    expect(paused.message).toMatch(/no longer accepts this browser’s link.*Link again.*kept/);
    expect(paused.progress).toMatch(/[1-9]\d* waiting/);
    await panel.page.screenshot({ path: path.resolve(import.meta.dirname, '../../test-results/screenshots/dashboard-server-revoked.png'), fullPage: true });
    // Linking again (one click) sends what waited.
    await panel.link(server.origin);
    expect((await panel.status()).status).toBe('active');
    await expectServerEqualsExtension(s, server.origin);
  });

  it('an authorised tombstone arrives as a delete; an export-only order missing from a complete page never does', async () => {
    const server = await receiver();
    const s = await session();
    const dashboard = await DashboardPage.open(s);
    await dashboard.importFile(zip(), { newAccountName: 'Dana' });
    await browseAmazon(s, 'orders-2024-dana-page1.html'); // 2 newest 2024 orders, partial
    const [dana] = await listConnections(s);
    await s.call('export.link', { connectionId: dana!.id, serverOrigin: server.origin });
    await s.call('export.now', { connectionId: dana!.id });
    const link = (await status(s, dana!.id)).link!;
    const gone = '114-3358190-0917625';
    expect((await serverVisible(server.origin, link.connectorInstanceId)).some((record) => record.id === gone)).toBe(true);

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
    const deletes = batches.reduce((sum, batch) => sum + batch.deletes, 0);
    expect(deletes).toBe(2); // the order and its one item
    const held = await serverVisible(server.origin, link.connectorInstanceId);
    expect(held.some((record) => record.id === gone)).toBe(false);
    for (const id of expectations.overlap.archivedExportOnly) expect(held.some((record) => record.stream === 'orders' && record.id === id)).toBe(true);
    await expectServerEqualsExtension(s, server.origin);
  });

  it('survives a browser restart mid-outbox: the kept batch is resent with the same id and content', async () => {
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
    await expectServerEqualsExtension(second, server.origin);
  });
});
