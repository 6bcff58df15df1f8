/**
 * The import job runner: everything after the page staged a file runs here,
 * in the background, from the staged copy, one job at a time.
 *
 *   received ─ fingerprint (sha256 while streaming; a file seen before ends
 *   │          here with its original receipt, before any parsing)
 *   parsing ── preview pass (sniff, refusals, counts, range, gaps, evidence);
 *   │          files that may all be known (sizes) are fingerprinted as they
 *   │          are read: all imported before into the suggested connection,
 *   │          whatever wraps them, ends here with the original receipt
 *   ready ──── waits for the owner to confirm a connection
 *   committing ─ chunk after chunk, each in its own transaction together
 *   │            with the job's cursor; cancellable between chunks
 *   committed | cancelled | failed (resumable) | refused | already_imported
 *
 * Everything the runner knows is in `importJobs`, so a stopped worker loses
 * nothing: `resumeAll()` on the next start picks up received/parsing jobs
 * from the top and committing jobs after their last committed chunk.
 */
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';
import type { AcquisitionBatch } from '../core/model';
import { applyBatchChunk, beginBatch, finishBatch } from '../core/chunked-batch';
import { newId } from '../core/hash';
import { ArtifactError } from '../artifacts/errors';
import { ARTIFACT_LIMITS, type ArtifactLimits } from '../artifacts/limits';
import { openArtifact, type OpenedArtifact } from '../artifacts/open-artifact';
import { blobSource, type ByteSource } from '../artifacts/source';
import type { ParseSummary } from '../artifacts/streaming';
import { sha256OfStream } from './sha256-stream';
import { fingerprinted, identifyingFingerprints, mayAllBeKnown, originalReceiptFor, readFingerprints, receiptEntries, sha256sOf } from './artifact-identity';
import { SNAPSHOT_THRESHOLD } from '../export/outbox';
import { commitRoutes, confirmRoutes, RouteCancelled, RouteStale, type RouteHost, type RoutedJob } from './routes';
import { connectionForTarget, ImportRequestError, type ImportTarget } from './confirm-target';
import { runFingerprintPass, runPreviewPass, type PreviewHost } from './preview-pass';
import { artifactBatchHeader, bareFileFingerprint, counted, stopReason, withSummary } from './reading';
import { ACTIVE_JOB_STATUSES, type EntryFingerprint, type ImportJobRow, type ImportRunnerOptions, type ImportSettings } from './types';

/**
 * 1,000 rows a chunk (about 1,800 Amazon records): as fast as 2,000 in the bench, and half the
 * objects alive while a chunk waits on IndexedDB, which keeps the worker's heap peak flat.
 */
export const DEFAULT_IMPORT_SETTINGS: ImportSettings = { maxFileBytes: ARTIFACT_LIMITS.maxFileBytes, chunkRows: 1000 };
const SETTINGS_KEY = 'import.settings';

export { ImportRequestError, type ImportTarget } from './confirm-target';
export type { ImportRunnerOptions } from './types';

class Cancelled extends Error {}
class StaleChunk extends Error {}

export class ImportRunner {
  private readonly queue: string[] = [];
  private loop: Promise<void> | undefined;
  private lastKeepAlive = 0;

  constructor(
    private readonly db: GleanerDatabase,
    private readonly connectors: readonly ConnectorDefinition[],
    private readonly options: ImportRunnerOptions = {},
  ) {}

  async settings(): Promise<ImportSettings> {
    const row = await this.db.meta.get(SETTINGS_KEY);
    return { ...DEFAULT_IMPORT_SETTINGS, ...((row?.value as Partial<ImportSettings>) ?? {}) };
  }

  async saveSettings(change: Partial<ImportSettings>): Promise<ImportSettings> {
    const next = { ...(await this.settings()), ...change };
    await this.db.meta.put({ key: SETTINGS_KEY, value: next });
    return next;
  }

  private async limits(): Promise<ArtifactLimits> {
    const settings = await this.settings();
    return { ...ARTIFACT_LIMITS, maxFileBytes: settings.maxFileBytes };
  }

