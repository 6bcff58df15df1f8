/**
 * Index-only reads (src/db/record-index.ts, schema v5): `connections.list`
 * counts and `records.list` / `records.query` pages without reading every
 * record, and agree with counting and sorting the records themselves.
 */
import fc from 'fast-check';
import Dexie, { type DBCore, type DBCoreTable } from 'dexie';
import { describe, expect, it } from 'vitest';
import { createHandlers } from '../../../src/background/handlers';
import { createOwnerHandlers } from '../../../src/background/owner-handlers';
import { memoryArea } from '../../../src/background/storage-guard';
import { applyBatch } from '../../../src/core/merge-engine';
import type { StoredRecord } from '../../../src/core/model';
import { GleanerDatabase } from '../../../src/db/database';
import { countConnectionRecords, newestFirst, pageRecords, pageRecordsByStream, recordsByIdPrefix, scanRecords, scanRecordsByStream, streamsOf } from '../../../src/db/record-index';
import { inRange } from '../../../src/ui/records-filter';
import { requestSchemas } from '../../../src/messages/protocol';
import { batchInput, obs } from '../../support/batches';
import { freshDb, testConnection, testStreams } from '../../support/streams';
import type { ConnectorDefinition } from '../../../src/connectors/types';

const testConnector = {
  key: 'test',
  displayName: 'Test',
  hosts: ['example.test'],
  matches: [],
  streams: testStreams,
  artifactParsers: [],
  exportSteps: [],
} as unknown as ConnectorDefinition;

let dbCounter = 0;
/** A database that counts how many records are read from `records` (values, not index keys). */
async function countingDb() {
  dbCounter += 1;
  const db = new GleanerDatabase(`record-index-${dbCounter}-${Math.random().toString(36).slice(2)}`);
  const reads = { records: 0, valueCursors: 0 };
  db.use({
    stack: 'dbcore',
    name: 'count-record-reads',
    create(down: DBCore): DBCore {
      return {
        ...down,
        table(name: string): DBCoreTable {
          const table = down.table(name);
          if (name !== 'records') return table;
          return {
            ...table,
            get: (request) => {
              reads.records += 1;
              return table.get(request);
            },
            getMany: (request) => {
              reads.records += request.keys.length;
              return table.getMany(request);
            },
            query: async (request) => {
              const response = await table.query(request);
              if (request.values) reads.records += response.result.length;
              return response;
            },
            openCursor: (request) => {
              if (request.values) reads.valueCursors += 1;
              return table.openCursor(request);
            },
          };
        },
      };
    },
  });
  await db.open();
  return { db, reads };
}

async function summary(db: GleanerDatabase, connectionId: string) {
  const listed = (await createHandlers(db, [testConnector])['connections.list']()).find((connection) => connection.id === connectionId)!;
  const records = await db.records.where('connectionId').equals(connectionId).toArray();
  const tombstoned = records.filter((record) => record.tombstone).length;
  // What the index-only counts must agree with: counting the records themselves.
  expect({ visible: listed.visibleRecords, tombstoned: listed.tombstonedRecords }).toEqual({ visible: records.length - tombstoned, tombstoned });
  // Per stream too (what the owner reads as "4 orders · 1 view").
  for (const entry of listed.streamCounts) expect(entry.count, entry.stream).toBe(records.filter((record) => record.stream === entry.stream && !record.tombstone).length);
  expect(listed.streamCounts.reduce((sum, entry) => sum + entry.count, 0)).toBe(listed.visibleRecords);
  return { visible: listed.visibleRecords, tombstoned: listed.tombstonedRecords, batches: listed.batchCount };
}

const fullYear = (stream: string) => ({ stream, start: '2024-01-01', end: '2024-12-31', completeness: 'full' as const });

