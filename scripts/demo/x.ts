/** The X story: Dana browses her profile (a long post cut at "Show more", a repost), imports her archive; Sam browses his; both export to the personal server. */
import { expectations, makeXArchiveZip, X_ARCHIVE_ZIP_NAME, YOUR_ARCHIVE_HTML } from '../../test/fixtures/x';
import { browseX, browseXExpectingNothing } from '../../test/e2e/pages/x-site';
import { DashboardPage } from '../../test/e2e/pages/dashboard-page';
import { extensionVisible, linkOf, ownerVisible } from '../../test/e2e/pages/server-readback';
import { canonicalJson } from '../../src/export/canonical-json';
import { listBatches, listConnections, listRecords } from '../../test/e2e/support/api';
import { completenessWord, formatWindow, methodLabel, plural, summariseCounts } from '../../src/ui/format';
import { tweetsStream } from '../../src/connectors/x/streams';
import type { DemoContext } from './context';

const posts = (n: number) => plural(n, 'post', 'posts');
const STREAMS = ['tweets'];

export async function xStory({ session, server, check }: DemoContext): Promise<void> {
  console.log('Gleaner demo: Dana browses her X profile, then imports her X archive; Sam browses his profile.\n');
  console.log('1. Dana, signed in on x.com, opens Priya’s profile (someone she follows): nothing is kept.');
  await browseXExpectingNothing(session, 'priya-profile');
  const afterPriya = (await listConnections(session)).filter((connection) => connection.connectorKey === 'x').length;
  console.log('2. Dana opens her own profile: a new post, her repost of Priya’s post, a long post cut at "Show more", a post with "&".');
  await browseX(session, 'dana-profile');
  console.log('3. Dana tries the archive’s "Your archive.html" first.');
  const dashboard = await DashboardPage.open(session);
  await dashboard.chooseFile({ name: 'Your archive.html', buffer: Buffer.from(YOUR_ARCHIVE_HTML), mimeType: 'text/html' });
  const refused = await dashboard.waitForPreviewOrError();
  console.log(`   Gleaner says: ${refused.error?.replace(/\s+/g, ' ').trim()}`);
  await dashboard.refresh();
  console.log('4. She uploads the whole archive zip; the preview names her account.');
  await dashboard.chooseFile({ name: X_ARCHIVE_ZIP_NAME, buffer: Buffer.from(makeXArchiveZip('dana')), mimeType: 'application/zip' });
  await dashboard.waitForPreviewOrError();
  const account = (await dashboard.page.getByTestId('preview-account').textContent().catch(() => '')) ?? '';
  console.log(`   preview: ${account.trim()}`);
  const receipt = await dashboard.importFile({ name: X_ARCHIVE_ZIP_NAME, buffer: Buffer.from(makeXArchiveZip('dana')), mimeType: 'application/zip' }, { keepSuggested: true });
  console.log(`   receipt: ${receipt.text.replace(/\s+/g, ' ').trim()}`);
  console.log('5. Sam, another account in the same browser, opens his own profile.\n');
  await browseX(session, 'sam-profile');

  const connections = (await listConnections(session)).filter((connection) => connection.connectorKey === 'x');
  console.log(`What Gleaner keeps: ${plural(connections.length, 'X account', 'X accounts')}`);
  for (const connection of connections) {
    console.log(`\n== ${connection.displayName}  (how Gleaner knows the account: ${connection.accountEvidence})`);
    for (const batch of (await listBatches(session, connection.id)).reverse()) {
      const source = batch.provenance.kind === 'artifact' ? batch.provenance.fileName : batch.provenance.pageUrl;
      const window = batch.coverage.find((claim) => claim.stream === 'tweets');
      console.log(`   - ${methodLabel(batch.method)}: ${source}; ${window ? `${formatWindow(window.start, window.end)} (${completenessWord(window.completeness)})` : 'no posts'}; ${summariseCounts(batch.counts)}`);
      for (const warning of batch.warnings) console.log(`     note: ${warning.message}`);
    }
    const records = await listRecords(session, connection.id, 'tweets');
    console.log(`   Kept: ${posts(records.length)}, ${records.filter((record) => record.methods.length > 1).length} seen both on the profile and in the archive`);
    for (const record of records.slice(0, 12)) {
      const view = tweetsStream.present!(record.data);
      console.log(`   · ${view.title}${view.facts.length ? `  [${view.facts.join(' · ')}]` : ''}`);
    }
  }

  console.log('\nChecks');
  const dana = connections.find((connection) => connection.accountKey === expectations.accounts.dana.key);
  const sam = connections.find((connection) => connection.accountKey === expectations.accounts.sam.key);
  check(afterPriya === 0, 'someone else’s profile kept nothing');
  check(refused.error !== undefined && /Upload the whole archive zip/.test(refused.error), 'the archive’s web page was refused with what to upload instead');
  check(connections.length === 2 && !!dana && !!sam, 'one connection per X account (Dana, Sam)');
  if (dana) {
    const records = await listRecords(session, dana.id, 'tweets');
    check(canonicalJson(records.map((record) => record.key).sort()) === canonicalJson(expectations.visible), `all ${expectations.visible.length} of Dana’s posts visible (archive + profile), her repost of Priya’s post not among them`);
    check(records.find((record) => record.key === expectations.longPost.id)?.data.text === expectations.longPost.text, 'the long post kept its whole text after the profile showed it cut at "Show more"');
    check(records.find((record) => record.key === expectations.deleted.id)?.data.deleted_by_owner === true, 'the post Dana deleted is kept and marked as deleted by her');
  }

  console.log('\n6. Dana and Sam link their X connections to their personal server and export.');
  for (const connection of connections) await session.call('export.link', { connectionId: connection.id, serverOrigin: server.asUrl });
  const results = (await session.call<{ connectionId: string; status: string }[]>('export.now', {})).filter((result) => connections.some((connection) => connection.id === result.connectionId));
  for (const connection of connections) {
    const held = await ownerVisible(server, await linkOf(session, connection.id), STREAMS);
    console.log(`   ${connection.displayName}: ${posts(held.length)} on the server`);
    check(canonicalJson(held) === canonicalJson(await extensionVisible(session, connection.id, STREAMS)), `what the owner reads back equals what Gleaner shows for ${connection.displayName}`);
  }
  check(results.length === connections.length && results.every((result) => result.status === 'active'), 'both X connections exported completely');
}
