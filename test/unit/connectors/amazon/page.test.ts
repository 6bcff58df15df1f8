// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { amazonPageExtractor } from '../../../../src/connectors/amazon/page';
import { AMAZON_PAGE_FIXTURES, expectations } from '../../../fixtures/amazon';
import { find, ids, loadPage } from './helpers';

const extract = (name: Parameters<typeof loadPage>[0], url?: string) => {
  const { doc, url: u } = loadPage(name, url);
  return amazonPageExtractor.extract(doc, u);
};

describe('amazonPageExtractor.matches', () => {
  it.each([
    'https://www.amazon.com/your-orders/orders',
    'https://www.amazon.com/your-orders/orders?timeFilter=year-2024&startIndex=10',
    'https://www.amazon.com/gp/your-account/order-history?orderFilter=year-2019',
    'https://www.amazon.com/gp/your-account/order-history/ref=ppx_yo_dt_b_pagination_1_2?ie=UTF8&orderFilter=year-2019&startIndex=10',
    'https://www.amazon.com/gp/css/order-history?ref_=nav_orders_first',
    'https://www.amazon.com/gp/your-account/order-details?orderID=113-2094417-6670231',
    'https://www.amazon.com/gp/css/summary/edit.html?orderID=113-2094417-6670231',
  ])('reads %s', (u) => {
    expect(amazonPageExtractor.matches(new URL(u))).toBe(true);
  });

  it.each([
    'https://www.amazon.com/dp/B0BSHF7WHW',
    'https://www.amazon.com/gp/cart/view.html',
    'https://www.amazon.com/',
    'http://www.amazon.com/your-orders/orders',
    'https://www.amazon.co.uk/your-orders/orders',
    'https://evil.example/your-orders/orders',
    'https://www.amazon.com.evil.example/your-orders/orders',
  ])('ignores %s', (u) => {
    expect(amazonPageExtractor.matches(new URL(u))).toBe(false);
  });

  it('returns nothing for a page it does not match', () => {
    const { doc } = loadPage('orders-2024-dana.html');
    expect(amazonPageExtractor.extract(doc, new URL('https://www.amazon.com/dp/B0BSHF7WHW'))).toEqual({
      observations: [],
      coverage: [],
      warnings: [],
    });
  });
});

