/**
 * Amazon's two streams and the schemas that validate their untrusted records.
 *
 * Field names follow the PDPP reference server's first-party `amazon`
 * manifest (`order_total`, `delivery_status`, item `id` = `<order>|<item>`),
 * so a server reads Gleaner's records as it reads its own connector's.
 *
 * Both the page extractor and the export parser produce these shapes; keys
 * line up across methods (order id; order id + ASIN), so a record seen on a
 * page and in the export is one logical record (crossMethodIdentity). Neither
 * stream reconciles across methods: Amazon hides archived orders from its
 * list pages, so absence on a page proves nothing about the export.
 */
import { z } from 'zod';
import type { StreamDefinition } from '../types';
import { ASIN_RE, ORDER_ID_PATTERN, ORDER_ID_RE, orderItemId } from './util';

const text = (max = 2000) => z.string().min(1).max(max);
/** Missing values are omitted or null, never ''. */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
const cents = z.number().int().min(-1e13).max(1e13);
const httpsUrl = z.string().max(2048).regex(/^https:\/\/[^\s]+$/, 'not an https URL');
/** `YYYY-MM-DD`, a real day (JSON Schema `format: date`). */
const Day = z.iso.date();
/** An ISO instant with its offset (JSON Schema `format: date-time`). */
const Instant = z.iso.datetime({ offset: true });

export const AmazonOrderId = z.string().max(19).regex(ORDER_ID_RE, 'not an Amazon order id');
export const AmazonAsin = z.string().regex(ASIN_RE, 'not an ASIN');
/** The ASIN, or `name:` + normalised lower-case title when there is none. */
export const AmazonItemKey = z.union([AmazonAsin, z.string().min(6).max(320).regex(/^name:\S/)]);

export const AmazonOrder = z.looseObject({
  /** `111-2222222-3333333`, or `D01-…` for digital orders. */
  id: AmazonOrderId,
  /** The calendar day: as the page shows it, or the export instant's day in the browser's time zone. */
  order_date: maybe(Day),
  /** The export's instant as given (pages show only a day). */
  ordered_at: maybe(Instant),
  /** As displayed ("$1,234.56"). */
  order_total: maybe(text(64)),
  order_total_cents: maybe(cents),
  /** ISO 4217 code. */
  currency: maybe(z.string().regex(/^[A-Z]{3}$/)),
  /** Delivery or order status text ("Delivered January 18", "Closed"). */
  delivery_status: maybe(text(500)),
  /** The SHIP TO name only, never the address. */
  recipient_name: maybe(text(200)),
  /** Distinct items (order_items records) in the order. */
  item_count: maybe(z.number().int().nonnegative().max(100000)),
  payment_method_summary: maybe(text(500)),
  /** "amazon.com". */
  marketplace: maybe(text(100)),
  /** The order's detail page. */
  url: maybe(httpsUrl),
});
export type AmazonOrder = z.infer<typeof AmazonOrder>;

/** An item's own key, `<order id>|<item key>`: one field, as the reference manifest keys items. */
export const AmazonOrderItemId = z.string().max(340).regex(new RegExp(`^${ORDER_ID_PATTERN}\\|\\S`), 'not an order id | item key');

export const AmazonOrderItem = z
  .looseObject({
    id: AmazonOrderItemId,
    order_id: AmazonOrderId,
    item_key: AmazonItemKey,
    asin: maybe(AmazonAsin),
    name: maybe(text(2000)),
    /** Canonical product link `https://www.amazon.com/dp/<ASIN>`. */
    url: maybe(httpsUrl),
    unit_price: maybe(text(64)),
    unit_price_cents: maybe(cents),
    quantity: maybe(z.number().int().nonnegative().max(100000)),
    seller: maybe(text(500)),
    /** The order's day and instant, as on the order. */
    order_date: maybe(Day),
    ordered_at: maybe(Instant),
  })
  // The id is the record's key: one that disagreed with its parts would split an item across methods.
  .refine((item) => item.id === orderItemId(item.order_id, item.item_key), { message: 'id is not order_id|item_key', path: ['id'] });
export type AmazonOrderItem = z.infer<typeof AmazonOrderItem>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export const ordersStream: StreamDefinition = {
  name: 'orders',
  displayName: 'Orders',
  primaryKey: ['id'],
  eventTimeField: 'order_date',
  crossMethodIdentity: true,
  crossMethodReconciliation: false,
  schema: AmazonOrder,
  describe(data) {
    const parts = [`Order ${str(data.id) ?? '?'}`];
    const day = str(data.order_date)?.slice(0, 10);
    if (day) parts.push(day);
    const total = str(data.order_total);
    if (total) parts.push(total);
    return parts.join(' · ');
  },
  present(data) {
    const facts = [str(data.order_total), str(data.delivery_status)].filter((fact): fact is string => !!fact);
    return { title: `Order ${str(data.id) ?? '?'}`, facts };
  },
  parts: { stream: 'order_items', field: 'order_id' },
  fieldLabels: {
    id: 'Order number',
    order_date: 'Ordered on',
    order_total: 'Order total',
    delivery_status: 'Status',
    recipient_name: 'Ship to',
    item_count: 'Items',
    payment_method_summary: 'Paid with',
    marketplace: 'Store',
    url: 'Order details',
  },
};

export const orderItemsStream: StreamDefinition = {
  name: 'order_items',
  displayName: 'Ordered items',
  // The stored key is still `<order>|<item key>` (parts join with `|`), so records keep their identity.
  primaryKey: ['id'],
  eventTimeField: 'order_date',
  crossMethodIdentity: true,
  crossMethodReconciliation: false,
  schema: AmazonOrderItem,
  describe(data) {
    const name = str(data.name) ?? str(data.asin) ?? str(data.item_key) ?? 'Item';
    const short = name.length > 80 ? `${name.slice(0, 79)}…` : name;
    const qty = typeof data.quantity === 'number' && data.quantity > 1 ? ` ×${data.quantity}` : '';
    return `${short}${qty} (order ${str(data.order_id) ?? '?'})`;
  },
  present(data) {
    const quantity = typeof data.quantity === 'number' ? data.quantity : undefined;
    const price = str(data.unit_price);
    // As a receipt lists a line: "2 × $12.47", or what of it is known.
    const line = quantity !== undefined && price ? `${quantity} × ${price}` : price ?? (quantity !== undefined ? `Qty ${quantity}` : undefined);
    return {
      title: str(data.name) ?? str(data.asin) ?? str(data.item_key)?.replace(/^name:/, '') ?? 'Item',
      facts: line ? [line] : [],
      partOf: str(data.order_id) && `In order ${str(data.order_id)}`,
    };
  },
  fieldLabels: {
    name: 'Item',
    quantity: 'Quantity',
    unit_price: 'Price each',
    seller: 'Sold by',
    order_id: 'Order number',
    order_date: 'Ordered on',
    url: 'Product page',
  },
};

export const amazonStreams: StreamDefinition[] = [ordersStream, orderItemsStream];
