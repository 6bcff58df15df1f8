/**
 * Amazon's Your Orders list: one card per visible order id, read by its
 * labels, and the year filter's claim (`full` only for a year on one page
 * whose count and dates agree; otherwise `partial` over the dates shown).
 */
import type { AccountHint, BatchWarning, CoverageClaim } from '../../core/model';
import type { PageCapture } from '../types';
import { ORDER_ID_IN_TEXT_RE, cleanText, parseMoney, parseMonthDate } from './util';
import {
  PLACED_RE,
  SHIP_TO_RE,
  TOTAL_RE,
  ORDER_NO_RE,
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
  queryAll,
  resolveHref,
  statusOf,
  toObservations,
  visibleChunks,
  type LinkBase,
  type OrderRead,
} from './page-read';

const ORDER_ID_GLOBAL_RE = new RegExp(ORDER_ID_IN_TEXT_RE.source, 'g');

const LIST_PATHS = [/^\/your-orders\/orders\b/, /^\/gp\/your-account\/order-history\b/, /^\/gp\/css\/order-history\b/];

/** Class hints for a whole order card; the text anchors decide when they are absent. */
const CARD_HINT = '.order-card, .js-order-card, .a-box-group.order, div.order';
const YEAR_SELECT = 'select#time-filter, select#orderFilter, select[name="timeFilter"], select[name="orderFilter"]';
const ORDERS_COUNT_RE = /\b(\d{1,5})\s+orders?\b/i;
const EMPTY_STATE_RE =
  /(?:have(?: not|n't) placed any orders|no orders (?:placed|found)|looks like you haven't placed an order|\b\d+\s+orders?\s+placed in\b)/i;

/** Cards of a list page, each with its order id, found from visible order ids. */
function findCards(body: Element): Map<Element, string> {
  const cards = new Map<Element, string>();
  const ids = new Set<string>();
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
    if (card && !cards.has(card) && !ids.has(id)) {
      cards.set(card, id);
      ids.add(id);
    }
  }
  return cards;
}

function readCard(card: Element, id: string, base: LinkBase, marketplace: string | null, warnings: BatchWarning[]): OrderRead {
  const chunks = visibleChunks(card);
  const labels = new Set<Element>();
  const day = labelled(chunks, PLACED_RE, parseMonthDate, labels);
  const total = labelled(chunks, TOTAL_RE, parseMoney, labels);
  const recipient = labelled(chunks, SHIP_TO_RE, acceptShort(100), labels);
  labelled(chunks, ORDER_NO_RE, acceptOrderId, labels);
  const link = queryAll(card, 'a[href*="order-details"]').find((a) =>
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
  // Every `.a-pagination` matches this too; one selector is a much cheaper query than a list.
  for (const pager of Array.from(doc.querySelectorAll('[class*="pagination"]'))) {
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

export function extractList(doc: Document, url: URL, marketplace: string | null, hint: AccountHint | undefined): PageCapture {
  const body = doc.body ?? doc.documentElement;
  const warnings: BatchWarning[] = [];
  const cards = findCards(body);
  const link = linkBase(url);
  const reads = [...cards].map(([card, id]) => readCard(card, id, link, marketplace, warnings));

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

export function isList(url: URL): boolean {
  return LIST_PATHS.some((re) => re.test(url.pathname));
}