  /** Creates the job for a staged file (or returns the one that exists) and starts it. */
  async start(stagedId: string): Promise<ImportJobRow> {
    const existing = await this.db.importJobs.where('stagedId').equals(stagedId).first();
    if (existing) return existing;
    const staged = await this.db.staged.get(stagedId);
    if (!staged) throw new ArtifactError('staged_file_missing', 'That upload is no longer waiting; choose the file again.');
    const now = new Date().toISOString();
    const job: ImportJobRow = {
      id: newId('imp'),
      stagedId,
      status: 'received',
      fileName: staged.fileName,
      sizeBytes: staged.blob.size,
      lastModified: staged.lastModified,
      createdAt: now,
      updatedAt: now,
      bytesRead: 0,
      chunksCommitted: 0,
      rowsCommitted: 0,
      recordsCommitted: 0,
      runs: 0,
    };
    await this.db.importJobs.add(job);
    this.kick(job.id);
    return job;
  }

  async get(jobId: string): Promise<ImportJobRow> {
    const job = await this.db.importJobs.get(jobId);
    if (!job) throw new ImportRequestError('job_missing', 'That import is no longer known; choose the file again.');
    return job;
  }

  /** Queues a job; one job runs at a time so memory stays bounded. */
  kick(jobId: string): void {
    if (!this.queue.includes(jobId)) this.queue.push(jobId);
    this.options.onBusy?.();
    this.loop ??= this.drain().finally(() => {
      this.loop = undefined;
    });
  }

  /** Resolves when no job is running or queued. */
  async whenIdle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  /** Picks up every unfinished job (worker start, alarm tick). */
  async resumeAll(): Promise<void> {
    const unfinished = await this.db.importJobs.where('status').anyOf([...ACTIVE_JOB_STATUSES]).toArray();
    for (const job of unfinished.sort((a, b) => a.createdAt.localeCompare(b.createdAt))) this.kick(job.id);
  }

  private async drain(): Promise<void> {
    for (let id = this.queue.shift(); id; id = this.queue.shift()) {
      try {
        await this.run(id);
      } catch (error) {
        // A job that throws outside its own handling is left as it was and retried on the next resume.
        console.error('[gleaner] import job stopped:', error instanceof Error ? error.name : 'error');
      }
    }
    const unfinished = await this.db.importJobs.where('status').anyOf([...ACTIVE_JOB_STATUSES]).count();
    this.options.onIdle?.(unfinished > 0);
  }

  private keepAlive(): void {
    const now = Date.now();
    if (now - this.lastKeepAlive > 10_000) {
      this.lastKeepAlive = now;
      this.options.keepAlive?.();
    }
  }

  private async update(jobId: string, change: Partial<ImportJobRow>): Promise<void> {
    await this.db.importJobs.update(jobId, { ...change, updatedAt: new Date().toISOString() });
  }

  /** Updates a job only if it is still in `status` (the owner may have discarded it meanwhile). */
  private async advance(jobId: string, status: ImportJobRow['status'], change: Partial<ImportJobRow>): Promise<boolean> {
    return this.db.transaction('rw', this.db.importJobs, async () => {
      const current = await this.db.importJobs.get(jobId);
      if (current?.status !== status) return false;
      await this.update(jobId, change);
      return true;
    });
  }

  private async refuse(job: ImportJobRow, error: ArtifactError): Promise<void> {
    await this.db.transaction('rw', [this.db.importJobs, this.db.staged], async () => {
      const current = await this.db.importJobs.get(job.id);
      if (current && current.status !== job.status) return;
      await this.update(job.id, { status: 'refused', error: { code: error.code, message: error.message }, finishedAt: new Date().toISOString() });
      await this.db.staged.delete(job.stagedId);
    });
  }

  private async run(jobId: string): Promise<void> {
    for (;;) {
      const job = await this.db.importJobs.get(jobId);
      if (!job) return;
      try {
        if (job.status === 'received') await runFingerprintPass(this.previewHost(), job);
        else if (job.status === 'parsing') await runPreviewPass(this.previewHost(), job);
        else if (job.status === 'committing') await this.commitPass(job);
        else return;
      } catch (error) {
        if (error instanceof ArtifactError && job.status !== 'committing') {
          await this.refuse(job, error);
          return;
        }
        if (job.status === 'committing') {
          await this.stopCommit(job.id, 'failed', error);
          return;
        }
        throw error;
      }
    }
  }

