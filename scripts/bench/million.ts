/**
 * Figures at a million stored records (issue 13), measured in headless
 * Chromium with the built extension. One connection of 1,000,000 Amazon-shaped
 * records (500,000 orders, 500,000 items) is seeded once, straight into the
 * extension's IndexedDB from its service worker (shaped as the merge engine
 * stores them, already exported: no change-feed rows), and every measure here
 * reuses it:
 *
 * - `export_after_import_ratio`: a 200,000-row order-history CSV is imported
 *   into that connection through the production path (stage, preview,
 *   confirm), then "Export now" to the project's receiver: records sent ÷
 *   records the import changed (new + updated + tombstoned + restored). The
 *   receipt is sent too, so the floor is just above 1.
 * - `search_1m_ratio`: the records browser's text search (`records.query`,
 *   default view, every kind, first page) for one item's words (ten such
 *   items in either store) at 1,000,000
 *   stored ÷ the same search in a connection of 10,000 (seeded alike, in the
 *   same profile), median of alternating runs.
 * - `popup_open_1m_ratio`: what the popup asks for on open (`connections.list`
 *   and `tab.status`), with the 1,000,000 (and the 10,000) stored ÷ with the
 *   same two connections empty in a second profile, opened in turn (medians).
 *
 * - `merge_1m_ratio`: a 50-order page capture merged into the 1M connection ÷
 *   into an empty one (moved here from the import part, so the million is
 *   seeded once per run).
 *
 * Seeded records carry their search terms, and the connection its record
 * tallies (schema v9), as the merge engine writes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startReceiver } from '../../test/receiver/server';
import { launchWithServerAccess } from '../../test/e2e/pages/server-browser';
import { chromiumPath, MISSING_BROWSER_MESSAGE } from '../../test/e2e/support/browser';
import type { Page } from 'playwright-core';
import type { ExtensionSession } from '../../test/e2e/support/extension';
import type { ImportJobView } from '../../src/background/import-handlers';
import { stageFromPath, waitFor, writeCsv } from './import';
import { median } from '../../test/support/median';

const SCALE = Number(process.env.GLEANER_BENCH_SCALE ?? 1);
const MILLION = Math.round(1_000_000 * SCALE);
const IMPORT_ROWS = Math.round(200_000 * SCALE);

const BIG_ID = 'con_million0000000000000000000000';
const SMALL_ID = 'con_tenthousand000000000000000000';
const EMPTY_ID = 'con_mergeinto00000000000000000000';

interface DrainResult {
  status: string;
  acceptedRecords: number;
  sent: number;
}

export async function runMillionBench(): Promise<void> {
  if (!chromiumPath()) throw new Error(MISSING_BROWSER_MESSAGE);
  const dir = mkdtempSync(path.join(tmpdir(), 'gleaner-bench-million-'));
  const session = await launchWithServerAccess();
  try {
    await session.call('connections.list'); // opens (and creates) the database
    await session.worker.evaluate('globalThis.__name = (fn) => fn');
    const began = Date.now();
    const connectionId = (await session.worker.evaluate(seedMillion, { total: MILLION, connectionId: BIG_ID })) as string;
    const smallId = (await session.worker.evaluate(seedMillion, { total: 10_000, connectionId: SMALL_ID })) as string;
    console.log(`bench million_seed_s: ${Math.round((Date.now() - began) / 1000)}`);
    await popupOpenRatio(session);
    await search(session, connectionId, smallId);
    await mergeRatio(session);
    if (!process.env.BENCH_SKIP_EXPORT_AFTER_IMPORT) await exportAfterImport(session, connectionId, dir);
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the popup asks for on open, in this profile (the 1M and the 10k
 * connection) and in a second profile holding the same two connections empty,
 * opened in turn so both see the same machine load; medians.
 */
