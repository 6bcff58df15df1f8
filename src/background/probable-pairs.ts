/**
 * Probable duplicates on read: for a stream that declares a
 * `ProbableDuplicateRule`, the pairs of one connection's visible records
 * (src/core/probable-duplicates.ts `findProbablePairs`), recomputed whenever
 * the connection's records change, so a pair follows either side's edits and
 * disappears with either side. Nothing is stored, merged or exported.
 *
 * Cost: one read of the stream's smallest method group (usually the pages'
 * few hundred records) for its match keys, then one pass over the other
 * groups keeping only records that share a key; results are cached per
 * connection and stream until the connection's batches, record count or
 * change feed move.
 */
import Dexie from 'dexie';
import type { StreamDefinition } from '../connectors/types';
import { ACQUISITION_METHODS, type AcquisitionMethod, type StoredRecord } from '../core/model';
import { findProbablePairs, type PairCandidate, type ProbablePair } from '../core/probable-duplicates';
import { TOMBSTONE_INDEX, type GleanerDatabase } from '../db/database';

const PRIMARY_KEY = '[connectionId+stream+rid]';
const cache = new Map<string, { stamp: string; pairs: ProbablePair[] }>();

/** Changes whenever a record of the connection can have changed: a batch landed, a record came or went, the change feed moved. */
async function stampOf(db: GleanerDatabase, connectionId: string, stream: string): Promise<string> {
  const batches = await db.batches.where('connectionId').equals(connectionId).count();
  const records = await db.records.where(PRIMARY_KEY).between([connectionId, stream, Dexie.minKey], [connectionId, stream, Dexie.maxKey]).count();
  const lastChange = await db.changes.where('[connectionId+seq]').between([connectionId, Dexie.minKey], [connectionId, Dexie.maxKey]).lastKey().catch(() => undefined);
  const tombstoned = await db.records.where(TOMBSTONE_INDEX).between([connectionId, stream, Dexie.minKey], [connectionId, stream, Dexie.maxKey]).count();
  return JSON.stringify([batches, records, lastChange ?? null, tombstoned]);
}

/** Records whose identity starts with `<method>/` (a stream without cross-method identity keys its records so). */
function methodRange(connectionId: string, stream: string, method: AcquisitionMethod): [[string, string, string], [string, string, string]] {
  return [
    [connectionId, stream, `${method}/`],
    [connectionId, stream, `${method}/\uffff`],
  ];
}

function candidate(record: StoredRecord): PairCandidate {
  return { rid: record.rid, data: record.data, methods: record.methods };
}

async function computePairs(db: GleanerDatabase, connectionId: string, definition: StreamDefinition): Promise<ProbablePair[]> {
  const rule = definition.probableDuplicates!;
  const sizes: { method: AcquisitionMethod; size: number }[] = [];
  for (const method of ACQUISITION_METHODS) {
    const [lower, upper] = methodRange(connectionId, definition.name, method);
    const size = await db.records.where(PRIMARY_KEY).between(lower, upper, true, true).count();
    if (size > 0) sizes.push({ method, size });
  }
  if (sizes.length < 2) return [];
  sizes.sort((a, b) => a.size - b.size);
  const keysOf = (record: StoredRecord) => record.methods.flatMap((method) => rule.matchKeys(record.data, method));
  const [smallest, ...others] = sizes;
  const read = (method: AcquisitionMethod) => {
    const [lower, upper] = methodRange(connectionId, definition.name, method);
    return db.records.where(PRIMARY_KEY).between(lower, upper, true, true);
  };
  const base = (await read(smallest!.method).toArray()).filter((record) => !record.tombstone);
  const keys = new Set(base.flatMap(keysOf));
  const candidates = base.map(candidate);
  for (const { method } of others) {
    // With more than two methods, records of two larger groups may pair too: keep every key of theirs.
    const keepAll = others.length > 1;
    await read(method).each((record) => {
      if (record.tombstone) return;
      if (keepAll || keysOf(record).some((key) => keys.has(key))) candidates.push(candidate(record));
    });
  }
  return findProbablePairs(rule, candidates);
}

/** The probable pairs of one stream of one connection (cached until its records change). */
export async function probablePairsOf(db: GleanerDatabase, connectionId: string, definition: StreamDefinition): Promise<ProbablePair[]> {
  if (!definition.probableDuplicates || definition.crossMethodIdentity) return [];
  const cacheKey = `${connectionId}\u0000${definition.name}`;
  const stamp = await stampOf(db, connectionId, definition.name);
  const hit = cache.get(cacheKey);
  if (hit && hit.stamp === stamp) return hit.pairs;
  const pairs = await computePairs(db, connectionId, definition);
  cache.set(cacheKey, { stamp, pairs });
  return pairs;
}

/** Each paired record's partner and why. */
export function partnersOf(pairs: readonly ProbablePair[]): Map<string, { partner: string; reason: string }> {
  const out = new Map<string, { partner: string; reason: string }>();
  for (const pair of pairs) {
    out.set(pair.a, { partner: pair.b, reason: pair.reason });
    out.set(pair.b, { partner: pair.a, reason: pair.reason });
  }
  return out;
}
