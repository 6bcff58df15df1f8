/**
 * Counting and paging one connection's records through indexes, so a read
 * costs what it returns, not what the connection holds (the popup lists
 * connections on every open; a connection may hold a million records).
 *
 *   [connectionId+stream+eventTime]               every record: newest-first order, day windows
 *   [connectionId+stream+eventTime+tombstone.at]  tombstoned records only (v5; no tombstone, no entry)
 *
 * Visible = all − tombstoned, each counted on an index without reading a
 * record. A page of one stream is cut from the index's primary keys and only
 * its records are read; several streams are merged newest first, reading each
 * stream's records a chunk at a time until the page is full (tombstoned ones
 * skipped by key, unread). Filters on what
 * a record says (words, methods) need the records themselves: `scanRecords`
 * reads the window chunk by chunk, keeping only what the page needs. A
 * page's parts (an order's items) are one read over the primary key's ranges
 * (`recordsByIdPrefix`).
 *
 * Every read is a key-range query (`getAll`/`getAllKeys`, no cursor stepping),
 * except `recordsByIdPrefix`: one cursor that jumps between its key ranges.
 */
import Dexie from 'dexie';
import type { StoredRecord } from '../core/model';
import { TOMBSTONE_INDEX, type GleanerDatabase } from './database';

const TIME_INDEX = '[connectionId+stream+eventTime]';
const PRIMARY_KEY = '[connectionId+stream+rid]';
/** Sorts after '' (undated) and before every dated event time. */
const FIRST_DATED = '\u0000';
/** No connector has this many streams; stops a runaway walk. */
const MAX_STREAMS = 1000;
/** Records read per query while merging streams or scanning. */
const CHUNK = 500;

type RecordKey = [string, string, string];
type Bound = [string, ...unknown[]];

export interface RecordWindow {
  /** Inclusive calendar days `YYYY-MM-DD`; records without a date are outside any window. */
  from?: string;
  to?: string;
}

export interface RecordPageRequest extends RecordWindow {
  connectionId: string;
  /** The streams to read (one, or every stream of the connection). */
  streams: readonly string[];
  includeTombstoned: boolean;
  offset: number;
  limit: number;
}

export interface RecordPage {
  total: number;
  records: StoredRecord[];
}

/** A page with `total` per stream of the request (zero included). */
export interface CountedRecordPage extends RecordPage {
  byStream: Record<string, number>;
}

const uncounted = async (page: Promise<CountedRecordPage>): Promise<RecordPage> => {
  const { total, records } = await page;
  return { total, records };
};

type Ordered = Pick<StoredRecord, 'stream' | 'rid' | 'eventTime'>;

/**
 * The order pages are cut in, which is the event-time index's own order read
 * backwards: newest event first (undated last), then by record identity
 * descending, then by stream. Strings compare by code unit, as IndexedDB
 * orders its keys.
 */
export function newestFirst(a: Ordered, b: Ordered): number {
  if (a.eventTime !== b.eventTime) return a.eventTime > b.eventTime ? -1 : 1;
  if (a.rid !== b.rid) return a.rid > b.rid ? -1 : 1;
  return a.stream > b.stream ? -1 : a.stream < b.stream ? 1 : 0;
}

/** Index bounds of one stream's records inside a window; both record indexes start with these three parts. */
function bounds(connectionId: string, stream: string, window: RecordWindow): [Bound, Bound] {
  const lower = window.from ?? (window.to ? FIRST_DATED : Dexie.minKey);
  const upper = window.to ? `${window.to}\uffff` : Dexie.maxKey;
  return [
    [connectionId, stream, lower],
    [connectionId, stream, upper],
  ];
}

const present = (records: (StoredRecord | undefined)[]): StoredRecord[] => records.filter((record): record is StoredRecord => !!record);

/** All and tombstoned records of a connection, counted on indexes (no record is read). */
export async function countConnectionRecords(db: GleanerDatabase, connectionId: string): Promise<{ all: number; tombstoned: number }> {
  return db.transaction('r', db.records, async () => ({
    all: await db.records.where('connectionId').equals(connectionId).count(),
    tombstoned: await db.records.where(TOMBSTONE_INDEX).between([connectionId, Dexie.minKey], [connectionId, Dexie.maxKey]).count(),
  }));
}

/** A connection's tombstoned records (read through the index that holds only them). */
/** Visible records per stream of a connection, counted on indexes (a key range per stream, tombstones apart). */
export async function countVisibleByStream(db: GleanerDatabase, connectionId: string, streams: readonly string[]): Promise<Record<string, number>> {
  return db.transaction('r', db.records, async () => {
    const out: Record<string, number> = {};
    for (const stream of streams) {
      const all = await db.records.where('[connectionId+stream+rid]').between([connectionId, stream, Dexie.minKey], [connectionId, stream, Dexie.maxKey]).count();
      const gone = await db.records.where(TOMBSTONE_INDEX).between([connectionId, stream, Dexie.minKey], [connectionId, stream, Dexie.maxKey]).count();
      out[stream] = all - gone;
    }
    return out;
  });
}

