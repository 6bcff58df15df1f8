/**
 * Viewing-history import figures (issue 10), in headless Chromium with the
 * built extension (`BENCH_ONLY=viewing npm run bench`), through the production
 * import path (file staged, `import.start`, preview, `import.confirm`, receipt)
 * as scripts/bench/import.ts does for Amazon's CSV:
 *
 * - `youtube_takeout_zip_*`: a generated Google Takeout zip holding
 *   `watch-history.json` (scripts/bench/viewing-files.ts) of 200,000 and 50,000
 *   entries, staged as the zip Takeout delivers (not the JSON alone); the owner
 *   names the account on confirm, as Takeout names none.
 * - `netflix_export_zip_*`: a generated Netflix account export zip holding
 *   `CONTENT_INTERACTION/ViewingActivity.csv` of 200,000 and 50,000 rows of
 *   three profiles, staged as the zip Netflix delivers; the preview routes each
 *   profile to its own connection and the one confirmation creates them
 *   (src/import/routes.ts). The 50k file is another household (other profile
 *   names), so its routes create connections too, as the 200k file's did.
 *
 * For each: `<name>_records_per_s`, records stored per second from the owner's
 * confirmation to the final receipt; `<name>_raw_bulkput_records_per_s`, the same
 * stored records written again with Dexie `bulkPut` alone in chunks of the
 * import's size, in the same run; `youtube_import_ratio` / `netflix_import_ratio`
 * = the first ÷ the second (issue 13's bar for Amazon: ≥ 0.8); and
 * `youtube_heap_ratio` / `netflix_heap_ratio`, the service worker's peak JS heap
 * (sampled every 50 ms after a forced GC, upload to receipt) for 200k ÷ for 50k
 * (issue 10: ≤ 1.5). `GLEANER_BENCH_SCALE` shrinks the sizes; `BENCH_PROFILE`
 * writes CPU profiles per phase (see scripts/bench.ts);
 * `BENCH_VIEWING=youtube` or `netflix` runs one of the two.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchExtension, type ExtensionSession } from '../../test/e2e/support/extension';
import type { RouteProgress } from '../../src/import/routes';
import { benchImport, benchRawBulkPut, WorkerDebugger } from './import';
import { writeNetflixZip, writeTakeoutZip } from './viewing-files';

const SCALE = Number(process.env.GLEANER_BENCH_SCALE ?? 1);
const BIG = Math.round(200_000 * SCALE);
const SMALL = Math.round(50_000 * SCALE);

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const log = (name: string, value: string) => console.log(`bench ${name}: ${value}`);

type Imported = Awaited<ReturnType<typeof benchImport>>;

/** Prints the 200k import's throughput against raw bulkPut of the same records, measured right after it. */
async function throughput(session: ExtensionSession, service: 'youtube' | 'netflix', name: string, big: Imported, chunkOfRows: boolean): Promise<void> {
  const counts = big.job.counts!;
  log(`${name}_200k_rows`, `${BIG} (${counts.parsed} records: ${counts.new} new; ${counts.skipped} skipped, ${counts.failed} failed)`);
  log(`${name}_200k_preview_s`, big.previewSeconds.toFixed(2));
  log(`${name}_200k_import_s`, big.importSeconds.toFixed(2));
  const importRate = big.records / big.importSeconds;
  log(`${name}_records_per_s`, String(Math.round(importRate)));
  const settings = await session.call<{ chunkRows: number }>('import.settings.get');
  // Netflix's chunk is `chunkRows` rows of the file, so fewer records when rows are skipped; YouTube's is `chunkRows` records.
  const chunk = chunkOfRows ? Math.max(1, Math.round((settings.chunkRows * big.records) / BIG)) : settings.chunkRows;
  const routes = (big.job as { routes?: RouteProgress[] }).routes;
  const connections = routes ? routes.map((route) => route.connectionId) : [big.job.connectionId!];
  const raw = await benchRawBulkPut(session, connections, chunk);
  const rawRate = raw.records / raw.seconds;
  log(`${name}_raw_bulkput_records_per_s`, `${Math.round(rawRate)} (${raw.records} records in ${connections.length} connection(s), chunks of ${chunk})`);
  log(`${service}_import_ratio`, `${(importRate / rawRate).toFixed(2)} (goal ≥ 0.8)`);
}

