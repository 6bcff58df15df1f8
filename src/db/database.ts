/**
 * The one IndexedDB database, in the extension origin only (a content
 * script's `indexedDB` is the page's). Every schema version lives here, dated,
 * each built from the previous one.
 */
import Dexie, { type EntityTable, type Table } from 'dexie';
import type { AcquisitionBatch, Connection, StoredRecord } from '../core/model';

/** An uploaded file waiting for preview and commit, kept as a Blob so closing the page loses nothing. */
export interface StagedFile {
  id: string;
  fileName: string;
  sizeBytes: number;
  lastModified?: number;
  stagedAt: string;
  blob: Blob;
}

export interface MetaRow {
  key: string;
  value: unknown;
}

export const DATABASE_NAME = 'gleaner';

export class GleanerDatabase extends Dexie {
  connections!: EntityTable<Connection, 'id'>;
  batches!: EntityTable<AcquisitionBatch, 'id'>;
  /** Compound primary key [connectionId+stream+rid]. */
  records!: Table<StoredRecord, [string, string, string]>;
  staged!: EntityTable<StagedFile, 'id'>;
  meta!: EntityTable<MetaRow, 'key'>;

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
  }
}

let shared: GleanerDatabase | undefined;

/** The extension's database; opened lazily so nothing touches IndexedDB at import time. */
export function database(): GleanerDatabase {
  shared ??= new GleanerDatabase();
  return shared;
}
