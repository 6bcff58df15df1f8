/**
 * What the owner reads back from the real PDPP reference server (owner token,
 * `/v1/streams/<stream>/records`), next to what the extension shows, in one
 * comparable shape.
 */
import type { ExtensionSession } from '../support/extension';
import type { StoredRecord } from '../../../src/core/model';
import type { ReferenceServer } from '../../support/pdpp-reference';

/** The server's id of a record key: the key, or the minified JSON array of a compound key's parts. */
export function serverRecordId(record: Pick<StoredRecord, 'keyParts'>): string {
  return record.keyParts.length === 1 ? (record.keyParts[0] as string) : JSON.stringify(record.keyParts);
}

export interface ComparableRecord {
  stream: string;
  id: string;
  data: Record<string, unknown>;
}

const order = (a: ComparableRecord, b: ComparableRecord) => `${a.stream}\u0000${a.id}`.localeCompare(`${b.stream}\u0000${b.id}`);

export const AMAZON_STREAMS = ['orders', 'order_items'];

/** What the extension shows for a connection (visible records of its record streams), comparable with the server's. */
export async function extensionVisible(session: ExtensionSession, connectionId: string, streams = AMAZON_STREAMS): Promise<ComparableRecord[]> {
  const out: ComparableRecord[] = [];
  for (const stream of streams) {
    const { records } = await session.call<{ records: StoredRecord[] }>('records.list', { connectionId, stream, limit: 10000 });
    out.push(...records.map((record) => ({ stream, id: serverRecordId(record), data: record.data })));
  }
  return out.sort(order);
}

/** The link a connection has, as `export.status` shows it. */
export interface ShownLink {
  connectorId: string;
  connectorInstanceId: string;
  sourceInstanceId: string;
  deviceId: string;
  localBindingName: string;
  status: string;
  message?: string;
}

export async function linkOf(session: ExtensionSession, connectionId: string): Promise<ShownLink> {
  const entry = (await session.call<{ connectionId: string; link?: ShownLink }[]>('export.status')).find((candidate) => candidate.connectionId === connectionId);
  if (!entry?.link) throw new Error(`connection ${connectionId} is not linked`);
  return entry.link;
}

/** What the owner reads back for one linked connection's record streams. */
export async function ownerVisible(server: ReferenceServer, link: Pick<ShownLink, 'connectorId' | 'connectorInstanceId'>, streams = AMAZON_STREAMS): Promise<ComparableRecord[]> {
  const out: ComparableRecord[] = [];
  for (const stream of streams) {
    for (const record of await server.ownerRecords(stream, link.connectorId, link.connectorInstanceId)) out.push({ stream, id: record.id, data: record.data });
  }
  return out.sort(order);
}
