/**
 * What Amazon's list and detail pages share: labelled values in the visible
 * text (`page-visible.ts`), items found from `/dp/<ASIN>` links and
 * title hints, and the order records and claims built from them.
 *
 * Bundled into the content script (see `page.ts`): types, `util` and `page-visible` only.
 */
import type { AccountHint, CoverageClaim, Observation } from '../../core/model';
import type { PageCapture } from '../types';
import { ASIN_IN_PATH_RE, ORDER_ID_IN_TEXT_RE, cleanText, compact, itemKey, orderItemId, parseMoney, type Money } from './util';
import { elementSet, holds, holdsAny, isHidden, queryAll, queryFirst, visibleChunks, visibleText, type Chunk } from './page-visible';

export { isHidden, queryAll, visibleChunks, visibleText, withVisibleIndex, type Chunk } from './page-visible';

export const STATUS_HINT =
  '.yohtmlc-shipment-status-primaryText, .delivery-box__primary-text, [data-component="shipmentStatus"], .od-status-message, .shipment-top-row .a-text-bold';
export const TITLE_HINT = '.yohtmlc-product-title, [data-component="itemTitle"], [class*="product-title"]';
export const QTY_HINT = '.product-image__qty, .item-view-qty, .od-item-view-qty, [data-component="quantity"]';

export const PLACED_RE = /^(?:order placed|ordered on|order date)\s*:?\s*(.*)$/i;
export const TOTAL_RE = /^(?:order )?total\s*:?\s*(.*)$/i;
export const SHIP_TO_RE = /^(?:ship to|shipping address|deliver(?:ed|y)? to)\s*:?\s*(.*)$/i;
export const ORDER_NO_RE = /^order\s*(?:#|no\.?|number)\s*:?\s*(.*)$/i;
export const SOLD_BY_RE = /^sold by\s*:?\s*(.*)$/i;
export const QTY_RE = /^(?:qty|quantity)\s*:?\s*(\d{1,5})$/i;
export const STATUS_RE =
  /^(?:delivered|arriving|arrives|now arriving|shipped|out for delivery|cancell?ed|canceled|refunded|return(?:ed)?|replacement|not yet shipped|preparing for shipment|payment|delayed|undeliverable|order received)\b/i;

/**
 * Finds a labelled value: the rest of the label's own text, or the next
 * chunk. `accept` turns a candidate into a value or rejects it; the first
 * accepted occurrence wins.
 */
export function labelled<T>(
  chunks: Chunk[],
  label: RegExp,
  accept: (value: string) => T | null,
  labelEls?: Set<Element>,
): T | null {
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i];
    if (!chunk) continue;
    const m = label.exec(chunk.text);
    if (!m) continue;
    labelEls?.add(chunk.el);
    // "Order placed January 15, 2024" in one piece, or the label then its value.
    const candidate = cleanText(m[1] ?? '') ?? chunks[i + 1]?.text;
    const value = candidate ? accept(candidate) : null;
    if (value !== null) return value;
  }
  return null;
}

export function acceptShort(max: number) {
  return (value: string): string | null => {
    const text = cleanText(value, max + 1);
    if (!text || text.length > max) return null;
    if (PLACED_RE.test(text) || TOTAL_RE.test(text) || ORDER_NO_RE.test(text) || SHIP_TO_RE.test(text)) return null;
    return text;
  };
}

export function acceptOrderId(value: string): string | null {
  return ORDER_ID_IN_TEXT_RE.exec(value)?.[1] ?? null;
}

/** An absolute https URL on the page's origin, or null. */
export function resolveHref(href: string | null, base: URL): URL | null {
  if (!href) return null;
  try {
    const u = new URL(href, base);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u : null;
  } catch {
    return null;
  }
}

/**
 * For `ASIN_IN_PATH_RE` to find an ASIN in a resolved link, the segment
 * before the ASIN (`dp`, `product` or `d`) and the separator after it come
 * whole from the link or from the page's own path (the URL parser drops tabs
 * and newlines, reads `\` as `/` and decodes nothing in a path).
 */
const ASIN_SEGMENT_RE = /(?:dp|product|d)[/\\]/;

const AMAZON_HOST_RE = /(^|\.)amazon\.[a-z.]+$/i;

/**
 * A path on the page's own host that the URL parser keeps as written: only
 * characters it never encodes or rewrites, and no segment starting with a
 * dot (`.` and `..` are resolved away). Amazon writes its product links so.
 */