  private async stagedSource(job: ImportJobRow): Promise<ByteSource> {
    const staged = await this.db.staged.get(job.stagedId);
    if (!staged) throw new ArtifactError('staged_file_missing', 'The uploaded copy of this file is gone; choose the file again.');
    return blobSource(staged.blob);
  }

  /** The file's sha256, read on its own (progress saved now and then). */
  private async hashWhole(job: ImportJobRow, source: ByteSource): Promise<string> {
    let lastSaved = 0;
    return sha256OfStream(source.stream(0, source.size, 1024 * 1024), async (bytes) => {
      this.keepAlive();
      if (bytes - lastSaved >= 16 * 1024 * 1024) {
        lastSaved = bytes;
        await this.update(job.id, { bytesRead: bytes });
      }
    });
  }

  private async open(job: ImportJobRow): Promise<OpenedArtifact> {
    return openArtifact(await this.stagedSource(job), job.fileName, this.connectors, await this.limits());
  }

  /** The runner's steps the fingerprint and preview passes borrow (src/import/preview-pass.ts). */
  private previewHost(): PreviewHost {
    return {
      db: this.db,
      open: (job) => this.open(job),
      settings: () => this.settings(),
      limits: () => this.limits(),
      advance: (jobId, status, change) => this.advance(jobId, status, change),
      keepAlive: () => this.keepAlive(),
      stagedSource: (job) => this.stagedSource(job),
      hashWhole: (job, source) => this.hashWhole(job, source),
    };
  }

  /** The owner's go-ahead: which connection the file goes to. */
  async confirm(jobId: string, target: ImportTarget): Promise<ImportJobRow> {
    const job = await this.get(jobId);
    if (job.status !== 'ready' || !job.preview) throw new ImportRequestError('wrong_state', 'This import is not waiting for confirmation.');
    const connector = this.connectors.find((candidate) => candidate.key === job.preview!.connectorKey);
    if (!connector) throw new ImportRequestError('bad_target', 'Gleaner no longer has the connector for this file.');
    const routes = job.preview.routes;
    if (routes) {
      // Several accounts in one file: each goes to its own connection (the preview named them), whatever `target` says.
      await confirmRoutes(this.db, connector, job, routes);
      this.kick(jobId);
      return this.get(jobId);
    }
    const connectionId = await connectionForTarget(this.db, connector, job.preview, target);
    // Without a sha256 yet (no committed import had its size, see `fingerprint`) it cannot be here already as a
    // whole file; the commit hashes it first. Its files may be, in another wrapper (`artifact-identity.ts`).
    const sameFile = job.sha256 ? await this.db.batches.where('[connectionId+artifactSha256]').equals([connectionId, job.sha256]).first() : undefined;
    const original = sameFile?.status === 'committed' ? sameFile : await originalReceiptFor(this.db, connectionId, sha256sOf(job.entryFingerprints));
    if (original) {
      await this.update(jobId, { status: 'already_imported', connectionId, originalBatchId: original.id, finishedAt: new Date().toISOString() });
    } else {
      const confirmedAt = new Date().toISOString();
      await this.update(jobId, { status: 'committing', connectionId, confirmedAt, timings: { ...job.timings, confirmed: confirmedAt } });
      this.kick(jobId);
    }
    return this.get(jobId);
  }

  /** Stops a job: before commit it is dropped; during commit it stops after the chunk in flight, keeping what landed. */
  async cancel(jobId: string): Promise<ImportJobRow> {
    const job = await this.get(jobId);
    if (job.status === 'committing') {
      await this.update(jobId, { cancelRequested: true });
      this.kick(jobId); // finalises the cancel even if no run is in flight (e.g. after a worker restart)
    } else if (job.status === 'received' || job.status === 'parsing' || job.status === 'ready') {
      await this.discard(jobId);
    }
    return this.get(jobId);
  }

