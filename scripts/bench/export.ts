/**
 * Export throughput (issues 4 and 8; owned by the export feature): 100,000
 * records from the built extension, once with Gleaner's batch size and once
 * with the reference collector's 100 records a batch, in the same run: to the
 * project's receiver (figures comparable with earlier runs) and to the real
 * PDPP reference server (`export_real_*`, the goal: ratio ≥ 3).
 *
 * Bench-only seeding: the 100,000 Amazon-shaped records (50,000 orders and
 * 50,000 ordered items), one receipt and their change-feed entries are written
 * straight into the extension's IndexedDB from its service worker, shaped
 * exactly as the merge engine stores them. Everything measured after that —
 * building batches from the change feed, persisting them, sending, accepting,
 * cursors, heartbeat — is the production path behind "Export now".
 */
import { startReceiver } from '../../test/receiver/server';
import { createHash } from 'node:crypto';
import { buildReferenceServer, startReferenceServer } from '../../test/support/pdpp-reference';
import { amazonConnector } from '../../src/connectors/amazon';
import { buildManifest } from '../../src/export/manifest';
import { canonicalJson } from '../../src/export/canonical-json';
import { launchWithServerAccess } from '../../test/e2e/pages/server-browser';
import { chromiumPath, MISSING_BROWSER_MESSAGE } from '../../test/e2e/support/browser';

/** 100,000 by default; `BENCH_EXPORT_RECORDS` (even) shortens a trial run. */
const TOTAL = Number(process.env.BENCH_EXPORT_RECORDS ?? 100_000);

/** Where the export goes: the project's receiver or the real PDPP reference server. */
interface Peer {
  name: string;
  origin: string;
  /** How many records the peer holds for the linked connection. */
  held(): Promise<number>;
  close(): Promise<void>;
}

interface DrainResult {
  status: string;
  timings?: unknown;
  acceptedRecords: number;
  sent: number;
}

export async function runExportBench(): Promise<void> {
  if (!chromiumPath()) throw new Error(MISSING_BROWSER_MESSAGE);
  const session = await launchWithServerAccess();
  try {
    await session.call('connections.list'); // opens (and creates) the database
    // tsx compiles nested functions with esbuild's `__name` helper; give the worker a no-op one.
    await session.worker.evaluate('globalThis.__name = (fn) => fn');
    const connectionId = (await session.worker.evaluate(seed, TOTAL)) as string;
    const visible = (await session.call<{ id: string; visibleRecords: number }[]>('connections.list')).find((connection) => connection.id === connectionId)?.visibleRecords;
    if (visible !== TOTAL) throw new Error(`seeding produced ${visible} records`);

    /** One full export of the connection to a fresh peer; records per second. */
    const measure = async (peer: Peer, batchRecords: number): Promise<number> => {
      try {
        await session.call('export.settings.set', { batchRecords });
        await session.call('export.link', { connectionId, serverOrigin: peer.origin });
        const started = performance.now();
        const [result] = await session.call<DrainResult[]>('export.now', { connectionId });
        const seconds = (performance.now() - started) / 1000;
        const held = await peer.held();
        if (result?.status !== 'active' || held !== TOTAL + 1) throw new Error(`export incomplete: ${JSON.stringify(result)}, server holds ${held}`);
        await session.call('export.unlink', { connectionId });
        if (process.env.BENCH_VERBOSE) console.log(`  ${peer.name} ${batchRecords}: ${seconds.toFixed(1)} s`, JSON.stringify(result));
        return TOTAL / seconds;
      } finally {
        await peer.close();
      }
    };
    const receiverPeer = async (): Promise<Peer> => {
      const receiver = await startReceiver();
      return { name: 'receiver', origin: receiver.origin, held: async () => [...receiver.state.records.values()].reduce((sum, byKey) => sum + byKey.size, 0), close: () => receiver.close() };
    };
    const realPeer = async (): Promise<Peer> => {
      const server = await startReferenceServer();
      return {
        name: 'reference server',
        origin: server.asUrl,
        // Records the server accepted for this connection (its own count; an identical replay is not counted twice).
        held: async () => (await server.sourceInstances()).reduce((sum, source) => sum + source.accepted_record_count, 0),
        close: () => server.close(),
      };
    };

    // The project's receiver (kept for comparison with earlier runs), then the real server: both batch sizes, same run.
    const gleaner = await measure(await receiverPeer(), 5000);
    const hundred = await measure(await receiverPeer(), 100);
    console.log(`bench export_records_per_s: ${Math.round(gleaner)}`);
    console.log(`bench export_100_records_per_s: ${Math.round(hundred)}`);
    console.log(`bench export_ratio: ${(gleaner / hundred).toFixed(2)}`);
    await buildReferenceServer();
    const real = await measure(await realPeer(), 5000);
    const real100 = await measure(await realPeer(), 100);
    // The server's own floor: the same number of records posted straight from Node at 5,000 a batch, no browser.
    const floor = await serverFloor(TOTAL, 5000);
    console.log(`bench export_real_records_per_s: ${Math.round(real)}`);
    console.log(`bench export_real_100_records_per_s: ${Math.round(real100)}`);
    console.log(`bench export_real_ratio: ${(real / real100).toFixed(2)} (goal ≥ 3)`);
    console.log(`bench export_real_floor_records_per_s: ${Math.round(floor)}`);
    console.log(`bench export_real_of_floor: ${(real / floor).toFixed(2)} (Gleaner at its batch size ÷ the server's own ingest rate)`);
  } finally {
    await session.close();
  }
}

