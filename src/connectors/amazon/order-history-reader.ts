/**
 * The row-by-row reader of Amazon's order history CSV (`Retail.OrderHistory.N.csv`,
 * one row per item per shipment): rows grouped into orders and items,
 * exact-duplicate rows and continuations of an order already emitted, counts
 * and warnings. artifact.ts drives it, whole-file or chunk by chunk; how a
 * row's cells are read is order-history-cells.ts, the records an order and
 * its items make are order-history-records.ts.
 *
 * In preview mode (`ChunkOptions.preview`) every row goes through the same
 * steps, so rows, orders, items, keys, days, counts, continuations and
 * warnings are the commit's by construction; only what the preview never
 * reads is left out: an order's record holds its id, day and recipient (the
 * account evidence), an item's its id and day, and the cells that only fill
 * other fields (currency, status, payment, website, totals, prices,
 * quantities, a name when the ASIN keys the item) are not read.
 */
import type { BatchWarning, CoverageClaim, Observation } from '../../core/model';
import { bounded, cellReader, columnIndexes, detached, parseQuantity, recipientOf, RowHasher, type CellReader } from './order-history-cells';
import { addItem, itemKeys, itemOf, itemRecord, orderKeys, orderRecord, type ItemAcc, type OrderAcc } from './order-history-records';
import { orderTimes } from './order-time';
import { ASIN_RE, ORDER_ID_RE, itemKey, marketplaceOf, parseMoney } from './util';

const MAX_WARNINGS_PER_CODE = 50;
/** Recently emitted orders remembered for duplicate rows and item counts across chunks. */
const RECENT_ORDERS = 5000;

function forgetName(item: ItemAcc): void {
  item.name = null;
}

/** Every item key an emitted order delivered so far, over all its chunks. */
function itemKeysSoFar(order: OrderAcc): Set<string> {
  const keys = new Set(order.earlierItems);
  for (const item of order.items) keys.add(item.key);
  return keys;
}

/** The row-by-row state of one upload. */
export class OrderHistoryReader {
  readonly warnings: BatchWarning[] = [];
  private readonly warnCounts = new Map<string, number>();
  /**
   * The orders open in this chunk and, when chunked, the orders emitted lately, oldest first: one
   * lookup per new order finds either. Emitted ones stay as they were emitted (their item keys are
   * gathered only if one comes back) and always precede the open ones.
   */
  private orders = new Map<string, OrderAcc>();
  /** The open orders, in the order their first rows came (the order they are emitted in). */
  private open: OrderAcc[] = [];
  /** How many of `orders` are emitted ones. */
  private emitted = 0;
  private orphanRows = new Set<number>();
  private readonly hasher = new RowHasher();
  readonly entries: string[] = [];
  rowsRead = 0;
  skipped = 0;
  duplicates = 0;
  failed = 0;
  ordersSeen = 0;
  minDay = '';
  maxDay = '';
  // Per file.
  private fileName = '';
  private width = 0;
  private columns = columnIndexes([]);
  private cell: CellReader = () => null;
  /** The last Shipping Address cell read for a recipient and its recipient: one customer's rows repeat it. */
  private lastAddress: string | undefined;
  private lastRecipient: string | null = null;
  private hasOrderId = false;
  private dataIndex = 0;
  private shapeWarnings = 0;
  private contributed = false;
  private header = true;
  lastOrderId: string | null = null;

  constructor(
    private readonly chunked: boolean,
    /** Preview mode (see the header): same rows, keys, counts and warnings; records hold only what the preview reads. */
    private readonly preview = false,
  ) {}

  warn(w: BatchWarning): void {
    const n = (this.warnCounts.get(w.code) ?? 0) + 1;
    this.warnCounts.set(w.code, n);
    if (n <= MAX_WARNINGS_PER_CODE) this.warnings.push({ ...w, message: w.message.slice(0, 500) });
  }

  beginFile(path: string): void {
    this.endFile();
    this.fileName = path.split(/[/\\]/).pop() ?? path;
    this.currentPath = path;
    this.header = true;
    this.dataIndex = 0;
    this.shapeWarnings = 0;
    this.contributed = false;
  }
  private currentPath = '';