async function popupOpenRatio(full: ExtensionSession, runs = 15): Promise<void> {
  const empty = await launchWithServerAccess();
  try {
    await empty.call('connections.list');
    await empty.worker.evaluate('globalThis.__name = (fn) => fn');
    for (const id of [BIG_ID, SMALL_ID]) await empty.worker.evaluate(seedMillion, { total: 0, connectionId: id });
    const pages = [await popupPage(empty), await popupPage(full)];
    const times: [number[], number[]] = [[], []];
    for (let run = 0; run < runs + 2; run++) {
      for (const [index, page] of pages.entries()) {
        const ms = await popupOpen(page);
        if (run >= 2) times[index]!.push(ms); // two warm-up opens each
      }
    }
    const [emptyMs, fullMs] = [median(times[0]), median(times[1])];
    console.log(`bench popup_open_empty_ms: ${emptyMs.toFixed(1)}`);
    console.log(`bench popup_open_1m_ms: ${fullMs.toFixed(1)}`);
    console.log(`bench popup_open_1m_ratio: ${(fullMs / emptyMs).toFixed(2)} (goal ≤ 1.2)`);
  } finally {
    await empty.close();
  }
}

async function popupPage(session: ExtensionSession): Promise<Page> {
  const page = await session.openExtensionPage('popup.html');
  await page.evaluate('globalThis.__name = (fn) => fn');
  return page;
}

/** One open: the popup's two questions, as it asks them. */
function popupOpen(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const send = (type: string, payload: unknown) => (globalThis as unknown as { chrome: { runtime: { sendMessage(message: unknown): Promise<unknown> } } }).chrome.runtime.sendMessage({ type, payload });
    const t = performance.now();
    await Promise.all([send('connections.list', {}), send('tab.status', { tabId: 1, url: 'https://www.amazon.com/gp/css/order-history' })]);
    return performance.now() - t;
  });
}

/**
 * `merge_1m_ratio`: a fresh 50-order page capture merged (the merge engine's
 * `applyBatch`, as a capture is) into the 1M connection ÷ into an empty
 * connection of the same database, in turn after warm-up; medians.
 */
async function mergeRatio(session: ExtensionSession, runs = 9): Promise<void> {
  await session.worker.evaluate(seedMillion, { total: 0, connectionId: EMPTY_ID });
  const { emptyTimes, fullTimes } = (await session.worker.evaluate(
    async ({ ids, runs }) => {
      type Globals = { __gleaner: { db: unknown; applyBatch(db: unknown, input: unknown): Promise<unknown>; connectors: { key: string; streams: unknown[] }[] } };
      const g = (globalThis as unknown as Globals).__gleaner;
      const streams = g.connectors.find((connector) => connector.key === 'amazon')!.streams;
      const pad = (n: number, width: number) => String(n).padStart(width, '0');
      let run = 0;
      const merge = async (connectionId: string) => {
        run += 1;
        const observations = Array.from({ length: 50 }, (_, i) => ({
          stream: 'orders',
          data: { id: `9${pad(run % 100, 2)}-${pad(i, 7)}-${pad(run, 7)}`, order_date: `2024-0${(i % 9) + 1}-1${i % 10}`, order_total: '$12.34', order_total_cents: 1234, delivery_status: 'Delivered', marketplace: 'amazon.com' },
        }));
        const capturedAt = new Date().toISOString();
        const pageUrl = `https://www.amazon.com/your-orders/orders?startIndex=${run * 10}`;
        const t = performance.now();
        await g.applyBatch(g.db, { connectionId, connectorKey: 'amazon', streams, method: 'browser_polyfill', provenance: { kind: 'page', pageUrl, capturedAt, extractorVersion: 'bench' }, coverage: [{ stream: 'orders', start: '2024-01-10', end: '2024-09-19', completeness: 'partial' }], observations, warnings: [], dataAsOf: capturedAt, pageUrl });
        return performance.now() - t;
      };
      for (let i = 0; i < 2; i++) (await merge(ids.empty), await merge(ids.full)); // warm-up
      const emptyTimes: number[] = [];
      const fullTimes: number[] = [];
      for (let i = 0; i < runs; i++) (emptyTimes.push(await merge(ids.empty)), fullTimes.push(await merge(ids.full)));
      return { emptyTimes, fullTimes };
    },
    { ids: { empty: EMPTY_ID, full: BIG_ID }, runs },
  )) as { emptyTimes: number[]; fullTimes: number[] };
  const [emptyMs, fullMs] = [median(emptyTimes), median(fullTimes)];
  console.log(`bench merge_empty_ms: ${emptyMs.toFixed(1)}`);
  console.log(`bench merge_1m_ms: ${fullMs.toFixed(1)}`);
  console.log(`bench merge_1m_ratio: ${(fullMs / emptyMs).toFixed(2)}`);
}

