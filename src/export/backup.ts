/**
 * "Download everything" and "Restore from a backup" (format: docs/EXPORT.md).
 *
 * A backup is one NDJSON file: a header line, the connector manifests, then
 * per connection its connection row, its batches (receipts with provenance and
 * coverage claims) and its records (merged data, every observed version with
 * the batches that saw it, tombstones). It never holds a device token (tokens
 * live in extension storage, which is not read here) nor server link details.
 *
 * Restore replays each batch through the merge engine with its original id,
 * method, provenance, claims and data time, rebuilding its observations from
 * the records' versions, so the target profile's receipts, coverage and
 * visible records come out as in the source, merged with whatever is there
 * already (never overwritten). A batch id already present is skipped, so
 * restoring twice changes nothing.
 */
import { AMAZON_CONNECTOR_KEY, upgradeAmazonRecord } from '../db/upgrades/v6-amazon-reference-fields';
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';
import { applyBatch } from '../core/merge-engine';
import { coverageView } from '../core/coverage';
import type { AcquisitionBatch, Connection, Observation, StoredRecord } from '../core/model';
import { buildManifests } from './manifest';

export const BACKUP_FORMAT = 'gleaner-backup';
export const BACKUP_VERSION = 1;

export interface BackupCounts {
  connections: number;
  batches: number;
  records: number;
}

type Line =
  | { type: typeof BACKUP_FORMAT; version: number; createdAt: string; counts: BackupCounts; note: string }
  | { type: 'manifest'; manifest: unknown }
  | { type: 'connection'; connection: Connection }
  | { type: 'batch'; batch: AcquisitionBatch }
  | { type: 'record'; record: StoredRecord }
  | { type: 'coverage'; connectionId: string; coverage: unknown }
  | { type: 'end'; counts: BackupCounts };

/** Writes the whole database's owner data as NDJSON lines. */
export async function createBackup(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], now = new Date().toISOString()): Promise<{ text: string; counts: BackupCounts }> {
  const connections = (await db.connections.toArray()).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const lines: string[] = [];
  const counts: BackupCounts = { connections: connections.length, batches: 0, records: 0 };
  const body: string[] = [];
  for (const manifest of await buildManifests(connectors)) body.push(JSON.stringify({ type: 'manifest', manifest } satisfies Line));
  for (const connection of connections) {
    body.push(JSON.stringify({ type: 'connection', connection } satisfies Line));
    const batches = (await db.batches.where('connectionId').equals(connection.id).toArray()).sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id));
    for (const batch of batches) body.push(JSON.stringify({ type: 'batch', batch } satisfies Line));
    counts.batches += batches.length;
    await db.records.where('connectionId').equals(connection.id).each((record) => {
      body.push(JSON.stringify({ type: 'record', record } satisfies Line));
      counts.records += 1;
    });
    body.push(JSON.stringify({ type: 'coverage', connectionId: connection.id, coverage: coverageView(batches) } satisfies Line));
  }
  lines.push(
    JSON.stringify({
      type: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt: now,
      counts,
      note: 'Everything Gleaner kept in one browser profile: connections, receipts, records with provenance, coverage. Restore it from Gleaner’s dashboard. Holds no passwords or server tokens.',
    } satisfies Line),
  );
  lines.push(...body, JSON.stringify({ type: 'end', counts } satisfies Line));
  return { text: `${lines.join('\n')}\n`, counts };
}

export class BackupError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

export interface RestoreReport {
  connections: { connectionId: string; displayName: string; created: boolean }[];
  batchesRestored: number;
  batchesAlreadyPresent: number;
  batchesSkipped: number;
  recordsInBackup: number;
  warnings: string[];
}

interface ParsedBackup {
  connections: Connection[];
  batches: Map<string, AcquisitionBatch[]>;
  records: Map<string, StoredRecord[]>;
  recordCount: number;
}

