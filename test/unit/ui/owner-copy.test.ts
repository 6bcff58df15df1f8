/** The popup's capture sentence, the Sources card's next action and coverage fact, and the records filters. */
import { describe, expect, it } from 'vitest';
import { describeCapture, pageChangedLine } from '../../../src/ui/popup/capture-line';
import { bestNextAction, latestCoverageFact } from '../../../src/ui/dashboard/sources';
import { matchesFilter } from '../../../src/ui/records-filter';
import { formatShortWindow } from '../../../src/ui/format';
import type { TabCapture, SourceOverview } from '../../../src/background/owner-handlers';
import { amazonOwnerCopy } from '../../../src/connectors/amazon';

const nouns = amazonOwnerCopy.streamNouns!;
const capture = (overrides: Partial<TabCapture> = {}): TabCapture => ({
  at: '2026-11-28T10:00:00Z',
  pageUrl: 'https://www.amazon.com/your-orders/orders',
  connectorKey: 'amazon',
  outcome: 'merged',
  connectionId: 'con_1',
  streams: [
    { stream: 'orders', seen: 12, new: 3 },
    { stream: 'order_items', seen: 1, new: 1 },
  ],
  window: { start: '2024-03-02', end: '2024-11-20', completeness: 'partial' },
  failed: 0,
  warnings: [],
  message: '',
  ...overrides,
});

describe('describeCapture', () => {
  it('says what the page showed, what was new and the window', () => {
    expect(describeCapture(capture({ accountLabel: 'Dana' }), nouns, '2026-11-28T10:05:00Z')).toEqual({ headline: 'Kept 12 orders for Dana: 3 new, covering Mar 2 – Nov 20, 2024', detail: '1 item (1 new) · 5 minutes ago', tone: 'kept' });
    expect(describeCapture(capture({ outcome: 'unchanged_recapture', accountLabel: 'Dana' }), nouns, '2026-11-28T10:00:10Z').headline).toBe('Kept 12 orders for Dana: nothing new since the last visit, covering Mar 2 – Nov 20, 2024');
    expect(describeCapture(capture({ streams: [{ stream: 'orders', seen: 1, new: 0 }], window: undefined, failed: 2, connectionName: 'Amazon — Sam' }), nouns, '2026-11-30T10:00:00Z')).toEqual({ headline: 'Kept 1 order for Amazon — Sam: 0 new', detail: '2 could not be read · on Nov 28, 2026', tone: 'warning' });
  });

  it('is honest about a page it could not attribute or read', () => {
    expect(describeCapture(capture({ outcome: 'no_account', streams: [] }), nouns).headline).toMatch(/could not tell whose account/);
    expect(describeCapture(capture({ streams: [], warnings: ['The page layout was not recognised.'] }), nouns).headline).toContain('layout was not recognised');
    // A changed layout is a problem, never a count of nothing.
    const changed = describeCapture(capture({ streams: [], warnings: ['Gleaner could not recognise this Amazon orders page.'], warningCodes: ['layout_unrecognized'] }), nouns);
    expect(changed.tone).toBe('problem');
    expect(changed.headline).toBe('Nothing was kept from this page.');
    expect(pageChangedLine('Amazon')).toBe('Amazon’s page changed; Gleaner could not read it.');
  });

  it('shortens windows within one year and names whole years', () => {
    expect(formatShortWindow('2024-01-01', '2024-12-31')).toBe('all of 2024');
    expect(formatShortWindow('2019-02-03', '2023-09-02')).toBe('Feb 3, 2019 – Sep 2, 2023');
    expect(formatShortWindow('2024-01-15', '2024-01-15')).toBe('Jan 15, 2024');
  });
});

