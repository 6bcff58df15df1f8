/**
 * Parses Amazon's "Request Your Data" order history:
 * `Retail.OrderHistory.N/Retail.OrderHistory.N.csv`, one row per item per
 * shipment. Numbered parts of one upload are parsed together.
 *
 * The CSV carries no account identity, so no account hint: the owner picks the
 * connection and order-id overlap confirms it. Coverage is always `partial`:
 * an export part cannot prove it is the whole history, and Gleaner never
 * tombstones from a file.
 */
import Papa from 'papaparse';
import { EventTime } from '../../core/model';
import type { BatchWarning, CoverageClaim, Observation } from '../../core/model';
import type { ArtifactFile, ArtifactParseResult, ArtifactParser } from '../types';
import {
  ASIN_RE,
  ORDER_ID_RE,
  cleanText,
  compact,
  formatCents,
  itemKey,
  marketplaceOf,
  parseMoney,
} from './util';

/** `Retail.OrderHistory.1.csv`, inside its folder or bare, also a browser's `Retail.OrderHistory.1 (1).csv`. */
export const ORDER_HISTORY_PATH_RE = /(^|[/\\])Retail\.OrderHistory\.\d+(?: ?\(\d+\))?\.csv$/i;

const MAX_WARNINGS_PER_CODE = 50;

type Row = Record<string, string | undefined>;

interface OrderAcc {
  id: string;
  date: string | null;
  /** Sum of Total Owed in cents; null once any row's amount is unknown. */
  totalCents: number | null;
  currency: string | null;
  status: string | null;
  recipient: string | null;
  payment: string | null;
  marketplace: string | null;
  items: Map<string, ItemAcc>;
}

interface ItemAcc {
  key: string;
  asin: string | null;
  name: string | null;
  unitPrice: number | null;
  quantity: number | null;
}

/** Reads a cell by header name, tolerant of case and stray spaces. */
function cellReader(fields: string[]): (row: Row, name: string) => string | null {
  const byNorm = new Map<string, string>();
  for (const f of fields) {
    const norm = f.replace(/^\uFEFF/, '').trim().toLowerCase();
    if (!byNorm.has(norm)) byNorm.set(norm, f);
  }
  return (row, name) => {
    const key = byNorm.get(name.toLowerCase());
    if (key === undefined) return null;
    const value = cleanText(row[key]);
    if (value === null || /^(?:not available|n\/a|null|none|-)$/i.test(value)) return null;
    return value;
  };
}

function isInstant(value: string): boolean {
  return EventTime.safeParse(value).success && !Number.isNaN(Date.parse(value));
}

function parseQuantity(value: string | null): number | null {
  if (value === null || !/^\d{1,6}$/.test(value)) return null;
  return Number(value);
}

/** "Dana Whitfield, 1200 Alder St, …" → "Dana Whitfield". Without a comma the name cannot be told from the address. */
function recipientOf(address: string | null): string | null {
  if (!address || !address.includes(',')) return null;
  const first = cleanText(address.split(',')[0], 201);
  return first && first.length <= 200 ? first : null;
}

