/**
 * Reads Amazon's Your Orders list and order detail pages.
 *
 * Bundled into the content script on amazon.com: imports types, `meta` and the
 * dependency-free `util` only (no zod, papaparse, fflate or `streams`).
 *
 * Amazon runs several layouts at once and changes them often, so this anchors
 * on what the owner reads — labels (ORDER PLACED, TOTAL, SHIP TO, ORDER #),
 * the order id pattern and `/dp/<ASIN>` links — and uses classes only as hints.
 * Text inside hidden elements (popovers, `aok-hidden`, `aria-hidden`) is never
 * read. One pass per card and one over the page keep it linear: the extractor
 * runs again on DOM mutations.
 */
import type { AccountHint, BatchWarning, CoverageClaim, Observation } from '../../core/model';
import type { PageCapture, PageExtractor } from '../types';
import { amazonMeta } from './meta';
import {
  ASIN_IN_PATH_RE,
  accountHintFor,
  ORDER_ID_IN_TEXT_RE,
  ORDER_ID_RE,
  cleanText,
  compact,
  itemKey,
  marketplaceOf,
  orderItemId,
  parseMoney,
  parseMonthDate,
  type Money,
} from './util';

const ELEMENT_NODE = 1;
const ORDER_ID_GLOBAL_RE = new RegExp(ORDER_ID_IN_TEXT_RE.source, 'g');
const TEXT_NODE = 3;

const LIST_PATHS = [/^\/your-orders\/orders\b/, /^\/gp\/your-account\/order-history\b/, /^\/gp\/css\/order-history\b/];
const DETAIL_PATHS = [
  /^\/gp\/your-account\/order-details\b/,
  /^\/gp\/css\/summary\/edit\.html\b/,
  /^\/your-orders\/order-details\b/,
];

const SKIP_TAGS = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT', 'SELECT', 'OPTION', 'svg', 'SVG', 'IFRAME']);
const HIDDEN_CLASSES = ['aok-hidden', 'a-hidden', 'a-popover-preload', 'aok-offscreen-hidden'];
const HIDDEN_SELECTOR =
  '[hidden], [aria-hidden="true"], .aok-hidden, .a-hidden, .a-popover-preload, script, style, template, noscript';

/** Class hints for a whole order card; the text anchors decide when they are absent. */
const CARD_HINT = '.order-card, .js-order-card, .a-box-group.order, div.order';
const STATUS_HINT =
  '.yohtmlc-shipment-status-primaryText, .delivery-box__primary-text, [data-component="shipmentStatus"], .od-status-message, .shipment-top-row .a-text-bold';
const TITLE_HINT = '.yohtmlc-product-title, [data-component="itemTitle"], [class*="product-title"]';
const QTY_HINT = '.product-image__qty, .item-view-qty, .od-item-view-qty, [data-component="quantity"]';
const YEAR_SELECT = 'select#time-filter, select#orderFilter, select[name="timeFilter"], select[name="orderFilter"]';