describe('connections.list counts', () => {
  it('counts visible and tombstoned records per connection after tombstones and restores', async () => {
    const db = await freshDb();
    const alice = await testConnection(db, 'alice');
    const bob = await testConnection(db, 'bob');
    const ids = ['o1', 'o2', 'o3', 'o4', 'o5'];
    await applyBatch(db, batchInput(alice.id, { dataAsOf: '2025-01-01T00:00:01Z', method: 'browser_polyfill', observations: [...ids.map((id, i) => obs('orders', id, `2024-0${i + 1}-01`)), obs('views', 'v1', '2024-02-02')] }));
    await applyBatch(db, batchInput(bob.id, { method: 'browser_polyfill', observations: [obs('orders', 'o1', '2024-01-01'), obs('orders', 'b2', '2024-03-01')] }));
    expect(await summary(db, alice.id)).toEqual({ visible: 6, tombstoned: 0, batches: 1 });

    // The whole year seen again without o4 and o5, and the views without v1: three records marked gone.
    await applyBatch(db, batchInput(alice.id, { dataAsOf: '2025-01-01T00:00:02Z', method: 'browser_polyfill', observations: ids.slice(0, 3).map((id, i) => obs('orders', id, `2024-0${i + 1}-01`)), coverage: [fullYear('orders'), fullYear('views')] }));
    expect(await summary(db, alice.id)).toEqual({ visible: 3, tombstoned: 3, batches: 2 });
    // Another connection's records and claims are never counted in.
    expect(await summary(db, bob.id)).toEqual({ visible: 2, tombstoned: 0, batches: 1 });

    // o4 observed again: restored, no longer in the tombstone index.
    await applyBatch(db, batchInput(alice.id, { dataAsOf: '2025-01-01T00:00:03Z', method: 'browser_polyfill', observations: [obs('orders', 'o4', '2024-04-01')] }));
    expect(await summary(db, alice.id)).toEqual({ visible: 4, tombstoned: 2, batches: 3 });
    // A new record and another restore, by an export (another method's observation lifts a tombstone).
    await applyBatch(db, batchInput(alice.id, { dataAsOf: '2025-01-01T00:00:04Z', method: 'owner_artifact', observations: [obs('orders', 'o5', '2024-05-01'), obs('orders', 'o6', '2024-06-01')] }));
    expect(await summary(db, alice.id)).toEqual({ visible: 6, tombstoned: 1, batches: 4 });
    expect(await summary(db, bob.id)).toEqual({ visible: 2, tombstoned: 0, batches: 1 });
  });

  it('reads no record to count them', async () => {
    const { db, reads } = await countingDb();
    const connection = await testConnection(db);
    await applyBatch(db, batchInput(connection.id, { dataAsOf: '2025-01-01T00:00:01Z', method: 'browser_polyfill', observations: Array.from({ length: 40 }, (_, i) => obs('orders', `o${i}`, `2024-01-${String((i % 28) + 1).padStart(2, '0')}`)) }));
    await applyBatch(db, batchInput(connection.id, { dataAsOf: '2025-01-01T00:00:02Z', method: 'browser_polyfill', observations: [obs('orders', 'o1', '2024-01-02')], coverage: [fullYear('orders')] }));
    reads.records = 0;
    reads.valueCursors = 0;
    const [listed] = await createHandlers(db, [testConnector])['connections.list']();
    expect(listed).toMatchObject({ visibleRecords: 1, tombstonedRecords: 39 });
    expect(reads).toEqual({ records: 0, valueCursors: 0 });
  });

  it('builds the tombstone index for records stored before version 5', async () => {
    const name = `pre-v5-${Math.random().toString(36).slice(2)}`;
    // Version 4 of the schema, as an existing install has it.
    const old = new Dexie(name);
    old.version(1).stores({
      connections: 'id, connectorKey, &[connectorKey+accountKey]',
      batches: 'id, connectionId, [connectionId+artifactSha256], [connectionId+pageUrl], artifactSha256',
      records: '[connectionId+stream+rid], [connectionId+stream+eventTime], connectionId',
      staged: 'id',
      meta: 'key',
    });
    old.version(2).stores({ changes: '++seq, [connectionId+seq]' });
    old.version(3).stores({ exportLinks: 'connectionId', exportBatches: 'id, [connectionId+seq], status', importJobs: 'id, status, stagedId, connectionId' });
    old.version(4).stores({ exportFiles: 'id, kind' });
    await old.open();
    await old.table('records').bulkPut([stored('con_a', 'orders', 'o1', '2024-01-01', false), stored('con_a', 'orders', 'o2', '2024-01-02', true), stored('con_a', 'views', 'v1', '', true), stored('con_b', 'orders', 'o1', '2024-01-01', true)]);
    old.close();
    const db = new GleanerDatabase(name);
    await db.open();
    expect(db.verno).toBeGreaterThanOrEqual(5); // later versions build on it
    expect(await countConnectionRecords(db, 'con_a')).toEqual({ all: 3, tombstoned: 2 });
    expect(await countConnectionRecords(db, 'con_b')).toEqual({ all: 1, tombstoned: 1 });
    db.close();
  });
});

