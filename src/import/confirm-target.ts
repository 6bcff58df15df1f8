/** The connection an owner's confirmation sends a single-account upload to (checked before anything is stored). */
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';
import { createConnection } from '../core/connections';
import { accountNameRefusal } from './account-naming';
import type { ImportPreview } from './types';

export type ImportTarget = { connectionId: string } | { newConnection: { accountName: string } };

/** A refusal of an owner request about a job (bad target, wrong state). */
export class ImportRequestError extends Error {
  constructor(
    readonly code: 'job_missing' | 'bad_target' | 'account_mismatch' | 'wrong_state' | 'account_name_needed',
    message: string,
  ) {
    super(message);
    this.name = 'ImportRequestError';
  }
}

/** The chosen connection (checked against the file's account), or a new one named by the file or the owner. */
export async function connectionForTarget(db: GleanerDatabase, connector: ConnectorDefinition, preview: ImportPreview, target: ImportTarget): Promise<string> {
  const hint = preview.accountHint;
  if ('connectionId' in target) {
    const connection = await db.connections.get(target.connectionId);
    if (!connection || connection.connectorKey !== connector.key) throw new ImportRequestError('bad_target', `Choose one of your ${connector.displayName} connections for this file.`);
    if (hint && connection.accountKey && connection.accountKey !== hint.key) {
      throw new ImportRequestError('account_mismatch', `This file belongs to ${hint.label}, not ${connection.accountLabel}.`);
    }
    return connection.id;
  }
  const name = target.newConnection.accountName.trim();
  // Never an account-less connection: a name the owner types is checked first (src/import/account-naming.ts).
  const refusal = hint ? undefined : accountNameRefusal(connector, name, preview);
  if (refusal) throw new ImportRequestError('account_name_needed', refusal);
  const accountHint = hint ?? (name ? connector.accountHintFromOwnerName?.(name) : undefined);
  const existing = accountHint ? await db.connections.where('[connectorKey+accountKey]').equals([connector.key, accountHint.key]).first() : undefined;
  return existing?.id ?? (await createConnection(db, { connectorKey: connector.key, connectorDisplayName: connector.displayName, accountHint, label: name, namedByOwner: !hint })).id;
}
