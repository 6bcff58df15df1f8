/**
 * The ChatGPT story: Dana browses chatgpt.com (a renamed conversation, one
 * continued after her export, a new one), then uploads her export: one
 * connection, every branch kept, the newest title. Sam browses his. Both
 * export to the personal server and read back what Gleaner shows.
 */
import { DANA_PAGES, expectations, ids } from '../../test/fixtures/chatgpt';
import { browseChatgpt, browseChatgptExpectingNoCapture, chatHtmlUpload, chatgptZipUpload } from '../../test/e2e/pages/chatgpt-site';
import { DashboardPage } from '../../test/e2e/pages/dashboard-page';
import { extensionVisible, linkOf, ownerVisible } from '../../test/e2e/pages/server-readback';
import { canonicalJson } from '../../src/export/canonical-json';
import { listBatches, listConnections, listRecords } from '../../test/e2e/support/api';
import { methodLabel, plural, summariseCounts } from '../../src/ui/format';
import { chatgptOwnerCopy } from '../../src/connectors/chatgpt';
import type { DemoContext } from './context';

const STREAMS = ['conversations', 'messages'];
const NOUNS = chatgptOwnerCopy.streamNouns as Record<string, { one: string; other: string }>;
const noun = (stream: string, count: number) => plural(count, NOUNS[stream]!.one, NOUNS[stream]!.other);

export async function chatgptStory({ session, server, check }: DemoContext): Promise<void> {
  console.log('Gleaner demo: Dana keeps her ChatGPT conversations from chatgpt.com and from her data export; Sam browses his.\n');
  console.log('1. Dana, signed in, opens chatgpt.com: the sidebar lists her recent conversations (one renamed since her export).');
  console.log('2. She opens "Lisbon trip plan" (continued since the export) and "Tomato seedlings" (started after it).');
  for (const page of DANA_PAGES) await browseChatgpt(session, page, 'dana');
  const dashboard = await DashboardPage.open(session);
  console.log('3. She uploads chat.html from her export by mistake.');
  await dashboard.chooseFile(chatHtmlUpload());
  const refused = await dashboard.waitForPreviewOrError();
  console.log(`   Gleaner: ${refused.error?.trim()}`);
  console.log('4. She uploads the whole export zip; its user.json names her account, so it joins her connection.');
  const receipt = await dashboard.importFile(chatgptZipUpload(), { keepSuggested: true });
  console.log(`   receipt: ${receipt.text.replace(/\s+/g, ' ').trim()}`);
  console.log('5. Sam, signed in to his own account in the same browser, opens his conversation; then a signed-out visit.\n');
  await browseChatgpt(session, 'bike-sam.html', 'sam');
  await browseChatgptExpectingNoCapture(session, 'trip-dana.html', 'signed_out');

  const connections = (await listConnections(session)).filter((connection) => connection.connectorKey === 'chatgpt');
  console.log(`What Gleaner keeps: ${plural(connections.length, 'account', 'accounts')}`);
  for (const connection of connections) {
    console.log(`\n== ${connection.displayName}  (how Gleaner knows the account: ${connection.accountEvidence})`);
    for (const batch of (await listBatches(session, connection.id)).reverse()) {
      const source = batch.provenance.kind === 'artifact' ? batch.provenance.fileName : batch.provenance.pageUrl;
      console.log(`   - ${methodLabel(batch.method)}: ${source}; ${summariseCounts(batch.counts)}`);
    }
    const parts: string[] = [];
    for (const stream of STREAMS) {
      const visible = await listRecords(session, connection.id, stream);
      parts.push(`${noun(stream, visible.length)} (${visible.filter((record) => record.methods.length > 1).length} seen both on a page and in the export)`);
    }
    console.log(`   Kept: ${parts.join(' · ')}`);
  }

  console.log('\nChecks');
  const dana = connections.find((connection) => connection.accountKey === expectations.accounts.dana.key);
  const sam = connections.find((connection) => connection.accountKey === expectations.accounts.sam.key);
  check(connections.length === 2 && !!dana && !!sam, 'one connection per ChatGPT account (Dana, Sam); the signed-out visit kept nothing');
  check(/upload the zip, or conversations\.json/.test(refused.error ?? ''), 'chat.html alone was refused, saying what to upload');
  if (dana) {
    const conversations = await listRecords(session, dana.id, 'conversations');
    const messages = await listRecords(session, dana.id, 'messages');
    const trip = conversations.find((record) => record.key === ids.trip);
    check(trip?.data.title === expectations.renamed.pageTitle, `the renamed conversation keeps its newest title ("${String(trip?.data.title)}")`);
    const tripMessages = messages.filter((record) => record.data.conversation_id === ids.trip).map((record) => record.key).sort();
    check(canonicalJson(tripMessages) === canonicalJson(expectations.pages['trip-dana.html']!.messageIds), 'the conversation continued after the export has its old messages and the new ones');
    const branches = [...expectations.export.siblings.editedQuestion, ...expectations.export.siblings.regeneratedAnswer];
    check(branches.every((id) => messages.some((record) => record.key === id)), 'the edited question and the regenerated answer kept every branch');
    check(conversations.some((record) => record.key === expectations.exportOnlyConversation), 'the conversation only in the export is kept');
  }

  console.log('\n6. Dana and Sam link their ChatGPT connections to the personal server and export.');
  for (const connection of connections) await session.call('export.link', { connectionId: connection.id, serverOrigin: server.asUrl });
  const results = (await session.call<{ connectionId: string; status: string }[]>('export.now', {})).filter((result) => connections.some((connection) => connection.id === result.connectionId));
  for (const connection of connections) {
    const link = await linkOf(session, connection.id);
    const held = await ownerVisible(server, link, STREAMS);
    console.log(`== ${connection.displayName} on the server: ${STREAMS.map((stream) => noun(stream, held.filter((record) => record.stream === stream).length)).join(' · ')}`);
    console.log(`   technical: server connection ${link.connectorInstanceId}, connector ${link.connectorId}`);
    check(canonicalJson(held) === canonicalJson(await extensionVisible(session, connection.id, STREAMS)), `what the owner reads back equals what Gleaner shows for ${connection.displayName}`);
  }
  check(results.length === connections.length && results.every((result) => result.status === 'active'), 'both ChatGPT connections exported completely');
}