export async function tombstonedRecords(db: GleanerDatabase, connectionId: string): Promise<StoredRecord[]> {
  return db.records.where(TOMBSTONE_INDEX).between([connectionId, Dexie.minKey], [connectionId, Dexie.maxKey]).toArray();
}

/** The streams a connection has records in, in name order: one key lookup per stream. */
export async function streamsOf(db: GleanerDatabase, connectionId: string): Promise<string[]> {
  const streams: string[] = [];
  while (streams.length < MAX_STREAMS) {
    const previous = streams.at(-1);
    const lower: Bound = previous === undefined ? [connectionId, Dexie.minKey] : [connectionId, previous, Dexie.maxKey];
    const [next] = (await db.records.where(TIME_INDEX).between(lower, [connectionId, Dexie.maxKey], false, true).limit(1).primaryKeys()) as RecordKey[];
    if (!next) break;
    streams.push(next[1]);
  }
  return streams;
}

/** Primary keys of one stream's tombstoned records in a window, by identity. */
async function tombstonedIds(db: GleanerDatabase, lower: Bound, upper: Bound): Promise<Set<string>> {
  return new Set(((await db.records.where(TOMBSTONE_INDEX).between(lower, upper, true, true).primaryKeys()) as RecordKey[]).map((key) => key[2]));
}

/**
 * One stream's records in a window, in `newestFirst` order, `chunk` index
 * entries at a time; records whose identity is in `skip` are never read.
 * Index ranges cannot resume inside a run of equal event times, so when a
 * chunk ends in one, that run is read by its keys before moving on.
 */
async function* newestFirstChunks(db: GleanerDatabase, connectionId: string, stream: string, window: RecordWindow, chunk = CHUNK, skip: ReadonlySet<string> = new Set()): AsyncGenerator<StoredRecord[]> {
  const [lower, end] = bounds(connectionId, stream, window);
  const read = async (keys: RecordKey[]) => present(await db.records.bulkGet(keys.filter((key) => !skip.has(key[2]))));
  let upper = end;
  let upperOpen = false;
  for (;;) {
    const keys = (await db.records.where(TIME_INDEX).between(lower, upper, true, !upperOpen).reverse().limit(chunk).primaryKeys()) as RecordKey[];
    if (keys.length === 0) return;
    if (keys.length < chunk) {
      yield await read(keys);
      return;
    }
    // Resume after the event time of the last record read: entries past it in this chunk were all skipped,
    // so reading them again costs nothing. Only a chunk with nothing to read needs one record for its time.
    const records = await read(keys);
    const lastTime = records.at(-1)?.eventTime ?? (await db.records.get(keys.at(-1)!))?.eventTime;
    if (lastTime === undefined) return; // gone meanwhile (cannot happen inside the read transaction)
    const before = records.filter((record) => record.eventTime !== lastTime);
    yield before;
    // The whole run of `lastTime`, in identity order descending; the chunk held its first entries.
    const run = ((await db.records.where(TIME_INDEX).equals([connectionId, stream, lastTime]).primaryKeys()) as RecordKey[]).reverse();
    const seen = new Set(records.slice(before.length).map((record) => record.rid));
    const rest = run.filter((key) => !seen.has(key[2]));
    yield records.slice(before.length);
    for (let at = 0; at < rest.length; at += chunk) yield await read(rest.slice(at, at + chunk));
    upper = [connectionId, stream, lastTime];
    upperOpen = true;
  }
}

/** Merges streams already in `newestFirst` order, taking the first `count` records. */
async function mergeNewestFirst(sources: AsyncGenerator<StoredRecord[]>[], count: number): Promise<StoredRecord[]> {
  const heads = sources.map((source) => ({ source, buffer: [] as StoredRecord[], at: 0, done: false }));
  const head = async (slot: (typeof heads)[number]): Promise<StoredRecord | undefined> => {
    while (!slot.done && slot.at >= slot.buffer.length) {
      const next = await slot.source.next();
      if (next.done) slot.done = true;
      else {
        slot.buffer = next.value;
        slot.at = 0;
      }
    }
    return slot.done ? undefined : slot.buffer[slot.at];
  };
  const out: StoredRecord[] = [];
  while (out.length < count) {
    let best: (typeof heads)[number] | undefined;
    let bestRecord: StoredRecord | undefined;
    for (const slot of heads) {
      const record = await head(slot);
      if (record && (!bestRecord || newestFirst(record, bestRecord) < 0)) {
        best = slot;
        bestRecord = record;
      }
    }
    if (!best || !bestRecord) break;
    out.push(bestRecord);
    best.at += 1;
  }
  await Promise.all(heads.map((slot) => slot.source.return(undefined)));
  return out;
}