const PLACED_RE = /^(?:order placed|ordered on|order date)\s*:?\s*(.*)$/i;
const TOTAL_RE = /^(?:order )?total\s*:?\s*(.*)$/i;
const GRAND_TOTAL_RE = /^(?:grand total|order total)\s*:?\s*(.*)$/i;
const SHIP_TO_RE = /^(?:ship to|shipping address|deliver(?:ed|y)? to)\s*:?\s*(.*)$/i;
const ORDER_NO_RE = /^order\s*(?:#|no\.?|number)\s*:?\s*(.*)$/i;
const SOLD_BY_RE = /^sold by\s*:?\s*(.*)$/i;
const QTY_RE = /^(?:qty|quantity)\s*:?\s*(\d{1,5})$/i;
const STATUS_RE =
  /^(?:delivered|arriving|arrives|now arriving|shipped|out for delivery|cancell?ed|canceled|refunded|return(?:ed)?|replacement|not yet shipped|preparing for shipment|payment|delayed|undeliverable|order received)\b/i;
const ORDERS_COUNT_RE = /\b(\d{1,5})\s+orders?\b/i;
const EMPTY_STATE_RE =
  /(?:have(?: not|n't) placed any orders|no orders (?:placed|found)|looks like you haven't placed an order|\b\d+\s+orders?\s+placed in\b)/i;

interface Chunk {
  text: string;
  el: Element;
}

function isHiddenElement(el: Element): boolean {
  if (SKIP_TAGS.has(el.tagName)) return true;
  if (el.hasAttribute('hidden') || el.getAttribute('aria-hidden') === 'true') return true;
  const cls = el.classList;
  for (const c of HIDDEN_CLASSES) if (cls.contains(c)) return true;
  const style = el.getAttribute('style');
  if (style && /(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(style)) return true;
  return false;
}

/** Visible text pieces of `root` in document order (one per text node), skipping hidden subtrees. */
function visibleChunks(root: Element, limit = Number.POSITIVE_INFINITY): Chunk[] {
  const out: Chunk[] = [];
  const stack: Node[] = [root];
  while (stack.length > 0 && out.length < limit) {
    const node = stack.pop() as Node;
    if (node.nodeType === TEXT_NODE) {
      const text = cleanText(node.nodeValue);
      if (text && node.parentElement) out.push({ text, el: node.parentElement });
      continue;
    }
    if (node.nodeType !== ELEMENT_NODE) continue;
    if (node !== root && isHiddenElement(node as Element)) continue;
    const kids = node.childNodes;
    for (let i = kids.length - 1; i >= 0; i--) {
      const kid = kids[i];
      if (kid) stack.push(kid);
    }
  }
  return out;
}

function visibleText(root: Element | null, max = 2000): string | null {
  if (!root || isHiddenElement(root)) return null;
  return cleanText(
    visibleChunks(root)
      .map((c) => c.text)
      .join(' '),
    max,
  );
}

function isHidden(el: Element): boolean {
  return el.closest(HIDDEN_SELECTOR) !== null;
}

/**
 * Finds a labelled value: the rest of the label's own text, or the next
 * chunk. `accept` turns a candidate into a value or rejects it; the first
 * accepted occurrence wins.
 */
function labelled<T>(
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

function acceptShort(max: number) {
  return (value: string): string | null => {
    const text = cleanText(value, max + 1);
    if (!text || text.length > max) return null;
    if (PLACED_RE.test(text) || TOTAL_RE.test(text) || ORDER_NO_RE.test(text) || SHIP_TO_RE.test(text)) return null;
    return text;
  };
}

function acceptOrderId(value: string): string | null {
  return ORDER_ID_IN_TEXT_RE.exec(value)?.[1] ?? null;
}

/** An absolute https URL on the page's origin, or null. */
function resolveHref(href: string | null, base: URL): URL | null {
  if (!href) return null;
  try {
    const u = new URL(href, base);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u : null;
  } catch {
    return null;
  }
}

function asinOfAnchor(a: Element, base: URL): string | null {
  const u = resolveHref(a.getAttribute('href'), base);
  if (!u || !/(^|\.)amazon\.[a-z.]+$/i.test(u.hostname)) return null;
  return ASIN_IN_PATH_RE.exec(u.pathname)?.[1] ?? null;
}

interface RawItem {
  key: string;
  asin: string | null;
  name: string | null;
  url: string | null;
  price: Money | null;
  quantity: number | null;
  seller: string | null;
}

/** One visible occurrence of an item: its title element and the box that holds only it. */
interface ItemInstance {
  title: Element;
  asin: string | null;
  name: string | null;
}

function findItemInstances(scope: Element, base: URL): ItemInstance[] {
  const instances: ItemInstance[] = [];
  const titled = new Set<string>();
  const imageOnly = new Map<string, Element>();
  const asinAnchors: Element[] = [];
  for (const a of Array.from(scope.querySelectorAll('a[href]'))) {
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
  for (const el of Array.from(scope.querySelectorAll(TITLE_HINT))) {
    if (isHidden(el)) continue;
    if (asinAnchors.some((a) => el.contains(a) || a.contains(el))) continue;
    if (instances.some((inst) => inst.title.contains(el) || el.contains(inst.title))) continue;
    const name = visibleText(el, 2000);
    if (name) instances.push({ title: el, asin: null, name });
  }
  return instances;
}

/** The highest ancestor of `inst` inside `scope` that holds no other item and no header label. */
function itemBox(inst: ItemInstance, all: ItemInstance[], scope: Element, stops: Set<Element>): Element {
  let box: Element = inst.title;
  for (let depth = 0, p = inst.title.parentElement; p && p !== scope && depth < 8; depth++, p = p.parentElement) {
    let clean = true;
    for (const other of all) {
      if (other !== inst && other.title !== inst.title && p.contains(other.title)) {
        clean = false;
        break;
      }
    }
    if (clean) for (const s of stops) if (p.contains(s)) { clean = false; break; }
    if (!clean) break;
    box = p;
  }
  return box;
}

function readItemDetails(box: Element): { price: Money | null; quantity: number | null; seller: string | null } {
  const chunks = visibleChunks(box, 400);
  let price: Money | null = null;
  const priceEl = box.querySelector('[data-component="unitPrice"]');
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
  const qtyEl = Array.from(box.querySelectorAll(QTY_HINT)).find((el) => !isHidden(el));
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
  const merchantEl = box.querySelector('[data-component="orderedMerchant"]');
  if (merchantEl) {
    const text = visibleText(merchantEl, 600);
    seller = text ? cleanText(text.replace(/^sold by\s*:?\s*/i, ''), 500) : null;
  }
  if (!seller) seller = labelled(chunks, SOLD_BY_RE, acceptShort(500));
  return { price, quantity, seller };
}

function extractItems(scope: Element, base: URL, stops: Set<Element>): RawItem[] {
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

function statusOf(scope: Element, chunks: Chunk[]): string | null {
  const seen: string[] = [];
  for (const el of Array.from(scope.querySelectorAll(STATUS_HINT))) {
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

function currencyFor(money: Money | null, marketplace: string | null): string | null {
  if (!money) return null;
  // "$" on amazon.com is US dollars; elsewhere a bare "$" is ambiguous.
  if (money.currency === 'USD' && marketplace !== 'amazon.com') return null;
  return money.currency;
}

interface OrderRead {
  order: Record<string, unknown>;
  items: Record<string, unknown>[];
  day: string | null;
}

function buildOrder(
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

function detailUrl(base: URL, id: string): string {
  return `${base.origin}/gp/your-account/order-details?orderID=${encodeURIComponent(id)}`;
}

/** Cards of a list page, each with its order id, found from visible order ids. */
function findCards(body: Element): Map<Element, string> {
  const cards = new Map<Element, string>();
  for (const chunk of visibleChunks(body)) {
    const id = ORDER_ID_IN_TEXT_RE.exec(chunk.text)?.[1];
    if (!id) continue;
    let card: Element | null = chunk.el.closest(CARD_HINT);
    if (!card) {
      // No class hint: the largest box holding only this order id (its parent
      // holds the next card too). On a page with a single order, the smallest
      // box holding the ORDER PLACED label and a product link instead, so the
      // page's recommendations stay out.
      let widest: Element | null = null;
      let labelledBox: Element | null = null;
      let withItems: Element | null = null;
      let split = false;
      for (let p = chunk.el.parentElement, depth = 0; p && p !== body && depth < 20; p = p.parentElement, depth++) {
        const text = p.textContent ?? '';
        const idsHere = new Set(Array.from(text.matchAll(ORDER_ID_GLOBAL_RE), (m) => m[1]));
        if (idsHere.size > 1) {
          split = true;
          break;
        }
        widest = p;
        if (!/order placed/i.test(text)) continue;
        labelledBox ??= p;
        if (!withItems && p.querySelector('a[href*="/dp/"], a[href*="/gp/product/"]')) withItems = p;
      }
      card = split && widest && /order placed/i.test(widest.textContent ?? '') ? widest : (withItems ?? labelledBox);
    }
    if (card && !cards.has(card) && ![...cards.values()].includes(id)) cards.set(card, id);
  }
  return cards;
}

function readCard(card: Element, id: string, base: URL, marketplace: string | null, warnings: BatchWarning[]): OrderRead {
  const chunks = visibleChunks(card);
  const labels = new Set<Element>();
  const day = labelled(chunks, PLACED_RE, parseMonthDate, labels);
  const total = labelled(chunks, TOTAL_RE, parseMoney, labels);
  const recipient = labelled(chunks, SHIP_TO_RE, acceptShort(100), labels);
  labelled(chunks, ORDER_NO_RE, acceptOrderId, labels);
  const link = Array.from(card.querySelectorAll('a[href*="order-details"]')).find((a) =>
    (a.getAttribute('href') ?? '').includes(id),
  );
  if (!day) warnings.push({ code: 'undated_order', message: 'An order card shows no readable ORDER PLACED date.', where: id });
  return buildOrder(
    {
      id,
      day,
      total,
      status: statusOf(card, chunks),
      recipient,
      payment: null,
      url: link ? detailUrl(base, id) : null,
      items: extractItems(card, base, labels),
    },
    marketplace,
  );
}

function hasMorePages(doc: Document, url: URL, startIndex: number): boolean {
  for (const pager of Array.from(doc.querySelectorAll('.a-pagination, [class*="pagination"]'))) {
    if (isHidden(pager)) continue;
    for (const a of Array.from(pager.querySelectorAll('a[href]'))) {
      const disabled = a.closest('.a-disabled, [aria-disabled="true"]') !== null;
      if (disabled) continue;
      const text = cleanText(a.textContent) ?? '';
      if (/^next\b/i.test(text) || a.closest('.a-last')) return true;
      const target = resolveHref(a.getAttribute('href'), url);
      const idx = Number(target?.searchParams.get('startIndex') ?? 'NaN');
      if (Number.isFinite(idx) && idx > startIndex) return true;
    }
  }
  return false;
}

function selectedFilter(doc: Document): string | null | undefined {
  const select = doc.querySelector(YEAR_SELECT);
  if (!select) return undefined;
  const option = select.querySelector('option[selected]');
  const value = option?.getAttribute('value') ?? (select as HTMLSelectElement).value;
  return value || null;
}

function accountHintOf(doc: Document, url: URL, marketplace: string | null): AccountHint | undefined {
  const greeting = cleanText(doc.getElementById('nav-link-accountList-nav-line-1')?.textContent, 200);
  if (!greeting || !marketplace) return undefined;
  const m = /^(?:hello|hi)\s*,?\s+(.+)$/i.exec(greeting);
  return m?.[1] ? accountHintFor(marketplace, m[1], `greeting on ${url.hostname}`) : undefined;
}

function claim(stream: string, start: string, end: string, completeness: 'full' | 'partial', evidence: string): CoverageClaim {
  return { stream, start, end, completeness, evidence: evidence.slice(0, 300) };
}

function bothStreams(start: string, end: string, completeness: 'full' | 'partial', evidence: string): CoverageClaim[] {
  return [claim('orders', start, end, completeness, evidence), claim('order_items', start, end, completeness, evidence)];
}

function toObservations(reads: OrderRead[]): Observation[] {
  const out: Observation[] = [];
  for (const r of reads) {
    out.push({ stream: 'orders', data: r.order });
    for (const item of r.items) out.push({ stream: 'order_items', data: item });
  }
  return out;
}

function layoutUnrecognized(what: string, accountHint: AccountHint | undefined): PageCapture {
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

function extractList(doc: Document, url: URL, marketplace: string | null, hint: AccountHint | undefined): PageCapture {
  const body = doc.body ?? doc.documentElement;
  const warnings: BatchWarning[] = [];
  const cards = findCards(body);
  const reads = [...cards].map(([card, id]) => readCard(card, id, url, marketplace, warnings));

  const filter = url.searchParams.get('timeFilter') ?? url.searchParams.get('orderFilter');
  const year = /^year-(\d{4})$/.exec(filter ?? '')?.[1] ?? null;
  const startRaw = url.searchParams.get('startIndex');
  const startIndex = startRaw === null || startRaw === '' ? 0 : Number(startRaw);
  const selected = selectedFilter(doc);
  const countText = cleanText(doc.querySelector('.num-orders')?.textContent);
  const shownCount = countText ? Number(ORDERS_COUNT_RE.exec(countText)?.[1] ?? NaN) : NaN;
  const recognised =
    reads.length > 0 ||
    selected !== undefined ||
    !Number.isNaN(shownCount) ||
    visibleChunks(body, 5000).some((c) => EMPTY_STATE_RE.test(c.text));
  if (!recognised) return layoutUnrecognized('orders', hint);

  const days = reads.map((r) => r.day).filter((d): d is string => d !== null).sort();
  const coverage: CoverageClaim[] = [];
  let full = false;
  let paging: PageCapture['paging'];
  if (year) {
    const next = hasMorePages(doc, url, Number.isFinite(startIndex) ? startIndex : 0);
    const onePage = startIndex === 0 && !next;
    const selectorAgrees = selected === undefined || selected === null || selected === filter;
    const outside = days.filter((d) => !d.startsWith(`${year}-`));
    if (outside.length > 0) {
      warnings.push({
        code: 'date_outside_filter',
        message: `Orders dated outside ${year} appeared on the ${year} list, so the page is not claimed complete.`,
        where: outside.slice(0, 5).join(', '),
      });
    }
    const countAgrees = Number.isNaN(shownCount) || shownCount === reads.length;
    if (!countAgrees && onePage) {
      warnings.push({
        code: 'count_mismatch',
        message: `Amazon says ${shownCount} orders were placed in ${year} but ${reads.length} could be read, so the page is not claimed complete.`,
      });
    }
    full = onePage && selectorAgrees && outside.length === 0 && countAgrees;
    // Where this page sits in the year: the background joins consecutive pages into one full year (src/background/page-runs.ts).
    const start = `${year}-01-01`;
    const end = `${year}-12-31`;
    if (selectorAgrees && !outside.length && startIndex >= 0) paging = { list: filter!, start, end, offset: startIndex, count: reads.length, next, total: shownCount || undefined };
    if (full) {
      const n = reads.length;
      coverage.push(
        ...bothStreams(
          start,
          end,
          'full',
          `Every order placed in ${year} (${n} ${n === 1 ? 'order' : 'orders'}) on one page of Your Orders`,
        ),
      );
    }
  }
  if (!full && days.length > 0) {
    const start = days[0] as string;
    const end = days[days.length - 1] as string;
    coverage.push(...bothStreams(start, end, 'partial', `${reads.length} orders on one Your Orders page (${start} to ${end})`));
  }
  return { observations: toObservations(reads), coverage, ...(hint ? { accountHint: hint } : {}), warnings, paging };
}

function extractDetail(doc: Document, url: URL, marketplace: string | null, hint: AccountHint | undefined): PageCapture {
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

  const scopes = Array.from(doc.querySelectorAll('[data-component="purchasedItems"]')).filter((el) => !isHidden(el));
  const items: RawItem[] = [];
  for (const scope of scopes.length > 0 ? scopes : [body]) {
    for (const item of extractItems(scope, url, labels)) {
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
      url: detailUrl(url, id),
      items,
    },
    marketplace,
  );
  const warnings: BatchWarning[] = [];
  if (!day) warnings.push({ code: 'undated_order', message: 'The order page shows no readable order date.', where: id });
  const coverage = day ? bothStreams(day, day, 'partial', `The details page of order ${id}`) : [];
  return { observations: toObservations([read]), coverage, ...(hint ? { accountHint: hint } : {}), warnings };
}

function isDetail(url: URL): boolean {
  return DETAIL_PATHS.some((re) => re.test(url.pathname));
}

function isList(url: URL): boolean {
  return LIST_PATHS.some((re) => re.test(url.pathname));
}

export const amazonPageExtractor: PageExtractor = {
  matches(url: URL): boolean {
    return (
      url.protocol === 'https:' &&
      (amazonMeta.hosts as readonly string[]).includes(url.hostname) &&
      (isList(url) || isDetail(url))
    );
  },
  extract(doc: Document, url: URL): PageCapture {
    if (!amazonPageExtractor.matches(url)) return { observations: [], coverage: [], warnings: [] };
    const marketplace = marketplaceOf(url.hostname);
    const hint = accountHintOf(doc, url, marketplace);
    return isDetail(url) ? extractDetail(doc, url, marketplace, hint) : extractList(doc, url, marketplace, hint);
  },
};
