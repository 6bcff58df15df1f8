/**
 * Times a connector's page extractor where it runs: in the content script's
 * isolated world of a page served at the service's real host, with the built
 * extension loaded (its own content script has run there too).
 *
 * Nothing for timing ships in the extension: the extractor is bundled here
 * from its source (`src/connectors/<key>/page.ts`, minified as the build is)
 * and evaluated through CDP in the isolated world Chromium made for Gleaner's
 * content script on that page, so it sees the same DOM, the same world and
 * the same JIT as the shipped copy. Used by `scripts/bench/capture.ts`, and
 * by test/e2e/content-scripts.e2e.ts (`itemsRead`).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import type { CDPSession } from 'playwright-core';
import type { BigPage } from '../../fixtures/big-pages';
import type { ExtensionSession } from './extension';
import { median } from '../../support/median';

export interface ExtractTiming {
  /** Observations of the page's item stream in one extraction (the page's `count` when read correctly). */
  items: number;
  runs: number;
  /** Milliseconds per extraction. */
  median: number;
  min: number;
  p25: number;
  /**
   * The floor on the same page, timed in turn with the extractor: one read of
   * the whole page (every element visited, every text node's value read),
   * the least a reader of the page's visible text does. Milliseconds, median.
   */
  floorMedian: number;
}

/**
 * The floor's read (see `ExtractTiming.floorMedian`), as source evaluated in
 * the page: a TreeWalker over the elements, one over the text nodes.
 */
const READ_PAGE_ONCE = `(root) => {
  let seen = 0;
  const elements = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
  for (let node = elements.nextNode(); node; node = elements.nextNode()) seen++;
  const texts = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = texts.nextNode(); node; node = texts.nextNode()) seen += node.nodeValue.length;
  return seen;
}`;

const ROOT = path.resolve(import.meta.dirname, '../../..');
const bundles = new Map<string, string>();

/** The connector's page module as one script that puts its exports in `var __gleanerExtractorModule`. */
function extractorBundle(key: string): string {
  let code = bundles.get(key);
  if (code === undefined) {
    code = buildSync({
      entryPoints: [path.join(ROOT, 'src/connectors', key, 'page.ts')],
      bundle: true,
      write: false,
      minify: true,
      format: 'iife',
      globalName: '__gleanerExtractorModule',
      target: 'chrome120',
    }).outputFiles[0]!.text;
    bundles.set(key, code);
  }
  return code;
}

/** The content script's size in bytes in the built extension (`extensionDir`: `.output/chrome-mv3` or `GLEANER_OUT_DIR`'s). */
export function contentScriptBytes(extensionDir: string, key: string): number {
  return statSync(path.join(extensionDir, 'content-scripts', `${key}.js`)).size;
}

interface ContextDescription {
  id: number;
  origin: string;
  auxData?: { type?: string; isDefault?: boolean };
}

/** Waits for the isolated world the extension's content script runs in on the page `cdp` is attached to. */
async function contentScriptWorld(contexts: ContextDescription[], extensionId: string, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const world = contexts.find((context) => context.auxData?.type === 'isolated' && context.origin === `chrome-extension://${extensionId}`);
    if (world) return world.id;
    if (Date.now() - started > timeoutMs) throw new Error('Gleaner’s content script did not start on the page.');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How many items of `big`'s stream one extraction in the content script's world reads (untimed use of the same path). */
export async function itemsRead(session: ExtensionSession, big: BigPage): Promise<number> {
  return (await timeExtraction(session, big, { runs: 1, warmup: 0 })).items;
}

/**
 * Opens `big` and times `runs` extractions of it (after `warmup` untimed
 * ones) in the content script's world, each followed by a read of the page
 * for the floor.
 */
export async function timeExtraction(session: ExtensionSession, big: BigPage, options: { runs?: number; warmup?: number } = {}): Promise<ExtractTiming> {
  const runs = options.runs ?? 40;
  const warmup = options.warmup ?? 10;
  if (big.cookies) await session.context.addCookies(big.cookies);
  for (const [url, body] of Object.entries(big.alsoServe ?? {})) session.servePage(url, body);
  session.servePage(big.url, big.html);
  const page = await session.context.newPage();
  let cdp: CDPSession | undefined;
  try {
    cdp = await session.context.newCDPSession(page);
    const contexts: ContextDescription[] = [];
    cdp.on('Runtime.executionContextCreated', (event: { context: ContextDescription }) => contexts.push(event.context));
    await cdp.send('Runtime.enable');
    await page.goto(big.url);
    const contextId = await contentScriptWorld(contexts, session.extensionId);
    // One function scope, so the bundle's `var` stays out of the world's globals.
    const expression = `(() => {
${extractorBundle(big.key)}
  const extractor = Object.values(__gleanerExtractorModule).find((value) => value && typeof value.extract === 'function');
  const url = new URL(location.href);
  const items = extractor.extract(document, url).observations.filter((o) => o.stream === ${JSON.stringify(big.stream)}).length;
  const readPageOnce = ${READ_PAGE_ONCE};
  const root = document.body ?? document.documentElement;
  for (let i = 0; i < ${warmup}; i++) {
    extractor.extract(document, url);
    readPageOnce(root);
  }
  // In turn, so both see the same load.
  const times = [];
  const floors = [];
  for (let i = 0; i < ${runs}; i++) {
    let started = performance.now();
    extractor.extract(document, url);
    times.push(performance.now() - started);
    // Ten reads per sample: the isolated world's clock ticks in 0.1 ms, longer than one read of a small page.
    started = performance.now();
    for (let j = 0; j < 10; j++) readPageOnce(root);
    floors.push((performance.now() - started) / 10);
  }
  return { items, times, floors };
})()`;
    const reply = (await cdp.send('Runtime.evaluate', { expression, contextId, returnByValue: true })) as {
      result: { value?: { items: number; times: number[]; floors: number[] } };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (reply.exceptionDetails) throw new Error(`Extraction failed in the page: ${reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text}`);
    const { items, times, floors } = reply.result.value!;
    const sorted = [...times].sort((a, b) => a - b);
    return { items, runs, median: median(times), min: sorted[0]!, p25: sorted[Math.floor(sorted.length / 4)]!, floorMedian: median(floors) };
  } finally {
    await cdp?.detach().catch(() => undefined);
    await page.close();
  }
}
