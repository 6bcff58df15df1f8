/**
 * The import pipeline in the built extension: the job runs in the background
 * from the staged copy, so closing the page or stopping the service worker
 * mid-commit loses nothing and duplicates nothing; a file seen before (or
 * the same export in another wrapper) shows its original receipt; every
 * refusal stores nothing.
 */
import { rmSync } from 'node:fs';
import { strToU8, zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportJobView } from '../../src/background/import-handlers';
import { amazonOrderHistoryParser } from '../../src/connectors/amazon/artifact';
import { AMAZON_EXPORT_CSV, AMAZON_EXPORT_ZIP_NAME, amazonExportCsvBytes, makeAmazonExportZip } from '../fixtures/amazon';
import { amazonCsv } from '../unit/import/generate-amazon-csv';
import { encryptedZip } from '../unit/import/support';
import { DashboardPage, type UploadFile } from './pages/dashboard-page';
import { launchExtension, stopServiceWorkers, type ExtensionSession } from './support/extension';
import { listBatches, listConnections } from './support/api';

let session: ExtensionSession;
beforeEach(async () => {
  session = await launchExtension();
});
afterEach(async () => {
  await session?.close();
});

const ROWS = 8_000;
const bigCsv = amazonCsv(ROWS, 11);
const bigUpload = (): UploadFile => ({ name: 'Retail.OrderHistory.1.csv', buffer: Buffer.from(bigCsv), mimeType: 'text/csv' });
/** Distinct orders + items in the big file, by the whole-file parser. */
const expectedRecords = amazonOrderHistoryParser.parse([{ path: 'Retail.OrderHistory.1.csv', text: () => bigCsv }]).observations.length;

async function latestJob(): Promise<ImportJobView> {
  const [job] = await session.call<ImportJobView[]>('import.list', { limit: 1 });
  if (!job) throw new Error('no import job');
  return job;
}