  endFile(): void {
    this.hasher.forget();
    if (this.contributed && !this.entries.includes(this.currentPath)) this.entries.push(this.currentPath);
    this.contributed = false;
  }

  /** The order id a row belongs to (for chunk boundaries), without side effects. */
  peekOrderId(row: string[]): string | null {
    if (this.header || !this.hasOrderId) return null;
    return this.cell(row, 'Order ID');
  }

  isBlank(row: string[]): boolean {
    // Nearly every row starts with a printable ASCII character: not blank, and nothing else to look at.
    const first = row[0]?.charCodeAt(0) ?? 0;
    if (first > 32 && first < 127) return false;
    return row.every((value) => value.trim() === '');
  }

  /** Where a row's warning points (built only for a warning). */
  private where(index: number): string {
    return `${this.fileName} row ${index + 1}`;
  }

  addRow(row: string[]): void {
    if (this.header) {
      const fields = row.map((f, index) => (index === 0 ? f.replace(/^\uFEFF/, '') : f));
      this.width = fields.length;
      this.columns = columnIndexes(fields);
      this.cell = cellReader(this.columns);
      this.hasOrderId = fields.some((f) => f.trim().toLowerCase() === 'order id');
      this.header = false;
      if (!this.hasOrderId) {
        this.warn({ code: 'missing_columns', message: 'This file has no "Order ID" column; it does not look like Amazon order history.', where: this.fileName });
      }
      return;
    }
    if (this.isBlank(row)) return;
    const index = this.dataIndex++;
    this.rowsRead++;
    if (!this.hasOrderId) {
      this.failed++;
      return;
    }
    if (row.length !== this.width && this.shapeWarnings < 5) {
      this.shapeWarnings++;
      this.warn({
        code: 'csv_row_shape',
        message: row.length < this.width ? `Too few fields: expected ${this.width} fields but parsed ${row.length}` : `Too many fields: expected ${this.width} fields but parsed ${row.length}`,
        where: this.where(index),
      });
    }
    const fingerprint = this.hasher.hash(row, this.width);
    const columns = this.columns;
    // A well-formed id is clean as written (digits, D and hyphens): no cleaning and no second test.
    const rawId = row[columns['Order ID']];
    const cleanId = rawId !== undefined && ORDER_ID_RE.test(rawId);
    const id = cleanId ? rawId : this.cell(row, 'Order ID');
    const validId = cleanId || (!!id && ORDER_ID_RE.test(id));
    const order = validId ? this.orderFor(id!) : undefined;
    // An exact repeat of a row (the same part uploaded twice) would double quantities and totals.
    if (this.seenBefore(order, fingerprint)) {
      this.skipped++;
      this.duplicates++;
      this.warn({ code: 'duplicate_row', message: 'This row repeats an earlier row exactly and was counted once.', where: this.where(index) });
      return;
    }
    if (!id) {
      this.failed++;
      this.warn({ code: 'missing_order_id', message: `Row ${index + 1} has no Order ID and was not imported.`, where: this.where(index) });
      return;
    }
    if (!order) {
      this.failed++;
      this.warn({ code: 'bad_order_id', message: `Row ${index + 1} has an Order ID that is not an Amazon order id.`, where: this.where(index) });
      return;
    }
    const cell = this.cell;
    // An order's rows repeat its date: read once per order (orderTimes is a pure function of the text).
    // A cell equal to the order's cleaned date is clean already.
    const rawDate = row[columns['Order Date']];
    const dateRaw = rawDate !== undefined && rawDate === order.dateRaw ? rawDate : cell(row, 'Order Date');
    const date = !dateRaw ? null : dateRaw === order.dateRaw ? order.date : orderTimes(dateRaw);
    if (!date) {
      this.warn({ code: 'undated_row', message: `Row ${index + 1} (order ${id}) has no readable Order Date; the order was kept without a date.`, where: this.where(index) });
    }
    if (date && (order.date === null || date.at < order.date.at)) {
      order.date = date;
      order.dateRaw = dateRaw!;
    }
    // The recipient is the account evidence the preview shows, so both modes read it.
    order.recipient ??= this.recipientOfRow(row);
    // A continuation adds nothing when its total stays 0 (flush), so a preview sums the total of those orders too.
    if (!this.preview || order.earlierItems) {
      // Total Owed is per row (per item per shipment), so an order's total is
      // the sum over its rows; one unknown amount makes the total unknown.
      const owed = parseMoney(cell(row, 'Total Owed'));
      order.totalCents = order.totalCents !== null && owed ? order.totalCents + owed.cents : null;
    }
    if (!this.preview) {
      order.currency ??= cell(row, 'Currency')?.toUpperCase().match(/^[A-Z]{3}$/)?.[0] ?? null;
      order.status ??= bounded(cell(row, 'Order Status'), 500);
      order.payment ??= bounded(cell(row, 'Payment Instrument Type'), 500);
      if (order.marketplace === null) {
        const website = cell(row, 'Website');
        order.marketplace = website ? marketplaceOf(website) : null;
      }
    }

    // An ASIN as Amazon writes it is clean and upper-case already.
    const asinCell = row[columns.ASIN];
    let asin: string | null;
    if (asinCell !== undefined && ASIN_RE.test(asinCell)) {
      asin = asinCell;
    } else {
      const rawAsin = cell(row, 'ASIN')?.toUpperCase() ?? null;
      asin = rawAsin && ASIN_RE.test(rawAsin) ? rawAsin : null;
    }
    // The name keys an item only when there is no ASIN; a preview reads it only then.
    const name = this.preview && asin ? null : bounded(cell(row, 'Product Name'), 2000);
    const key = asin ?? itemKey(null, name);
    if (!key) {
      this.warn({ code: 'item_unidentified', message: `Row ${index + 1} names no product (no ASIN, no name); only its order was kept.`, where: this.where(index) });
    } else {
      const item = itemOf(order, key);
      if (this.preview) {
        if (!item) addItem(order, { key, asin, name, unitPrice: null, quantity: null });
      } else {
        const quantity = parseQuantity(cell(row, 'Quantity'));
        const price = parseMoney(cell(row, 'Unit Price'));
        if (!item) {
          addItem(order, { key, asin, name, unitPrice: price ? price.cents : null, quantity });
        } else {
          // Split shipment: the same item in several rows; quantities add up.
          item.quantity = item.quantity !== null && quantity !== null ? item.quantity + quantity : null;
          item.name ??= name;
          item.unitPrice ??= price ? price.cents : null;
        }
      }
    }
    this.contributed = true;
    this.lastOrderId = id;
  }

