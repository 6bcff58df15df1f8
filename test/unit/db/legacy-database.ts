/** A database as an install had it at an older schema version, for upgrade tests (v5 to v7 share these stores; v8 adds two record indexes). */
import Dexie from 'dexie';
import { TOMBSTONE_INDEX } from '../../../src/db/database';
import { CHANGE_SEQ_INDEX, SEARCH_INDEX } from '../../../src/db/upgrades/v8-change-and-search-indexes';

/**
 * `writtenByTodaysEngine`: the old store is filled with today's merge engine, which also keeps the record tallies
 * (v9); the table is there so it can, and the v9 upgrade counts everything again anyway.
 */
export function legacyDatabase(name: string, version: 5 | 6 | 7 | 8, options: { writtenByTodaysEngine?: boolean } = {}): Dexie {
  const db = new Dexie(name);
  const v8Indexes = version >= 8 ? `, ${CHANGE_SEQ_INDEX}, ${SEARCH_INDEX}` : '';
  db.version(version).stores({
    connections: 'id, connectorKey, &[connectorKey+accountKey]',
    batches: 'id, connectionId, [connectionId+artifactSha256], [connectionId+pageUrl], artifactSha256',
    records: `[connectionId+stream+rid], [connectionId+stream+eventTime], connectionId, ${TOMBSTONE_INDEX}${v8Indexes}`,
    staged: 'id',
    meta: 'key',
    changes: '++seq, [connectionId+seq]',
    exportLinks: 'connectionId',
    exportBatches: 'id, [connectionId+seq], status',
    importJobs: 'id, status, stagedId, connectionId',
    exportFiles: 'id, kind',
    ...(options.writtenByTodaysEngine ? { tallies: '[connectionId+stream], connectionId' } : {}),
  });
  return db;
}
