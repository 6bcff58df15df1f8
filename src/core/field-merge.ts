/**
 * Per-field merge of one logical record's observations (M4): the newest
 * observation wins field by field, but a present value is never replaced by a
 * missing or empty one, nor a text by a truncated prefix of itself.
 *
 * The merged value is a pure function of the *set* of versions (sorted by
 * their `asOf`, never by arrival), so batches merge in any order to the same
 * result (M10).
 */
import type { RecordVersion } from './model';
import type { FieldMergePolicy } from '../connectors/types';

export function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  return false;
}

const ELLIPSIS = /(\s*(…|\.\.\.))+$/u;

/** True when `shorter` is `longer` cut off (optionally marked with an ellipsis). */
export function isTruncationOf(shorter: string, longer: string): boolean {
  const stem = shorter.replace(ELLIPSIS, '').trimEnd();
  return stem.length > 0 && stem.length < longer.length && longer.startsWith(stem);
}

export function mergeField(current: unknown, incoming: unknown, policy: FieldMergePolicy = 'newest'): unknown {
  if (isEmptyValue(incoming)) return current;
  if (isEmptyValue(current)) return incoming;
  if (policy === 'most_precise' && typeof current === 'string' && typeof incoming === 'string' && precision(current) !== precision(incoming)) {
    return precision(incoming) > precision(current) ? incoming : current;
  }
  if (policy === 'max') {
    return compareValues(incoming, current) > 0 ? incoming : current;
  }
  if (typeof current === 'string' && typeof incoming === 'string' && isTruncationOf(incoming, current)) {
    return current;
  }
  return incoming;
}

/** 0 for a bare day, 1 for anything with a clock time. */
function precision(time: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(time) ? 0 : 1;
}

/** A stream's field policies, with its event-time field preferring precision. */
export function fieldPolicies(stream: { eventTimeField: string; fieldMerge?: Record<string, FieldMergePolicy> }): Record<string, FieldMergePolicy> {
  return { [stream.eventTimeField]: 'most_precise', ...stream.fieldMerge };
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** Deterministic order: oldest data first, ties broken by method then batch id. */
export function compareVersions(a: RecordVersion, b: RecordVersion): number {
  if (a.asOf !== b.asOf) return a.asOf < b.asOf ? -1 : 1;
  if (a.method !== b.method) return a.method < b.method ? -1 : 1;
  const aFirst = [...a.batchIds].sort()[0] ?? '';
  const bFirst = [...b.batchIds].sort()[0] ?? '';
  return aFirst < bFirst ? -1 : aFirst > bFirst ? 1 : 0;
}

export function mergeVersions(
  versions: readonly RecordVersion[],
  policies: Record<string, FieldMergePolicy> = {},
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  /** For `{ by }` policies: the rank of the version whose value is kept. */
  const ranks: Record<string, number> = {};
  for (const version of [...versions].sort(compareVersions)) {
    for (const [field, value] of Object.entries(version.data)) {
      const policy = policies[field];
      if (typeof policy === 'object') {
        if (isEmptyValue(value)) continue;
        // Versions arrive oldest first, so on equal ranks the newer one wins.
        const rank = versionRank(version, policy.by);
        if (ranks[field] === undefined || rank >= ranks[field]) {
          merged[field] = value;
          ranks[field] = rank;
        }
        continue;
      }
      const next = mergeField(merged[field], value, policy);
      if (next !== undefined) merged[field] = next;
    }
  }
  return merged;
}

/** A version's rank under a `{ by }` policy: its `by` field as a time or number, else when it was seen. */
function versionRank(version: RecordVersion, by: string): number {
  return timeOrNumber(version.data[by]) ?? timeOrNumber(version.asOf) ?? Number.NEGATIVE_INFINITY;
}

function timeOrNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string' || value === '') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}