/** The same search in the 1M and the 10k connection, alternating; medians. */
async function search(session: ExtensionSession, bigId: string, smallId: string, runs = 7): Promise<void> {
  // Ten items (and their orders) in either store: the same search with the same answer, an owner looking for one thing.
  const text = 'zanzibar grinder';
  const query = async (connectionId: string) => {
    const t = performance.now();
    const reply = await session.call<{ total: number }>('records.query', { connectionId, text, method: 'any', includeTombstoned: false, offset: 0, limit: 50 });
    return { ms: performance.now() - t, total: reply.total };
  };
  const big: number[] = [];
  const small: number[] = [];
  let totals = '';
  for (let run = 0; run < runs + 1; run++) {
    const a = await query(smallId);
    const b = await query(bigId);
    totals = `${a.total}/${b.total}`;
    if (run > 0) (small.push(a.ms), big.push(b.ms));
  }
  console.log(`bench search_10k_ms: ${median(small).toFixed(1)}`);
  console.log(`bench search_1m_ms: ${median(big).toFixed(1)}`);
  console.log(`bench search_matches_10k_1m: ${totals}`);
  console.log(`bench search_1m_ratio: ${(median(big) / median(small)).toFixed(2)} (goal ≤ 2)`);
}

async function exportAfterImport(session: ExtensionSession, connectionId: string, dir: string): Promise<void> {
  const receiver = await startReceiver();
  try {
    await session.call('export.settings.set', { batchRecords: 5000 });
    await session.call('export.link', { connectionId, serverOrigin: receiver.origin });
    const [linked] = await session.call<DrainResult[]>('export.now', { connectionId });
    if (linked?.status !== 'active') throw new Error(`link not active: ${JSON.stringify(linked)}`);
    const file = await writeCsv(dir, IMPORT_ROWS);
    const page = await session.openExtensionPage('popup.html');
    const stagedId = await stageFromPath(page, file);
    const started = await session.call<ImportJobView>('import.start', { stagedId });
    await waitFor(session, started.id, ['ready']);
    await session.call('import.confirm', { jobId: started.id, target: { connectionId } });
    const done = await waitFor(session, started.id, ['committed']);
    const counts = done.receipt!.counts;
    const changed = counts.new + counts.updated + counts.tombstoned + counts.restored;
    const t = performance.now();
    const [result] = await session.call<DrainResult[]>('export.now', { connectionId });
    const seconds = (performance.now() - t) / 1000;
    if (result?.status !== 'active') throw new Error(`export after import: ${JSON.stringify(result)}`);
    console.log(`bench export_after_import_changed: ${changed}`);
    console.log(`bench export_after_import_sent: ${result.acceptedRecords}`);
    console.log(`bench export_after_import_s: ${seconds.toFixed(1)}`);
    console.log(`bench export_after_import_ratio: ${(result.acceptedRecords / changed).toFixed(3)} (goal ≤ 1.1)`);
    await session.call('export.unlink', { connectionId });
  } finally {
    await receiver.close();
  }
}

