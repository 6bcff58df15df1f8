/**
 * Schema v9 (2026-12-02, issue 13): `tallies` holds each connection's record
 * counts per stream (src/db/record-tallies.ts). The upgrade counts every
 * connection once on the indexes; from then on the writers keep the rows.
 */
import type { Transaction } from 'dexie';
import type { StoredRecord } from '../../core/model';
import { recountTallies, type TallyRow } from '../record-tallies';

export async function upgradeToV9(tx: Transaction): Promise<void> {
  const records = tx.table<StoredRecord, [string, string, string]>('records');
  const tallies = tx.table<TallyRow, [string, string]>('tallies');
  for (const connectionId of (await tx.table('connections').toCollection().primaryKeys()) as string[]) {
    await recountTallies(records, tallies, connectionId);
  }
}
