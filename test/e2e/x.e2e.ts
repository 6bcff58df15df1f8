/**
 * X end to end: the built extension in headless Chromium, profile pages served
 * at x.com from fixtures (signed in by the `twid` cookie), the archive zip
 * imported through the dashboard, and every stream read back from the REAL
 * PDPP reference server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accounts, archiveFiles, expectations, makeXArchiveZip, X_ARCHIVE_ZIP_NAME, YOUR_ARCHIVE_HTML } from '../fixtures/x';
import { startReferenceServer, type ReferenceServer } from '../support/pdpp-reference';
import { DashboardPage, type UploadFile } from './pages/dashboard-page';
import { launchWithServerAccess } from './pages/server-browser';
import { ServerPanelPage } from './pages/server-panel';
import { extensionVisible, linkOf, ownerVisible } from './pages/server-readback';
import { browseX, browseXExpectingNothing } from './pages/x-site';
import { launchExtension, type ExtensionSession } from './support/extension';
import { listConnections, listRecords } from './support/api';
import type { ConnectionSummary } from '../../src/background/handlers';

const danaZip = (): UploadFile => ({ name: X_ARCHIVE_ZIP_NAME, buffer: Buffer.from(makeXArchiveZip('dana')), mimeType: 'application/zip' });
const samZip = (): UploadFile => ({ name: 'twitter-2024-06-09-1c2d3e.zip', buffer: Buffer.from(makeXArchiveZip('sam')), mimeType: 'application/zip' });
const sorted = (list: readonly string[]) => [...list].sort();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
async function browser(): Promise<ExtensionSession> {
  const session = await launchExtension();
  cleanups.push(() => session.close());
  return session;
}

async function connectionOf(session: ExtensionSession, key: string): Promise<ConnectionSummary> {
  const connection = (await listConnections(session)).find((candidate) => candidate.accountKey === key);
  if (!connection) throw new Error(`no connection for ${key}`);
  return connection;
}

async function visiblePosts(session: ExtensionSession, connectionId: string) {
  return (await listRecords(session, connectionId, 'tweets')).map((record) => ({ key: record.key, data: record.data, methods: sorted(record.methods) })).sort((a, b) => a.key.localeCompare(b.key));
}

/** The archive's preview names its account; importing it keeps the suggested (matching) connection or makes Dana's. */
async function importDanaArchive(session: ExtensionSession): Promise<void> {
  const dashboard = await DashboardPage.open(session);
  await dashboard.chooseFile(danaZip());
  expect((await dashboard.waitForPreviewOrError()).preview).toBe(true);
  expect(await dashboard.page.getByTestId('preview-account').textContent()).toContain('@danawhit');
  const receipt = await dashboard.importFile(danaZip(), { keepSuggested: true });
  expect(receipt.outcome).toBe('merged');
}

