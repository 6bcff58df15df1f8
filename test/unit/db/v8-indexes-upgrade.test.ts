// @vitest-environment happy-dom
/**
 * Schema v8 (export proportional to change): records gain the change-seq
 * index; the upgrade notes the first feed seq whose records carry a change
 * seq, so older ranges are still sent whole. Records merged after the upgrade
 * are stamped with their feed row's seq and found by a ranged read.
 */
import { describe, expect, it } from 'vitest';
import { legacyDatabase } from './legacy-database';
import { GleanerDatabase } from '../../../src/db/database';
import { CHANGE_SEQ_INDEX, CHANGE_SEQ_SINCE_KEY } from '../../../src/db/upgrades/v8-change-and-search-indexes';
import { applyBatch } from '../../../src/core/merge-engine';
import { createConnection } from '../../../src/core/connections';
import { batchInput, obs } from '../../support/batches';

describe('schema v8: records by change seq and by their words', () => {
  it('notes where change seqs begin; new merges stamp records and the index finds them by seq', async () => {
    const name = `v8-${Math.random()}`;
    const old = legacyDatabase(name, 7);
    await old.open();
    await old.table('changes').bulkAdd([1, 2, 3].map((index) => ({ connectionId: 'con_old', kind: 'record', stream: 'orders', rid: `o${index}`, op: 'upsert', batchId: 'bat_old', at: '2026-11-28T00:00:00Z' })));
    await old.table('records').put({ connectionId: 'con_old', stream: 'orders', rid: 'o1', key: 'o1', keyParts: ['o1'], eventTime: '2024-01-01', data: { id: 'o1' }, versions: [], batchIds: [], methods: [], firstSeenAt: '', updatedAt: '' });
    await old.table('connections').put({ id: 'con_amz', connectorKey: 'amazon', accountKey: 'amazon.com|v8', accountLabel: 'v8', accountEvidence: 'test', displayName: 'Amazon', createdAt: '' });
    const item = { id: '111-2222222-3333333|B000000001', order_id: '111-2222222-3333333', item_key: 'B000000001', name: 'Café Kettle, 1.7 L', quantity: 1, unit_price: '$24.99' };
    await old.table('records').put({ connectionId: 'con_amz', stream: 'order_items', rid: item.id, key: item.id, keyParts: [item.id], eventTime: '2024-01-01', data: item, versions: [], batchIds: [], methods: [], firstSeenAt: '', updatedAt: '' });
    old.close();

    const db = new GleanerDatabase(name);
    await db.open();
    expect((await db.meta.get(CHANGE_SEQ_SINCE_KEY))?.value).toBe(4);
    expect(await db.records.where(CHANGE_SEQ_INDEX).between(['con_old', 0], ['con_old', Infinity]).count()).toBe(0);
    // Every record of a shipped connector gets its owner's words (name, price, order), found by the word's beginning.
    expect((await db.records.where('searchTerms').startsWith('cafe').toArray()).map((record) => record.rid)).toEqual([item.id]);
    expect(await db.records.where('searchTerms').startsWith('2222222').count()).toBe(1);
    // A connection without a connector in this build is left alone.
    expect((await db.records.get(['con_old', 'orders', 'o1']))?.searchTerms).toBeUndefined();
    const connection = await createConnection(db, { connectorKey: 'test', connectorDisplayName: 'Test', accountHint: { key: 'test|v8', label: 'v8', evidence: 'test' } });
    await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'a', '2024-01-01'), obs('orders', 'b', '2024-01-02')] }));
    const stamped = await db.records.where(CHANGE_SEQ_INDEX).between([connection.id, 4], [connection.id, Infinity]).toArray();
    expect(stamped.map((record) => record.rid)).toEqual(['a', 'b']);
    const feed = await db.changes.where('[connectionId+seq]').between([connection.id, 0], [connection.id, Infinity]).toArray();
    expect(stamped.map((record) => record.changeSeq)).toEqual(feed.filter((row) => row.kind === 'record').map((row) => row.seq));
    db.close();
  });
});
