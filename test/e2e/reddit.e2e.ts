/**
 * Reddit end to end: the built extension in headless Chromium, listing pages
 * served at old.reddit.com and www.reddit.com from fixtures, the export zip
 * uploaded through the dashboard, and the records read back from the real PDPP
 * reference server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REDDIT_EXPORT_ZIP_NAME, REDDIT_STREAMS, danaVisibleByStream, expectations, makeRedditExportZip } from '../fixtures/reddit';
import { startReferenceServer, type ReferenceServer } from '../support/pdpp-reference';
import { DashboardPage, type UploadFile } from './pages/dashboard-page';
import { DANA_LISTINGS, browseReddit, browseRedditExpectingNothing } from './pages/reddit-site';
import { launchWithServerAccess } from './pages/server-browser';
import { extensionVisible, linkOf, ownerVisible } from './pages/server-readback';
import { launchExtension, type ExtensionSession } from './support/extension';
import { listBatches, listConnections, listRecords, onlyConnection } from './support/api';

const zipUpload = (): UploadFile => ({ name: REDDIT_EXPORT_ZIP_NAME, buffer: Buffer.from(makeRedditExportZip()), mimeType: 'application/zip' });
const { dana, sam } = expectations.accounts;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
async function browser(): Promise<ExtensionSession> {
  const session = await launchExtension();
  cleanups.push(() => session.close());
  return session;
}

/** Every visible record of a connection, per stream: key, event time and data. */
async function visibleSet(session: ExtensionSession, connectionId: string) {
  const out: Record<string, { key: string; eventTime: string; data: Record<string, unknown> }[]> = {};
  for (const stream of REDDIT_STREAMS) {
    out[stream] = (await listRecords(session, connectionId, stream)).map((r) => ({ key: r.key, eventTime: r.eventTime, data: r.data })).sort((a, b) => a.key.localeCompare(b.key));
  }
  return out;
}

const keysOf = (set: Awaited<ReturnType<typeof visibleSet>>) => Object.fromEntries(Object.entries(set).map(([stream, records]) => [stream, records.map((r) => r.key)]));

describe('Reddit: listings captured from pages, the export imported, one account', () => {
  it('export then pages, and pages then export: the same visible records, export-only saved and voted items filled by pages', async () => {
    // Order 1: the export first (its account from statistics.csv), then the four listings.
    const first = await browser();
    const dashboard = await DashboardPage.open(first);
    await dashboard.chooseFile(zipUpload());
    expect((await dashboard.waitForPreviewOrError()).preview).toBe(true);
    expect(await dashboard.previewText()).toContain('The file names the account u/Dana_Writes');
    const receipt = await dashboard.importFile(zipUpload(), { keepSuggested: true });
    expect(receipt.outcome).toBe('merged');
    const imported = await onlyConnection(first);
    expect(imported.accountKey).toBe(dana.key);
    // Until a page shows them, export-only saved and voted items have no date and no title (never the import time).
    for (const { stream, id } of expectations.overlap.filled) {
      const record = (await listRecords(first, imported.id, stream)).find((r) => r.key === id)!;
      expect(record.eventTime).toBe('');
      expect(record.data.title).toBeUndefined();
    }
    for (const fixture of DANA_LISTINGS) await browseReddit(first, fixture);
    // `dana_writes` in the URLs and config, `Dana_Writes` in the export (and in the upvoted page's URL): one connection.
    expect((await listConnections(first)).map((c) => c.id)).toEqual([imported.id]);
    const exportFirst = await visibleSet(first, imported.id);
    expect(keysOf(exportFirst)).toEqual(danaVisibleByStream());

    for (const { stream, id, title, created_utc } of expectations.overlap.filled) {
      const record = exportFirst[stream]!.find((r) => r.key === id)!;
      expect(record.data).toMatchObject({ title, created_utc });
      expect(record.eventTime).toBe(created_utc);
    }
    for (const { stream, id } of expectations.overlap.neverFilled) expect(exportFirst[stream]!.find((r) => r.key === id)!.eventTime).toBe('');
    expect(Object.values(exportFirst).flat().some((r) => r.key === expectations.export.noneVote)).toBe(false);
    // One record per item seen both ways, naming both methods.
    for (const [stream, ids] of Object.entries(expectations.overlap.both)) {
      for (const id of ids) {
        const record = (await listRecords(first, imported.id, stream)).find((r) => r.key === id)!;
        expect([...record.methods].sort(), `${stream} ${id}`).toEqual(['browser_polyfill', 'owner_artifact']);
      }
    }
    // Each page's receipt names its listing and the range it showed, as a partial window.
    const saved = (await listBatches(first, imported.id)).find((b) => b.pageUrl === expectations.pages['old-saved-dana.html'].url)!;
    expect(saved.coverage).toEqual([expect.objectContaining({ stream: 'saved', start: '2024-01-20T11:11:11.000Z', end: '2024-04-08T18:30:00.000Z', completeness: 'partial', evidence: expect.stringContaining('saved items') })]);
    await dashboard.refresh();
    await dashboard.selectConnection(imported.displayName);
    await dashboard.screenshot('dashboard-reddit-export-then-pages');
    await first.close();
    cleanups.length = 0;

    // Order 2: the same four listings first, then the export (suggested by its account name).
    const second = await browser();
    for (const fixture of DANA_LISTINGS) await browseReddit(second, fixture);
    const captured = await onlyConnection(second);
    expect(captured.accountKey).toBe(dana.key);
    const dashboard2 = await DashboardPage.open(second);
    expect((await dashboard2.importFile(zipUpload(), { keepSuggested: true })).outcome).toBe('merged');
    expect((await listConnections(second)).map((c) => c.id)).toEqual([captured.id]);
    expect(await visibleSet(second, captured.id)).toEqual(exportFirst);
  }, 240_000); // two browsers, one after the other

  it('another user’s page browsed while signed in stores nothing; a second account is a second connection; www pages join the same account', async () => {
    const session = await browser();
    await browseReddit(session, 'old-submitted-dana.html');
    const danaConnection = await onlyConnection(session);
    const before = await listBatches(session, danaConnection.id);
    const danaRecords = await listRecords(session, danaConnection.id, 'submitted', true);

    await browseRedditExpectingNothing(session, 'old-submitted-fern.html');
    expect((await listConnections(session)).map((c) => c.id)).toEqual([danaConnection.id]);
    expect(await listBatches(session, danaConnection.id)).toEqual(before);
    for (const stream of REDDIT_STREAMS) expect((await listRecords(session, danaConnection.id, stream, true)).some((r) => r.key === 't3_1c3fe7n')).toBe(false);

    // The www layout of Dana's own listing joins her connection.
    await browseReddit(session, 'www-comments-dana.html');
    expect((await listConnections(session)).map((c) => c.id)).toEqual([danaConnection.id]);
    expect((await listRecords(session, danaConnection.id, 'comments')).map((r) => r.key).sort()).toEqual([...expectations.pages['www-comments-dana.html'].ids].sort());

    // Sam, signed in as himself in the same browser.
    await browseReddit(session, 'old-submitted-sam.html');
    const connections = await listConnections(session);
    expect(connections.map((c) => c.accountKey).sort()).toEqual([dana.key, sam.key]);
    const samConnection = connections.find((c) => c.accountKey === sam.key)!;
    expect((await listRecords(session, samConnection.id, 'submitted')).map((r) => r.key).sort()).toEqual([...expectations.pages['old-submitted-sam.html'].ids].sort());
    expect(await listRecords(session, danaConnection.id, 'submitted', true)).toEqual(danaRecords);
  });
});

