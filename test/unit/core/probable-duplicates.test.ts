import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findProbablePairs, type PairCandidate } from '../../../src/core/probable-duplicates';
import type { ProbableDuplicateRule } from '../../../src/connectors/types';

const rule: ProbableDuplicateRule = {
  reason: 'same title on the same day',
  matchKeys: (data) => [`${String(data.title).toLowerCase()}|${String(data.day)}`],
};
const page = (rid: string, title: string, day: string): PairCandidate => ({ rid, data: { title, day }, methods: ['browser_polyfill'] });
const file = (rid: string, title: string, day: string): PairCandidate => ({ rid, data: { title, day }, methods: ['owner_artifact'] });

describe('probable duplicates', () => {
  it('pairs a page record and an export record with the same match key', () => {
    const pairs = findProbablePairs(rule, [page('p1', 'Big Man', '2024-05-01'), file('f1', 'big man', '2024-05-01'), file('f2', 'Big Man', '2024-05-02')]);
    expect(pairs).toEqual([{ a: 'f1', b: 'p1', matchKey: 'big man|2024-05-01', reason: 'same title on the same day' }]);
  });

  it('never pairs two records of the same method', () => {
    expect(findProbablePairs(rule, [file('f1', 'A', '2024-01-01'), file('f2', 'A', '2024-01-01')])).toEqual([]);
  });

  it('pairs each record at most once, whatever the input order', () => {
    const records = [page('p1', 'A', 'd'), page('p2', 'A', 'd'), file('f1', 'A', 'd'), file('f2', 'A', 'd'), file('f3', 'A', 'd')];
    fc.assert(
      fc.property(fc.shuffledSubarray(records, { minLength: records.length, maxLength: records.length }), (shuffled) => {
        const pairs = findProbablePairs(rule, shuffled);
        expect(pairs).toEqual(findProbablePairs(rule, records));
        const rids = pairs.flatMap((pair) => [pair.a, pair.b]);
        expect(new Set(rids).size).toBe(rids.length);
        expect(pairs).toHaveLength(2);
      }),
    );
  });
});
