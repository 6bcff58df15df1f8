// @vitest-environment happy-dom
/**
 * Artifact identity by content: each file a parser reads inside an upload is
 * fingerprinted while the preview streams it, the receipt keeps those
 * fingerprints, and an upload whose files were all imported before into the
 * connection it would go to answers with the original receipt, whatever wraps
 * them (zip or bare, another zip, another name).
 */
import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ARTIFACT_LIMITS } from '../../../src/artifacts/limits';
import { openArtifact } from '../../../src/artifacts/open-artifact';
import { bytesSource } from '../../../src/artifacts/source';
import { connectors } from '../../../src/connectors/registry';
import type { GleanerDatabase } from '../../../src/db/database';
import { fingerprinted, identifyingFingerprints, originalReceiptFor } from '../../../src/import/artifact-identity';
import { nextActions } from '../../../src/import/receipt-copy';
import { ImportRunner } from '../../../src/import/runner';
import type { EntryFingerprint, ImportJobRow } from '../../../src/import/types';
import { AMAZON_EXPORT_CSV, AMAZON_EXPORT_ZIP_ENTRY, amazonExportCsvBytes, makeAmazonExportZip } from '../../fixtures/amazon';
import { freshDb } from '../../support/streams';
import { amazonCsv } from './generate-amazon-csv';
import { stageBytes } from './support';

const sha = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const csvBytes = amazonExportCsvBytes();
const extraCsv = new TextEncoder().encode(amazonCsv(40, 4));

/** The same CSV in another zip: another entry path, another compression level, another date. */
function rezipped(): Uint8Array {
  return zipSync({ 'Your Orders/Retail.OrderHistory.1.csv': [csvBytes, { mtime: new Date('2024-05-05T08:00:00Z') }] }, { level: 1 });
}

/** Dana's zip with a second, new order history file beside the known one. */
function zipWithExtraEntry(): Uint8Array {
  return zipSync({ [AMAZON_EXPORT_ZIP_ENTRY]: csvBytes, 'Retail.OrderHistory.2/Retail.OrderHistory.2.csv': extraCsv }, { level: 6 });
}

/** Starts a job and waits for its preview (or an earlier end). */
async function preview(db: GleanerDatabase, runner: ImportRunner, bytes: Uint8Array | string, fileName: string): Promise<ImportJobRow> {
  const job = await runner.start(await stageBytes(db, bytes, fileName, Date.UTC(2025, 0, 2)));
  await runner.whenIdle();
  return runner.get(job.id);
}

async function commit(runner: ImportRunner, job: ImportJobRow, target: { connectionId: string } | { newConnection: { accountName: string } }): Promise<ImportJobRow> {
  expect(job.status).toBe('ready');
  await runner.confirm(job.id, target);
  await runner.whenIdle();
  return runner.get(job.id);
}

/** Everything an "already imported" answer must leave as it was: receipts, records with their provenance and versions, the change feed. */
async function stored(db: GleanerDatabase) {
  return { batches: await db.batches.toArray(), records: await db.records.toArray(), changes: await db.changes.count(), connections: await db.connections.count() };
}

describe('entry fingerprints', () => {
  it('fingerprints each file as the parser reads it: a zip entry (inflated) and the bare file give the same sha256, with no read of their own', async () => {
    for (const [bytes, name] of [
      [makeAmazonExportZip(), 'Your Orders.zip'],
      [rezipped(), 'amazon-data.zip'],
      [csvBytes, AMAZON_EXPORT_CSV],
    ] as const) {
      const opened = await openArtifact(bytesSource(bytes), name, connectors, ARTIFACT_LIMITS);
      const read: (EntryFingerprint | undefined)[] = [];
      const files = fingerprinted(opened.files, read);
      expect(read).toEqual([]); // nothing is read until the parser reads
      const parse = opened.parser.parseChunks(files, { chunkRows: 1000, limits: ARTIFACT_LIMITS });
      for (let step = await parse.next(); !step.done; step = await parse.next());
      expect(identifyingFingerprints(opened.files, read)).toEqual([{ path: opened.files[0]!.path, sha256: sha(csvBytes), sizeBytes: csvBytes.length }]);
    }
  });

  it('leaves no fingerprint for a file not read to its end, and none of an upload with such a file; empty files do not identify', async () => {
    const opened = await openArtifact(bytesSource(zipWithExtraEntry()), 'Your Orders.zip', connectors, ARTIFACT_LIMITS);
    expect(opened.files).toHaveLength(2);
    const read: (EntryFingerprint | undefined)[] = [];
    const files = fingerprinted(opened.files, read);
    for await (const _chunk of files[0]!.bytes());
    const partly = files[1]!.bytes()[Symbol.asyncIterator]();
    await partly.next();
    await partly.return?.(undefined);
    expect(read[0]?.sha256).toBe(sha(csvBytes));
    expect(read[1]).toBeUndefined();
    expect(identifyingFingerprints(opened.files, read)).toBeUndefined();
    const empty = { path: 'Retail.OrderHistory.3.csv', sha256: sha(''), sizeBytes: 0 };
    expect(identifyingFingerprints([...opened.files, opened.files[0]!], [read[0], { ...read[0]!, path: 'b' }, empty])).toEqual([read[0], { ...read[0]!, path: 'b' }]);
  });
});

