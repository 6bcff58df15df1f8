/**
 * The content script's own cost on the owner's pages (issue 13), in headless
 * Chromium with the built extension (`BENCH_ONLY=capture npm run bench`):
 *
 * - for every connector, its page with 100 items (`test/fixtures/big-pages.ts`:
 *   the connector's fixture with the item markup repeated under distinct ids)
 *   is served at the service's real host; the connector's page extractor is
 *   timed in the content script's isolated world on that page
 *   (`test/e2e/support/extract-timing.ts`: nothing for timing ships);
 * - `capture_extract_ms_100_<key>`: the median of `BENCH_CAPTURE_RUNS` (40)
 *   extractions after 10 untimed ones, with the fastest beside it (the
 *   machine may be shared and loaded: the goal, < 5 ms, judges the median);
 * - `content_script_kb_<key>`: `content-scripts/<key>.js` of the build in
 *   KB of 1024 bytes (`npx wxt build` prints kB of 1000); goal < 30;
 * - `capture_floor_ms_100_<key>` and `capture_extract_floor_ratio_<key>`:
 *   the same page read once (every element visited, every text node's value
 *   read), timed in turn with the extractor, and the extractor's median ÷
 *   the floor's: a figure that holds across machines and loads, where the
 *   milliseconds do not (the goal is the milliseconds; the ratio
 *   says how far above one plain read of the page an extractor is);
 * - `capture_extract_ms_100` and `content_script_kb`: the worst connector's.
 *
 * Build first (`npx wxt build`); `GLEANER_OUT_DIR` reads another build;
 * `BENCH_CAPTURE=amazon` (or a comma-separated list of keys) times only those
 * connectors, to iterate on one.
 */
import path from 'node:path';
import { BIG_PAGE_CONNECTORS, bigPage, type BigPageConnector } from '../../test/fixtures/big-pages';
import { EXTENSION_DIR, launchExtension } from '../../test/e2e/support/extension';
import { contentScriptBytes, timeExtraction } from '../../test/e2e/support/extract-timing';

const RUNS = Math.max(30, Number(process.env.BENCH_CAPTURE_RUNS ?? 40));

/** The connectors `BENCH_CAPTURE` names, or all. */
function selectedConnectors(): readonly BigPageConnector[] {
  const asked = process.env.BENCH_CAPTURE?.split(',').map((key) => key.trim()).filter(Boolean);
  if (!asked?.length) return BIG_PAGE_CONNECTORS;
  const unknown = asked.filter((key) => !(BIG_PAGE_CONNECTORS as readonly string[]).includes(key));
  if (unknown.length) throw new Error(`BENCH_CAPTURE: no big page for ${unknown.join(', ')} (known: ${BIG_PAGE_CONNECTORS.join(', ')})`);
  return BIG_PAGE_CONNECTORS.filter((key) => asked.includes(key));
}

export async function runCaptureBench(): Promise<void> {
  const extensionDir = process.env.GLEANER_OUT_DIR ? path.resolve(process.env.GLEANER_OUT_DIR, 'chrome-mv3') : EXTENSION_DIR;
  const session = await launchExtension({ extensionDir });
  let worstMs = 0;
  let worstKb = 0;
  try {
    for (const key of selectedConnectors()) {
      const page = bigPage(key);
      const timing = await timeExtraction(session, page, { runs: RUNS, warmup: 10 });
      if (timing.items !== page.count) throw new Error(`${key}: the extractor read ${timing.items} of the page's ${page.count} items`);
      const kb = contentScriptBytes(extensionDir, key) / 1024;
      worstMs = Math.max(worstMs, timing.median);
      worstKb = Math.max(worstKb, kb);
      console.log(`bench capture_extract_ms_100_${key}: ${timing.median.toFixed(2)} (goal < 5; min ${timing.min.toFixed(2)}, p25 ${timing.p25.toFixed(2)}, ${timing.runs} runs)`);
      console.log(`bench capture_floor_ms_100_${key}: ${timing.floorMedian.toFixed(2)} (one read of the whole page, in turn with the extractor)`);
      console.log(`bench capture_extract_floor_ratio_${key}: ${(timing.median / timing.floorMedian).toFixed(2)} (extraction ÷ one read of the page)`);
      console.log(`bench content_script_kb_${key}: ${kb.toFixed(1)} (goal < 30)`);
    }
    console.log(`bench capture_extract_ms_100: ${worstMs.toFixed(2)} (goal < 5; the slowest connector's median)`);
    console.log(`bench content_script_kb: ${worstKb.toFixed(1)} (goal < 30; the largest content script)`);
  } finally {
    await session.close();
  }
}
