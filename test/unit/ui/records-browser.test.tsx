// @vitest-environment happy-dom
/**
 * The records browser as the owner reads it, rendered against the real
 * `records.query` handler over Dana's export: orders with their items, search
 * across kinds from the default view, counts in nouns, the empty state, and
 * the provenance panel (field labels, closing on Escape and on a new list).
 */
import { Blob as NodeBlob } from 'node:buffer';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOwnerHandlers } from '../../../src/background/owner-handlers';
import { createImportHandlers, importRunnerFor } from '../../../src/background/import-handlers';
import { connectors } from '../../../src/connectors/registry';
import { memoryArea } from '../../../src/background/storage-guard';
import { requestSchemas } from '../../../src/messages/protocol';
import type { AcquisitionBatch } from '../../../src/core/model';
import { capitalise, countsInNouns, formatFieldValue, joinWithOr, shorten } from '../../../src/ui/format';
import { amazonExportCsvBytes, expectations, localDay } from '../../fixtures/amazon';
import { freshDb } from '../../support/streams';

const backend: { owner?: ReturnType<typeof createOwnerHandlers> } = {};
vi.mock('../../../src/messages/client', () => ({
  send: async (type: string, payload: unknown) => {
    if (type !== 'records.query') throw new Error(`unexpected ${type}`);
    return backend.owner!['records.query'](requestSchemas['records.query'].parse(payload));
  },
}));
const { RecordsBrowser } = await import('../../../src/ui/dashboard/RecordsBrowser');

const ECHO_ORDER = '112-0385716-2849013';
const ECHO_ITEM = `${ECHO_ORDER}|B07FZ8S74R`;
let connectionId = '';
let batches: AcquisitionBatch[] = [];

beforeAll(async () => {
  const db = await freshDb();
  const jobs = createImportHandlers(db, connectors);
  const settle = () => importRunnerFor(db, connectors).whenIdle();
  const bytes = amazonExportCsvBytes();
  await db.staged.put({ id: 'stg_browser', fileName: 'Retail.OrderHistory.1.csv', sizeBytes: bytes.length, stagedAt: new Date().toISOString(), blob: new NodeBlob([bytes]) as unknown as Blob });
  const job = await jobs['import.start']({ stagedId: 'stg_browser' });
  await settle();
  await jobs['import.confirm']({ jobId: job.id, target: { newConnection: { accountName: 'Dana' } } });
  await settle();
  const done = await jobs['import.get']({ jobId: job.id });
  connectionId = done.connectionId!;
  batches = [done.receipt!];
  backend.owner = createOwnerHandlers(db, connectors, { local: memoryArea(), session: memoryArea() });
});

let root: HTMLElement | undefined;
afterEach(() => {
  if (root) render(null, root);
  root?.remove();
  root = undefined;
});

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Lets the debounced query run and its reply render. */
async function settled(): Promise<void> {
  await act(async () => {
    await wait(250);
  });
  await act(async () => {
    await wait(50);
  });
}

async function mount(): Promise<HTMLElement> {
  root = document.createElement('div');
  document.body.appendChild(root);
  const streams = [
    { name: 'orders', displayName: 'Orders' },
    { name: 'order_items', displayName: 'Ordered items' },
  ];
  await act(() => render(<RecordsBrowser connectionId={connectionId} refreshKey={0} streams={streams} batches={batches} />, root!));
  await settled();
  return root;
}

