/**
 * M1–M10 as properties over generated batch sequences: after every step the
 * requirement text's SHALLs must hold, whatever the sequence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBatch, recordIdentity } from '../../../src/core/merge-engine';
import { coverageView } from '../../../src/core/coverage';
import type { AcquisitionMethod, CoverageClaim, StoredRecord } from '../../../src/core/model';
import type { GleanerDatabase } from '../../../src/db/database';
import { batchInput, type TestBatch } from '../../support/batches';
import { freshDb, testConnection, testStreams } from '../../support/streams';
import { expectTalliesExact } from '../../support/tallies';

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

type RawBatch = typeof generatedBatch extends fc.Arbitrary<infer T> ? T : never;
type Generated = RawBatch & { batchId: string; dataAsOf: string };

function label(batches: RawBatch[]): Generated[] {
  // Deterministic ids and data times: the nth batch's data is the nth newest.
  return batches.map((batch, index) => ({ ...batch, batchId: `b${String(index).padStart(3, '0')}`, dataAsOf: `2025-01-01T00:00:${String(index).padStart(2, '0')}Z` }));
}

function toInput(batch: Generated): TestBatch {
  return { method: batch.method, observations: batch.observations, coverage: batch.coverage, dataAsOf: batch.dataAsOf, batchId: batch.batchId, sha: batch.method === 'owner_artifact' ? batch.batchId.padStart(64, 'f') : undefined };
}

async function recordsOf(db: GleanerDatabase, connectionId: string): Promise<StoredRecord[]> {
  return db.records.where('connectionId').equals(connectionId).toArray();
}

async function run(batches: Generated[], check?: (db: GleanerDatabase, ids: string[], step: number) => Promise<void>) {
  const db = await freshDb();
  const ids = [(await testConnection(db, 'a')).id, (await testConnection(db, 'b')).id];
  for (const [step, batch] of batches.entries()) {
    await applyBatch(db, batchInput(ids[batch.connection]!, toInput(batch)));
    await check?.(db, ids, step);
  }
  return { db, ids };
}

const streamByName = new Map(testStreams.map((stream) => [stream.name, stream]));
const NUM_RUNS = 40;

// Forty generated sequences per property, through fake IndexedDB: generous for a loaded 2-core machine.
describe('merge invariants as properties', { timeout: 90_000 }, () => {
  it('M1: a batch into one connection leaves the other connection’s records byte-for-byte unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(sequence, async (raw) => {
        const batches = label(raw);
        const db = await freshDb();
        const ids = [(await testConnection(db, 'a')).id, (await testConnection(db, 'b')).id];
        for (const batch of batches) {
          const other = ids[1 - batch.connection]!;
          const before = await recordsOf(db, other);
          await applyBatch(db, batchInput(ids[batch.connection]!, toInput(batch)));
          expect(await recordsOf(db, other)).toEqual(before);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('M2/M3/M4: identity follows the stream rule, records list their batches, and every observation stays recoverable', async () => {
    await fc.assert(
      fc.asyncProperty(sequence, async (raw) => {
        const batches = label(raw);
        await run(batches, async (db, ids, step) => {
          const applied = batches.slice(0, step + 1);
          for (const [connectionIndex, connectionId] of ids.entries()) {
            // Every write kept the connection's counts exact (what the popup reads on open).
            await expectTalliesExact(db, connectionId);
            const records = await recordsOf(db, connectionId);
            const expected = new Map<string, { batchIds: Set<string> }>();
            for (const batch of applied.filter((candidate) => candidate.connection === connectionIndex)) {
              for (const observed of batch.observations) {
                const stream = streamByName.get(observed.stream)!;
                const rid = `${observed.stream}/${recordIdentity(stream, batch.method, String(observed.data.id))}`;
                const entry = expected.get(rid) ?? { batchIds: new Set<string>() };
                entry.batchIds.add(batch.batchId);
                expected.set(rid, entry);
                const record = records.find((candidate) => `${candidate.stream}/${candidate.rid}` === rid);
                // M4: this batch's own observation is recoverable from the record's versions.
                expect(record?.versions.find((version) => version.batchIds.includes(batch.batchId))?.data).toEqual(observed.data);
                // M4: a present value is never lost to an empty one.
                for (const [field, value] of Object.entries(observed.data)) {
                  if (value !== '') expect(record?.data[field] ?? '').not.toBe('');
                }
              }
            }
            // M2: one record per identity, no more, no fewer.
            expect(new Set(records.map((record) => `${record.stream}/${record.rid}`))).toEqual(new Set(expected.keys()));
            // M3: each record lists exactly the batches that observed it.
            for (const record of records) {
              expect(new Set(record.batchIds)).toEqual(expected.get(`${record.stream}/${record.rid}`)!.batchIds);
            }
          }
          // M3: every batch keeps method, provenance, coverage claims and counts.
          for (const batch of applied) {
            const stored = await db.batches.get(batch.batchId);
            if (batch.method === 'owner_artifact' && !stored) continue;
            expect(stored).toMatchObject({ method: batch.method, coverage: batch.coverage });
            expect(stored?.provenance.kind).toBe(batch.method === 'owner_artifact' ? 'artifact' : 'page');
            expect(stored?.counts.parsed).toBe(batch.observations.length);
          }
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('M5/M6: every tombstone comes from a full claim of the same stream, inside its window, with method authority, and is lifted by a later observation; the kept counts stay exact', async () => {
    await fc.assert(
      fc.asyncProperty(sequence, async (raw) => {
        const batches = label(raw);
        await run(batches, async (db, ids, step) => {
          const applied = batches.slice(0, step + 1);
          for (const [connectionIndex, connectionId] of ids.entries()) {
            // Every write kept the connection's counts exact (what the popup reads on open).
            await expectTalliesExact(db, connectionId);
            for (const record of await recordsOf(db, connectionId)) {
              if (!record.tombstone) continue;
              const setter = applied.find((batch) => batch.batchId === record.tombstone!.batchId)!;
              expect(setter.connection).toBe(connectionIndex);
              const stream = streamByName.get(record.stream)!;
              const authorising = setter.coverage.filter(
                (candidate) => candidate.stream === record.stream && candidate.completeness === 'full' && record.eventTime >= candidate.start && record.eventTime.slice(0, 10) <= candidate.end,
              );
              expect(authorising.length).toBeGreaterThan(0);
              if (!stream.crossMethodReconciliation) expect(record.methods.every((method) => method === setter.method)).toBe(true);
              // Only newer evidence may hide a record: every observation is older than the claim.
              expect(record.versions.every((version) => version.asOf < setter.dataAsOf)).toBe(true);
              // The setter did not observe it, and nothing after the setter did either.
              const after = applied.slice(applied.indexOf(setter)).filter((batch) => batch.connection === connectionIndex);
              for (const batch of after) {
                expect(batch.observations.some((o) => o.stream === record.stream && recordIdentity(stream, batch.method, String(o.data.id)) === record.rid)).toBe(false);
              }
            }
          }
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('M7: replaying any artifact already applied changes nothing and returns its receipt', async () => {
    await fc.assert(
      fc.asyncProperty(sequence, async (raw) => {
        const batches = label(raw);
        const { db, ids } = await run(batches);
        const artifacts = batches.filter((batch) => batch.method === 'owner_artifact');
        const snapshot = await db.records.toArray();
        const batchCount = await db.batches.count();
        for (const artifact of artifacts) {
          const replay = await applyBatch(db, batchInput(ids[artifact.connection]!, { ...toInput(artifact), batchId: undefined }));
          expect(replay.outcome).toBe('already_imported');
          expect(replay.batch.id).toBe(artifact.batchId);
        }
        expect(await db.records.toArray()).toEqual(snapshot);
        expect(await db.batches.count()).toBe(batchCount);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('M8: every claim of every batch stays inside a window of the coverage view, per stream and method', async () => {
    await fc.assert(
      fc.asyncProperty(sequence, async (raw) => {
        const batches = label(raw);
        await run(batches, async (db, ids) => {
          for (const connectionId of ids) {
            const stored = await db.batches.where('connectionId').equals(connectionId).toArray();
            const view = coverageView(stored);
            for (const batch of stored) {
              for (const covered of batch.coverage) {
                const windows = view.find((entry) => entry.stream === covered.stream)?.methods.find((method) => method.method === batch.method)?.windows ?? [];
                expect(windows.some((window) => window.completeness === covered.completeness && window.start <= covered.start && window.end >= covered.end)).toBe(true);
              }
            }
          }
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('M9/M10: moving the artifacts anywhere in the sequence yields the same visible records', async () => {
    await fc.assert(
      fc.asyncProperty(sequence, fc.nat(), async (raw, seed) => {
        const batches = label(raw);
        const captures = batches.filter((batch) => batch.method === 'browser_polyfill');
        const artifacts = batches.filter((batch) => batch.method === 'owner_artifact');
        // Same captures in the same order; artifacts first, then last, then interleaved by the seed.
        const interleaved = [...captures];
        artifacts.forEach((artifact, index) => interleaved.splice((seed + index) % (interleaved.length + 1), 0, artifact));
        const orders = [[...artifacts, ...captures], [...captures, ...artifacts], interleaved];
        const views: unknown[] = [];
        for (const order of orders) {
          const { db, ids } = await run(order);
          const visible = [];
          for (const connectionId of ids) {
            for (const record of await recordsOf(db, connectionId)) {
              if (!record.tombstone) visible.push({ connection: ids.indexOf(connectionId), stream: record.stream, rid: record.rid, data: record.data });
            }
          }
          views.push(visible.sort((a, b) => `${a.connection}${a.stream}${a.rid}`.localeCompare(`${b.connection}${b.stream}${b.rid}`)));
        }
        expect(views[1]).toEqual(views[0]);
        expect(views[2]).toEqual(views[0]);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