  /** Continues a cancelled or failed commit from its last committed chunk. */
  async resume(jobId: string): Promise<ImportJobRow> {
    const job = await this.get(jobId);
    if (job.status !== 'cancelled' && job.status !== 'failed') throw new ImportRequestError('wrong_state', 'Only a stopped import can be resumed.');
    if (!(await this.db.staged.get(job.stagedId))) throw new ArtifactError('staged_file_missing', 'The uploaded copy of this file is gone; choose the file again to import the rest.');
    await this.update(jobId, { status: 'committing', cancelRequested: false, error: undefined });
    this.kick(jobId);
    return this.get(jobId);
  }

  /** Drops the staged copy of a job that stored nothing, or of a finished one. */
  async discard(jobId: string): Promise<ImportJobRow> {
    const job = await this.get(jobId);
    if (job.status === 'committing') throw new ImportRequestError('wrong_state', 'Cancel the import first.');
    await this.db.transaction('rw', [this.db.importJobs, this.db.staged], async () => {
      if (job.status === 'received' || job.status === 'parsing' || job.status === 'ready') {
        await this.update(jobId, { status: 'discarded', finishedAt: new Date().toISOString() });
      }
      await this.db.staged.delete(job.stagedId);
    });
    return this.get(jobId);
  }

  /** Phase 3: chunk after chunk, each stored atomically with the job's cursor. */
  private async commitPass(job: ImportJobRow): Promise<void> {
    if ((job as RoutedJob).routes) {
      try {
        await commitRoutes(this.routeHost(), job as RoutedJob);
      } catch (error) {
        if (error instanceof RouteCancelled) await this.stopCommit(job.id, 'cancelled');
        else if (!(error instanceof RouteStale)) throw error;
      }
      return;
    }
    // Hashed here, not before the preview (unless the preview fingerprinted a bare file: that fingerprint is its
    // sha256): the owner sees the preview sooner. A copy committed meanwhile (same file, two uploads) is caught
    // by `beginBatch` below, which answers with the original receipt.
    job = { ...job, sha256: await this.ensureSha256(job) };
    const preview = job.preview!;
    const opened = await this.open(job);
    const { connector, parser } = opened;
    job = { ...job, entryFingerprints: job.entryFingerprints ?? bareFileFingerprint(job, opened) };
    if (connector.key !== preview.connectorKey) throw new ArtifactError('unknown_format', 'This file no longer reads as it did in the preview; choose it again.');
    const settings = await this.settings();
    const limits = await this.limits();
    if (!job.batchId) {
      // Its files all committed into this connection after its preview (another upload of them was confirmed
      // first; jobs run one at a time, so none can land between this check and `beginBatch`). Not fingerprinted
      // by the preview (no file had a known size then) but now maybe known: read for the fingerprints alone.
      if (!job.entryFingerprints && (await mayAllBeKnown(this.db, { connectionId: job.connectionId! }, opened.files))) {
        const entryFingerprints = await readFingerprints(opened.files, () => this.keepAlive());
        await this.update(job.id, { entryFingerprints });
        job = { ...job, entryFingerprints };
      }
      const original = await originalReceiptFor(this.db, job.connectionId!, sha256sOf(job.entryFingerprints));
      if (original) {
        await this.update(job.id, { status: 'already_imported', originalBatchId: original.id, finishedAt: new Date().toISOString() });
        return;
      }
    }
    const header = artifactBatchHeader(job, connector);
    const begun = await beginBatch(this.db, header);
    if (begun.outcome === 'already_imported') {
      await this.update(job.id, { status: 'already_imported', originalBatchId: begun.batch.id, finishedAt: new Date().toISOString() });
      return;
    }
    await this.update(job.id, { batchId: begun.batch.id, runs: job.runs + 1, bytesRead: 0 });
    // Many new records: one change-feed row per chunk, not per record (the export reads the chunk's records by its seq).
    const known = preview.candidates.find((candidate) => candidate.connectionId === job.connectionId)?.known ?? 0;
    const feed = preview.records - known > SNAPSHOT_THRESHOLD ? 'bulk' : 'records';
    const batchId = begun.batch.id;
    let bytes = 0;
    const out: { summary?: ParseSummary } = {};
    // Files the preview did not fingerprint are fingerprinted now, as the commit reads them (every file, from the
    // start, also when resuming), and the receipt records them when it is final.
    const read: (EntryFingerprint | undefined)[] = [];
    const files = counted(job.entryFingerprints ? opened.files : fingerprinted(opened.files, read), (n) => (bytes += n));
    let index = 0;
    for await (const chunk of withSummary(parser.parseChunks(files, { chunkRows: settings.chunkRows, limits }), out)) {
      const chunkIndex = index++;
      if (chunkIndex < job.chunksCommitted) continue; // stored before the worker stopped
      let committedJob: ImportJobRow | undefined;
      try {
        await applyBatchChunk(
          this.db,
          header,
          batchId,
          { observations: chunk.observations, skipped: chunk.skipped, failed: chunk.failed, warnings: chunk.warnings, combine: parser.combine?.bind(parser), feed },
          {
            tables: [this.db.importJobs],
            within: async () => {
              const current = await this.db.importJobs.get(job.id);
              if (!current || current.status !== 'committing') throw new Cancelled();
              if (current.cancelRequested) throw new Cancelled();
              if (current.chunksCommitted !== chunkIndex) throw new StaleChunk();
              committedJob = {
                ...current,
                chunksCommitted: chunkIndex + 1,
                rowsCommitted: current.rowsCommitted + chunk.rowsRead,
                recordsCommitted: current.recordsCommitted + chunk.observations.length - chunk.continuations,
                bytesRead: bytes,
                updatedAt: new Date().toISOString(),
              };
              await this.db.importJobs.put(committedJob);
            },
          },
        );
      } catch (error) {
        if (error instanceof Cancelled) {
          await this.stopCommit(job.id, 'cancelled');
          return;
        }
        if (error instanceof StaleChunk) return; // another run owns this job
        throw error;
      }
      this.keepAlive();
      await this.options.afterChunk?.(committedJob!, chunkIndex);
    }
    const summary = out.summary ?? { coverage: [], entries: [], replacedCharacters: 0 };
    const entryFingerprints = job.entryFingerprints ?? identifyingFingerprints(opened.files, read);
    await finishBatch(
      this.db,
      batchId,
      { status: 'committed', coverage: summary.coverage, ...receiptEntries(entryFingerprints) },
      {
        tables: [this.db.importJobs, this.db.staged],
        within: async (batch) => {
          const at = new Date().toISOString();
          const current = await this.db.importJobs.get(job.id);
          await this.db.importJobs.update(job.id, { status: 'committed', entryFingerprints, counts: batch.counts, bytesRead: bytes, finishedAt: at, updatedAt: at, cancelRequested: false, timings: { ...current?.timings, committed: at } });
          await this.db.staged.delete(job.stagedId);
        },
      },
    );
  }

