// @vitest-environment happy-dom
/**
 * Schema v6: an install whose store was written at version 5 (Amazon records
 * with the old field names, CSV instants as `order_date`, items keyed by two
 * parts) opens at v6 with every record in today's shape, the same records
 * under the same keys, and later batches landing on them.
 */
import { describe, expect, it } from 'vitest';
import { legacyDatabase } from './legacy-database';
import { z } from 'zod';
import { amazonConnector } from '../../../src/connectors/amazon';
import { amazonOrderHistoryParser } from '../../../src/connectors/amazon/artifact';
import type { StreamDefinition } from '../../../src/connectors/types';
import { fieldPolicies, mergeVersions } from '../../../src/core/field-merge';
import { applyBatch, type BatchInput } from '../../../src/core/merge-engine';
import type { Observation, StoredRecord } from '../../../src/core/model';
import { GleanerDatabase } from '../../../src/db/database';
import { countConnectionRecords } from '../../../src/db/record-index';
import { upgradeAmazonRecord } from '../../../src/db/upgrades/v6-amazon-reference-fields';
import { expectations, localDay, readAmazonFixture, type AmazonPageFixture } from '../../fixtures/amazon';

const v5Database = (name: string) => legacyDatabase(name, 5);

/** The v5 stream definitions: items keyed by two parts, any shape accepted (the old schemas took the old names). */
const loose = z.looseObject({}) as unknown as StreamDefinition['schema'];
const v5Streams: StreamDefinition[] = [
  { ...amazonConnector.streams[0]!, primaryKey: ['id'], schema: loose },
  { ...amazonConnector.streams[1]!, primaryKey: ['order_id', 'item_key'], schema: loose },
];

const OLD_ORDER_NAMES: Record<string, string> = {
  order_total: 'total',
  order_total_cents: 'total_cents',
  delivery_status: 'status',
  recipient_name: 'recipient',
  payment_method_summary: 'payment_summary',
};

/** What the v5 extractor and parser emitted for today's observation: old names, no item id, the export's instant as `order_date`. */
function v5Shape(observation: Observation): Observation {
  const data: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(observation.data)) {
    if (field === 'ordered_at' || (observation.stream === 'order_items' && field === 'id')) continue;
    data[observation.stream === 'orders' ? (OLD_ORDER_NAMES[field] ?? field) : field] = value;
  }
  if (typeof observation.data.ordered_at === 'string') data.order_date = observation.data.ordered_at;
  return { stream: observation.stream, data };
}

function page(fixture: AmazonPageFixture) {
  const { url } = expectations.pages[fixture];
  const doc = new DOMParser().parseFromString(readAmazonFixture(fixture), 'text/html');
  return { url, ...amazonConnector.pageExtractor.extract(doc, new URL(url)) };
}

function csvObservations(): Observation[] {
  return amazonOrderHistoryParser.parse([{ path: 'Retail.OrderHistory.1.csv', text: () => readAmazonFixture('Retail.OrderHistory.1.csv') }]).observations;
}

const CONNECTION = 'con_dana';
const OTHER = 'con_other';

function pageBatch(batchId: string, fixture: AmazonPageFixture, dataAsOf: string, observations: Observation[], streams: StreamDefinition[]): BatchInput {
  const { url, coverage } = page(fixture);
  return {
    connectionId: CONNECTION,
    connectorKey: 'amazon',
    streams,
    method: 'browser_polyfill',
    provenance: { kind: 'page', pageUrl: url, capturedAt: dataAsOf, extractorVersion: 'amazon-page/1' },
    coverage,
    observations,
    dataAsOf,
    pageUrl: url,
    contentHash: `hash-${batchId}`,
    batchId,
    now: dataAsOf,
  };
}

function csvBatch(batchId: string, sha: string, dataAsOf: string, observations: Observation[], streams: StreamDefinition[]): BatchInput {
  return {
    connectionId: CONNECTION,
    connectorKey: 'amazon',
    streams,
    method: 'owner_artifact',
    provenance: { kind: 'artifact', fileName: 'Your Orders.zip', sha256: sha.repeat(64), sizeBytes: 1000, parserVersion: 'amazon-csv/1', importedAt: dataAsOf },
    coverage: [],
    observations,
    dataAsOf,
    artifactSha256: sha.repeat(64),
    batchId,
    now: dataAsOf,
  };
}

