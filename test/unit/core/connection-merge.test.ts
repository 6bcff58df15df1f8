/**
 * Merging two connections and moving one import, as properties over generated
 * batch sequences: the result is exactly what applying the same batches to one
 * connection gives (records, versions, batches, methods, what is hidden), every
 * receipt survives, and M1–M10 still hold afterwards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from '../../../src/connectors/types';
import { AccountChangeRefused, mergeConnections, planMerge } from '../../../src/core/connection-merge';
import { createConnection } from '../../../src/core/connections';
import { coverageView } from '../../../src/core/coverage';
import { moveImport, planMove } from '../../../src/core/import-move';
import { applyBatch, claimTombstones } from '../../../src/core/merge-engine';
import type { AcquisitionMethod, CoverageClaim, StoredRecord } from '../../../src/core/model';
import type { GleanerDatabase } from '../../../src/db/database';
import { batchInput, obs, type TestBatch } from '../../support/batches';
import { freshDb, testConnection, testStreams } from '../../support/streams';
import { expectTalliesExact } from '../../support/tallies';

const connectors = [{ key: 'test', displayName: 'Test', streams: testStreams, ownerCopy: { acquisitionPaths: [], streamNouns: { orders: { one: 'order', other: 'orders' } } } }] as unknown as ConnectorDefinition[];
const streamNames = ['orders', 'views', 'synced'] as const;
const day = fc.integer({ min: 10, max: 19 }).map((d) => `2024-01-${d}`);
const observation = fc
  .record({
    stream: fc.constantFrom(...streamNames),
    id: fc.constantFrom('k1', 'k2', 'k3', 'k4'),
    at: day,
    title: fc.option(fc.constantFrom('Lamp with shade', 'Lamp', 'Lamp…', ''), { nil: undefined }),
    note: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
  })
  .map(({ stream, ...fields }) => ({ stream, data: Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) }));
const claim: fc.Arbitrary<CoverageClaim> = fc
  .record({ stream: fc.constantFrom(...streamNames), a: day, b: day, completeness: fc.constantFrom('partial' as const, 'full' as const) })
  .map(({ stream, a, b, completeness }) => ({ stream, start: a < b ? a : b, end: a < b ? b : a, completeness }));
const generatedBatch = fc.record({
  connection: fc.constantFrom(0, 1),
  method: fc.constantFrom<AcquisitionMethod>('browser_polyfill', 'owner_artifact'),
  observations: fc.uniqueArray(observation, { maxLength: 6, selector: (o) => `${o.stream}/${o.data.id}` }),
  coverage: fc.array(claim, { maxLength: 2 }),
});
const sequence = fc.array(generatedBatch, { minLength: 1, maxLength: 10 });
type Generated = { connection: number; method: AcquisitionMethod; observations: TestBatch['observations']; coverage: CoverageClaim[]; batchId: string; dataAsOf: string };

function label(batches: Omit<Generated, 'batchId' | 'dataAsOf'>[]): Generated[] {
  return batches.map((batch, index) => ({ ...batch, batchId: `b${String(index).padStart(3, '0')}`, dataAsOf: `2025-01-01T00:00:${String(index).padStart(2, '0')}Z` }));
}

function toInput(batch: Generated): TestBatch {
  return { method: batch.method, observations: batch.observations, coverage: batch.coverage, dataAsOf: batch.dataAsOf, batchId: batch.batchId, sha: batch.method === 'owner_artifact' ? batch.batchId.padStart(64, 'f') : undefined };
}

/** Two connections of one account: `a` greeted by the service, `b` named by the owner at an import. */
async function twoConnections(db: GleanerDatabase): Promise<string[]> {
  const a = await testConnection(db, 'dana');
  const b = await createConnection(db, { connectorKey: 'test', connectorDisplayName: 'Test', label: 'Dana W' });
  return [a.id, b.id];
}

async function applyAll(db: GleanerDatabase, connectionId: string, batches: Generated[]): Promise<void> {
  for (const batch of batches) await applyBatch(db, batchInput(connectionId, toInput(batch)));
}

/** What a connection holds, independent of ids, arrival times and list order. */
async function state(db: GleanerDatabase, connectionId: string) {
  const records: StoredRecord[] = await db.records.where('connectionId').equals(connectionId).toArray();
  return records
    .map((record) => ({
      stream: record.stream,
      rid: record.rid,
      key: record.key,
      eventTime: record.eventTime,
      data: record.data,
      hidden: !!record.tombstone,
      batchIds: [...record.batchIds].sort(),
      methods: [...record.methods].sort(),
      versions: record.versions.map((version) => ({ ...version, batchIds: [...version.batchIds].sort() })).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    }))
    .sort((x, y) => `${x.stream}/${x.rid}`.localeCompare(`${y.stream}/${y.rid}`));
}

