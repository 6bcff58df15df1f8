/**
 * How many records each connection holds, per stream, and how many of them
 * are tombstoned (schema v9, `db.tallies`). The popup and the dashboard ask for
 * these on every open; counting a million index entries takes a second, so the
 * counts are kept by every writer of records, in the write's own transaction:
 *
 * - the merge engine notes each write against the record it replaces
 *   (`noteWrite`) and adds the deltas before its `bulkPut` (`addTallies`);
 * - a connection merge and an import move rewrite whole connections: they count
 *   again on the indexes (`recountTallies`), which costs what the rewrite costs;
 * - deleting a connection deletes its rows.
 *
 * A connection with records but no tally rows (records written before v9 by a
 * writer that did not keep them, e.g. a test's raw put) is counted on first read.
 */
import Dexie, { type Table } from 'dexie';
import type { StoredRecord } from '../core/model';
import type { GleanerDatabase } from './database';
import { TOMBSTONE_INDEX } from './indexes';

export interface TallyRow {
  connectionId: string;
  stream: string;
  /** Records stored in this stream, tombstoned ones included. */
  stored: number;
  tombstoned: number;
}

/** Changes to one connection's tallies, per stream, gathered while a transaction prepares its writes. */
export type TallyDelta = Map<string, { stored: number; tombstoned: number }>;

export interface ConnectionTallies {
  /** Every stored record, tombstoned ones included. */
  all: number;
  tombstoned: number;
  /** Visible records per stream. */
  visibleByStream: Record<string, number>;
}

/** Notes that `after` replaces `before` (undefined: a new record). */
export function noteWrite(delta: TallyDelta, before: Pick<StoredRecord, 'tombstone'> | undefined, after: Pick<StoredRecord, 'stream' | 'tombstone'>): void {
  const stored = before ? 0 : 1;
  const tombstoned = (after.tombstone ? 1 : 0) - (before?.tombstone ? 1 : 0);
  if (stored === 0 && tombstoned === 0) return;
  const entry = delta.get(after.stream) ?? { stored: 0, tombstoned: 0 };
  entry.stored += stored;
  entry.tombstoned += tombstoned;
  delta.set(after.stream, entry);
}

/** Adds `delta` to the connection's rows. Inside the writer's transaction (which must include `db.tallies`). */
export async function addTallies(db: GleanerDatabase, connectionId: string, delta: TallyDelta): Promise<void> {
  if (delta.size === 0) return;
  const streams = [...delta.keys()];
  const rows = await db.tallies.bulkGet(streams.map((stream) => [connectionId, stream] as [string, string]));
  await db.tallies.bulkPut(
    streams.map((stream, index) => {
      const row = rows[index] ?? { connectionId, stream, stored: 0, tombstoned: 0 };
      const change = delta.get(stream)!;
      return { connectionId, stream, stored: row.stored + change.stored, tombstoned: row.tombstoned + change.tombstoned };
    }),
  );
}

/** Counts a connection's records again on the indexes and replaces its rows. Inside a transaction over records and tallies. */
export async function recountTallies(records: Table<StoredRecord, [string, string, string]>, tallies: Table<TallyRow, [string, string]>, connectionId: string): Promise<void> {
  const rows: TallyRow[] = [];
  for (let stream = await nextStream(records, connectionId); stream !== undefined; stream = await nextStream(records, connectionId, stream)) {
    const [lower, upper] = [
      [connectionId, stream, Dexie.minKey],
      [connectionId, stream, Dexie.maxKey],
    ];
    rows.push({
      connectionId,
      stream,
      stored: await records.where('[connectionId+stream+rid]').between(lower, upper).count(),
      tombstoned: await records.where(TOMBSTONE_INDEX).between(lower, upper).count(),
    });
  }
  await tallies.where('connectionId').equals(connectionId).delete();
  if (rows.length > 0) await tallies.bulkPut(rows);
}

/** The stream after `previous` (in name order) that holds records of the connection: one key lookup. */
async function nextStream(records: Table<StoredRecord, [string, string, string]>, connectionId: string, previous?: string): Promise<string | undefined> {
  const lower = previous === undefined ? [connectionId, Dexie.minKey] : [connectionId, previous, Dexie.maxKey];
  const [next] = (await records.where('[connectionId+stream+rid]').between(lower, [connectionId, Dexie.maxKey], false, true).limit(1).primaryKeys()) as [string, string, string][];
  return next?.[1];
}

/** A connection's counts: a read of its rows (counted on the indexes once if it has records but no rows). */
export async function readTallies(db: GleanerDatabase, connectionId: string): Promise<ConnectionTallies> {
  let rows = await db.tallies.where('connectionId').equals(connectionId).toArray();
  if (rows.length === 0 && (await db.records.where('connectionId').equals(connectionId).limit(1).primaryKeys()).length > 0) {
    await db.transaction('rw', [db.records, db.tallies], () => recountTallies(db.records, db.tallies, connectionId));
    rows = await db.tallies.where('connectionId').equals(connectionId).toArray();
  }
  const visibleByStream: Record<string, number> = {};
  let all = 0;
  let tombstoned = 0;
  for (const row of rows) {
    all += row.stored;
    tombstoned += row.tombstoned;
    visibleByStream[row.stream] = row.stored - row.tombstoned;
  }
  return { all, tombstoned, visibleByStream };
}
