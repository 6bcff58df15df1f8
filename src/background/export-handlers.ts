/**
 * Handlers of the PDPP export, server link and backup/restore (owned by the
 * export feature), and the alarms that drain the outbox. All server I/O
 * happens here in the background worker (the server sends no CORS headers).
 */
import Dexie from 'dexie';
import { browser } from 'wxt/browser';
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';
import type { ParsedRequestOf } from '../messages/protocol';
import { originPermissionPattern, type FetchLike } from '../export/client';
import { drainAll, drainConnection, ExportError, linkConnection, readSettings, retrySetAside, unlinkConnection, writeSettings, type DrainResult, type ExportDeps, type TokenStore } from '../export/exporter';
import { pendingCounts } from '../export/outbox';
import { buildManifests, type ConnectorManifest } from '../export/manifest';
import { BackupError, createBackup, restoreBackup, type BackupCounts, type RestoreReport } from '../export/backup';
import type { ExportBatchRow, ExportLinkRow } from '../export/types';
import { normaliseOrigin } from '../export/client';
import { newId } from '../core/hash';
import { RequestError } from './request-error';

export const EXPORT_ALARM = 'gleaner-export';
export const EXPORT_RETRY_ALARM = 'gleaner-export-retry';
/** How often the outbox drains by itself. */
export const EXPORT_PERIOD_MINUTES = 15;

const TOKEN_PREFIX = 'gleaner.export.token.';

/** Device tokens in `browser.storage.local`, one key per connection; never in the database, logs or backups. */
export const browserTokenStore: TokenStore = {
  async get(connectionId) {
    const key = TOKEN_PREFIX + connectionId;
    const value = (await browser.storage.local.get(key))[key];
    return typeof value === 'string' ? value : undefined;
  },
  async set(connectionId, token) {
    await browser.storage.local.set({ [TOKEN_PREFIX + connectionId]: token });
  },
  async remove(connectionId) {
    await browser.storage.local.remove(TOKEN_PREFIX + connectionId);
  },
};

/**
 * Before a connection is deleted: revoke its device on the server (best effort,
 * so a server that is down never blocks the delete) and forget its token.
 */
export async function revokeServerLinkBeforeDelete(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], connectionId: string): Promise<void> {
  try {
    await unlinkConnection(browserDeps(db, connectors), connectionId);
  } catch {
    await browserTokenStore.remove(connectionId).catch(() => undefined);
  }
}

function browserDeps(db: GleanerDatabase, connectors: readonly ConnectorDefinition[]): ExportDeps {
  return {
    db,
    connectors,
    tokens: browserTokenStore,
    hasOriginPermission: async (origin) => {
      try {
        return await browser.permissions.contains({ origins: [originPermissionPattern(origin)] });
      } catch {
        return false;
      }
    },
    fetch: ((input, init) => globalThis.fetch(input, init)) as FetchLike,
    scheduleRetry: (at) => {
      void browser.alarms.create(EXPORT_RETRY_ALARM, { when: Math.max(at, Date.now() + 30_000) });
    },
    agentVersion: `gleaner/${safeVersion()}`,
  };
}

function safeVersion(): string {
  try {
    return browser.runtime.getManifest().version;
  } catch {
    return 'dev';
  }
}

/** Owner-facing errors keep their code and sentence; anything else is the router's generic failure. */
async function owned<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ExportError || error instanceof BackupError) throw new RequestError(error.code, error.message);
    throw error;
  }
}

export interface ConnectionExportStatus {
  connectionId: string;
  displayName: string;
  connectorKey: string;
  link?: Omit<ExportLinkRow, 'plannedThroughSeq' | 'nextBatchSeq' | 'cursorSeq'>;
  pendingRecords: number;
  pendingBatches: number;
  /** Batches the server refused (400) or that conflict (409), kept with the server's reason. */
  problems: { batchId: string; status: string; reason: string; recordCount: number; requestId?: string }[];
}

export type ExportBatchSummary = Omit<ExportBatchRow, 'recordsJson'>;

