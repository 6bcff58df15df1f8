/**
 * The merge engine: applies one acquisition batch to one connection inside a
 * single Dexie transaction and returns its receipt. The invariants M1–M10
 * (docs/DATA-MODEL.md) are enforced here and nowhere else.
 */
import type { ChangeRow, GleanerDatabase } from '../db/database';
import type { StreamDefinition } from '../connectors/types';
import { canonicalJson } from '../export/canonical-json';
import { fieldPolicies, mergeVersions } from './field-merge';
import { newId } from './hash';
import {
  EventTime,
  emptyCounts,
  type AcquisitionBatch,
  type AcquisitionMethod,
  type BatchWarning,
  type CoverageClaim,
  type Observation,
  type Provenance,
  type RecordVersion,
  type StoredRecord,
} from './model';

type ChangeInput = Pick<ChangeRow, 'kind' | 'stream' | 'rid' | 'op'>;

export interface BatchInput {
  connectionId: string;
  connectorKey: string;
  streams: readonly StreamDefinition[];
  method: AcquisitionMethod;
  provenance: Provenance;
  coverage: CoverageClaim[];
  observations: Observation[];
  warnings?: BatchWarning[];
  /** Rows the parser skipped or could not read, counted into the receipt. */
  skipped?: number;
  failed?: number;
  dataAsOf: string;
  artifactSha256?: string;
  /** Canonical content hash of a page capture (M7). */
  contentHash?: string;
  pageUrl?: string;
  /** Injected for deterministic tests. */
  batchId?: string;
  now?: string;
}

export type ReceiptOutcome = 'merged' | 'already_imported' | 'unchanged_recapture';

export interface BatchReceipt {
  outcome: ReceiptOutcome;
  batch: AcquisitionBatch;
}

/** Identity of a record within its stream (M2): the key alone only under a cross-method identity rule. */
export function recordIdentity(stream: StreamDefinition, method: AcquisitionMethod, key: string): string {
  return stream.crossMethodIdentity ? key : `${method}/${key}`;
}

/** The `|`-joined primary key of `data`, or undefined when a key field is missing. */
export function recordKeyParts(stream: StreamDefinition, data: Record<string, unknown>): string[] | undefined {
  const parts: string[] = [];
  for (const field of stream.primaryKey) {
    const value = data[field];
    if (value === undefined || value === null || (typeof value !== 'string' && typeof value !== 'number')) return undefined;
    const text = String(value).trim();
    if (text === '') return undefined;
    parts.push(text);
  }
  return parts;
}

export function eventTimeOf(stream: StreamDefinition, data: Record<string, unknown>): string {
  const value = data[stream.eventTimeField];
  return typeof value === 'string' && EventTime.safeParse(value).success ? value : '';
}

/** Is `eventTime` inside [start, end]? Day-precision bounds cover their whole day. */
export function withinWindow(eventTime: string, start: string, end: string): boolean {
  if (eventTime === '') return false;
  return eventTime >= start && eventTime <= upperBound(end);
}

function upperBound(end: string): string {
  return end.length === 10 ? `${end}\uffff` : end;
}

interface PreparedObservation {
  stream: StreamDefinition;
  key: string;
  keyParts: string[];
  rid: string;
  data: Record<string, unknown>;
}

/** Validates observations against their stream schemas; invalid ones become failures with warnings. */
export function prepareObservations(
  input: Pick<BatchInput, 'streams' | 'method' | 'observations'>,
  warnings: BatchWarning[],
): { prepared: Map<string, PreparedObservation>; failed: number; duplicates: number } {
  const byName = new Map(input.streams.map((stream) => [stream.name, stream]));
  const prepared = new Map<string, PreparedObservation>();
  let failed = 0;
  let duplicates = 0;
  input.observations.forEach((observation, index) => {
    const stream = byName.get(observation.stream);
    if (!stream) {
      failed += 1;
      warnings.push({ code: 'unknown_stream', message: `A record of an unknown kind ("${observation.stream.slice(0, 40)}") was ignored.`, where: `item ${index + 1}` });
      return;
    }
    const parsed = stream.schema.safeParse(observation.data);
    if (!parsed.success) {
      failed += 1;
      warnings.push({ code: 'invalid_record', message: `A ${stream.displayName} record did not have the expected shape and was not saved.`, where: `item ${index + 1}` });
      return;
    }
    const data = parsed.data;
    const keyParts = recordKeyParts(stream, data);
    if (!keyParts) {
      failed += 1;
      warnings.push({ code: 'missing_key', message: `A ${stream.displayName} record had no ${stream.primaryKey.join(' + ')} and was not saved.`, where: `item ${index + 1}` });
      return;
    }
    const key = keyParts.join('|');
    const rid = recordIdentity(stream, input.method, key);
    const mapKey = `${stream.name}\u0000${rid}`;
    const earlier = prepared.get(mapKey);
    if (earlier) {
      // The same record twice in one batch: one observation, fields merged.
      duplicates += 1;
      earlier.data = mergeVersions(
        [
          { data: earlier.data, method: input.method, batchIds: ['a'], asOf: '0' },
          { data, method: input.method, batchIds: ['b'], asOf: '1' },
        ],
        fieldPolicies(stream),
      );
      return;
    }
    prepared.set(mapKey, { stream, key, keyParts, rid, data });
  });
  return { prepared, failed, duplicates };
}

