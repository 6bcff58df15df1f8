/**
 * The YouTube story: Priya's history page is kept as she browses it; her
 * Google Takeout arrives as three zips (only one holds the history) and the
 * HTML version is refused; page and export viewings stay apart, the likely
 * pairs shown as probable duplicates; Theo's account stays his; both export
 * to the personal server and read back equal.
 */
import { PRIYA_ACCOUNT_LABEL, PRIYA_DATASYNC_ID, PRIYA_PAGE, THEO_DATASYNC_ID, THEO_PAGE, priyaExpectations } from '../../test/fixtures/youtube';
import { browseHistory, takeoutZipFiles, today, watchHistoryHtml } from '../../test/e2e/pages/youtube-site';
import { DashboardPage } from '../../test/e2e/pages/dashboard-page';
import { extensionVisible, linkOf, ownerVisible } from '../../test/e2e/pages/server-readback';
import { canonicalJson } from '../../src/export/canonical-json';
import { listBatches, listConnections } from '../../test/e2e/support/api';
import { methodLabel, plural, summariseCounts } from '../../src/ui/format';
import type { DemoContext } from './context';

const STREAMS = ['youtube_watch_history'];

export async function youtubeStory({ session, server, check }: DemoContext): Promise<void> {
  console.log('Gleaner demo: Priya browses her YouTube history, then imports her Google Takeout; Theo browses his.\n');
  const expected = priyaExpectations(today());
  console.log('1. Priya opens youtube.com/feed/history (videos under "Today", "Yesterday", a weekday and a date; no times).');
  await browseHistory(session, { layout: 'video-renderer', days: PRIYA_PAGE, datasyncId: PRIYA_DATASYNC_ID });
  console.log('2. Theo, signed in to his own account in the same browser, opens his history (YouTube\'s newer layout).');
  await browseHistory(session, { layout: 'lockup', days: THEO_PAGE, datasyncId: THEO_DATASYNC_ID });

  const dashboard = await DashboardPage.open(session);
  const [part1, part2] = takeoutZipFiles();
  console.log('3. Priya first uploads the first of her three Takeout zips.');
  await dashboard.chooseFile(part1!);
  const wrongPart = await dashboard.waitForPreviewOrError();
  console.log(`   Gleaner: ${wrongPart.error}`);
  console.log('4. She uploads the HTML version she had downloaded earlier.');
  await dashboard.chooseFile(watchHistoryHtml());
  const html = await dashboard.waitForPreviewOrError();
  console.log(`   Gleaner: ${html.error}`);
  console.log('5. She uploads the zip that holds her watch history and picks the account her history page already made.');
  await dashboard.chooseFile(part2!);
  await dashboard.waitForPreviewOrError();
  const preview = (await dashboard.previewText()).replace(/\s+/g, ' ');
  const overlap = /\(0 of [^)]*probably[^)]*\)/.exec(preview)?.[0] ?? '';
  console.log(`   preview: ${PRIYA_ACCOUNT_LABEL} ${overlap}`);
  await dashboard.page.getByRole('radio', { name: new RegExp(PRIYA_ACCOUNT_LABEL) }).check();
  await dashboard.page.getByTestId('confirm-import').click();
  const receipt = await dashboard.receipt();
  console.log(`   receipt: ${receipt.text.replace(/\s+/g, ' ').replace(/Technical details.*/, '').trim()}`);

  const connections = (await listConnections(session)).filter((connection) => connection.connectorKey === 'youtube');
  console.log(`\nWhat Gleaner keeps: ${plural(connections.length, 'account', 'accounts')}`);
  const summaries = new Map<string, { sentence: string; pairs: number }[]>();
  for (const connection of connections) {
    console.log(`\n== ${connection.displayName}  (how Gleaner knows the account: ${connection.accountEvidence})`);
    for (const batch of (await listBatches(session, connection.id)).reverse()) {
      const source = batch.provenance.kind === 'artifact' ? batch.provenance.fileName : batch.provenance.pageUrl;
      console.log(`   - ${methodLabel(batch.method)}: ${source}; ${summariseCounts(batch.counts)}`);
    }
    const summary = await session.call<{ sentence: string; pairs: number }[]>('records.probable', { connectionId: connection.id });
    summaries.set(connection.id, summary);
    console.log(`   Kept: ${summary.map((entry) => entry.sentence).join(' · ')}`);
    const reply = await session.call<{ records: { view: { title: string; facts: string[] }; probable?: { reason: string; partner: { view: { title: string; facts: string[] } } } }[] }>('records.query', { connectionId: connection.id, method: 'browser_polyfill' });
    for (const record of reply.records.filter((entry) => entry.probable)) {
      console.log(`   probably one viewing (${record.probable!.reason}): page "${record.view.title}" · ${record.view.facts.join(' · ')}  ⇄  export · ${record.probable!.partner.view.facts.join(' · ')}`);
    }
  }

  console.log('\nChecks');
  const priya = connections.find((connection) => connection.accountLabel === PRIYA_ACCOUNT_LABEL);
  check(connections.length === 2, 'one connection per account (Priya, Theo)');
  check(/does not hold your YouTube watch history/.test(wrongPart.error ?? ''), 'a Takeout zip without the history is refused with which part to upload');
  check(/choose JSON in Takeout's YouTube options/.test(html.error ?? ''), 'the HTML version is refused with "choose JSON in Takeout\'s YouTube options"');
  if (priya) {
    const visible = await extensionVisible(session, priya.id, STREAMS);
    check(visible.length === expected.pageIds.length + expected.exportVideos.length, `every viewing kept apart: ${expected.pageIds.length} from the page, ${expected.exportVideos.length} from the export (ads, a removed video and a visit skipped)`);
    check(summaries.get(priya.id)?.[0]?.pairs === expected.pairedVideos.length, `${expected.pairedVideos.length} page viewings shown as probably also in the export, none merged`);
  }

  console.log('\n6. Priya and Theo link their connections to their personal server and export.');
  for (const connection of connections) await session.call('export.link', { connectionId: connection.id, serverOrigin: server.asUrl });
  const results = (await session.call<{ connectionId: string; status: string }[]>('export.now', {})).filter((result) => connections.some((connection) => connection.id === result.connectionId));
  for (const connection of connections) {
    const link = await linkOf(session, connection.id);
    const held = await ownerVisible(server, link, STREAMS);
    console.log(`   ${connection.displayName}: ${plural(held.length, 'viewing', 'viewings')} on the server (technical: connector ${link.connectorId}, connection ${link.connectorInstanceId})`);
    check(canonicalJson(held) === canonicalJson(await extensionVisible(session, connection.id, STREAMS)), `what the owner reads back equals what Gleaner shows for ${connection.displayName} (both sides of every probable pair)`);
  }
  check(results.length === connections.length && results.every((result) => result.status === 'active'), 'both connections exported completely');
}