describe('artifact identity by content', () => {
  it('a new export’s preview hashes nothing (no file has a size any receipt holds); its commit fingerprints its files for the receipt', async () => {
    for (const [bytes, name] of [
      [makeAmazonExportZip(), 'Your Orders.zip'],
      [csvBytes, AMAZON_EXPORT_CSV],
    ] as const) {
      const db = await freshDb();
      const runner = new ImportRunner(db, connectors);
      const ready = await preview(db, runner, bytes, name);
      expect(ready.status).toBe('ready');
      expect(ready.entryFingerprints).toBeUndefined();
      expect(ready.sha256).toBeUndefined();
      const done = await commit(runner, ready, { newConnection: { accountName: 'Dana' } });
      expect(done.entryFingerprints).toEqual([{ path: expect.stringMatching(/Retail\.OrderHistory\.1\.csv$/), sha256: sha(csvBytes), sizeBytes: csvBytes.length }]);
      expect(await db.batches.get(done.batchId!)).toMatchObject({ artifactSha256: sha(bytes), entrySha256s: [sha(csvBytes)], entrySizes: [csvBytes.length] });
    }
  });

  it('the bare CSV after the zip that holds it: the original receipt, no new batch, every record and its provenance unchanged', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const zipJob = await commit(runner, await preview(db, runner, makeAmazonExportZip(), 'Your Orders.zip'), { newConnection: { accountName: 'Dana' } });
    expect(zipJob.status).toBe('committed');
    const receipt = (await db.batches.get(zipJob.batchId!))!;
    expect(receipt.entrySha256s).toEqual([sha(csvBytes)]); // the receipt keeps its entry's fingerprint
    expect(receipt.artifactSha256).toBe(sha(makeAmazonExportZip()));
    const before = await stored(db);

    const bare = await preview(db, runner, csvBytes, AMAZON_EXPORT_CSV);
    expect(bare).toMatchObject({ status: 'already_imported', originalBatchId: zipJob.batchId, connectionId: zipJob.connectionId, sha256: sha(csvBytes) });
    expect(bare.entryFingerprints).toEqual([{ path: AMAZON_EXPORT_CSV, sha256: sha(csvBytes), sizeBytes: csvBytes.length }]);
    expect(await stored(db)).toEqual(before);
    expect(nextActions(bare, connectors[0], receipt)[0]).toMatch(/imported before \(in "Your Orders\.zip"\), so nothing was changed/);
  });

  it('the zip after its bare CSV: the original receipt, no new batch', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const csvJob = await commit(runner, await preview(db, runner, csvBytes, AMAZON_EXPORT_CSV), { newConnection: { accountName: 'Dana' } });
    expect(csvJob).toMatchObject({ status: 'committed', sha256: sha(csvBytes) });
    expect((await db.batches.get(csvJob.batchId!))!).toMatchObject({ artifactSha256: sha(csvBytes), entrySha256s: [sha(csvBytes)] });
    const before = await stored(db);
    const zip = await preview(db, runner, makeAmazonExportZip(), 'Your Orders.zip');
    expect(zip).toMatchObject({ status: 'already_imported', originalBatchId: csvJob.batchId, connectionId: csvJob.connectionId });
    expect(zip.sha256).toBeUndefined(); // a zip of a size never imported is not hashed for this
    expect(await stored(db)).toEqual(before);
  });

  it('a bare file imported before entries were fingerprinted is still recognised inside a zip (its whole-file sha256 is its entry’s)', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const csvJob = await commit(runner, await preview(db, runner, csvBytes, AMAZON_EXPORT_CSV), { newConnection: { accountName: 'Dana' } });
    await db.batches.where('id').equals(csvJob.batchId!).modify((batch) => {
      delete batch.entrySha256s;
      delete batch.entrySizes;
    });
    const zip = await preview(db, runner, makeAmazonExportZip(), 'Your Orders.zip');
    expect(zip).toMatchObject({ status: 'already_imported', originalBatchId: csvJob.batchId });
  });

  it('re-zipped under another name: the original receipt, no new batch', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const zipJob = await commit(runner, await preview(db, runner, makeAmazonExportZip(), 'Your Orders.zip'), { newConnection: { accountName: 'Dana' } });
    const before = await stored(db);
    const again = await preview(db, runner, rezipped(), 'amazon-data (2).zip');
    expect(again).toMatchObject({ status: 'already_imported', originalBatchId: zipJob.batchId });
    expect(await stored(db)).toEqual(before);
  });

  it('files imported by two receipts, uploaded together in one zip: the original receipt (the earlier one holding the most), no new batch', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const first = await commit(runner, await preview(db, runner, csvBytes, AMAZON_EXPORT_CSV), { newConnection: { accountName: 'Dana' } });
    const second = await commit(runner, await preview(db, runner, extraCsv, 'Retail.OrderHistory.2.csv'), { connectionId: first.connectionId! });
    expect(second.status).toBe('committed');
    const before = await stored(db);
    const both = await preview(db, runner, zipWithExtraEntry(), 'Your Orders.zip');
    expect(both).toMatchObject({ status: 'already_imported', originalBatchId: first.batchId });
    expect(await stored(db)).toEqual(before);
  });

  it('the zip with one new file beside the known one: a normal import with its own receipt', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const zipJob = await commit(runner, await preview(db, runner, makeAmazonExportZip(), 'Your Orders.zip'), { newConnection: { accountName: 'Dana' } });
    const bigger = await preview(db, runner, zipWithExtraEntry(), 'Your Orders.zip');
    expect(bigger.status).toBe('ready');
    expect(bigger.preview!.newRecords).toBeGreaterThan(0);
    const done = await commit(runner, bigger, { connectionId: zipJob.connectionId! });
    expect(done.status).toBe('committed');
    expect(await db.batches.count()).toBe(2);
    expect((await db.batches.get(done.batchId!))!.entrySha256s).toEqual([sha(csvBytes), sha(extraCsv)]);
    // Now both files are known: the bare second file alone is recognised.
    expect(await preview(db, runner, extraCsv, 'Retail.OrderHistory.2.csv')).toMatchObject({ status: 'already_imported', originalBatchId: done.batchId });
  });

  it('into a different connection: a normal import; into the same one (confirmed before the first landed): the original receipt', async () => {
    const db = await freshDb();
    let whileZipCommits: (() => Promise<unknown>) | undefined;
    const runner: ImportRunner = new ImportRunner(db, connectors, {
      afterChunk: async () => {
        const run = whileZipCommits;
        whileZipCommits = undefined;
        await run?.();
      },
    });
    const sam = await commit(runner, await preview(db, runner, amazonCsv(30, 8), AMAZON_EXPORT_CSV), { newConnection: { accountName: 'Sam' } });
    // Three uploads of the same CSV, all previewed before the first of them is stored.
    const zipJob = await preview(db, runner, makeAmazonExportZip(), 'Your Orders.zip');
    const bareForSam = await preview(db, runner, csvBytes, AMAZON_EXPORT_CSV);
    const bareForDana = await preview(db, runner, csvBytes, 'Retail.OrderHistory.1 (1).csv');
    expect([zipJob.status, bareForSam.status, bareForDana.status]).toEqual(['ready', 'ready', 'ready']);
    expect(bareForDana.entryFingerprints).toBeUndefined(); // no receipt held a file of its size at its preview
    // Confirmed while the zip's commit is under way (its receipt not final yet): that commit finds the zip's receipt first and stores nothing.
    let confirmedMeanwhile: ImportJobRow | undefined;
    whileZipCommits = async () => (confirmedMeanwhile = await runner.confirm(bareForDana.id, { connectionId: (await runner.get(zipJob.id)).connectionId! }));
    await runner.confirm(zipJob.id, { newConnection: { accountName: 'Dana' } });
    const dana = (await runner.get(zipJob.id)).connectionId!;
    await runner.whenIdle();
    expect(confirmedMeanwhile?.status).toBe('committing');
    const zipDone = await runner.get(zipJob.id);
    expect(zipDone.status).toBe('committed');
    expect(await runner.get(bareForDana.id)).toMatchObject({ status: 'already_imported', originalBatchId: zipDone.batchId, connectionId: dana });
    expect(await db.batches.where('connectionId').equals(dana).count()).toBe(1);
    // Confirmed after it landed: answered at the confirm.
    const late = await preview(db, runner, csvBytes, 'copy.csv');
    expect(late).toMatchObject({ status: 'already_imported', originalBatchId: zipDone.batchId });

    const samBefore = await db.batches.where('connectionId').equals(sam.connectionId!).count();
    const forSam = await commit(runner, bareForSam, { connectionId: sam.connectionId! });
    expect(forSam.status).toBe('committed');
    expect(await db.batches.where('connectionId').equals(sam.connectionId!).count()).toBe(samBefore + 1);
    expect(await originalReceiptFor(db, sam.connectionId!, [sha(csvBytes)])).toMatchObject({ id: forSam.batchId });
  });

  it('two zips of the same file, both previewed before either is stored: the second one’s commit reads its files for their fingerprints and ends with the first one’s receipt', async () => {
    const db = await freshDb();
    let whileFirstCommits: (() => Promise<unknown>) | undefined;
    const runner: ImportRunner = new ImportRunner(db, connectors, { afterChunk: async () => void (await whileFirstCommits?.()) });
    const first = await preview(db, runner, makeAmazonExportZip(), 'Your Orders.zip');
    const second = await preview(db, runner, rezipped(), 'amazon-data.zip');
    expect(second.entryFingerprints).toBeUndefined();
    whileFirstCommits = async () => {
      whileFirstCommits = undefined;
      await runner.confirm(second.id, { connectionId: (await runner.get(first.id)).connectionId! });
    };
    const done = await commit(runner, first, { newConnection: { accountName: 'Dana' } });
    expect(done.status).toBe('committed');
    expect(await runner.get(second.id)).toMatchObject({ status: 'already_imported', originalBatchId: done.batchId, entryFingerprints: [{ sha256: sha(csvBytes) }] });
    expect(await db.batches.count()).toBe(1);
  });

  it('a stopped import does not count: its files import normally', async () => {
    const db = await freshDb();
    let jobId = '';
    const runner: ImportRunner = new ImportRunner(db, connectors, { afterChunk: async (_job, index) => void (index === 0 ? await runner.cancel(jobId) : undefined) });
    await runner.saveSettings({ chunkRows: 20 });
    const csv = amazonCsv(200, 3);
    const first = await preview(db, runner, csv, AMAZON_EXPORT_CSV);
    jobId = first.id;
    expect((await commit(runner, first, { newConnection: { accountName: 'Dana' } })).status).toBe('cancelled');
    const zipped = zipSync({ 'Retail.OrderHistory.1/Retail.OrderHistory.1.csv': new TextEncoder().encode(csv) });
    const again = await preview(db, runner, zipped, 'Your Orders.zip');
    expect(again.status).toBe('ready');
    // Resumed to the end, the receipt records the file (read from the start again, so fingerprinted whole).
    await runner.resume(first.id);
    await runner.whenIdle();
    const resumed = await runner.get(first.id);
    expect(resumed.status).toBe('committed');
    expect((await db.batches.get(resumed.batchId!))!.entrySha256s).toEqual([sha(csv)]);
    expect(await preview(db, runner, zipped, 'Your Orders (1).zip')).toMatchObject({ status: 'already_imported', originalBatchId: resumed.batchId });
  });
});
