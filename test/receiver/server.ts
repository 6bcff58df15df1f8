/**
 * A local, in-memory stand-in for the device routes of a PDPP reference
 * server's authorization-server origin, built from the contract in
 * /work/shared/pdpp-collector-protocol.md so Gleaner's export client can be
 * tested end to end without the real server.
 *
 * Written in erasable TypeScript with explicit `.ts` imports so it also runs
 * under `node --experimental-strip-types` (Node ≥ 22.6) or the bundled loader
 * (see cli.ts).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorReply, HttpError, isLoopback, newId, readBody, sha256Hex } from './http.ts';
import type { Reply } from './http.ts';
import { revokeDevice, routes } from './routes.ts';
import type { Route, RouteContext } from './routes.ts';
import { emptyState, loadState, saveState } from './state.ts';
import type { DeviceEntry, ReceiverState } from './state.ts';

export type { ReceiverState } from './state.ts';
export { listBatches, listRecords } from './state.ts';

export interface ReceiverOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1: owner routes are open only because the server is loopback. */
  host?: string;
  /** Persist accepted changes here and reload them on start. */
  dataFile?: string;
  /** Clock override (ms since epoch), e.g. to expire enrollment codes in tests. */
  now?: () => number;
}

export interface Receiver {
  origin: string;
  close(): Promise<void>;
  state: ReceiverState;
  /** The next `count` ingest requests answer 503 device_ingest_retryable. */
  inject503(count: number, retryAfterSeconds?: number): void;
  /** Revoke every device (their tokens answer 401) and deactivate their connections. */
  revokeAll(): void;
}

export const PROTOCOL_HEADER = 'x-pdpp-collector-protocol';
export const ACCEPTED_PROTOCOL_VERSIONS = ['1'];

export async function startReceiver(opts: ReceiverOptions = {}): Promise<Receiver> {
  const state = opts.dataFile ? loadState(opts.dataFile) : emptyState();
  const now = opts.now ?? Date.now;
  const faults = { remaining503: 0, retryAfterSeconds: 1 };
  const persist = () => {
    if (opts.dataFile) saveState(state, opts.dataFile);
  };

  const server = createServer((req, res) => {
    handle(req, res, { state, now, faults, persist }).catch((error: unknown) => {
      // Last resort: a bug in the receiver itself. Never leave the client hanging.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal_error', message: String(error), type: 'api_error' } }));
    });
  });
  const origin = await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');

  return {
    origin,
    state,
    inject503(count, retryAfterSeconds = 1) {
      faults.remaining503 = count;
      faults.retryAfterSeconds = retryAfterSeconds;
    },
    revokeAll() {
      const at = new Date(now()).toISOString();
      for (const device of state.devices.values()) if (device.status === 'active') revokeDevice(state, device, at);
      persist();
    },
    close: () => closeServer(server),
  };
}

interface ServerContext {
  state: ReceiverState;
  now: () => number;
  faults: { remaining503: number; retryAfterSeconds: number };
  persist: () => void;
}

async function handle(req: IncomingMessage, res: ServerResponse, server: ServerContext): Promise<void> {
  const requestId = newId('req');
  const url = new URL(req.url ?? '/', 'http://receiver.invalid');
  const method = req.method ?? 'GET';
  let reply: Reply;
  try {
    reply = await dispatch(req, method, url, requestId, server);
  } catch (error) {
    const httpError =
      error instanceof HttpError ? error : new HttpError(500, 'internal_error', `receiver bug: ${String(error)}`);
    reply = errorReply(httpError, requestId);
  }
  server.state.requestLog.push({
    at: new Date(server.now()).toISOString(),
    method,
    path: url.pathname + url.search,
    status: reply.status,
    request_id: requestId,
  });
  send(res, reply, requestId);
}

/**
 * The order of checks mirrors the reference server and the contract:
 * route → body size (413) → injected 503 → loopback / protocol header (409)
 * → bearer token (401) → path device (403) → JSON body → handler.
 */