describe('X posts, page capture and archive under one connection', () => {
  it('page first, then the archive — and archive first, then the page: the same visible posts, the long post whole', async () => {
    const results = [];
    for (const order of ['page-first', 'archive-first'] as const) {
      const session = await browser();
      if (order === 'page-first') {
        await browseX(session, 'dana-profile');
        await importDanaArchive(session);
      } else {
        await importDanaArchive(session);
        await browseX(session, 'dana-profile');
      }
      expect(await listConnections(session)).toHaveLength(1);
      const dana = await connectionOf(session, accounts.dana.key);
      const posts = await visiblePosts(session, dana.id);
      expect(posts.map((post) => post.key)).toEqual(expectations.visible);
      // The long post: the page cut it at "Show more"; the archive's note gave its whole text, whichever came last.
      const long = posts.find((post) => post.key === expectations.longPost.id)!;
      expect(long.data.text).toBe(expectations.longPost.text);
      expect(long.methods).toEqual(['browser_polyfill', 'owner_artifact']);
      // An edited post is both its ids, tied as one history; a deleted post is kept and marked.
      expect(posts.find((post) => post.key === expectations.edit.latest)!.data).toMatchObject({ edit_of: expectations.edit.first, edit_ids: [expectations.edit.first, expectations.edit.latest] });
      expect(posts.find((post) => post.key === expectations.deleted.id)!.data).toMatchObject({ deleted_by_owner: true });
      // The repost of Priya's post is nowhere.
      expect(posts.map((post) => post.key)).not.toContain(expectations.accounts.priya.id);
      results.push(posts.map(({ key, data }) => ({ key, text: data.text })));
      await session.close();
      cleanups.pop();
    }
    expect(results[0]).toEqual(results[1]);
  });

  it('the owner’s posts shown with the service’s words: a deleted post and an edit read as such in the records list', async () => {
    const session = await browser();
    await importDanaArchive(session);
    const dashboard = await DashboardPage.open(session);
    await dashboard.selectConnection((await connectionOf(session, accounts.dana.key)).displayName);
    await dashboard.page.locator(`[data-testid="records-table"] tbody tr[data-key="${expectations.deleted.id}"]`).waitFor();
    const rows = await dashboard.recordRows();
    expect(rows.find((row) => row.key === expectations.deleted.id)?.text).toContain('Deleted by you');
    expect(rows.find((row) => row.key === expectations.edit.latest)?.text).toContain('Version 2 of 2 of an edited post');
  });

  it('a second account stays apart, and someone else’s profile stores nothing', async () => {
    const session = await browser();
    await browseXExpectingNothing(session, 'priya-profile');
    expect(await listConnections(session)).toEqual([]);

    await browseX(session, 'dana-profile');
    const dana = await connectionOf(session, accounts.dana.key);
    const danaBefore = await listRecords(session, dana.id, 'tweets', true);
    await browseX(session, 'sam-profile');
    const sam = await connectionOf(session, accounts.sam.key);
    expect((await listRecords(session, sam.id, 'tweets')).map((record) => record.key).sort()).toEqual(expectations.pages['sam-profile'].ids);
    // Sam's older archive (tweet.js, no manifest) names Sam: suggested for Sam's connection, not Dana's.
    const dashboard = await DashboardPage.open(session);
    await dashboard.chooseFile(samZip());
    expect((await dashboard.waitForPreviewOrError()).preview).toBe(true);
    expect(await dashboard.page.getByTestId('preview-account').textContent()).toContain('@samokafor');
    await dashboard.importFile(samZip(), { keepSuggested: true });
    expect(await listConnections(session)).toHaveLength(2);
    expect((await listRecords(session, sam.id, 'tweets')).map((record) => record.key).sort()).toEqual(sorted([...expectations.pages['sam-profile'].ids, ...expectations.archive.sam].filter((id, i, all) => all.indexOf(id) === i)));
    expect(await listRecords(session, dana.id, 'tweets', true)).toEqual(danaBefore);
    // Dana's archive cannot go into Sam's connection.
    await dashboard.chooseFile(danaZip());
    await dashboard.waitForPreviewOrError();
    await dashboard.page.getByRole('radio', { name: new RegExp(sam.displayName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).check();
    await dashboard.page.getByTestId('confirm-import').click();
    await expect.poll(async () => dashboard.page.getByText(/This file belongs to @danawhit/).count()).toBeGreaterThan(0);
    expect(await listRecords(session, dana.id, 'tweets', true)).toEqual(danaBefore);
  });

  it('refuses the wrong variants in words that say what to do, storing nothing', async () => {
    const session = await browser();
    const dashboard = await DashboardPage.open(session);
    const refusals: [UploadFile, RegExp][] = [
      [{ name: 'Your archive.html', buffer: Buffer.from(YOUR_ARCHIVE_HTML), mimeType: 'text/html' }, /X archive.*Upload the whole archive zip/],
      [{ name: 'twitter-2024-06-10.zip', buffer: Buffer.from(makeXArchiveZip('dana', { omit: ['data/tweets.js', 'data/tweets-part1.js', 'data/deleted-tweets.js'] })) }, /data\/tweets\.js.*upload the whole archive zip/],
      [{ name: 'like.js', buffer: Buffer.from(archiveFiles('dana')['data/like.js']!) }, /does not hold your posts: upload the whole archive zip/],
    ];
    for (const [file, words] of refusals) {
      await dashboard.chooseFile(file);
      const state = await dashboard.waitForPreviewOrError();
      expect(state.error, file.name).toMatch(words);
      await dashboard.refresh();
    }
    expect(await listConnections(session)).toEqual([]);
  });
});

describe('X to the real PDPP reference server', () => {
  it('every stream of both accounts reads back equal', async () => {
    const [server, session] = await Promise.all([startReferenceServer(), launchWithServerAccess()]);
    cleanups.push(() => server.close(), () => session.close());
    await browseX(session, 'dana-profile');
    await importDanaArchive(session);
    await browseX(session, 'sam-profile');
    const panel = await ServerPanelPage.open(session);
    const connections = await listConnections(session);
    expect(connections).toHaveLength(2);
    for (const connection of connections) {
      await panel.selectConnection(connection.displayName);
      expect(await panel.link(server.asUrl)).toMatch(/everything is on your server/);
    }
    expect(((await server.manifest('gleaner-x'))?.streams as { name: string }[]).map((stream) => stream.name)).toEqual(['tweets', 'acquisition_batches']);
    for (const connection of connections) {
      const shown = await extensionVisible(session, connection.id, ['tweets']);
      expect(shown.length).toBeGreaterThan(0);
      expect(await ownerVisible(server, await linkOf(session, connection.id), ['tweets'])).toEqual(shown);
    }
    const dana = connections.find((connection) => connection.accountKey === accounts.dana.key)!;
    const long = (await ownerVisible(server, await linkOf(session, dana.id), ['tweets'])).find((record) => record.id === expectations.longPost.id)!;
    expect(long.data.text).toBe(expectations.longPost.text);
  }, 180_000); // two accounts browsed, an archive imported and two links made: more than the default on a shared machine
});