describe("Dana's 2024 list (whole year on one page)", () => {
  const cap = extract('orders-2024-dana.html');

  it('reads every order id in page order', () => {
    expect(ids(cap.observations)).toEqual(expectations.pages['orders-2024-dana.html'].orderIds);
    expect(cap.warnings).toEqual([]);
  });

  it('reads dates as local calendar days, with no UTC shift', () => {
    const dates = cap.observations.filter((o) => o.stream === 'orders').map((o) => o.data.order_date);
    expect(dates).toEqual(['2024-12-31', '2024-07-04', '2024-03-03', '2024-01-15']);
  });

  it('reads totals as displayed and in integer cents', () => {
    const big = find(cap.observations, 'orders', (d) => d.id === '112-7781520-4419843');
    expect(big).toMatchObject({ order_total: '$1,234.56', order_total_cents: 123456, currency: 'USD', marketplace: 'amazon.com' });
    const small = find(cap.observations, 'orders', (d) => d.id === '114-3358190-0917625');
    expect(small.order_total_cents).toBe(1299);
  });

  it('reads status, recipient name (not the hidden address), item count and the details link', () => {
    const order = find(cap.observations, 'orders', (d) => d.id === '113-2094417-6670231');
    expect(order).toEqual({
      id: '113-2094417-6670231',
      order_date: '2024-01-15',
      order_total: '$45.98',
      order_total_cents: 4598,
      currency: 'USD',
      delivery_status: 'Delivered January 18',
      recipient_name: 'Dana Whitfield',
      item_count: 2,
      marketplace: 'amazon.com',
      url: 'https://www.amazon.com/gp/your-account/order-details?orderID=113-2094417-6670231',
    });
  });

  it('reads items by ASIN, with canonical links and the quantity badge', () => {
    const items = cap.observations.filter((o) => o.stream === 'order_items' && o.data.order_id === '113-2094417-6670231');
    expect(items.map((o) => o.data)).toEqual([
      {
        id: '113-2094417-6670231|B0BSHF7WHW',
        order_id: '113-2094417-6670231',
        item_key: 'B0BSHF7WHW',
        asin: 'B0BSHF7WHW',
        name: 'Lodge Cast Iron Skillet, 10.25 Inch, Pre-Seasoned, Black',
        url: 'https://www.amazon.com/dp/B0BSHF7WHW',
        order_date: '2024-01-15',
      },
      {
        id: '113-2094417-6670231|B09V3JN27K',
        order_id: '113-2094417-6670231',
        item_key: 'B09V3JN27K',
        asin: 'B09V3JN27K',
        name: 'OXO Good Grips 3-Piece Silicone Spatula Set',
        url: 'https://www.amazon.com/dp/B09V3JN27K',
        quantity: 2,
        order_date: '2024-01-15',
      },
    ]);
  });

  it('keys an item without an ASIN link by its normalised name', () => {
    const gift = find(cap.observations, 'order_items', (d) => d.order_id === '114-3358190-0917625');
    expect(gift).toEqual({
      id: '114-3358190-0917625|name:amazon.com gift card in a greeting card - fireworks design',
      order_id: '114-3358190-0917625',
      item_key: 'name:amazon.com gift card in a greeting card - fireworks design',
      name: 'Amazon.com Gift Card in a Greeting Card - Fireworks Design',
      order_date: '2024-07-04',
    });
    expect(gift).not.toHaveProperty('asin');
  });

  it('claims the whole of 2024, fully, for both streams', () => {
    expect(cap.coverage).toEqual([
      expect.objectContaining({ stream: 'orders', start: '2024-01-01', end: '2024-12-31', completeness: 'full' }),
      expect.objectContaining({ stream: 'order_items', start: '2024-01-01', end: '2024-12-31', completeness: 'full' }),
    ]);
    expect(cap.coverage[0]?.evidence).toMatch(/2024/);
  });

  it("hints Dana's account from the greeting", () => {
    expect(cap.accountHint).toEqual({
      key: 'amazon.com|dana',
      label: 'Dana on amazon.com',
      evidence: 'greeting on www.amazon.com',
    });
  });

  it('never includes hidden or unrelated page content', () => {
    const json = JSON.stringify(cap);
    expect(json).not.toContain('Alder'); // the SHIP TO popover address
    expect(json).not.toContain('97209');
    expect(json).not.toContain('Bodum'); // the recommendations carousel
    expect(json).not.toContain('B00008XEWE');
    expect(json).not.toContain('Printable Order Summary');
    expect(json).not.toContain('ref_=');
  });

  it('emits no empty strings', () => {
    for (const o of cap.observations) for (const v of Object.values(o.data)) expect(v).not.toBe('');
  });
});

describe("Dana's 2023 list", () => {
  const cap = extract('orders-2023-dana.html');

  it('reads three orders and claims 2023 fully, though an archived export-only order is absent', () => {
    const seen = ids(cap.observations);
    expect(seen).toEqual(['112-5501873-9920466', '113-6624917-2208145', '111-8846102-3392817']);
    for (const id of expectations.overlap.archivedExportOnly) expect(seen).not.toContain(id);
    expect(cap.coverage.map((c) => [c.stream, c.start, c.end, c.completeness])).toEqual([
      ['orders', '2023-01-01', '2023-12-31', 'full'],
      ['order_items', '2023-01-01', '2023-12-31', 'full'],
    ]);
  });

  it('shows the order the CSV dates 2023-02-08T03:41Z on its local day', () => {
    const order = find(cap.observations, 'orders', (d) => d.id === expectations.overlap.dayDiffersAcrossMethods);
    expect(order.order_date).toBe('2023-02-07');
    expect(order.order_total_cents).toBe(4916);
    expect(order).not.toHaveProperty('ordered_at');
  });

  it('uses the same ASIN keys as the export for shared orders', () => {
    expect(ids(cap.observations.filter((o) => o.data.order_id === '113-6624917-2208145'), 'order_items')).toEqual([
      'B0C1H26C46',
      'B08L5NP6NG',
    ]);
  });
});

