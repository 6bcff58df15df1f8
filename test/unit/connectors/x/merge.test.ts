// @vitest-environment happy-dom
/** X's real shapes through the merge engine: every order gives the same visible posts, and the whole text survives a cut one. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xConnector } from '../../../../src/connectors/x';
import { parseXArchive, xArchiveParser } from '../../../../src/connectors/x/artifact';
import { xPageExtractor } from '../../../../src/connectors/x/page';
import { createConnection } from '../../../../src/core/connections';
import { applyBatch, type BatchInput } from '../../../../src/core/merge-engine';
import type { CoverageClaim, Observation } from '../../../../src/core/model';
import type { GleanerDatabase } from '../../../../src/db/database';
import { accounts, archiveFiles, expectations } from '../../../fixtures/x';
import { freshDb } from '../../../support/streams';
import { loadXPage } from './helpers';

interface Fixture {
  name: string;
  method: 'owner_artifact' | 'browser_polyfill';
  observations: Observation[];
  coverage: CoverageClaim[];
  dataAsOf: string;
}

async function fixtures(): Promise<Fixture[]> {
  const archive = await parseXArchive(Object.entries(archiveFiles('dana')).filter(([path]) => xArchiveParser.claims(path)).map(([path, text]) => ({ path, text: () => text })));
  const { doc, url } = loadXPage('dana-profile');
  const page = xPageExtractor.extract(doc, url);
  return [
    { name: 'archive', method: 'owner_artifact', observations: archive.observations, coverage: archive.coverage, dataAsOf: '2024-06-10T08:00:00.000Z' },
    { name: 'page', method: 'browser_polyfill', observations: page.observations, coverage: page.coverage, dataAsOf: '2024-06-12T09:00:00.000Z' },
    // An earlier look at the profile, before the archive: the long post already cut.
    { name: 'earlier page', method: 'browser_polyfill', observations: page.observations, coverage: page.coverage, dataAsOf: '2024-06-06T09:00:00.000Z' },
    // A claim of everything in the archive's window, from pages: it must hide nothing the archive alone holds.
    { name: 'full page window', method: 'browser_polyfill', observations: page.observations.slice(0, 1), coverage: [{ stream: 'tweets', start: '2019-01-01', end: '2024-06-12', completeness: 'full' }], dataAsOf: '2024-06-13T09:00:00.000Z' },
  ];
}

function input(connectionId: string, fixture: Fixture, index: number): BatchInput {
  const sha = `${index + 1}`.padStart(64, 'a');
  return {
    connectionId,
    connectorKey: xConnector.key,
    streams: xConnector.streams,
    method: fixture.method,
    provenance:
      fixture.method === 'owner_artifact'
        ? { kind: 'artifact', fileName: 'twitter.zip', sha256: sha, sizeBytes: 10, parserVersion: xConnector.parserVersion, importedAt: fixture.dataAsOf }
        : { kind: 'page', pageUrl: `https://x.com/danawhit?${fixture.name.replace(/\W/g, '')}`, capturedAt: fixture.dataAsOf, extractorVersion: xConnector.extractorVersion },
    coverage: fixture.coverage,
    observations: fixture.observations,
    dataAsOf: fixture.dataAsOf,
    artifactSha256: fixture.method === 'owner_artifact' ? sha : undefined,
    batchId: `bat_${fixture.name.replace(/\W/g, '')}`,
    now: '2024-06-14T00:00:00.000Z',
  };
}

async function visible(db: GleanerDatabase, connectionId: string) {
  const records = await db.records.where('connectionId').equals(connectionId).toArray();
  return records.filter((record) => !record.tombstone).map((record) => ({ key: record.key, data: record.data })).sort((a, b) => a.key.localeCompare(b.key));
}

describe('X posts merged in every order', () => {
  it('give the same visible posts and data; the whole long text and every archive-only post survive', async () => {
    const all = await fixtures();
    let reference: Awaited<ReturnType<typeof visible>> | undefined;
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(all.map((_, index) => index), { minLength: all.length, maxLength: all.length }), async (order) => {
        const db = await freshDb();
        const connection = await createConnection(db, { connectorKey: 'x', connectorDisplayName: 'X', accountHint: { key: accounts.dana.key, label: '@danawhit', evidence: 'test' } });
        for (const index of order) await applyBatch(db, input(connection.id, all[index]!, index));
        const shown = await visible(db, connection.id);
        expect(shown.map((record) => record.key)).toEqual(expectations.visible);
        expect(shown.find((record) => record.key === expectations.longPost.id)!.data.text).toBe(expectations.longPost.text);
        reference ??= shown;
        expect(shown).toEqual(reference);
        db.close();
      }),
      { numRuns: 24 },
    );
  });
});