/**
 * One page of records in `newestFirst` order, with how many there are in
 * all, answered from indexes: for one stream only the page's records are
 * read; for several, at most the page's position plus a chunk per stream.
 */
export async function pageRecords(db: GleanerDatabase, request: RecordPageRequest): Promise<RecordPage> {
  return uncounted(pageRecordsByStream(db, request));
}

/** `pageRecords` with the total per stream, from the same index counts. */
export async function pageRecordsByStream(db: GleanerDatabase, request: RecordPageRequest): Promise<CountedRecordPage> {
  const { connectionId, offset, limit } = request;
  const need = offset + limit;
  const streams = [...new Set(request.streams)];
  return db.transaction('r', db.records, async () => {
    let total = 0;
    const byStream: Record<string, number> = {};
    const gone = new Map<string, Set<string>>();
    for (const stream of streams) {
      const [lower, upper] = bounds(connectionId, stream, request);
      const tombstoned = request.includeTombstoned ? new Set<string>() : await tombstonedIds(db, lower, upper);
      gone.set(stream, tombstoned);
      byStream[stream] = (await db.records.where(TIME_INDEX).between(lower, upper, true, true).count()) - tombstoned.size;
      total += byStream[stream];
    }
    if (total <= offset || limit === 0) return { total, byStream, records: [] };
    if (streams.length === 1) {
      // The index's primary keys, newest first, are the order itself: enough of them for `need` visible records.
      const stream = streams[0]!;
      const skip = gone.get(stream)!;
      const [lower, upper] = bounds(connectionId, stream, request);
      const keys = (await db.records.where(TIME_INDEX).between(lower, upper, true, true).reverse().limit(need + skip.size).primaryKeys()) as RecordKey[];
      const page = keys.filter((key) => !skip.has(key[2])).slice(offset, need);
      return { total, byStream, records: present(await db.records.bulkGet(page)) };
    }
    const sources = streams.map((stream) => newestFirstChunks(db, connectionId, stream, request, Math.min(CHUNK, need), gone.get(stream)));
    const merged = await mergeNewestFirst(sources, need);
    return { total, byStream, records: merged.slice(offset) };
  });
}

/**
 * Like `pageRecords`, for filters on what records say: reads each stream's
 * window chunk by chunk, counting every match and keeping only what the page
 * needs. Time grows with the window; memory with the page. `chunk`: records
 * read per query. Streams are read one after the other in the order given,
 * so `matches` may use what it saw in an earlier stream (the records browser
 * reads items before orders, to find an order by its items).
 */
export async function scanRecords(db: GleanerDatabase, request: RecordPageRequest, matches: (record: StoredRecord) => boolean, chunk = CHUNK): Promise<RecordPage> {
  return uncounted(scanRecordsByStream(db, request, matches, chunk));
}

/** `scanRecords` with the matches counted per stream. */
export async function scanRecordsByStream(db: GleanerDatabase, request: RecordPageRequest, matches: (record: StoredRecord) => boolean, chunk = CHUNK): Promise<CountedRecordPage> {
  const { connectionId, offset, limit } = request;
  const need = offset + limit;
  return db.transaction('r', db.records, async () => {
    let total = 0;
    const byStream: Record<string, number> = {};
    const kept: StoredRecord[] = [];
    for (const stream of new Set(request.streams)) {
      let taken = 0;
      byStream[stream] = 0;
      for await (const records of newestFirstChunks(db, connectionId, stream, request, chunk)) {
        for (const record of records) {
          if ((!request.includeTombstoned && record.tombstone) || !matches(record)) continue;
          total += 1;
          byStream[stream] += 1;
          // Each stream arrives in page order, so its first `need` matches are all the page can use.
          if (taken < need) {
            kept.push(record);
            taken += 1;
          }
        }
      }
    }
    return { total, byStream, records: kept.sort(newestFirst).slice(offset, need) };
  });
}

/**
 * The records of `stream` whose identity begins with one of `prefixes` (the
 * items of a page of orders: `<order id>|`), in one indexed read: a single
 * query over the primary key that visits only those key ranges, jumping from
 * one to the next, so it reads what it returns. In identity order.
 */
export async function recordsByIdPrefix(db: GleanerDatabase, connectionId: string, stream: string, prefixes: readonly string[]): Promise<StoredRecord[]> {
  const ranges = [...new Set(prefixes)].filter(Boolean).map((prefix): [RecordKey, RecordKey] => [
    [connectionId, stream, prefix],
    [connectionId, stream, `${prefix}\uffff`],
  ]);
  if (ranges.length === 0) return [];
  return db.records.where(PRIMARY_KEY).inAnyRange(ranges, { includeUppers: true }).toArray();
}