describe("Sam's 2024 list (older layout, /gp/product links, digital order)", () => {
  const cap = extract('orders-2024-sam.html');

  it('reads both orders, including a D01 digital order id', () => {
    expect(ids(cap.observations)).toEqual(['D01-4471936-2813057', '114-8392015-6604728']);
    expect(find(cap.observations, 'orders', (d) => d.id === 'D01-4471936-2813057')).toMatchObject({
      order_date: '2024-09-09',
      order_total_cents: 999,
    });
  });

  it('reads /gp/product/<ASIN> items with their price and seller', () => {
    expect(find(cap.observations, 'order_items', (d) => d.order_id === '114-8392015-6604728')).toEqual({
      id: '114-8392015-6604728|B0CHX1W1XY',
      order_id: '114-8392015-6604728',
      item_key: 'B0CHX1W1XY',
      asin: 'B0CHX1W1XY',
      name: 'Coleman Sundome 4-Person Camping Tent with Rainfly, Navy',
      url: 'https://www.amazon.com/dp/B0CHX1W1XY',
      unit_price: '$59.99',
      unit_price_cents: 5999,
      seller: 'Coleman Direct',
      order_date: '2024-05-20',
    });
  });

  it('leaves the recipient out of a digital order that has none', () => {
    const digital = find(cap.observations, 'orders', (d) => d.id === 'D01-4471936-2813057');
    expect(digital).not.toHaveProperty('recipient_name');
    expect(find(cap.observations, 'orders', (d) => d.id === '114-8392015-6604728').recipient_name).toBe('Sam Okafor');
  });

  it("hints Sam's account, distinct from Dana's", () => {
    expect(cap.accountHint?.key).toBe('amazon.com|sam');
    expect(cap.accountHint?.label).toBe('Sam on amazon.com');
  });

  it('treats a disabled Next link as the last page (full claim)', () => {
    expect(cap.coverage.map((c) => c.completeness)).toEqual(['full', 'full']);
    expect(cap.coverage[0]).toMatchObject({ start: '2024-01-01', end: '2024-12-31' });
  });
});

describe("Dana's 2024 page 1 (enabled Next link)", () => {
  const cap = extract('orders-2024-dana-page1.html');

  it('claims only what it shows, partially', () => {
    expect(ids(cap.observations)).toEqual(['111-9046637-2285410', '114-3358190-0917625']);
    expect(cap.coverage.map((c) => [c.stream, c.start, c.end, c.completeness])).toEqual([
      ['orders', '2024-07-04', '2024-12-31', 'partial'],
      ['order_items', '2024-07-04', '2024-12-31', 'partial'],
    ]);
    expect(cap.warnings).toEqual([]);
  });
});

