/**
 * HTTP plumbing for the test receiver: error envelopes, size-guarded body
 * reading, ids and secrets. Only node:http / node:crypto, no frameworks.
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
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  410: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  503: 'api_error',
};

/**
 * A refusal that becomes the protocol's error envelope
 * `{error:{code, message, type, param?, request_id, ...extra}}`.
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
  const envelope: Record<string, unknown> = {
    code: error.code,
    message: error.message,
    type: TYPE_BY_STATUS[error.status] ?? 'api_error',
  };
  if (error.param !== undefined) envelope.param = error.param;
  Object.assign(envelope, error.extra);
  envelope.request_id = requestId;
  return { status: error.status, json: { error: envelope }, headers: error.headers };
}

export function badRequest(message: string, param?: string): HttpError {
  return new HttpError(400, 'invalid_request', message, { param });
}

export type BodyResult = { kind: 'ok'; bytes: Buffer } | { kind: 'too_large' };

/**
 * Read a request body, keeping at most `limit` bytes in memory.
 *
 * Past the limit we stop buffering but keep draining to the end before the
 * caller answers 413: answering while the client is still uploading makes
 * fetch clients see a reset connection instead of the 413. A client that keeps
 * sending far beyond the limit is cut off.
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

/** Opaque id with the reference server's prefix, e.g. `dexp_3f…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** A secret (`ldt_…`, `lde_…`); only its hash is stored. */
export function newSecret(prefix: string, bytes: number): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

export function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}
