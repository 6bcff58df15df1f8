// @vitest-environment happy-dom
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CoverageClaim, AccountHint, BatchWarning } from '../../../../src/core/model';
import { amazonConnector } from '../../../../src/connectors/amazon';
import { amazonMeta } from '../../../../src/connectors/amazon/meta';
import {
  AmazonOrder,
  AmazonOrderItem,
  orderItemsStream,
  ordersStream,
} from '../../../../src/connectors/amazon/streams';
import { AMAZON_PAGE_FIXTURES, expectations } from '../../../fixtures/amazon';
import { loadPage } from './helpers';

describe('amazonConnector', () => {
  it('combines meta, streams, extractor and parser', () => {
    expect(amazonConnector.key).toBe('amazon');
    expect(amazonConnector.hosts).toEqual(['www.amazon.com']);
    expect(amazonConnector.matches).toEqual([...amazonMeta.matches]);
    expect(amazonConnector.extractorVersion).toBe(amazonMeta.extractorVersion);
    expect(amazonConnector.parserVersion).toBe(amazonMeta.parserVersion);
    expect(amazonConnector.streams.map((s) => s.name)).toEqual(['orders', 'order_items']);
    expect(amazonConnector.artifactParsers.map((p) => p.id)).toEqual(['amazon-retail-order-history']);
    expect(amazonConnector.exportSteps.length).toBeGreaterThanOrEqual(4);
    expect(amazonConnector.exportSteps.join(' ')).toMatch(/Your Orders/);
    expect(amazonConnector.exportSteps.join(' ')).toMatch(/upload/i);
  });

  it('declares keys, event time and the cross-method rules', () => {
    expect(ordersStream).toMatchObject({
      primaryKey: ['id'],
      eventTimeField: 'order_date',
      crossMethodIdentity: true,
      crossMethodReconciliation: false,
    });
    expect(orderItemsStream).toMatchObject({
      primaryKey: ['id'],
      eventTimeField: 'order_date',
      crossMethodIdentity: true,
      crossMethodReconciliation: false,
    });
  });

  it('every page observation, claim, hint and warning validates', () => {
    for (const name of AMAZON_PAGE_FIXTURES) {
      const { doc, url } = loadPage(name);
      const cap = amazonConnector.pageExtractor.extract(doc, url);
      for (const o of cap.observations) {
        const stream = amazonConnector.streams.find((s) => s.name === o.stream);
        expect(stream, o.stream).toBeDefined();
        const parsed = stream?.schema.safeParse(o.data);
        expect(parsed?.success, `${name}: ${JSON.stringify(o.data)}`).toBe(true);
        for (const v of Object.values(o.data)) expect(v).not.toBe('');
      }
      for (const c of cap.coverage) expect(CoverageClaim.safeParse(c).success).toBe(true);
      for (const w of cap.warnings) expect(BatchWarning.safeParse(w).success).toBe(true);
      if (cap.accountHint) expect(AccountHint.safeParse(cap.accountHint).success).toBe(true);
      expect(cap.accountHint?.key ?? null).toBe(expectations.pages[name].accountKey);
      const exp = expectations.pages[name].coverage;
      if (exp) {
        expect(cap.coverage.map((c) => [c.start, c.end, c.completeness])).toEqual([
          [exp.start, exp.end, exp.completeness],
          [exp.start, exp.end, exp.completeness],
        ]);
      } else {
        expect(cap.coverage).toEqual([]);
      }
      expect(cap.observations.filter((o) => o.stream === 'order_items')).toHaveLength(expectations.pages[name].itemCount);
    }
  });
});

