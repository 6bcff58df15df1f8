/**
 * What the order history reader gathers per order and item while it reads
 * rows (`OrderAcc`, `ItemAcc`), and the records it makes of them: the
 * commit's whole records and the preview's keys (the same values, only the
 * fields a preview reads).
 */
import type { OrderTimes } from './order-time';
import { formatCents, orderItemId } from './util';

export interface OrderAcc {
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
  /**
   * The order's items, in the order their first rows came. Most orders hold one or two, so a list (no
   * Map per order: the preview makes tens of thousands of orders); `itemsByKey` indexes a long one.
   */
  items: ItemAcc[];
  itemsByKey: Map<string, ItemAcc> | null;
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

/** Items an order holds before `itemsByKey` indexes them: beyond this, a scan costs more than a Map. */
const ITEMS_SCANNED = 8;

/** The order's item with this key, if any. */
export function itemOf(order: OrderAcc, key: string): ItemAcc | undefined {
  if (order.itemsByKey) return order.itemsByKey.get(key);
  for (const item of order.items) if (item.key === key) return item;
  return undefined;
}

/** Adds an item (whose key the order does not hold yet). */
export function addItem(order: OrderAcc, item: ItemAcc): void {
  // A list of one made whole: `push` on an empty list would reserve room for many.
  if (order.items.length === 0) order.items = [item];
  else order.items.push(item);
  if (order.itemsByKey) order.itemsByKey.set(item.key, item);
  else if (order.items.length > ITEMS_SCANNED) order.itemsByKey = new Map(order.items.map((entry) => [entry.key, entry]));
}

export interface ItemAcc {
  key: string;
  asin: string | null;
  name: string | null;
  unitPrice: number | null;
  quantity: number | null;
}

/**
 * An order's record. Built field by field in the record's order, leaving out what is unknown
 * (as `compact` would, without a second object per record).
 */
export function orderRecord(order: OrderAcc, newItems: number): Record<string, unknown> {
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

export function itemRecord(order: OrderAcc, item: ItemAcc): Record<string, unknown> {
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
export function orderKeys(order: OrderAcc): Record<string, unknown> {
  const data: Record<string, unknown> = { id: order.id };
  if (order.date) data.order_date = order.date.day;
  if (order.recipient !== null) data.recipient_name = order.recipient;
  return data;
}

/** A preview's item: the fields of `itemRecord` the preview reads (key, event day), the same values. */
export function itemKeys(order: OrderAcc, item: ItemAcc): Record<string, unknown> {
  const data: Record<string, unknown> = { id: orderItemId(order.id, item.key) };
  if (order.date) data.order_date = order.date.day;
  return data;
}
