/**
 * The merge engine: applies one acquisition batch to one connection inside a
 * single Dexie transaction and returns its receipt. The invariants M1–M10
 * (docs/DATA-MODEL.md) are enforced here and nowhere else.
 */
import type { GleanerDatabase } from '../db/database';
import { writeChangeFeed, type ChangeInput } from './change-feed';
import { searchTermsOf } from './search-terms';
import { addTallies, noteWrite, type TallyDelta } from '../db/record-tallies';
import type { StreamDefinition } from '../connectors/types';
import { canonicalJson } from '../export/canonical-json';
import { fieldPolicies, mergeVersions } from './field-merge';
import { newId } from './hash';
import {
  EventTime,
  emptyCounts,
  type AcquisitionBatch,
  type AcquisitionMethod,
  type BatchCounts,
  type BatchWarning,
  type CoverageClaim,
  type Observation,
  type Provenance,
  type RecordVersion,
  type StoredRecord,
} from './model';

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

/** One primary key field's text, or undefined when it is missing or blank. */
function keyPart(value: unknown): string | undefined {
  if (value === undefined || value === null || (typeof value !== 'string' && typeof value !== 'number')) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/** The parts of `data`'s primary key, or undefined when a key field is missing. */
export function recordKeyParts(stream: StreamDefinition, data: Record<string, unknown>): string[] | undefined {
  const parts: string[] = [];
  for (const field of stream.primaryKey) {
    const text = keyPart(data[field]);
    if (text === undefined) return undefined;
    parts.push(text);
  }
  return parts;
}

/**
 * `recordKeyParts(stream, data)?.join('|')`. A key of one field (most streams') is its text: no array and
 * no join per record, which the preview pays for every record of an upload.
 */
export function joinedRecordKey(stream: StreamDefinition, data: Record<string, unknown>): string | undefined {
  if (stream.primaryKey.length === 1) return keyPart(data[stream.primaryKey[0]!]);
  return recordKeyParts(stream, data)?.join('|');
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

export interface PreparedObservation {
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
export interface FullClaim {
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

export function tombstoneFor(full: FullClaim, now: string) {
  const { claim } = full;
  return { batchId: full.batchId, at: now, reason: `Not present in a complete read of ${claim.start} to ${claim.end}${claim.evidence ? ` (${claim.evidence})` : ''}.` };
}

export async function storedFullClaims(db: GleanerDatabase, connectionId: string): Promise<FullClaim[]> {
  const batches = await db.batches.where('connectionId').equals(connectionId).toArray();
  return batches.flatMap((batch) =>
    batch.coverage.filter((claim) => claim.completeness === 'full').map((claim) => ({ batchId: batch.id, method: batch.method, dataAsOf: batch.dataAsOf, claim })),
  );
}

function uniquePush<T>(list: readonly T[], item: T): T[] {
  return list.includes(item) ? [...list] : [...list, item];
}

export interface MergeContext {
  connectionId: string;
  method: AcquisitionMethod;
  dataAsOf: string;
  batchId: string;
  now: string;
  fullClaims: FullClaim[];
  /** Combines two partial observations of one record from the same batch (chunked imports). */
  combine?: (stream: string, earlier: Record<string, unknown>, later: Record<string, unknown>) => Record<string, unknown>;
}

export interface MergeOutcome {
  writes: StoredRecord[];
  changes: ChangeInput[];
  observedIds: Set<string>;
  minEvent: string;
  maxEvent: string;
  /** Observations that continued a record this batch had already delivered (not counted again). */
  combined: number;
  /** What the writes change in the connection's record counts. */
  tally: TallyDelta;
}

/** Merges prepared observations into their stored records (M2–M6 for observed records); counts into `counts`. Inside a transaction. */
export async function mergeEntries(db: GleanerDatabase, ctx: MergeContext, entries: PreparedObservation[], counts: BatchCounts): Promise<MergeOutcome> {
  const existing = await db.records.bulkGet(entries.map((entry) => [ctx.connectionId, entry.stream.name, entry.rid] as [string, string, string]));
  const writes: StoredRecord[] = [];
  /** The change feed (outbox) entries for visible changes this batch makes. */
  const changes: ChangeInput[] = [];
  const observedIds = new Set<string>();
  let minEvent = '';
  let maxEvent = '';
  let combined = 0;
  const tally: TallyDelta = new Map();
  const { batchId, now } = ctx;

  entries.forEach((entry, index) => {
    observedIds.add(`${entry.stream.name}\u0000${entry.rid}`);
    const before = existing[index];
    let observedData = entry.data;
    let priorVersions = before?.versions ?? [];
    // A later chunk of the same batch continuing this record: its part is combined with the part already stored.
    const ownVersion = ctx.combine && before ? before.versions.find((version) => version.method === ctx.method && version.batchIds.includes(batchId)) : undefined;
    if (ownVersion && ctx.combine) {
      observedData = ctx.combine(entry.stream.name, ownVersion.data, entry.data);
      priorVersions = before!.versions
        .map((version) => (version === ownVersion ? { ...version, batchIds: version.batchIds.filter((id) => id !== batchId) } : version))
        .filter((version) => version.batchIds.length > 0);
      combined += 1;
    }
    const version: RecordVersion = { data: observedData, method: ctx.method, batchIds: [batchId], asOf: ctx.dataAsOf };
    const versions = before ? addVersion(priorVersions, version) : [version];
    const data = mergeVersions(versions, fieldPolicies(entry.stream));
    const eventTime = eventTimeOf(entry.stream, data);
    const observedTime = eventTimeOf(entry.stream, observedData);
    if (observedTime) {
      if (!minEvent || observedTime < minEvent) minEvent = observedTime;
      if (!maxEvent || observedTime > maxEvent) maxEvent = observedTime;
    }
    const record: StoredRecord = {
      connectionId: ctx.connectionId,
      stream: entry.stream.name,
      rid: entry.rid,
      key: entry.key,
      keyParts: entry.keyParts,
      eventTime,
      data,
      versions,
      batchIds: uniquePush(before?.batchIds ?? [], batchId),
      methods: uniquePush(before?.methods ?? [], ctx.method),
      firstSeenAt: before?.firstSeenAt ?? now,
      updatedAt: now,
      ...(before?.changeSeq !== undefined ? { changeSeq: before.changeSeq } : {}),
    };
    const standing = ctx.fullClaims.length > 0 ? ctx.fullClaims.find((full) => claimTombstones(entry.stream, record, full)) : undefined;
    if (standing) record.tombstone = before?.tombstone?.batchId === standing.batchId ? before.tombstone : tombstoneFor(standing, now);
    const changed = !before || !sameData(before.data, data);
    record.searchTerms = !changed && before?.searchTerms ? before.searchTerms : searchTermsOf(entry.stream, data, entry.key);
    if (ownVersion) {
      // Already counted when this batch first delivered the record.
    } else if (!before) {
      counts.new += 1;
    } else if (before.tombstone && !record.tombstone) {
      counts.restored += 1; // M6: newer evidence (or another method's) lifts the tombstone.
    } else if (changed) {
      counts.updated += 1;
    } else {
      counts.alreadyKnown += 1;
    }
    const wasVisible = !!before && !before.tombstone;
    if (!record.tombstone && (!wasVisible || changed)) changes.push({ kind: 'record', stream: record.stream, rid: record.rid, op: 'upsert', record });
    else if (record.tombstone && wasVisible) changes.push({ kind: 'record', stream: record.stream, rid: record.rid, op: 'delete', record });
    writes.push(record);
    noteWrite(tally, before, record);
  });
  return { writes, changes, observedIds, minEvent, maxEvent, combined, tally };
}

/** Applies one batch in one transaction; see the module comment. */
export async function applyBatch(db: GleanerDatabase, input: BatchInput): Promise<BatchReceipt> {
  return db.transaction('rw', [db.batches, db.records, db.connections, db.changes, db.tallies], async () => {
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
    // Earlier full claims still judge what this batch observes: an observation older than a claim that lacked it stays hidden.
    const earlierFullClaims = entries.length > 0 ? await storedFullClaims(db, input.connectionId) : [];
    const merged = await mergeEntries(db, { connectionId: input.connectionId, method: input.method, dataAsOf: input.dataAsOf, batchId, now, fullClaims: earlierFullClaims }, entries, counts);
    const { writes, changes, observedIds } = merged;
    const minEvent = merged.minEvent;
    const maxEvent = merged.maxEvent;

    // M6: this batch's own full claims, over the records it did not observe.
    const hiddenIds = new Set<string>();
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
        const slot = `${record.stream}\u0000${record.rid}`;
        // Two claims of one batch over the same window hide a record once.
        if (record.tombstone || observedIds.has(slot) || hiddenIds.has(slot)) continue;
        if (!claimTombstones(stream, record, full)) continue;
        hiddenIds.add(slot);
        counts.tombstoned += 1;
        const hidden: StoredRecord = { ...record, tombstone: tombstoneFor(full, now), updatedAt: now };
        writes.push(hidden);
        noteWrite(merged.tally, record, hidden);
        changes.push({ kind: 'record', stream: record.stream, rid: record.rid, op: 'delete', record: hidden });
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
    changes.push({ kind: 'batch', op: 'upsert' });
    // The feed first: it stamps each changed record with its row's seq (the export's ranged read by change).
    await writeChangeFeed(db, input.connectionId, batchId, now, changes);
    await addTallies(db, input.connectionId, merged.tally);
    await db.records.bulkPut(writes);
    await db.batches.add(batch);
    return { outcome: 'merged', batch };
  });
}