describe('schemas', () => {
  const order = { id: '111-2222222-3333333', order_date: '2024-01-15', order_total: '$1.00', order_total_cents: 100 };

  it('accept retail and digital ids and tolerate extra fields', () => {
    expect(AmazonOrder.safeParse(order).success).toBe(true);
    expect(AmazonOrder.safeParse({ id: 'D01-2222222-3333333' }).success).toBe(true);
    expect(AmazonOrder.safeParse({ ...order, future_field: { a: 1 } }).success).toBe(true);
    expect(AmazonOrder.safeParse({ ...order, ordered_at: '2023-02-08T03:41:19Z', order_total: null, order_total_cents: null }).success).toBe(true);
  });

  it('reject malformed ids, empty strings, unbounded text and non-ISO dates', () => {
    expect(AmazonOrder.safeParse({ ...order, id: '111-222-333' }).success).toBe(false);
    expect(AmazonOrder.safeParse({ ...order, delivery_status: '' }).success).toBe(false);
    expect(AmazonOrder.safeParse({ ...order, delivery_status: 'x'.repeat(501) }).success).toBe(false);
    expect(AmazonOrder.safeParse({ ...order, order_date: 'January 15, 2024' }).success).toBe(false);
    expect(AmazonOrder.safeParse({ ...order, order_total_cents: 1.5 }).success).toBe(false);
    expect(AmazonOrder.safeParse({ ...order, url: 'javascript:alert(1)' }).success).toBe(false);
    const item = { id: '111-2222222-3333333|B0BSHF7WHW', order_id: '111-2222222-3333333', item_key: 'B0BSHF7WHW', asin: 'B0BSHF7WHW' };
    expect(AmazonOrderItem.safeParse(item).success).toBe(true);
    expect(AmazonOrderItem.safeParse({ ...item, id: '111-2222222-3333333|name:mug', item_key: 'name:mug' }).success).toBe(true);
    expect(AmazonOrderItem.safeParse({ ...item, item_key: '' }).success).toBe(false);
    expect(AmazonOrderItem.safeParse({ ...item, asin: 'b0bshf7whw' }).success).toBe(false);
    expect(AmazonOrderItem.safeParse({ ...item, name: 'n'.repeat(2001) }).success).toBe(false);
    expect(AmazonOrderItem.safeParse({ ...item, quantity: -1 }).success).toBe(false);
  });

  it('keep order_date a calendar day and ordered_at an instant with its offset', () => {
    expect(AmazonOrder.safeParse({ ...order, order_date: '2023-02-08T03:41:19Z' }).success).toBe(false);
    expect(AmazonOrder.safeParse({ ...order, order_date: '2023-02-30' }).success).toBe(false);
    expect(AmazonOrder.safeParse({ ...order, order_date: null, ordered_at: null }).success).toBe(true);
    expect(AmazonOrder.safeParse({ ...order, ordered_at: '2023-02-08T03:41:19.000+01:00' }).success).toBe(true);
    expect(AmazonOrder.safeParse({ ...order, ordered_at: '2023-02-08' }).success).toBe(false);
    expect(AmazonOrder.safeParse({ ...order, ordered_at: '2023-02-08T03:41:19' }).success).toBe(false);
    const item = { id: '111-2222222-3333333|B0BSHF7WHW', order_id: '111-2222222-3333333', item_key: 'B0BSHF7WHW' };
    expect(AmazonOrderItem.safeParse({ ...item, order_date: '2023-02-08T03:41:19Z' }).success).toBe(false);
    expect(AmazonOrderItem.safeParse({ ...item, order_date: '2023-02-08', ordered_at: '2023-02-08T03:41:19Z' }).success).toBe(true);
  });

  it('require an item id that is its order id | item key (the record key)', () => {
    const item = { id: '111-2222222-3333333|B0BSHF7WHW', order_id: '111-2222222-3333333', item_key: 'B0BSHF7WHW' };
    const { id: _id, ...withoutId } = item;
    expect(AmazonOrderItem.safeParse(withoutId).success).toBe(false);
    expect(AmazonOrderItem.safeParse({ ...item, id: '111-2222222-3333333|B000000000' }).success).toBe(false);
    expect(AmazonOrderItem.safeParse({ ...item, id: 'B0BSHF7WHW' }).success).toBe(false);
  });

  it('declare the reference manifest’s field names and formats in their JSON Schema', () => {
    const orders = z.toJSONSchema(AmazonOrder, { io: 'input' }) as { properties: Record<string, { anyOf?: { type?: string; format?: string }[] }> };
    expect(Object.keys(orders.properties)).toEqual(expect.arrayContaining(['id', 'order_date', 'ordered_at', 'order_total', 'order_total_cents', 'delivery_status', 'recipient_name', 'payment_method_summary', 'item_count']));
    expect(Object.keys(orders.properties)).not.toEqual(expect.arrayContaining(['total']));
    expect(orders.properties.order_date?.anyOf?.[0]).toMatchObject({ type: 'string', format: 'date' });
    expect(orders.properties.ordered_at?.anyOf?.[0]).toMatchObject({ type: 'string', format: 'date-time' });
    const items = z.toJSONSchema(AmazonOrderItem, { io: 'input' }) as { properties: Record<string, { anyOf?: { format?: string }[] }>; required: string[] };
    expect(items.required).toEqual(['id', 'order_id', 'item_key']);
    expect(items.properties.order_date?.anyOf?.[0]).toMatchObject({ format: 'date' });
  });

  it('describe records in owner words', () => {
    expect(ordersStream.describe({ id: '111-2222222-3333333', order_date: '2023-02-08', order_total: '$49.16' })).toBe(
      'Order 111-2222222-3333333 · 2023-02-08 · $49.16',
    );
    expect(orderItemsStream.describe({ order_id: '111-2222222-3333333', name: 'Mug', quantity: 2 })).toBe(
      'Mug ×2 (order 111-2222222-3333333)',
    );
  });
});

describe('content-script weight', () => {
  it('the page modules and util.ts import only types, meta, util and each other', () => {
    for (const f of ['page.ts', 'page-list.ts', 'page-detail.ts', 'page-read.ts', 'page-visible.ts', 'util.ts', 'meta.ts']) {
      const src = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../../../src/connectors/amazon', f), 'utf8');
      const imports = [...src.matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)];
      for (const m of imports) {
        if (m[1]) continue; // import type: erased
        expect(['./meta', './util', './page-list', './page-detail', './page-read', './page-visible'], `${f} imports ${m[2]}`).toContain(m[2]);
      }
      expect(src).not.toMatch(/from '(zod|papaparse|fflate)'|from '\.\/streams'/);
      expect(src).not.toMatch(/new Date\(/);
    }
  });
});