async function dispatch(
  req: IncomingMessage,
  method: string,
  url: URL,
  requestId: string,
  server: ServerContext,
): Promise<Reply> {
  const match = matchRoute(method, url.pathname);
  const body = await readBody(req); // always drained, even for 404s, so keep-alive stays healthy
  if (!match) throw new HttpError(404, 'not_found', `No route for ${method} ${url.pathname}`);
  if (body.kind === 'too_large') {
    throw new HttpError(413, 'request_too_large', 'Request body exceeds the 50 MiB limit');
  }
  const { route, params } = match;
  if (route.retryableFaults && server.faults.remaining503 > 0) {
    server.faults.remaining503 -= 1;
    const retryAfter = String(server.faults.retryAfterSeconds);
    throw new HttpError(503, 'device_ingest_retryable', 'Injected transient failure; resend the identical batch', {
      headers: { 'retry-after': retryAfter },
    });
  }
  if (route.auth === 'owner' && !isLoopback(req.socket.remoteAddress)) {
    throw new HttpError(403, 'permission_error', 'Owner routes are open only to loopback clients');
  }
  if (route.auth !== 'owner') checkProtocolHeader(req);
  const device = route.auth === 'device' ? authenticateDevice(req, server.state, params.device as string) : null;

  let changed = false;
  const ctx: RouteContext = {
    state: server.state,
    params,
    query: url.searchParams,
    body: parseJson(req, body.bytes),
    device,
    requestId,
    now: server.now,
    markChanged: () => {
      changed = true;
    },
  };
  const reply = route.handler(ctx);
  // Durable before acknowledged: the data file is rewritten before the reply leaves.
  if (changed) server.persist();
  return reply;
}

function matchRoute(method: string, pathname: string): { route: Route; params: Record<string, string> } | null {
  for (const route of routes) {
    if (route.method !== method) continue;
    const found = route.pattern.exec(pathname);
    if (!found) continue;
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(found.groups ?? {})) params[name] = decodePathSegment(value);
    return { route, params };
  }
  return null;
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid_request', 'Malformed percent-encoding in path');
  }
}

function checkProtocolHeader(req: IncomingMessage): void {
  const raw = req.headers[PROTOCOL_HEADER];
  const received = typeof raw === 'string' ? raw.trim() : null;
  if (received === null || !ACCEPTED_PROTOCOL_VERSIONS.includes(received)) {
    throw new HttpError(409, 'collector_protocol_mismatch', 'Missing or unsupported X-PDPP-Collector-Protocol header', {
      extra: { accepted_versions: ACCEPTED_PROTOCOL_VERSIONS, received_version: received },
    });
  }
}

function authenticateDevice(req: IncomingMessage, state: ReceiverState, pathDeviceId: string): DeviceEntry {
  const header = req.headers.authorization ?? '';
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (!token) throw new HttpError(401, 'invalid_token', 'Missing bearer device token');
  const hash = sha256Hex(token);
  const device = [...state.devices.values()].find((d) => d.token_hash === hash);
  if (!device) throw new HttpError(401, 'invalid_token', 'Unknown device token');
  if (device.status !== 'active') throw new HttpError(401, 'invalid_token', 'Device token has been revoked');
  if (device.device_id !== pathDeviceId) {
    throw new HttpError(403, 'permission_error', 'Device credential is not valid for this device');
  }
  return device;
}

function parseJson(req: IncomingMessage, bytes: Buffer): unknown {
  if (bytes.length === 0) return {};
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, 'invalid_request', 'Content-Type must be application/json');
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_request', 'Request body is not valid JSON');
  }
}

function send(res: ServerResponse, reply: Reply, requestId: string): void {
  const text = reply.raw ?? JSON.stringify(reply.json ?? {});
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
    ...reply.headers,
  });
  res.end(text);
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`http://${hostPart}:${address.port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive sockets would otherwise hold close() open until they time out.
    server.closeAllConnections();
  });
}
