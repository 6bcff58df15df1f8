/**
 * `npm run bench`: performance figures measured in headless Chromium with the
 * built extension. Each figure prints as its own line `bench <name>: <value>`
 * so runs can be compared.
 *
 * `BENCH_ONLY=import`, `export`, `million`, `chatgpt` or `viewing` runs one
 * part (`viewing`: the YouTube Takeout zip and the Netflix account export zip
 * at 200k and 50k rows, import ÷ raw bulkPut and heap 200k ÷ 50k, see
 * scripts/bench/viewing.ts; `BENCH_VIEWING=youtube` or `netflix` runs one);
 * `GLEANER_BENCH_SCALE=0.25` shrinks the import sizes for a quick look;
 * `BENCH_PREVIEW_ONLY=1` times the 200k preview alone; `BENCH_SKIP_MERGE=1`
 * leaves out the 1M-record merge (its seeding is most of the run);
 * `BENCH_PROFILE=<dir>` writes CPU profiles of the worker per phase and prints
 * the top self-time functions (build a readable copy first:
 * `GLEANER_OUT_DIR=.output-profile GLEANER_NO_MINIFY=1 npx wxt build`, then
 * run with the same `GLEANER_OUT_DIR`).
 */
import { runImportBench } from './bench/import';
import { runExportBench } from './bench/export';
import { runMillionBench } from './bench/million';
import { runChatgptBench } from './bench/chatgpt';
import { runViewingBench } from './bench/viewing';

async function main() {
  const only = process.env.BENCH_ONLY;
  if (!only || only === 'import') await runImportBench();
  if (!only || only === 'export') await runExportBench();
  if (!only || only === 'million') await runMillionBench();
  if (!only || only === 'chatgpt') await runChatgptBench();
  if (!only || only === 'viewing') await runViewingBench();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
