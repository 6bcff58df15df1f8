/**
 * HTTP plumbing for the test receiver: error envelopes, size-guarded body
 * reading, ids and secrets. Only node:http / node:crypto, no frameworks.
 *
 * Two kinds of refusal, as on the reference server:
 * - `HttpError`: the server's own envelope `{error:{code, message, type,
 *   param?, request_id}}`, with the request id also in the `request-id` header;
 * - `FrameworkError`: what its HTTP framework (Fastify) answers before a route
 *   runs (unknown route, unparsable JSON, body too large):
 *   `{statusCode, error, message}` (plus `code` for some), no request id.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Request bodies are capped at 50 MiB by the reference server. */
export const MAX_BODY_BYTES = 50 * 1024 * 1024;

/** What a route handler returns; `raw` is sent verbatim (used for exact replays). */
export interface Reply {
  status: number;
  json?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** False for the framework's own answers, which carry no `request-id` header. */
  requestId?: boolean;
}

/** The reference server's `typeFor(status)`: the envelope `type` is derived from the status alone. */
export function typeFor(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 410:
      return 'gone_error';
    case 413:
      return 'request_entity_too_large_error';
    case 429:
      return 'rate_limit_error';
    default:
      return 'api_error'; // 409, 500 and 503 included
  }
}

/**
 * A refusal that becomes the protocol's error envelope
 * `{error:{code, message, type, param?, ...extra, request_id}}`.
 * Thrown from anywhere in a handler; handlers are synchronous, so nothing has
 * been stored when one escapes unless the handler chose to store first.
 */
export class HttpError extends Error {
  status: number;
  code: string;
  param: string | undefined;
  extra: Record<string, unknown>;
  headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { param?: string; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = options.param;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

export function errorReply(error: HttpError, requestId: string): Reply {
  const envelope: Record<string, unknown> = { code: error.code, message: error.message, type: typeFor(error.status) };
  if (error.param) envelope.param = error.param;
  Object.assign(envelope, error.extra);
  envelope.request_id = requestId;
  return { status: error.status, json: { error: envelope }, headers: error.headers };
}

/** The server's usual 400: code `invalid_request`. */
export function badRequest(message: string, param?: string): HttpError {
  return new HttpError(400, 'invalid_request', message, { param });
}

/** An answer from the HTTP framework itself, before any route ran: Fastify's shape, no request id. */
export class FrameworkError extends Error {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;

  constructor(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    super(String(body.message));
    this.status = status;
    this.body = body;
    this.headers = headers;
  }

  reply(): Reply {
    return { status: this.status, json: this.body, headers: this.headers, requestId: false };
  }
}

export function routeNotFound(method: string, pathname: string): FrameworkError {
  return new FrameworkError(404, { message: `Route ${method}:${pathname} not found`, error: 'Not Found', statusCode: 404 });
}

export function invalidJson(message: string): FrameworkError {
  return new FrameworkError(400, { statusCode: 400, error: 'Bad Request', message });
}

export function bodyTooLarge(): FrameworkError {
  return new FrameworkError(
    413,
    { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', error: 'Payload Too Large', message: 'Request body is too large' },
    { connection: 'close' },
  );
}

export type BodyResult = { kind: 'ok'; bytes: Buffer } | { kind: 'too_large' };

/**
 * Read a request body, keeping at most `limit` bytes in memory.
 *
 * Past the limit we stop buffering but keep draining to the end before the
 * caller answers 413: answering while the client is still uploading makes
 * fetch clients see a reset connection instead of the 413 (the reference
 * server answers 413 at once and closes, so its clients may see either). A
 * client that keeps sending far beyond the limit is cut off.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    let tooLarge = Number.isFinite(declared) && declared > limit;
    let received = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        if (received > limit * 4) req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? { kind: 'too_large' } : { kind: 'ok', bytes: Buffer.concat(chunks) }));
    req.on('error', reject);
  });
}

/** Lowercase hex sha256 (synchronous, so ingest stays atomic in the event loop). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Opaque id with the reference server's prefix and length: `req_`, `dexp_`,
 * `dsrc_` + 16 hex, `cin_` + 24 hex.
 */
export function newId(prefix: string, hexChars = 16): string {
  return `${prefix}_${randomBytes(Math.ceil(hexChars / 2)).toString('hex').slice(0, hexChars)}`;
}

/** A secret (`ldt_…`, `lde_…`); only its hash is stored. */
export function newSecret(prefix: string, bytes: number): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

export function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}
