/**
 * The Netflix story: a household of two profiles. Dana browses her Viewing
 * activity page (and presses "Show more"), Sam browses his; Dana uploads the
 * account export, which holds both profiles and lands in each one's
 * connection; she adds her quick "Download all" CSV; a CSV whose dates read
 * both ways is refused. Page rows and export rows stay apart (nothing proves
 * them one viewing); probable pairs are counted. Both export to the server.
 */
import { expectations } from '../../test/fixtures/netflix';
import { browseNetflix, importFullExport, netflixCsvUpload } from '../../test/e2e/pages/netflix-site';
import { DashboardPage } from '../../test/e2e/pages/dashboard-page';
import { extensionVisible, linkOf, ownerVisible } from '../../test/e2e/pages/server-readback';
import { canonicalJson } from '../../src/export/canonical-json';
import { getCoverage, listBatches, listConnections, listRecords } from '../../test/e2e/support/api';
import { completenessWord, formatWindow, methodLabel, methodSource, plural, summariseCounts } from '../../src/ui/format';
import { viewingActivityStream } from '../../src/connectors/netflix/streams';
import { findProbablePairs } from '../../src/core/probable-duplicates';
import type { AcquisitionMethod } from '../../src/core/model';
import type { DemoContext } from './context';

const STREAMS = ['viewing_activity'];
const viewings = (count: number) => plural(count, 'viewing', 'viewings');

