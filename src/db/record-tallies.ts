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
 * Should they drift anyway (a defect), `checkTallies` repairs one connection's
 * rows when the dashboard opens it.
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

/**
 * A connection's rows as the indexes count them now: per stream it holds (the
 * next one found by one key lookup), two index counts; no record is read.
 * Inside a transaction over records. (The lookup is inline: one more level of
 * native async calls lost the caller's transaction in tests, PrematureCommitError.)
 */
async function countTallies(records: Table<StoredRecord, [string, string, string]>, connectionId: string): Promise<TallyRow[]> {
  const rows: TallyRow[] = [];
  for (let previous: string | undefined; ; ) {
    const from = previous === undefined ? [connectionId, Dexie.minKey] : [connectionId, previous, Dexie.maxKey];
    const [next] = (await records.where('[connectionId+stream+rid]').between(from, [connectionId, Dexie.maxKey], false, true).limit(1).primaryKeys()) as [string, string, string][];
    if (!next) return rows;
    const stream = next[1];
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
    previous = stream;
  }
}

/** Counts a connection's records again on the indexes and replaces its rows. Inside a transaction over records and tallies. */
export async function recountTallies(records: Table<StoredRecord, [string, string, string]>, tallies: Table<TallyRow, [string, string]>, connectionId: string): Promise<void> {
  const rows = await countTallies(records, connectionId);
  await tallies.where('connectionId').equals(connectionId).delete();
  if (rows.length > 0) await tallies.bulkPut(rows);
}

/** How a connection's kept rows differ from its records: the streams whose row was wrong, and by how much in all. */
export interface TallyCheck {
  streams: number;
  repaired: number;
  /** Kept minus counted, summed over the repaired streams (0 when nothing drifted). */
  storedDrift: number;
  tombstonedDrift: number;
}

function driftOf(kept: readonly TallyRow[], counted: readonly TallyRow[]): Omit<TallyCheck, 'streams'> {
  const byStream = new Map<string, { kept?: TallyRow; counted?: TallyRow }>();
  for (const row of kept) byStream.set(row.stream, { kept: row });
  for (const row of counted) byStream.set(row.stream, { ...byStream.get(row.stream), counted: row });
  let repaired = 0;
  let storedDrift = 0;
  let tombstonedDrift = 0;
  for (const { kept: a, counted: b } of byStream.values()) {
    const stored = (a?.stored ?? 0) - (b?.stored ?? 0);
    const tombstoned = (a?.tombstoned ?? 0) - (b?.tombstoned ?? 0);
    // A row for a stream with no records is wrong too (it would show records that are not there), even at zero.
    if (stored === 0 && tombstoned === 0 && (!a || b)) continue;
    repaired += 1;
    storedDrift += stored;
    tombstonedDrift += tombstoned;
  }
  return { repaired, storedDrift, tombstonedDrift };
}

/**
 * The drift guard: counts one connection's streams on the indexes and, if the
 * kept rows differ, counts again inside a write transaction and replaces them.
 * Every writer keeps the rows exact, so a difference is a defect; without this
 * the popup and dashboard would repeat it forever. Run when the dashboard
 * opens a connection (never on the popup's open, which stays a read of rows):
 * two index counts per stream, no record read, and writers wait only when
 * something is repaired. Logs counts only.
 */
export async function checkTallies(db: GleanerDatabase, connectionId: string): Promise<TallyCheck> {
  const [kept, counted] = await db.transaction('r', [db.records, db.tallies], async () => [await db.tallies.where('connectionId').equals(connectionId).toArray(), await countTallies(db.records, connectionId)] as const);
  if (driftOf(kept, counted).repaired === 0) return { streams: counted.length, repaired: 0, storedDrift: 0, tombstonedDrift: 0 };
  // Counted again under the write lock: a capture that landed between the two transactions is in both the rows and the counts.
  const check = await db.transaction('rw', [db.records, db.tallies], async () => {
    const before = await db.tallies.where('connectionId').equals(connectionId).toArray();
    const now = await countTallies(db.records, connectionId);
    const drift = driftOf(before, now);
    if (drift.repaired > 0) {
      await db.tallies.where('connectionId').equals(connectionId).delete();
      if (now.length > 0) await db.tallies.bulkPut(now);
    }
    return { streams: now.length, ...drift };
  });
  if (check.repaired > 0) console.warn('[gleaner] record counts repaired:', check.repaired, 'stream(s), stored off by', check.storedDrift, ', tombstoned off by', check.tombstonedDrift);
  return check;
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