export function parseBackup(text: string): ParsedBackup {
  const rows = text.split('\n').filter((line) => line.trim() !== '');
  if (rows.length === 0) throw new BackupError('empty_backup', 'That file is empty.');
  let header: { type?: unknown; version?: unknown; counts?: BackupCounts };
  try {
    header = JSON.parse(rows[0] as string);
  } catch {
    throw new BackupError('not_a_backup', 'That file is not a Gleaner backup.');
  }
  if (header.type !== BACKUP_FORMAT) throw new BackupError('not_a_backup', 'That file is not a Gleaner backup.');
  if (header.version !== BACKUP_VERSION) throw new BackupError('backup_version', 'That backup was made by a different version of Gleaner and cannot be read here.');
  const parsed: ParsedBackup = { connections: [], batches: new Map(), records: new Map(), recordCount: 0 };
  let ended = false;
  const connectorOf = new Map<string, string>();
  for (let index = 1; index < rows.length; index++) {
    let line: Line;
    try {
      line = JSON.parse(rows[index] as string) as Line;
    } catch {
      throw new BackupError('corrupt_backup', `Line ${index + 1} of the backup is damaged; nothing was restored.`);
    }
    if (line.type === 'connection') {
      parsed.connections.push(line.connection);
      connectorOf.set(line.connection.id, line.connection.connectorKey);
    } else if (line.type === 'batch') push(parsed.batches, line.batch.connectionId, line.batch);
    else if (line.type === 'record') {
      // A backup written before schema v6 holds Amazon records in the old shape: read them as today's (idempotent).
      const record = connectorOf.get(line.record.connectionId) === AMAZON_CONNECTOR_KEY ? (upgradeAmazonRecord(line.record) ?? line.record) : line.record;
      push(parsed.records, record.connectionId, record);
      parsed.recordCount += 1;
    } else if (line.type === 'end') ended = true;
  }
  if (!ended) throw new BackupError('truncated_backup', 'The backup file is incomplete (it was cut off); nothing was restored.');
  const counts = header.counts;
  if (counts && (counts.connections !== parsed.connections.length || counts.records !== parsed.recordCount)) {
    throw new BackupError('corrupt_backup', 'The backup file does not hold what its first line promises; nothing was restored.');
  }
  return parsed;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The observations each batch made, rebuilt from the records' versions. */
export function observationsByBatch(records: readonly StoredRecord[]): Map<string, Observation[]> {
  const byBatch = new Map<string, Observation[]>();
  for (const record of records) {
    for (const version of record.versions) {
      for (const batchId of version.batchIds) push(byBatch, batchId, { stream: record.stream, data: version.data });
    }
  }
  return byBatch;
}

export async function restoreBackup(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], text: string): Promise<RestoreReport> {
  const backup = parseBackup(text);
  const report: RestoreReport = { connections: [], batchesRestored: 0, batchesAlreadyPresent: 0, batchesSkipped: 0, recordsInBackup: backup.recordCount, warnings: [] };
  for (const source of backup.connections) {
    const connector = connectors.find((candidate) => candidate.key === source.connectorKey);
    if (!connector) {
      report.warnings.push(`“${source.displayName}” uses a connector this Gleaner does not have; it was left out.`);
      continue;
    }
    const { connection, created } = await targetConnection(db, source);
    report.connections.push({ connectionId: connection.id, displayName: connection.displayName, created });
    const records = backup.records.get(source.id) ?? [];
    const observations = observationsByBatch(records);
    const batches = [...(backup.batches.get(source.id) ?? [])].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id));
    for (const batch of batches) {
      if (await db.batches.get(batch.id)) {
        report.batchesAlreadyPresent += 1;
        continue;
      }
      const receipt = await applyBatch(db, {
        connectionId: connection.id,
        connectorKey: connector.key,
        streams: connector.streams,
        method: batch.method,
        provenance: batch.provenance,
        coverage: batch.coverage,
        observations: observations.get(batch.id) ?? [],
        warnings: batch.warnings,
        dataAsOf: batch.dataAsOf,
        artifactSha256: batch.artifactSha256,
        contentHash: batch.contentHash,
        // Left out so a replay is never taken for a re-capture of the same page; put back on the receipt below.
        pageUrl: undefined,
        batchId: batch.id,
        now: batch.receivedAt,
      });
      if (receipt.outcome !== 'merged') {
        report.batchesSkipped += 1; // the same file was already imported into this connection (M7)
        continue;
      }
      // The receipt as it was written when the batch was acquired.
      await db.batches.update(batch.id, {
        counts: batch.counts,
        warnings: batch.warnings,
        pageUrl: batch.pageUrl,
        recaptureCount: batch.recaptureCount,
        lastRecapturedAt: batch.lastRecapturedAt,
        eventRange: batch.eventRange,
        // What the import's files were, by content: a copy in another wrapper is still recognised after a restore.
        entrySha256s: batch.entrySha256s,
        entrySizes: batch.entrySizes,
      });
      report.batchesRestored += 1;
    }
  }
  return report;
}

/** The same account's connection if this profile has it, else the backup's connection (same id when free). */
async function targetConnection(db: GleanerDatabase, source: Connection): Promise<{ connection: Connection; created: boolean }> {
  if (source.accountKey) {
    const sameAccount = await db.connections.where('[connectorKey+accountKey]').equals([source.connectorKey, source.accountKey]).first();
    if (sameAccount) return { connection: sameAccount, created: false };
  }
  // Without an account identity, the connection is known by its id (a restored copy keeps it).
  for (const id of [source.id, `${source.id}_restored`]) {
    const existing = await db.connections.get(id);
    if (!existing) {
      const connection: Connection = { ...source, id };
      await db.connections.add(connection);
      return { connection, created: true };
    }
    if (existing.connectorKey === source.connectorKey && existing.accountKey === source.accountKey) return { connection: existing, created: false };
  }
  throw new BackupError('connection_clash', `“${source.displayName}” could not be restored next to a different connection with the same id.`);
}
