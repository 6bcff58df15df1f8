/**
 * The Reddit story: Dana imports her data export (it names her account), then
 * browses her four everyday listings, which fill in the titles and dates the
 * export's saved and vote files lack; she glances at someone else's profile
 * (nothing kept); Sam browses his posts; both export to the personal server.
 */
import { REDDIT_EXPORT_ZIP_NAME, REDDIT_STREAMS, danaVisibleByStream, expectations, makeRedditExportZip } from '../../test/fixtures/reddit';
import { DANA_LISTINGS, browseReddit, browseRedditExpectingNothing } from '../../test/e2e/pages/reddit-site';
import { DashboardPage } from '../../test/e2e/pages/dashboard-page';
import { extensionVisible, linkOf, ownerVisible } from '../../test/e2e/pages/server-readback';
import { canonicalJson } from '../../src/export/canonical-json';
import { listBatches, listConnections, listRecords } from '../../test/e2e/support/api';
import { completenessWord, formatWindow, methodLabel, plural, summariseCounts } from '../../src/ui/format';
import { redditOwnerCopy, redditStreams } from '../../src/connectors/reddit';
import type { DemoContext } from './context';

const NOUNS = redditOwnerCopy.streamNouns as Record<string, { one: string; other: string }>;
const noun = (stream: string, count: number) => plural(count, NOUNS[stream]?.one ?? 'record', NOUNS[stream]?.other ?? 'records');
const streamDef = (name: string) => redditStreams.find((stream) => stream.name === name)!;

