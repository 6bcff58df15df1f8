/**
 * `npm run demo`: the walking skeleton's story, in headless Chromium with the
 * built extension, against local fixtures (no accounts, no display, no
 * network). Prints what Gleaner holds afterwards and exits non-zero if the
 * story breaks.
 */
import { AMAZON_EXPORT_ZIP_NAME, expectations, makeAmazonExportZip } from '../test/fixtures/amazon';
import { browseAmazon } from '../test/e2e/pages/amazon-site';
import { DashboardPage } from '../test/e2e/pages/dashboard-page';
import { launchWithServerAccess } from '../test/e2e/pages/server-browser';
import { extensionVisible, serverVisible } from '../test/e2e/pages/server-receiver';
import { startReceiver } from '../test/receiver/server';
import { canonicalJson } from '../src/export/canonical-json';
import { getCoverage, listBatches, listConnections, listRecords } from '../test/e2e/support/api';
import { chromiumPath, MISSING_BROWSER_MESSAGE } from '../test/e2e/support/browser';
import { formatWindow, methodLabel, summariseCounts } from '../src/ui/format';

const problems: string[] = [];
function check(ok: boolean, what: string) {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) problems.push(what);
}

async function main() {
  if (!chromiumPath()) {
    console.error(MISSING_BROWSER_MESSAGE);
    process.exit(1);
  }
  // The built extension, with the personal server's address (127.0.0.1) allowed as the owner would at link time.
  const session = await launchWithServerAccess();
  const server = await startReceiver();
  try {
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

    const connections = await listConnections(session);
    console.log(`Connections (${connections.length})`);
    for (const connection of connections) {
      console.log(`\n== ${connection.displayName}  [account: ${connection.accountLabel}; ${connection.accountEvidence}]`);
      console.log('   Batches:');
      for (const batch of (await listBatches(session, connection.id)).reverse()) {
        const source = batch.provenance.kind === 'artifact' ? batch.provenance.fileName : batch.provenance.pageUrl;
        const window = batch.coverage.find((claim) => claim.stream === 'orders');
        console.log(`   - ${batch.method.padEnd(16)} ${source}`);
        console.log(`     window: ${window ? `${formatWindow(window.start, window.end)} (${window.completeness})` : 'none'}; ${summariseCounts(batch.counts)}${batch.recaptureCount ? `; re-seen unchanged ${batch.recaptureCount}x` : ''}`);
      }
      console.log('   Visible records:');
      for (const stream of ['orders', 'order_items']) {
        const visible = await listRecords(session, connection.id, stream);
        const all = await listRecords(session, connection.id, stream, true);
        const both = visible.filter((record) => record.methods.length > 1).length;
        console.log(`   - ${stream.padEnd(12)} ${String(visible.length).padStart(3)} visible (${all.length - visible.length} marked gone, ${both} seen by both page and export)`);
      }
      console.log('   Covered windows:');
      for (const entry of await getCoverage(session, connection.id)) {
        for (const method of entry.methods) {
          const windows = method.windows.map((window) => `${formatWindow(window.start, window.end)} (${window.completeness})`).join(', ');
          console.log(`   - ${entry.stream.padEnd(12)} ${methodLabel(method.method).padEnd(26)} ${windows}`);
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

    console.log(`\n6. Dana and Sam link their connections to a personal server on this computer (${server.origin}), one click each, and export.`);
    for (const connection of connections) await session.call('export.link', { connectionId: connection.id, serverOrigin: server.origin });
    const results = await session.call<{ connectionId: string; status: string; acceptedRecords: number; sent: number }[]>('export.now', {});
    const statuses = await session.call<{ connectionId: string; displayName: string; link?: { connectorInstanceId: string; sourceInstanceId: string; localBindingName: string } }[]>('export.status');
    console.log('\nWhat the server holds');
    for (const entry of statuses) {
      const result = results.find((candidate) => candidate.connectionId === entry.connectionId);
      const link = entry.link;
      if (!link) continue;
      const held = [...(server.state.records.get(link.connectorInstanceId)?.values() ?? [])];
      const byStream = new Map<string, number>();
      for (const record of held) byStream.set(record.stream, (byStream.get(record.stream) ?? 0) + 1);
      console.log(`\n== ${entry.displayName}  [server connection ${link.connectorInstanceId}, account "${link.localBindingName}"]`);
      console.log(`   export: ${result?.status}, ${result?.acceptedRecords} records in ${result?.sent} request(s)`);
      for (const [stream, count] of [...byStream].sort()) console.log(`   - ${stream.padEnd(20)} ${String(count).padStart(3)}`);
      for (const record of held.filter((candidate) => candidate.stream === 'acquisition_batches')) {
        const receipt = record.data as { method: string; provenance: { kind: string; fileName?: string; pageUrl?: string }; counts: { new: number } };
        console.log(`     receipt ${receipt.method.padEnd(16)} ${receipt.provenance.fileName ?? receipt.provenance.pageUrl} (${receipt.counts.new} new)`);
      }
    }
    console.log('\nExport checks');
    check(results.length === connections.length && results.every((result) => result.status === 'active'), 'both connections exported completely');
    check(new Set(statuses.map((entry) => entry.link?.sourceInstanceId)).size === connections.length, 'two accounts are two source instances on the server');
    for (const entry of statuses) {
      if (!entry.link) continue;
      // Compared as canonical JSON: the same records with the same data, whatever the key order.
      const same = canonicalJson(await serverVisible(server.origin, entry.link.connectorInstanceId)) === canonicalJson(await extensionVisible(session, entry.connectionId));
      check(same, `the server's records equal ${entry.displayName}'s visible records (stream, key, data)`);
    }
    check(![...server.state.batches.values()].some((batch) => batch.record_count === 0) && server.state.requestLog.every((entry) => entry.status !== 409), 'no batch conflicted');
  } finally {
    await session.close();
    await server.close();
  }
  if (problems.length > 0) {
    console.error(`\nThe story broke: ${problems.join('; ')}`);
    process.exit(1);
  }
  console.log('\nThe story held.');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
