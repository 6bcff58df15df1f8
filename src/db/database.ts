/**
 * The one IndexedDB database, in the extension origin only (a content
 * script's `indexedDB` is the page's). Every schema version lives here, dated,
 * each built from the previous one.
 */
import Dexie, { type EntityTable, type Table, type Transaction } from 'dexie';
import type { AcquisitionBatch, Connection, StoredRecord } from '../core/model';
import type { ExportBatchRow, ExportFileRow, ExportLinkRow } from '../export/types';
import type { ImportJobRow } from '../import/types';
import { AMAZON_CONNECTOR_KEY, AMAZON_STREAMS, upgradeAmazonRecord } from './upgrades/v6-amazon-reference-fields';
import { pauseLinksToFirstPartyConnectors } from './upgrades/v7-links-to-own-connector';
import { CHANGE_SEQ_INDEX, SEARCH_INDEX, upgradeToV8 } from './upgrades/v8-change-and-search-indexes';
import { TOMBSTONE_INDEX } from './indexes';
import { upgradeToV9 } from './upgrades/v9-record-tallies';
import type { TallyRow } from './record-tallies';

/** An uploaded file waiting for preview and commit, kept as a Blob so closing the page loses nothing. */
export interface StagedFile {
  id: string;
  fileName: string;
  sizeBytes: number;
  lastModified?: number;
  stagedAt: string;
  blob: Blob;
}

/**
 * One entry of a connection's change feed (the export outbox): a visible
 * record changed (insert, update, un-tombstone → `upsert`; tombstone →
 * `delete`) or a new batch receipt exists. Readers fetch current state by
 * key when they drain, so several changes to one record coalesce.
 */
export interface ChangeRow {
  seq?: number;
  connectionId: string;
  /**
   * `record`: one record changed. `batch`: a receipt changed. `bulk`: a large
   * import chunk changed `count` records at once (written instead of one row
   * per record; the records it changed carry its seq as `changeSeq`, so the
   * outbox reads them by that seq: src/export/change-walk.ts).
   */
  kind: 'record' | 'batch' | 'bulk';
  stream?: string;
  rid?: string;
  /** For `bulk`: how many records the chunk changed. */
  count?: number;
  op: 'upsert' | 'delete';
  /**
   * For a `delete` of a record that left this connection (moved with its import to another one):
   * its primary key parts, so the outbox can send the delete although the record is no longer here.
   */
  keyParts?: string[];
  /** The batch that caused the change (for `kind: 'batch'`, the batch itself). */
  batchId: string;
  at: string;
}

export interface MetaRow {
  key: string;
  value: unknown;
}

export const DATABASE_NAME = 'gleaner';

export { TOMBSTONE_INDEX } from './indexes';

export class GleanerDatabase extends Dexie {
  connections!: EntityTable<Connection, 'id'>;
  batches!: EntityTable<AcquisitionBatch, 'id'>;
  /** Compound primary key [connectionId+stream+rid]. */
  records!: Table<StoredRecord, [string, string, string]>;
  staged!: EntityTable<StagedFile, 'id'>;
  meta!: EntityTable<MetaRow, 'key'>;
  changes!: EntityTable<ChangeRow, 'seq'>;
  exportLinks!: EntityTable<ExportLinkRow, 'connectionId'>;
  exportBatches!: EntityTable<ExportBatchRow, 'id'>;
  exportFiles!: EntityTable<ExportFileRow, 'id'>;
  importJobs!: EntityTable<ImportJobRow, 'id'>;
  /** Records per connection and stream, kept by every writer of records (v9, src/db/record-tallies.ts). */
  tallies!: Table<TallyRow, [string, string]>;

