/**
 * Generates a realistic Amazon `Retail.OrderHistory.1.csv` of any size, for
 * tests and the bench: about 1.25 rows per order (some orders hold two
 * items), rows of one order adjacent as Amazon writes them, dates spread
 * over the years, deterministic for a given seed.
 */
const HEADER = [
  'Website', 'Order ID', 'Order Date', 'Purchase Order Number', 'Currency', 'Unit Price', 'Unit Price Tax', 'Shipping Charge', 'Total Discounts',
  'Total Owed', 'Shipment Item Subtotal', 'Shipment Item Subtotal Tax', 'ASIN', 'Product Condition', 'Quantity', 'Payment Instrument Type',
  'Order Status', 'Shipment Status', 'Ship Date', 'Shipping Option', 'Shipping Address', 'Billing Address', 'Carrier Name & Tracking Number',
  'Product Name', 'Gift Message', 'Gift Sender Name', 'Gift Recipient Contact Details', 'Item Serial Number',
];

const PRODUCTS = ['USB-C Charging Cable, 6 ft', 'Stainless Steel Water Bottle — 32 oz', 'Café Bustelo Espresso Ground Coffee, 10 oz', 'Paperback: The Long Walk Home', 'LED Desk Lamp with Clamp', 'Wool Hiking Socks (3 pairs)', 'Cast Iron Skillet, 10"', 'Kids\' Puzzle, 500 pieces'];

function quote(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

function rng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

/** Order row lines (no header), `rows` of them, as an iterator of CSV text blocks. */
export function* amazonCsvLines(rows: number, seed = 7, blockRows = 5000): Generator<string> {
  const random = rng(seed);
  const start = Date.UTC(2012, 0, 1);
  const span = Date.UTC(2025, 0, 1) - start;
  let written = 0;
  let order = 0;
  let block: string[] = [];
  while (written < rows) {
    order += 1;
    const id = `11${order % 10}-${String(1_000_000 + ((order * 7919) % 9_000_000)).padStart(7, '0')}-${String(order).padStart(7, '0')}`;
    const date = new Date(start + Math.floor((order / (rows / 1.25)) * span) + Math.floor(random() * 3_600_000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const items = random() < 0.25 ? 2 : 1;
    for (let item = 0; item < items && written < rows; item++) {
      const price = (5 + Math.floor(random() * 9000) / 100).toFixed(2);
      const asin = `B0${String((order * 31 + item * 17) % 100_000_000).padStart(8, '0')}`;
      const product = PRODUCTS[(order + item) % PRODUCTS.length]!;
      const cells = [
        'Amazon.com', id, date, 'Not Applicable', 'USD', price, '0.50', '0', '0', price, 'Not Available', 'Not Available', asin, 'New', '1', 'Visa - 4242', 'Closed', 'Shipped', date, 'standard',
        'Dana Whitfield, 1200 NW Alder St Apt 4, PORTLAND, OR, 97209-1123, United States', 'Dana Whitfield, 1200 NW Alder St Apt 4, PORTLAND, OR, 97209-1123, United States',
        `AMZN_US(TBA${String(order).padStart(12, '0')})`, product, 'Not Available', 'Not Available', 'Not Available', 'Not Available',
      ];
      block.push(cells.map(quote).join(','));
      written += 1;
      if (block.length >= blockRows) {
        yield block.join('\r\n') + '\r\n';
        block = [];
      }
    }
  }
  if (block.length > 0) yield block.join('\r\n') + '\r\n';
}

export const AMAZON_CSV_HEADER = '\uFEFF' + HEADER.map(quote).join(',') + '\r\n';

/** The whole CSV as a string (small sizes: tests). */
export function amazonCsv(rows: number, seed?: number): string {
  return AMAZON_CSV_HEADER + [...amazonCsvLines(rows, seed)].join('');
}
