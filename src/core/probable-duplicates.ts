/**
 * Probable duplicates: records of different acquisition methods that are
 * probably one event (a viewing on a page and the same viewing in the export)
 * but that no identity rule proves the same. They are paired for the owner to
 * see side by side, never merged, and each record is in at most one pair, so
 * "29 probably also in the export" counts each viewing once.
 */
import type { ProbableDuplicateRule } from '../connectors/types';
import type { AcquisitionMethod } from './model';

export interface PairCandidate {
  /** The record's stored identity (`rid`). */
  rid: string;
  data: Record<string, unknown>;
  methods: readonly AcquisitionMethod[];
}

export interface ProbablePair {
  /** One record seen by one method, one by another; `a` sorts before `b`. */
  a: string;
  b: string;
  /** The shared match key that paired them. */
  matchKey: string;
  reason: string;
}

/**
 * Pairs records that share a match key and were seen by different methods.
 * Deterministic: candidates are considered in `rid` order and each record
 * pairs at most once (the first free partner by `rid`), whatever the input order.
 */
export function findProbablePairs(rule: ProbableDuplicateRule, records: readonly PairCandidate[]): ProbablePair[] {
  const byKey = new Map<string, { rid: string; methods: readonly AcquisitionMethod[] }[]>();
  const sorted = [...records].sort((x, y) => (x.rid < y.rid ? -1 : x.rid > y.rid ? 1 : 0));
  const keysOf = new Map<string, string[]>();
  for (const record of sorted) {
    const keys = [...new Set(record.methods.flatMap((method) => rule.matchKeys(record.data, method)))].sort();
    keysOf.set(record.rid, keys);
    for (const key of keys) {
      const list = byKey.get(key) ?? [];
      list.push({ rid: record.rid, methods: record.methods });
      byKey.set(key, list);
    }
  }
  const paired = new Set<string>();
  const pairs: ProbablePair[] = [];
  for (const record of sorted) {
    if (paired.has(record.rid)) continue;
    for (const key of keysOf.get(record.rid) ?? []) {
      const partner = byKey
        .get(key)!
        .find((other) => other.rid !== record.rid && !paired.has(other.rid) && !sameMethods(other.methods, record.methods));
      if (!partner) continue;
      paired.add(record.rid);
      paired.add(partner.rid);
      const [a, b] = record.rid < partner.rid ? [record.rid, partner.rid] : [partner.rid, record.rid];
      pairs.push({ a, b, matchKey: key, reason: rule.reason });
      break;
    }
  }
  return pairs;
}

/** Two records seen by exactly the same methods are never a cross-method pair. */
function sameMethods(x: readonly AcquisitionMethod[], y: readonly AcquisitionMethod[]): boolean {
  return x.length === y.length && x.every((method) => y.includes(method));
}
