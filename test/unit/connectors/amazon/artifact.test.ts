import fc from 'fast-check';
import { strFromU8, unzipSync } from 'fflate';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { amazonOrderHistoryParser as parser } from '../../../../src/connectors/amazon/artifact';
import { orderItemsStream, ordersStream } from '../../../../src/connectors/amazon/streams';
import type { ArtifactFile } from '../../../../src/connectors/types';
import {
  AMAZON_EXPORT_ZIP_ENTRY,
  expectations,
  makeAmazonExportZip,
  readAmazonFixture,
} from '../../../fixtures/amazon';
import { find, ids } from './helpers';

const csv = readAmazonFixture('Retail.OrderHistory.1.csv');
const file = (text: string, path = AMAZON_EXPORT_ZIP_ENTRY): ArtifactFile => ({ path, text: () => text });
const result = parser.parse([file(csv)]);

describe('claims()', () => {
  it.each([
    'Retail.OrderHistory.1/Retail.OrderHistory.1.csv',
    'Retail.OrderHistory.1.csv',
    'Retail.OrderHistory.1 (1).csv',
    'Your Orders/Retail.OrderHistory.2/Retail.OrderHistory.2.csv',
    'retail.orderhistory.3.csv',
    'Retail.OrderHistory.12\\Retail.OrderHistory.12.csv',
  ])('claims %s', (p) => expect(parser.claims(p)).toBe(true));

  it.each([
    'Retail.OrderHistory.1/Retail.OrderHistory.1.csv.bak',
    'Retail.OrderHistory.csv',
    'Retail.CustomerReturns.1.csv',
    'Digital-Ordering.1/Digital Items.csv',
    'NotRetail.OrderHistory.1.csv',
    'Retail.OrderHistory.1/README.txt',
  ])('does not claim %s', (p) => expect(parser.claims(p)).toBe(false));
});