const PLAIN_PATH_RE = /^\/[\w\-~!$&'()*+,;=:@/.]*(?=[?#]|$)/;

/** `ASIN_SEGMENT_RE` finds a segment in `href` once the URL parser drops its tabs and line breaks (a copy only for an href that has them). */
function hasAsinSegment(href: string): boolean {
  return ASIN_SEGMENT_RE.test(href) || (/[\t\n\r]/.test(href) && ASIN_SEGMENT_RE.test(href.replace(/[\t\n\r]/g, '')));
}

/** What reading links and building URLs asks of the page's URL, once per page (its getters are DOM calls). */
export interface LinkBase {
  url: URL;
  origin: string;
  /** `ASIN_SEGMENT_RE` finds a segment in the page's path. */
  hasSegment: boolean;
  /** The page is on an Amazon host, as a link relative to it is. */
  onAmazon: boolean;
}

export function linkBase(url: URL): LinkBase {
  return { url, origin: url.origin, hasSegment: ASIN_SEGMENT_RE.test(url.pathname), onAmazon: AMAZON_HOST_RE.test(url.hostname) };
}

export function asinOfAnchor(a: Element, base: LinkBase): string | null {
  const href = a.getAttribute('href');
  // Most links on the page lead nowhere near a product: no URL is parsed for them.
  if (href && !base.hasSegment && !hasAsinSegment(href)) return null;
  // Amazon's own relative links: the path is the link's, read without parsing a URL (the dearest step per link).
  const plain = href && href[1] !== '/' ? PLAIN_PATH_RE.exec(href)?.[0] : undefined;
  if (plain !== undefined && !plain.includes('/.')) return base.onAmazon ? (ASIN_IN_PATH_RE.exec(plain)?.[1] ?? null) : null;
  const u = resolveHref(href, base.url);
  if (!u || !AMAZON_HOST_RE.test(u.hostname)) return null;
  return ASIN_IN_PATH_RE.exec(u.pathname)?.[1] ?? null;
}

export interface RawItem {
  key: string;
  asin: string | null;
  name: string | null;
  url: string | null;
  price: Money | null;
  quantity: number | null;
  seller: string | null;
}

/** One visible occurrence of an item: its title element and the box that holds only it. */
export interface ItemInstance {
  title: Element;
  asin: string | null;
  name: string | null;
}

export function findItemInstances(scope: Element, base: LinkBase): ItemInstance[] {
  const instances: ItemInstance[] = [];
  const titled = new Set<string>();
  const imageOnly = new Map<string, Element>();
  const asinAnchors: Element[] = [];
  for (const a of queryAll(scope, 'a[href]')) {
    const asin = asinOfAnchor(a, base);
    if (!asin || isHidden(a)) continue;
    asinAnchors.push(a);
    const name = visibleText(a, 2000);
    if (name) {
      instances.push({ title: a, asin, name });
      titled.add(asin);
    } else if (!imageOnly.has(asin)) {
      imageOnly.set(asin, a);
    }
  }
  // An ASIN shown only as an image link: the image's alt text names it.
  for (const [asin, a] of imageOnly) {
    if (titled.has(asin)) continue;
    const alt = cleanText(a.querySelector('img[alt]')?.getAttribute('alt'), 2000);
    instances.push({ title: a, asin, name: alt });
  }
  // Items without an ASIN link: a product-title element holding no ASIN link.
  for (const el of queryAll(scope, TITLE_HINT)) {
    if (isHidden(el)) continue;
    if (asinAnchors.some((a) => holds(el, a) || holds(a, el))) continue;
    if (instances.some((inst) => holds(inst.title, el) || holds(el, inst.title))) continue;
    const name = visibleText(el, 2000);
    if (name) instances.push({ title: el, asin: null, name });
  }
  return instances;
}

/** The highest ancestor of `inst` inside `scope` that holds no other item and no header label. */
export function itemBox(inst: ItemInstance, all: ItemInstance[], scope: Element, stops: Set<Element>): Element {
  const others = all.filter((other) => other !== inst && other.title !== inst.title).map((other) => other.title);
  const outside = elementSet([...others, ...stops]);
  let box: Element = inst.title;
  for (let depth = 0, p = inst.title.parentElement; p && p !== scope && depth < 8; depth++, p = p.parentElement) {
    if (holdsAny(p, outside)) break;
    box = p;
  }
  return box;
}

export function readItemDetails(box: Element): { price: Money | null; quantity: number | null; seller: string | null } {
  const chunks = visibleChunks(box, 400);
  let price: Money | null = null;
  const priceEl = queryFirst(box, '[data-component="unitPrice"]');
  if (priceEl) price = parseMoney(visibleText(priceEl));
  if (!price) {
    for (const c of chunks) {
      if (c.text.length <= 24 && /^-?[$£€¥]/.test(c.text)) {
        price = parseMoney(c.text);
        if (price) break;
      }
    }
  }
  let quantity: number | null = null;
  const qtyEl = queryAll(box, QTY_HINT).find((el) => !isHidden(el));
  const qtyText = qtyEl ? visibleText(qtyEl) : null;
  const qtyMatch = qtyText ? /(\d{1,5})/.exec(qtyText) : null;
  if (qtyMatch) quantity = Number(qtyMatch[1]);
  if (quantity === null) {
    for (const c of chunks) {
      const m = QTY_RE.exec(c.text);
      if (m) {
        quantity = Number(m[1]);
        break;
      }
    }
  }
  let seller: string | null = null;
  const merchantEl = queryFirst(box, '[data-component="orderedMerchant"]');
  if (merchantEl) {
    const text = visibleText(merchantEl, 600);
    seller = text ? cleanText(text.replace(/^sold by\s*:?\s*/i, ''), 500) : null;
  }
  if (!seller) seller = labelled(chunks, SOLD_BY_RE, acceptShort(500));
  return { price, quantity, seller };
}

export function extractItems(scope: Element, base: LinkBase, stops: Set<Element>): RawItem[] {
  const instances = findItemInstances(scope, base);
  const byKey = new Map<string, RawItem & { quantities: (number | null)[] }>();
  for (const inst of instances) {
    const key = itemKey(inst.asin, inst.name);
    if (!key) continue;
    const details = readItemDetails(itemBox(inst, instances, scope, stops));
    const existing = byKey.get(key);
    if (existing) {
      existing.quantities.push(details.quantity);
      existing.name ??= inst.name;
      existing.price ??= details.price;
      existing.seller ??= details.seller;
      continue;
    }
    byKey.set(key, {
      key,
      asin: inst.asin,
      name: inst.name,
      url: inst.asin ? `${base.origin}/dp/${inst.asin}` : null,
      price: details.price,
      quantity: null,
      seller: details.seller,
      quantities: [details.quantity],
    });
  }
  return [...byKey.values()].map(({ quantities, ...item }) => ({
    ...item,
    // Split shipments show an item twice: sum when every occurrence shows its quantity.
    quantity: quantities.every((q) => q !== null) ? quantities.reduce<number>((s, q) => s + (q ?? 0), 0) : null,
  }));
}

export function statusOf(scope: Element, chunks: Chunk[]): string | null {
  const seen: string[] = [];
  for (const el of queryAll(scope, STATUS_HINT)) {
    if (isHidden(el)) continue;
    const text = visibleText(el, 300);
    if (text && !seen.includes(text)) seen.push(text);
  }
  if (seen.length === 0) {
    const found = chunks.find((c) => c.text.length <= 200 && STATUS_RE.test(c.text));
    if (found) seen.push(found.text);
  }
  return seen.length > 0 ? cleanText(seen.join('; '), 500) : null;
}

export function currencyFor(money: Money | null, marketplace: string | null): string | null {
  if (!money) return null;
  // "$" on amazon.com is US dollars; elsewhere a bare "$" is ambiguous.
  if (money.currency === 'USD' && marketplace !== 'amazon.com') return null;
  return money.currency;
}

export interface OrderRead {
  order: Record<string, unknown>;
  items: Record<string, unknown>[];
  day: string | null;
}

export function buildOrder(
  fields: {
    id: string;
    day: string | null;
    total: Money | null;
    status: string | null;
    recipient: string | null;
    payment: string | null;
    url: string | null;
    items: RawItem[];
  },
  marketplace: string | null,
): OrderRead {
  const { id, day, total, items } = fields;
  const order = compact({
    id,
    order_date: day ?? undefined,
    order_total: total?.display ?? undefined,
    order_total_cents: total ? total.cents : undefined,
    currency: currencyFor(total, marketplace) ?? undefined,
    delivery_status: fields.status ?? undefined,
    recipient_name: fields.recipient ?? undefined,
    item_count: items.length > 0 ? items.length : undefined,
    payment_method_summary: fields.payment ?? undefined,
    marketplace: marketplace ?? undefined,
    url: fields.url ?? undefined,
  });
  const itemRecords = items.map((it) =>
    compact({
      id: orderItemId(id, it.key),
      order_id: id,
      item_key: it.key,
      asin: it.asin ?? undefined,
      name: it.name ?? undefined,
      url: it.url ?? undefined,
      unit_price: it.price?.display ?? undefined,
      unit_price_cents: it.price ? it.price.cents : undefined,
      quantity: it.quantity ?? undefined,
      seller: it.seller ?? undefined,
      order_date: day ?? undefined,
    }),
  );
  return { order, items: itemRecords, day };
}

export function detailUrl(base: LinkBase, id: string): string {
  return `${base.origin}/gp/your-account/order-details?orderID=${encodeURIComponent(id)}`;
}

export function claim(stream: string, start: string, end: string, completeness: 'full' | 'partial', evidence: string): CoverageClaim {
  return { stream, start, end, completeness, evidence: evidence.slice(0, 300) };
}

export function bothStreams(start: string, end: string, completeness: 'full' | 'partial', evidence: string): CoverageClaim[] {
  return [claim('orders', start, end, completeness, evidence), claim('order_items', start, end, completeness, evidence)];
}

export function toObservations(reads: OrderRead[]): Observation[] {
  const out: Observation[] = [];
  for (const r of reads) {
    out.push({ stream: 'orders', data: r.order });
    for (const item of r.items) out.push({ stream: 'order_items', data: item });
  }
  return out;
}

export function layoutUnrecognized(what: string, accountHint: AccountHint | undefined): PageCapture {
  return {
    observations: [],
    coverage: [],
    ...(accountHint ? { accountHint } : {}),
    warnings: [
      {
        code: 'layout_unrecognized',
        message: `Gleaner could not recognise this Amazon ${what} page; Amazon may have changed its layout. Nothing was saved from it.`,
      },
    ],
  };
}