describe('coverage rules', () => {
  it('a later page (startIndex > 0) is partial even without a Next link', () => {
    const cap = extract('orders-2024-dana.html', 'https://www.amazon.com/your-orders/orders?timeFilter=year-2024&startIndex=10');
    expect(cap.coverage.map((c) => c.completeness)).toEqual(['partial', 'partial']);
    expect(cap.coverage[0]).toMatchObject({ start: '2024-01-15', end: '2024-12-31' });
  });

  it('a list without a year filter is partial over the days seen', () => {
    const cap = extract('orders-2024-dana.html', 'https://www.amazon.com/your-orders/orders');
    expect(cap.coverage).toHaveLength(2);
    expect(cap.coverage[0]).toMatchObject({ completeness: 'partial', start: '2024-01-15', end: '2024-12-31' });
  });

  it('a year selector that disagrees with the URL is not trusted for a full claim', () => {
    const { doc, url } = loadPage('orders-2024-dana.html');
    const select = doc.querySelector('select#time-filter');
    select?.querySelector('option[selected]')?.removeAttribute('selected');
    select?.querySelector('option[value="year-2023"]')?.setAttribute('selected', '');
    const cap = amazonPageExtractor.extract(doc, url);
    expect(cap.coverage.map((c) => c.completeness)).toEqual(['partial', 'partial']);
  });

  it('fewer cards than the "N orders" count is partial, with a warning', () => {
    const { doc, url } = loadPage('orders-2024-dana.html');
    doc.querySelector('.js-order-card')?.remove();
    const cap = amazonPageExtractor.extract(doc, url);
    expect(ids(cap.observations)).toHaveLength(3);
    expect(cap.coverage.map((c) => c.completeness)).toEqual(['partial', 'partial']);
    expect(cap.warnings.map((w) => w.code)).toEqual(['count_mismatch']);
  });

  it('an empty year with no pagination is a full claim with zero observations', () => {
    const { doc, url } = loadPage('orders-2024-dana.html');
    for (const card of Array.from(doc.querySelectorAll('.js-order-card'))) card.remove();
    const count = doc.querySelector('.num-orders');
    if (count) count.textContent = '0 orders';
    const cap = amazonPageExtractor.extract(doc, url);
    expect(cap.observations).toEqual([]);
    expect(cap.warnings).toEqual([]);
    expect(cap.coverage.map((c) => [c.stream, c.start, c.end, c.completeness])).toEqual([
      ['orders', '2024-01-01', '2024-12-31', 'full'],
      ['order_items', '2024-01-01', '2024-12-31', 'full'],
    ]);
    expect(cap.coverage[0]?.evidence).toContain('0 orders');
  });

  it('an order dated outside the filtered year prevents a full claim', () => {
    const { doc, url } = loadPage('orders-2024-dana.html', 'https://www.amazon.com/your-orders/orders?timeFilter=year-2023');
    const select = doc.querySelector('select#time-filter');
    select?.querySelector('option[selected]')?.removeAttribute('selected');
    const cap = amazonPageExtractor.extract(doc, url);
    expect(cap.coverage.map((c) => c.completeness)).toEqual(['partial', 'partial']);
    expect(cap.warnings.map((w) => w.code)).toContain('date_outside_filter');
  });
});

describe('order detail page', () => {
  const cap = extract('order-details-dana.html');

  it('reads the order with payment, total and recipient from data-component parts', () => {
    expect(cap.observations.filter((o) => o.stream === 'orders').map((o) => o.data)).toEqual([
      {
        id: '113-2094417-6670231',
        order_date: '2024-01-15',
        order_total: '$45.98',
        order_total_cents: 4598,
        currency: 'USD',
        delivery_status: 'Delivered January 18, 2024',
        recipient_name: 'Dana Whitfield',
        item_count: 2,
        payment_method_summary: 'Visa ending in 4242',
        marketplace: 'amazon.com',
        url: 'https://www.amazon.com/gp/your-account/order-details?orderID=113-2094417-6670231',
      },
    ]);
  });

  it('reads items with unit price, seller and quantity, keyed like the list page', () => {
    const items = cap.observations.filter((o) => o.stream === 'order_items').map((o) => o.data);
    expect(items).toEqual([
      expect.objectContaining({
        id: '113-2094417-6670231|B0BSHF7WHW',
        item_key: 'B0BSHF7WHW',
        unit_price: '$19.99',
        unit_price_cents: 1999,
        seller: 'Amazon.com Services, Inc',
        order_date: '2024-01-15',
      }),
      expect.objectContaining({
        item_key: 'B09V3JN27K',
        unit_price: '$11.75',
        unit_price_cents: 1175,
        quantity: 2,
        seller: 'Kitchen Harbor Supply',
      }),
    ]);
    expect(items[0]).not.toHaveProperty('quantity');
  });

  it("claims that order's day, partially", () => {
    expect(cap.coverage.map((c) => [c.stream, c.start, c.end, c.completeness])).toEqual([
      ['orders', '2024-01-15', '2024-01-15', 'partial'],
      ['order_items', '2024-01-15', '2024-01-15', 'partial'],
    ]);
    expect(cap.accountHint?.key).toBe('amazon.com|dana');
  });

  it('never stores the street address', () => {
    expect(JSON.stringify(cap)).not.toContain('Alder');
  });

  it('warns when a detail page shows no order at all', () => {
    const { doc } = loadPage('orders-changed-layout.html');
    const out = amazonPageExtractor.extract(
      doc,
      new URL('https://www.amazon.com/gp/your-account/order-details?orderID=113-2094417-6670231'),
    );
    expect(out.observations).toEqual([]);
    expect(out.warnings.map((w) => w.code)).toEqual(['layout_unrecognized']);
  });
});

