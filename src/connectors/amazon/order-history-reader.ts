/**
 * The row-by-row reader of Amazon's order history CSV (`Retail.OrderHistory.N.csv`,
 * one row per item per shipment): cells by header name, rows grouped into
 * orders and items, exact-duplicate rows and continuations of an order
 * already emitted, counts and warnings. artifact.ts drives it, whole-file or
 * chunk by chunk.
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
import { orderTimes, type OrderTimes } from './order-time';
import { ASIN_RE, ORDER_ID_RE, cleanText, formatCents, itemKey, marketplaceOf, orderItemId, parseMoney } from './util';

const MAX_WARNINGS_PER_CODE = 50;
/** Recently emitted orders remembered for duplicate rows and item counts across chunks. */
const RECENT_ORDERS = 5000;

interface OrderAcc {
  id: string;
  /** The earliest readable Order Date of the order's rows. */
  date: OrderTimes | null;
  /** Sum of Total Owed in cents; null once any row's amount is unknown. */
  totalCents: number | null;
  currency: string | null;
  status: string | null;
  recipient: string | null;
  payment: string | null;
  marketplace: string | null;
  items: Map<string, ItemAcc>;
  /**
   * Hashes of this order's rows (exact-duplicate detection): the first on its own (most orders have
   * one row), a Set from the second on.
   */
  firstRow: number;
  rows: Set<number> | null;
  /** The raw Order Date of the order's last dated row, to read an order's repeated date once. */
  dateRaw?: string;
  /** Item keys an earlier chunk already emitted for this order (a continuation). */
  earlierItems?: Set<string>;
  /** Emitted (kept in `orders` as a recent order) rather than open in this chunk. */
  emitted: boolean;
}

interface ItemAcc {
  key: string;
  asin: string | null;
  name: string | null;
  unitPrice: number | null;
  quantity: number | null;
}

/** The columns the parser reads, by their header names in Amazon's file. */
const COLUMNS = ['Order ID', 'Order Date', 'Currency', 'Order Status', 'Shipping Address', 'Payment Instrument Type', 'Website', 'Total Owed', 'ASIN', 'Product Name', 'Quantity', 'Unit Price'] as const;
type Column = (typeof COLUMNS)[number];
type CellReader = (row: string[], name: Column) => string | null;
/** Each column's position in the file's rows (-1 when the file lacks it). */
type ColumnIndexes = Record<Column, number>;

/** `cleanText` with a fast path: most cells need no cleaning, and the check is a cheap scan. */
function cleanCell(value: string | undefined): string | null {
  if (value === undefined) return null;
  const n = value.length;
  if (n === 0 || n > 2000) return cleanText(value);
  let previousSpace = true; // a leading space needs cleaning
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 32) {
      if (previousSpace) return cleanText(value);
      previousSpace = true;
    } else if (c < 32 || c === 0xa0 || c === 0x200b || c === 0x200e || c === 0x200f || (c > 0x1680 && c < 0x3001) || c === 0xfeff || c === 0x85) {
      return cleanText(value);
    } else {
      previousSpace = false;
    }
  }
  return previousSpace ? cleanText(value) : value;
}

/** A cell the reader already cleaned, cut to `max` characters. */
function bounded(value: string | null, max: number): string | null {
  return value !== null && value.length > max ? value.slice(0, max) : value;
}

/** Where each column the parser reads sits in a file's header, tolerant of case and stray spaces. */
function columnIndexes(fields: string[]): ColumnIndexes {
  const byNorm = new Map<string, number>();
  fields.forEach((f, index) => {
    const norm = f.replace(/^\uFEFF/, '').trim().toLowerCase();
    if (!byNorm.has(norm)) byNorm.set(norm, index);
  });
  // One object of one shape, resolved once per file: the reader looks columns up a dozen times per row.
  const indexes = {} as ColumnIndexes;
  for (const name of COLUMNS) indexes[name] = byNorm.get(name.toLowerCase()) ?? -1;
  return indexes;
}

/** Reads a cell by header name; the value comes back cleaned (`cleanText`), placeholders as null. */
function cellReader(indexes: ColumnIndexes): CellReader {
  return (row, name) => {
    const index = indexes[name];
    if (index === -1) return null;
    const value = cleanCell(row[index]);
    if (value === null) return null;
    // Placeholders ("Not Available", "N/A", "null", "none", "-") all start with n, N or -.
    const first = value.charCodeAt(0);
    if ((first === 110 || first === 78 || first === 45) && value.length <= 13 && /^(?:not available|n\/a|null|none|-)$/i.test(value)) return null;
    return value;
  };
}

function parseQuantity(value: string | null): number | null {
  if (value === null || !/^\d{1,6}$/.test(value)) return null;
  return Number(value);
}

/** "Dana Whitfield, 1200 Alder St, …" → "Dana Whitfield". Without a comma the name cannot be told from the address. */
function recipientOf(address: string | null): string | null {
  const comma = address ? address.indexOf(',') : -1;
  if (!address || comma === -1) return null;
  const first = cleanText(address.slice(0, comma), 201);
  return first && first.length <= 200 ? first : null;
}