  /** The recipient a row's Shipping Address names (`recipientOf`), read once for a run of rows with the same address. */
  private recipientOfRow(row: string[]): string | null {
    const address = row[this.columns['Shipping Address']];
    if (address === undefined || address !== this.lastAddress) {
      this.lastAddress = address;
      this.lastRecipient = recipientOf(this.cell(row, 'Shipping Address'));
    }
    return this.lastRecipient;
  }

  /** Has the order (or, without one, this chunk) had a row with this hash already? Remembers it. */
  private seenBefore(order: OrderAcc | undefined, fingerprint: number): boolean {
    if (!order) {
      if (this.orphanRows.has(fingerprint)) return true;
      this.orphanRows.add(fingerprint);
      return false;
    }
    if (order.firstRow === -1) {
      order.firstRow = fingerprint;
      return false;
    }
    if (order.firstRow === fingerprint) return true;
    order.rows ??= new Set();
    if (order.rows.has(fingerprint)) return true;
    order.rows.add(fingerprint);
    return false;
  }

  private orderFor(id: string): OrderAcc {
    // An order's rows come together: most rows belong to the order of the row before.
    const previous = this.open[this.open.length - 1];
    if (previous !== undefined && previous.id === id) return previous;
    // Kept while the order is remembered, so a copy of its own: the cell is a slice of a megabyte of text.
    // Copied before the lookup, so the Map hashes one string per new order (the copy), not two.
    const own = detached(id);
    const known = this.orders.get(own);
    if (known && !known.emitted) return known;
    // A continuation of an emitted order: it moves to the end, as a new open order.
    const earlier = known;
    if (earlier) {
      this.orders.delete(own);
      this.emitted--;
    }
    const order: OrderAcc = {
      id: earlier ? earlier.id : own,
      date: null,
      totalCents: 0,
      currency: null,
      status: null,
      recipient: null,
      payment: null,
      marketplace: null,
      items: [],
      itemsByKey: null,
      firstRow: earlier ? earlier.firstRow : -1,
      rows: earlier ? earlier.rows : null,
      earlierItems: earlier ? itemKeysSoFar(earlier) : undefined,
      emitted: false,
    };
    this.orders.set(order.id, order);
    this.open.push(order);
    return order;
  }

