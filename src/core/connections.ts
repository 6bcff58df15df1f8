/**
 * Connections: one per account of one connector (M1, M9). A batch is routed
 * by its account identity, never by connector type alone.
 */
import type { GleanerDatabase } from '../db/database';
import { newId } from './hash';
import type { AccountHint, Connection } from './model';

export async function findConnectionByAccount(db: GleanerDatabase, connectorKey: string, accountKey: string): Promise<Connection | undefined> {
  return db.connections.where('[connectorKey+accountKey]').equals([connectorKey, accountKey]).first();
}

export interface NewConnection {
  connectorKey: string;
  connectorDisplayName: string;
  accountHint?: AccountHint;
  /** Used when there is no hint: the owner's own name for the account. */
  label?: string;
  /** The hint was made from a name the owner typed (a claim, not the service's evidence). */
  namedByOwner?: boolean;
  now?: string;
}

export async function createConnection(db: GleanerDatabase, request: NewConnection): Promise<Connection> {
  const label = request.accountHint?.label ?? request.label?.trim() ?? '';
  const connection: Connection = {
    id: newId('con'),
    connectorKey: request.connectorKey,
    accountKey: request.accountHint?.key,
    accountLabel: label || 'Account named by you',
    accountEvidence: request.accountHint?.evidence ?? 'chosen by you when importing a file',
    displayName: label ? `${request.connectorDisplayName} — ${label}` : request.connectorDisplayName,
    createdAt: request.now ?? new Date().toISOString(),
    ...(request.namedByOwner ? { accountNamedBy: 'owner' as const } : {}),
  };
  await db.connections.add(connection);
  return connection;
}

/**
 * The connection a page capture belongs to: the one with the same account
 * identity, or a new one. A capture without an account hint is refused by
 * the caller, because a connector type alone never routes a batch.
 */
export async function connectionForHint(db: GleanerDatabase, connectorKey: string, connectorDisplayName: string, hint: AccountHint): Promise<Connection> {
  return db.transaction('rw', db.connections, async () => {
    const existing = await findConnectionByAccount(db, connectorKey, hint.key);
    if (existing?.accountNamedBy === 'owner') {
      // The owner's name for an import, now confirmed by the service itself ("Hello, Dana"): evidence from here on.
      const confirmed: Connection = { ...existing, accountLabel: hint.label, accountEvidence: hint.evidence };
      delete confirmed.accountNamedBy;
      await db.connections.put(confirmed);
      return confirmed;
    }
    return existing ?? createConnection(db, { connectorKey, connectorDisplayName, accountHint: hint });
  });
}

export async function renameConnection(db: GleanerDatabase, connectionId: string, displayName: string): Promise<void> {
  await db.connections.update(connectionId, { displayName: displayName.trim().slice(0, 200) });
}
