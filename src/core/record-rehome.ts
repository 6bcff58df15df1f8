/**
 * Record surgery shared by a merge of two connections and a move of one
 * import (`connection-merge.ts`, `import-move.ts`): a record rebuilt from its
 * versions exactly as the merge engine would have built it from the same
 * batches, and tombstones judged again from every full claim (M6). Pure:
 * no database access.
 */
import type { StreamDefinition } from '../connectors/types';
import { canonicalJson } from '../export/canonical-json';
import { fieldPolicies, mergeVersions } from './field-merge';
import { claimTombstones, eventTimeOf, tombstoneFor, type FullClaim } from './merge-engine';
import type { AcquisitionBatch, RecordVersion, StoredRecord, Tombstone } from './model';
import { searchTermsOf } from './search-terms';

/** Every full claim of `batches`, as the merge engine measures records against them. */
export function fullClaimsOf(batches: readonly AcquisitionBatch[]): FullClaim[] {
  return batches.flatMap((batch) =>
    batch.coverage.filter((claim) => claim.completeness === 'full').map((claim) => ({ batchId: batch.id, method: batch.method, dataAsOf: batch.dataAsOf, claim })),
  );
}

function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/** Two version lists as one: a version with the same method and data gains the other's batch ids (as `addVersion` does). */
export function unionVersions(first: readonly RecordVersion[], second: readonly RecordVersion[]): RecordVersion[] {
  const out = first.map((version) => ({ ...version, batchIds: [...version.batchIds] }));
  for (const version of second) {
    const same = out.find((candidate) => candidate.method === version.method && canonicalJson(candidate.data) === canonicalJson(version.data));
    if (same) {
      same.batchIds = unique([...same.batchIds, ...version.batchIds]);
      if (version.asOf > same.asOf) same.asOf = version.asOf;
    } else {
      out.push({ ...version, batchIds: [...version.batchIds] });
    }
  }
  return out;
}

/**
 * A record of `connectionId` made of `versions`: merged data, event time,
 * batches and methods follow from the versions alone (M3, M4). `base` gives
 * the identity and first-seen time; its tombstone is judged later.
 */
export function rebuild(stream: StreamDefinition | undefined, base: StoredRecord, versions: RecordVersion[], connectionId: string, now: string, firstSeenAt = base.firstSeenAt): StoredRecord {
  const data = stream ? mergeVersions(versions, fieldPolicies(stream)) : base.data;
  const batchIds = unique([...base.batchIds, ...versions.flatMap((version) => version.batchIds)]).filter((id) => versions.some((version) => version.batchIds.includes(id)));
  const record: StoredRecord = {
    connectionId,
    stream: base.stream,
    rid: base.rid,
    key: base.key,
    keyParts: base.keyParts,
    eventTime: stream ? eventTimeOf(stream, data) : base.eventTime,
    data,
    versions,
    batchIds,
    methods: unique(versions.map((version) => version.method)),
    firstSeenAt,
    updatedAt: now,
    // The words the records browser's search finds it by (index *searchTerms), as the merge engine keeps them.
    searchTerms: searchTermsOf(stream, data, base.key),
  };
  if (base.changeSeq !== undefined) record.changeSeq = base.changeSeq;
  if (base.tombstone) record.tombstone = base.tombstone;
  return record;
}

/**
 * The tombstone a record should carry given every full claim of its
 * connection (M6): the one it has if that claim still has authority, another
 * authorised claim's, or none. The merge engine keeps exactly this state
 * (more observations only ever take authority away), so judging again after a
 * merge or a move gives what applying the batches to one connection gives.
 */
export function judgeTombstone(stream: StreamDefinition | undefined, record: StoredRecord, claims: readonly FullClaim[], now: string): Tombstone | undefined {
  if (!stream) return record.tombstone;
  const authorised = claims.filter((full) => claimTombstones(stream, record, full));
  if (authorised.length === 0) return undefined;
  if (record.tombstone && authorised.some((full) => full.batchId === record.tombstone!.batchId)) return record.tombstone;
  return tombstoneFor(authorised[0]!, now);
}

export function withTombstone(record: StoredRecord, tombstone: Tombstone | undefined): StoredRecord {
  const { tombstone: _old, ...rest } = record;
  return tombstone ? { ...rest, tombstone } : rest;
}

/** Do two stored states differ in what the server should hold (data, or visible vs gone)? */
export function serverStateDiffers(before: StoredRecord | undefined, after: StoredRecord): boolean {
  if (!before) return true;
  if (!!before.tombstone !== !!after.tombstone) return true;
  return !after.tombstone && canonicalJson(before.data) !== canonicalJson(after.data);
}

export const recordSlot = (record: Pick<StoredRecord, 'stream' | 'rid'>): string => `${record.stream}\u0000${record.rid}`;