  /** Emits every open order (and its items); remembers them briefly when chunked. */
  flush(): { observations: Observation[]; continuations: number } {
    const observations: Observation[] = [];
    let continuations = 0;
    for (const order of this.open) {
      // An order whose rows were all duplicates or failed contributes nothing new.
      if (order.earlierItems && order.items.length === 0 && order.totalCents === 0 && !order.date) {
        this.remember(order);
        continue;
      }
      const continuation = !!order.earlierItems;
      if (continuation) continuations++;
      else this.ordersSeen++;
      if (order.date) {
        // The stored (local) day, so the claimed window holds every record's event time.
        const { day } = order.date;
        if (!this.minDay || day < this.minDay) this.minDay = day;
        if (!this.maxDay || day > this.maxDay) this.maxDay = day;
      }
      const newItems = continuation ? order.items.filter((item) => !order.earlierItems!.has(item.key)).length : order.items.length;
      observations.push({ stream: 'orders', data: this.preview ? orderKeys(order) : orderRecord(order, newItems) });
      for (const item of order.items) {
        if (order.earlierItems?.has(item.key)) continuations++;
        observations.push({ stream: 'order_items', data: this.preview ? itemKeys(order, item) : itemRecord(order, item) });
      }
      this.remember(order);
    }
    this.open = [];
    if (this.chunked) {
      this.orphanRows = new Set();
    } else {
      this.orders = new Map();
      this.emitted = 0;
    }
    return { observations, continuations };
  }

  /** Keeps an emitted order in `orders` (chunked), the latest RECENT_ORDERS to twice that many of them. */
  private remember(order: OrderAcc): void {
    order.emitted = true;
    if (!this.chunked) return;
    this.emitted++;
    // A continuation reads only the id, the row hashes and the item keys of what was emitted; the rest
    // (cells sliced from the text, among them) need not outlive the chunk.
    order.date = null;
    order.dateRaw = undefined;
    order.recipient = order.currency = order.status = order.payment = order.marketplace = null;
    order.items.forEach(forgetName);
    // Evicting one at a time from the front of a Map is slow (deleted slots); drop the older half at once.
    // Emitted orders come first in `orders`, so the oldest are its first entries.
    if (this.emitted > RECENT_ORDERS * 2) {
      const kept = new Map<string, OrderAcc>();
      let dropped = this.emitted - RECENT_ORDERS;
      this.orders.forEach((value, key) => {
        if (dropped > 0) dropped--;
        else kept.set(key, value);
      });
      this.orders = kept;
      this.emitted = RECENT_ORDERS;
    }
  }

  coverage(): CoverageClaim[] {
    if (!this.minDay) return [];
    const evidence = `Amazon order history export: ${this.ordersSeen} orders dated ${this.minDay} to ${this.maxDay} (an export part is never claimed complete)`;
    return [
      { stream: 'orders', start: this.minDay, end: this.maxDay, completeness: 'partial', evidence },
      { stream: 'order_items', start: this.minDay, end: this.maxDay, completeness: 'partial', evidence },
    ];
  }

  overflowWarnings(): BatchWarning[] {
    const out: BatchWarning[] = [];
    for (const [code, n] of this.warnCounts) {
      if (n > MAX_WARNINGS_PER_CODE) out.push({ code, message: `${n - MAX_WARNINGS_PER_CODE} more "${code}" warnings were not listed.` });
    }
    return out;
  }
}
