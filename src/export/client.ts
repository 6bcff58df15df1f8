/**
 * The HTTP side of the PDPP device-collector protocol (v1). Runs only in the
 * background worker: the server sends no CORS headers, so only a context with
 * host permission for its origin can read its answers.
 *
 * The device token is passed in per call and never appears in anything this
 * module returns, throws or logs.
 */
import type { Answer } from './retry';

export const PROTOCOL_HEADER = 'X-PDPP-Collector-Protocol';
export const PROTOCOL_VERSION = '1';

export type FetchLike = (input: string, init: { method: string; headers: Record<string, string>; body?: string | Blob; signal?: AbortSignal }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export interface CallResult {
  answer: Answer;
  /** Parsed JSON body (success or error envelope), when there was one. */
  json?: unknown;
  requestId?: string;
}

export interface CallOptions {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  /**
   * A JSON string (sent verbatim, so a resend is byte-identical) or a value
   * to stringify. It goes out as a Blob of the same bytes: Chromium
   * uploads a Blob from a service worker several times faster than a string.
   */
  body?: string | unknown;
  token?: string;
  /** Send the protocol header (every device route and enroll). */
  protocol?: boolean;
  timeoutMs?: number;
}

/** Normalises what the owner typed into an origin (`http://127.0.0.1:7662`), or throws a sentence. */
export function normaliseOrigin(input: string): string {
  const trimmed = input.trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`);
  } catch {
    throw new Error('That does not look like a server address. Enter something like https://pdpp.example.org or http://127.0.0.1:7662.');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new Error('Use an https:// address; plain http:// is allowed only for a server on this computer (127.0.0.1 or localhost).');
  }
  return url.origin;
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]' || hostname === '::1';
}

/** The match pattern the host permission is asked for: the server's host, any port. */
export function originPermissionPattern(origin: string): string {
  const url = new URL(origin);
  return `${url.protocol}//${url.hostname}/*`;
}

export async function callServer(fetchImpl: FetchLike, origin: string, options: CallOptions): Promise<CallResult> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: string | Blob | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    const text = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    body = typeof Blob !== 'undefined' ? new Blob([text], { type: 'application/json' }) : text;
  }
  if (options.protocol) headers[PROTOCOL_HEADER] = PROTOCOL_VERSION;
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetchImpl(`${origin}${options.path}`, { method: options.method, headers, body, signal: controller.signal });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const envelope = (json as { error?: { code?: unknown; message?: unknown; request_id?: unknown } } | undefined)?.error;
    // The server names every answer in the `request-id` header (201 bodies carry none); error bodies repeat it.
    const requestId = response.headers.get('request-id') ?? (typeof envelope?.request_id === 'string' ? envelope.request_id : undefined);
    return {
      answer: {
        status: response.status,
        errorCode: typeof envelope?.code === 'string' ? envelope.code : undefined,
        errorMessage: typeof envelope?.message === 'string' ? envelope.message.slice(0, 300) : undefined,
        retryAfter: response.headers.get('retry-after'),
      },
      json,
      requestId,
    };
  } catch (error) {
    return { answer: { transportError: controller.signal.aborted ? 'timeout' : 'network' } };
  } finally {
    clearTimeout(timer);
  }
}

/** A short owner-facing description of a failed answer (no token, no payload). */
export function describeAnswer(answer: Answer): string {
  if ('transportError' in answer) return answer.transportError === 'timeout' ? 'the server took too long to answer' : 'the server could not be reached';
  const detail = answer.errorMessage ?? `it answered ${answer.status}`;
  return `the server said: ${detail}`;
}
