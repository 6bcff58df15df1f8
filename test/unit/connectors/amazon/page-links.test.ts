// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { asinOfAnchor, linkBase } from '../../../../src/connectors/amazon/page-read';
import { ASIN_IN_PATH_RE } from '../../../../src/connectors/amazon/util';

/** What a link's ASIN is by definition: its URL parsed against the page's, on an Amazon host. */
function parsedAsin(href: string, page: URL): string | null {
  try {
    const u = new URL(href, page);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    return /(^|\.)amazon\.[a-z.]+$/i.test(u.hostname) ? (ASIN_IN_PATH_RE.exec(u.pathname)?.[1] ?? null) : null;
  } catch {
    return null;
  }
}

// Amazon's own links (read without parsing a URL) and forms the URL parser rewrites (dot segments, backslashes, tabs, escapes).
const HREFS = [
  '/dp/B0D5C1NDV8?ref_=ppx_hzod_title_dt_b_fed_asin_title_0_0',
  '/Moleskine-2025-Weekly-Planner-8.25/dp/B0D5C1NDV8/ref=x',
  '/gp/product/B09V3JN27K#reviews',
  '/gp/aw/d/B09V3JN27K',
  '/x/../dp/B0AAAAAAA2',
  '/dp/B0AAAAAAA3/..',
  '/./dp/B0AAAAAAA4',
  '/dp/B0AAAAAAA5/.x',
  '/dp\\B0AAAAAAA6',
  '/d\tp/B0AAAAAAA7',
  '/dp/%42%30AAAAAAA8',
  '/dp/B0AAAAAAA9%2F',
  '/dp/B0AAAAAA10 x',
  ' /dp/B0AAAAAA11',
  '/dp/B0AAAAAA12{',
  '/dp/b0aaaaaa13',
  '//evil.example/dp/B0AAAAAA14',
  'https://www.amazon.com/dp/B0AAAAAA15',
  'https://evil.example/dp/B0AAAAAA16',
  'dp/B0AAAAAA17',
  '?/dp/B0AAAAAA18',
  'javascript:void(0)',
  '/gp/your-account/order-details?orderID=111-9046637-2285410',
];

describe('asinOfAnchor', () => {
  for (const page of ['https://www.amazon.com/your-orders/orders', 'https://www.amazon.com/gp/your-account/order-details?orderID=1', 'https://www.amazon.com/dp/B0BSHF7WHW', 'https://shop.example/your-orders/orders']) {
    it(`reads every link on ${page} as the URL parser does`, () => {
      const base = new URL(page);
      const a = document.createElement('a');
      for (const href of HREFS) {
        a.setAttribute('href', href);
        expect(asinOfAnchor(a, linkBase(base)), href).toBe(parsedAsin(href, base));
      }
    });
  }

  it('reads the product links of the list page', () => {
    const a = document.createElement('a');
    a.setAttribute('href', '/dp/B0D5C1NDV8?ref_=ppx_hzod_title_dt_b_fed_asin_title_0_0');
    expect(asinOfAnchor(a, linkBase(new URL('https://www.amazon.com/your-orders/orders')))).toBe('B0D5C1NDV8');
  });
});
