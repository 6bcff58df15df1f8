/**
 * An Amazon order's details page: one order (its id, date, charge summary,
 * address and payment by their `data-component` boxes, or by labels), its
 * items, and a `partial` claim for that day.
 */
import type { AccountHint, BatchWarning } from '../../core/model';
import type { PageCapture } from '../types';
import { ORDER_ID_RE, cleanText, parseMoney, parseMonthDate } from './util';
import {
  ORDER_NO_RE,
  PLACED_RE,
  SHIP_TO_RE,
  acceptOrderId,
  acceptShort,
  bothStreams,
  buildOrder,
  detailUrl,
  extractItems,
  isHidden,
  labelled,
  layoutUnrecognized,
  linkBase,
  statusOf,
  toObservations,
  visibleChunks,
  visibleText,
  type RawItem,
} from './page-read';

const DETAIL_PATHS = [
  /^\/gp\/your-account\/order-details\b/,
  /^\/gp\/css\/summary\/edit\.html\b/,
  /^\/your-orders\/order-details\b/,
];

const GRAND_TOTAL_RE = /^(?:grand total|order total)\s*:?\s*(.*)$/i;

export function extractDetail(doc: Document, url: URL, marketplace: string | null, hint: AccountHint | undefined): PageCapture {
  const body = doc.body ?? doc.documentElement;
  const chunks = visibleChunks(body);
  const labels = new Set<Element>();
  const component = (name: string): Element | null => {
    const el = doc.querySelector(`[data-component="${name}"]`);
    return el && !isHidden(el) ? el : null;
  };

  const idText = visibleText(component('orderId'), 200);
  let id = (idText ? acceptOrderId(idText) : null) ?? labelled(chunks, ORDER_NO_RE, acceptOrderId, labels);
  const dateText = visibleText(component('orderDate'), 200);
  const day = (dateText ? parseMonthDate(dateText) : null) ?? labelled(chunks, PLACED_RE, parseMonthDate, labels);
  if (!id && day) {
    const fromUrl = url.searchParams.get('orderID');
    if (fromUrl && ORDER_ID_RE.test(fromUrl)) id = fromUrl;
  }
  if (!id) return layoutUnrecognized('order details', hint);

  const charge = component('chargeSummary');
  const chargeChunks = charge ? visibleChunks(charge) : chunks;
  const total = labelled(chargeChunks, GRAND_TOTAL_RE, parseMoney, labels);
  if (charge) labels.add(charge);

  const address = component('shippingAddress');
  let recipient: string | null = null;
  if (address) {
    labels.add(address);
    const first = visibleChunks(address).find((c) => !SHIP_TO_RE.test(c.text) && !/^shipping address/i.test(c.text));
    recipient = first && first.text.length <= 100 ? first.text : null;
  } else {
    recipient = labelled(chunks, SHIP_TO_RE, acceptShort(100), labels);
  }

  const paymentEl = component('paymentMethod');
  let payment: string | null = null;
  if (paymentEl) {
    labels.add(paymentEl);
    payment = cleanText(
      visibleChunks(paymentEl)
        .map((c) => c.text)
        .filter((t) => !/^payment methods?$/i.test(t))
        .join(' '),
      500,
    );
  }
  for (const name of ['orderId', 'orderDate']) {
    const el = component(name);
    if (el) labels.add(el);
  }

  const link = linkBase(url);
  const scopes = Array.from(doc.querySelectorAll('[data-component="purchasedItems"]')).filter((el) => !isHidden(el));
  const items: RawItem[] = [];
  for (const scope of scopes.length > 0 ? scopes : [body]) {
    for (const item of extractItems(scope, link, labels)) {
      const same = items.find((i) => i.key === item.key);
      if (!same) items.push(item);
      else same.quantity = same.quantity !== null && item.quantity !== null ? same.quantity + item.quantity : null;
    }
  }

  const read = buildOrder(
    {
      id,
      day,
      total,
      status: statusOf(body, []),
      recipient,
      payment,
      url: detailUrl(link, id),
      items,
    },
    marketplace,
  );
  const warnings: BatchWarning[] = [];
  if (!day) warnings.push({ code: 'undated_order', message: 'The order page shows no readable order date.', where: id });
  const coverage = day ? bothStreams(day, day, 'partial', `The details page of order ${id}`) : [];
  return { observations: toObservations([read]), coverage, ...(hint ? { accountHint: hint } : {}), warnings };
}

export function isDetail(url: URL): boolean {
  return DETAIL_PATHS.some((re) => re.test(url.pathname));
}
