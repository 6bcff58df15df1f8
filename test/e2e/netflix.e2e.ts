/**
 * Netflix end to end: the built extension in headless Chromium, Viewing
 * activity pages served at www.netflix.com from fixtures, both exports
 * uploaded through the dashboard, every stream read back from the REAL PDPP
 * reference server. A page row and an export row cannot be proven one viewing,
 * so records of each method stay apart; each profile is its own connection.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../src/core/model';
import { expectations } from '../fixtures/netflix';
import { startReferenceServer, type ReferenceServer } from '../support/pdpp-reference';
import { DashboardPage } from './pages/dashboard-page';
import { browseNetflix, importFullExport, netflixCsvUpload } from './pages/netflix-site';
import { launchWithServerAccess } from './pages/server-browser';
import { ServerPanelPage } from './pages/server-panel';
import { extensionVisible, linkOf, ownerVisible } from './pages/server-readback';
import type { ExtensionSession } from './support/extension';
import { launchExtension } from './support/extension';
import { listBatches, listConnections, listRecords } from './support/api';

const STREAMS = ['viewing_activity'];
/** Two browsers and five uploads (or a server): longer than the default on a busy machine. */
const LONG = 300_000;
const screenshot = (name: string) => path.resolve(import.meta.dirname, `../../test-results/screenshots/${name}.png`);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function session(withServer = false): Promise<ExtensionSession> {
  const launched = withServer ? await launchWithServerAccess() : await launchExtension();
  cleanups.push(() => launched.close());
  return launched;
}

async function pages(s: ExtensionSession): Promise<void> {
  await browseNetflix(s, 'viewingactivity-dana.html', { showMore: true });
  await browseNetflix(s, 'viewingactivity-sam.html');
}

async function exports(s: ExtensionSession): Promise<void> {
  const dashboard = await DashboardPage.open(s);
  const full = await importFullExport(dashboard);
  expect(full.receipt.outcome).toBe('merged');
  expect(full.routes.map((route) => route.account)).toEqual(['Dana', 'Sam O.']);
  expect(full.perConnection.map((route) => route.status)).toEqual(['committed', 'committed']);
  expect(full.perConnection[0]!.text).toMatch(/Dana.*5 seen.*4 skipped/s);
  // The quick CSV names no profile: the owner names it, and it joins that profile's connection.
  expect((await dashboard.importFile(netflixCsvUpload('NetflixViewingHistory.csv'), { newAccountName: 'Dana' })).outcome).toBe('merged');
  expect((await dashboard.importFile(netflixCsvUpload('NetflixViewingHistory-iso.csv', 'NetflixViewingHistory (1).csv'), { newAccountName: 'Dana' })).outcome).toBe('merged');
  expect((await dashboard.importFile(netflixCsvUpload('NetflixViewingHistory-dmy.csv', 'NetflixViewingHistory (2).csv'), { newAccountName: 'Sam O.' })).outcome).toBe('merged');
}

/** Per profile: every visible record's identity, methods and data (what the owner has). */
async function visibleSet(s: ExtensionSession): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const connection of await listConnections(s)) {
    const records: StoredRecord[] = await listRecords(s, connection.id, 'viewing_activity');
    out[connection.accountKey ?? connection.displayName] = records.map((record) => `${record.rid} ${record.methods.join(',')} ${JSON.stringify(record.data)}`).sort();
  }
  return out;
}