/** Runs inside the extension's service worker: `total` records in one connection, raw IndexedDB writes in chunks. */
export async function seedMillion({ total, connectionId }: { total: number; connectionId: string }): Promise<string> {
  type Streams = { name: string; describe(data: unknown): string; present?(data: unknown): unknown }[];
  const g = (globalThis as unknown as { __gleaner: { connectors: { key: string; streams: Streams }[]; searchTermsOf(stream: unknown, data: unknown, key: string): string[] } }).__gleaner;
  const streams = g.connectors.find((connector) => connector.key === 'amazon')!.streams;
  const orderStream = streams.find((stream) => stream.name === 'orders');
  const itemStream = streams.find((stream) => stream.name === 'order_items');
  const open = () =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('gleaner');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  const db = await open();
  const now = new Date().toISOString();
  const batchId = `bat_${connectionId.slice(4)}`;
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const done = (tx: IDBTransaction) =>
    new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  const first = db.transaction(['connections', 'batches'], 'readwrite');
  first.objectStore('connections').put({ id: connectionId, connectorKey: 'amazon', accountKey: `amazon.com|${connectionId}`, accountLabel: 'Bench on amazon.com', accountEvidence: 'bench', displayName: 'Amazon — Million', createdAt: now });
  first.objectStore('batches').put({ id: batchId, connectionId, connectorKey: 'amazon', method: 'owner_artifact', provenance: { kind: 'artifact', fileName: 'bench.csv', sha256: '1'.repeat(64), sizeBytes: 1, parserVersion: 'bench', importedAt: now }, coverage: [], counts: { parsed: total, new: total, updated: 0, alreadyKnown: 0, skipped: 0, failed: 0, tombstoned: 0, restored: 0 }, warnings: [], status: 'committed', receivedAt: now, dataAsOf: now, artifactSha256: '1'.repeat(64), recaptureCount: 0 });
  await done(first);
  const orders = total / 2;
  // Small transactions: 1,000 orders (2,000 records) at a time seeded 100k records 15–25 % faster than 25,000 (two
  // alternating pairs, load 1.5–3.5).
  const step = 1_000;
  for (let from = 0; from < orders; from += step) {
    const tx = db.transaction(['records'], 'readwrite');
    const records = tx.objectStore('records');
    for (let index = from; index < Math.min(orders, from + step); index++) {
      const id = `1${pad(index % 100, 2)}-${pad(index, 7)}-${pad((index * 7919) % 10_000_000, 7)}`;
      const day = `20${pad(15 + (index % 10), 2)}-${pad(1 + (index % 12), 2)}-${pad(1 + (index % 28), 2)}`;
      const asin = `B1${pad(index, 8)}`;
      const order = { id, order_date: day, ordered_at: `${day}T12:00:00Z`, order_total: `$${(index % 500) + 1}.99`, order_total_cents: ((index % 500) + 1) * 100 + 99, currency: 'USD', delivery_status: 'Delivered', recipient_name: 'Bench Person', item_count: 1, marketplace: 'amazon.com', url: `https://www.amazon.com/gp/your-account/order-details?orderID=${id}` };
      const itemId = `${id}|${asin}`;
      const item = { id: itemId, order_id: id, item_key: asin, asin, name: index < 10 ? `Zanzibar spice grinder, ceramic burr, model ${index}` : `Seeded item ${index} ${['lamp', 'kettle', 'novel', 'socks', 'cable', 'skillet', 'puzzle', 'bottle'][index % 8]} with a realistic product title length`, url: `https://www.amazon.com/dp/${asin}`, unit_price: `$${(index % 500) + 1}.99`, unit_price_cents: ((index % 500) + 1) * 100 + 99, quantity: 1, seller: 'Amazon.com', order_date: day };
      for (const [stream, key, data, definition] of [
        ['orders', id, order, orderStream],
        ['order_items', itemId, item, itemStream],
      ] as const) {
        const searchTerms = g.searchTermsOf(definition, data, key);
        records.put({ connectionId, stream, rid: key, key, keyParts: [key], eventTime: day, data, versions: [{ data, method: 'owner_artifact', batchIds: [batchId], asOf: now }], batchIds: [batchId], methods: ['owner_artifact'], firstSeenAt: now, updatedAt: now, searchTerms });
      }
    }
    await done(tx);
  }
  // The counts every writer keeps (schema v9), as the merge engine would have left them.
  const tallies = db.transaction(['tallies'], 'readwrite');
  for (const stream of ['orders', 'order_items']) tallies.objectStore('tallies').put({ connectionId, stream, stored: orders, tombstoned: 0 });
  await done(tallies);
  db.close();
  return connectionId;
}
