/**
 * A local, in-memory stand-in for the device routes of a PDPP reference
 * server's authorization-server origin. For every route the two share it
 * answers as the real server does (status, error code, type, param and
 * sentence, the `request-id` header, the same checks in the same order;
 * test/e2e/receiver-conformance.e2e.ts runs one script against both). It
 * exists for what the real server cannot be made to do on demand: transient
 * 503s with Retry-After, lost answers, a controllable clock, in-process state.
 *
 * Written in erasable TypeScript with explicit `.ts` imports so it also runs
 * under `node --experimental-strip-types` (Node ≥ 22.6) or the bundled loader
 * (see cli.ts).
 *
 * Known differences from the reference server: no first-party manifests are
 * registered at start; owner routes answer only loopback clients; the
 * manifest validator covers what a collector's manifest can trip, not every
 * rule; `/_ref/…` lists have the server's shape but simplified health fields.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyTooLarge, errorReply, FrameworkError, HttpError, invalidJson, isLoopback, newId, readBody, routeNotFound, sha256Hex } from './http.ts';
import type { Reply } from './http.ts';
import { checkProtocolHeader, PROTOCOL_HEADER, revokeDevice, routes } from './routes.ts';
import type { FaultableRoute, Route, RouteContext } from './routes.ts';
import { emptyState, loadState, saveState } from './state.ts';
import type { DeviceEntry, ReceiverState } from './state.ts';

export type { ReceiverState } from './state.ts';
export type { FaultableRoute } from './routes.ts';
export { listBatches, listRecords } from './state.ts';
export { ACCEPTED_PROTOCOL_VERSIONS, PROTOCOL_HEADER } from './routes.ts';

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
  /**
   * The next `count` ingest requests from an authenticated device answer 503
   * `device_ingest_retryable` with `Retry-After: retryAfterSeconds`, storing
   * nothing (what the real server answers under write pressure).
   */
  inject503(count: number, retryAfterSeconds?: number): void;
  /**
   * The next `count` requests to the named routes (default: ingest) that get
   * past the protocol header and token checks are handled in full (a valid
   * batch is stored, an enrollment made) but their answer, whatever it is, is
   * lost: the connection is closed without a response. Logged with status 0.
   */
  dropResponses(count: number, routes?: FaultableRoute[]): void;
  /** Revoke every device (their tokens answer 401) and deactivate their connections, as the owner would one by one. */
  revokeAll(): void;
}

interface Faults {
  remaining503: number;
  retryAfterSeconds: number;
  remainingDrops: number;
  dropRoutes: FaultableRoute[];
}

