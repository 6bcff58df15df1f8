/**
 * The snapshot walk of the outbox: a backlog whose records were stored before
 * schema v8 (no change seq to read them by) is sent as the connection's current
 * states, read in key order with ranged reads, then its receipts.
 */
import Dexie from 'dexie';
import type { GleanerDatabase } from '../db/database';
import { RECEIPT_STREAM } from './manifest';
import type { ExportBatchRow, ExportLinkRow } from './types';
import { canonicalJson } from './canonical-json';
import { batchRow, fitByBytes, saveBatch, toPdppRecord, toReceiptRecord, type Candidate, type PdppRecord } from './ingest-records';

/**
 * The next batch of a snapshot: current states read in key order with ranged
 * reads (one request per stream and batch, not one per record), record
 * streams first, then the receipts. The batch id names the snapshot and the
 * batch's place in it.
 */
export async function buildSnapshotBatch(
  db: GleanerDatabase,
  link: ExportLinkRow,
  snapshot: NonNullable<ExportLinkRow['snapshot']>,
  streamNames: readonly string[],
  maxRecords: number,
  maxBytes: number,
  now: string,
): Promise<ExportBatchRow | undefined | 'retry'> {
  const connectionId = link.connectionId;
  const order = [...streamNames, RECEIPT_STREAM];
  const picked: (Candidate & { streamIndex: number; key: string })[] = [];
  let streamIndex = snapshot.streamIndex;
  let afterKey = snapshot.afterKey;
  while (streamIndex < order.length && picked.length < maxRecords) {
    const stream = order[streamIndex] as string;
    const room = maxRecords - picked.length;
    let rows: { key: string; record: PdppRecord }[];
    if (stream === RECEIPT_STREAM) {
      const all = (await db.batches.where('connectionId').equals(connectionId).toArray()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      rows = all.filter((batch) => afterKey === undefined || batch.id > afterKey).slice(0, room).map((batch) => ({ key: batch.id, record: toReceiptRecord(batch) }));
    } else {
      const records = await db.records
        .where('[connectionId+stream+rid]')
        .between([connectionId, stream, afterKey ?? Dexie.minKey], [connectionId, stream, Dexie.maxKey], afterKey === undefined, true)
        .limit(room)
        .toArray();
      rows = records.map((record) => ({ key: record.rid, record: toPdppRecord(record) }));
    }
    for (const row of rows) picked.push({ ...row, json: canonicalJson(row.record), streamIndex });
    if (rows.length < room) {
      streamIndex += 1;
      afterKey = undefined;
    } else {
      afterKey = rows.at(-1)?.key;
    }
  }
  const { count, bytes } = fitByBytes(picked.map((item) => item.json), maxBytes);
  if (count < picked.length) {
    const last = picked[count - 1] as (typeof picked)[number];
    streamIndex = last.streamIndex;
    afterKey = last.key;
  }
  const chosen = picked.slice(0, count);
  const done = streamIndex >= order.length;
  const plan: Partial<ExportLinkRow> = done ? { plannedThroughSeq: snapshot.throughSeq, snapshot: undefined } : { snapshot: { throughSeq: snapshot.throughSeq, streamIndex, afterKey } };
  if (chosen.length === 0) {
    await saveBatch(db, link, undefined, plan);
    return 'retry';
  }
  const row = await batchRow(
    link,
    `gl_${connectionId}_snap${snapshot.throughSeq}_${link.nextBatchSeq}`,
    link.plannedThroughSeq + 1,
    // Only the snapshot's last batch completes the range its cursor may claim.
    done ? snapshot.throughSeq : link.plannedThroughSeq,
    chosen,
    bytes,
    now,
  );
  return (await saveBatch(db, link, row, plan)) ? row : 'retry';
}
