/**
 * `npm run bench`: performance figures measured in headless Chromium with the
 * built extension. Each figure prints as its own line `bench <name>: <value>`
 * so runs can be compared.
 */
import { runImportBench } from './bench/import';
import { runExportBench } from './bench/export';

async function main() {
  await runImportBench();
  await runExportBench();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
