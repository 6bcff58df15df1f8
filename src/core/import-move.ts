/**
 * Moving one import (an `owner_artifact` batch) to another connection of the
 * same connector: a file imported into the wrong account.
 *
 * In ONE Dexie transaction: the batch (its receipt, unchanged but for a note
 * of where it was) moves; each record it observed gives up that observation
 * (its version's batch id) where it was and gains it in the target, so a
 * record only this import brought moves, and a record other batches also saw
 * stays with their observations and appears in the target with this one's
 * (M3, M4: every observation stays with the batch that made it). Tombstones
 * are judged again on both sides (M6): the import's full claims, if any, stop
 * judging the old connection and start judging the new one. Coverage follows
 * the batch (M8). The old connection's feed deletes what left it (with the
 * record's key, as it is no longer there to read), the new one's upserts what
 * arrived, and the receipt moves on the servers too.
 */
import type { ConnectorDefinition } from '../connectors/types';
import type { ChangeRow, GleanerDatabase } from '../db/database';
import { recountTallies } from '../db/record-tallies';
import { RECEIPT_STREAM } from '../export/manifest';
import { originalReceiptFor } from '../import/artifact-identity';
import { AccountChangeRefused, addFeed, connectorFor, feedFor, importInProgress, nounsFor, sideOf, type ConnectionSide } from './connection-merge';
import type { AcquisitionBatch, RecordVersion, StoredRecord } from './model';
import { fullClaimsOf, judgeTombstone, rebuild, recordSlot, unionVersions, withTombstone } from './record-rehome';

export interface MovePlan {
  batchId: string;
  fileName: string;
  from: ConnectionSide;
  to: ConnectionSide;
  streams: { stream: string; one: string; other: string; moving: number; alsoSeenByOthers: number; alreadyInTarget: number }[];
  refusal?: { code: string; message: string };
}

export interface MoveResult {
  batchId: string;
  fromConnectionId: string;
  toConnectionId: string;
  /** Records that left the old connection, records that stayed there (seen by other batches too), records new to the target. */
  recordsMoved: number;
  recordsStayed: number;
  recordsNewInTarget: number;
}

const TABLES = (db: GleanerDatabase) => [db.connections, db.batches, db.records, db.changes, db.exportLinks, db.exportBatches, db.importJobs, db.tallies];

async function recordsOfBatch(db: GleanerDatabase, connectionId: string, batchId: string): Promise<StoredRecord[]> {
  return db.records.where('connectionId').equals(connectionId).filter((record) => record.batchIds.includes(batchId)).toArray();
}

export async function planMove(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], batchId: string, targetId: string): Promise<MovePlan> {
  return db.transaction('r', TABLES(db), async () => {
    const batch = await db.batches.get(batchId);
    if (!batch) throw new AccountChangeRefused('unknown_batch', 'That import is no longer there.');
    const [from, to] = await Promise.all([db.connections.get(batch.connectionId), db.connections.get(targetId)]);
    if (!from || !to) throw new AccountChangeRefused('unknown_connection', 'That connection no longer exists.');
    const connector = connectorFor(connectors, from.connectorKey);
    const fileName = batch.provenance.kind === 'artifact' ? batch.provenance.fileName : 'this batch';
    const records = await recordsOfBatch(db, from.id, batchId);
    const there = await db.records.bulkGet(records.map((record) => [targetId, record.stream, record.rid] as [string, string, string]));
    const streams = (connector?.streams ?? []).map((stream) => {
      const mine = records.map((record, index) => ({ record, there: there[index] })).filter((entry) => entry.record.stream === stream.name);
      return {
        stream: stream.name,
        ...nounsFor(connector, stream.name),
        moving: mine.filter((entry) => entry.record.batchIds.every((id) => id === batchId)).length,
        alsoSeenByOthers: mine.filter((entry) => entry.record.batchIds.some((id) => id !== batchId)).length,
        alreadyInTarget: mine.filter((entry) => !!entry.there).length,
      };
    });
    const plan: MovePlan = { batchId, fileName, from: await sideOf(db, connector, from), to: await sideOf(db, connector, to), streams };
    const serviceName = connector?.displayName ?? from.connectorKey;
    if (batch.method !== 'owner_artifact') {
      plan.refusal = { code: 'not_an_import', message: 'Only an imported file can be moved. A page you visited belongs to the account that was signed in when you visited it.' };
    } else if (from.id === to.id) {
      plan.refusal = { code: 'same_connection', message: `"${fileName}" is already in ${to.displayName}.` };
    } else if (from.connectorKey !== to.connectorKey) {
      plan.refusal = { code: 'different_connectors', message: `An import can only move to another ${serviceName} connection.` };
    } else if (batch.status !== 'committed' || (await importInProgress(db, [from.id, to.id]))) {
      plan.refusal = { code: 'import_running', message: 'This import (or another one into these connections) has not finished. Let it finish, or discard it, then move it.' };
    } else {
      const sameFile = batch.artifactSha256 ? await db.batches.where('[connectionId+artifactSha256]').equals([to.id, batch.artifactSha256]).first() : undefined;
      const original = sameFile ?? (batch.entrySha256s?.length ? await originalReceiptFor(db, to.id, batch.entrySha256s) : undefined);
      if (original) plan.refusal = { code: 'already_in_target', message: `${to.displayName} already holds this file (imported ${original.receivedAt.slice(0, 10)}); its receipt is there.` };
    }
    return plan;
  });
}

