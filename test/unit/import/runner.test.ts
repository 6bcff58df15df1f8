// @vitest-environment happy-dom
/** The background import job: preview, commit in chunks, resume after a stop, cancel, same file twice. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connectors } from '../../../src/connectors/registry';
import { amazonOrderHistoryParser } from '../../../src/connectors/amazon/artifact';
import { ImportRunner } from '../../../src/import/runner';
import type { ImportJobRow } from '../../../src/import/types';
import { freshDb } from '../../support/streams';
import { amazonExportCsvBytes, expectations, localDay, makeAmazonExportZip } from '../../fixtures/amazon';
import { amazonCsv } from './generate-amazon-csv';
import { recordContents, stageBytes } from './support';
import type { GleanerDatabase } from '../../../src/db/database';

async function importToEnd(db: GleanerDatabase, runner: ImportRunner, bytes: Uint8Array | string, fileName: string, accountName = 'Dana'): Promise<ImportJobRow> {
  const stagedId = await stageBytes(db, bytes, fileName, Date.UTC(2025, 0, 2));
  const job = await runner.start(stagedId);
  await runner.whenIdle();
  const ready = await runner.get(job.id);
  if (ready.status !== 'ready') return ready;
  await runner.confirm(job.id, { newConnection: { accountName } });
  await runner.whenIdle();
  return runner.get(job.id);
}

describe('import job', () => {
  it('previews Dana’s export zip, then commits it into a new connection with the same receipt the whole-file path gives', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const stagedId = await stageBytes(db, makeAmazonExportZip(), 'Your Orders.zip');
    const job = await runner.start(stagedId);
    await runner.whenIdle();
    const ready = await runner.get(job.id);
    expect(ready.status).toBe('ready');
    expect(ready.sha256).toBeUndefined(); // a size never imported: hashed when the commit starts
    expect(ready.preview).toMatchObject({
      connectorKey: 'amazon',
      format: 'csv',
      rowsRead: 19,
      recordsByStream: { orders: expectations.export.orderIds.length, order_items: expectations.export.itemCount },
      duplicatesInFile: 1,
      skipped: 1,
      failed: 1,
      undated: expectations.export.undatedOrderIds.length,
      newRecords: expectations.export.orderIds.length + expectations.export.itemCount,
      entries: ['Retail.OrderHistory.1/Retail.OrderHistory.1.csv'],
    });
    expect(ready.preview!.problems.map((problem) => problem.code)).toEqual(expect.arrayContaining(['duplicate_row', 'missing_order_id', 'undated_row']));
    expect(ready.preview!.eventRange?.start.slice(0, 10)).toBe(expectations.export.coverage.start);
    expect(await db.records.count()).toBe(0); // a preview stores nothing

    await runner.confirm(job.id, { newConnection: { accountName: 'Dana' } });
    await runner.whenIdle();
    const done = await runner.get(job.id);
    expect(done.status).toBe('committed');
    const batch = (await db.batches.get(done.batchId!))!;
    expect(batch.status).toBe('committed');
    expect(batch.counts).toMatchObject({ parsed: expectations.export.orderIds.length + expectations.export.itemCount, new: expectations.export.orderIds.length + expectations.export.itemCount, skipped: 1, failed: 1 });
    expect(batch.coverage.map((claim) => [claim.stream, claim.start, claim.end, claim.completeness])).toEqual([
      ['orders', expectations.export.coverage.start, expectations.export.coverage.end, 'partial'],
      ['order_items', expectations.export.coverage.start, expectations.export.coverage.end, 'partial'],
    ]);
    expect(await db.records.count()).toBe(batch.counts.new);
    expect(await db.staged.count()).toBe(0);
    // The same observations as the whole-file parser.
    const whole = amazonOrderHistoryParser.parse([{ path: 'Retail.OrderHistory.1.csv', text: () => new TextDecoder().decode(amazonExportCsvBytes()) }]);
    const stored = await db.records.where('connectionId').equals(done.connectionId!).toArray();
    for (const observation of whole.observations) {
      const key = String(observation.data.id); // an item's id is its `<order>|<item key>` key
      expect(stored.find((record) => record.stream === observation.stream && record.key === key)?.data).toEqual(Object.fromEntries(Object.entries(observation.data).filter(([, value]) => value !== null)));
    }
  });

  it('shows the original receipt for a file seen before, before any parsing', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const first = await importToEnd(db, runner, makeAmazonExportZip(), 'Your Orders.zip');
    const again = await stageBytes(db, makeAmazonExportZip(), 'copy of it.zip');
    const job = await runner.start(again);
    await runner.whenIdle();
    const seen = await runner.get(job.id);
    expect(seen).toMatchObject({ status: 'already_imported', originalBatchId: first.batchId, connectionId: first.connectionId });
    expect(seen.preview).toBeUndefined();
    expect(await db.batches.count()).toBe(1);
  });

  it('hashes a file of a size never imported when its commit starts, not before the preview; the hash is its sha256', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const csv = amazonCsv(300, 5);
    const zip = makeAmazonExportZip();
    const sha = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
    const previewed = await runner.start(await stageBytes(db, csv, 'Retail.OrderHistory.1.csv'));
    await runner.whenIdle();
    const previewedJob = await runner.get(previewed.id);
    expect(previewedJob.status).toBe('ready');
    expect(previewedJob.sha256).toBeUndefined();
    await runner.discard(previewed.id);
    const csvJob = await importToEnd(db, runner, csv, 'Retail.OrderHistory.1.csv');
    expect(csvJob).toMatchObject({ status: 'committed', sha256: sha(csv) });
    expect((await db.batches.get(csvJob.batchId!))!.artifactSha256).toBe(sha(csv));
    const zipJob = await importToEnd(db, runner, zip, 'Your Orders.zip', 'Sam');
    expect(zipJob).toMatchObject({ status: 'committed', sha256: sha(zip) });
    // The same CSV again (same size): hashed before parsing, the original receipt.
    const again = await runner.start(await stageBytes(db, csv, 'again.csv'));
    await runner.whenIdle();
    const seen = await runner.get(again.id);
    expect(seen).toMatchObject({ status: 'already_imported', originalBatchId: csvJob.batchId });
    expect(seen.preview).toBeUndefined();
    // Other bytes of the same size as the zip: hashed first, then previewed as a new file.
    const sameSize = new TextEncoder().encode(csv).slice(0, zip.length);
    const other = await runner.start(await stageBytes(db, sameSize, 'Retail.OrderHistory.1.csv'));
    await runner.whenIdle();
    expect(await runner.get(other.id)).toMatchObject({ status: 'ready', sha256: sha(sameSize) });
  });

  it('two uploads of one new file, both previewed before either commits: the second ends with the first one’s receipt', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const csv = amazonCsv(200, 9);
    const first = await runner.start(await stageBytes(db, csv, 'Retail.OrderHistory.1.csv'));
    const second = await runner.start(await stageBytes(db, csv, 'Retail.OrderHistory.1 (1).csv'));
    await runner.whenIdle();
    expect((await runner.get(second.id)).status).toBe('ready');
    await runner.confirm(first.id, { newConnection: { accountName: 'Dana' } });
    await runner.whenIdle();
    const committed = await runner.get(first.id);
    expect(committed.status).toBe('committed');
    const recordsBefore = await db.records.count();
    await runner.confirm(second.id, { connectionId: committed.connectionId! });
    await runner.whenIdle();
    expect(await runner.get(second.id)).toMatchObject({ status: 'already_imported', originalBatchId: committed.batchId });
    expect(await db.batches.count()).toBe(1);
    expect(await db.records.count()).toBe(recordsBefore);
  });

  it('resumes after the worker stopped mid-commit, from the last committed chunk, without duplicates', async () => {
    const csv = amazonCsv(1200, 3);
    // A clean run for reference.
    const cleanDb = await freshDb();
    const clean = new ImportRunner(cleanDb, connectors);
    await clean.saveSettings({ chunkRows: 100 });
    const reference = await importToEnd(cleanDb, clean, csv, 'Retail.OrderHistory.1.csv');
    expect(reference.status).toBe('committed');
    expect(reference.chunksCommitted).toBeGreaterThan(8);

    const db = await freshDb();
    // The first worker "dies" after its fourth chunk: it never continues (like a stopped service worker).
    const dying = new ImportRunner(db, connectors, { afterChunk: (_job, index) => (index === 3 ? new Promise<void>(() => undefined) : undefined) });
    await dying.saveSettings({ chunkRows: 100 });
    const stagedId = await stageBytes(db, csv, 'Retail.OrderHistory.1.csv', Date.UTC(2025, 0, 2));
    const job = await dying.start(stagedId);
    await dying.whenIdle();
    await dying.confirm(job.id, { newConnection: { accountName: 'Dana' } });
    for (let i = 0; i < 200 && (await dying.get(job.id)).chunksCommitted < 4; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const stopped = await dying.get(job.id);
    expect(stopped).toMatchObject({ status: 'committing', chunksCommitted: 4 });
    const partial = (await db.batches.get(stopped.batchId!))!;
    expect(partial.status).toBe('importing');
    expect(await db.records.count()).toBe(partial.counts.new); // the receipt so far is exactly what is stored

    // The next worker start.
    const next = new ImportRunner(db, connectors);
    await next.resumeAll();
    await next.whenIdle();
    const done = await next.get(job.id);
    expect(done).toMatchObject({ status: 'committed', runs: 2, chunksCommitted: reference.chunksCommitted });
    const batch = (await db.batches.get(done.batchId!))!;
    const referenceBatch = (await cleanDb.batches.get(reference.batchId!))!;
    expect(batch.counts).toEqual(referenceBatch.counts);
    expect(await recordContents(db, done.connectionId!)).toEqual(await recordContents(cleanDb, reference.connectionId!));
    expect(await db.changes.filter((change) => change.kind === "record").count()).toBe(await cleanDb.changes.filter((change) => change.kind === "record").count());
  }, 60_000); // thousands of records through fake-indexeddb, which keeps every index (v8: two more) in JS

  it('cancels between chunks with a receipt of exactly what landed, then resumes to the same end state', async () => {
    const csv = amazonCsv(800, 5);
    const db = await freshDb();
    let runner!: ImportRunner;
    let jobId = '';
    runner = new ImportRunner(db, connectors, { afterChunk: async (_job, index) => void (index === 1 ? await runner.cancel(jobId) : undefined) });
    await runner.saveSettings({ chunkRows: 100 });
    const stagedId = await stageBytes(db, csv, 'Retail.OrderHistory.1.csv', Date.UTC(2025, 0, 2));
    jobId = (await runner.start(stagedId)).id;
    await runner.whenIdle();
    await runner.confirm(jobId, { newConnection: { accountName: 'Dana' } });
    await runner.whenIdle();
    const cancelled = await runner.get(jobId);
    expect(cancelled).toMatchObject({ status: 'cancelled', chunksCommitted: 2 });
    const receipt = (await db.batches.get(cancelled.batchId!))!;
    expect(receipt.status).toBe('cancelled');
    expect(await db.records.count()).toBe(receipt.counts.new);
    expect(cancelled.recordsCommitted).toBe(receipt.counts.parsed);
    expect(receipt.coverage.every((claim) => claim.completeness === 'partial')).toBe(true);

    await runner.resume(jobId);
    await runner.whenIdle();
    const done = await runner.get(jobId);
    expect(done.status).toBe('committed');
    const cleanDb = await freshDb();
    const clean = new ImportRunner(cleanDb, connectors);
    await clean.saveSettings({ chunkRows: 100 });
    const reference = await importToEnd(cleanDb, clean, csv, 'Retail.OrderHistory.1.csv');
    expect((await db.batches.get(done.batchId!))!.counts).toEqual((await cleanDb.batches.get(reference.batchId!))!.counts);
    expect(await recordContents(db, done.connectionId!)).toEqual(await recordContents(cleanDb, reference.connectionId!));
  }, 60_000); // thousands of records through fake-indexeddb, which keeps every index (v8: two more) in JS

  it('combines the rows of one order that sit in different chunks (totals and quantities add up)', async () => {
    const header = 'Order ID,Order Date,Currency,Total Owed,ASIN,Quantity,Product Name\n';
    const filler = Array.from({ length: 30 }, (_, i) => `112-0000000-${String(1000000 + i)},2020-01-0${(i % 9) + 1}T10:00:00Z,USD,1.00,B00000000${i % 10},1,Thing ${i}`).join('\n');
    const csv = `${header}111-1111111-1111111,2020-02-01T10:00:00Z,USD,10.00,B000000AAA,1,Mug\n${filler}\n111-1111111-1111111,2020-02-01T10:00:00Z,USD,5.00,B000000AAA,2,Mug\n111-1111111-1111111,2020-02-01T10:00:00Z,USD,3.00,B000000BBB,1,Plate\n`;
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    await runner.saveSettings({ chunkRows: 10 });
    const done = await importToEnd(db, runner, csv, 'Retail.OrderHistory.1.csv');
    expect(done.status).toBe('committed');
    expect(done.chunksCommitted).toBeGreaterThan(2);
    const order = await db.records.get([done.connectionId!, 'orders', '111-1111111-1111111']);
    expect(order?.data).toMatchObject({ order_total_cents: 1800, item_count: 2, order_date: localDay('2020-02-01T10:00:00Z'), ordered_at: '2020-02-01T10:00:00Z' });
    expect(order?.versions).toHaveLength(1);
    const mug = await db.records.get([done.connectionId!, 'order_items', '111-1111111-1111111|B000000AAA']);
    expect(mug?.data.quantity).toBe(3);
    const batch = (await db.batches.get(done.batchId!))!;
    expect(batch.counts.parsed).toBe(31 + 32); // orders + items, each counted once
    const whole = amazonOrderHistoryParser.parse([{ path: 'Retail.OrderHistory.1.csv', text: () => csv }]);
    expect(whole.observations.find((o) => o.data.id === '111-1111111-1111111')?.data).toEqual(order?.data);
  });

  it('previews a second file against the connections that exist: key overlap, known and new records, the suggested target', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const first = await importToEnd(db, runner, makeAmazonExportZip(), 'Your Orders.zip');
    const stored = await db.records.where('connectionId').equals(first.connectionId!).count();
    // The same rows as a bare CSV (other bytes, so not "seen before"), plus one order Gleaner has not seen.
    const csv = new TextDecoder().decode(amazonExportCsvBytes()).replace(/\r?\n?$/, '\n');
    const extra = `${csv}amazon.com,111-9999999-9999999,2023-10-01T10:00:00Z,,USD,1.00,0,0,0,1.00,1.00,0,B0NEWNEW01,New,1,Visa - 1234,Closed,Shipped,2023-10-02T10:00:00Z,Standard,"Dana Whitfield, 1 Main St",,,New Thing,,,,\n`;
    const job = await runner.start(await stageBytes(db, extra, 'Retail.OrderHistory.1.csv'));
    await runner.whenIdle();
    const { preview } = await runner.get(job.id);
    expect(preview?.suggestedConnectionId).toBe(first.connectionId);
    expect(preview?.knownRecords).toBe(stored);
    expect(preview?.newRecords).toBe(preview!.records - stored);
    expect(preview?.newRecords).toBeGreaterThanOrEqual(1);
    const candidate = preview?.candidates.find((entry) => entry.connectionId === first.connectionId);
    expect(candidate).toMatchObject({ known: stored, compared: candidate!.overlap + 1 });
  });

  it('enters a large import into the change feed one row per chunk, a small one record by record', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const small = await importToEnd(db, runner, makeAmazonExportZip(), 'Your Orders.zip');
    const smallRows = await db.changes.filter((change) => change.batchId === small.batchId).toArray();
    expect(smallRows.filter((change) => change.kind === 'record')).toHaveLength(small.recordsCommitted);
    expect(smallRows.some((change) => change.kind === 'bulk')).toBe(false);

    const large = await importToEnd(db, runner, amazonCsv(6000, 11), 'Retail.OrderHistory.1.csv', 'Sam');
    expect(large.status).toBe('committed');
    expect(large.preview!.records).toBeGreaterThan(10_000);
    const largeRows = await db.changes.filter((change) => change.batchId === large.batchId).toArray();
    const bulk = largeRows.filter((change) => change.kind === 'bulk');
    expect(bulk).toHaveLength(large.chunksCommitted);
    expect(largeRows.filter((change) => change.kind === 'record')).toHaveLength(0);
    expect(bulk.reduce((sum, change) => sum + (change.count ?? 0), 0)).toBe(await db.records.where('connectionId').equals(large.connectionId!).count());
  }, 60_000); // thousands of records through fake-indexeddb, which keeps every index (v8: two more) in JS

  it('drops a job the owner cancels before confirming, even while it is being read', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const job = await runner.start(await stageBytes(db, makeAmazonExportZip(), 'Your Orders.zip'));
    await runner.cancel(job.id);
    await runner.whenIdle();
    expect((await runner.get(job.id)).status).toBe('discarded');
    expect(await db.staged.count()).toBe(0);
    expect(await db.records.count()).toBe(0);
  });
});