export async function netflixStory({ session, server, check }: DemoContext): Promise<void> {
  console.log('Gleaner demo: Dana and Sam share a Netflix account, each with a profile.\n');
  console.log('1. Dana opens Viewing activity for her profile and presses "Show more" once.');
  await browseNetflix(session, 'viewingactivity-dana.html', { showMore: true });
  console.log('2. Sam opens Viewing activity for his profile.');
  await browseNetflix(session, 'viewingactivity-sam.html');
  const dashboard = await DashboardPage.open(session);
  console.log('3. Dana uploads the account export (netflix.com/account/getmyinfo): every viewing of both profiles.');
  const full = await importFullExport(dashboard);
  for (const route of full.routes) console.log(`   preview: ${route.text.replace(/\s+/g, ' ').trim()}`);
  for (const part of full.perConnection) console.log(`   receipt: ${part.text.replace(/\s+/g, ' ').trim()}`);
  console.log('4. Dana uploads her profile\'s "Download all" file (NetflixViewingHistory.csv) and names the profile "Dana".');
  const quick = await dashboard.importFile(netflixCsvUpload('NetflixViewingHistory.csv'), { newAccountName: 'Dana' });
  console.log(`   receipt: ${quick.text.replace(/\s+/g, ' ').trim().slice(0, 160)}…`);
  console.log('5. She tries an older download whose every date could be day-first or month-first.');
  await dashboard.chooseFile(netflixCsvUpload('NetflixViewingHistory-ambiguous.csv'));
  const refused = await dashboard.waitForPreviewOrError();
  console.log(`   refused: ${refused.error ?? '(not refused)'}\n`);

  const connections = (await listConnections(session)).filter((connection) => connection.connectorKey === 'netflix');
  console.log(`What Gleaner keeps: ${plural(connections.length, 'profile', 'profiles')}`);
  const pairsBy = new Map<string, number>();
  for (const connection of connections) {
    console.log(`\n== ${connection.displayName}  (how Gleaner knows the profile: ${connection.accountEvidence})`);
    console.log('   Where the records came from:');
    for (const batch of (await listBatches(session, connection.id)).reverse()) {
      const source = batch.provenance.kind === 'artifact' ? batch.provenance.fileName : batch.provenance.pageUrl;
      const window = batch.coverage.find((claim) => claim.stream === 'viewing_activity');
      console.log(`   - ${methodLabel(batch.method)}: ${source}`);
      console.log(`     ${window ? `${formatWindow(window.start, window.end)} (${completenessWord(window.completeness)})` : 'nothing'}; ${summariseCounts(batch.counts)}`);
    }
    const records = await listRecords(session, connection.id, 'viewing_activity');
    const pairs = findProbablePairs(viewingActivityStream.probableDuplicates!, records.map((record) => ({ rid: record.rid, data: record.data, methods: record.methods })));
    pairsBy.set(connection.id, pairs.length);
    console.log(`   Kept: ${viewings(records.length)}; ${pairs.length} probably also in the export (${viewingActivityStream.probableDuplicates!.reason}), shown side by side, never merged`);
    const byRid = new Map(records.map((record) => [record.rid, record]));
    for (const pair of pairs.slice(0, 3)) {
      const [a, b] = [byRid.get(pair.a)!, byRid.get(pair.b)!];
      console.log(`     · "${a.data.title}" (${methodSource(a.methods[0]!).toLowerCase()}, ${a.data.watched_on}) ≈ "${b.data.title}" (${methodSource(b.methods[0]!).toLowerCase()}, ${b.data.watched_on})`);
    }
    console.log('   Covered:');
    for (const entry of await getCoverage(session, connection.id)) {
      for (const method of entry.methods) {
        const windows = method.windows.map((window) => `${formatWindow(window.start, window.end)} (${completenessWord(window.completeness)})`).join(', ');
        console.log(`   - viewings, from ${methodSource(method.method as AcquisitionMethod).toLowerCase()}: ${windows}`);
      }
    }
  }

  console.log('\nChecks');
  const dana = connections.find((connection) => connection.accountKey === expectations.profileKeys.dana);
  const sam = connections.find((connection) => connection.accountKey === expectations.profileKeys.sam);
  check(connections.length === 2 && !!dana && !!sam, 'one connection per profile (Dana, Sam O.)');
  check(full.receipt.outcome === 'merged' && full.perConnection.length === 2, 'one export upload, one receipt per profile, shown together');
  if (dana) {
    const records = await listRecords(session, dana.id, 'viewing_activity');
    check(records.length === 6 + 5 + 4, "Dana's 6 page rows, 5 export viewings and 4 quick-CSV rows are all kept, none merged across methods");
    check(records.every((record) => record.data.profile_name === undefined || record.data.profile_name === 'Dana'), "no one else's viewing in Dana's connection");
    check(pairsBy.get(dana.id) === expectations.probablePairs.Dana!.length, `Dana's probable pairs counted once each (${pairsBy.get(dana.id)})`);
  }
  if (sam) check((await listRecords(session, sam.id, 'viewing_activity')).length === 2 + 2, "Sam's page rows and export viewings stayed in Sam's connection");
  check(/day-first or month-first/.test(refused.error ?? ''), 'the all-ambiguous CSV was refused with a sentence saying why and what to do');

  console.log('\n6. Dana and Sam link their profiles to the personal server on this computer, and export.');
  for (const connection of connections) await session.call('export.link', { connectionId: connection.id, serverOrigin: server.asUrl });
  const results = (await session.call<{ connectionId: string; status: string }[]>('export.now', {})).filter((result) => connections.some((connection) => connection.id === result.connectionId));
  console.log('\nWhat the owner reads back from the personal server');
  const readBack = new Map<string, boolean>();
  for (const connection of connections) {
    const link = await linkOf(session, connection.id);
    const held = await ownerVisible(server, link, STREAMS);
    const receipts = await server.ownerRecords('acquisition_batches', link.connectorId, link.connectorInstanceId);
    console.log(`== ${connection.displayName}: ${viewings(held.length)}, ${plural(receipts.length, 'receipt', 'receipts')}`);
    console.log(`   technical: server connection ${link.connectorInstanceId}, account name on the server "${link.localBindingName}", connector ${link.connectorId}`);
    readBack.set(connection.id, canonicalJson(held) === canonicalJson(await extensionVisible(session, connection.id, STREAMS)));
  }
  console.log('\nExport checks');
  check(results.length === connections.length && results.every((result) => result.status === 'active'), 'both profiles exported completely');
  for (const connection of connections) check(readBack.get(connection.id) === true, `what the owner reads back equals what Gleaner shows for ${connection.displayName} (every viewing, every field)`);
}