/** A 53-bit hash of a row's cells (two FNV-1a passes), cheap to keep per order. */
function rowHash(cells: string[], width: number): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ width;
  for (let c = 0; c < width; c++) {
    const cell = cells[c] ?? '';
    for (let i = 0; i < cell.length; i++) {
      const code = cell.charCodeAt(i);
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x5bd1e995);
    }
    a = Math.imul(a ^ 0x1f, 0x01000193);
    b = Math.imul(b ^ 0x1f, 0x5bd1e995);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

/**
 * A copy of `text` that holds no reference to the string it was cut from. A short slice of a long
 * string (a cell of the decoded text) keeps all of that string alive while it lives.
 */
function detached(text: string): string {
  // Joining makes a new string, and cutting it flattens it into text of its own.
  return ` ${text}`.slice(1);
}

function forgetName(item: ItemAcc): void {
  item.name = null;
}

/** Every item key an emitted order delivered so far, over all its chunks. */
function itemKeysSoFar(order: OrderAcc): Set<string> {
  const keys = new Set(order.earlierItems);
  for (const key of order.items.keys()) keys.add(key);
  return keys;
}

export function minDate(a: unknown, b: unknown): string | undefined {
  const x = typeof a === 'string' ? a : undefined;
  const y = typeof b === 'string' ? b : undefined;
  if (!x) return y;
  if (!y) return x;
  return Date.parse(y) < Date.parse(x) ? y : x;
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
    const fingerprint = rowHash(row, this.width);
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
      // Most orders hold one item: nothing to look up before the first.
      const item = order.items.size === 0 ? undefined : order.items.get(key);
      if (this.preview) {
        if (!item) order.items.set(key, { key, asin, name, unitPrice: null, quantity: null });
      } else {
        const quantity = parseQuantity(cell(row, 'Quantity'));
        const price = parseMoney(cell(row, 'Unit Price'));
        if (!item) {
          order.items.set(key, { key, asin, name, unitPrice: price ? price.cents : null, quantity });
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
    const known = this.orders.get(id);
    if (known && !known.emitted) return known;
    // A continuation of an emitted order: it moves to the end, as a new open order.
    const earlier = known;
    if (earlier) {
      this.orders.delete(id);
      this.emitted--;
    }
    const order: OrderAcc = {
      // Kept while the order is remembered, so a copy of its own: the cell is a slice of a megabyte of text.
      id: earlier ? earlier.id : detached(id),
      date: null,
      totalCents: 0,
      currency: null,
      status: null,
      recipient: null,
      payment: null,
      marketplace: null,
      items: new Map(),
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
      if (order.earlierItems && order.items.size === 0 && order.totalCents === 0 && !order.date) {
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
      const newItems = continuation ? [...order.items.keys()].filter((key) => !order.earlierItems!.has(key)).length : order.items.size;
      observations.push({ stream: 'orders', data: this.preview ? this.orderKeys(order) : this.orderRecord(order, newItems) });
      for (const item of order.items.values()) {
        if (order.earlierItems?.has(item.key)) continuations++;
        observations.push({ stream: 'order_items', data: this.preview ? this.itemKeys(order, item) : this.itemRecord(order, item) });
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

  /**
   * An order's record. Built field by field in the record's order, leaving out what is unknown
   * (as `compact` would, without a second object per record).
   */
  private orderRecord(order: OrderAcc, newItems: number): Record<string, unknown> {
    const data: Record<string, unknown> = { id: order.id };
    if (order.date) {
      data.order_date = order.date.day;
      if (order.date.instant !== undefined) data.ordered_at = order.date.instant;
    }
    data.order_total = order.totalCents !== null ? formatCents(order.totalCents, order.currency) : null;
    data.order_total_cents = order.totalCents;
    if (order.currency !== null) data.currency = order.currency;
    if (order.status !== null) data.delivery_status = order.status;
    if (order.recipient !== null) data.recipient_name = order.recipient;
    if (newItems > 0) data.item_count = newItems;
    if (order.payment !== null) data.payment_method_summary = order.payment;
    if (order.marketplace !== null) data.marketplace = order.marketplace;
    return data;
  }

  private itemRecord(order: OrderAcc, item: ItemAcc): Record<string, unknown> {
    const data: Record<string, unknown> = { id: orderItemId(order.id, item.key), order_id: order.id, item_key: item.key };
    if (item.asin !== null) data.asin = item.asin;
    if (item.name !== null) data.name = item.name;
    data.unit_price = item.unitPrice !== null ? formatCents(item.unitPrice, order.currency) : null;
    data.unit_price_cents = item.unitPrice;
    data.quantity = item.quantity;
    if (order.date) {
      data.order_date = order.date.day;
      if (order.date.instant !== undefined) data.ordered_at = order.date.instant;
    }
    return data;
  }

  /** A preview's order: the fields of `orderRecord` the preview reads (key, event day, account evidence), the same values. */
  private orderKeys(order: OrderAcc): Record<string, unknown> {
    const data: Record<string, unknown> = { id: order.id };
    if (order.date) data.order_date = order.date.day;
    if (order.recipient !== null) data.recipient_name = order.recipient;
    return data;
  }

  /** A preview's item: the fields of `itemRecord` the preview reads (key, event day), the same values. */
  private itemKeys(order: OrderAcc, item: ItemAcc): Record<string, unknown> {
    const data: Record<string, unknown> = { id: orderItemId(order.id, item.key) };
    if (order.date) data.order_date = order.date.day;
    return data;
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
