// @vitest-environment happy-dom
/**
 * Schema v9's kept record tallies: what the popup reads on open instead of
 * counting a million index entries. Every writer keeps them exact (the merge
 * properties and the connection merge/move properties check them after every
 * step); here: chunked imports, the upgrade that counts what was stored
 * before, and a connection whose rows are missing.
 */
import { describe, expect, it, vi } from 'vitest';
import { createHandlers } from '../../../src/background/handlers';
import { legacyDatabase } from './legacy-database';
import { GleanerDatabase } from '../../../src/db/database';
import { readTallies } from '../../../src/db/record-tallies';
import { applyBatch } from '../../../src/core/merge-engine';
import { applyBatchChunk, beginBatch, finishBatch } from '../../../src/core/chunked-batch';
import type { Observation } from '../../../src/core/model';
import { batchInput, obs } from '../../support/batches';
import { freshDb, testConnection, testStreams } from '../../support/streams';
import { expectTalliesExact } from '../../support/tallies';

const record = (connectionId: string, stream: string, rid: string, tombstoned = false) => ({
  connectionId,
  stream,
  rid,
  key: rid,
  keyParts: [rid],
  eventTime: '2024-01-15',
  data: { id: rid, at: '2024-01-15' },
  versions: [],
  batchIds: [],
  methods: [],
  firstSeenAt: '',
  updatedAt: '',
  ...(tombstoned ? { tombstone: { batchId: 'bat_x', at: '2025-01-01T00:00:00Z', reason: 'test' } } : {}),
});