describe('Netflix viewing activity, pages and exports', () => {
  it('pages then exports and exports then pages give the same visible set, each profile apart', async () => {
    const first = await session();
    await pages(first);
    await exports(first);
    const pagesFirst = await visibleSet(first);

    const second = await session();
    await exports(second);
    await pages(second);
    const exportsFirst = await visibleSet(second);

    expect(exportsFirst).toEqual(pagesFirst);
    expect(Object.keys(pagesFirst).sort()).toEqual([expectations.profileKeys.dana, expectations.profileKeys.sam]);
    // Dana: 6 page rows, 5 export viewings, 4 quick-CSV rows (the ISO file repeats two of them): nothing merged across methods.
    expect(pagesFirst[expectations.profileKeys.dana]).toHaveLength(6 + 5 + 4);
    // Sam: 2 page rows, 2 export viewings, 3 rows of the day-first CSV.
    expect(pagesFirst[expectations.profileKeys.sam]).toHaveLength(2 + 2 + 3);
    expect(pagesFirst[expectations.profileKeys.sam]!.every((line) => !line.includes('"profile_name":"Dana"'))).toBe(true);
    expect(pagesFirst[expectations.profileKeys.dana]!.every((line) => !line.includes('"profile_name":"Sam O."'))).toBe(true);
    // The day-first CSV was read day-first (16/03/2024 is March 16).
    expect(pagesFirst[expectations.profileKeys.sam]!.some((line) => line.includes('"title":"Tidewater: Season 2: Low Tide","watched_on":"2024-03-16"'))).toBe(true);

    // Coverage: each method's own window, partial.
    const dana = (await listConnections(second)).find((connection) => connection.accountKey === expectations.profileKeys.dana)!;
    const batches = await listBatches(second, dana.id);
    const page = batches.filter((batch) => batch.method === 'browser_polyfill').flatMap((batch) => batch.coverage);
    expect(page.every((claim) => claim.completeness === 'partial')).toBe(true);
    expect(page.map((claim) => [claim.start, claim.end])).toContainEqual(['2023-09-28', '2024-03-17']);
    const dashboard = await DashboardPage.open(second);
    await dashboard.selectConnection(dana.displayName);
    await dashboard.page.screenshot({ path: screenshot('netflix-dana-connection'), fullPage: true });
  }, LONG);

  it('refuses a quick CSV whose every date could be day-first or month-first, and stores nothing', async () => {
    const s = await session();
    const dashboard = await DashboardPage.open(s);
    await dashboard.chooseFile(netflixCsvUpload('NetflixViewingHistory-ambiguous.csv'));
    const state = await dashboard.waitForPreviewOrError();
    expect(state.preview).toBe(false);
    expect(state.error).toMatch(/could be day-first or month-first/);
    expect(state.error).toMatch(/netflix\.com\/account\/getmyinfo/);
    expect(await dashboard.page.getByTestId('import-error').getAttribute('data-code')).toBe('ambiguous_dates');
    await dashboard.page.screenshot({ path: screenshot('netflix-refused-ambiguous'), fullPage: true });
    expect(await listConnections(s)).toEqual([]);
  });

  it('says so when a Viewing activity page shows no rows it can read', async () => {
    const s = await session();
    await browseNetflix(s, 'viewingactivity-changed-layout.html');
    const connections = await listConnections(s);
    expect(connections).toHaveLength(1);
    const batches = await listBatches(s, connections[0]!.id);
    expect(batches.flatMap((batch) => batch.warnings.map((warning) => warning.code))).toContain('layout_unrecognized');
    expect(await listRecords(s, connections[0]!.id, 'viewing_activity')).toEqual([]);
  });

  it('every profile’s viewings read back equal from the real PDPP server', async () => {
    const [serverResult, browserResult] = await Promise.allSettled([startReferenceServer(), session(true)]);
    if (serverResult.status === 'fulfilled') cleanups.push(() => serverResult.value.close());
    if (serverResult.status === 'rejected') throw serverResult.reason;
    if (browserResult.status === 'rejected') throw browserResult.reason;
    const server: ReferenceServer = serverResult.value;
    const s = browserResult.value;
    await pages(s);
    await exports(s);
    const connections = await listConnections(s);
    expect(connections).toHaveLength(2);
    const panel = await ServerPanelPage.open(s);
    for (const connection of connections) {
      await panel.selectConnection(connection.displayName);
      expect(await panel.link(server.asUrl)).toMatch(/everything is on your server/);
    }
    expect(((await server.manifest('gleaner-netflix'))?.streams as { name: string }[]).map((stream) => stream.name)).toEqual(['viewing_activity', 'acquisition_batches']);
    for (const connection of connections) {
      const link = await linkOf(s, connection.id);
      const shown = await extensionVisible(s, connection.id, STREAMS);
      expect(shown.length).toBeGreaterThan(0);
      expect(await ownerVisible(server, link, STREAMS), `${connection.displayName} on the server`).toEqual(shown);
      // One receipt per batch, the routed export's included.
      const receipts = await server.ownerRecords('acquisition_batches', link.connectorId, link.connectorInstanceId);
      expect(receipts.map((record) => record.id).sort()).toEqual((await listBatches(s, connection.id)).map((batch) => batch.id).sort());
    }
  }, LONG);
});