  constructor(name = DATABASE_NAME, options?: ConstructorParameters<typeof Dexie>[1]) {
    super(name, options);
    // v1 (2026-11-28): connections, batches (receipts), records with versions, staged uploads, meta.
    this.version(1).stores({
      connections: 'id, connectorKey, &[connectorKey+accountKey]',
      batches: 'id, connectionId, [connectionId+artifactSha256], [connectionId+pageUrl], artifactSha256',
      records: '[connectionId+stream+rid], [connectionId+stream+eventTime], connectionId',
      staged: 'id',
      meta: 'key',
    });
    // v2 (2026-11-28): the per-connection change feed that export drains in order.
    this.version(2).stores({
      changes: '++seq, [connectionId+seq]',
    });
    // v3 (2026-11-28): server links and outbound batches for the PDPP export; resumable import jobs.
    // Later versions: the export feature numbers its changes 4–9 (but 5 and 6, taken by the read side and Amazon), the import
    // feature 10–19, the owner UI 20–29.
    this.version(3).stores({
      exportLinks: 'connectionId',
      exportBatches: 'id, [connectionId+seq], status',
      importJobs: 'id, status, stagedId, connectionId',
    });
    // v4 (2026-11-28): generated backups and uploaded backups waiting to be restored (export feature).
    this.version(4).stores({
      exportFiles: 'id, kind',
    });
    // v5 (2026-11-28, read side): records gain [connectionId+stream+eventTime+tombstone.at], which holds only
    // tombstoned records (no tombstone, no entry), so counts and pages of visible records come from indexes, not from
    // reading records (src/db/record-index.ts).
    this.version(5).stores({
      records: `[connectionId+stream+rid], [connectionId+stream+eventTime], connectionId, ${TOMBSTONE_INDEX}`,
    });
    // v6 (2026-12-02, Amazon; the export feature's later changes continue at 8–9): stored Amazon records take the
    // PDPP reference manifest's field names (order_total, delivery_status, …), `order_date` becomes a day with the
    // export's instant in `ordered_at`, items gain `id` as their one key part (key and rid unchanged). Rewritten in
    // place, without change-feed rows (src/db/upgrades/v6-amazon-reference-fields.ts).
    this.version(6)
      .stores({})
      .upgrade((tx) => upgradeAmazonRecords(tx));
    // v7 (2026-12-02, export): links to a first-party connector key (made before Gleaner's own `gleaner-<key>`) are
    // paused with the re-link sentence and their unsent batches dropped (src/db/upgrades/v7-links-to-own-connector.ts).
    this.version(7)
      .stores({})
      .upgrade((tx) => pauseLinksToFirstPartyConnectors(tx));
    // v8 (2026-12-02, issue 13): records gain [connectionId+changeSeq+stream+rid] (only records stamped with the seq of their
    // last visible change), so the export reads what a batch changed as a ranged read, and the multi-entry *searchTerms
    // (the owner's words of each record), so a text search reads what it finds (src/db/upgrades/v8-change-and-search-indexes.ts).
    this.version(8)
      .stores({
        records: `[connectionId+stream+rid], [connectionId+stream+eventTime], connectionId, ${TOMBSTONE_INDEX}, ${CHANGE_SEQ_INDEX}, ${SEARCH_INDEX}`,
      })
      .upgrade((tx) => upgradeToV8(tx));
    // v9 (2026-12-02, issue 13): how many records (and tombstoned ones) each connection holds per stream, kept by every
    // writer of records in its own transaction, so the popup's counts on open are a read of a few rows, not a count of a
    // million index entries (src/db/record-tallies.ts, src/db/upgrades/v9-record-tallies.ts).
    this.version(9)
      .stores({ tallies: '[connectionId+stream], connectionId' })
      .upgrade((tx) => upgradeToV9(tx));
  }
}

/** v6: rewrites every record of an Amazon connection's streams, walking the primary key (which the rewrite never changes). */
async function upgradeAmazonRecords(tx: Transaction): Promise<void> {
  const connections = await tx.table<Connection, string>('connections').where('connectorKey').equals(AMAZON_CONNECTOR_KEY).primaryKeys();
  const records = tx.table<StoredRecord, [string, string, string]>('records');
  for (const connectionId of connections) {
    for (const stream of AMAZON_STREAMS) {
      await records
        .where('[connectionId+stream+rid]')
        .between([connectionId, stream, Dexie.minKey], [connectionId, stream, Dexie.maxKey])
        .modify((record, ref) => {
          const upgraded = upgradeAmazonRecord(record);
          if (upgraded) ref.value = upgraded;
        });
    }
  }
}

let shared: GleanerDatabase | undefined;

/** The extension's database; opened lazily so nothing touches IndexedDB at import time. */
export function database(): GleanerDatabase {
  shared ??= new GleanerDatabase();
  return shared;
}
