// @vitest-environment happy-dom
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { netflixConnector } from '../../../../src/connectors/netflix';
import { netflixViewingActivityParser as full, netflixViewingHistoryParser as quick } from '../../../../src/connectors/netflix/artifact';
import { netflixPageExtractor } from '../../../../src/connectors/netflix/page';
import { NetflixViewing, possibleLocalDays, viewingActivityStream } from '../../../../src/connectors/netflix/streams';
import { normaliseTitle } from '../../../../src/connectors/netflix/util';
import { connectorByKey, connectorForUrl } from '../../../../src/connectors/registry';
import { applyBatch } from '../../../../src/core/merge-engine';
import type { AcquisitionMethod, CoverageClaim, Observation, StoredRecord } from '../../../../src/core/model';
import { findProbablePairs } from '../../../../src/core/probable-duplicates';
import { createConnection } from '../../../../src/core/connections';
import { buildManifest } from '../../../../src/export/manifest';
import type { GleanerDatabase } from '../../../../src/db/database';
import { freshDb } from '../../../support/streams';
import { expectations, readNetflixFixture } from '../../../fixtures/netflix';
import { withTimeZone } from '../amazon/helpers';
import { loadPage, showMore } from './helpers';

function pageCapture(profile: 'dana' | 'sam', more = false) {
  const { doc, url } = loadPage(profile === 'dana' ? 'viewingactivity-dana.html' : 'viewingactivity-sam.html');
  if (more) showMore(doc);
  return netflixPageExtractor.extract(doc, url);
}

function exportRows(profile?: string): Observation[] {
  const observations = full.parse([{ path: 'CONTENT_INTERACTION/ViewingActivity.csv', text: () => readNetflixFixture('ViewingActivity.csv') }]).observations;
  return profile ? observations.filter((o) => o.data.profile_name === profile) : observations;
}

function candidates(sets: { method: AcquisitionMethod; observations: Observation[] }[]) {
  return sets.flatMap(({ method, observations }) => observations.map((o) => ({ rid: `${method}/${o.data.id as string}`, data: o.data, methods: [method] })));
}

describe('netflixConnector', () => {
  it('is registered for www.netflix.com only, with both export parsers', () => {
    expect(connectorByKey('netflix')).toBe(netflixConnector);
    expect(connectorForUrl('https://www.netflix.com/viewingactivity')).toBe(netflixConnector);
    expect(netflixConnector.matches).toEqual(['https://www.netflix.com/viewingactivity*']);
    expect(netflixConnector.artifactParsers.map((p) => p.id)).toEqual(['netflix-viewing-history', 'netflix-viewing-activity']);
    expect(netflixConnector.accountHintFromOwnerName?.('Dana')?.key).toBe(expectations.profileKeys.dana);
  });

  it('declares no identity across methods, and a probable-duplicate rule', () => {
    expect(viewingActivityStream).toMatchObject({ primaryKey: ['id'], eventTimeField: 'watched_on', crossMethodIdentity: false, crossMethodReconciliation: false });
    expect(viewingActivityStream.probableDuplicates?.reason).toMatch(/same title/);
  });

  it('builds a manifest the server accepts (cursor a date, reference field names)', async () => {
    const manifest = await buildManifest(netflixConnector);
    const stream = manifest.streams.find((s) => s.name === 'viewing_activity')!;
    expect(stream.cursor_field).toBe('watched_on');
    const properties = stream.schema.properties as Record<string, { format?: string }>;
    expect(properties.watched_on?.format).toBe('date');
    expect(Object.keys(properties)).toEqual(expect.arrayContaining(['id', 'title', 'watched_at', 'watched_at_precision', 'profile_name', 'device_type', 'duration_seconds', 'country', 'source_schema']));
  });

  it('validates records strictly', () => {
    const record = pageCapture('dana').observations[0]!.data;
    expect(NetflixViewing.safeParse(record).success).toBe(true);
    expect(NetflixViewing.safeParse({ ...record, watched_on: '3/17/24' }).success).toBe(false);
    expect(NetflixViewing.safeParse({ ...record, id: 'x' }).success).toBe(false);
    expect(NetflixViewing.safeParse({ ...record, title_url: 'https://evil.test/title/1' }).success).toBe(false);
    expect(NetflixViewing.safeParse({ ...record, watched_at: '2024-03-17' }).success).toBe(false);
  });

  it('describes a viewing in Netflix’s words', () => {
    const viewing = exportRows('Dana')[0]!.data;
    expect(viewingActivityStream.present!(viewing)).toEqual({ title: 'Harbor Lights: Season 1: Big Man (Episode 8)', facts: ['Profile Dana', 'Watched 47 min', 'Samsung 2019 UHD TV'] });
  });
});

