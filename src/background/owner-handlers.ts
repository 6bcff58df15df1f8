/** Handlers of the owner UI: capture pause, per-tab status, connection management, storage health (owned by the owner-UI feature). */
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';

export function createOwnerHandlers(_db: GleanerDatabase, _connectors: readonly ConnectorDefinition[]) {
  return {};
}