export const amazonOrderHistoryParser: ArtifactParser = {
  id: 'amazon-retail-order-history',
  displayName: 'Amazon order history (Retail.OrderHistory CSV)',
  claims(path: string): boolean {
    return ORDER_HISTORY_PATH_RE.test(path);
  },
  parse(files: ArtifactFile[]): ArtifactParseResult {
    const warnings: BatchWarning[] = [];
    const warnCounts = new Map<string, number>();
    const warn = (w: BatchWarning): void => {
      const n = (warnCounts.get(w.code) ?? 0) + 1;
      warnCounts.set(w.code, n);
      if (n <= MAX_WARNINGS_PER_CODE) warnings.push({ ...w, message: w.message.slice(0, 500) });
    };
    const orders = new Map<string, OrderAcc>();
    const entries: string[] = [];
    const seenRows = new Set<string>();
    let rowsRead = 0;
    let skipped = 0;
    let failed = 0;

    const sorted = [...files].filter((f) => ORDER_HISTORY_PATH_RE.test(f.path)).sort((a, b) => a.path.localeCompare(b.path));
    for (const file of sorted) {
      const fileName = file.path.split(/[/\\]/).pop() ?? file.path;
      let text: string;
      try {
        text = file.text().replace(/^\uFEFF/, '');
      } catch {
        warn({ code: 'unreadable_file', message: 'This file could not be read as text.', where: fileName });
        continue;
      }
      const parsed = Papa.parse<Row>(text, { header: true, skipEmptyLines: 'greedy' });
      const fields = (parsed.meta.fields ?? []).map((f) => f.replace(/^\uFEFF/, ''));
      const cell = cellReader(parsed.meta.fields ?? []);
      if (!fields.some((f) => f.trim().toLowerCase() === 'order id')) {
        warn({ code: 'missing_columns', message: 'This file has no "Order ID" column; it does not look like Amazon order history.', where: fileName });
        rowsRead += parsed.data.length;
        failed += parsed.data.length;
        continue;
      }
      const shapeErrors = parsed.errors.filter((e) => e.type === 'FieldMismatch' && typeof e.row === 'number');
      for (const e of shapeErrors.slice(0, 5)) {
        warn({ code: 'csv_row_shape', message: e.message, where: `${fileName} row ${(e.row ?? 0) + 1}` });
      }
      let contributed = false;
      parsed.data.forEach((row, index) => {
        rowsRead++;
        const where = `${fileName} row ${index + 1}`;
        // An exact repeat of a row (the same part uploaded twice) would double quantities and totals.
        const fingerprint = JSON.stringify(fields.map((f) => row[f] ?? ''));
        if (seenRows.has(fingerprint)) {
          skipped++;
          warn({ code: 'duplicate_row', message: 'This row repeats an earlier row exactly and was counted once.', where });
          return;
        }
        seenRows.add(fingerprint);

        const id = cell(row, 'Order ID');
        if (!id) {
          failed++;
          warn({ code: 'missing_order_id', message: `Row ${index + 1} has no Order ID and was not imported.`, where });
          return;
        }
        if (!ORDER_ID_RE.test(id)) {
          failed++;
          warn({ code: 'bad_order_id', message: `Row ${index + 1} has an Order ID that is not an Amazon order id.`, where });
          return;
        }
        const dateRaw = cell(row, 'Order Date');
        const date = dateRaw && isInstant(dateRaw) ? dateRaw : null;
        if (!date) {
          warn({
            code: 'undated_row',
            message: `Row ${index + 1} (order ${id}) has no readable Order Date; the order was kept without a date.`,
            where,
          });
        }

        let order = orders.get(id);
        if (!order) {
          order = {
            id,
            date: null,
            totalCents: 0,
            currency: null,
            status: null,
            recipient: null,
            payment: null,
            marketplace: null,
            items: new Map(),
          };
          orders.set(id, order);
        }
        if (date && (order.date === null || Date.parse(date) < Date.parse(order.date))) order.date = date;
        order.currency ??= cell(row, 'Currency')?.toUpperCase().match(/^[A-Z]{3}$/)?.[0] ?? null;
        order.status ??= cleanText(cell(row, 'Order Status'), 500);
        order.recipient ??= recipientOf(cell(row, 'Shipping Address'));
        order.payment ??= cleanText(cell(row, 'Payment Instrument Type'), 500);
        const website = cell(row, 'Website');
        order.marketplace ??= website ? marketplaceOf(website) : null;
        // Total Owed is per row (per item per shipment), so an order's total is
        // the sum over its rows; one unknown amount makes the total unknown.
        const owed = parseMoney(cell(row, 'Total Owed'));
        order.totalCents = order.totalCents !== null && owed ? order.totalCents + owed.cents : null;

        const rawAsin = cell(row, 'ASIN')?.toUpperCase() ?? null;
        const asin = rawAsin && ASIN_RE.test(rawAsin) ? rawAsin : null;
        const name = cleanText(cell(row, 'Product Name'), 2000);
        const key = itemKey(asin, name);
        const quantity = parseQuantity(cell(row, 'Quantity'));
        if (!key) {
          warn({ code: 'item_unidentified', message: `Row ${index + 1} names no product (no ASIN, no name); only its order was kept.`, where });
        } else {
          const item = order.items.get(key);
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
        contributed = true;
      });
      if (contributed) entries.push(file.path);
    }

    const observations: Observation[] = [];
    const days: string[] = [];
    for (const order of orders.values()) {
      if (order.date) days.push(order.date.slice(0, 10));
      const hasTotal = order.totalCents !== null;
      observations.push({
        stream: 'orders',
        data: compact({
          id: order.id,
          order_date: order.date ?? undefined,
          total: hasTotal ? formatCents(order.totalCents as number, order.currency) : null,
          total_cents: order.totalCents,
          currency: order.currency ?? undefined,
          status: order.status ?? undefined,
          recipient: order.recipient ?? undefined,
          item_count: order.items.size > 0 ? order.items.size : undefined,
          payment_summary: order.payment ?? undefined,
          marketplace: order.marketplace ?? undefined,
        }),
      });
      for (const item of order.items.values()) {
        observations.push({
          stream: 'order_items',
          data: compact({
            order_id: order.id,
            item_key: item.key,
            asin: item.asin ?? undefined,
            name: item.name ?? undefined,
            unit_price: item.unitPrice !== null ? formatCents(item.unitPrice, order.currency) : null,
            unit_price_cents: item.unitPrice,
            quantity: item.quantity,
            order_date: order.date ?? undefined,
          }),
        });
      }
    }

    const coverage: CoverageClaim[] = [];
    if (days.length > 0) {
      days.sort();
      const start = days[0] as string;
      const end = days[days.length - 1] as string;
      const evidence = `Amazon order history export: ${orders.size} orders dated ${start} to ${end} (an export part is never claimed complete)`;
      coverage.push(
        { stream: 'orders', start, end, completeness: 'partial', evidence },
        { stream: 'order_items', start, end, completeness: 'partial', evidence },
      );
    }
    for (const [code, n] of warnCounts) {
      if (n > MAX_WARNINGS_PER_CODE) {
        warnings.push({ code, message: `${n - MAX_WARNINGS_PER_CODE} more "${code}" warnings were not listed.` });
      }
    }
    return { observations, coverage, warnings, rowsRead, skipped, failed, entries };
  },
};