describe('probable duplicates', () => {
  it('normalises the three spellings of one episode to one title', () => {
    const spellings = ['Harbor Lights: Season 1: Big Man (Episode 8)', 'Harbor Lights: Season 1: "Big Man"', 'Harbor Lights: Season 1: Big Man'];
    expect(new Set(spellings.map(normaliseTitle)).size).toBe(1);
    expect(normaliseTitle('Le Bureau des Légendes\u00a0: Saison 1')).toBe(normaliseTitle('Le Bureau des Légendes : Saison 1'));
  });

  it('lets a UTC instant stand for the local days it can be', () => {
    expect(possibleLocalDays({ watched_at_precision: 'instant', watched_at: '2024-03-16T02:10:00Z' })).toEqual(['2024-03-16', '2024-03-15']);
    expect(possibleLocalDays({ watched_at_precision: 'instant', watched_at: '2024-03-16T22:01:00Z' })).toEqual(['2024-03-16', '2024-03-17']);
    expect(possibleLocalDays({ watched_at_precision: 'instant', watched_at: '2024-03-16T11:00:00Z' })).toEqual(['2024-03-16', '2024-03-15', '2024-03-17']);
    expect(possibleLocalDays({ watched_at_precision: 'day', watched_on: '2024-03-16' })).toEqual(['2024-03-16']);
  });

  for (const profile of ['Dana', 'Sam O.'] as const) {
    it(`pairs ${profile}’s page rows with their export viewings, whatever the browser’s time zone`, () => {
      for (const zone of ['America/Los_Angeles', 'Asia/Tokyo']) {
        const page = pageCapture(profile === 'Dana' ? 'dana' : 'sam', profile === 'Dana').observations;
        const exported = withTimeZone(zone, () => exportRows(profile));
        const records = candidates([{ method: 'browser_polyfill', observations: page }, { method: 'owner_artifact', observations: exported }]);
        const byRid = new Map(records.map((r) => [r.rid, r.data]));
        const pairs = findProbablePairs(viewingActivityStream.probableDuplicates!, records);
        const shown = pairs.map((pair) => {
          const [a, b] = [byRid.get(pair.a)!, byRid.get(pair.b)!];
          const [pageSide, exportSide] = a.source_schema === 'full_export' ? [b, a] : [a, b];
          return [pageSide.title, exportSide.watched_at];
        });
        expect(shown.sort()).toEqual([...expectations.probablePairs[profile]!].sort());
      }
    });
  }

  it('pairs the quick CSV with the page, never two records of one method, never across titles', () => {
    const page = pageCapture('dana').observations;
    const csv = quick.parse([{ path: 'NetflixViewingHistory.csv', text: () => readNetflixFixture('NetflixViewingHistory.csv') }]).observations;
    const pairs = findProbablePairs(viewingActivityStream.probableDuplicates!, candidates([{ method: 'browser_polyfill', observations: page }, { method: 'owner_artifact', observations: csv }]));
    expect(pairs).toHaveLength(3); // Big Man, Café Lumière, The Quiet Orchard; not Paper Moons or Night Ferry
    const alone = findProbablePairs(viewingActivityStream.probableDuplicates!, candidates([{ method: 'owner_artifact', observations: [...csv, ...exportRows('Dana')] }]));
    expect(alone).toEqual([]);
  });
});

