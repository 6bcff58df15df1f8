/**
 * Amazon's two streams and the schemas that validate their untrusted records.
 *
 * Both the page extractor and the export parser produce these shapes; keys
 * line up across methods (order id; order id + ASIN), so a record seen on a
 * page and in the export is one logical record (crossMethodIdentity). Neither
 * stream reconciles across methods: Amazon hides archived orders from its
 * list pages, so absence on a page proves nothing about the export.
 */
import { z } from 'zod';
import { EventTime } from '../../core/model';
import type { StreamDefinition } from '../types';
import { ASIN_RE, ORDER_ID_RE } from './util';

const text = (max = 2000) => z.string().min(1).max(max);
/** Missing values are omitted or null, never ''. */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
const cents = z.number().int().min(-1e13).max(1e13);
const httpsUrl = z.string().max(2048).regex(/^https:\/\/[^\s]+$/, 'not an https URL');

export const AmazonOrderId = z.string().max(19).regex(ORDER_ID_RE, 'not an Amazon order id');
export const AmazonAsin = z.string().regex(ASIN_RE, 'not an ASIN');
/** The ASIN, or `name:` + normalised lower-case title when there is none. */
export const AmazonItemKey = z.union([AmazonAsin, z.string().min(6).max(320).regex(/^name:\S/)]);

export const AmazonOrder = z.looseObject({
  /** `111-2222222-3333333`, or `D01-…` for digital orders. */
  id: AmazonOrderId,
  /** Page: the local calendar day `YYYY-MM-DD`. Export: the ISO UTC instant as given. */
  order_date: maybe(EventTime),
  /** As displayed ("$1,234.56"). */
  total: maybe(text(64)),
  total_cents: maybe(cents),
  /** ISO 4217 code. */
  currency: maybe(z.string().regex(/^[A-Z]{3}$/)),
  /** Delivery or order status text ("Delivered January 18", "Closed"). */
  status: maybe(text(500)),
  /** The SHIP TO name only, never the address. */
  recipient: maybe(text(200)),
  /** Distinct items (order_items records) in the order. */
  item_count: maybe(z.number().int().nonnegative().max(100000)),
  payment_summary: maybe(text(500)),
  /** "amazon.com". */
  marketplace: maybe(text(100)),
  /** The order's detail page. */
  url: maybe(httpsUrl),
});
export type AmazonOrder = z.infer<typeof AmazonOrder>;

export const AmazonOrderItem = z.looseObject({
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
  order_date: maybe(EventTime),
});
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
    const total = str(data.total);
    if (total) parts.push(total);
    return parts.join(' · ');
  },
};

export const orderItemsStream: StreamDefinition = {
  name: 'order_items',
  displayName: 'Ordered items',
  primaryKey: ['order_id', 'item_key'],
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
};

export const amazonStreams: StreamDefinition[] = [ordersStream, orderItemsStream];
