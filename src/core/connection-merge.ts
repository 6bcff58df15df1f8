/**
 * Merging two connections of one connector into one (an account that split,
 * e.g. an import named by the owner and the pages greeted "Hello, Dana").
 *
 * `planMerge` reads what the merge would do (records of each, the overlap,
 * what each keeps, where the server link goes) and whether it is refused;
 * `mergeConnections` does it in ONE Dexie transaction:
 * - every batch of the absorbed connection moves with its receipt intact
 *   (id, method, provenance, claims, counts), and notes where it came from;
 * - records with the same identity (stream + rid, so M2's per-method rids stay
 *   apart) become one record whose versions are the union of both (M3, M4):
 *   exactly what applying every batch of both to one connection gives (M10);
 * - tombstones are judged again against every full claim of both (M6), so a
 *   claim keeps its authority over records it may judge, and gains none;
 * - coverage needs nothing: it is derived from the batches' claims (M8);
 * - the change feed gets what the kept server link lacks, the absorbed
 *   connection's own feed and link rows go (see `docs/DATA-MODEL.md`).
 */
import Dexie from 'dexie';
import type { ConnectorDefinition, StreamDefinition } from '../connectors/types';
import type { ChangeRow, GleanerDatabase } from '../db/database';
import { recountTallies } from '../db/record-tallies';
import { countVisibleByStream } from '../db/record-index';
import { accountsDisagree, mergedIdentity, namedByOwner } from './account-identity';
import type { AcquisitionBatch, Connection, FormerConnection, StoredRecord } from './model';
import { fullClaimsOf, judgeTombstone, rebuild, recordSlot, serverStateDiffers, unionVersions, withTombstone } from './record-rehome';

/** A refused merge or move: a stable code and a sentence for the owner. */
export class AccountChangeRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AccountChangeRefused';
  }
}

/** More changed records than this enter the change feed as one `bulk` row (answered by a snapshot). */
export const BULK_FEED_THRESHOLD = 2000;

export interface ConnectionSide {
  connectionId: string;
  displayName: string;
  accountLabel: string;
  accountEvidence: string;
  namedByOwner: boolean;
  /** Visible records per stream. */
  recordsByStream: Record<string, number>;
  imports: number;
  captures: number;
  /** The server this connection exports to, if linked. */
  linkedTo?: string;
}

export interface StreamOverlap {
  stream: string;
  one: string;
  other: string;
  /** Records (by identity, hidden ones included) only the kept connection has, only the other has, and both. */
  keepOnly: number;
  absorbOnly: number;
  both: number;
}

export interface MergePlan {
  connectorKey: string;
  serviceName: string;
  keep: ConnectionSide;
  absorb: ConnectionSide;
  streams: StreamOverlap[];
  /** The account the merged connection will be. */
  account: { accountLabel: string; accountEvidence: string };
  /** What happens to the server link: none, the kept one stays, the other's moves over, or the other's is unlinked (both were linked). */
  exportLink: 'none' | 'keep' | 'moves' | 'unlink_other';
  refusal?: { code: string; message: string };
}

export interface MergeResult {
  keptConnectionId: string;
  absorbedConnectionId: string;
  displayName: string;
  batchesMoved: number;
  /** Records that came over unchanged in identity, and records both had (now one each). */
  recordsMoved: number;
  recordsCombined: number;
  /** Records whose hidden state changed because the other connection's claims or observations now judge them (M6). */
  tombstonesSet: number;
  tombstonesLifted: number;
  exportLink: MergePlan['exportLink'];
  /** Changes the kept link (or a future one) will send. */
  pendingForExport: number;
}

const TABLES = (db: GleanerDatabase) => [db.connections, db.batches, db.records, db.changes, db.exportLinks, db.exportBatches, db.importJobs, db.tallies];

export function connectorFor(connectors: readonly ConnectorDefinition[], key: string): ConnectorDefinition | undefined {
  return connectors.find((candidate) => candidate.key === key);
}

export function nounsFor(connector: ConnectorDefinition | undefined, stream: string): { one: string; other: string } {
  return connector?.ownerCopy?.streamNouns?.[stream] ?? { one: 'record', other: 'records' };
}

