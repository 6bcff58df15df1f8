/**
 * Schema v8 (2026-12-02, export proportional to change): records gain the
 * index `[connectionId+changeSeq+stream+rid]`, which holds only records that
 * carry `changeSeq` (the seq of their last visible change, stamped by the
 * merge engine from v8 on). Records stored earlier have no `changeSeq`, so a
 * feed range that starts before the upgrade cannot be read by change: the
 * upgrade notes the first seq that can (`CHANGE_SEQ_SINCE_KEY` in `meta`), and
 * the outbox sends older ranges the way it did before (a snapshot).
 */
import type { Transaction } from 'dexie';

export const CHANGE_SEQ_INDEX = '[connectionId+changeSeq+stream+rid]';
export const CHANGE_SEQ_SINCE_KEY = 'export.changeSeqSince';

export async function noteChangeSeqSince(tx: Transaction): Promise<void> {
  const last = (await tx.table('changes').orderBy(':id').lastKey()) as number | undefined;
  await tx.table('meta').put({ key: CHANGE_SEQ_SINCE_KEY, value: (last ?? 0) + 1 });
}