function sameData(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Adds one batch's observation to a record's versions (an identical version just gains the batch id). */
function addVersion(versions: RecordVersion[], observed: RecordVersion): RecordVersion[] {
  const identical = versions.find((version) => version.method === observed.method && sameData(version.data, observed.data));
  if (!identical) return [...versions, observed];
  return versions.map((version) =>
    version === identical
      ? { ...version, batchIds: [...version.batchIds, ...observed.batchIds], asOf: version.asOf > observed.asOf ? version.asOf : observed.asOf }
      : version,
  );
}

/** A full claim a record can be measured against. */
interface FullClaim {
  batchId: string;
  method: AcquisitionMethod;
  dataAsOf: string;
  claim: CoverageClaim;
}

/**
 * Does `claim` have authority to tombstone `record` (M6)? Only a full claim on
 * the record's stream, with the record's event time inside its window, from a
 * batch that did not observe it, whose data is newer than every observation of
 * the record, and — unless the stream authorises cross-method reconciliation —
 * only when every observation came from the claim's own method. Measured on
 * data time, never arrival order, so batches commute (M10).
 */
export function claimTombstones(stream: StreamDefinition, record: Pick<StoredRecord, 'stream' | 'eventTime' | 'batchIds' | 'methods' | 'versions'>, full: FullClaim): boolean {
  const { claim } = full;
  if (claim.completeness !== 'full' || claim.stream !== record.stream) return false;
  if (!withinWindow(record.eventTime, claim.start, claim.end)) return false;
  if (record.batchIds.includes(full.batchId)) return false;
  if (!record.versions.every((version) => version.asOf < full.dataAsOf)) return false;
  return stream.crossMethodReconciliation || record.methods.every((method) => method === full.method);
}

function tombstoneFor(full: FullClaim, now: string) {
  const { claim } = full;
  return { batchId: full.batchId, at: now, reason: `Not present in a complete read of ${claim.start} to ${claim.end}${claim.evidence ? ` (${claim.evidence})` : ''}.` };
}

async function storedFullClaims(db: GleanerDatabase, connectionId: string): Promise<FullClaim[]> {
  const batches = await db.batches.where('connectionId').equals(connectionId).toArray();
  return batches.flatMap((batch) =>
    batch.coverage.filter((claim) => claim.completeness === 'full').map((claim) => ({ batchId: batch.id, method: batch.method, dataAsOf: batch.dataAsOf, claim })),
  );
}

function uniquePush<T>(list: readonly T[], item: T): T[] {
  return list.includes(item) ? [...list] : [...list, item];
}

/** Applies one batch in one transaction; see the module comment. */
export async function applyBatch(db: GleanerDatabase, input: BatchInput): Promise<BatchReceipt> {
  return db.transaction('rw', [db.batches, db.records, db.connections, db.changes], async () => {
    const connection = await db.connections.get(input.connectionId);
    if (!connection) throw new Error(`No connection ${input.connectionId}`);
    if (connection.connectorKey !== input.connectorKey) throw new Error('Batch connector does not match the connection');

    // M7: the same artifact into the same connection changes nothing.
    if (input.artifactSha256) {
      const original = await db.batches.where('[connectionId+artifactSha256]').equals([input.connectionId, input.artifactSha256]).first();
      if (original) return { outcome: 'already_imported', batch: original };
    }
    const now = input.now ?? new Date().toISOString();
    // M7: an unchanged re-capture of a page only bumps a counter on its latest batch.
    if (input.contentHash && input.pageUrl) {
      const samePage = await db.batches.where('[connectionId+pageUrl]').equals([input.connectionId, input.pageUrl]).toArray();
      const latest = samePage.sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : -1))[0];
      if (latest && latest.contentHash === input.contentHash) {
        const bumped = { ...latest, recaptureCount: latest.recaptureCount + 1, lastRecapturedAt: now };
        await db.batches.put(bumped);
        return { outcome: 'unchanged_recapture', batch: bumped };
      }
    }

    const batchId = input.batchId ?? newId('bat');
    const warnings = [...(input.warnings ?? [])];
    const { prepared, failed, duplicates } = prepareObservations(input, warnings);
    const counts = emptyCounts();
    counts.parsed = input.observations.length;
    counts.failed = failed + (input.failed ?? 0);
    counts.skipped = (input.skipped ?? 0) + duplicates;
    if (duplicates > 0) {
      warnings.push({ code: 'duplicates_in_batch', message: `${duplicates} record(s) appeared more than once and were combined.` });
    }

    const entries = [...prepared.values()];
    const existing = await db.records.bulkGet(entries.map((entry) => [input.connectionId, entry.stream.name, entry.rid] as [string, string, string]));
    const writes: StoredRecord[] = [];
    /** The change feed (outbox) entries for visible changes this batch makes. */
    const changes: ChangeInput[] = [];
    // Earlier full claims still judge what this batch observes: an observation older than a claim that lacked it stays hidden.
    const earlierFullClaims = entries.length > 0 ? await storedFullClaims(db, input.connectionId) : [];
    const observedIds = new Set<string>();
    let minEvent = '';
    let maxEvent = '';

    entries.forEach((entry, index) => {
      observedIds.add(`${entry.stream.name}\u0000${entry.rid}`);
      const version: RecordVersion = { data: entry.data, method: input.method, batchIds: [batchId], asOf: input.dataAsOf };
      const before = existing[index];
      const versions = before ? addVersion(before.versions, version) : [version];
      const data = mergeVersions(versions, fieldPolicies(entry.stream));
      const eventTime = eventTimeOf(entry.stream, data);
      const observedTime = eventTimeOf(entry.stream, entry.data);
      if (observedTime) {
        if (!minEvent || observedTime < minEvent) minEvent = observedTime;
        if (!maxEvent || observedTime > maxEvent) maxEvent = observedTime;
      }
      const record: StoredRecord = {
        connectionId: input.connectionId,
        stream: entry.stream.name,
        rid: entry.rid,
        key: entry.key,
        keyParts: entry.keyParts,
        eventTime,
        data,
        versions,
        batchIds: uniquePush(before?.batchIds ?? [], batchId),
        methods: uniquePush(before?.methods ?? [], input.method),
        firstSeenAt: before?.firstSeenAt ?? now,
        updatedAt: now,
      };
      const standing = earlierFullClaims.find((full) => claimTombstones(entry.stream, record, full));
      if (standing) record.tombstone = before?.tombstone?.batchId === standing.batchId ? before.tombstone : tombstoneFor(standing, now);
      if (!before) {
        counts.new += 1;
      } else if (before.tombstone && !record.tombstone) {
        counts.restored += 1; // M6: newer evidence (or another method's) lifts the tombstone.
      } else if (!sameData(before.data, data)) {
        counts.updated += 1;
      } else {
        counts.alreadyKnown += 1;
      }
      const wasVisible = !!before && !before.tombstone;
      if (!record.tombstone && (!wasVisible || !sameData(before.data, data))) changes.push({ kind: 'record', stream: record.stream, rid: record.rid, op: 'upsert' });
      else if (record.tombstone && wasVisible) changes.push({ kind: 'record', stream: record.stream, rid: record.rid, op: 'delete' });
      writes.push(record);
    });

    // M6: this batch's own full claims, over the records it did not observe.
    for (const claim of input.coverage) {
      if (claim.completeness !== 'full') continue;
      const stream = input.streams.find((candidate) => candidate.name === claim.stream);
      if (!stream) continue;
      const full: FullClaim = { batchId, method: input.method, dataAsOf: input.dataAsOf, claim };
      const inWindow = await db.records
        .where('[connectionId+stream+eventTime]')
        .between([input.connectionId, stream.name, claim.start], [input.connectionId, stream.name, upperBound(claim.end)], true, true)
        .toArray();
      for (const record of inWindow) {
        if (record.tombstone || observedIds.has(`${record.stream}\u0000${record.rid}`)) continue;
        if (!claimTombstones(stream, record, full)) continue;
        counts.tombstoned += 1;
        writes.push({ ...record, tombstone: tombstoneFor(full, now), updatedAt: now });
        changes.push({ kind: 'record', stream: record.stream, rid: record.rid, op: 'delete' });
      }
    }

    const batch: AcquisitionBatch = {
      id: batchId,
      connectionId: input.connectionId,
      connectorKey: input.connectorKey,
      method: input.method,
      provenance: input.provenance,
      coverage: input.coverage,
      counts,
      warnings: warnings.slice(0, 200),
      status: 'committed',
      receivedAt: now,
      dataAsOf: input.dataAsOf,
      artifactSha256: input.artifactSha256,
      contentHash: input.contentHash,
      pageUrl: input.pageUrl,
      recaptureCount: 0,
      eventRange: minEvent ? { start: minEvent, end: maxEvent } : undefined,
    };
    await db.records.bulkPut(writes);
    await db.batches.add(batch);
    changes.push({ kind: 'batch', op: 'upsert' });
    await db.changes.bulkAdd(changes.map((change) => ({ ...change, connectionId: input.connectionId, batchId, at: now })));
    return { outcome: 'merged', batch };
  });
}