async function waitForJob(predicate: (job: ImportJobView) => boolean, timeoutMs = 120_000): Promise<ImportJobView> {
  const started = Date.now();
  for (;;) {
    const job = await latestJob().catch(() => undefined);
    if (job && predicate(job)) return job;
    if (Date.now() - started > timeoutMs) throw new Error(`import job did not get there in time (last: ${job?.status} ${job?.chunksCommitted})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startBigImport(): Promise<DashboardPage> {
  await session.call('import.settings.set', { chunkRows: 300 });
  const dashboard = await DashboardPage.open(session);
  await dashboard.chooseFile(bigUpload());
  expect((await dashboard.waitForPreviewOrError()).preview).toBe(true);
  await dashboard.page.getByTestId('target-new').check();
  await dashboard.page.getByTestId('account-name').fill('Dana');
  await dashboard.page.getByTestId('confirm-import').click();
  return dashboard;
}

async function expectCompleteWithoutDuplicates(job: ImportJobView): Promise<void> {
  expect(job.status).toBe('committed');
  const [connection] = await listConnections(session);
  expect(connection?.visibleRecords).toBe(expectedRecords);
  const batches = await listBatches(session, connection!.id);
  expect(batches).toHaveLength(1);
  expect(batches[0]).toMatchObject({ status: 'committed', counts: { parsed: expectedRecords, new: expectedRecords, updated: 0, alreadyKnown: 0 } });
}

describe('background import jobs', () => {
  it('finishes the import after the dashboard page is closed mid-commit', async () => {
    const dashboard = await startBigImport();
    await dashboard.page.getByTestId('import-progress').waitFor();
    await waitForJob((job) => job.status === 'committing' && job.chunksCommitted >= 2);
    await dashboard.screenshot('import-progress');
    await dashboard.page.close();
    const mid = await latestJob();
    expect(mid.status).toBe('committing');
    expect(mid.recordsCommitted).toBeLessThan(expectedRecords);

    const done = await waitForJob((job) => !['committing'].includes(job.status));
    await expectCompleteWithoutDuplicates(done);
    // Reopening the dashboard shows the finished receipt with its next step.
    const reopened = await DashboardPage.open(session);
    const receipt = await reopened.receipt();
    expect(receipt.outcome).toBe('merged');
    expect(receipt.text).toMatch(/visit your orders on Amazon/i);
    await reopened.page.close();
  });

  it('resumes after the service worker is stopped mid-commit, without duplicates', async () => {
    const dashboard = await startBigImport();
    await waitForJob((job) => job.status === 'committing' && job.chunksCommitted >= 3);
    await stopServiceWorkers(session);
    const interrupted = await latestJob(); // this message starts a new worker, which resumes the job
    expect(['committing', 'committed']).toContain(interrupted.status);

    const done = await waitForJob((job) => job.status !== 'committing');
    expect(done.runs).toBeGreaterThanOrEqual(2); // the commit was started again by the new worker
    await expectCompleteWithoutDuplicates(done);
    const receipt = await dashboard.receipt();
    expect(receipt.outcome).toBe('merged');
    expect(receipt.text).toMatch(new RegExp(`${expectedRecords} new`));
    await dashboard.screenshot('import-resumed-after-worker-stop');
  });

  it('resumes after the browser is closed mid-commit and started again, without duplicates', async () => {
    await startBigImport();
    await waitForJob((job) => job.status === 'committing' && job.chunksCommitted >= 3);
    const profile = session.userDataDir;
    await session.close({ keepProfile: true });
    session = await launchExtension({ userDataDir: profile });
    const done = await waitForJob((job) => job.status !== 'committing');
    expect(done.runs).toBeGreaterThanOrEqual(2);
    await expectCompleteWithoutDuplicates(done);
    await session.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('shows the original receipt at once for the same file twice', async () => {
    const dashboard = await DashboardPage.open(session);
    const zip = (): UploadFile => ({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' });
    const first = await dashboard.importFile(zip(), { newAccountName: 'Dana' });
    expect(first.outcome).toBe('merged');
    await dashboard.chooseFile({ ...zip(), name: 'Your Orders (1).zip' });
    expect(await dashboard.waitForPreviewOrError()).toMatchObject({ alreadyImported: true });
    const again = await dashboard.receipt();
    expect(again).toMatchObject({ outcome: 'already_imported', batchId: first.batchId });
    const job = await latestJob();
    expect(job.status).toBe('already_imported');
    expect(job.preview).toBeUndefined(); // recognised by its fingerprint, before any parsing
    const [connection] = await listConnections(session);
    expect(await listBatches(session, connection!.id)).toHaveLength(1);
    await dashboard.screenshot('import-same-file-twice');
  });

  it('shows the original receipt for the bare CSV after the zip that holds it, with no new batch', async () => {
    const dashboard = await DashboardPage.open(session);
    const first = await dashboard.importFile({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' }, { newAccountName: 'Dana' });
    expect(first.outcome).toBe('merged');
    const [connection] = await listConnections(session);
    const batchesBefore = await listBatches(session, connection!.id);
    expect(batchesBefore).toHaveLength(1);
    await dashboard.chooseFile({ name: AMAZON_EXPORT_CSV, buffer: Buffer.from(amazonExportCsvBytes()), mimeType: 'text/csv' });
    expect(await dashboard.waitForPreviewOrError()).toMatchObject({ alreadyImported: true });
    const again = await dashboard.receipt();
    expect(again).toMatchObject({ outcome: 'already_imported', batchId: first.batchId });
    expect(again.text).toMatch(/imported before \(in "Your Orders\.zip"\)/);
    const job = await latestJob();
    expect(job).toMatchObject({ status: 'already_imported', originalBatchId: first.batchId, connectionId: connection!.id });
    // Recognised by the file inside the zip, read once for the preview; nothing stored.
    expect(await listConnections(session)).toHaveLength(1);
    expect(await listBatches(session, connection!.id)).toEqual(batchesBefore);
    await dashboard.screenshot('import-bare-csv-after-zip');
  });

  it('refuses each kind of file it must not import, with an owner sentence, storing nothing', async () => {
    const dashboard = await DashboardPage.open(session);
    await dashboard.importFile({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()) }, { newAccountName: 'Dana' });
    const before = { connections: await listConnections(session) };
    const batchesBefore = await listBatches(session, before.connections[0]!.id);
    const cases: { file: UploadFile; code: string; says: RegExp; shot?: string }[] = [
      { file: { name: 'holiday.png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]) }, code: 'unknown_format', says: /not a text or zip file/, shot: 'import-refused-unknown' },
      { file: { name: 'watch-history.html', buffer: Buffer.from('<!DOCTYPE html><html><body><div>Watched a video</div></body></html>') }, code: 'html_export', says: /choose JSON/, shot: 'import-refused-html' },
      { file: { name: 'Your Orders.zip', buffer: Buffer.from(encryptedZip()) }, code: 'encrypted_zip', says: /password-protected/ },
      { file: { name: 'Your Orders.zip', buffer: Buffer.from(makeAmazonExportZip().slice(0, 300)) }, code: 'corrupt_zip', says: /damaged or incomplete/ },
      { file: { name: 'StreamingHistory_music_0.json', buffer: Buffer.from('[{"endTime":"2024-01-02 03:04","artistName":"Nils Frahm","trackName":"Says","msPlayed":61000}]') }, code: 'wrong_service', says: /Spotify/, shot: 'import-refused-wrong-service' },
      { file: { name: 'bomb.zip', buffer: Buffer.from(zipSync({ 'Retail.OrderHistory.1/Retail.OrderHistory.1.csv': new Uint8Array(8 * 1024 * 1024) }, { level: 9 })) }, code: 'zip_limits', says: /far more than an export/ },
      { file: { name: 'Retail.OrderHistory.1.csv', buffer: Buffer.from(`Order ID,Order Date\n"${'x'.repeat(1_100_000)}`) }, code: 'line_too_long', says: /far longer/ },
      { file: { name: 'Retail.OrderHistory.2.csv', buffer: Buffer.from(strToU8(amazonCsv(60, 2))) }, code: 'too_large', says: /larger than Gleaner's import limit/, shot: 'import-refused-too-large' },
    ];
    for (const { file, code, says, shot } of cases) {
      if (code === 'too_large') await session.call('import.settings.set', { maxFileBytes: 4096 });
      await dashboard.chooseFile(file);
      const state = await dashboard.waitForPreviewOrError();
      expect(state.preview, `${file.name} should be refused`).toBe(false);
      expect(state.error).toMatch(says);
      expect(state.error).toMatch(/Nothing was saved/);
      expect(await dashboard.page.getByTestId('import-error').last().getAttribute('data-code')).toBe(code);
      if (shot) await dashboard.screenshot(shot);
      expect(await listConnections(session)).toEqual(before.connections);
      expect(await listBatches(session, before.connections[0]!.id)).toEqual(batchesBefore);
    }
  });
});