/** Prints the peak heaps and their ratio, 200k ÷ 50k. */
function heap(service: 'youtube' | 'netflix', name: string, big: Imported, small: Imported): void {
  log(`${name}_heap_peak_200k_mb`, `${mb(big.peakHeap)} (preview ${mb(big.previewPeak)}, commit ${mb(big.commitPeak)}, after GC ${mb(big.afterGc)})`);
  log(`${name}_heap_peak_50k_mb`, `${mb(small.peakHeap)} (preview ${mb(small.previewPeak)}, commit ${mb(small.commitPeak)}, after GC ${mb(small.afterGc)})`);
  log(`${service}_heap_ratio`, `${(big.peakHeap / small.peakHeap).toFixed(2)} (goal ≤ 1.5)`);
}

async function youtube(session: ExtensionSession, page: Page, debug: WorkerDebugger, dir: string): Promise<void> {
  const files = { big: path.join(dir, 'takeout-20261130T100000Z-001.zip'), small: path.join(dir, 'takeout-20261130T100000Z-002.zip') };
  const bigCounts = await writeTakeoutZip(files.big, BIG, 101);
  await writeTakeoutZip(files.small, SMALL, 202);
  log('youtube_takeout_zip_200k_file_mb', `${mb(statSync(files.big).size)} (${bigCounts.entries} entries: ${bigCounts.ads} ads, ${bigCounts.removed} removed, ${bigCounts.visits} visits)`);
  const big = await benchImport(session, page, debug, files.big, 'Priya');
  await throughput(session, 'youtube', 'youtube_takeout_zip', big, false);
  const small = await benchImport(session, page, debug, files.small, 'Theo');
  heap('youtube', 'youtube_takeout_zip', big, small);
}

async function netflix(session: ExtensionSession, page: Page, debug: WorkerDebugger, dir: string): Promise<void> {
  const files = { big: path.join(dir, 'netflix-report.zip'), small: path.join(dir, 'netflix-report (1).zip') };
  const big = await writeNetflixZip(files.big, BIG, 303, [
    { name: 'Dana', share: 0.55 },
    { name: 'Sam O.', share: 0.3 },
    { name: 'Kids', share: 0.15 },
  ]);
  await writeNetflixZip(files.small, SMALL, 404, [
    { name: 'Ana', share: 0.55 },
    { name: 'Jo', share: 0.3 },
    { name: 'Kinder', share: 0.15 },
  ]);
  log('netflix_export_zip_200k_file_mb', `${mb(statSync(files.big).size)} (${BIG} rows, 3 profiles, ${big.supplemental} trailers, hooks and recaps)`);
  const bigRun = await benchImport(session, page, debug, files.big, 'netflix-200k');
  const routes = (bigRun.job as { routes?: RouteProgress[] }).routes ?? [];
  log('netflix_export_zip_200k_routes', routes.map((route) => `${route.accountLabel} ${route.status}`).join(', '));
  if (routes.length !== 3 || routes.some((route) => route.status !== 'committed')) throw new Error('the Netflix export was not routed to three committed profiles');
  await throughput(session, 'netflix', 'netflix_export_zip', bigRun, true);
  const smallRun = await benchImport(session, page, debug, files.small, 'netflix-50k');
  heap('netflix', 'netflix_export_zip', bigRun, smallRun);
}

export async function runViewingBench(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gleaner-bench-viewing-'));
  const only = process.env.BENCH_VIEWING;
  try {
    // A fresh browser per service: the second does not inherit the first's stored records and heap.
    for (const [service, run] of [['youtube', youtube], ['netflix', netflix]] as const) {
      if (only && only !== service) continue;
      const session = await launchExtension(process.env.GLEANER_OUT_DIR ? { extensionDir: path.resolve(process.env.GLEANER_OUT_DIR, 'chrome-mv3') } : {});
      try {
        // tsx keeps function names with a `__name` helper that the worker does not have.
        await session.worker.evaluate('globalThis.__name = (fn) => fn');
        const page = await session.openExtensionPage('popup.html');
        const debug = await WorkerDebugger.attach(page, session.extensionId);
        await run(session, page, debug, dir);
      } finally {
        await session.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