export async function sideOf(db: GleanerDatabase, connector: ConnectorDefinition | undefined, connection: Connection): Promise<ConnectionSide> {
  const batches = await db.batches.where('connectionId').equals(connection.id).toArray();
  const link = await db.exportLinks.get(connection.id);
  return {
    connectionId: connection.id,
    displayName: connection.displayName,
    accountLabel: connection.accountLabel,
    accountEvidence: connection.accountEvidence,
    namedByOwner: namedByOwner(connection),
    recordsByStream: await countVisibleByStream(db, connection.id, (connector?.streams ?? []).map((stream) => stream.name)),
    imports: batches.filter((batch) => batch.method === 'owner_artifact').length,
    captures: batches.filter((batch) => batch.method !== 'owner_artifact').length,
    linkedTo: link?.serverOrigin,
  };
}

async function ridsOf(db: GleanerDatabase, connectionId: string, stream: string): Promise<Set<string>> {
  const keys = await db.records.where('[connectionId+stream+rid]').between([connectionId, stream, Dexie.minKey], [connectionId, stream, Dexie.maxKey]).primaryKeys();
  return new Set(keys.map((key) => (key as unknown as [string, string, string])[2]));
}

/** A batch still being written (an import in progress) would land in a connection that is gone. */
export async function importInProgress(db: GleanerDatabase, connectionIds: readonly string[]): Promise<boolean> {
  const running = await db.batches.where('connectionId').anyOf([...connectionIds]).filter((batch) => batch.status === 'importing').count();
  const jobs = await db.importJobs.where('connectionId').anyOf([...connectionIds]).filter((job) => job.status === 'committing').count();
  return running + jobs > 0;
}

/** What merging `absorbId` into `keepId` would do, read only; `refusal` says why it may not happen. */
export async function planMerge(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], keepId: string, absorbId: string): Promise<MergePlan> {
  return db.transaction('r', TABLES(db), async () => {
    const [keep, absorb] = await Promise.all([db.connections.get(keepId), db.connections.get(absorbId)]);
    if (!keep || !absorb) throw new AccountChangeRefused('unknown_connection', 'One of these connections no longer exists.');
    const connector = connectorFor(connectors, keep.connectorKey);
    const serviceName = connector?.displayName ?? keep.connectorKey;
    const streams: StreamOverlap[] = [];
    for (const stream of connector?.streams ?? []) {
      const [mine, theirs] = await Promise.all([ridsOf(db, keepId, stream.name), ridsOf(db, absorbId, stream.name)]);
      const both = [...theirs].filter((rid) => mine.has(rid)).length;
      streams.push({ stream: stream.name, ...nounsFor(connector, stream.name), keepOnly: mine.size - both, absorbOnly: theirs.size - both, both });
    }
    const keepSide = await sideOf(db, connector, keep);
    const absorbSide = await sideOf(db, connector, absorb);
    const identity = mergedIdentity(keep, absorb);
    const plan: MergePlan = {
      connectorKey: keep.connectorKey,
      serviceName,
      keep: keepSide,
      absorb: absorbSide,
      streams,
      account: { accountLabel: identity.accountLabel, accountEvidence: identity.accountEvidence },
      exportLink: keepSide.linkedTo ? (absorbSide.linkedTo ? 'unlink_other' : 'keep') : absorbSide.linkedTo ? 'moves' : 'none',
    };
    if (keepId === absorbId) plan.refusal = { code: 'same_connection', message: 'Choose two different connections to merge.' };
    else if (keep.connectorKey !== absorb.connectorKey) {
      const other = connectorFor(connectors, absorb.connectorKey)?.displayName ?? absorb.connectorKey;
      plan.refusal = { code: 'different_connectors', message: `Only two connections of the same service can be merged: ${keep.displayName} is ${serviceName}, ${absorb.displayName} is ${other}.` };
    } else {
      const conflict = accountsDisagree(keep, absorb, serviceName);
      if (conflict) plan.refusal = { code: 'different_accounts', message: conflict.message };
      else if (await importInProgress(db, [keepId, absorbId])) {
        plan.refusal = { code: 'import_running', message: 'An import into one of these connections is still running (or stopped halfway). Let it finish, or discard it, then merge.' };
      }
    }
    return plan;
  });
}