const $ = <T extends Element = HTMLElement>(scope: ParentNode, selector: string) => scope.querySelector<T>(selector);
const status = (scope: ParentNode) => $(scope, '[data-testid="record-total"]')!.textContent!.trim();
async function search(scope: ParentNode, text: string) {
  const input = $<HTMLInputElement>(scope, '[data-testid="record-search"]')!;
  await act(() => {
    input.value = text;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await settled();
}
async function click(element: Element | null) {
  await act(() => {
    (element as HTMLElement).click();
  });
}

describe('the records browser', () => {
  it('lists every kind by default, each order with its items, dates in one format, counts in nouns', async () => {
    const view = await mount();
    expect($<HTMLSelectElement>(view, '[data-testid="stream-filter"]')!.value).toBe('');
    expect(status(view)).toBe(`${expectations.export.orderIds.length} orders · ${expectations.export.itemCount} items`);
    const row = $(view, `tr[data-key="${ECHO_ORDER}"]`)!;
    expect(row.textContent).toContain(`Order ${ECHO_ORDER} · $54.61 · Closed`);
    expect(row.textContent).toContain('Echo Dot (3rd Gen) - Smart speaker with Alexa - Charcoal · 1 × $49.99');
    const day = localDay('2019-02-03T17:12:45Z');
    expect(row.querySelector('td')!.textContent).toBe(day === '2019-02-03' ? 'Feb 3, 2019' : 'Feb 4, 2019');
    // The item is listed in its order's row, not repeated as a row of its own.
    expect($(view, `tr[data-key="${ECHO_ITEM}"]`)).toBeNull();
    expect(row.querySelector(`li[data-key="${ECHO_ITEM}"]`)).not.toBeNull();
    expect(view.textContent).not.toMatch(/\d records\b|\b1 records\b/);
  });

  it('finds the order and its item by the item’s name from the default view; no match shows the empty state with a way out', async () => {
    const view = await mount();
    await search(view, 'Echo Dot');
    expect(status(view)).toBe('1 order · 1 item');
    expect([...view.querySelectorAll('tbody tr')].map((row) => row.getAttribute('data-key'))).toEqual([ECHO_ORDER]);
    expect($(view, `li[data-key="${ECHO_ITEM}"]`)!.className).toContain('rb-match');

    await search(view, 'xyzzy');
    expect(status(view)).toBe('No orders or items match “xyzzy”.');
    expect($(view, '[data-testid="records-table"]')).toBeNull();
    await click($(view, '[data-testid="clear-search"]'));
    await settled();
    expect(status(view)).toMatch(/^\d+ orders · \d+ items$/);

    // Orders only: said in that noun.
    await act(() => {
      const select = $<HTMLSelectElement>(view, '[data-testid="stream-filter"]')!;
      select.value = 'orders';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await search(view, 'xyzzy');
    expect(status(view)).toBe('No orders match “xyzzy”.');
    await search(view, 'Echo');
    expect(status(view)).toBe('2 orders');
  });

  it('shows provenance in the connector’s labels, raw names only under Technical details; Escape and a new list close it', async () => {
    const view = await mount();
    const opener = $<HTMLButtonElement>(view, `tr[data-key="${ECHO_ORDER}"] button.link`)!;
    await click(opener);
    const panel = $(view, '[data-testid="provenance-panel"]')!;
    expect(panel.getAttribute('data-key')).toBe(ECHO_ORDER);
    expect($(panel, 'h3')!.textContent).toBe(`Order ${ECHO_ORDER}`);
    const fields = [...panel.querySelectorAll('[data-testid="provenance-versions"] dt')].map((dt) => dt.textContent);
    expect(fields).toEqual(expect.arrayContaining(['Order number', 'Order total', 'Status']));
    const owner = panel.cloneNode(true) as HTMLElement;
    owner.querySelectorAll('details').forEach((details) => details.remove());
    expect(owner.textContent).not.toMatch(/cents|item.key|order_total|_/);
    expect($(panel, 'details.technical')!.textContent).toContain('order_total_cents');
    expect(panel.textContent).toContain('Echo Dot (3rd Gen)');

    await act(() => {
      document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    });
    expect($(view, '[data-testid="provenance-panel"]')).toBeNull();
    expect(document.activeElement).toBe(opener);

    // An item opened from its order's row; a new search closes it.
    await click($(view, `li[data-key="${ECHO_ITEM}"] button`));
    expect($(view, '[data-testid="provenance-panel"]')!.getAttribute('data-key')).toBe(ECHO_ITEM);
    expect($(view, '[data-testid="provenance-panel"]')!.textContent).toContain(`In order ${ECHO_ORDER}`);
    await search(view, 'Moleskine');
    expect($(view, '[data-testid="provenance-panel"]')).toBeNull();
  });
});

describe('the provenance panel', () => {
  it('does not flag a page’s day against the export’s instant of the same day, and does flag a real difference', async () => {
    const { Provenance } = await import('../../../src/ui/dashboard/RecordsBrowser');
    const record = {
      stream: 'orders',
      key: ECHO_ORDER,
      rid: ECHO_ORDER,
      methods: ['owner_artifact', 'browser_polyfill'],
      batchIds: [],
      data: { order_date: '2023-09-02T15:09:26Z', order_total_cents: 2750 },
      versions: [
        { method: 'owner_artifact', batchIds: [], data: { order_date: '2023-09-02T15:09:26Z', order_total_cents: 2750 } },
        { method: 'browser_polyfill', batchIds: [], data: { order_date: '2023-09-02', order_total_cents: 2800 } },
      ],
    } as unknown as Parameters<typeof Provenance>[0]['record'];
    root = document.createElement('div');
    document.body.appendChild(root);
    await act(() => render(<Provenance record={record} batches={[]} labels={{ order_date: 'Order date', order_total_cents: 'Order total' }} />, root!));
    const page = root.querySelectorAll('[data-testid="provenance-versions"] > li')[1]!;
    expect(page.querySelector('[data-field="order_date"]')!.className).not.toContain('differs');
    expect(page.querySelector('[data-field="order_date"]')!.textContent).not.toContain('kept:');
    expect(page.querySelector('[data-field="order_total_cents"]')!.className).toContain('differs');
    expect(page.querySelector('[data-field="order_total_cents"] dt')!.textContent).toBe('Order total');
  });
});

describe('format helpers', () => {
  it('joins nouns, counts in nouns, shortens, capitalises and formats field values', () => {
    expect(joinWithOr([])).toBe('');
    expect(joinWithOr(['orders'])).toBe('orders');
    expect(joinWithOr(['orders', 'items'])).toBe('orders or items');
    expect(joinWithOr(['orders', 'items', 'returns'])).toBe('orders, items or returns');
    const nouns = { one: 'order', other: 'orders' };
    expect(countsInNouns([{ total: 17, ...nouns }, { total: 22, one: 'item', other: 'items' }])).toBe('17 orders · 22 items');
    expect(countsInNouns([{ total: 1, ...nouns }, { total: 0, one: 'item', other: 'items' }])).toBe('1 order');
    expect(countsInNouns([{ total: 0, ...nouns }, { total: 0, one: 'item', other: 'items' }])).toBe('0 orders');
    expect(countsInNouns([{ total: 1234, ...nouns }])).toBe('1,234 orders');
    expect(shorten('Echo Dot', 20)).toBe('Echo Dot');
    expect(shorten('Echo Dot (3rd Gen) speaker', 10)).toBe('Echo Dot…');
    expect(capitalise('item')).toBe('Item');
    expect(formatFieldValue('2024-12-31')).toBe('Dec 31, 2024');
    expect(formatFieldValue('$27.50')).toBe('$27.50');
    expect(formatFieldValue(2750)).toBe('2,750');
    expect(formatFieldValue('')).toBe('—');
    expect(formatFieldValue(null)).toBe('—');
    expect(formatFieldValue('2023-09-02T15:09:26Z')).toMatch(/^Sep [23], 2023, \d\d:\d\d$/);
  });
});
