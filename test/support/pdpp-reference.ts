/**
 * The real PDPP reference server as a test peer (`../shared/pdpp-reference`:
 * build.sh, start.sh, stop.sh, owner-token.mjs, mint-code.mjs; see its README).
 *
 * Each `startReferenceServer()` is its own server: a fresh data directory and
 * two free loopback ports, in the default-deployment posture (first-party
 * manifests registered at boot). Export tests, the demo and the bench trust
 * this server, not the project's own receiver.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Where the reference server's scripts live: `../shared/pdpp-reference` beside the checkout, or `PDPP_REFERENCE_DIR`. */
export const REFERENCE_DIR = process.env.PDPP_REFERENCE_DIR ?? path.resolve(ROOT, '../shared/pdpp-reference');

function run(script: string, env: Record<string, string>, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(REFERENCE_DIR, script)], { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script} failed: ${error.message}\n${stderr.slice(-2000)}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** Builds the server once (cached by build.sh: ≈0.3 s when nothing changed, ≈1.5 min cold). */
export async function buildReferenceServer(): Promise<void> {
  if (!existsSync(path.join(REFERENCE_DIR, 'build.sh'))) throw new Error(`The PDPP reference server is not at ${REFERENCE_DIR} (set PDPP_REFERENCE_DIR).`);
  await run('build.sh', {}, 20 * 60_000);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface OwnerRecord {
  id: string;
  stream: string;
  data: Record<string, unknown>;
  emitted_at: string;
  connection_id: string;
}

export interface ServerConnection {
  connector_id: string;
  connector_instance_id: string;
  status: string;
  source_binding: { device_id: string; local_binding_name: string; source_instance_id: string };
}

export interface ServerSourceInstance {
  source_instance_id: string;
  connector_instance_id: string;
  accepted_record_count: number;
  records_pending: number | null;
  last_heartbeat_status: string | null;
}

export interface ReferenceServer {
  /** The authorization-server origin: device routes, `POST /connectors`, owner `/_ref` routes. Gleaner links here. */
  asUrl: string;
  /** The resource-server origin: the owner's `/v1` reads. */
  rsUrl: string;
  dataDir: string;
  /** Orderly stop (SIGTERM), data kept. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash: data kept as the database last had it. */
  kill(): Promise<void>;
  /** Start again on the same ports and data (after stop or kill). */
  start(): Promise<void>;
  /** Stop and delete the data directory. */
  close(): Promise<void>;
  /** Every record the owner reads back for one stream of one server connection (pages followed). */
  ownerRecords(stream: string, connectorKey: string, connectionId: string): Promise<OwnerRecord[]>;
  connections(): Promise<ServerConnection[]>;
  sourceInstances(): Promise<ServerSourceInstance[]>;
  /** The owner mints an enrollment code (what the owner would paste into Gleaner). */
  mintCode(connectorKey: string, localBindingName: string): Promise<string>;
  /** The owner revokes a device. */
  revokeDevice(deviceId: string): Promise<void>;
  /** A manifest as the server holds it under `connectorKey`, or undefined. */
  manifest(connectorKey: string): Promise<Record<string, unknown> | undefined>;
  /** `POST /connectors` as any caller (the owner, a test). */
  register(manifest: unknown): Promise<{ status: number; body: unknown }>;
}

/** Starts a reference server with a fresh data directory on two free loopback ports. */
export async function startReferenceServer(): Promise<ReferenceServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gleaner-pdpp-'));
  const asPort = await freePort();
  let rsPort = await freePort();
  while (rsPort === asPort) rsPort = await freePort();
  const env = { PDPP_REFERENCE_DATA: dataDir, PDPP_AS_PORT: String(asPort), PDPP_RS_PORT: String(rsPort) };
  const asUrl = `http://127.0.0.1:${asPort}`;
  const rsUrl = `http://127.0.0.1:${rsPort}`;
  let token: string | undefined;

  const start = async () => {
    const { stdout } = await run('start.sh', env, 200_000);
    if (!stdout.includes(`PDPP_AS_URL=${asUrl}`)) throw new Error(`start.sh printed ${stdout}`);
  };
  const pid = (): number | undefined => {
    const file = path.join(dataDir, 'server.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
  };
  const stop = async () => {
    await run('stop.sh', env, 60_000);
  };
  const ownerToken = async (): Promise<string> => {
    if (token) return token;
    const module = (await import(pathToFileURL(path.join(REFERENCE_DIR, 'owner-token.mjs')).href)) as { ownerToken(options: { as: string }): Promise<{ access_token: string }> };
    token = (await module.ownerToken({ as: asUrl })).access_token;
    return token;
  };
  const json = async <T>(url: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(url, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  };

  await start();
  return {
    asUrl,
    rsUrl,
    dataDir,
    start,
    stop,
    async kill() {
      const running = pid();
      if (!running) return;
      try {
        process.kill(running, 'SIGKILL');
      } catch {
        return;
      }
      for (let tries = 0; tries < 200; tries++) {
        try {
          process.kill(running, 0);
        } catch {
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await stop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
    async ownerRecords(stream, connectorKey, connectionId) {
      const bearer = { authorization: `Bearer ${await ownerToken()}` };
      const out: OwnerRecord[] = [];
      let url: string | undefined = `${rsUrl}/v1/streams/${encodeURIComponent(stream)}/records?connector_id=${encodeURIComponent(connectorKey)}&connection_id=${encodeURIComponent(connectionId)}&limit=500`;
      for (let page = 0; url && page < 1000; page++) {
        const body: { data?: OwnerRecord[]; has_more?: boolean; next_cursor?: string; links?: { next?: string } } = await json(url, { headers: bearer });
        out.push(...(body.data ?? []));
        const next: string | undefined = body.links?.next ?? (body.has_more && body.next_cursor ? `${url.replace(/&cursor=[^&]*/, '')}&cursor=${encodeURIComponent(body.next_cursor)}` : undefined);
        url = next ? new URL(next, rsUrl).href : undefined;
      }
      return out;
    },
    async connections() {
      return (await json<{ data: ServerConnection[] }>(`${asUrl}/_ref/connections`)).data;
    },
    async sourceInstances() {
      return (await json<{ data: { source_instances: ServerSourceInstance[] }[] }>(`${asUrl}/_ref/device-exporters`)).data.flatMap((device) => device.source_instances);
    },
    async mintCode(connectorKey, localBindingName) {
      const module = (await import(pathToFileURL(path.join(REFERENCE_DIR, 'mint-code.mjs')).href)) as { mintCode(options: { as: string; connectorId: string; localBindingName: string }): Promise<{ enrollment_code: string }> };
      return (await module.mintCode({ as: asUrl, connectorId: connectorKey, localBindingName })).enrollment_code;
    },
    async revokeDevice(deviceId) {
      await json(`${asUrl}/_ref/device-exporters/${encodeURIComponent(deviceId)}/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    },
    async manifest(connectorKey) {
      const response = await fetch(`${asUrl}/connectors/${encodeURIComponent(connectorKey)}`);
      return response.ok ? ((await response.json()) as Record<string, unknown>) : undefined;
    },
    async register(manifest) {
      const response = await fetch(`${asUrl}/connectors`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(manifest) });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body };
    },
  };
}
