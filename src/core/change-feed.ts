/**
 * Writing the change feed (the export outbox, `db.changes`) inside a merge's
 * transaction. Every changed record is stamped with the `seq` of its feed row
 * (`StoredRecord.changeSeq`, schema v8) before the records are put, so the
 * export can read "the records changed in seq range (a, b]" as one ranged
 * read on `[connectionId+changeSeq+stream+rid]` (src/export/change-walk.ts),
 * whatever the shape of the feed: a row per record, or one `bulk` row per
 * import chunk.
 */
import type { ChangeRow, GleanerDatabase } from '../db/database';
import type { StoredRecord } from './model';

/** A change the merge makes; `record` is the object about to be written (stamped here, never stored in the feed). */
export type ChangeInput = Pick<ChangeRow, 'kind' | 'stream' | 'rid' | 'op'> & { record?: StoredRecord };

/**
 * Adds the feed rows for `changes` (`records`: one per change; `bulk`: one
 * row for all record changes, weighed by `count`) and stamps each changed
 * record with its row's seq. Call before `bulkPut` of the records.
 */
export async function writeChangeFeed(
  db: GleanerDatabase,
  connectionId: string,
  batchId: string,
  at: string,
  changes: readonly ChangeInput[],
  feed: 'records' | 'bulk' = 'records',
): Promise<void> {
  if (changes.length === 0) return;
  if (feed === 'bulk') {
    const recordChanges = changes.filter((change) => change.kind === 'record');
    const others = changes.filter((change) => change.kind !== 'record');
    if (recordChanges.length > 0) {
      const seq = await db.changes.add({ kind: 'bulk', op: 'upsert', count: recordChanges.length, connectionId, batchId, at });
      for (const change of recordChanges) if (change.record) change.record.changeSeq = seq;
    }
    if (others.length > 0) await writeChangeFeed(db, connectionId, batchId, at, others, 'records');
    return;
  }
  const rows: ChangeRow[] = changes.map(({ record: _record, ...change }) => ({ ...change, connectionId, batchId, at }));
  const seqs = await db.changes.bulkAdd(rows, { allKeys: true });
  changes.forEach((change, index) => {
    if (change.record) change.record.changeSeq = seqs[index] as number;
  });
}
