/** The local PDPP test receiver as the export tests use it: in-process, or as a separate process that can be killed. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ExtensionSession } from '../support/extension';
import type { StoredRecord } from '../../../src/core/model';

const ROOT = path.resolve(import.meta.dirname, '../../..');

export interface ServerRecord {
  connector_instance_id: string;
  stream: string;
  record_id: string;
  data: Record<string, unknown>;
  batch_id: string;
}

export interface ServerBatch {
  device_id: string;
  batch_id: string;
  body_hash: string;
  connector_instance_id: string;
  record_count: number;
}

/** Starts `test/receiver/cli.ts` as its own process (so it can be killed like a crashing server). */
export async function spawnReceiver(options: { port: number; dataFile: string }): Promise<{ origin: string; process: ChildProcess; kill(): Promise<void> }> {
  // One process (tsx as a loader, not its CLI, which would run the script in a child that survives a kill).
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/receiver/cli.ts'), '--port', String(options.port), '--data-file', options.dataFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const origin = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`receiver did not start: ${out}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`receiver exited (${code}): ${out}`)));
  });
  return {
    origin,
    process: child,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return (await response.json()) as T;
}

export const serverRecords = async (origin: string) => (await getJson<{ data: ServerRecord[] }>(`${origin}/_test/records`)).data;
export const serverBatches = async (origin: string) => (await getJson<{ data: ServerBatch[] }>(`${origin}/_test/batches`)).data;
export const serverConnections = async (origin: string) => (await getJson<{ data: { connector_instance_id: string; local_binding_name: string; source_instance_id: string; status: string }[] }>(`${origin}/_ref/connections`)).data;

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

/** What the extension shows for a connection (visible records of its record streams), comparable with the server's. */
export async function extensionVisible(session: ExtensionSession, connectionId: string, streams = ['orders', 'order_items']): Promise<ComparableRecord[]> {
  const out: ComparableRecord[] = [];
  for (const stream of streams) {
    const { records } = await session.call<{ records: StoredRecord[] }>('records.list', { connectionId, stream, limit: 10000 });
    out.push(...records.map((record) => ({ stream, id: serverRecordId(record), data: record.data })));
  }
  return out.sort(order);
}

/** What the server holds for one connector instance, record streams only. */
export async function serverVisible(origin: string, connectorInstanceId: string, streams = ['orders', 'order_items']): Promise<ComparableRecord[]> {
  return (await serverRecords(origin))
    .filter((record) => record.connector_instance_id === connectorInstanceId && streams.includes(record.stream))
    .map((record) => ({ stream: record.stream, id: record.record_id, data: record.data }))
    .sort(order);
}
