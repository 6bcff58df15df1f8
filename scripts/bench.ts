/**
 * `npm run bench`: performance figures measured in headless Chromium with the
 * built extension. Each figure prints as its own line `bench <name>: <value>`
 * so runs can be compared.
 *
 * `BENCH_ONLY=import` or `BENCH_ONLY=export` runs one part;
 * `GLEANER_BENCH_SCALE=0.25` shrinks the import sizes for a quick look.
 */
import { runImportBench } from './bench/import';
import { runExportBench } from './bench/export';

async function main() {
  const only = process.env.BENCH_ONLY;
  if (!only || only === 'import') await runImportBench();
  if (!only || only === 'export') await runExportBench();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