/** Without `version`'s batch `batchId`; `asOf` again the newest data time of the batches left. */
function without(versions: readonly RecordVersion[], batchId: string, asOfById: Map<string, string>): RecordVersion[] {
  return versions
    .map((version) => {
      if (!version.batchIds.includes(batchId)) return version;
      const batchIds = version.batchIds.filter((id) => id !== batchId);
      const asOf = batchIds.map((id) => asOfById.get(id) ?? version.asOf).reduce((a, b) => (a > b ? a : b), '');
      return { ...version, batchIds, asOf };
    })
    .filter((version) => version.batchIds.length > 0);
}

export async function moveImport(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], batchId: string, targetId: string, now = new Date().toISOString()): Promise<MoveResult> {
  return db.transaction('rw', TABLES(db), async () => {
    const plan = await planMove(db, connectors, batchId, targetId);
    if (plan.refusal) throw new AccountChangeRefused(plan.refusal.code, plan.refusal.message);
    const batch = (await db.batches.get(batchId))!;
    const fromId = batch.connectionId;
    const from = (await db.connections.get(fromId))!;
    const streams = new Map((connectorFor(connectors, from.connectorKey)?.streams ?? []).map((stream) => [stream.name, stream]));
    const fromBatches = await db.batches.where('connectionId').equals(fromId).toArray();
    const toBatches = await db.batches.where('connectionId').equals(targetId).toArray();
    const asOfById = new Map(fromBatches.map((candidate) => [candidate.id, candidate.dataAsOf]));
    const fromBefore = new Map((await db.records.where('connectionId').equals(fromId).toArray()).map((record) => [recordSlot(record), record]));
    const toBefore = new Map((await db.records.where('connectionId').equals(targetId).toArray()).map((record) => [recordSlot(record), record]));

    const fromAfter = new Map(fromBefore);
    const toAfter = new Map(toBefore);
    const gone: StoredRecord[] = [];
    let recordsStayed = 0;
    let recordsNewInTarget = 0;
    for (const [slot, record] of fromBefore) {
      if (!record.batchIds.includes(batchId)) continue;
      const stream = streams.get(record.stream);
      const mine: RecordVersion[] = record.versions.filter((version) => version.batchIds.includes(batchId)).map((version) => ({ data: version.data, method: version.method, batchIds: [batchId], asOf: batch.dataAsOf }));
      const rest = without(record.versions, batchId, asOfById);
      if (rest.length === 0) {
        fromAfter.delete(slot);
        gone.push(record);
      } else {
        recordsStayed += 1;
        fromAfter.set(slot, rebuild(stream, record, rest, fromId, now));
      }
      const there = toBefore.get(slot);
      if (there) {
        const first = there.firstSeenAt < record.firstSeenAt ? there.firstSeenAt : record.firstSeenAt;
        toAfter.set(slot, rebuild(stream, there, unionVersions(there.versions, mine), targetId, now, first));
      } else {
        recordsNewInTarget += 1;
        toAfter.set(slot, rebuild(stream, withTombstone(record, undefined), mine, targetId, now));
      }
    }
    const judgeAll = (records: Map<string, StoredRecord>, batches: AcquisitionBatch[], before: Map<string, StoredRecord>) => {
      const claims = fullClaimsOf(batches);
      const writes: StoredRecord[] = [];
      for (const [slot, record] of records) {
        const judged = withTombstone(record, judgeTombstone(streams.get(record.stream), record, claims, now));
        const prior = before.get(slot);
        const touched = prior !== record || judged.tombstone?.batchId !== record.tombstone?.batchId;
        const final = touched ? { ...judged, updatedAt: now } : judged;
        records.set(slot, final);
        if (touched) writes.push(final);
      }
      return writes;
    };
    const fromWrites = judgeAll(fromAfter, fromBatches.filter((candidate) => candidate.id !== batchId), fromBefore);
    const toWrites = judgeAll(toAfter, [...toBatches, batch], toBefore);

    if (gone.length > 0) await db.records.bulkDelete(gone.map((record) => [fromId, record.stream, record.rid] as [string, string, string]));
    if (fromWrites.length > 0) await db.records.bulkPut(fromWrites);
    if (toWrites.length > 0) await db.records.bulkPut(toWrites);
    // Both connections' records were rewritten: count again (what the rewrite already cost).
    await recountTallies(db.records, db.tallies, fromId);
    await recountTallies(db.records, db.tallies, targetId);
    const moved: AcquisitionBatch = { ...batch, connectionId: targetId, formerConnections: [...(batch.formerConnections ?? []), { connectionId: fromId, displayName: from.displayName, until: now, how: 'move' }] };
    await db.batches.put(moved);
    await db.importJobs.where('connectionId').equals(fromId).filter((job) => job.batchId === batchId).modify({ connectionId: targetId });

    // The old connection's server forgets what left it (and the receipt); the new one's learns what arrived.
    const leaving: Pick<ChangeRow, 'kind' | 'stream' | 'rid' | 'op' | 'keyParts'>[] = gone
      .filter((record) => !record.tombstone)
      .map((record) => ({ kind: 'record', stream: record.stream, rid: record.rid, op: 'delete', keyParts: record.keyParts }));
    leaving.push({ kind: 'record', stream: RECEIPT_STREAM, rid: batchId, op: 'delete', keyParts: [batchId] });
    await addFeed(db, fromId, [...leaving, ...feedFor(fromAfter.values(), fromBefore)], [], batchId, now);
    await addFeed(db, targetId, feedFor(toAfter.values(), toBefore), [moved], batchId, now);
    return { batchId, fromConnectionId: fromId, toConnectionId: targetId, recordsMoved: gone.length, recordsStayed, recordsNewInTarget };
  });
}