describe('Reddit to the real PDPP reference server', () => {
  it('every stream of both accounts reads back equal to what the extension shows', async () => {
    const [serverResult, browserResult] = await Promise.allSettled([startReferenceServer(), launchWithServerAccess()]);
    if (serverResult.status === 'fulfilled') cleanups.push(() => serverResult.value.close());
    if (browserResult.status === 'fulfilled') cleanups.push(() => browserResult.value.close());
    if (serverResult.status === 'rejected') throw serverResult.reason;
    if (browserResult.status === 'rejected') throw browserResult.reason;
    const server: ReferenceServer = serverResult.value;
    const session = browserResult.value;
    // The server's own first-party Reddit manifest stays; Gleaner's is its own key.
    expect((await server.manifest('reddit'))?.connector_key).toBe('reddit');

    const dashboard = await DashboardPage.open(session);
    await dashboard.importFile(zipUpload(), { keepSuggested: true });
    for (const fixture of DANA_LISTINGS) await browseReddit(session, fixture);
    await browseReddit(session, 'old-submitted-sam.html');
    const connections = await listConnections(session);
    expect(connections).toHaveLength(2);

    for (const connection of connections) await session.call('export.link', { connectionId: connection.id, serverOrigin: server.asUrl });
    const results = await session.call<{ connectionId: string; status: string }[]>('export.now', {});
    expect(results.map((r) => r.status)).toEqual(['active', 'active']);
    expect(((await server.manifest('gleaner-reddit'))?.streams as { name: string }[]).map((s) => s.name)).toEqual([...REDDIT_STREAMS, 'acquisition_batches']);
    for (const connection of connections) {
      const link = await linkOf(session, connection.id);
      const shown = await extensionVisible(session, connection.id, REDDIT_STREAMS);
      expect(shown.length).toBeGreaterThan(0);
      expect(await ownerVisible(server, link, REDDIT_STREAMS), connection.displayName).toEqual(shown);
    }
    // Every one of Dana's six streams made it, including the undated export-only items.
    const danaConnection = connections.find((c) => c.accountKey === dana.key)!;
    const held = await ownerVisible(server, await linkOf(session, danaConnection.id), REDDIT_STREAMS);
    const expected = danaVisibleByStream();
    for (const stream of REDDIT_STREAMS) expect(held.filter((r) => r.stream === stream).map((r) => r.id).sort(), stream).toEqual(expected[stream]);
    const undated = held.find((r) => r.id === 't3_14xj9tt')!;
    expect(undated.data.created_utc ?? null).toBeNull();
  }, 180_000);
});

