/**
 * YouTube end to end: the built extension in headless Chromium, the history
 * page served at www.youtube.com (both layouts), Google Takeout through the
 * dashboard (three zips of which one holds the history, and the JSON alone),
 * the HTML variant refused, two accounts apart, probable duplicates shown
 * side by side, and every stream read back equal from the real PDPP server.
 * Fixtures are built for the real today in this machine's zone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PRIYA_ACCOUNT_LABEL, PRIYA_DATASYNC_ID, PRIYA_PAGE, THEO_ACCOUNT_LABEL, THEO_DATASYNC_ID, THEO_PAGE, priyaExpectations } from '../fixtures/youtube';
import { startReferenceServer, type ReferenceServer } from '../support/pdpp-reference';
import { DashboardPage } from './pages/dashboard-page';
import { launchWithServerAccess } from './pages/server-browser';
import { ServerPanelPage } from './pages/server-panel';
import { extensionVisible, linkOf, ownerVisible, type ComparableRecord } from './pages/server-readback';
import { browseHistory, takeoutZipFiles, today, watchHistoryHtml, watchHistoryHtmlZip, watchHistoryJson } from './pages/youtube-site';
import { launchExtension, type ExtensionSession } from './support/extension';
import { listConnections } from './support/api';

const STREAMS = ['youtube_watch_history'];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function track<T extends { close(): Promise<void> | void }>(started: Promise<T>): Promise<T> {
  const value = await started;
  cleanups.push(() => value.close());
  return value;
}

async function recordCount(s: ExtensionSession): Promise<number> {
  let total = 0;
  for (const connection of await listConnections(s)) total += (await extensionVisible(s, connection.id, STREAMS)).length;
  return total;
}

/** Priya's records, whichever connection holds them, comparable across sessions. */
async function priyaRecords(s: ExtensionSession): Promise<ComparableRecord[]> {
  const out: ComparableRecord[] = [];
  for (const connection of await listConnections(s)) {
    if (connection.accountKey?.startsWith('youtube|1088')) continue; // Theo
    out.push(...(await extensionVisible(s, connection.id, STREAMS)));
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

let pageFirst: ComparableRecord[] | undefined;

describe('YouTube', () => {
  it('history pages, Takeout in three zips, refusals, probable pairs, and the real server reads back every record', { timeout: 240_000 }, async () => {
    const [server, s] = await Promise.all([track<ReferenceServer>(startReferenceServer()), track<ExtensionSession>(launchWithServerAccess())]);
    const expected = priyaExpectations(today());

    // Two accounts in one browser, two layouts: two connections, apart.
    await browseHistory(s, { layout: 'video-renderer', days: PRIYA_PAGE, datasyncId: PRIYA_DATASYNC_ID });
    await browseHistory(s, { layout: 'lockup', days: THEO_PAGE, datasyncId: THEO_DATASYNC_ID });
    const connections = await listConnections(s);
    expect(connections.map((connection) => connection.accountLabel).sort()).toEqual([PRIYA_ACCOUNT_LABEL, THEO_ACCOUNT_LABEL].sort());
    const priya = connections.find((connection) => connection.accountLabel === PRIYA_ACCOUNT_LABEL)!;
    expect((await extensionVisible(s, priya.id, STREAMS)).map((record) => record.id).sort()).toEqual([...expected.pageIds].sort());
    const before = await recordCount(s);

    const dashboard = await DashboardPage.open(s);
    // The wrong Takeout parts and the HTML variant: refused with what to do, nothing stored.
    const [part1, part2, part3] = takeoutZipFiles();
    for (const part of [part1!, part3!]) {
      await dashboard.chooseFile(part);
      const state = await dashboard.waitForPreviewOrError();
      expect(state.error).toMatch(/does not hold your YouTube watch history/);
      expect(state.error).toContain('YouTube and YouTube Music/history/watch-history.json');
    }
    for (const html of [watchHistoryHtml(), watchHistoryHtmlZip()]) {
      await dashboard.chooseFile(html);
      const state = await dashboard.waitForPreviewOrError();
      expect(state.error).toMatch(/choose JSON in Takeout's YouTube options/);
    }
    expect(await recordCount(s)).toBe(before);

    // The part that holds the history, into the account the pages already made (Takeout names no account).
    await dashboard.chooseFile(part2!);
    expect((await dashboard.waitForPreviewOrError()).preview).toBe(true);
    const preview = await dashboard.previewText();
    // The skips, counted with their reasons; the overlap with the page captures, as probable (no key proves it).
    expect(preview).toMatch(/1 ad view\(s\) \("From Google Ads"\) were skipped/);
    expect(preview).toMatch(/since been removed/);
    expect(preview).toContain(`0 of ${expected.exportVideos.length} viewings in this file are already there; ${expected.pairedVideos.length} probably are, kept from pages`);
    await dashboard.page.getByRole('radio', { name: new RegExp(PRIYA_ACCOUNT_LABEL) }).check();
    await dashboard.page.getByTestId('confirm-import').click();
    const receipt = await dashboard.receipt();
    expect(receipt.outcome).toBe('merged');
    expect(receipt.text).toMatch(/Visit your YouTube history on YouTube/);
    await dashboard.selectConnection(PRIYA_ACCOUNT_LABEL);
    const total = expected.pageIds.length + expected.exportVideos.length;
    const count = dashboard.page.getByTestId('probable-count');
    await expect.poll(() => count.textContent()).toBe(`${total} viewings; ${expected.pairedVideos.length} probably also in the export`);
    const pairs = dashboard.page.getByTestId('probable-pair');
    await expect.poll(() => pairs.count()).toBe(expected.pairedVideos.length * 2);
    expect(await pairs.first().innerText()).toMatch(/Probably the same viewing \(same video, watched on the same day\)/);
    // When each was watched, in the owner's words and time zone: no ISO time, no "UTC".
    for (const text of await pairs.allInnerTexts()) expect(text).not.toMatch(/UTC|\d{4}-\d{2}-\d{2}/);
    await dashboard.screenshotRecords('youtube-probable-pairs');
    // The search box suggests YouTube's words, not another service's.
    expect(await dashboard.page.getByTestId('record-search').getAttribute('placeholder')).toBe('Video title or channel…');

    pageFirst = await priyaRecords(s);
    expect(pageFirst).toHaveLength(total);

    // Every connection linked; the owner reads back exactly what the extension shows (pairs are never merged).
    const panel = await ServerPanelPage.open(s);
    for (const connection of await listConnections(s)) {
      await panel.selectConnection(connection.displayName);
      expect(await panel.link(server.asUrl)).toMatch(/everything is on your server/);
    }
    for (const connection of await listConnections(s)) {
      const link = await linkOf(s, connection.id);
      const shown = await extensionVisible(s, connection.id, STREAMS);
      expect(await ownerVisible(server, link, STREAMS), connection.displayName).toEqual(shown);
    }
    expect((await ownerVisible(server, await linkOf(s, priya.id), STREAMS)).length).toBe(total);
  });

  it('the JSON alone first, then the newer page layout: the same records', async () => {
    const s = await track<ExtensionSession>(launchExtension());
    const dashboard = await DashboardPage.open(s);
    const receipt = await dashboard.importFile(watchHistoryJson(), { newAccountName: 'Priya' });
    expect(receipt.outcome).toBe('merged');
    await browseHistory(s, { layout: 'lockup', days: PRIYA_PAGE, datasyncId: PRIYA_DATASYNC_ID });
    const records = await priyaRecords(s);
    expect(records.length).toBe(priyaExpectations(today()).pageIds.length + priyaExpectations(today()).exportVideos.length);
    expect(pageFirst, 'the first test ran').toBeDefined();
    expect(records).toEqual(pageFirst);
  });
});
