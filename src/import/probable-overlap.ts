/**
 * The preview's "overlap with existing captures" for a stream whose records
 * cannot be proven the same across methods (YouTube, Netflix): how many of a
 * file's records probably are already kept from pages in a connection (same
 * match key as a page record; see `ProbableDuplicateRule`). Counted per file
 * record, so it says "probably", never "already there", and changes nothing.
 */
import Dexie from 'dexie';
import type { StreamDefinition } from '../connectors/types';
import type { AcquisitionMethod, Observation } from '../core/model';
import type { GleanerDatabase } from '../db/database';

/** Match keys of a connection's visible records of `stream` kept by any method but `method`. */
export async function otherMethodKeys(db: GleanerDatabase, connectionId: string, stream: StreamDefinition, method: AcquisitionMethod): Promise<Set<string>> {
  const keys = new Set<string>();
  const rule = stream.probableDuplicates;
  if (!rule || stream.crossMethodIdentity) return keys;
  await db.records
    .where('[connectionId+stream+rid]')
    .between([connectionId, stream.name, Dexie.minKey], [connectionId, stream.name, Dexie.maxKey])
    .each((record) => {
      if (record.tombstone || record.methods.includes(method)) return;
      for (const m of record.methods) for (const key of rule.matchKeys(record.data, m)) keys.add(key);
    });
  return keys;
}

/** How many of `observations` (of `stream`) share a key with `keys`. */
export function probablyKept(stream: StreamDefinition, observations: readonly Observation[], keys: ReadonlySet<string>, method: AcquisitionMethod): number {
  const rule = stream.probableDuplicates;
  if (!rule || keys.size === 0) return 0;
  let count = 0;
  for (const observation of observations) {
    if (observation.stream !== stream.name) continue;
    if (rule.matchKeys(observation.data, method).some((key) => keys.has(key))) count += 1;
  }
  return count;
}
