/**
 * Schema v8 (2026-12-02, issue 13: costs that grow with the change, not the store).
 *
 * - Export proportional to change: records gain `[connectionId+changeSeq+stream+rid]`,
 *   which holds only records that carry `changeSeq` (the seq of their last
 *   visible change, stamped by the merge engine from v8 on). Records stored
 *   earlier have no `changeSeq`, so a feed range that starts before the upgrade
 *   cannot be read by change: the upgrade notes the first seq that can
 *   (`CHANGE_SEQ_SINCE_KEY` in `meta`), and the outbox sends older ranges as
 *   before (a snapshot).
 * - Search that uses an index: records gain the multi-entry index `*searchTerms`;
 *   the upgrade gives every stored record its terms (src/core/search-terms.ts),
 *   from its connector's `describe`/`present`.
 */
import type { Transaction } from 'dexie';
import { connectorByKey } from '../../connectors/registry';
import { searchTermsOf } from '../../core/search-terms';
import type { Connection, StoredRecord } from '../../core/model';

export const CHANGE_SEQ_INDEX = '[connectionId+changeSeq+stream+rid]';
export const SEARCH_INDEX = '*searchTerms';
export const CHANGE_SEQ_SINCE_KEY = 'export.changeSeqSince';

export async function upgradeToV8(tx: Transaction): Promise<void> {
  const last = (await tx.table('changes').orderBy(':id').lastKey()) as number | undefined;
  await tx.table('meta').put({ key: CHANGE_SEQ_SINCE_KEY, value: (last ?? 0) + 1 });
  const records = tx.table<StoredRecord, [string, string, string]>('records');
  for (const connection of await tx.table<Connection, string>('connections').toArray()) {
    // A connection of a connector this build does not ship is left as it is (nothing here can describe its records).
    const streams = connectorByKey(connection.connectorKey)?.streams;
    if (!streams) continue;
    await records
      .where('connectionId')
      .equals(connection.id)
      .modify((record) => {
        record.searchTerms = searchTermsOf(
          streams.find((stream) => stream.name === record.stream),
          record.data,
          record.key,
        );
      });
  }
}
