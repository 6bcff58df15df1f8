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
 *
 * The extractor here picks the page; list pages are read in `page-list.ts`,
 * detail pages in `page-detail.ts`, with what both share in `page-read.ts`.
 */
import type { AccountHint } from '../../core/model';
import type { PageCapture, PageExtractor } from '../types';
import { amazonMeta } from './meta';
import { extractDetail, isDetail } from './page-detail';
import { extractList, isList } from './page-list';
import { withVisibleIndex } from './page-read';
import { accountHintFor, cleanText, marketplaceOf } from './util';

function accountHintOf(doc: Document, url: URL, marketplace: string | null): AccountHint | undefined {
  const greeting = cleanText(doc.getElementById('nav-link-accountList-nav-line-1')?.textContent, 200);
  if (!greeting || !marketplace) return undefined;
  const m = /^(?:hello|hi)\s*,?\s+(.+)$/i.exec(greeting);
  return m?.[1] ? accountHintFor(marketplace, m[1], `greeting on ${url.hostname}`) : undefined;
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
    return withVisibleIndex(doc.body ?? doc.documentElement, () =>
      isDetail(url) ? extractDetail(doc, url, marketplace, hint) : extractList(doc, url, marketplace, hint),
    );
  },
};