/** M6 after the fact: every tombstone comes from an authorising full claim of a batch of the same connection. */
async function tombstonesAuthorised(db: GleanerDatabase, connectionId: string): Promise<void> {
  const batches = await db.batches.where('connectionId').equals(connectionId).toArray();
  for (const record of await db.records.where('connectionId').equals(connectionId).toArray()) {
    if (!record.tombstone) continue;
    const setter = batches.find((batch) => batch.id === record.tombstone!.batchId);
    expect(setter).toBeDefined();
    const stream = testStreams.find((candidate) => candidate.name === record.stream)!;
    expect(setter!.coverage.some((covered) => claimTombstones(stream, record, { batchId: setter!.id, method: setter!.method, dataAsOf: setter!.dataAsOf, claim: covered }))).toBe(true);
  }
}

/** M8: every claim of every batch of the connection stays inside a coverage window of its stream and method. */
async function coverageKept(db: GleanerDatabase, connectionId: string): Promise<void> {
  const batches = await db.batches.where('connectionId').equals(connectionId).toArray();
  const view = coverageView(batches);
  for (const batch of batches) {
    for (const covered of batch.coverage) {
      const windows = view.find((entry) => entry.stream === covered.stream)?.methods.find((method) => method.method === batch.method)?.windows ?? [];
      expect(windows.some((window) => window.start <= covered.start && window.end >= covered.end)).toBe(true);
    }
  }
}

const NUM_RUNS = 30;
/** Each property run builds two databases; generous for a loaded 2-core machine. */
const PROPERTY_TIMEOUT = 90_000;