/** Today's observations of each v5 batch, by batch, stream and key: what every version must now hold. */
const today = new Map<string, Map<string, Record<string, unknown>>>();
function remember(batchId: string, observations: Observation[]): Observation[] {
  today.set(batchId, new Map(observations.map((o) => [`${o.stream}\u0000${o.data.id}`, o.data]))); // an item's id is its key
  return observations;
}

/** Dana's store at v5: the export, a full 2024 page, the 2023 page (two orders also in the export), then 2024 again without one order (tombstoned). */
async function writeV5Store(name: string): Promise<void> {
  const db = legacyDatabase(name, 5, { writtenByTodaysEngine: true });
  await db.open();
  const legacy = db as unknown as GleanerDatabase;
  await db.table('connections').bulkAdd([
    { id: CONNECTION, connectorKey: 'amazon', accountKey: 'amazon.com|dana', accountLabel: 'Dana on amazon.com', accountEvidence: 'greeting', displayName: 'Dana', createdAt: '2026-11-01T00:00:00Z' },
    { id: OTHER, connectorKey: 'other', accountKey: 'other|dana', accountLabel: 'Dana', accountEvidence: 'test', displayName: 'Other', createdAt: '2026-11-01T00:00:00Z' },
  ]);
  const csv = remember('bat_csv', csvObservations());
  await applyBatch(legacy, csvBatch('bat_csv', 'a', '2023-12-02T10:00:00.000Z', csv.map(v5Shape), v5Streams));
  const year2024 = remember('bat_2024', page('orders-2024-dana.html').observations);
  await applyBatch(legacy, pageBatch('bat_2024', 'orders-2024-dana.html', '2026-11-01T10:00:00.000Z', year2024.map(v5Shape), v5Streams));
  const year2023 = remember('bat_2023', page('orders-2023-dana.html').observations);
  await applyBatch(legacy, pageBatch('bat_2023', 'orders-2023-dana.html', '2026-11-28T10:00:00.000Z', year2023.map(v5Shape), v5Streams));
  const dropped = year2024.find((o) => o.stream === 'orders')!.data.id;
  const again = remember('bat_2024b', year2024.filter((o) => o.data.id !== dropped && o.data.order_id !== dropped));
  const receipt = await applyBatch(legacy, pageBatch('bat_2024b', 'orders-2024-dana.html', '2026-11-29T10:00:00.000Z', again.map(v5Shape), v5Streams));
  expect(receipt.batch.counts.tombstoned).toBeGreaterThan(0);
  // Another connector's record with the same stream and field names: not Amazon's, never touched.
  await db.table('records').put({
    connectionId: OTHER,
    stream: 'orders',
    rid: 'x1',
    key: 'x1',
    keyParts: ['x1'],
    eventTime: '2023-02-08T03:41:19Z',
    data: { id: 'x1', total: '$1.00', order_date: '2023-02-08T03:41:19Z' },
    versions: [{ data: { id: 'x1', total: '$1.00', order_date: '2023-02-08T03:41:19Z' }, method: 'owner_artifact', batchIds: ['bat_x'], asOf: '2026-01-01' }],
    batchIds: ['bat_x'],
    methods: ['owner_artifact'],
    firstSeenAt: '2026-01-01',
    updatedAt: '2026-01-01',
  } satisfies StoredRecord);
  db.close();
}

const OLD_NAMES = ['total', 'total_cents', 'status', 'recipient', 'payment_summary'];
const identity = (record: StoredRecord) => [record.connectionId, record.stream, record.rid, record.key, record.tombstone?.batchId ?? ''].join(' ');