describe("Dana's Retail.OrderHistory.1.csv", () => {
  it('starts with a UTF-8 BOM and still reads the first column', () => {
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const orders = result.observations.filter((o) => o.stream === 'orders');
    expect(orders.every((o) => o.data.marketplace === 'amazon.com')).toBe(true);
  });

  it('builds one order per Order ID and one item per order + ASIN', () => {
    expect(ids(result.observations)).toEqual(expectations.export.orderIds);
    expect(result.observations.filter((o) => o.stream === 'order_items')).toHaveLength(expectations.export.itemCount);
  });

  it('counts rows read, skipped (exact duplicate) and failed (no Order ID)', () => {
    expect(result).toMatchObject({ rowsRead: 19, skipped: 1, failed: 1, entries: [AMAZON_EXPORT_ZIP_ENTRY] });
    expect(result.accountHint).toBeUndefined();
  });

  it('reads an order fully, summing Total Owed over its rows', () => {
    expect(find(result.observations, 'orders', (d) => d.id === '114-2957301-6617020')).toEqual({
      id: '114-2957301-6617020',
      order_date: '2019-08-22T14:05:31Z',
      total: '$49.05',
      total_cents: 4905,
      currency: 'USD',
      status: 'Closed',
      recipient: 'Dana Whitfield',
      item_count: 2,
      payment_summary: 'Visa - 4242',
      marketplace: 'amazon.com',
    });
  });

  it('sums quantities (and totals) of a split shipment', () => {
    const { orderId, asin, quantity } = expectations.export.splitShipment;
    const item = find(result.observations, 'order_items', (d) => d.order_id === orderId && d.asin === asin);
    expect(item.quantity).toBe(quantity);
    expect(item.unit_price_cents).toBe(1599);
    expect(find(result.observations, 'orders', (d) => d.id === orderId)).toMatchObject({ total_cents: 3454, item_count: 1 });
  });

  it('counts an exactly duplicated row once', () => {
    const item = find(result.observations, 'order_items', (d) => d.asin === 'B07YN82X3B');
    expect(item.quantity).toBe(1);
    expect(find(result.observations, 'orders', (d) => d.id === '112-3310458-7756229').total_cents).toBe(7096);
    expect(result.warnings).toContainEqual(expect.objectContaining({ code: 'duplicate_row', where: 'Retail.OrderHistory.1.csv row 15' }));
  });

  it('turns "Not Available" numbers into null', () => {
    const bottle = find(result.observations, 'order_items', (d) => d.asin === 'B07PGL2ZSL');
    expect(bottle.unit_price).toBeNull();
    expect(bottle.unit_price_cents).toBeNull();
    const cover = find(result.observations, 'orders', (d) => d.id === '113-1187265-0094627');
    expect(cover.total).toBeNull();
    expect(cover.total_cents).toBeNull();
  });

  it('keeps the undated row without an order_date, with a warning naming the row', () => {
    const [undated] = expectations.export.undatedOrderIds;
    const order = find(result.observations, 'orders', (d) => d.id === undated);
    expect(order).not.toHaveProperty('order_date');
    expect(order.total_cents).toBe(9285);
    expect(find(result.observations, 'order_items', (d) => d.order_id === undated)).not.toHaveProperty('order_date');
    expect(result.warnings).toContainEqual({
      code: 'undated_row',
      message: expect.stringContaining('114-6601927-8830641'),
      where: 'Retail.OrderHistory.1.csv row 11',
    });
  });

  it('fails the row missing its Order ID, naming the row', () => {
    expect(result.warnings).toContainEqual(expect.objectContaining({ code: 'missing_order_id', where: 'Retail.OrderHistory.1.csv row 10' }));
    expect(JSON.stringify(result.observations)).not.toContain('B09HMV7RQL');
  });

  it('keeps non-ASCII product names exactly', () => {
    const coffee = find(result.observations, 'order_items', (d) => d.asin === 'B07D4M1V2Q');
    expect(coffee.name).toBe('Café Bustelo Espresso Style Dark Roast Ground Coffee — 10 oz Brick, Pack of 6 (Crème édition)');
  });

  it('keeps the CSV instant as given (UTC), which may be the next day of the page', () => {
    const order = find(result.observations, 'orders', (d) => d.id === expectations.overlap.dayDiffersAcrossMethods);
    expect(order.order_date).toBe('2023-02-08T03:41:19Z');
  });

  it('claims partial coverage over the first and last order days', () => {
    expect(result.coverage.map((c) => [c.stream, c.start, c.end, c.completeness])).toEqual([
      ['orders', '2019-02-03', '2023-09-02', 'partial'],
      ['order_items', '2019-02-03', '2023-09-02', 'partial'],
    ]);
  });

  it('produces records that validate against their stream schemas', () => {
    for (const o of result.observations) {
      const schema = o.stream === 'orders' ? ordersStream.schema : orderItemsStream.schema;
      expect(schema.safeParse(o.data).success, JSON.stringify(o.data)).toBe(true);
      for (const v of Object.values(o.data)) expect(v).not.toBe('');
    }
  });
});

