/** Typed reads through the background's automation interface (docs/MESSAGES.md). */
import type { ConnectionSummary } from '../../../src/background/handlers';
import type { StreamCoverage } from '../../../src/core/coverage';
import type { AcquisitionBatch, StoredRecord } from '../../../src/core/model';
import type { ExtensionSession } from './extension';

export const listConnections = (session: ExtensionSession) => session.call<ConnectionSummary[]>('connections.list');
export const listBatches = (session: ExtensionSession, connectionId: string) => session.call<AcquisitionBatch[]>('batches.list', { connectionId });
export const getCoverage = (session: ExtensionSession, connectionId: string) => session.call<StreamCoverage[]>('coverage.get', { connectionId });

export async function listRecords(session: ExtensionSession, connectionId: string, stream: string, includeTombstoned = false): Promise<StoredRecord[]> {
  const result = await session.call<{ records: StoredRecord[] }>('records.list', { connectionId, stream, includeTombstoned, limit: 10000 });
  return result.records;
}

export async function visibleOrderIds(session: ExtensionSession, connectionId: string): Promise<string[]> {
  return (await listRecords(session, connectionId, 'orders')).map((record) => record.key).sort();
}

export async function onlyConnection(session: ExtensionSession): Promise<ConnectionSummary> {
  const connections = await listConnections(session);
  if (connections.length !== 1) throw new Error(`expected one connection, found ${connections.length}`);
  return connections[0]!;
}
