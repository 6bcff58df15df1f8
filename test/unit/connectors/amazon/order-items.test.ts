/**
 * An order's items are a list, indexed by key only once an order holds many (order-history-records.ts):
 * both ways find an item again, so split shipments add up and items keep the order of their first rows.
 */
import { describe, expect, it } from 'vitest';
import { amazonOrderHistoryParser as parser } from '../../../../src/connectors/amazon/artifact';

const ORDER = '111-1111111-1111111';
const asin = (n: number) => `B0000000${String(n).padStart(2, '0')}`;

function parseRows(rows: [asin: string, quantity: number][]) {
  const text = ['Order ID,Order Date,ASIN,Quantity', ...rows.map(([code, quantity]) => `${ORDER},2020-01-01T10:00:00Z,${code},${quantity}`)].join('\n');
  const out = parser.parse([{ path: 'Retail.OrderHistory.1.csv', text: () => text }]);
  return {
    items: out.observations.filter((o) => o.stream === 'order_items').map((o) => [o.data.asin, o.data.quantity]),
    itemCount: out.observations.find((o) => o.stream === 'orders')!.data.item_count,
  };
}

describe('an order’s items', () => {
  it.each([3, 20])('sums a split shipment and keeps first-row order in an order of %i items', (count) => {
    const rows: [string, number][] = Array.from({ length: count }, (_, i) => [asin(i + 1), 1]);
    // The first and the last item come again in later shipments.
    rows.push([asin(count), 2], [asin(1), 4]);
    const { items, itemCount } = parseRows(rows);
    expect(items).toEqual(Array.from({ length: count }, (_, i) => [asin(i + 1), i === 0 ? 5 : i === count - 1 ? 3 : 1]));
    expect(itemCount).toBe(count);
  });
});
