/**
 * Export proportional to change: a long backlog (more than the snapshot
 * threshold of changes) or an import's `bulk` feed rows are sent as **the
 * records those changes touched**, read with ranged reads on
 * `[connectionId+changeSeq+stream+rid]` (every changed record carries the seq
 * of its last visible change, stamped by the merge engine in the same
 * transaction: src/core/change-feed.ts), then the receipts of the batches in
 * that range. Never a snapshot of the whole connection, one page of at most
 * `maxRecords` in memory at a time, and resumable: where the walk has got to
 * is persisted with each batch (`ExportLinkRow.walk`).
 *
 * A record changed again after the walk began carries a later seq: it leaves
 * the walked range and goes out with the later range, in its newest state.
 */
import Dexie from 'dexie';
import type { GleanerDatabase } from '../db/database';
import { CHANGE_SEQ_INDEX } from '../db/upgrades/v8-change-and-search-indexes';
import { canonicalJson } from './canonical-json';
import { batchRow, fitByBytes, saveBatch, toPdppRecord, toReceiptRecord, type PdppRecord } from './ingest-records';
import type { ExportBatchRow, ExportLinkRow, ExportWalk } from './types';

interface Picked {
  record: PdppRecord;
  json: string;
  /** The walk's position just after this record. */
  at: Pick<ExportWalk, 'phase' | 'after' | 'afterSeq'>;
}

/** The id of a walk's batch: the seq range it walks and the batch's place among the link's batches. */
export function walkBatchId(connectionId: string, fromSeq: number, throughSeq: number, batchSeq: number): string {
  return `gl_${connectionId}_w${fromSeq}-${throughSeq}_${batchSeq}`;
}

/** Builds and persists the walk's next batch; 'retry' when the plan moved without a batch (or another drain won). */
export async function buildWalkBatch(db: GleanerDatabase, link: ExportLinkRow, walk: ExportWalk, maxRecords: number, maxBytes: number, now: string): Promise<ExportBatchRow | 'retry'> {
  const connectionId = link.connectionId;
  const fromSeq = link.plannedThroughSeq + 1;
  const picked: Picked[] = [];
  let position: Pick<ExportWalk, 'phase' | 'after' | 'afterSeq'> = { phase: walk.phase, after: walk.after, afterSeq: walk.afterSeq };

  if (position.phase === 'records') {
    const lower = position.after ? [connectionId, ...position.after] : [connectionId, fromSeq];
    const records = await db.records
      .where(CHANGE_SEQ_INDEX)
      .between(lower, [connectionId, walk.throughSeq, Dexie.maxKey], !position.after, true)
      .limit(maxRecords)
      .toArray();
    for (const record of records) {
      const pdpp = toPdppRecord(record);
      picked.push({ record: pdpp, json: canonicalJson(pdpp), at: { phase: 'records', after: [record.changeSeq as number, record.stream, record.rid] } });
    }
    position = records.length < maxRecords ? { phase: 'receipts' } : (picked.at(-1) as Picked).at;
  }
  if (position.phase === 'receipts' && picked.length < maxRecords) {
    const room = maxRecords - picked.length;
    const rows = await db.changes
      .where('[connectionId+seq]')
      .between([connectionId, position.afterSeq ?? fromSeq - 1], [connectionId, walk.throughSeq], false, true)
      .filter((change) => change.kind === 'batch')
      .limit(room)
      .toArray();
    const receipts = await db.batches.bulkGet(rows.map((row) => row.batchId));
    const seen = new Set<string>();
    rows.forEach((row, index) => {
      const receipt = receipts[index];
      const at = { phase: 'receipts' as const, afterSeq: row.seq as number };
      if (!receipt || seen.has(receipt.id)) {
        // Nothing to send for this row: the position still moves past it.
        if (picked.length > 0) (picked.at(-1) as Picked).at = at;
        return;
      }
      seen.add(receipt.id);
      const pdpp = toReceiptRecord(receipt);
      picked.push({ record: pdpp, json: canonicalJson(pdpp), at });
    });
    position = rows.length < room ? { phase: 'done' } : { phase: 'receipts', afterSeq: rows.at(-1)?.seq as number };
  }

  const { count, bytes } = fitByBytes(
    picked.map((item) => item.json),
    maxBytes,
  );
  if (count < picked.length) position = (picked[count - 1] as Picked).at;
  const chosen = picked.slice(0, count);
  const done = position.phase === 'done';
  const plan: Partial<ExportLinkRow> = done ? { plannedThroughSeq: walk.throughSeq, walk: undefined } : { walk: { throughSeq: walk.throughSeq, ...position } };
  if (chosen.length === 0) {
    await saveBatch(db, link, undefined, plan);
    return 'retry';
  }
  const row = await batchRow(
    link,
    walkBatchId(connectionId, fromSeq, walk.throughSeq, link.nextBatchSeq),
    fromSeq,
    // Only the walk's last batch completes the range its cursor may claim.
    done ? walk.throughSeq : link.plannedThroughSeq,
    chosen,
    bytes,
    now,
  );
  return (await saveBatch(db, link, row, plan)) ? row : 'retry';
}