export function createExportHandlers(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], depsOverride?: Partial<ExportDeps>) {
  const deps = (): ExportDeps => ({ ...browserDeps(db, connectors), ...depsOverride });
  return {
    async 'export.settings.get'() {
      return readSettings(db);
    },

    async 'export.settings.set'(request: ParsedRequestOf<'export.settings.set'>) {
      return owned(async () => {
        let serverOrigin = request.serverOrigin;
        if (serverOrigin !== undefined && serverOrigin.trim() !== '') {
          try {
            serverOrigin = normaliseOrigin(serverOrigin);
          } catch (error) {
            throw new ExportError('bad_server_address', (error as Error).message);
          }
        }
        return writeSettings(db, { ...(serverOrigin !== undefined ? { serverOrigin } : {}), ...(request.batchRecords !== undefined ? { batchRecords: request.batchRecords } : {}) });
      });
    },

    async 'export.status'(): Promise<ConnectionExportStatus[]> {
      const connections = (await db.connections.toArray()).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      return Promise.all(
        connections.map(async (connection) => {
          const link = await db.exportLinks.get(connection.id);
          const status: ConnectionExportStatus = { connectionId: connection.id, displayName: connection.displayName, connectorKey: connection.connectorKey, pendingRecords: 0, pendingBatches: 0, problems: [] };
          if (!link) return status;
          const { plannedThroughSeq: _p, nextBatchSeq: _n, cursorSeq: _c, ...shown } = link;
          status.link = shown;
          const pending = await pendingCounts(db, connection.id);
          status.pendingRecords = pending.records;
          status.pendingBatches = pending.batches;
          status.problems = (await db.exportBatches.where('[connectionId+seq]').between([connection.id, Dexie.minKey], [connection.id, Dexie.maxKey]).filter((row) => row.status === 'set_aside' || row.status === 'conflict').toArray()).map((row) => ({
            batchId: row.id,
            status: row.status,
            reason: row.lastError ?? '',
            recordCount: row.recordCount,
            requestId: row.lastRequestId,
          }));
          return status;
        }),
      );
    },

    async 'export.link'(request: ParsedRequestOf<'export.link'>) {
      return owned(async () => {
        const link = await linkConnection(deps(), request);
        await writeSettings(db, { serverOrigin: link.serverOrigin });
        const { plannedThroughSeq: _p, nextBatchSeq: _n, cursorSeq: _c, ...shown } = link;
        return shown;
      });
    },

    async 'export.unlink'(request: ParsedRequestOf<'export.unlink'>) {
      return owned(async () => {
        await unlinkConnection(deps(), request.connectionId);
        return { unlinked: true };
      });
    },

    async 'export.now'(request: ParsedRequestOf<'export.now'>): Promise<DrainResult[]> {
      return owned(async () => (request.connectionId ? [await drainConnection(deps(), request.connectionId)] : drainAll(deps())));
    },

    async 'export.retry'(request: ParsedRequestOf<'export.retry'>): Promise<DrainResult> {
      return owned(() => retrySetAside(deps(), request.connectionId));
    },

    async 'export.batches'(request: ParsedRequestOf<'export.batches'>): Promise<ExportBatchSummary[]> {
      const rows = await db.exportBatches.where('[connectionId+seq]').between([request.connectionId, Dexie.minKey], [request.connectionId, Dexie.maxKey]).reverse().limit(request.limit).toArray();
      return rows.map(({ recordsJson: _records, ...row }) => row);
    },

    async 'export.manifests'(): Promise<ConnectorManifest[]> {
      return buildManifests(connectors);
    },

    async 'backup.create'(): Promise<{ fileId: string; fileName: string; sizeBytes: number; counts: BackupCounts }> {
      const createdAt = new Date().toISOString();
      const { text, counts } = await createBackup(db, connectors, createdAt);
      const blob = new Blob([text], { type: 'application/x-ndjson' });
      const fileName = `gleaner-backup-${createdAt.slice(0, 10)}.ndjson`;
      const fileId = newId('bkp');
      // Only the newest generated backup is kept.
      await db.exportFiles.where('kind').equals('backup').delete();
      await db.exportFiles.add({ id: fileId, kind: 'backup', fileName, createdAt, sizeBytes: blob.size, blob });
      return { fileId, fileName, sizeBytes: blob.size, counts };
    },

    async 'backup.restore'(request: ParsedRequestOf<'backup.restore'>): Promise<RestoreReport> {
      return owned(async () => {
        const file = await db.exportFiles.get(request.fileId);
        if (!file || file.kind !== 'restore') throw new BackupError('backup_missing', 'That backup is no longer waiting; choose the file again.');
        const report = await restoreBackup(db, connectors, await file.blob.text());
        await db.exportFiles.delete(request.fileId);
        return report;
      });
    },

    async 'backup.discard'(request: ParsedRequestOf<'backup.discard'>) {
      await db.exportFiles.delete(request.fileId);
      return { discarded: true };
    },
  };
}

/** Registers the export's alarms and listeners; called synchronously from the background entrypoint. */
export function setupExport(db: GleanerDatabase, connectors: readonly ConnectorDefinition[]): void {
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name !== EXPORT_ALARM && alarm.name !== EXPORT_RETRY_ALARM) return;
    void drainAll(browserDeps(db, connectors)).catch((error: unknown) => console.error('[gleaner] export failed:', error instanceof Error ? error.name : 'error'));
  });
  // Keep the periodic drain scheduled (creating it again would reset its clock).
  void browser.alarms
    .get(EXPORT_ALARM)
    .then(async (existing) => {
      if (!existing) await browser.alarms.create(EXPORT_ALARM, { periodInMinutes: EXPORT_PERIOD_MINUTES, delayInMinutes: 1 });
    })
    .catch(() => undefined);
}