describe('merging Netflix’s fixtures', () => {
  interface FixtureBatch {
    name: string;
    method: AcquisitionMethod;
    observations: Observation[];
    coverage: CoverageClaim[];
    dataAsOf: string;
  }
  const page = pageCapture('dana');
  const pageMore = pageCapture('dana', true);
  const csv = quick.parse([{ path: 'NetflixViewingHistory.csv', text: () => readNetflixFixture('NetflixViewingHistory.csv') }]);
  const iso = quick.parse([{ path: 'NetflixViewingHistory-iso.csv', text: () => readNetflixFixture('NetflixViewingHistory-iso.csv') }]);
  const exported = full.parse([{ path: 'CONTENT_INTERACTION/ViewingActivity.csv', text: () => readNetflixFixture('ViewingActivity.csv') }]);
  const batches: FixtureBatch[] = [
    { name: 'page', method: 'browser_polyfill', observations: page.observations, coverage: page.coverage, dataAsOf: '2024-03-18T10:00:00Z' },
    { name: 'page-more', method: 'browser_polyfill', observations: pageMore.observations, coverage: pageMore.coverage, dataAsOf: '2024-03-18T10:01:00Z' },
    { name: 'csv', method: 'owner_artifact', observations: csv.observations, coverage: csv.coverage, dataAsOf: '2024-03-16T09:00:00Z' },
    { name: 'iso', method: 'owner_artifact', observations: iso.observations, coverage: iso.coverage, dataAsOf: '2024-03-16T09:30:00Z' },
    { name: 'export', method: 'owner_artifact', observations: exported.observations.filter((o) => o.data.profile_name === 'Dana'), coverage: exported.coverage, dataAsOf: '2024-03-16T12:00:00Z' },
  ];

  async function merge(order: FixtureBatch[], extra?: FixtureBatch): Promise<{ db: GleanerDatabase; connectionId: string }> {
    const db = await freshDb();
    const connection = await createConnection(db, { connectorKey: 'netflix', connectorDisplayName: 'Netflix', accountHint: { key: expectations.profileKeys.dana, label: 'Dana', evidence: 'test' } });
    for (const batch of extra ? [...order, extra] : order) {
      const sha = batch.method === 'owner_artifact' ? batch.name.padStart(64, '0').replace(/[^0-9a-f]/g, 'a') : undefined;
      await applyBatch(db, {
        connectionId: connection.id,
        connectorKey: 'netflix',
        streams: netflixConnector.streams,
        method: batch.method,
        provenance:
          batch.method === 'owner_artifact'
            ? { kind: 'artifact', fileName: `${batch.name}.csv`, sha256: sha!, sizeBytes: 10, parserVersion: 'netflix-csv/1', importedAt: batch.dataAsOf }
            : { kind: 'page', pageUrl: 'https://www.netflix.com/viewingactivity', capturedAt: batch.dataAsOf, extractorVersion: 'netflix-page/1' },
        coverage: batch.coverage,
        observations: batch.observations,
        dataAsOf: batch.dataAsOf,
        artifactSha256: sha,
      });
    }
    return { db, connectionId: connection.id };
  }

  const visible = async (db: GleanerDatabase, connectionId: string) =>
    (await db.records.where('connectionId').equals(connectionId).toArray())
      .filter((record: StoredRecord) => !record.tombstone)
      .map((record) => `${record.rid} ${JSON.stringify(record.data)}`)
      .sort();

  it('gives the same visible set in every order, keeping every method’s records apart', async () => {
    const reference = await merge(batches);
    const expected = await visible(reference.db, reference.connectionId);
    // 6 page rows (4 + 2 more), 4 + 2 quick CSV rows (Big Man and Night Ferry keyed alike in both), 5 export viewings.
    expect(expected).toHaveLength(6 + 4 + 5);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(batches, { minLength: batches.length, maxLength: batches.length }), async (order) => {
        const { db, connectionId } = await merge(order);
        expect(await visible(db, connectionId)).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });

  it('never hides an export-only viewing under a full-window capture', async () => {
    const everything: FixtureBatch = { ...batches[1]!, name: 'page-full', dataAsOf: '2024-03-19T00:00:00Z', coverage: [{ stream: 'viewing_activity', start: '2000-01-01', end: '2030-01-01', completeness: 'full' }] };
    const { db, connectionId } = await merge(batches, everything);
    const rows = await db.records.where('connectionId').equals(connectionId).toArray();
    const exportOnly = rows.filter((record) => record.methods.every((method) => method === 'owner_artifact'));
    expect(exportOnly.length).toBeGreaterThan(0);
    for (const record of exportOnly) expect(record.tombstone).toBeUndefined();
  });
});