  /** The staged file's sha256, computed and saved on the job if it is not yet known. */
  private async ensureSha256(job: ImportJobRow): Promise<string> {
    if (job.sha256) return job.sha256;
    const sha256 = await this.hashWhole(job, await this.stagedSource(job));
    await this.update(job.id, { sha256 });
    return sha256;
  }

  /** The runner's steps a routed commit (one upload, several accounts) borrows. */
  private routeHost(): RouteHost {
    return {
      db: this.db,
      open: (job) => this.open(job),
      settings: () => this.settings(),
      limits: () => this.limits(),
      ensureSha256: (job) => this.ensureSha256(job),
      keepAlive: () => this.keepAlive(),
      afterChunk: this.options.afterChunk,
    };
  }

  /** Ends a commit early; the receipt keeps exactly what landed, and the staged copy stays for a resume. */
  private async stopCommit(jobId: string, status: 'cancelled' | 'failed', error?: unknown): Promise<void> {
    const job = await this.db.importJobs.get(jobId);
    if (!job) return;
    const reason = stopReason(error);
    let batch: AcquisitionBatch | undefined;
    if (job.batchId) {
      const coverageStreams = job.preview ? Object.keys(job.preview.recordsByStream) : [];
      batch = await finishBatch(this.db, job.batchId, {
        status,
        coverage: coverageStreams.map((stream) => ({ stream, start: '1970-01-01', end: '1970-01-01', completeness: 'partial' as const })),
      }).catch(() => undefined);
    }
    await this.update(jobId, { status, error: reason, counts: batch?.counts ?? job.counts, cancelRequested: false, finishedAt: new Date().toISOString() });
  }
}
