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
  localDay,
  makeAmazonExportZip,
  readAmazonFixture,
} from '../../../fixtures/amazon';
import { find, ids, withTimeZone } from './helpers';

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
      order_date: localDay('2019-08-22T14:05:31Z'),
      ordered_at: '2019-08-22T14:05:31Z',
      order_total: '$49.05',
      order_total_cents: 4905,
      currency: 'USD',
      delivery_status: 'Closed',
      recipient_name: 'Dana Whitfield',
      item_count: 2,
      payment_method_summary: 'Visa - 4242',
      marketplace: 'amazon.com',
    });
  });

  it('sums quantities (and totals) of a split shipment', () => {
    const { orderId, asin, quantity } = expectations.export.splitShipment;
    const item = find(result.observations, 'order_items', (d) => d.order_id === orderId && d.asin === asin);
    expect(item.quantity).toBe(quantity);
    expect(item.unit_price_cents).toBe(1599);
    expect(find(result.observations, 'orders', (d) => d.id === orderId)).toMatchObject({ order_total_cents: 3454, item_count: 1 });
  });

  it('counts an exactly duplicated row once', () => {
    const item = find(result.observations, 'order_items', (d) => d.asin === 'B07YN82X3B');
    expect(item.quantity).toBe(1);
    expect(find(result.observations, 'orders', (d) => d.id === '112-3310458-7756229').order_total_cents).toBe(7096);
    expect(result.warnings).toContainEqual(expect.objectContaining({ code: 'duplicate_row', where: 'Retail.OrderHistory.1.csv row 15' }));
  });

  it('turns "Not Available" numbers into null', () => {
    const bottle = find(result.observations, 'order_items', (d) => d.asin === 'B07PGL2ZSL');
    expect(bottle.unit_price).toBeNull();
    expect(bottle.unit_price_cents).toBeNull();
    const cover = find(result.observations, 'orders', (d) => d.id === '113-1187265-0094627');
    expect(cover.order_total).toBeNull();
    expect(cover.order_total_cents).toBeNull();
  });

  it('keeps the undated row without an order_date, with a warning naming the row', () => {
    const [undated] = expectations.export.undatedOrderIds;
    const order = find(result.observations, 'orders', (d) => d.id === undated);
    expect(order).not.toHaveProperty('order_date');
    expect(order).not.toHaveProperty('ordered_at');
    expect(order.order_total_cents).toBe(9285);
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

  it('keeps the CSV instant as given in ordered_at, and its local day in order_date', () => {
    const { dayDiffersAcrossMethods: id, dayDiffersInstant: instant } = expectations.overlap;
    const order = find(result.observations, 'orders', (d) => d.id === id);
    expect(order).toMatchObject({ order_date: localDay(instant), ordered_at: instant });
    for (const item of result.observations.filter((o) => o.stream === 'order_items' && o.data.order_id === id)) {
      expect(item.data).toMatchObject({ order_date: localDay(instant), ordered_at: instant });
    }
  });

  it('dates an order on the day the owner saw it, in the browser’s time zone', () => {
    const { dayDiffersAcrossMethods: id } = expectations.overlap;
    const dayIn = (zone: string) => withTimeZone(zone, () => find(parser.parse([file(csv)]).observations, 'orders', (d) => d.id === id));
    // 2023-02-08T03:41:19Z: the evening of February 7 in Portland (as her Your Orders page shows it), the 8th in UTC and Tokyo.
    expect(dayIn('America/Los_Angeles')).toMatchObject({ order_date: '2023-02-07', ordered_at: '2023-02-08T03:41:19Z' });
    expect(dayIn('UTC')).toMatchObject({ order_date: '2023-02-08', ordered_at: '2023-02-08T03:41:19Z' });
    expect(dayIn('Asia/Tokyo')).toMatchObject({ order_date: '2023-02-08', ordered_at: '2023-02-08T03:41:19Z' });
    // The claimed window follows the stored days: 2023-09-02T15:09:26Z is already September 3 in Tokyo.
    const tokyo = withTimeZone('Asia/Tokyo', () => parser.parse([file(csv)]).coverage);
    expect(tokyo.map((c) => [c.start, c.end])).toEqual([
      ['2019-02-04', '2023-09-03'],
      ['2019-02-04', '2023-09-03'],
    ]);
  });

  it('gives every item its id: order id | item key', () => {
    for (const o of result.observations.filter((o) => o.stream === 'order_items')) expect(o.data.id).toBe(`${o.data.order_id}|${o.data.item_key}`);
  });

  it('claims partial coverage over the first and last order days', () => {
    const { start, end } = expectations.export.coverage;
    expect(result.coverage.map((c) => [c.stream, c.start, c.end, c.completeness])).toEqual([
      ['orders', start, end, 'partial'],
      ['order_items', start, end, 'partial'],
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

  it('reads cells that need cleaning as it reads clean ones: ids, dates, ASINs and a recipient per address', () => {
    const head = 'Order ID,Order Date,ASIN,Shipping Address\n';
    const day = '2020-01-01T10:00:00Z';
    const [a, b, c, d] = ['111-1111111-1111111', '112-2222222-2222222', '113-3333333-3333333', '114-4444444-4444444'];
    const rows: [string, string, string, string][] = [
      [a, day, 'B000000001', 'Dana Whitfield, 1 Main St'],
      [a, day, 'B000000002', 'Dana Whitfield, 1 Main St'],
      [b, day, 'B000000001', 'Dana Whitfield, 1 Main St'],
      [c, day, 'B000000001', 'Sam Okafor, 2 Elm St'],
      [d, day, 'B000000001', 'Not Available'],
    ];
    const messy = rows.map(([id, date, asin, address]) => [` ${id} `, `${date} `, asin.toLowerCase(), address === 'Not Available' ? address : ` ${address.replace(' ', '   ')}`]);
    const read = (table: string[][]) => parser.parse([file(head + table.map((row) => Papa.unparse([row])).join('\n'))]);
    const out = read(rows);
    expect(read(messy).observations).toEqual(out.observations);
    expect(out.observations.filter((o) => o.stream === 'orders').map((o) => [o.data.id, o.data.recipient_name, o.data.item_count])).toEqual([
      [a, 'Dana Whitfield', 2],
      [b, 'Dana Whitfield', 1],
      [c, 'Sam Okafor', 1],
      [d, undefined, 1],
    ]);
  });

  it('keys an item without an ASIN by its normalised name', () => {
    const out = parser.parse([
      file('Order ID,Order Date,ASIN,Product Name,Quantity\n111-1111111-1111111,2020-01-01T10:00:00Z,,  Handmade   Mug  ,3\n'),
    ]);
    expect(find(out.observations, 'order_items', () => true)).toEqual({
      id: '111-1111111-1111111|name:handmade mug',
      order_id: '111-1111111-1111111',
      item_key: 'name:handmade mug',
      name: 'Handmade Mug',
      unit_price: null,
      unit_price_cents: null,
      quantity: 3,
      order_date: localDay('2020-01-01T10:00:00Z'),
      ordered_at: '2020-01-01T10:00:00Z',
    });
  });

  it('reads each shape of Order Date into a day, and an instant only where one is named', () => {
    const dated = (value: string) => {
      const out = parser.parse([file(`Order ID,Order Date,ASIN,Quantity\n111-1111111-1111111,${value},B000000001,1\n`)]);
      const order = out.observations.find((o) => o.stream === 'orders')!.data;
      return { order_date: order.order_date, ordered_at: order.ordered_at, warned: out.warnings.some((w) => w.code === 'undated_row') };
    };
    expect(dated('2020-01-01T10:00:00.000Z')).toEqual({ order_date: localDay('2020-01-01T10:00:00Z'), ordered_at: '2020-01-01T10:00:00.000Z', warned: false });
    expect(dated('2020-01-01T10:00:00+01:00')).toEqual({ order_date: localDay('2020-01-01T09:00:00Z'), ordered_at: '2020-01-01T10:00:00+01:00', warned: false });
    // Readable instants zod's date-time would not take are kept as the same instant, in UTC.
    expect(dated('2020-01-01T10:00Z')).toEqual({ order_date: localDay('2020-01-01T10:00:00Z'), ordered_at: '2020-01-01T10:00:00.000Z', warned: false });
    expect(dated('2020-01-01T10:00:00+0100')).toEqual({ order_date: localDay('2020-01-01T09:00:00Z'), ordered_at: '2020-01-01T09:00:00.000Z', warned: false });
    // A bare day is that day; a clock time without a zone names no instant.
    expect(dated('2020-01-01')).toEqual({ order_date: '2020-01-01', ordered_at: undefined, warned: false });
    expect(dated('2020-01-01T23:30:00')).toEqual({ order_date: '2020-01-01', ordered_at: undefined, warned: false });
    // Not a real day: undated, never rolled over into March.
    expect(dated('2023-02-30T10:00:00Z')).toEqual({ order_date: undefined, ordered_at: undefined, warned: true });
  });

  it('takes the earliest Order Date of an order’s rows, for both fields', () => {
    const out = parser.parse([
      file('Order ID,Order Date,ASIN,Quantity\n111-1111111-1111111,2020-01-02T10:00:00Z,B000000001,1\n111-1111111-1111111,2020-01-01T10:00:00Z,B000000002,1\n'),
    ]);
    for (const o of out.observations) expect(o.data).toMatchObject({ order_date: localDay('2020-01-01T10:00:00Z'), ordered_at: '2020-01-01T10:00:00Z' });
  });

  it('combines the parts of an order split across chunks: earliest day and instant, sums', () => {
    const id = '111-1111111-1111111';
    const earlier = { id, order_date: '2020-02-02', ordered_at: '2020-02-02T10:00:00Z', order_total: '$10.00', order_total_cents: 1000, currency: 'USD', item_count: 1 };
    const later = { id, order_date: '2020-02-01', ordered_at: '2020-02-01T23:00:00Z', order_total: '$5.00', order_total_cents: 500, currency: 'USD', item_count: 1 };
    expect(parser.combine!('orders', earlier, later)).toEqual({ id, order_date: '2020-02-01', ordered_at: '2020-02-01T23:00:00Z', order_total: '$15.00', order_total_cents: 1500, currency: 'USD', item_count: 2 });
    const item = { id: `${id}|B000000001`, order_id: id, item_key: 'B000000001', quantity: 1 };
    expect(parser.combine!('order_items', { ...item, order_date: '2020-02-02', ordered_at: '2020-02-02T10:00:00Z' }, { ...item, order_date: '2020-02-01', ordered_at: '2020-02-01T23:00:00Z' })).toEqual({
      ...item,
      quantity: 2,
      order_date: '2020-02-01',
      ordered_at: '2020-02-01T23:00:00Z',
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
