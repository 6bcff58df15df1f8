// @vitest-environment happy-dom
/**
 * Schema v7 (export): a link made to the server's first-party `amazon`
 * connector (before Gleaner's own `gleaner-amazon`) opens paused with the
 * re-link sentence, its unsent batches dropped and its accepted ones kept as
 * receipts; a link already under Gleaner's key is untouched. And a backup
 * written before v6 restores into today's record shape.
 */
import { describe, expect, it } from 'vitest';
import { legacyDatabase } from './legacy-database';
import { GleanerDatabase } from '../../../src/db/database';
import { RELINK_FOR_OWN_CONNECTOR } from '../../../src/db/upgrades/v7-links-to-own-connector';
import { parseBackup } from '../../../src/export/backup';
import type { ExportBatchRow, ExportLinkRow } from '../../../src/export/types';

const v6Database = (name: string) => legacyDatabase(name, 6);

const link = (connectionId: string, connectorId: string): ExportLinkRow => ({
  connectionId,
  serverOrigin: 'http://127.0.0.1:7662',
  deviceId: `dexp_${connectionId}`,
  sourceInstanceId: `dsrc_${connectionId}`,
  connectorInstanceId: `cin_${connectionId}`,
  connectorId,
  localBindingName: `amazon.com|${connectionId}`,
  linkedAt: '2026-11-28T00:00:00Z',
  status: 'active',
  plannedThroughSeq: 4,
  nextBatchSeq: 2,
  cursorSeq: 2,
  acceptedBatches: 1,
  acceptedRecords: 3,
});

const batch = (connectionId: string, seq: number, status: ExportBatchRow['status']): ExportBatchRow => ({
  id: `gl_${connectionId}_${seq}`,
  connectionId,
  seq,
  fromSeq: seq * 2 + 1,
  toSeq: seq * 2 + 2,
  status,
  recordsJson: status === 'accepted' ? '' : '[]',
  bodyHash: 'h',
  recordCount: 3,
  streams: { orders: 3 },
  deletes: 0,
  bytes: 2,
  createdAt: '2026-11-28T00:00:00Z',
  attempts: 0,
});

describe('schema v7: links to a first-party connector', () => {
  it('are paused with the re-link sentence; unsent batches go, accepted ones stay; Gleaner-key links are untouched', async () => {
    const name = `v7-${Math.random()}`;
    const old = v6Database(name);
    await old.open();
    await old.table('exportLinks').bulkPut([link('old', 'amazon'), link('new', 'gleaner-amazon')]);
    await old.table('exportBatches').bulkPut([batch('old', 0, 'accepted'), batch('old', 1, 'pending'), batch('old', 2, 'set_aside'), batch('new', 0, 'pending')]);
    old.close();

    const db = new GleanerDatabase(name);
    await db.open();
    expect(db.verno).toBeGreaterThanOrEqual(7);
    expect(await db.exportLinks.get('old')).toMatchObject({ status: 'paused_auth', message: RELINK_FOR_OWN_CONNECTOR });
    expect(await db.exportLinks.get('new')).toMatchObject({ status: 'active' });
    expect((await db.exportBatches.toArray()).map((row) => row.id).sort()).toEqual(['gl_new_0', 'gl_old_0']);
    db.close();
  });
});

describe('a backup written before v6', () => {
  it('restores Amazon records in today’s shape (reference field names, item id, a day plus the instant)', () => {
    const connection = { id: 'con_1', connectorKey: 'amazon', accountKey: 'amazon.com|dana', accountLabel: 'Dana', accountEvidence: 'greeting', displayName: 'Amazon — Dana', createdAt: '2026-11-28T00:00:00Z' };
    const version = (data: Record<string, unknown>) => [{ data, method: 'owner_artifact', batchIds: ['bat_1'], asOf: '2026-11-28T00:00:00Z' }];
    const order = { id: '111-1234567-1234567', order_date: '2023-05-04T12:00:00Z', total: '$5.00', total_cents: 500, status: 'Closed', recipient: 'Dana', payment_summary: 'Visa' };
    const item = { order_id: '111-1234567-1234567', item_key: 'B000000001', asin: 'B000000001', name: 'Lamp', order_date: '2023-05-04T12:00:00Z' };
    const record = (stream: string, key: string, keyParts: string[], data: Record<string, unknown>) => ({ connectionId: 'con_1', stream, rid: key, key, keyParts, eventTime: data.order_date, data, versions: version(data), batchIds: ['bat_1'], methods: ['owner_artifact'], firstSeenAt: '2026-11-28T00:00:00Z', updatedAt: '2026-11-28T00:00:00Z' });
    const lines = [
      { type: 'gleaner-backup', version: 1, createdAt: '2026-11-28T00:00:00Z', counts: { connections: 1, batches: 0, records: 2 } },
      { type: 'connection', connection },
      { type: 'record', record: record('orders', order.id, [order.id], order) },
      { type: 'record', record: record('order_items', `${item.order_id}|${item.item_key}`, [item.order_id, item.item_key], item) },
      { type: 'end', counts: { connections: 1, batches: 0, records: 2 } },
    ];
    const parsed = parseBackup(lines.map((line) => JSON.stringify(line)).join('\n'));
    const [orders, items] = parsed.records.get('con_1')!;
    expect(orders!.data).toMatchObject({ order_total: '$5.00', order_total_cents: 500, delivery_status: 'Closed', recipient_name: 'Dana', payment_method_summary: 'Visa', ordered_at: '2023-05-04T12:00:00Z', order_date: expect.stringMatching(/^2023-05-0[45]$/) });
    expect(orders!.data).not.toHaveProperty('total');
    expect(orders!.versions[0]!.data).toHaveProperty('order_total', '$5.00');
    expect(items!).toMatchObject({ keyParts: ['111-1234567-1234567|B000000001'], data: { id: '111-1234567-1234567|B000000001' } });
  });
});
