/**
 * ChatGPT end to end: the built extension in headless Chromium, chatgpt.com
 * pages served from fixtures (with the session endpoint the page asks for its
 * account), Dana's export uploaded through the dashboard, and the records read
 * back from the REAL PDPP reference server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DANA_PAGES, expectations, ids } from '../fixtures/chatgpt';
import { DashboardPage } from './pages/dashboard-page';
import { browseChatgpt, browseChatgptExpectingNoCapture, chatHtmlUpload, chatgptZipUpload } from './pages/chatgpt-site';
import { launchExtension, type ExtensionSession } from './support/extension';
import { listBatches, listConnections, listRecords, onlyConnection } from './support/api';
import { launchWithServerAccess } from './pages/server-browser';
import { ServerPanelPage } from './pages/server-panel';
import { extensionVisible, linkOf, ownerVisible } from './pages/server-readback';
import { startReferenceServer, type ReferenceServer } from '../support/pdpp-reference';

const STREAMS = ['conversations', 'messages'];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function browser(withServer = false): Promise<ExtensionSession> {
  const session = withServer ? await launchWithServerAccess() : await launchExtension();
  cleanups.push(() => session.close());
  return session;
}

async function browseDana(session: ExtensionSession): Promise<void> {
  for (const page of DANA_PAGES) await browseChatgpt(session, page, 'dana');
}

async function importZip(session: ExtensionSession) {
  const dashboard = await DashboardPage.open(session);
  const receipt = await dashboard.importFile(chatgptZipUpload(), { keepSuggested: true });
  expect(receipt.outcome).toBe('merged');
  return dashboard;
}

/** Every visible record of a connection: stream/key → data. */
async function visibleRecords(session: ExtensionSession, connectionId: string): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const stream of STREAMS) for (const record of await listRecords(session, connectionId, stream)) out[`${stream}/${record.key}`] = record.data;
  return out;
}

const pageConversations = [...new Set(DANA_PAGES.flatMap((page) => expectations.pages[page]!.conversationIds))];
const pageMessages = DANA_PAGES.flatMap((page) => expectations.pages[page]!.messageIds);
const expectedKeys = [
  ...[...new Set([...expectations.export.conversationIds, ...pageConversations])].map((id) => `conversations/${id}`),
  ...[...new Set([...expectations.export.messageIds, ...pageMessages])].map((id) => `messages/${id}`),
].sort();

describe('ChatGPT: pages and the export under one connection', () => {
  it('pages then export, and export then pages: the same visible records, the newest title, every branch, the continued conversation whole', async () => {
    const results: Record<string, Record<string, unknown>>[] = [];
    for (const order of ['pages-first', 'export-first'] as const) {
      const session = await browser();
      if (order === 'pages-first') {
        await browseDana(session);
        await importZip(session);
      } else {
        await importZip(session);
        await browseDana(session);
      }
      const connection = await onlyConnection(session);
      expect(connection.accountKey).toBe(expectations.accounts.dana.key);
      const shown = await visibleRecords(session, connection.id);
      expect(Object.keys(shown).sort(), order).toEqual(expectedKeys);
      // Renamed on chatgpt.com after the export: the newest title, whichever came last.
      expect(shown[`conversations/${ids.trip}`], order).toMatchObject({ title: expectations.renamed.pageTitle, update_time: '2026-11-10T07:30:00.123Z' });
      // Continued after the export: the old messages kept, the new ones added.
      const trip = Object.values(shown).filter((data) => data.conversation_id === ids.trip).map((data) => data.id).sort();
      expect(trip).toEqual(expectations.pages['trip-dana.html']!.messageIds);
      // Branched: both versions of the edited question and both answers, with the branch ChatGPT showed.
      for (const id of [...expectations.export.siblings.editedQuestion, ...expectations.export.siblings.regeneratedAnswer]) expect(shown[`messages/${id}`], id).toBeDefined();
      expect(shown[`messages/${ids.msg.sdQ1edit}`]).toMatchObject({ on_current_branch: true, parent_id: 'client-created-root' });
      expect(shown[`messages/${ids.msg.sdQ1}`]).toMatchObject({ on_current_branch: false, parent_id: 'client-created-root', children_ids: [ids.msg.sdA1, ids.msg.sdA1regen] });
      // The receipt counts the skipped nodes and notes the missing photo.
      const upload = (await listBatches(session, connection.id)).find((batch) => batch.method === 'owner_artifact')!;
      expect(upload.counts.skipped).toBe(expectations.export.skipped.empty_node + expectations.export.skipped.hidden_system);
      expect(upload.warnings.filter((w) => w.code === 'missing_media').map((w) => w.where?.split(' ')[0])).toEqual(expectations.export.missingMedia);
      results.push(shown);
      await session.close();
      cleanups.pop();
    }
    expect(results[1]).toEqual(results[0]);
  });

  it('a second account’s pages make a second connection and leave the first untouched', async () => {
    const session = await browser();
    await importZip(session);
    await browseDana(session);
    const dana = await onlyConnection(session);
    const before = await visibleRecords(session, dana.id);
    await browseChatgpt(session, 'home-sam.html', 'sam');
    await browseChatgpt(session, 'bike-sam.html', 'sam');
    const connections = await listConnections(session);
    expect(connections.map((c) => c.accountKey).sort()).toEqual([expectations.accounts.dana.key, expectations.accounts.sam.key].sort());
    const sam = connections.find((c) => c.accountKey === expectations.accounts.sam.key)!;
    expect(sam.accountLabel).toBe(expectations.accounts.sam.label);
    expect(Object.keys(await visibleRecords(session, sam.id)).sort()).toEqual([`conversations/${ids.sam}`, ...expectations.pages['bike-sam.html']!.messageIds.map((id) => `messages/${id}`)].sort());
    expect(await visibleRecords(session, dana.id)).toEqual(before);
  });

  it('refused: chat.html alone (saying what to upload), a signed-out page, a shared chat; nothing stored', async () => {
    const session = await browser();
    const dashboard = await DashboardPage.open(session);
    await dashboard.chooseFile(chatHtmlUpload());
    const state = await dashboard.waitForPreviewOrError();
    expect(state.preview).toBe(false);
    expect(state.error).toMatch(/upload the zip, or conversations\.json/);
    await browseChatgptExpectingNoCapture(session, 'trip-dana.html', 'signed_out');
    await browseChatgptExpectingNoCapture(session, 'shared.html', 'dana');
    expect(await listConnections(session)).toEqual([]);
  });
});

describe('ChatGPT to the real PDPP reference server', () => {
  it('both accounts’ conversations and messages read back equal', async () => {
    const [server, session] = await Promise.all([startReferenceServer(), browser(true)]);
    cleanups.push(() => (server as ReferenceServer).close());
    await importZip(session);
    await browseDana(session);
    await browseChatgpt(session, 'bike-sam.html', 'sam');
    const connections = await listConnections(session);
    expect(connections).toHaveLength(2);
    const panel = await ServerPanelPage.open(session);
    for (const connection of connections) {
      await panel.selectConnection(connection.displayName);
      expect(await panel.link(server.asUrl)).toMatch(/everything is on your server/);
    }
    expect(((await server.manifest('gleaner-chatgpt'))?.streams as { name: string }[]).map((stream) => stream.name)).toEqual(['conversations', 'messages', 'acquisition_batches']);
    for (const connection of connections) {
      const link = await linkOf(session, connection.id);
      const shown = await extensionVisible(session, connection.id, STREAMS);
      expect(shown.length).toBeGreaterThan(0);
      expect(await ownerVisible(server, link, STREAMS), connection.displayName).toEqual(shown);
    }
  });
});