describe('unrecognised layout', () => {
  it('returns no observations and no coverage, with a layout_unrecognized warning', () => {
    const cap = extract('orders-changed-layout.html');
    expect(cap.observations).toEqual([]);
    expect(cap.coverage).toEqual([]);
    expect(cap.warnings).toHaveLength(1);
    expect(cap.warnings[0]?.code).toBe('layout_unrecognized');
  });
});

describe('account hint', () => {
  it('gives none when the greeting says "Hello, sign in"', () => {
    const { doc, url } = loadPage('orders-2024-dana.html');
    const greeting = doc.getElementById('nav-link-accountList-nav-line-1');
    if (greeting) greeting.textContent = 'Hello, sign in';
    const cap = amazonPageExtractor.extract(doc, url);
    expect(cap.accountHint).toBeUndefined();
    expect(cap).not.toHaveProperty('accountHint');
    expect(ids(cap.observations)).toHaveLength(4);
  });

  it('gives none when the greeting is missing', () => {
    const { doc, url } = loadPage('orders-2024-sam.html');
    doc.getElementById('nav-link-accountList-nav-line-1')?.remove();
    expect(amazonPageExtractor.extract(doc, url).accountHint).toBeUndefined();
  });

  it('normalises case and spacing of the name into the key', () => {
    const { doc, url } = loadPage('orders-2024-sam.html');
    const greeting = doc.getElementById('nav-link-accountList-nav-line-1');
    if (greeting) greeting.textContent = '  Hello,   Sam  Okafor ';
    expect(amazonPageExtractor.extract(doc, url).accountHint).toEqual({
      key: 'amazon.com|sam okafor',
      label: 'Sam Okafor on amazon.com',
      evidence: 'greeting on www.amazon.com',
    });
  });
});

describe('hidden text inside order cards', () => {
  /** Each card's first child: text that would change the card's date, total, status and items if it were read. */
  const HIDDEN_FIRST =
    '<div class="a-popover-preload"><span class="a-text-caps">Order placed</span><span>March 3, 2020</span>' +
    '<span>Total</span><span>$1.00</span><a href="/dp/B0HIDDEN01">Hidden popover gadget</a></div>' +
    '<span class="delivery-box__primary-text" style="DISPLAY : None">Cancelled by popover</span>' +
    '<div aria-hidden="true"><div class="yohtmlc-product-title">Hidden aria title</div></div>';
  const CARD = '.order-card, .js-order-card';

  for (const layout of ['with card classes', 'without card classes'] as const) {
    it(`reads none of it, ${layout}`, () => {
      const read = (hide: boolean) => {
        const { doc, url } = loadPage('orders-2024-dana.html');
        const cards = Array.from(doc.querySelectorAll(CARD));
        if (hide) for (const card of cards) card.insertAdjacentHTML('afterbegin', HIDDEN_FIRST);
        if (layout === 'without card classes') for (const card of cards) card.classList.remove('order-card', 'js-order-card');
        return amazonPageExtractor.extract(doc, url);
      };
      const plain = read(false);
      const withHidden = read(true);
      expect(ids(plain.observations)).toEqual(expectations.pages['orders-2024-dana.html'].orderIds);
      expect(withHidden).toEqual(plain);
      const json = JSON.stringify(withHidden);
      for (const word of ['2020', 'B0HIDDEN01', 'popover', 'Hidden aria']) expect(json).not.toContain(word);
    });
  }

  it('reads labels and values written with no-break and zero-width spaces as the plain ones', () => {
    const { doc, url } = loadPage('orders-2024-dana.html');
    for (const card of Array.from(doc.querySelectorAll(CARD))) {
      const label = card.querySelector('.a-text-caps');
      if (label) label.textContent = '\u200bOrder\u00a0\u00a0placed ';
    }
    expect(amazonPageExtractor.extract(doc, url)).toEqual(extract('orders-2024-dana.html'));
  });

  it('joins status lines from different hints in page order', () => {
    const { doc, url } = loadPage('orders-2024-dana.html');
    const card = doc.querySelector(CARD);
    const primary = card?.querySelector('.delivery-box__primary-text');
    if (!card || !primary) throw new Error('fixture changed');
    primary.insertAdjacentHTML('beforebegin', '<span class="od-status-message">Refunded</span>');
    primary.insertAdjacentHTML('afterend', '<span data-component="shipmentStatus">Return started</span>');
    const order = find(amazonPageExtractor.extract(doc, url).observations, 'orders', (d) => d.id === '111-9046637-2285410');
    expect(order.delivery_status).toBe('Refunded; Delivered January 3; Return started');
  });
});

