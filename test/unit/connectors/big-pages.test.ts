// @vitest-environment happy-dom
/**
 * The 100-item pages the capture bench and the e2e budget checks time
 * (`test/fixtures/big-pages.ts`): each connector's extractor reads every item
 * of its page, so a timing never counts a page it could not read.
 */
import { describe, expect, it } from 'vitest';
import { amazonPageExtractor } from '../../../src/connectors/amazon/page';
import { chatgptPageExtractor } from '../../../src/connectors/chatgpt/page';
import { netflixPageExtractor } from '../../../src/connectors/netflix/page';
import { redditPageExtractor } from '../../../src/connectors/reddit/page';
import type { PageExtractor } from '../../../src/connectors/types';
import { xPageExtractor } from '../../../src/connectors/x/page';
import { youtubePageExtractor } from '../../../src/connectors/youtube/page';
import { BIG_PAGE_CONNECTORS, bigPage } from '../../fixtures/big-pages';
import { withCookie } from './x/helpers';

const EXTRACTORS: Record<(typeof BIG_PAGE_CONNECTORS)[number], PageExtractor> = {
  amazon: amazonPageExtractor,
  netflix: netflixPageExtractor,
  youtube: youtubePageExtractor,
  chatgpt: chatgptPageExtractor,
  x: xPageExtractor,
  reddit: redditPageExtractor,
};

describe('100-item pages', () => {
  for (const key of BIG_PAGE_CONNECTORS) {
    it(`${key}: every item is read, each once`, () => {
      const page = bigPage(key);
      const doc = new DOMParser().parseFromString(page.html, 'text/html');
      // The cookie a signed-in page carries (X reads the account from `twid`).
      for (const cookie of page.cookies ?? []) withCookie(doc, `${cookie.name}=${cookie.value}`);
      const items = EXTRACTORS[key].extract(doc, new URL(page.url)).observations.filter((o) => o.stream === page.stream);
      expect(items).toHaveLength(page.count);
      expect(new Set(items.map((o) => JSON.stringify(o.data))).size).toBe(page.count);
    }, 90_000); // a 700 KB page built and parsed twice by happy-dom: slow on a shared machine
  }
});
