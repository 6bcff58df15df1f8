/**
 * `npm run bench`: performance figures measured in headless Chromium with the
 * built extension. Each figure prints as its own line `bench <name>: <value>`
 * so runs can be compared.
 *
 * `BENCH_ONLY=import`, `export`, `million`, `capture`, `viewing` or `chatgpt`
 * runs one part (`capture`: each connector's page extractor on a 100-item page
 * in the content script's world, and each content script's size; build first;
 * `BENCH_CAPTURE_RUNS` sets the timed runs, at least 30, 40 by default;
 * `BENCH_CAPTURE=amazon` times only the connectors named;
 * `viewing`: the YouTube Takeout zip and the Netflix account export zip at 200k
 * and 50k rows, import ÷ raw bulkPut and heap 200k ÷ 50k, see
 * scripts/bench/viewing.ts; `BENCH_VIEWING=youtube` or `netflix` runs one);
 * `GLEANER_BENCH_SCALE=0.25` shrinks the import sizes for a quick look;
 * `BENCH_PREVIEW_ONLY=1` times the 200k preview alone;
 * `BENCH_SKIP_EXPORT_AFTER_IMPORT=1` leaves the 200k import out of the million
 * part. The 300 MB ChatGPT part (issue 11; about half an hour here) runs only
 * when asked for: `BENCH_ONLY=chatgpt`;
 * Each part prints its seconds (`part_<name>_s`) and the run its total (`total_s`).
 * `BENCH_PROFILE=<dir>` writes CPU profiles of the worker per phase and prints
 * the top self-time functions (build a readable copy first:
 * `GLEANER_OUT_DIR=.output-profile GLEANER_NO_MINIFY=1 npx wxt build`, then
 * run with the same `GLEANER_OUT_DIR`).
 */
import { runImportBench } from './bench/import';
import { runExportBench } from './bench/export';
import { runMillionBench } from './bench/million';
import { runChatgptBench } from './bench/chatgpt';
import { runCaptureBench } from './bench/capture';
import { runViewingBench } from './bench/viewing';

/** Runs one part of the bench and prints how long it took, so the whole run's time (goal: under 20 minutes) is read per part. */
async function timedPart(name: string, run: () => Promise<void>): Promise<number> {
  const began = Date.now();
  await run();
  const took = (Date.now() - began) / 1000;
  console.log(`bench part_${name}_s: ${Math.round(took)}`);
  return took;
}

async function main() {
  const only = process.env.BENCH_ONLY;
  let total = 0;
  if (!only || only === 'import') total += await timedPart('import', runImportBench);
  if (!only || only === 'export') total += await timedPart('export', runExportBench);
  if (!only || only === 'million') total += await timedPart('million', runMillionBench);
  if (!only || only === 'capture') total += await timedPart('capture', runCaptureBench);
  if (!only || only === 'viewing') total += await timedPart('viewing', runViewingBench);
  if (only === 'chatgpt') total += await timedPart('chatgpt', runChatgptBench);
  const scale = process.env.GLEANER_BENCH_SCALE ? ` at GLEANER_BENCH_SCALE=${process.env.GLEANER_BENCH_SCALE}` : '';
  console.log(`bench total_s: ${Math.round(total)} (goal < 1200 for the whole bench${only ? `; this run: ${only} only` : ''}${scale})`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