describe('robustness', () => {
  it('finds cards by their labels and ids when the card classes are gone', () => {
    const { doc, url } = loadPage('orders-2024-dana.html');
    for (const el of Array.from(doc.querySelectorAll('.order-card, .js-order-card'))) {
      el.classList.remove('order-card', 'js-order-card');
    }
    const cap = amazonPageExtractor.extract(doc, url);
    expect(ids(cap.observations)).toEqual(expectations.pages['orders-2024-dana.html'].orderIds);
    expect(find(cap.observations, 'orders', (d) => d.id === '112-7781520-4419843').order_total_cents).toBe(123456);
    expect(ids(cap.observations, 'order_items')).toHaveLength(5);
    expect(JSON.stringify(cap)).not.toContain('Bodum');
  });

  it('reads labels whatever their letter case', () => {
    const { doc, url } = loadPage('orders-2024-dana.html');
    for (const el of Array.from(doc.querySelectorAll('.a-text-caps'))) el.textContent = (el.textContent ?? '').toUpperCase();
    const cap = amazonPageExtractor.extract(doc, url);
    expect(cap.observations.filter((o) => o.stream === 'orders').map((o) => o.data.order_date)).toEqual([
      '2024-12-31',
      '2024-07-04',
      '2024-03-03',
      '2024-01-15',
    ]);
  });

  it('scales to many cards', () => {
    const { doc, url } = loadPage('orders-2024-dana.html');
    const template = doc.querySelector('.order-card__list');
    const parent = template?.parentElement;
    if (!template || !parent) throw new Error('fixture changed');
    for (const card of Array.from(parent.querySelectorAll('.order-card__list'))) card.remove();
    for (let i = 0; i < 60; i++) {
      const clone = template.cloneNode(true) as Element;
      const idEl = clone.querySelector('.yohtmlc-order-id span[dir="ltr"]');
      if (idEl) idEl.textContent = `111-${String(1000000 + i)}-2285410`;
      parent.appendChild(clone);
    }
    const t0 = performance.now();
    const cap = amazonPageExtractor.extract(doc, url);
    const ms = performance.now() - t0;
    expect(ids(cap.observations)).toHaveLength(60);
    expect(ms).toBeLessThan(3000);
  });

  it('reads a page changed since its last extraction as a fresh copy of it', () => {
    const change = (doc: Document) => {
      const cards = Array.from(doc.querySelectorAll('.order-card'));
      cards[0]?.remove();
      cards[2]?.insertAdjacentHTML('afterbegin', '<div class="a-popover-preload"><span>Order placed</span><span>March 3, 2020</span></div>');
      if (cards[1]) cards[3]?.after(cards[1]);
    };
    const { doc, url } = loadPage('orders-2024-dana.html');
    amazonPageExtractor.extract(doc, url);
    change(doc);
    const again = amazonPageExtractor.extract(doc, url);
    const fresh = loadPage('orders-2024-dana.html');
    change(fresh.doc);
    expect(again).toEqual(amazonPageExtractor.extract(fresh.doc, fresh.url));
    expect(ids(again.observations)).toHaveLength(3);
  });

  it('extracts every fixture without throwing', () => {
    for (const name of AMAZON_PAGE_FIXTURES) {
      const cap = extract(name);
      expect(ids(cap.observations)).toEqual(expectations.pages[name].orderIds);
      expect(cap.warnings.map((w) => w.code)).toEqual(expectations.pages[name].warningCodes);
    }
  });
});
