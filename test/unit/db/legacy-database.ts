/** A database as an install had it at an older schema version, for upgrade tests (v5 and v6 share these stores). */
import Dexie from 'dexie';
import { TOMBSTONE_INDEX } from '../../../src/db/database';

export function legacyDatabase(name: string, version: 5 | 6 | 7): Dexie {
  const db = new Dexie(name);
  db.version(version).stores({
    connections: 'id, connectorKey, &[connectorKey+accountKey]',
    batches: 'id, connectionId, [connectionId+artifactSha256], [connectionId+pageUrl], artifactSha256',
    records: `[connectionId+stream+rid], [connectionId+stream+eventTime], connectionId, ${TOMBSTONE_INDEX}`,
    staged: 'id',
    meta: 'key',
    changes: '++seq, [connectionId+seq]',
    exportLinks: 'connectionId',
    exportBatches: 'id, [connectionId+seq], status',
    importJobs: 'id, status, stagedId, connectionId',
    exportFiles: 'id, kind',
  });
  return db;
}