describe('schema v6: Amazon records in the reference manifest’s shape', () => {
  it('rewrites every stored Amazon record, keeps every key, and later batches land on the same records', async () => {
    const name = `pre-v6-${Math.random().toString(36).slice(2)}`;
    await writeV5Store(name);
    const before = v5Database(name);
    await before.open();
    const old = (await before.table('records').toArray()) as StoredRecord[];
    const oldChanges = await before.table('changes').count();
    before.close();
    // The store really is the old shape.
    const oldShared = old.find((record) => record.key === expectations.overlap.dayDiffersAcrossMethods)!;
    expect(oldShared.data).toMatchObject({ order_date: '2023-02-08T03:41:19Z', total_cents: 4916 });
    expect(oldShared.eventTime).toBe('2023-02-08T03:41:19Z');
    expect(old.find((record) => record.stream === 'order_items')!.keyParts).toHaveLength(2);

    const db = new GleanerDatabase(name);
    await db.open();
    expect(db.verno).toBeGreaterThanOrEqual(6);
    const records = await db.records.toArray();

    // The same records under the same keys; nothing added to the change feed.
    expect(records.map(identity).sort()).toEqual(old.map(identity).sort());
    expect(await db.changes.count()).toBe(oldChanges);
    expect(await countConnectionRecords(db, CONNECTION)).toEqual({ all: old.filter((r) => r.connectionId === CONNECTION).length, tombstoned: old.filter((r) => r.connectionId === CONNECTION && r.tombstone).length });
    expect(records.find((record) => record.connectionId === OTHER)).toEqual(old.find((record) => record.connectionId === OTHER));

    const streams = new Map(amazonConnector.streams.map((stream) => [stream.name, stream]));
    const amazon = records.filter((record) => record.connectionId === CONNECTION);
    expect(amazon.length).toBeGreaterThan(30);
    for (const record of amazon) {
      const stream = streams.get(record.stream)!;
      const where = `${record.stream} ${record.key}`;
      // Every version is what today's extractor or parser emits for that batch.
      for (const version of record.versions) {
        for (const batchId of version.batchIds) expect(version.data, where).toEqual(today.get(batchId)!.get(`${record.stream}\u0000${record.key}`));
        for (const field of OLD_NAMES) if (record.stream === 'orders') expect(version.data, where).not.toHaveProperty(field);
      }
      // The merged data and event time are what the merge engine makes of those versions.
      expect(record.data, where).toEqual(mergeVersions(record.versions, fieldPolicies(stream)));
      expect(stream.schema.safeParse(record.data).success, where).toBe(true);
      expect(record.eventTime, where).toBe(typeof record.data.order_date === 'string' ? record.data.order_date : '');
      expect(record.keyParts, where).toEqual([record.key]);
      if (record.stream === 'order_items') expect(record.data.id, where).toBe(record.key);
      expect(upgradeAmazonRecord(record), `${where} (run twice)`).toEqual(record);
    }

    // The order on the 2023 page and in the export: the capture's day (newest) wins, the export's instant is kept.
    const { dayDiffersAcrossMethods, dayDiffersInstant } = expectations.overlap;
    const shared = amazon.find((record) => record.stream === 'orders' && record.key === dayDiffersAcrossMethods)!;
    expect(shared.data).toMatchObject({ order_date: '2023-02-07', ordered_at: dayDiffersInstant, order_total_cents: 4916, delivery_status: expect.any(String) });
    expect(shared.eventTime).toBe('2023-02-07');
    expect(shared.versions.map((version) => version.data.order_date).sort()).toEqual(['2023-02-07', localDay(dayDiffersInstant)].sort());
    const exportOnly = amazon.find((record) => record.key === expectations.overlap.archivedExportOnly[0])!;
    expect(exportOnly.eventTime).toBe(exportOnly.data.order_date);
    expect(exportOnly.data.ordered_at).toMatch(/Z$/);
    const undated = amazon.find((record) => record.key === expectations.export.undatedOrderIds[0])!;
    expect(undated.eventTime).toBe('');
    expect(undated.data).not.toHaveProperty('order_date');

    // Today's code merging afterwards: the same pages and the same export are already known, nothing new or changed.
    const count = await db.records.count();
    const recapture = page('orders-2023-dana.html').observations;
    const pageReceipt = await applyBatch(db, pageBatch('bat_after_page', 'orders-2023-dana.html', '2026-12-03T10:00:00.000Z', recapture, amazonConnector.streams));
    expect(pageReceipt.batch.counts).toMatchObject({ parsed: recapture.length, new: 0, updated: 0, alreadyKnown: recapture.length, failed: 0 });
    const reimport = csvObservations();
    const csvReceipt = await applyBatch(db, csvBatch('bat_after_csv', 'b', '2023-12-02T10:00:00.000Z', reimport, amazonConnector.streams));
    expect(csvReceipt.batch.counts).toMatchObject({ parsed: reimport.length, new: 0, updated: 0, alreadyKnown: reimport.length, failed: 0 });
    expect(await db.records.count()).toBe(count);
    const sharedAfter = (await db.records.get([CONNECTION, 'orders', dayDiffersAcrossMethods]))!;
    expect(sharedAfter.versions).toHaveLength(2);
    expect(sharedAfter.data).toEqual(shared.data);
    db.close();
  });
});