function stored(connectionId: string, stream: string, rid: string, eventTime: string, tombstoned: boolean): StoredRecord {
  return {
    connectionId,
    stream,
    rid,
    key: rid,
    keyParts: [rid],
    eventTime,
    data: { id: rid, at: eventTime },
    versions: [],
    batchIds: ['bat_1'],
    methods: ['browser_polyfill'],
    ...(tombstoned ? { tombstone: { batchId: 'bat_2', at: '2025-01-01T00:00:00Z', reason: 'not seen' } } : {}),
    firstSeenAt: '2025-01-01T00:00:00Z',
    updatedAt: '2025-01-01T00:00:00Z',
  };
}

const keyOf = (record: Pick<StoredRecord, 'stream' | 'rid'>) => `${record.stream}/${record.rid}`;

/** What a page must be: the connection's records, filtered and sorted in memory. */
function reference(all: StoredRecord[], query: { connectionId: string; streams: string[]; from?: string; to?: string; includeTombstoned: boolean; offset: number; limit: number }, matches: (record: StoredRecord) => boolean = () => true) {
  const matching = all
    .filter((record) => record.connectionId === query.connectionId && query.streams.includes(record.stream))
    .filter((record) => query.includeTombstoned || !record.tombstone)
    .filter((record) => inRange(record.eventTime, query.from, query.to))
    .filter(matches)
    .sort(newestFirst);
  return { total: matching.length, keys: matching.slice(query.offset, query.offset + query.limit).map(keyOf) };
}