describe('merging two connections', () => {
  it('gives exactly what the same batches applied to one connection give, keeping every receipt (M1–M10)', async () => {
    await fc.assert(
      fc.asyncProperty(sequence, fc.boolean(), async (raw, keepFirst) => {
        const batches = label(raw);
        const db = await freshDb();
        const ids = await twoConnections(db);
        for (const batch of batches) await applyBatch(db, batchInput(ids[batch.connection]!, toInput(batch)));
        const bystander = (await testConnection(db, 'sam')).id;
        await applyBatch(db, batchInput(bystander, { method: 'browser_polyfill', observations: [obs('orders', 'k1', '2024-01-12')], coverage: [{ stream: 'orders', start: '2024-01-10', end: '2024-01-19', completeness: 'full' }] }));
        const bystanderBefore = await db.records.where('connectionId').equals(bystander).toArray();
        const receiptsBefore = await db.batches.where('connectionId').anyOf(ids).toArray();
        const [keep, absorb] = keepFirst ? [ids[0]!, ids[1]!] : [ids[1]!, ids[0]!];

        await mergeConnections(db, connectors, keep, absorb);

        const reference = await freshDb();
        const single = (await testConnection(reference, 'dana')).id;
        await applyAll(reference, single, batches);
        expect(await state(db, keep)).toEqual(await state(reference, single));
        // Every receipt, unchanged but for its connection and a note of where it was.
        for (const before of receiptsBefore) {
          const after = await db.batches.get(before.id);
          const { connectionId: _c, formerConnections: _f, ...rest } = after!;
          const { connectionId: _c2, formerConnections: _f2, ...restBefore } = before;
          expect(rest).toEqual(restBefore);
          expect(after!.connectionId).toBe(keep);
        }
        expect(await db.connections.get(absorb)).toBeUndefined();
        expect(await db.records.where('connectionId').equals(absorb).count()).toBe(0);
        expect(await db.batches.where('connectionId').equals(absorb).count()).toBe(0);
        // M1: another account is untouched.
        expect(await db.records.where('connectionId').equals(bystander).toArray()).toEqual(bystanderBefore);
        await tombstonesAuthorised(db, keep);
        await coverageKept(db, keep);
        await expectTalliesExact(db, keep);
        await expectTalliesExact(db, absorb);
        // The service's evidence wins over the owner's name.
        expect((await db.connections.get(keep))!.accountKey).toBe('test|dana');
      }),
      { numRuns: NUM_RUNS },
    );
  }, PROPERTY_TIMEOUT);

  it('refuses two accounts whose evidence disagrees, in owner words, and changes nothing', async () => {
    const db = await freshDb();
    const dana = (await testConnection(db, 'dana')).id;
    const sam = (await testConnection(db, 'sam')).id;
    await applyBatch(db, batchInput(dana, { method: 'browser_polyfill', observations: [obs('orders', 'k1', '2024-01-12')] }));
    const before = await db.records.toArray();
    const plan = await planMerge(db, connectors, dana, sam);
    expect(plan.refusal?.code).toBe('different_accounts');
    expect(plan.refusal?.message).toMatch(/two different Test accounts: dana .* and sam/);
    await expect(mergeConnections(db, connectors, dana, sam)).rejects.toBeInstanceOf(AccountChangeRefused);
    expect(await db.records.toArray()).toEqual(before);
    expect(await db.connections.count()).toBe(2);
  });

  it('previews records of each, the overlap and the server link', async () => {
    const db = await freshDb();
    const [dana, named] = await twoConnections(db);
    await applyBatch(db, batchInput(dana!, { method: 'browser_polyfill', observations: [obs('orders', 'k1', '2024-01-12'), obs('orders', 'k2', '2024-01-13')] }));
    await applyBatch(db, batchInput(named!, { method: 'owner_artifact', observations: [obs('orders', 'k2', '2024-01-13'), obs('orders', 'k3', '2024-01-14')], sha: 'a'.repeat(64) }));
    const plan = await planMerge(db, connectors, dana!, named!);
    expect(plan.refusal).toBeUndefined();
    expect(plan.streams.find((entry) => entry.stream === 'orders')).toMatchObject({ keepOnly: 1, absorbOnly: 1, both: 1, one: 'order' });
    expect(plan.keep).toMatchObject({ captures: 1, imports: 0, recordsByStream: { orders: 2 } });
    expect(plan.absorb).toMatchObject({ captures: 0, imports: 1, namedByOwner: true });
    expect(plan.exportLink).toBe('none');
  });

  it('the change feed lets the kept link send what its server lacks; a link only the other had moves over', async () => {
    const db = await freshDb();
    const [dana, named] = await twoConnections(db);
    await applyBatch(db, batchInput(dana!, { method: 'browser_polyfill', observations: [obs('orders', 'k1', '2024-01-12')] }));
    await applyBatch(db, batchInput(named!, { method: 'owner_artifact', observations: [obs('orders', 'k1', '2024-01-12', { title: 'Lamp' }), obs('orders', 'k3', '2024-01-14')], sha: 'b'.repeat(64) }));
    await db.exportLinks.put({ connectionId: named!, serverOrigin: 'http://127.0.0.1:1', deviceId: 'd', sourceInstanceId: 's', connectorInstanceId: 'c', connectorId: 'gleaner-test', localBindingName: 'x', linkedAt: '', status: 'active', plannedThroughSeq: 99, nextBatchSeq: 3, cursorSeq: 99, acceptedBatches: 2, acceptedRecords: 3 });
    const seqBefore = (await db.changes.orderBy('seq').last())!.seq!;
    const result = await mergeConnections(db, connectors, dana!, named!);
    expect(result.exportLink).toBe('moves');
    const link = await db.exportLinks.get(dana!);
    expect(link).toMatchObject({ serverOrigin: 'http://127.0.0.1:1', plannedThroughSeq: 99 });
    expect(await db.exportLinks.get(named!)).toBeUndefined();
    const feed = await db.changes.where('seq').above(seqBefore).toArray();
    // The moved link's server held the import's records; the kept connection's own receipt is new to it.
    expect(feed.every((row) => row.connectionId === dana)).toBe(true);
    expect(feed.filter((row) => row.kind === 'batch').map((row) => row.batchId)).toEqual((await db.batches.where('connectionId').equals(dana!).filter((batch) => batch.method === 'browser_polyfill').toArray()).map((batch) => batch.id));
    expect(await db.changes.where('[connectionId+seq]').between([named!, 0], [named!, Infinity]).count()).toBe(0);
  });
});