describe('upgradeAmazonRecord', () => {
  const record = (stream: string, key: string, versions: Record<string, unknown>[], data: Record<string, unknown> = {}): StoredRecord => ({
    connectionId: CONNECTION,
    stream,
    rid: key,
    key,
    keyParts: key.split('|'),
    eventTime: '',
    data,
    versions: versions.map((version, index) => ({ data: version, method: 'owner_artifact', batchIds: [`bat_${index}`], asOf: `2026-01-0${index + 1}` })),
    batchIds: versions.map((_, index) => `bat_${index}`),
    methods: ['owner_artifact'],
    firstSeenAt: '2026-01-01',
    updatedAt: '2026-01-01',
  });

  it('leaves records of other streams alone', () => {
    expect(upgradeAmazonRecord(record('views', 'v1', [{ id: 'v1', total: 1 }]))).toBeUndefined();
  });

  it('normalises instants zod would refuse, and drops a date that is no real day', () => {
    const upgraded = upgradeAmazonRecord(record('orders', '111-1111111-1111111', [{ id: '111-1111111-1111111', order_date: '2020-01-01T10:00Z' }, { id: '111-1111111-1111111', order_date: '2020-01-01' }]))!;
    expect(upgraded.versions.map((version) => version.data)).toEqual([
      { id: '111-1111111-1111111', order_date: localDay('2020-01-01T10:00:00Z'), ordered_at: '2020-01-01T10:00:00.000Z' },
      { id: '111-1111111-1111111', order_date: '2020-01-01' },
    ]);
    const impossible = upgradeAmazonRecord(record('orders', '111-1111111-1111111', [{ id: '111-1111111-1111111', order_date: '2023-02-30T10:00:00Z', status: 'Closed' }]))!;
    expect(impossible.data).toEqual({ id: '111-1111111-1111111', delivery_status: 'Closed' });
    expect(impossible.eventTime).toBe('');
  });

  it('rewrites the data itself when a record has no versions, keeping a field already in the new shape', () => {
    const upgraded = upgradeAmazonRecord(record('orders', '111-1111111-1111111', [], { id: '111-1111111-1111111', total: '$1.00', order_total: '$2.00', order_date: '2020-01-01T10:00:00Z' }))!;
    expect(upgraded.data).toEqual({ id: '111-1111111-1111111', order_total: '$2.00', order_date: localDay('2020-01-01T10:00:00Z'), ordered_at: '2020-01-01T10:00:00Z' });
    expect(upgraded.eventTime).toBe(localDay('2020-01-01T10:00:00Z'));
  });

  it('gives an item its id from the stored key and one key part', () => {
    const key = '111-1111111-1111111|name:handmade mug';
    const upgraded = upgradeAmazonRecord(record('order_items', key, [{ order_id: '111-1111111-1111111', item_key: 'name:handmade mug', quantity: 3 }]))!;
    expect(upgraded).toMatchObject({ key, rid: key, keyParts: [key], data: { id: key, order_id: '111-1111111-1111111', item_key: 'name:handmade mug', quantity: 3 } });
    expect(upgraded.versions[0]!.data.id).toBe(key);
  });
});