/**
 * How fast the real server ingests `total` Amazon-shaped records when nothing
 * else is in the way: posted from Node in batches of `batchSize`, one device,
 * in order (records per second).
 */
async function serverFloor(total: number, batchSize: number): Promise<number> {
  const server = await startReferenceServer();
  try {
    const manifest = await buildManifest(amazonConnector);
    if ((await server.register(manifest)).status !== 201) throw new Error('the server refused the manifest');
    const code = await server.mintCode(manifest.connector_key, 'amazon.com|floor');
    const headers = { 'content-type': 'application/json', 'X-PDPP-Collector-Protocol': '1' };
    const enrolled = (await (await fetch(`${server.asUrl}/_ref/device-exporters/enroll`, { method: 'POST', headers, body: JSON.stringify({ enrollment_code: code, collection_scope: null }) })).json()) as { device_id: string; device_token: string; source_instance_id: string };
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    const started = performance.now();
    for (let from = 0, seq = 0; from < total; from += batchSize, seq++) {
      const records = [];
      for (let index = from / 2; index < Math.min(total, from + batchSize) / 2; index++) {
        const id = `1${pad(index % 100, 2)}-${pad(index, 7)}-${pad((index * 7919) % 10_000_000, 7)}`;
        const day = `20${pad(15 + (index % 10), 2)}-${pad(1 + (index % 12), 2)}-${pad(1 + (index % 28), 2)}`;
        const asin = `B0${pad(index, 8)}`;
        const itemId = `${id}|${asin}`;
        records.push({ stream: 'orders', record_key: id, emitted_at: '2026-01-01T00:00:00.000Z', data: { id, order_date: day, ordered_at: `${day}T12:00:00Z`, order_total: `$${(index % 500) + 1}.99`, order_total_cents: ((index % 500) + 1) * 100 + 99, currency: 'USD', delivery_status: 'Delivered', recipient_name: 'Bench Person', item_count: 1, marketplace: 'amazon.com', url: `https://www.amazon.com/gp/your-account/order-details?orderID=${id}` } });
        records.push({ stream: 'order_items', record_key: itemId, emitted_at: '2026-01-01T00:00:00.000Z', data: { id: itemId, order_id: id, item_key: asin, asin, name: `Bench item number ${index} with a realistic product title length`, url: `https://www.amazon.com/dp/${asin}`, unit_price: `$${(index % 500) + 1}.99`, unit_price_cents: ((index % 500) + 1) * 100 + 99, quantity: 1, seller: 'Amazon.com', order_date: day } });
      }
      const recordsJson = canonicalJson(records);
      const body = `{"batch_id":"floor_${seq}","batch_seq":${seq},"body_hash":"${createHash('sha256').update(recordsJson).digest('hex')}","connector_id":"${manifest.connector_key}","device_id":"${enrolled.device_id}","records":${recordsJson},"source_instance_id":"${enrolled.source_instance_id}"}`;
      const answer = await fetch(`${server.asUrl}/_ref/device-exporters/${enrolled.device_id}/ingest-batches`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${enrolled.device_token}` }, body });
      if (answer.status !== 201) throw new Error(`floor batch ${seq}: ${answer.status} ${await answer.text()}`);
      await answer.arrayBuffer();
    }
    return total / ((performance.now() - started) / 1000);
  } finally {
    await server.close();
  }
}

/** Runs inside the extension's service worker: raw IndexedDB writes shaped like the merge engine's rows. */
export async function seed(total: number): Promise<string> {
  const open = () =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('gleaner');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  const db = await open();
  const now = new Date().toISOString();
  const connectionId = 'con_bench00000000000000000000000000';
  const batchId = 'bat_bench00000000000000000000000000';
  const tx = db.transaction(['connections', 'batches', 'records', 'changes'], 'readwrite');
  tx.objectStore('connections').put({ id: connectionId, connectorKey: 'amazon', accountKey: 'amazon.com|bench', accountLabel: 'Bench on amazon.com', accountEvidence: 'bench', displayName: 'Amazon — Bench', createdAt: now });
  const orders = total / 2;
  const records = tx.objectStore('records');
  const changes = tx.objectStore('changes');
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  for (let index = 0; index < orders; index++) {
    const id = `1${pad(index % 100, 2)}-${pad(index, 7)}-${pad((index * 7919) % 10_000_000, 7)}`;
    const day = `20${pad(15 + (index % 10), 2)}-${pad(1 + (index % 12), 2)}-${pad(1 + (index % 28), 2)}`;
    const asin = `B0${pad(index, 8)}`;
    const order = { id, order_date: day, ordered_at: `${day}T12:00:00Z`, order_total: `$${(index % 500) + 1}.99`, order_total_cents: ((index % 500) + 1) * 100 + 99, currency: 'USD', delivery_status: 'Delivered', recipient_name: 'Bench Person', item_count: 1, marketplace: 'amazon.com', url: `https://www.amazon.com/gp/your-account/order-details?orderID=${id}` };
    const itemId = `${id}|${asin}`;
    const item = { id: itemId, order_id: id, item_key: asin, asin, name: `Bench item number ${index} with a realistic product title length`, url: `https://www.amazon.com/dp/${asin}`, unit_price: `$${(index % 500) + 1}.99`, unit_price_cents: ((index % 500) + 1) * 100 + 99, quantity: 1, seller: 'Amazon.com', order_date: day };
    for (const [stream, key, keyParts, data] of [
      ['orders', id, [id], order],
      ['order_items', itemId, [itemId], item],
    ] as const) {
      records.put({ connectionId, stream, rid: key, key, keyParts, eventTime: day, data, versions: [{ data, method: 'owner_artifact', batchIds: [batchId], asOf: now }], batchIds: [batchId], methods: ['owner_artifact'], firstSeenAt: now, updatedAt: now });
      changes.add({ connectionId, kind: 'record', stream, rid: key, op: 'upsert', batchId, at: now });
    }
  }
  tx.objectStore('batches').put({ id: batchId, connectionId, connectorKey: 'amazon', method: 'owner_artifact', provenance: { kind: 'artifact', fileName: 'bench.csv', sha256: '0'.repeat(64), sizeBytes: 1, parserVersion: 'bench', importedAt: now }, coverage: [], counts: { parsed: total, new: total, updated: 0, alreadyKnown: 0, skipped: 0, failed: 0, tombstoned: 0, restored: 0 }, warnings: [], status: 'committed', receivedAt: now, dataAsOf: now, artifactSha256: '0'.repeat(64), recaptureCount: 0 });
  changes.add({ connectionId, kind: 'batch', op: 'upsert', batchId, at: now });
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
  return connectionId;
}
