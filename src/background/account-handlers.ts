/**
 * Account identity the owner can put right: merge two connections of one
 * connector, move one import to another connection. The work is in
 * `src/core/connection-merge.ts` and `src/core/import-move.ts`; here: a backup
 * of everything first (the undo), the server link's token and device, and
 * refusals as `RequestError`s in owner words.
 */
import type { ConnectorDefinition } from '../connectors/types';
import { AccountChangeRefused, mergeConnections, planMerge, type MergePlan, type MergeResult } from '../core/connection-merge';
import { newId } from '../core/hash';
import { moveImport, planMove, type MovePlan, type MoveResult } from '../core/import-move';
import type { GleanerDatabase } from '../db/database';
import { createBackup } from '../export/backup';
import type { TokenStore } from '../export/deps';
import type { ParsedRequestOf } from '../messages/protocol';
import { browserTokenStore, revokeServerLinkBeforeDelete } from './export-handlers';
import { RequestError } from './request-error';

export interface AccountHandlerOptions {
  /** Where device tokens live (default: the export feature's, in `browser.storage.local`). */
  tokens?: TokenStore;
  /** Unlinks a connection on its server (revokes its device, forgets its token) before the other link is kept. */
  unlink?(connectionId: string): Promise<void>;
}

/** The backup taken before a merge or a move: the export feature's backup file, kept as the newest backup. */
export interface BackupTaken {
  fileId: string;
  fileName: string;
}

async function refusedInOwnerWords<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AccountChangeRefused) throw new RequestError(error.code, error.message);
    throw error;
  }
}

export function createAccountHandlers(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], options: AccountHandlerOptions = {}) {
  const tokens = options.tokens ?? browserTokenStore;
  const unlink = options.unlink ?? ((connectionId: string) => revokeServerLinkBeforeDelete(db, connectors, connectionId));

  async function backupFirst(what: string): Promise<BackupTaken> {
    const createdAt = new Date().toISOString();
    const { text } = await createBackup(db, connectors, createdAt);
    const blob = new Blob([text], { type: 'application/x-ndjson' });
    const fileName = `gleaner-backup-before-${what}-${createdAt.slice(0, 10)}.ndjson`;
    const fileId = newId('bkp');
    await db.transaction('rw', db.exportFiles, async () => {
      await db.exportFiles.where('kind').equals('backup').delete();
      await db.exportFiles.add({ id: fileId, kind: 'backup', fileName, createdAt, sizeBytes: blob.size, blob });
    });
    return { fileId, fileName };
  }

  return {
    async 'connections.merge.preview'(request: ParsedRequestOf<'connections.merge.preview'>): Promise<MergePlan> {
      return refusedInOwnerWords(() => planMerge(db, connectors, request.keepId, request.absorbId));
    },

    async 'connections.merge'(request: ParsedRequestOf<'connections.merge'>): Promise<MergeResult & { backup: BackupTaken }> {
      return refusedInOwnerWords(async () => {
        const plan = await planMerge(db, connectors, request.keepId, request.absorbId);
        if (plan.refusal) throw new AccountChangeRefused(plan.refusal.code, plan.refusal.message);
        const backup = await backupFirst('merge');
        // Both linked: the kept connection keeps its link; the other's device is revoked first (best effort).
        if (plan.exportLink === 'unlink_other') await unlink(request.absorbId).catch(() => undefined);
        const token = plan.exportLink === 'moves' ? await tokens.get(request.absorbId) : undefined;
        const result = await mergeConnections(db, connectors, request.keepId, request.absorbId);
        if (token) {
          await tokens.set(request.keepId, token);
          await tokens.remove(request.absorbId);
        }
        return { ...result, backup };
      });
    },

    async 'imports.move.preview'(request: ParsedRequestOf<'imports.move.preview'>): Promise<MovePlan> {
      return refusedInOwnerWords(() => planMove(db, connectors, request.batchId, request.connectionId));
    },

    async 'imports.move'(request: ParsedRequestOf<'imports.move'>): Promise<MoveResult & { backup: BackupTaken }> {
      return refusedInOwnerWords(async () => {
        const plan = await planMove(db, connectors, request.batchId, request.connectionId);
        if (plan.refusal) throw new AccountChangeRefused(plan.refusal.code, plan.refusal.message);
        const backup = await backupFirst('move');
        return { ...(await moveImport(db, connectors, request.batchId, request.connectionId)), backup };
      });
    },
  };
}