describe('kept record tallies (schema v9)', () => {
  it('a chunked import counts each chunk in its own transaction; a later full page claim moves records to tombstoned, a new sighting back', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    const observations: Observation[] = Array.from({ length: 30 }, (_, i) => obs(i % 3 === 0 ? 'views' : 'orders', `k${i}`, `2024-01-${String((i % 20) + 10).padStart(2, '0')}`));
    const header = { connectionId: connection.id, connectorKey: 'test', streams: testStreams, method: 'browser_polyfill' as const, provenance: { kind: 'page' as const, pageUrl: 'https://example.test/list', capturedAt: '2025-01-01T00:00:00Z', extractorVersion: 't/1' }, dataAsOf: '2025-01-01T00:00:00Z' };
    const { batch } = await beginBatch(db, header);
    for (let from = 0; from < observations.length; from += 10) {
      // The second chunk repeats the first chunk's records: counted once.
      await applyBatchChunk(db, header, batch.id, { observations: observations.slice(from === 10 ? 0 : from, from + 10) });
      await expectTalliesExact(db, connection.id);
    }
    await finishBatch(db, batch.id, { status: 'committed', coverage: [] });
    expect(await readTallies(db, connection.id)).toEqual({ all: 30, tombstoned: 0, visibleByStream: { orders: 20, views: 10 } });

    // A complete read of January that saw only k1: the page's other orders in the window are hidden.
    await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2025-02-01T00:00:00Z', observations: [obs('orders', 'k1', '2024-01-11')], coverage: [{ stream: 'orders', start: '2024-01-01', end: '2024-01-31', completeness: 'full' }] }));
    await expectTalliesExact(db, connection.id);
    const hidden = await readTallies(db, connection.id);
    expect(hidden.tombstoned).toBeGreaterThan(0);
    expect(hidden.visibleByStream.orders).toBe(20 - hidden.tombstoned);
    // Seen again later: back.
    await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2025-03-01T00:00:00Z', observations: [obs('orders', 'k2', '2024-01-12')] }));
    await expectTalliesExact(db, connection.id);
    expect((await readTallies(db, connection.id)).tombstoned).toBe(hidden.tombstoned - 1);
  });

  it('two full claims of one batch over the same window hide a record once: one tombstone counted, one feed row, tallies exact', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2025-01-01T00:00:00Z', observations: [obs('synced', 'k1', '2024-01-10')] }));
    const window = { stream: 'synced', start: '2024-01-10', end: '2024-01-10', completeness: 'full' as const };
    const receipt = await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', dataAsOf: '2025-02-01T00:00:00Z', observations: [], coverage: [window, { ...window }] }));
    expect(receipt.batch.counts.tombstoned).toBe(1);
    const feed = await db.changes.where('[connectionId+seq]').between([connection.id, 0], [connection.id, Infinity]).toArray();
    expect(feed.filter((row) => row.kind === 'record' && row.op === 'delete')).toHaveLength(1);
    await expectTalliesExact(db, connection.id);
  });

  it('the v9 upgrade counts every connection stored before it, per stream, tombstones apart', async () => {
    const name = `v9-${Math.random()}`;
    const old = legacyDatabase(name, 8);
    await old.open();
    await old.table('connections').bulkPut([
      { id: 'con_a', connectorKey: 'test', accountKey: 'test|a', displayName: 'A', createdAt: '' },
      { id: 'con_b', connectorKey: 'test', accountKey: 'test|b', displayName: 'B', createdAt: '' },
      { id: 'con_empty', connectorKey: 'test', accountKey: 'test|e', displayName: 'E', createdAt: '' },
    ]);
    await old.table('records').bulkPut([record('con_a', 'orders', 'o1'), record('con_a', 'orders', 'o2', true), record('con_a', 'views', 'v1'), record('con_b', 'orders', 'o1', true)]);
    old.close();

    const db = new GleanerDatabase(name);
    await db.open();
    for (const id of ['con_a', 'con_b', 'con_empty']) await expectTalliesExact(db, id);
    expect(await readTallies(db, 'con_a')).toEqual({ all: 3, tombstoned: 1, visibleByStream: { orders: 1, views: 1 } });
    expect(await readTallies(db, 'con_b')).toEqual({ all: 1, tombstoned: 1, visibleByStream: { orders: 0 } });
    expect(await readTallies(db, 'con_empty')).toEqual({ all: 0, tombstoned: 0, visibleByStream: {} });
    db.close();
  });

  it('a connection with records but no rows (written by something that kept none) is counted on first read, then read', async () => {
    const db = await freshDb();
    await db.records.bulkPut([record('con_raw', 'orders', 'o1'), record('con_raw', 'orders', 'o2', true)]);
    expect(await db.tallies.count()).toBe(0);
    expect(await readTallies(db, 'con_raw')).toEqual({ all: 2, tombstoned: 1, visibleByStream: { orders: 1 } });
    await expectTalliesExact(db, 'con_raw');
  });

  it('drift guard: opening a connection in the dashboard recounts its streams on the indexes and repairs rows that differ, logging only counts', async () => {
    const db = await freshDb();
    const handlers = createHandlers(db, []);
    const dana = await testConnection(db, 'Dana');
    const sam = await testConnection(db, 'Sam');
    await applyBatch(db, batchInput(dana.id, { method: 'owner_artifact', observations: [obs('orders', 'secret-order-1', '2024-01-11'), obs('orders', 'secret-order-2', '2024-01-12'), obs('views', 'secret-view', '2024-01-13')] }));
    await applyBatch(db, batchInput(sam.id, { method: 'owner_artifact', observations: [obs('orders', 'sam-1', '2024-01-11')] }));
    const samRows = await db.tallies.where('connectionId').equals(sam.id).toArray();
    // A defect somewhere: Dana's orders row says 999 with 5 gone, and a row for a stream she holds nothing of.
    await db.tallies.bulkPut([
      { connectionId: dana.id, stream: 'orders', stored: 999, tombstoned: 5 },
      { connectionId: dana.id, stream: 'synced', stored: 3, tombstoned: 0 },
    ]);
    // The popup's read is a read of rows: it repeats the drift (which is why the dashboard checks).
    expect((await handlers['connections.list']()).find((entry) => entry.id === dana.id)?.visibleRecords).toBe(999 - 5 + 1 + 3);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(await handlers['connections.checkCounts']({ connectionId: dana.id })).toEqual({ streams: 2, repaired: 2, storedDrift: 997 + 3, tombstonedDrift: 5 });
      await expectTalliesExact(db, dana.id);
      expect(await readTallies(db, dana.id)).toEqual({ all: 3, tombstoned: 0, visibleByStream: { orders: 2, views: 1 } });
      expect((await handlers['connections.list']()).find((entry) => entry.id === dana.id)?.visibleRecords).toBe(3);
      // Only counts in the log: no key, no record field, no connection or stream name.
      expect(warn).toHaveBeenCalledTimes(1);
      const logged = warn.mock.calls[0]!.map(String).join(' ');
      expect(logged).not.toMatch(/secret|orders|views|synced|Dana|con_/);
      expect(warn.mock.calls[0]!.filter((arg) => typeof arg !== 'string' && typeof arg !== 'number')).toEqual([]);
      // Right rows are left alone, and say so; another connection is not touched.
      expect(await handlers['connections.checkCounts']({ connectionId: dana.id })).toEqual({ streams: 2, repaired: 0, storedDrift: 0, tombstonedDrift: 0 });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(await db.tallies.where('connectionId').equals(sam.id).toArray()).toEqual(samRows);
    } finally {
      warn.mockRestore();
    }
  });
});

