/** Handlers of the PDPP export, server link and backup/restore (owned by the export feature). */
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';

export function createExportHandlers(_db: GleanerDatabase, _connectors: readonly ConnectorDefinition[]) {
  return {};
}

/** Registers the export's alarms and listeners; called synchronously from the background entrypoint. */
export function setupExport(_db: GleanerDatabase, _connectors: readonly ConnectorDefinition[]): void {}