describe('paging records through the index', () => {
  const times = ['', '', '2023-06-01', '2024-01-01', '2024-01-01', '2024-01-01T10:00:00Z', '2024-02-03', '2024-02-03', '2024-12-31T23:59:59Z'];
  const days = ['2023-06-01', '2024-01-01', '2024-02-03', '2024-12-31', '2025-01-01'];
  const recordArb = fc.record({
    connectionId: fc.constantFrom('con_a', 'con_a', 'con_a', 'con_a', 'con_b'),
    stream: fc.constantFrom('orders', 'orders', 'orders', 'views', 'synced'),
    rid: fc.constantFrom(...'abcdefghijklmnop'.split('')).chain((c) => fc.constantFrom(c, `${c}${c}`, `x${c}`, `browser_polyfill/${c}`)),
    eventTime: fc.constantFrom(...times),
    tombstoned: fc.boolean(),
  });
  const queryArb = fc.record({
    stream: fc.constantFrom(undefined, 'orders', 'views', 'nothing'),
    from: fc.constantFrom(undefined, undefined, ...days),
    to: fc.constantFrom(undefined, undefined, ...days),
    includeTombstoned: fc.boolean(),
    // Small pages over many records, so pages usually end inside a run of equal event times.
    offset: fc.integer({ min: 0, max: 30 }),
    limit: fc.integer({ min: 1, max: 8 }),
  });

  it('matches filtering and sorting in memory for any records, window, tombstones, offset and limit (ties included)', async () => {
    const db = await freshDb();
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(recordArb, { selector: (r) => `${r.connectionId}/${r.stream}/${r.rid}`, minLength: 40, maxLength: 120, size: 'max' }), queryArb, fc.integer({ min: 1, max: 9 }), async (rows, query, chunk) => {
        await db.records.clear();
        const all = rows.map((row) => stored(row.connectionId, row.stream, row.rid, row.eventTime, row.tombstoned));
        await db.records.bulkPut(all);
        const present = [...new Set(all.filter((record) => record.connectionId === 'con_a').map((record) => record.stream))].sort();
        expect(await streamsOf(db, 'con_a')).toEqual(present);
        const streams = query.stream ? [query.stream] : present;
        const request = { connectionId: 'con_a', streams, from: query.from, to: query.to, includeTombstoned: query.includeTombstoned, offset: query.offset, limit: query.limit };
        const expected = reference(all, request);
        const paged = await pageRecords(db, request);
        expect({ total: paged.total, keys: paged.records.map(keyOf) }).toEqual(expected);
        // Small chunks, so reads resume after runs of equal event times that straddle chunks.
        const scanned = await scanRecords(db, request, () => true, chunk);
        expect({ total: scanned.total, keys: scanned.records.map(keyOf) }).toEqual(expected);
        const onlyX = (record: StoredRecord) => record.rid.includes('x');
        const filtered = await scanRecords(db, request, onlyX, chunk);
        expect({ total: filtered.total, keys: filtered.records.map(keyOf) }).toEqual(reference(all, request, onlyX));
        // Per stream, the same counts as the records themselves give.
        const perStream = (matches?: (record: StoredRecord) => boolean) => Object.fromEntries(streams.map((stream) => [stream, reference(all, { ...request, streams: [stream] }, matches).total]));
        expect((await pageRecordsByStream(db, request)).byStream).toEqual(perStream());
        expect((await scanRecordsByStream(db, request, onlyX, chunk)).byStream).toEqual(perStream(onlyX));
      }),
      { numRuns: 120 },
    );
  }, 60_000); // fake-indexeddb maintains every index of records in JS (v8 added two); 120 runs

  it('records.list reads only the page it returns', async () => {
    const { db, reads } = await countingDb();
    const connection = await testConnection(db);
    const observations = Array.from({ length: 300 }, (_, i) => obs(i % 3 === 0 ? 'views' : 'orders', `r${String(i).padStart(3, '0')}`, `2024-${String((i % 12) + 1).padStart(2, '0')}-01`));
    await applyBatch(db, batchInput(connection.id, { dataAsOf: '2025-01-01T00:00:01Z', method: 'browser_polyfill', observations }));
    // The whole year of orders seen again with only the first ten: the other 190 are marked gone.
    await applyBatch(db, batchInput(connection.id, { dataAsOf: '2025-01-01T00:00:02Z', method: 'browser_polyfill', observations: observations.filter((o) => o.stream === 'orders').slice(0, 10), coverage: [fullYear('orders')] }));
    const handlers = createHandlers(db, [testConnector]);
    const all = await db.records.toArray();
    for (const payload of [
      { connectionId: connection.id, stream: 'orders' },
      { connectionId: connection.id, stream: 'orders', includeTombstoned: true, offset: 37, limit: 25 },
      { connectionId: connection.id, limit: 30, offset: 5 },
    ]) {
      const request = requestSchemas['records.list'].parse(payload);
      reads.records = 0;
      reads.valueCursors = 0;
      const reply = await handlers['records.list'](request);
      const expected = reference(all, { ...request, streams: request.stream ? [request.stream] : ['orders', 'views'] });
      expect({ total: reply.total, keys: reply.records.map(keyOf) }).toEqual(expected);
      if (request.stream) expect(reads).toEqual({ records: reply.records.length, valueCursors: 0 });
      // Two streams merged: the page's position plus at most a chunk per stream and one record per chunk, never all 300.
      else expect(reads.records).toBeLessThanOrEqual(3 * (request.offset + request.limit) + 10);
      expect(reads.valueCursors).toBe(0);
    }
    // No stream and no records: nothing to read.
    expect(await handlers['records.list'](requestSchemas['records.list'].parse({ connectionId: 'con_missing' }))).toEqual({ total: 0, records: [] });
  });

  it('records.query answers kind, range and gone-or-not from indexes, and words or methods by reading the range once', async () => {
    const { db, reads } = await countingDb();
    const connection = await testConnection(db);
    await applyBatch(db, batchInput(connection.id, { method: 'owner_artifact', observations: Array.from({ length: 50 }, (_, i) => obs('orders', `o${i}`, `2023-${String((i % 12) + 1).padStart(2, '0')}-15`, { title: i % 10 === 0 ? 'Blue mug' : 'Lamp' })) }));
    await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'o0', '2023-01-15', { title: 'Blue mug' }), obs('orders', 'o10', '2023-11-15', { title: 'Blue mug' })] }));
    const owner = createOwnerHandlers(db, [testConnector], { local: memoryArea(), session: memoryArea() });
    const query = (payload: Record<string, unknown>) => owner['records.query'](requestSchemas['records.query'].parse({ connectionId: connection.id, ...payload }));

    reads.records = 0;
    reads.valueCursors = 0;
    const spring = await query({ stream: 'orders', from: '2023-03-01', to: '2023-05-31', limit: 5 });
    expect(spring.total).toBe(12); // March, April, May: four of the fifty each
    // Newest first; the four May orders share one day, so they come in identity order, descending.
    expect(spring.records.map((record) => record.key)).toEqual(['o40', 'o4', 'o28', 'o16', 'o39']);
    expect(spring.records.map((record) => record.summary)).toEqual(['Blue mug', 'Lamp', 'Lamp', 'Lamp', 'Lamp']);
    expect(reads).toEqual({ records: 5, valueCursors: 0 });

    const mugs = await query({ text: 'blue MUG' });
    expect(mugs.total).toBe(5);
    expect(mugs.records.every((record) => record.summary === 'Blue mug')).toBe(true);
    const both = await query({ stream: 'orders', method: 'both' });
    expect(both.records.map((record) => record.key)).toEqual(['o10', 'o0']);
  });

  it('reads a page’s parts (an order’s items) in one indexed read, and finds a record by its parts’ words from the search index, reading what it finds', async () => {
    const { db, reads } = await countingDb();
    const connection = await testConnection(db);
    // 60 orders, each with two parts keyed `<order>|<n>` in `synced` (a stream with a cross-method identity rule).
    const orders = Array.from({ length: 60 }, (_, i) => obs('orders', `o${String(i).padStart(2, '0')}`, `2024-${String((i % 12) + 1).padStart(2, '0')}-10`, { title: 'Order' }));
    const parts = orders.flatMap((order) => [1, 2].map((n) => obs('synced', `${order.data.id}|${n}`, String(order.data.at), { order: order.data.id, title: order.data.id === 'o07' && n === 2 ? 'Green teapot' : 'Spoon' })));
    await applyBatch(db, batchInput(connection.id, { method: 'owner_artifact', observations: [...orders, ...parts, obs('synced', 'o99|1', '2024-01-01', { order: 'o99', title: 'Green teapot' })] }));
    const withParts = { ...testConnector, streams: testStreams.map((stream) => (stream.name === 'orders' ? { ...stream, parts: { stream: 'synced', field: 'order' } } : stream)) } as ConnectorDefinition;
    const owner = createOwnerHandlers(db, [withParts], { local: memoryArea(), session: memoryArea() });
    const query = (payload: Record<string, unknown>) => owner['records.query'](requestSchemas['records.query'].parse({ connectionId: connection.id, ...payload }));

    reads.records = 0;
    reads.valueCursors = 0;
    const page = await query({ stream: 'orders', limit: 10 });
    expect(page.records).toHaveLength(10);
    expect(page.records.every((record) => record.parts!.map((part) => part.key).join() === `${record.key}|1,${record.key}|2`)).toBe(true);
    // The page itself from the index, its twenty parts in one cursor over their key ranges.
    expect(reads).toEqual({ records: 10, valueCursors: 1 });
    expect(page.counts).toEqual([{ stream: 'orders', total: 60 }]);

    reads.records = 0;
    reads.valueCursors = 0;
    const found = await query({ text: 'green teapot' });
    // o07 through its part; the two parts themselves; o99 has no order record.
    expect(found.records.map((record) => record.key).sort()).toEqual(['o07', 'o07|2', 'o99|1']);
    expect(found.counts).toEqual([
      { stream: 'orders', total: 1 },
      { stream: 'synced', total: 2 },
    ]);
    // From the index: the two hits, their order, its parts (one cursor) and the page's parts (one cursor); never the 181 records.
    expect(reads.records).toBeLessThanOrEqual(12);
    expect(reads.valueCursors).toBe(2);
    // Orders alone: still found through their parts' words.
    reads.records = 0;
    expect((await query({ stream: 'orders', text: 'green teapot' })).records.map((record) => record.key)).toEqual(['o07']);
    expect(reads.records).toBeLessThanOrEqual(12);
    // A word begins a term ("tea" finds "teapot"); a word inside a term does not ("apot").
    expect((await query({ stream: 'synced', text: 'tea' })).total).toBe(2);
    expect((await query({ stream: 'synced', text: 'apot' })).total).toBe(0);

    // The read itself: only the ranges asked for, in identity order.
    expect((await recordsByIdPrefix(db, connection.id, 'synced', ['o03|', 'o01|', 'o01|'])).map((record) => record.key)).toEqual(['o01|1', 'o01|2', 'o03|1', 'o03|2']);
    expect(await recordsByIdPrefix(db, connection.id, 'synced', [])).toEqual([]);
    expect(await recordsByIdPrefix(db, 'con_other', 'synced', ['o01|'])).toEqual([]);
  });
});