function streamMap(connector: ConnectorDefinition | undefined): Map<string, StreamDefinition> {
  return new Map((connector?.streams ?? []).map((stream) => [stream.name, stream]));
}

function noteFormer(batch: AcquisitionBatch, former: FormerConnection, connectionId: string): AcquisitionBatch {
  return { ...batch, connectionId, formerConnections: [...(batch.formerConnections ?? []), former] };
}

/**
 * The change-feed rows that bring a server that held `known` (one record per
 * slot, or none) to `after`: an upsert for what is new or changed there, a
 * delete for what it showed and is now hidden; nothing for a hidden record it
 * never had.
 */
export function feedFor(after: Iterable<StoredRecord>, known: Map<string, StoredRecord>): Pick<ChangeRow, 'kind' | 'stream' | 'rid' | 'op'>[] {
  const rows: Pick<ChangeRow, 'kind' | 'stream' | 'rid' | 'op'>[] = [];
  for (const record of after) {
    const before = known.get(recordSlot(record));
    if (!serverStateDiffers(before, record)) continue;
    if (record.tombstone && (!before || before.tombstone)) continue;
    rows.push({ kind: 'record', stream: record.stream, rid: record.rid, op: record.tombstone ? 'delete' : 'upsert' });
  }
  return rows;
}

/** Writes feed rows for `connectionId`: one per record, or one `bulk` row for a large change (a snapshot answers it). */
export async function addFeed(db: GleanerDatabase, connectionId: string, rows: Pick<ChangeRow, 'kind' | 'stream' | 'rid' | 'op' | 'keyParts'>[], receipts: readonly AcquisitionBatch[], batchId: string, at: string): Promise<number> {
  const recordRows = rows.filter((row) => row.kind === 'record');
  // Each changed record carries the seq of its feed row (schema v8), so a long backlog is exported as a ranged read of what changed (src/export/change-walk.ts).
  let seqs: number[] = [];
  if (recordRows.length > BULK_FEED_THRESHOLD && recordRows.every((row) => !row.keyParts)) {
    const seq = (await db.changes.add({ kind: 'bulk', op: 'upsert', count: recordRows.length, connectionId, batchId, at })) as number;
    seqs = recordRows.map(() => seq);
  } else if (recordRows.length > 0) {
    seqs = (await db.changes.bulkAdd(recordRows.map((row) => ({ ...row, connectionId, batchId, at })), { allKeys: true })) as number[];
  }
  for (const [index, row] of recordRows.entries()) {
    if (row.op === 'upsert' && row.stream && row.rid) await db.records.update([connectionId, row.stream, row.rid], { changeSeq: seqs[index] });
  }
  if (receipts.length > 0) await db.changes.bulkAdd(receipts.map((receipt) => ({ kind: 'batch' as const, op: 'upsert' as const, connectionId, batchId: receipt.id, at })));
  return recordRows.length + receipts.length;
}