describe('Sources card', () => {
  const source = (connections: SourceOverview['connections']): SourceOverview => ({
    key: 'amazon',
    displayName: 'Amazon',
    hosts: ['www.amazon.com'],
    acquisitionPaths: amazonOwnerCopy.acquisitionPaths,
    streamNouns: nouns,
    primaryStream: 'orders',
    connections,
  });
  const artifact = { method: 'owner_artifact' as const, batches: 1, lastAt: '2026-11-01T00:00:00Z', span: { start: '2019-02-03', end: '2023-09-02' } };
  const captured = (lastAt: string) => ({ method: 'browser_polyfill' as const, batches: 2, lastAt, span: { start: '2024-01-01', end: '2024-12-31' } });

  it('picks the best next action from what is missing', () => {
    expect(bestNextAction(source([]), '2026-11-28')).toMatchObject({ method: 'owner_artifact', text: expect.stringContaining('import your history from an export') });
    expect(bestNextAction(source([{ id: 'c', displayName: 'D', methods: [captured('2026-11-27T00:00:00Z')] }]), '2026-11-28').method).toBe('owner_artifact');
    expect(bestNextAction(source([{ id: 'c', displayName: 'D', methods: [artifact] }]), '2026-11-28')).toMatchObject({ method: 'browser_polyfill', text: expect.stringContaining('keep recent orders current') });
    expect(bestNextAction(source([{ id: 'c', displayName: 'D', methods: [artifact, captured('2026-09-01T00:00:00Z')] }]), '2026-11-28')).toMatchObject({ method: 'browser_polyfill', text: expect.stringContaining('Sep 1, 2026') });
    expect(bestNextAction(source([{ id: 'c', displayName: 'D', methods: [artifact, captured('2026-11-20T00:00:00Z')] }]), '2026-11-28').method).toBeUndefined();
  });

  it('states the latest coverage fact', () => {
    expect(latestCoverageFact(source([]))).toBe('Nothing kept from Amazon yet.');
    expect(latestCoverageFact(source([{ id: 'c', displayName: 'D', methods: [artifact, captured('2026-11-20T00:00:00Z')] }]))).toBe('Orders Feb 3, 2019 – Dec 31, 2024 · your export runs through Sep 2, 2023.');
  });
});

describe('records filters', () => {
  const record = { stream: 'orders', key: '111-8846102-3392817', data: { id: '111-8846102-3392817', delivery_status: 'Delivered February 10', order_total: '$49.16' }, methods: ['owner_artifact', 'browser_polyfill'] as ('owner_artifact' | 'browser_polyfill')[], eventTime: '2023-02-08T03:41:19Z' };
  it('matches kind, method, day range (inclusive) and every search word, case-insensitively', () => {
    expect(matchesFilter(record, {})).toBe(true);
    expect(matchesFilter(record, { stream: 'order_items' })).toBe(false);
    expect(matchesFilter(record, { method: 'both' })).toBe(true);
    expect(matchesFilter({ ...record, methods: ['owner_artifact'] }, { method: 'both' })).toBe(false);
    expect(matchesFilter({ ...record, methods: ['owner_artifact'] }, { method: 'browser_polyfill' })).toBe(false);
    expect(matchesFilter(record, { from: '2023-02-08', to: '2023-02-08' })).toBe(true);
    expect(matchesFilter(record, { from: '2023-02-09' })).toBe(false);
    expect(matchesFilter({ ...record, eventTime: '' }, { to: '2030-01-01' })).toBe(false);
    expect(matchesFilter(record, { text: 'delivered 49.16' })).toBe(true);
    expect(matchesFilter(record, { text: 'delivered refund' })).toBe(false);
    expect(matchesFilter(record, { text: 'mug' }, 'Order with a mug')).toBe(true);
    expect(matchesFilter({ ...record, tombstone: { batchId: 'b', at: '', reason: '' } }, {})).toBe(false);
    expect(matchesFilter({ ...record, tombstone: { batchId: 'b', at: '', reason: '' } }, { includeTombstoned: true })).toBe(true);
  });
});

describe('receipt wording', () => {
  it('says what a batch claimed to cover, else the span of its records', async () => {
    const { batchCoverage, batchSource } = await import('../../../src/ui/dashboard/Receipts');
    const base = { id: 'b', connectionId: 'c', connectorKey: 'amazon', method: 'browser_polyfill' as const, counts: { parsed: 0, new: 0, updated: 0, alreadyKnown: 0, skipped: 0, failed: 0, tombstoned: 0, restored: 0 }, warnings: [], status: 'committed' as const, receivedAt: '', dataAsOf: '', recaptureCount: 0 };
    const page = { ...base, provenance: { kind: 'page' as const, pageUrl: 'https://www.amazon.com/your-orders/orders?timeFilter=year-2024', capturedAt: '', extractorVersion: 'x' }, coverage: [{ stream: 'orders', start: '2024-01-01', end: '2024-12-31', completeness: 'full' as const }] };
    expect(batchCoverage(page)).toBe(' · covering all of 2024, completely');
    expect(batchSource(page)).toBe('Your Orders, 2024');
    expect(batchCoverage({ ...page, coverage: [], eventRange: { start: '2024-01-15', end: '2024-03-01' } })).toBe(' · records from Jan 15 – Mar 1, 2024');
    expect(batchSource({ ...page, provenance: { ...page.provenance, pageUrl: 'https://www.amazon.com/gp/your-account/order-details?orderID=1' } })).toBe('An order’s detail page');
  });
});
