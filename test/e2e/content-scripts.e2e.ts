/**
 * Every connector's content script on its 100-item page (issue 13), in
 * Chromium with the built extension: the bundle is under 30 KB, and the
 * page extractor, run in the content script's own world on that page served
 * at the service's real host, reads all 100 items.
 *
 * How fast it reads them is the bench's to judge (`BENCH_ONLY=capture npm
 * run bench`: milliseconds and the ratio to one plain read of the page, in
 * the same run), not a timed test on a shared machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIG_PAGE_CONNECTORS, bigPage } from '../fixtures/big-pages';
import { EXTENSION_DIR, launchExtension, type ExtensionSession } from './support/extension';
import { contentScriptBytes, itemsRead } from './support/extract-timing';

let session: ExtensionSession;
beforeAll(async () => {
  session = await launchExtension();
}, 60_000);
afterAll(async () => {
  await session?.close();
});

describe('Content scripts on a 100-item page', () => {
  for (const key of BIG_PAGE_CONNECTORS) {
    it(`${key}: under 30 KB, and all 100 items read in the content script's world`, async () => {
      expect(contentScriptBytes(EXTENSION_DIR, key)).toBeLessThan(30 * 1024);
      const page = bigPage(key);
      expect(page.count).toBe(100);
      expect(await itemsRead(session, page)).toBe(100);
    });
  }
});