/** Merges `absorbId` into `keepId` in one transaction; refused (nothing changed) when `planMerge` refuses. */
export async function mergeConnections(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], keepId: string, absorbId: string, now = new Date().toISOString()): Promise<MergeResult> {
  return db.transaction('rw', TABLES(db), async () => {
    const plan = await planMerge(db, connectors, keepId, absorbId);
    if (plan.refusal) throw new AccountChangeRefused(plan.refusal.code, plan.refusal.message);
    const keep = (await db.connections.get(keepId))!;
    const absorb = (await db.connections.get(absorbId))!;
    const streams = streamMap(connectorFor(connectors, keep.connectorKey));
    const keepBatches = await db.batches.where('connectionId').equals(keepId).toArray();
    const absorbBatches = await db.batches.where('connectionId').equals(absorbId).toArray();
    const claims = fullClaimsOf([...keepBatches, ...absorbBatches]);
    const keepRecords = new Map((await db.records.where('connectionId').equals(keepId).toArray()).map((record) => [recordSlot(record), record]));
    const absorbRecords = new Map((await db.records.where('connectionId').equals(absorbId).toArray()).map((record) => [recordSlot(record), record]));

    const merged = new Map(keepRecords);
    let recordsMoved = 0;
    let recordsCombined = 0;
    for (const [slot, theirs] of absorbRecords) {
      const mine = keepRecords.get(slot);
      if (mine) {
        recordsCombined += 1;
        const first = mine.firstSeenAt < theirs.firstSeenAt ? mine.firstSeenAt : theirs.firstSeenAt;
        merged.set(slot, rebuild(streams.get(mine.stream), mine, unionVersions(mine.versions, theirs.versions), keepId, now, first));
      } else {
        recordsMoved += 1;
        merged.set(slot, { ...theirs, connectionId: keepId });
      }
    }
    let tombstonesSet = 0;
    let tombstonesLifted = 0;
    const writes: StoredRecord[] = [];
    for (const [slot, record] of merged) {
      const judged = withTombstone(record, judgeTombstone(streams.get(record.stream), record, claims, now));
      const was = keepRecords.get(slot) ?? absorbRecords.get(slot);
      if (was?.tombstone && !judged.tombstone) tombstonesLifted += 1;
      if (!was?.tombstone && judged.tombstone) tombstonesSet += 1;
      const touched = absorbRecords.has(slot) || !!judged.tombstone !== !!record.tombstone || judged.tombstone?.batchId !== record.tombstone?.batchId;
      const final = touched ? { ...judged, updatedAt: now } : judged;
      merged.set(slot, final);
      if (touched) writes.push(final);
    }

    // The server link: the kept one stays; the other's moves over when only it had one; both: the caller
    // unlinked the other (revoking its device) before this transaction, so its rows are gone or go now.
    const keepLink = await db.exportLinks.get(keepId);
    const absorbLink = await db.exportLinks.get(absorbId);
    const linkMoves = !keepLink && !!absorbLink;
    // What the server (of the link the merged connection keeps) already holds, and so what it still needs.
    const known = linkMoves ? absorbRecords : keepRecords;
    const unknownReceipts = linkMoves ? keepBatches : absorbBatches;
    const feed = feedFor(merged.values(), known);

    const former: FormerConnection = { connectionId: absorbId, displayName: absorb.displayName, until: now, how: 'merge' };
    await db.records.where('connectionId').equals(absorbId).delete();
    if (writes.length > 0) await db.records.bulkPut(writes);
    await db.batches.bulkPut(absorbBatches.map((batch) => noteFormer(batch, former, keepId)));
    await db.importJobs.where('connectionId').equals(absorbId).modify({ connectionId: keepId });
    await db.changes.where('[connectionId+seq]').between([absorbId, Dexie.minKey], [absorbId, Dexie.maxKey]).delete();
    if (linkMoves) {
      await db.exportLinks.delete(absorbId);
      await db.exportLinks.put({ ...absorbLink, connectionId: keepId });
      await db.exportBatches.where('[connectionId+seq]').between([absorbId, Dexie.minKey], [absorbId, Dexie.maxKey]).modify({ connectionId: keepId });
    } else if (absorbLink) {
      await db.exportBatches.where('[connectionId+seq]').between([absorbId, Dexie.minKey], [absorbId, Dexie.maxKey]).delete();
      await db.exportLinks.delete(absorbId);
    }
    await db.connections.delete(absorbId);
    await db.connections.update(keepId, mergedIdentity(keep, absorb));
    // Whole connections were rewritten: count again (what the rewrite already cost).
    await db.tallies.where('connectionId').equals(absorbId).delete();
    await recountTallies(db.records, db.tallies, keepId);
    const pendingForExport = await addFeed(db, keepId, feed, unknownReceipts, absorbBatches[0]?.id ?? keepBatches[0]?.id ?? 'merge', now);
    return {
      keptConnectionId: keepId,
      absorbedConnectionId: absorbId,
      displayName: keep.displayName,
      batchesMoved: absorbBatches.length,
      recordsMoved,
      recordsCombined,
      tombstonesSet,
      tombstonesLifted,
      exportLink: plan.exportLink,
      pendingForExport,
    };
  });
}