describe('tolerance', () => {
  it('ignores unknown extra columns, wherever they sit', () => {
    const parsed = Papa.parse<string[]>(csv.replace(/^\uFEFF/, ''), { skipEmptyLines: true });
    const rows = parsed.data.map((r, i) => ['Future Column', ...r.slice(0, 5), i === 0 ? 'Loyalty Tier' : 'gold, "plus"', ...r.slice(5)]);
    for (let i = 1; i < rows.length; i++) rows[i]![0] = 'x';
    const widened = '\uFEFF' + Papa.unparse(rows);
    const out = parser.parse([file(widened)]);
    expect(out.observations).toEqual(result.observations);
    expect(out.coverage).toEqual(result.coverage);
  });

  it('merges numbered parts of one upload (a split shipment across parts still sums)', () => {
    const lines = csv.replace(/^\uFEFF/, '').split('\r\n').filter(Boolean);
    const header = lines[0] ?? '';
    const part1 = [header, ...lines.slice(1, 6)].join('\r\n');
    const part2 = [header, ...lines.slice(6)].join('\r\n');
    const out = parser.parse([
      file(part2, 'Retail.OrderHistory.2/Retail.OrderHistory.2.csv'),
      file(part1, 'Retail.OrderHistory.1/Retail.OrderHistory.1.csv'),
    ]);
    expect(ids(out.observations)).toEqual(expectations.export.orderIds);
    expect(find(out.observations, 'order_items', (d) => d.asin === 'B08KTZ8249').quantity).toBe(2);
    expect(out.entries).toEqual(['Retail.OrderHistory.1/Retail.OrderHistory.1.csv', 'Retail.OrderHistory.2/Retail.OrderHistory.2.csv']);
    expect(out.rowsRead).toBe(19);
  });

  it('counts the same part uploaded twice once', () => {
    const out = parser.parse([file(csv), file(csv, 'Retail.OrderHistory.1 (1).csv')]);
    expect(out.observations).toEqual(result.observations);
    // 1 duplicate in the first copy, then all 19 rows of the second copy.
    expect(out.skipped).toBe(1 + 19);
    expect(out.failed).toBe(1);
  });

  it('reads the CSV out of the zip Amazon ships', () => {
    const entries = unzipSync(makeAmazonExportZip());
    const claimed = Object.keys(entries).filter((p) => parser.claims(p));
    expect(claimed).toEqual([AMAZON_EXPORT_ZIP_ENTRY]);
    const out = parser.parse(claimed.map((p) => ({ path: p, text: () => strFromU8(entries[p] as Uint8Array) })));
    expect(out.observations).toEqual(result.observations);
    expect(makeAmazonExportZip()).toEqual(makeAmazonExportZip());
  });

  it('warns about a CSV with no Order ID column and imports nothing', () => {
    const out = parser.parse([file('Title,Date\nFoo,2020-01-01\nBar,2021-01-01\n', 'Retail.OrderHistory.1.csv')]);
    expect(out).toMatchObject({ observations: [], coverage: [], rowsRead: 2, failed: 2, skipped: 0, entries: [] });
    expect(out.warnings.map((w) => w.code)).toEqual(['missing_columns']);
  });

  it('fails a row whose Order ID is not an Amazon order id', () => {
    const out = parser.parse([file('Order ID,Order Date,ASIN,Quantity\nnot-an-id,2020-01-01T00:00:00Z,B000000001,1\n')]);
    expect(out.failed).toBe(1);
    expect(out.observations).toEqual([]);
    expect(out.warnings.map((w) => w.code)).toEqual(['bad_order_id']);
  });

  it('keys an item without an ASIN by its normalised name', () => {
    const out = parser.parse([
      file('Order ID,Order Date,ASIN,Product Name,Quantity\n111-1111111-1111111,2020-01-01T10:00:00Z,,  Handmade   Mug  ,3\n'),
    ]);
    expect(find(out.observations, 'order_items', () => true)).toEqual({
      order_id: '111-1111111-1111111',
      item_key: 'name:handmade mug',
      name: 'Handmade Mug',
      unit_price: null,
      unit_price_cents: null,
      quantity: 3,
      order_date: '2020-01-01T10:00:00Z',
    });
  });

  it('an empty file yields nothing and no coverage', () => {
    expect(parser.parse([file('')])).toMatchObject({ observations: [], coverage: [], rowsRead: 0 });
    expect(parser.parse([])).toMatchObject({ observations: [], coverage: [], rowsRead: 0, entries: [] });
  });

  it('never throws, and only emits valid records, on arbitrary text', () => {
    const header = 'Website,Order ID,Order Date,Currency,Unit Price,Total Owed,ASIN,Quantity,Order Status,Shipping Address,Product Name';
    const cell = fc.oneof(
      fc.string(),
      fc.constantFrom('Not Available', '111-2222222-3333333', 'D01-2222222-3333333', '2024-01-02T03:04:05Z', 'B0BSHF7WHW', '1', '$1,234.56', ''),
    );
    const row = fc.array(cell, { minLength: 0, maxLength: 13 }).map((cells) => Papa.unparse([cells]));
    fc.assert(
      fc.property(fc.array(row, { maxLength: 8 }), fc.boolean(), (rows, bom) => {
        const text = (bom ? '\uFEFF' : '') + [header, ...rows].join('\n');
        const out = parser.parse([file(text)]);
        for (const o of out.observations) {
          const schema = o.stream === 'orders' ? ordersStream.schema : orderItemsStream.schema;
          expect(schema.safeParse(o.data).success).toBe(true);
        }
        expect(out.rowsRead).toBeGreaterThanOrEqual(out.failed + out.skipped);
      }),
      { numRuns: 200 },
    );
  });
});
