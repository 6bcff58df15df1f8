/** Full years from several pages (src/background/page-runs.ts): the run memory alone, then through `capture.submit` into the merge engine. */
import { describe, expect, it } from 'vitest';
import { createPageRuns, judgeRun, PAGE_RUN_PREFIX, PAGE_RUN_SPAN_MS, type PageSighting, type RunPage } from '../../../src/background/page-runs';
import { memoryArea } from '../../../src/background/storage-guard';
import type { PagedListPosition } from '../../../src/connectors/types';
import type { TabCapture } from '../../../src/background/owner-handlers';
import { describeCapture } from '../../../src/ui/popup/capture-line';

const T0 = Date.parse('2026-12-02T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

/** A page of "year-<year>" at `offset` with `count` orders, seen at `minutes` after T0. */
function sighting(offset: number, count: number, next: boolean, minutes: number, options: { year?: number; total?: number; content?: string; connectionId?: string } = {}): PageSighting {
  const year = options.year ?? 2024;
  const paging: PagedListPosition = { list: `year-${year}`, start: `${year}-01-01`, end: `${year}-12-31`, offset, count, next, ...(options.total !== undefined ? { total: options.total } : {}) };
  const observations = Array.from({ length: count }, (_, i) => ({ stream: 'orders', data: { id: `${year}-${offset + i}${options.content ?? ''}`, order_date: `${year}-06-01` } }));
  return {
    connectionId: options.connectionId ?? 'con_a',
    pageUrl: `https://www.amazon.com/your-orders/orders?timeFilter=year-${year}&startIndex=${offset}`,
    paging,
    observations,
    coverage: count ? [{ stream: 'orders', start: `${year}-06-01`, end: `${year}-06-01`, completeness: 'partial' }, { stream: 'order_items', start: `${year}-06-01`, end: `${year}-06-01`, completeness: 'partial' }] : [],
    contentHash: `hash-${year}-${offset}-${count}${options.content ?? ''}`,
    seenAt: at(minutes),
  };
}

const page = (offset: number, count: number, next: boolean, minutes: number, total?: number): RunPage => ({
  offset,
  count,
  next,
  ...(total !== undefined ? { total } : {}),
  seenAt: at(minutes),
  pageUrl: 'https://www.amazon.com/your-orders/orders',
  streams: ['orders'],
  hash: `h${offset}`,
  observations: count,
});

describe('judging a run of pages', () => {
  it('is complete from offset 0 through a page without Next, each page starting where the last one ended', () => {
    expect(judgeRun([page(20, 3, false, 2), page(0, 10, true, 0), page(10, 10, true, 1)], at(2))).toMatchObject({ complete: true });
    expect(judgeRun([page(0, 10, true, 0), page(10, 10, true, 1)], at(2))).toEqual({ complete: false, reason: 'no_last_page' });
    expect(judgeRun([page(0, 10, true, 0), page(20, 3, false, 1)], at(2))).toEqual({ complete: false, reason: 'gap' });
    expect(judgeRun([page(10, 10, true, 0), page(20, 3, false, 1)], at(2))).toEqual({ complete: false, reason: 'no_first_page' });
    expect(judgeRun([page(0, 12, true, 0), page(10, 3, false, 1)], at(2))).toEqual({ complete: false, reason: 'overlap' });
    expect(judgeRun([page(0, 10, false, 0), page(10, 3, false, 1)], at(2))).toEqual({ complete: false, reason: 'pages_after_last' });
    expect(judgeRun([page(0, 10, true, 0, 14), page(10, 3, false, 1, 13)], at(2))).toEqual({ complete: false, reason: 'totals_disagree' });
    expect(judgeRun([page(0, 10, true, 0, 13), page(10, 3, false, 1, 13)], at(2))).toMatchObject({ complete: true });
    // One page is the page's own business: it claims `full` itself when it shows the whole year.
    expect(judgeRun([page(0, 3, false, 0)], at(0))).toEqual({ complete: false, reason: 'one_page' });
  });

  it('leaves out a page seen more than the span before the newest', () => {
    const pages = [page(0, 10, true, 0), page(10, 3, false, 61)];
    expect(judgeRun(pages, at(61))).toEqual({ complete: false, reason: 'one_page' });
    expect(judgeRun(pages, at(59))).toMatchObject({ complete: true });
  });
});

describe('the run memory', () => {
  it('joins the pages of a year seen out of order into one run with every page’s records, once', async () => {
    const runs = createPageRuns(memoryArea());
    expect((await runs.record(sighting(20, 3, false, 0))).verdict).toEqual({ complete: false, reason: 'one_page' });
    expect((await runs.record(sighting(0, 10, true, 5))).verdict).toEqual({ complete: false, reason: 'gap' });
    const done = await runs.record(sighting(10, 10, true, 9));
    expect(done.verdict.complete).toBe(true);
    expect(done.run).toMatchObject({ list: 'year-2024', start: '2024-01-01', end: '2024-12-31', records: 23, streams: ['orders', 'order_items'], dataAsOf: at(0) });
    expect(done.run!.pages.map((p) => p.offset)).toEqual([0, 10, 20]);
    expect(done.run!.observations.map((o) => o.data.id)).toEqual(Array.from({ length: 23 }, (_, i) => `2024-${i}`));

    // Applied: the same pages seen again claim nothing new; a page that changed makes a new run.
    await runs.claimed(done.run!);
    expect((await runs.record(sighting(20, 3, false, 12))).run).toBeUndefined();
    const changed = await runs.record(sighting(20, 3, false, 14, { content: '-changed' }));
    expect(changed.run?.observations.map((o) => o.data.id).slice(-1)).toEqual(['2024-22-changed']);
  });

  it('a missing startIndex keeps the year partial until that page is seen', async () => {
    const runs = createPageRuns(memoryArea());
    await runs.record(sighting(0, 10, true, 0));
    await runs.record(sighting(10, 10, true, 1));
    expect((await runs.record(sighting(30, 2, false, 2))).verdict).toEqual({ complete: false, reason: 'gap' });
    expect((await runs.record(sighting(20, 10, true, 3))).run?.records).toBe(32);
  });

  it('a page older than the span keeps the year partial; seeing it again completes it', async () => {
    const runs = createPageRuns(memoryArea());
    await runs.record(sighting(0, 10, true, 0));
    expect((await runs.record(sighting(10, 3, false, 61))).verdict).toEqual({ complete: false, reason: 'one_page' });
    const again = await runs.record(sighting(0, 10, true, 70));
    expect(again.run).toMatchObject({ records: 13, dataAsOf: at(61) });
  });

  it('a different year seen in between neither joins the run nor breaks it', async () => {
    const runs = createPageRuns(memoryArea());
    await runs.record(sighting(0, 10, true, 0));
    const other = await runs.record(sighting(0, 10, true, 1, { year: 2023 }));
    expect(other.verdict).toEqual({ complete: false, reason: 'one_page' });
    expect((await runs.record(sighting(10, 1, false, 2, { year: 2023 }))).run).toMatchObject({ list: 'year-2023', records: 11 });
    const done = await runs.record(sighting(10, 4, false, 3));
    expect(done.run).toMatchObject({ list: 'year-2024', start: '2024-01-01', records: 14 });
    expect(done.run!.observations.every((o) => String(o.data.id).startsWith('2024-'))).toBe(true);
    // Another account's pages of the same year are another run.
    expect((await runs.record(sighting(10, 4, false, 4, { connectionId: 'con_b' }))).verdict).toEqual({ complete: false, reason: 'one_page' });
  });

  it('a page with a record that could not be stored joins no run, and takes its earlier sighting out', async () => {
    const runs = createPageRuns(memoryArea());
    await runs.record(sighting(0, 10, true, 0));
    await runs.record({ ...sighting(0, 10, true, 1), fit: false });
    expect((await runs.record(sighting(10, 3, false, 2))).verdict).toEqual({ complete: false, reason: 'one_page' });
    expect((await runs.record(sighting(0, 10, true, 3))).run?.records).toBe(13);
  });

  it('survives the service worker restarting: what was seen lives in the storage area, not in memory', async () => {
    const area = memoryArea();
    await createPageRuns(area).record(sighting(0, 10, true, 0));
    await createPageRuns(area).record(sighting(10, 10, true, 1));
    const restarted = createPageRuns(area);
    expect((await restarted.record(sighting(20, 1, false, 2))).run?.records).toBe(21);
  });

  it('keeps only the last hour’s pages in session storage', async () => {
    const area = memoryArea();
    const runs = createPageRuns(area);
    await runs.record(sighting(0, 10, true, 0, { year: 2022 }));
    await runs.record(sighting(10, 10, true, 0, { year: 2022 }));
    await runs.record(sighting(0, 10, true, 1));
    expect(Object.keys(area.data).filter((key) => key.includes('year-2022'))).toHaveLength(3);
    await runs.record(sighting(10, 10, true, 30 + PAGE_RUN_SPAN_MS / 60_000));
    expect(Object.keys(area.data).filter((key) => key.startsWith(PAGE_RUN_PREFIX))).toEqual([`${PAGE_RUN_PREFIX}con_a|year-2024`, `${PAGE_RUN_PREFIX}con_a|year-2024|10`]);
  });

  it('handles pages arriving at once (two tabs) one after the other', async () => {
    const runs = createPageRuns(memoryArea());
    const results = await Promise.all([runs.record(sighting(0, 10, true, 0)), runs.record(sighting(10, 10, true, 0)), runs.record(sighting(20, 5, false, 0))]);
    expect(results.filter((result) => result.run)).toHaveLength(1);
    expect(results.find((result) => result.run)!.run!.records).toBe(25);
  });
});

describe('the popup after a page that completed a year', () => {
  it('speaks of the whole year the pages hold, and of this page second', () => {
    const capture: TabCapture = {
      at: at(0),
      pageUrl: 'https://www.amazon.com/your-orders/orders?timeFilter=year-2024&startIndex=10',
      connectorKey: 'amazon',
      outcome: 'merged',
      connectionName: 'Dana',
      streams: [
        { stream: 'orders', seen: 3, new: 1 },
        { stream: 'order_items', seen: 4, new: 2 },
      ],
      window: { start: '2024-01-01', end: '2024-12-31', completeness: 'full' },
      run: { start: '2024-01-01', end: '2024-12-31', records: 13, pages: 2, noun: { one: 'order', other: 'orders' }, pagesName: 'Your Orders' },
      failed: 0,
      warnings: [],
      message: '',
    };
    const nouns = { orders: { one: 'order', other: 'orders' }, order_items: { one: 'item', other: 'items' } };
    const line = describeCapture(capture, nouns, at(0));
    expect(line.headline).toBe('Kept all of 2024 for Dana: 13 orders on 2 pages of Your Orders');
    expect(line.detail).toBe('3 orders on this page (1 new) · 4 items (2 new) · just now');
    expect(describeCapture({ ...capture, outcome: 'unchanged_recapture' }, nouns, at(0)).detail).toBe('3 orders on this page, nothing new since the last visit · 4 items (2 new) · just now');
  });
});
