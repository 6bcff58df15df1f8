/**
 * `npm run demo`: the walking skeleton's story, in headless Chromium with the
 * built extension, against local fixtures (no accounts, no display, no
 * network). Prints what Gleaner holds afterwards and exits non-zero if the
 * story breaks.
 */
import { AMAZON_EXPORT_ZIP_NAME, expectations, makeAmazonExportZip } from '../test/fixtures/amazon';
import { browseAmazon } from '../test/e2e/pages/amazon-site';
import { DashboardPage } from '../test/e2e/pages/dashboard-page';
import { launchExtension } from '../test/e2e/support/extension';
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
  const session = await launchExtension();
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
  } finally {
    await session.close();
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
