/** Handlers of the import pipeline (owned by the import feature). */
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';

export function createImportHandlers(_db: GleanerDatabase, _connectors: readonly ConnectorDefinition[]) {
  return {};
}

/** Resumes unfinished import jobs when the worker starts; called synchronously from the background entrypoint. */
export function setupImportJobs(_db: GleanerDatabase, _connectors: readonly ConnectorDefinition[]): void {}
