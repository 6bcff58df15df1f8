// @vitest-environment happy-dom
/**
 * The YouTube fixtures through the real merge engine: every order of the
 * batches gives the same visible set; page and export records stay apart; a
 * full-window page claim never hides an export-only viewing; probable pairs
 * come out the same whatever the order, and follow changes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { youtubeWatchHistoryParser as parser } from '../../../../src/connectors/youtube/artifact';
import { youtubeStreams, watchHistoryStream } from '../../../../src/connectors/youtube/streams';
import { applyBatch, type BatchInput } from '../../../../src/core/merge-engine';
import { createConnection } from '../../../../src/core/connections';
import type { CoverageClaim, Observation } from '../../../../src/core/model';
import { findProbablePairs } from '../../../../src/core/probable-duplicates';
import { probablePairsOf } from '../../../../src/background/probable-pairs';
import { createRecordsHandlers } from '../../../../src/background/records-handlers';
import { youtubeConnector } from '../../../../src/connectors/youtube';
import type { GleanerDatabase } from '../../../../src/db/database';
import { PRIYA_DATASYNC_ID, PRIYA_PAGE, TAKEOUT_ENTRY, VIDEOS, priyaExpectations, priyaTakeoutEntries, takeoutJson, todayIn } from '../../../fixtures/youtube';
import { freshDb } from '../../../support/streams';
import { AUCKLAND, LA, NOW, extractPage } from './helpers';

interface Step {
  name: string;
  method: 'browser_polyfill' | 'owner_artifact';
  observations: Observation[];
  coverage: CoverageClaim[];
  dataAsOf: string;
}

function steps(timeZone: string): Step[] {
  const today = todayIn(NOW, timeZone);
  const clock = { now: NOW, timeZone };
  const renderer = extractPage({ today, layout: 'video-renderer', days: PRIYA_PAGE, datasyncId: PRIYA_DATASYNC_ID }, clock);
  // The newer layout, a day later in the owner's life: the same rows, and only the first two days (a partial view).
  const lockup = extractPage({ today, layout: 'lockup', days: PRIYA_PAGE.slice(0, 2), datasyncId: PRIYA_DATASYNC_ID }, clock);
  const exported = parser.parse([{ path: TAKEOUT_ENTRY, text: () => takeoutJson(priyaTakeoutEntries(today, timeZone)) }]);
  return [
    { name: 'page', method: 'browser_polyfill', observations: renderer.observations, coverage: renderer.coverage, dataAsOf: '2026-03-12T15:00:00.000Z' },
    { name: 'page-lockup', method: 'browser_polyfill', observations: lockup.observations, coverage: lockup.coverage, dataAsOf: '2026-03-12T15:05:00.000Z' },
    { name: 'export', method: 'owner_artifact', observations: exported.observations, coverage: exported.coverage, dataAsOf: '2026-03-12T14:00:00.000Z' },
  ];
}

function input(connectionId: string, step: Step, index: number): BatchInput {
  return {
    connectionId,
    connectorKey: 'youtube',
    streams: youtubeStreams,
    method: step.method,
    provenance:
      step.method === 'owner_artifact'
        ? { kind: 'artifact', fileName: 'watch-history.json', sha256: String(index).padStart(64, 'a'), sizeBytes: 100, parserVersion: 'youtube-takeout/1', importedAt: step.dataAsOf }
        : { kind: 'page', pageUrl: 'https://www.youtube.com/feed/history', capturedAt: step.dataAsOf, extractorVersion: 'youtube-page/1' },
    coverage: step.coverage,
    observations: step.observations,
    dataAsOf: step.dataAsOf,
    artifactSha256: step.method === 'owner_artifact' ? String(index).padStart(64, 'a') : undefined,
  };
}

async function merged(order: Step[]): Promise<{ db: GleanerDatabase; connectionId: string }> {
  const db = await freshDb();
  const connection = await createConnection(db, { connectorKey: 'youtube', connectorDisplayName: 'YouTube', accountHint: { key: `youtube|${PRIYA_DATASYNC_ID}`, label: 'Priya', evidence: 'test' } });
  for (const [index, step] of order.entries()) await applyBatch(db, input(connection.id, step, index));
  return { db, connectionId: connection.id };
}

async function visible(db: GleanerDatabase, connectionId: string) {
  const records = await db.records.where('connectionId').equals(connectionId).toArray();
  return records
    .filter((record) => !record.tombstone)
    .map((record) => ({ rid: record.rid, data: record.data, methods: record.methods }))
    .sort((a, b) => a.rid.localeCompare(b.rid));
}

describe.each([LA, AUCKLAND])('Priya in %s', (timeZone) => {
  const all = steps(timeZone);
  const expected = priyaExpectations(todayIn(NOW, timeZone));

  it('gives the same visible records and the same probable pairs in every order of page, page and export', async () => {
    const { db, connectionId } = await merged(all);
    const reference = await visible(db, connectionId);
    const referencePairs = await probablePairsOf(db, connectionId, watchHistoryStream);
    expect(reference).toHaveLength(expected.pageIds.length + expected.exportVideos.length);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), async (order) => {
        const run = await merged(order);
        expect(await visible(run.db, run.connectionId)).toEqual(reference);
        expect(await probablePairsOf(run.db, run.connectionId, watchHistoryStream)).toEqual(referencePairs);
      }),
      { numRuns: 6 },
    );
  });

  it('keeps page and export records apart, keyed differently, and pairs same video on the same local day', async () => {
    const { db, connectionId } = await merged(all);
    const records = await visible(db, connectionId);
    expect(records.filter((r) => r.methods.includes('browser_polyfill')).map((r) => r.data.id).sort()).toEqual([...expected.pageIds].sort());
    expect(records.every((r) => r.methods.length === 1)).toBe(true);
    const pairs = await probablePairsOf(db, connectionId, watchHistoryStream);
    const byRid = new Map(records.map((r) => [r.rid, r]));
    const pagedVideos = pairs.map((pair) => byRid.get(pair.a)!.data.video_id).sort();
    expect(pagedVideos).toEqual([...expected.pairedVideos].sort());
    for (const pair of pairs) {
      const [a, b] = [byRid.get(pair.a)!, byRid.get(pair.b)!];
      expect(new Set([...a.methods, ...b.methods])).toEqual(new Set(['browser_polyfill', 'owner_artifact']));
      expect(pair.reason).toBe('same video, watched on the same day');
    }
    // A's second viewing (ten days back) is not paired with today's page row.
    const secondA = records.find((r) => r.data.video_id === VIDEOS.A.id && r.methods[0] === 'owner_artifact' && !pairs.some((p) => p.a === r.rid || p.b === r.rid));
    expect(secondA).toBeDefined();
    // The same answer from the core function over every record.
    expect(findProbablePairs(watchHistoryStream.probableDuplicates!, records)).toEqual(pairs);
  });

  it('a full-window page claim never hides an export-only viewing', async () => {
    const page = all[0]!;
    const full = { ...page, coverage: [{ ...page.coverage[0]!, start: '2000-01-01', end: '2099-12-31', completeness: 'full' as const }] };
    const { db, connectionId } = await merged([all[2]!, full]);
    const records = await visible(db, connectionId);
    expect(records.filter((r) => r.methods[0] === 'owner_artifact')).toHaveLength(expected.exportVideos.length);
  });
});

describe('records browser and counts', () => {
  it('shows each paired record with its partner and counts honestly; pairs follow changes', async () => {
    const all = steps(LA);
    const { db, connectionId } = await merged([all[0]!]);
    const handlers = createRecordsHandlers(db, [youtubeConnector]);
    expect(await handlers['records.probable']({ connectionId })).toEqual([expect.objectContaining({ total: 5, pairs: 0, sentence: '5 viewings' })]);
    await applyBatch(db, input(connectionId, all[2]!, 9));
    const [summary] = await handlers['records.probable']({ connectionId });
    expect(summary).toMatchObject({ total: 11, pairs: 3, sentence: '11 viewings; 3 probably also in the export' });
    const reply = await handlers['records.query']({ connectionId, method: 'any', includeTombstoned: false, limit: 100, offset: 0 });
    const paired = reply.records.filter((record) => record.probable);
    expect(paired).toHaveLength(6);
    for (const record of paired) {
      expect(record.probable!.partner.data.video_id).toBe(record.data.video_id);
      expect(record.probable!.partner.methods).not.toEqual(record.methods);
    }
  });
});
