/**
 * The words a record is found by (issue 13): generic over any connector's
 * `describe`/`present`, kept by the merge engine in the record's own write,
 * so the `*searchTerms` index follows every change.
 */
import { describe, expect, it } from 'vitest';
import type { StreamDefinition } from '../../../src/connectors/types';
import { applyBatch } from '../../../src/core/merge-engine';
import { MAX_TERMS, queryWords, searchTermsOf, termMask, wordsOf } from '../../../src/core/search-terms';
import { batchInput, obs } from '../../support/batches';
import { freshDb, testConnection } from '../../support/streams';

describe('search terms', () => {
  it('are the lower-cased, accent-folded words of key, describe and present', () => {
    expect(wordsOf('Café Bustelo — Espresso, 10 oz')).toEqual(['cafe', 'bustelo', 'espresso', '10', 'oz']);
    const stream = {
      describe: (data: Record<string, unknown>) => `Watched ${String(data.title)}`,
      present: (data: Record<string, unknown>) => ({ title: String(data.title), facts: [String(data.duration)], partOf: 'In season 2' }),
    } as unknown as StreamDefinition;
    expect(searchTermsOf(stream, { title: 'Der Bär', duration: '42 min', secret: 'not shown' }, 'ep-77')).toEqual(['ep', '77', 'watched', 'der', 'bar', '42', 'min', 'in', 'season', '2']);
    // A connector whose describe throws still finds the record by its key.
    expect(searchTermsOf({ describe: () => { throw new Error('x'); } } as unknown as StreamDefinition, {}, 'K-1')).toEqual(['k', '1']);
    expect(searchTermsOf(undefined, {}, Array.from({ length: 80 }, (_, i) => `w${i}`).join(' '))).toHaveLength(MAX_TERMS);
  });

  it('leave out ISO dates and instants (UTC fragments the owner never sees), keeping the words around them', () => {
    const stream = {
      describe: (data: Record<string, unknown>) => `${String(data.title)} · Watched ${String(data.at)}`,
      present: (data: Record<string, unknown>) => ({ title: String(data.title), facts: [`Watched ${String(data.at)}`, 'Ordered on 2023-05-01'] }),
    } as unknown as StreamDefinition;
    expect(searchTermsOf(stream, { title: 'Big Man 2', at: '2026-12-01T14:03:00.123Z' }, 'dQw4w9WgXcQ@2026-12-01T14:03:00Z')).toEqual(['dqw4w9wgxcq', 'big', 'man', '2', 'watched', 'ordered', 'on']);
    expect(searchTermsOf(undefined, {}, 'at 2026-12-01 14:03:00+01:00 and 2026-12-01 and 111-2222')).toEqual(['at', 'and', '111', '2222']);
  });

  it('match a search word by a term’s beginning, each word a bit', () => {
    expect(queryWords('  Echo  DOT echo ')).toEqual(['echo', 'dot']);
    expect(termMask(['ech', 'dot', 'zzz'], ['echo', 'dot', '3rd'])).toBe(0b011);
    expect(termMask(['cho'], ['echo'])).toBe(0);
  });

  it('follow a record’s data in the same write: a renamed record is found by its new words only', async () => {
    const db = await freshDb();
    const connection = await testConnection(db);
    await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'o1', '2024-01-01', { title: 'Green teapot' })], dataAsOf: '2024-02-01T00:00:00Z' }));
    expect(await db.records.where('searchTerms').startsWith('teapot').count()).toBe(1);
    await applyBatch(db, batchInput(connection.id, { method: 'browser_polyfill', observations: [obs('orders', 'o1', '2024-01-01', { title: 'Blue kettle' })], dataAsOf: '2024-03-01T00:00:00Z' }));
    expect(await db.records.where('searchTerms').startsWith('teapot').count()).toBe(0);
    expect((await db.records.where('searchTerms').startsWith('kett').toArray()).map((record) => record.key)).toEqual(['o1']);
    db.close();
  });
});