describe('moving one import', () => {
  it('leaves the old connection as if the import never came, and the new one as if it came there (M1–M10)', async () => {
    await fc.assert(
      fc.asyncProperty(sequence, fc.nat(), async (raw, pick) => {
        const batches = label(raw);
        const imports = batches.filter((batch) => batch.connection === 0 && batch.method === 'owner_artifact');
        fc.pre(imports.length > 0);
        const moving = imports[pick % imports.length]!;
        const db = await freshDb();
        const ids = await twoConnections(db);
        for (const batch of batches) await applyBatch(db, batchInput(ids[batch.connection]!, toInput(batch)));
        const receipt = await db.batches.get(moving.batchId);
        expect((await planMove(db, connectors, moving.batchId, ids[1]!)).refusal).toBeUndefined();

        await moveImport(db, connectors, moving.batchId, ids[1]!);

        const reference = await freshDb();
        const [left, right] = await twoConnections(reference);
        await applyAll(reference, left!, batches.filter((batch) => batch.connection === 0 && batch !== moving));
        await applyAll(reference, right!, batches.filter((batch) => batch.connection === 1 || batch === moving));
        expect(await state(db, ids[0]!)).toEqual(await state(reference, left!));
        expect(await state(db, ids[1]!)).toEqual(await state(reference, right!));
        const after = await db.batches.get(moving.batchId);
        expect(after).toMatchObject({ connectionId: ids[1], counts: receipt!.counts, provenance: receipt!.provenance, coverage: receipt!.coverage });
        expect(after!.formerConnections).toEqual([expect.objectContaining({ connectionId: ids[0], how: 'move' })]);
        for (const id of ids) {
          await tombstonesAuthorised(db, id);
          await coverageKept(db, id);
          await expectTalliesExact(db, id);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  }, PROPERTY_TIMEOUT);

  it('a record only the import brought moves; a record a page also saw stays, and the old server is told what left', async () => {
    const db = await freshDb();
    const [dana, named] = await twoConnections(db);
    await applyBatch(db, batchInput(named!, { method: 'browser_polyfill', observations: [obs('orders', 'k1', '2024-01-12')] }));
    const imported = await applyBatch(db, batchInput(named!, { method: 'owner_artifact', observations: [obs('orders', 'k1', '2024-01-12', { title: 'Lamp' }), obs('orders', 'k2', '2024-01-14')], sha: 'c'.repeat(64) }));
    const seqBefore = (await db.changes.orderBy('seq').last())!.seq!;
    const plan = await planMove(db, connectors, imported.batch.id, dana!);
    expect(plan.streams.find((entry) => entry.stream === 'orders')).toMatchObject({ moving: 1, alsoSeenByOthers: 1, alreadyInTarget: 0 });
    const result = await moveImport(db, connectors, imported.batch.id, dana!);
    expect(result).toMatchObject({ recordsMoved: 1, recordsStayed: 1, recordsNewInTarget: 2 });
    const stayed = await db.records.get([named!, 'orders', 'k1']);
    expect(stayed!.batchIds).not.toContain(imported.batch.id);
    expect(stayed!.data.title).toBeUndefined();
    expect(await db.records.get([named!, 'orders', 'k2'])).toBeUndefined();
    const arrived = await db.records.get([dana!, 'orders', 'k1']);
    expect(arrived!.batchIds).toEqual([imported.batch.id]);
    expect(arrived!.data.title).toBe('Lamp');
    const feed = await db.changes.where('seq').above(seqBefore).toArray();
    expect(feed.filter((row) => row.connectionId === named)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stream: 'orders', rid: 'k2', op: 'delete', keyParts: ['k2'] }),
        expect.objectContaining({ stream: 'acquisition_batches', rid: imported.batch.id, op: 'delete' }),
        expect.objectContaining({ stream: 'orders', rid: 'k1', op: 'upsert' }),
      ]),
    );
    expect(feed.filter((row) => row.connectionId === dana).map((row) => row.kind).sort()).toEqual(['batch', 'record', 'record']);
  });

  it('refuses a page capture, and a file the target already holds', async () => {
    const db = await freshDb();
    const [dana, named] = await twoConnections(db);
    const page = await applyBatch(db, batchInput(named!, { method: 'browser_polyfill', observations: [obs('orders', 'k1', '2024-01-12')] }));
    expect((await planMove(db, connectors, page.batch.id, dana!)).refusal?.code).toBe('not_an_import');
    const sha = 'd'.repeat(64);
    await applyBatch(db, batchInput(dana!, { method: 'owner_artifact', observations: [obs('orders', 'k2', '2024-01-12')], sha }));
    const twice = await applyBatch(db, batchInput(named!, { method: 'owner_artifact', observations: [obs('orders', 'k2', '2024-01-12')], sha }));
    await expect(moveImport(db, connectors, twice.batch.id, dana!)).rejects.toThrow(/already holds this file/);
  });
});
