/**
 * What to do with a device-route answer, and how long to wait before a resend.
 * Pure, so the whole policy is unit-tested without a network.
 *
 * The PDPP device-collector protocol: 408, 429, 5xx, timeouts and network
 * errors → resend the identical batch (honouring `Retry-After`); 400 → this
 * batch is refused, later ones may continue; 401 → the token no longer works
 * (revoked), stop and ask the owner to re-link; 409 `device_batch_conflict` →
 * the server holds different content under this batch id: keep ours, surface it.
 */

export type Outcome =
  | { kind: 'accepted' }
  | { kind: 'retry'; retryAfterMs?: number }
  | { kind: 'rejected'; reason: string }
  | { kind: 'conflict'; reason: string }
  | { kind: 'unauthorized'; reason: string }
  | { kind: 'forbidden'; reason: string }
  | { kind: 'protocol_mismatch'; reason: string };

/** The server's answer, or the transport failure in its place. */
export type Answer = { status: number; errorCode?: string; errorMessage?: string; retryAfter?: string | null } | { transportError: 'timeout' | 'network' };

/** At most this many attempts per batch in one drain (the reference collector's figure). */
export const MAX_ATTEMPTS = 5;
/** `Retry-After` is honoured up to this long. */
export const MAX_RETRY_AFTER_MS = 60_000;
export const BASE_BACKOFF_MS = 1_000;

export function classify(answer: Answer): Outcome {
  if ('transportError' in answer) return { kind: 'retry' };
  const { status } = answer;
  const reason = answer.errorMessage ? `${answer.errorMessage}${answer.errorCode ? ` (${answer.errorCode})` : ''}` : `HTTP ${status}`;
  if (status >= 200 && status < 300) return { kind: 'accepted' };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(answer.retryAfter ?? null);
    return retryAfterMs === undefined ? { kind: 'retry' } : { kind: 'retry', retryAfterMs };
  }
  if (status === 401) return { kind: 'unauthorized', reason };
  if (status === 403) return { kind: 'forbidden', reason };
  if (status === 409 && answer.errorCode === 'collector_protocol_mismatch') return { kind: 'protocol_mismatch', reason };
  if (status === 409) return { kind: 'conflict', reason };
  return { kind: 'rejected', reason };
}

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP date, clamped to
 * [0, 60 s]. Undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(text) * 1000));
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now));
}

/**
 * Delay before attempt `attempt + 1` (attempt counts from 1): exponential from
 * 1 s, capped at 60 s, with up to 25 % jitter (`random` injectable); when
 * the server sent `Retry-After`, exactly that.
 */
export function backoffMs(attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_RETRY_AFTER_MS, BASE_BACKOFF_MS * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(exponential * (1 + 0.25 * random()));
  const capped = Math.min(MAX_RETRY_AFTER_MS, jittered);
  // The server said when: wait exactly that long (already clamped to 60 s).
  return retryAfterMs === undefined ? capped : retryAfterMs;
}