export async function redditStory({ session, server, check }: DemoContext): Promise<void> {
  console.log('Gleaner demo: Dana imports her Reddit export, then browses her lists; Sam browses his.\n');
  const dashboard = await DashboardPage.open(session);
  console.log(`1. Dana uploads ${REDDIT_EXPORT_ZIP_NAME} in the dashboard; the file names her account (u/Dana_Writes).`);
  const zip = () => ({ name: REDDIT_EXPORT_ZIP_NAME, buffer: Buffer.from(makeRedditExportZip()), mimeType: 'application/zip' });
  const receipt = await dashboard.importFile(zip(), { keepSuggested: true });
  console.log(`   receipt: ${receipt.text.replace(/\s+/g, ' ').trim()}`);
  const reddit = async () => (await listConnections(session)).filter((connection) => connection.connectorKey === 'reddit');
  const danaId = (await reddit()).find((connection) => connection.accountKey === expectations.accounts.dana.key)?.id;
  const savedBefore = danaId ? await listRecords(session, danaId, 'saved') : [];
  console.log(`   Her saved items from the export: ${savedBefore.map((record) => `"${streamDef('saved').present!(record.data).title}"`).join(', ')}`);
  console.log('2. Dana opens her posts, comments, saved and upvoted lists on old.reddit.com (signed in as dana_writes).');
  for (const fixture of DANA_LISTINGS) await browseReddit(session, fixture);
  console.log('3. She looks at Fern_Hollow’s posts while signed in: not hers, so nothing is kept.');
  await browseRedditExpectingNothing(session, 'old-submitted-fern.html');
  console.log('4. Sam, another account in the same browser, opens his posts.\n');
  await browseReddit(session, 'old-submitted-sam.html');

  const connections = await reddit();
  console.log(`What Gleaner keeps: ${plural(connections.length, 'Reddit account', 'Reddit accounts')}`);
  for (const connection of connections) {
    console.log(`\n== ${connection.displayName}  (how Gleaner knows the account: ${connection.accountEvidence})`);
    for (const batch of (await listBatches(session, connection.id)).reverse()) {
      const source = batch.provenance.kind === 'artifact' ? batch.provenance.fileName : batch.provenance.pageUrl;
      const windows = batch.coverage.map((claim) => `${NOUNS[claim.stream]?.other ?? claim.stream} ${formatWindow(claim.start, claim.end)} (${completenessWord(claim.completeness)})`).join('; ');
      console.log(`   - ${methodLabel(batch.method)}: ${source}`);
      console.log(`     ${windows || 'no dated window'}; ${summariseCounts(batch.counts)}`);
    }
    const kept: string[] = [];
    for (const stream of REDDIT_STREAMS) {
      const records = await listRecords(session, connection.id, stream);
      if (records.length > 0) kept.push(`${noun(stream, records.length)} (${records.filter((record) => record.methods.length > 1).length} seen both ways, ${records.filter((record) => !record.eventTime).length} undated)`);
    }
    console.log(`   Kept: ${kept.join(' · ')}`);
  }

  console.log('\nChecks');
  const dana = connections.find((connection) => connection.accountKey === expectations.accounts.dana.key);
  const sam = connections.find((connection) => connection.accountKey === expectations.accounts.sam.key);
  check(connections.length === 2 && !!dana && !!sam, 'one connection per account: Dana_Writes (export) and dana_writes (pages) are one, Sam another');
  if (dana) {
    const expected = danaVisibleByStream();
    let all = true;
    for (const stream of REDDIT_STREAMS) {
      const keys = (await listRecords(session, dana.id, stream)).map((record) => record.key).sort();
      all &&= canonicalJson(keys) === canonicalJson(expected[stream]);
    }
    check(all, 'every post, comment, saved, voted and hidden item of Dana’s is visible (export + pages)');
    const filled = await Promise.all(expectations.overlap.filled.map(async ({ stream, id, title }) => (await listRecords(session, dana.id, stream)).find((record) => record.key === id)?.data.title === title));
    check(filled.every(Boolean), 'titles and dates from the pages filled the export’s saved and upvoted items');
    const undated = await Promise.all(expectations.overlap.neverFilled.map(async ({ stream, id }) => (await listRecords(session, dana.id, stream)).find((record) => record.key === id)?.eventTime === ''));
    check(undated.every(Boolean), 'items no page has shown stay undated (never dated by the import)');
    const upvoted = await listRecords(session, dana.id, 'upvoted');
    check(!upvoted.some((record) => record.key === expectations.export.noneVote), 'a vote of "none" is not an upvote');
    const fern = await Promise.all(REDDIT_STREAMS.map(async (stream) => (await listRecords(session, dana.id, stream, true)).some((record) => record.key === 't3_1c3fe7n')));
    check(!fern.some(Boolean), 'Fern_Hollow’s post was not kept as Dana’s');
  }
  if (sam) check((await listRecords(session, sam.id, 'submitted')).length === expectations.pages['old-submitted-sam.html'].ids.length, 'Sam’s posts stayed in Sam’s connection');

  console.log('\n5. Dana and Sam link their Reddit connections to their personal server and export.');
  for (const connection of connections) await session.call('export.link', { connectionId: connection.id, serverOrigin: server.asUrl });
  const results = (await session.call<{ connectionId: string; status: string; sent: number }[]>('export.now', {})).filter((result) => connections.some((connection) => connection.id === result.connectionId));
  console.log('\nWhat the owner reads back from the personal server');
  const readBack = new Map<string, boolean>();
  for (const connection of connections) {
    const link = await linkOf(session, connection.id);
    const held = await ownerVisible(server, link, REDDIT_STREAMS);
    const counts = REDDIT_STREAMS.map((stream) => [stream, held.filter((record) => record.stream === stream).length] as const).filter(([, n]) => n > 0);
    console.log(`\n== ${connection.displayName}: ${counts.map(([stream, n]) => noun(stream, n)).join(' · ')}`);
    console.log(`   technical: server connection ${link.connectorInstanceId}, account name on the server "${link.localBindingName}", connector ${link.connectorId}`);
    readBack.set(connection.id, canonicalJson(held) === canonicalJson(await extensionVisible(session, connection.id, REDDIT_STREAMS)));
  }
  console.log('\nExport checks');
  check(results.length === connections.length && results.every((result) => result.status === 'active'), 'both Reddit connections exported completely');
  for (const connection of connections) check(readBack.get(connection.id) === true, `what the owner reads back equals what Gleaner shows for ${connection.displayName} (all six lists, every field)`);
}