export async function startReceiver(opts: ReceiverOptions = {}): Promise<Receiver> {
  const state = opts.dataFile ? loadState(opts.dataFile) : emptyState();
  const now = opts.now ?? Date.now;
  const faults: Faults = { remaining503: 0, retryAfterSeconds: 1, remainingDrops: 0, dropRoutes: ['ingest'] };
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
    dropResponses(count, routesToDrop = ['ingest']) {
      faults.remainingDrops = count;
      faults.dropRoutes = routesToDrop;
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
  faults: Faults;
  persist: () => void;
}

async function handle(req: IncomingMessage, res: ServerResponse, server: ServerContext): Promise<void> {
  const requestId = newId('req');
  const url = new URL(req.url ?? '/', 'http://receiver.invalid');
  const method = req.method ?? 'GET';
  let reply: Reply;
  const outcome = { drop: false };
  try {
    reply = await dispatch(req, method, url, requestId, server, outcome);
  } catch (error) {
    if (error instanceof FrameworkError) reply = error.reply();
    else {
      const httpError = error instanceof HttpError ? error : new HttpError(500, 'internal_error', `receiver bug: ${String(error)}`);
      reply = errorReply(httpError, requestId);
    }
  }
  server.state.requestLog.push({
    at: new Date(server.now()).toISOString(),
    method,
    path: url.pathname + url.search,
    status: outcome.drop ? 0 : reply.status,
    request_id: requestId,
  });
  if (outcome.drop) {
    res.destroy(); // the answer is lost on the way
    return;
  }
  send(res, reply, requestId);
}

/**
 * The order of checks mirrors the reference server: route (404) → body size
 * (413) → JSON body (400) → loopback for owner routes → protocol header (409)
 * → bearer token (401) → injected 503 → handler (which checks the path device
 * id, 403, and everything else).
 */
async function dispatch(
  req: IncomingMessage,
  method: string,
  url: URL,
  requestId: string,
  server: ServerContext,
  outcome: { drop: boolean },
): Promise<Reply> {
  const match = matchRoute(method, url.pathname);
  const body = await readBody(req); // always drained, even for 404s
  if (!match) throw routeNotFound(method, url.pathname);
  if (body.kind === 'too_large') throw bodyTooLarge();
  const parsed = parseBody(req, body.bytes);
  const { route, params } = match;
  if (route.auth === 'owner' && !isLoopback(req.socket.remoteAddress)) {
    throw new HttpError(403, 'permission_error', 'Owner routes are open only to loopback clients');
  }
  if (route.auth !== 'owner') checkProtocolHeader(readProtocolHeader(req));
  const device = route.auth === 'device' ? authenticateDevice(req, server.state) : null;
  if (route.faultable === 'ingest' && device && params.device === device.device_id && server.faults.remaining503 > 0) {
    server.faults.remaining503 -= 1;
    throw new HttpError(503, 'device_ingest_retryable', 'Device ingest is temporarily unavailable; retry the same batch', {
      headers: { 'retry-after': String(server.faults.retryAfterSeconds) },
    });
  }

  let changed = false;
  const ctx: RouteContext = {
    state: server.state,
    params,
    query: url.searchParams,
    body: parsed,
    device,
    requestId,
    now: server.now,
    markChanged: () => {
      changed = true;
    },
  };
  if (route.faultable !== undefined && server.faults.remainingDrops > 0 && server.faults.dropRoutes.includes(route.faultable)) {
    server.faults.remainingDrops -= 1;
    outcome.drop = true; // handled in full below, whatever the answer; only the answer is lost
  }
  try {
    return route.handler(ctx);
  } finally {
    // Durable before acknowledged: the data file is rewritten before the reply leaves
    // (also when a refusal follows a partial write, as the server's heartbeat does).
    if (changed) server.persist();
  }
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

function readProtocolHeader(req: IncomingMessage): string | null {
  const raw = req.headers[PROTOCOL_HEADER];
  return typeof raw === 'string' && raw.trim() ? raw.trim() : null;
}

/**
 * `requireDeviceExporterCredential`: `Bearer <token>` of an active credential
 * of an active device. A rotated-away token, an unknown one and a revoked
 * device's all get the same 401.
 */
function authenticateDevice(req: IncomingMessage, state: ReceiverState): DeviceEntry {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) {
    throw new HttpError(401, 'authentication_error', 'Missing device exporter bearer token');
  }
  const hash = sha256Hex(header.slice(7));
  const device = [...state.devices.values()].find((d) => d.token_hash === hash);
  if (!device || device.status !== 'active') {
    throw new HttpError(401, 'authentication_error', 'Invalid or revoked device exporter credential');
  }
  return device;
}

/**
 * As the server's transport: a JSON content type is parsed (an empty body is
 * no body; unparsable JSON is the framework's 400); any other content type
 * reaches the route as an opaque value with no fields.
 */
function parseBody(req: IncomingMessage, bytes: Buffer): unknown {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type) || bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw invalidJson((error as Error).message);
  }
}

function send(res: ServerResponse, reply: Reply, requestId: string): void {
  const text = reply.raw ?? JSON.stringify(reply.json ?? {});
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    // The server closes every connection after its answer, so clients never pool its sockets.
    connection: 'close',
    ...(reply.requestId === false ? {} : { 'request-id': requestId }),
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
