/** The Amazon story: Dana imports her export, then browses Your Orders; Sam browses his; both export to the personal server. */
import { AMAZON_EXPORT_ZIP_NAME, expectations, makeAmazonExportZip } from '../../test/fixtures/amazon';
import { browseAmazon } from '../../test/e2e/pages/amazon-site';
import { DashboardPage } from '../../test/e2e/pages/dashboard-page';
import { extensionVisible, linkOf, ownerVisible } from '../../test/e2e/pages/server-readback';
import { canonicalJson } from '../../src/export/canonical-json';
import { getCoverage, listBatches, listConnections, listRecords } from '../../test/e2e/support/api';
import { completenessWord, formatWindow, methodLabel, methodSource, plural, summariseCounts } from '../../src/ui/format';
import { amazonOwnerCopy } from '../../src/connectors/amazon';
import type { AcquisitionMethod } from '../../src/core/model';
import type { DemoContext } from './context';

const NOUNS = amazonOwnerCopy.streamNouns as Record<string, { one: string; other: string }>;
const noun = (stream: string, count: number) => plural(count, NOUNS[stream]?.one ?? 'record', NOUNS[stream]?.other ?? 'records');

export async function amazonStory({ session, server, check }: DemoContext): Promise<void> {
  console.log('Gleaner demo: Dana imports her Amazon export, then browses Your Orders; Sam browses his.\n');
  const dashboard = await DashboardPage.open(session);
  console.log('1. Dana uploads her order-history export (2019–2023) in the dashboard and names the account "Dana".');
  const receipt = await dashboard.importFile({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' }, { newAccountName: 'Dana' });
  console.log(`   receipt: ${receipt.text.replace(/\s+/g, ' ').trim()}`);
  console.log('2. Dana opens Your Orders for 2024 (every order of the year on one page).');
  await browseAmazon(session, 'orders-2024-dana.html');
  console.log('3. Dana opens Your Orders for 2023 (complete, but Amazon hides one archived order from it).');
  await browseAmazon(session, 'orders-2023-dana.html');
  console.log('4. Dana uploads the same export again.');
  const again = await dashboard.importFile({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' }, { keepSuggested: true });
  console.log('5. Sam, another account in the same browser, opens his Your Orders for 2024.\n');
  await browseAmazon(session, 'orders-2024-sam.html');

  const connections = (await listConnections(session)).filter((connection) => connection.connectorKey === 'amazon');
  console.log(`What Gleaner keeps: ${plural(connections.length, 'account', 'accounts')}`);
  for (const connection of connections) {
    console.log(`\n== ${connection.displayName}  (how Gleaner knows the account: ${connection.accountEvidence})`);
    console.log('   Where the records came from:');
    for (const batch of (await listBatches(session, connection.id)).reverse()) {
      const source = batch.provenance.kind === 'artifact' ? batch.provenance.fileName : batch.provenance.pageUrl;
      const window = batch.coverage.find((claim) => claim.stream === 'orders');
      console.log(`   - ${methodLabel(batch.method)}: ${source}`);
      console.log(`     orders ${window ? `${formatWindow(window.start, window.end)} (${completenessWord(window.completeness)})` : 'none'}; ${summariseCounts(batch.counts)}${batch.recaptureCount ? `; seen again unchanged ${batch.recaptureCount}×` : ''}`);
    }
    const parts: string[] = [];
    for (const stream of ['orders', 'order_items']) {
      const visible = await listRecords(session, connection.id, stream);
      const all = await listRecords(session, connection.id, stream, true);
      const both = visible.filter((record) => record.methods.length > 1).length;
      parts.push(`${noun(stream, visible.length)} (${all.length - visible.length} gone, ${both} seen both on a page and in the export)`);
    }
    console.log(`   Kept: ${parts.join(' · ')}`);
    console.log('   Covered:');
    for (const entry of await getCoverage(session, connection.id)) {
      for (const method of entry.methods) {
        const windows = method.windows.map((window) => `${formatWindow(window.start, window.end)} (${completenessWord(window.completeness)})`).join(', ');
        console.log(`   - ${NOUNS[entry.stream]?.other ?? entry.stream}, from ${methodSource(method.method as AcquisitionMethod).toLowerCase()}: ${windows}`);
      }
    }
  }

  console.log('\nChecks');
  const dana = connections.find((connection) => connection.accountKey === expectations.accounts.dana.key);
  const sam = connections.find((connection) => connection.accountKey === expectations.accounts.sam.key);
  check(connections.length === 2 && !!dana && !!sam, 'one connection per account (Dana, Sam)');
  if (dana) {
    const visible = new Set((await listRecords(session, dana.id, 'orders')).map((record) => record.key));
    const expected = [...expectations.export.orderIds, ...expectations.overlap.pageOnly];
    check(expected.every((id) => visible.has(id)) && visible.size === new Set(expected).size, `all ${new Set(expected).size} of Dana's orders visible (export + pages)`);
    check(expectations.overlap.archivedExportOnly.every((id) => visible.has(id)), 'the archived, export-only 2023 order survived the complete 2023 page capture');
    const coverage = (await getCoverage(session, dana.id)).find((entry) => entry.stream === 'orders');
    check(!!coverage?.methods.find((method) => method.method === 'owner_artifact') && !!coverage?.methods.find((method) => method.method === 'browser_polyfill'), 'both the export window and the capture windows are in the coverage view');
    const both = (await listRecords(session, dana.id, 'orders')).filter((record) => expectations.overlap.both.includes(record.key as never));
    check(both.length === expectations.overlap.both.length && both.every((record) => record.methods.length === 2), 'orders on both the page and in the export are one record each, naming both methods');
  }
  check(again.outcome === 'already_imported' && again.batchId === receipt.batchId, 'the same file twice returned the original receipt');
  if (sam) check((await listRecords(session, sam.id, 'orders')).length === expectations.pages['orders-2024-sam.html'].orderIds.length, "Sam's orders stayed in Sam's connection");

  console.log('\n6. Dana and Sam link their connections to their personal server on this computer, one click each, and export.');
  for (const connection of connections) await session.call('export.link', { connectionId: connection.id, serverOrigin: server.asUrl });
  const results = (await session.call<{ connectionId: string; status: string; acceptedRecords: number; sent: number }[]>('export.now', {})).filter((result) => connections.some((connection) => connection.id === result.connectionId));
  console.log('\nWhat the owner reads back from the personal server');
  const readBack = new Map<string, boolean>();
  for (const connection of connections) {
    const link = await linkOf(session, connection.id);
    const result = results.find((candidate) => candidate.connectionId === connection.id);
    const held = await ownerVisible(server, link);
    const receipts = await server.ownerRecords('acquisition_batches', link.connectorId, link.connectorInstanceId);
    const counts = ['orders', 'order_items'].map((stream) => noun(stream, held.filter((record) => record.stream === stream).length));
    console.log(`\n== ${connection.displayName}: ${counts.join(' · ')}, ${plural(receipts.length, 'receipt', 'receipts')}`);
    console.log(`   ${result?.status === 'active' ? 'Everything is on the server' : 'Not everything arrived'} (sent in ${plural(result?.sent ?? 0, 'request', 'requests')})`);
    for (const receipt of receipts) {
      const data = receipt.data as { method: AcquisitionMethod; provenance: { fileName?: string; pageUrl?: string }; counts: { new: number } };
      console.log(`   - ${methodLabel(data.method)}: ${data.provenance.fileName ?? data.provenance.pageUrl} (${data.counts.new} new)`);
    }
    console.log(`   technical: server connection ${link.connectorInstanceId}, account name on the server "${link.localBindingName}", connector ${link.connectorId}`);
    // Compared as canonical JSON: the same records with the same data, whatever the key order.
    readBack.set(connection.id, canonicalJson(held) === canonicalJson(await extensionVisible(session, connection.id)));
  }
  console.log('\nExport checks');
  check(results.length === connections.length && results.every((result) => result.status === 'active'), 'both connections exported completely');
  const onServer = (await server.connections()).filter((connection) => connection.connector_id === 'gleaner-amazon');
  check(onServer.length === connections.length, 'two accounts are two connections on the server');
  for (const connection of connections) check(readBack.get(connection.id) === true, `what the owner reads back equals what Gleaner shows for ${connection.displayName} (every order and item, every field)`);
  const batches = (await Promise.all(connections.map((connection) => session.call<{ status: string }[]>('export.batches', { connectionId: connection.id })))).flat();
  check(batches.length > 0 && batches.every((batch) => batch.status === 'accepted'), 'the server accepted every batch (none refused, none conflicting)');
}
