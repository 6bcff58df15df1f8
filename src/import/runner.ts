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
import type { AcquisitionBatch, ArtifactProvenance } from '../core/model';
import { applyBatchChunk, beginBatch, finishBatch } from '../core/merge-engine';
import { createConnection } from '../core/connections';
import { newId } from '../core/hash';
import { ArtifactError } from '../artifacts/errors';
import { emptyFileRefusal } from '../artifacts/sniff';
import { ARTIFACT_LIMITS, type ArtifactLimits } from '../artifacts/limits';
import { openArtifact, type OpenedArtifact } from '../artifacts/open-artifact';
import { blobSource, type ByteSource } from '../artifacts/source';
import type { ParsedChunk, ParseSummary, StreamFile } from '../artifacts/streaming';
import { sha256OfStream } from './sha256-stream';
import { fingerprinted, identifyingFingerprints, mayAllBeKnown, originalReceiptFor, readFingerprints, receiptEntries, sha256sOf } from './artifact-identity';
import { gapsOf, keyObservations, PreviewTally } from './preview';
import { knownKeys } from './known-keys';
import { AccountEvidenceTally, accountNameRefusal } from './account-naming';
import { otherMethodKeys, probablyKept } from './probable-overlap';
import { SNAPSHOT_THRESHOLD } from '../export/outbox';
import { commitRoutes, confirmRoutes, RouteCancelled, RouteStale, RouteTally, type RouteHost, type RoutedJob } from './routes';
import { ACTIVE_JOB_STATUSES, type EntryFingerprint, type ImportCandidate, type ImportJobRow, type ImportPreview, type ImportSettings } from './types';

/**
 * 1,000 rows a chunk (about 1,800 Amazon records): as fast as 2,000 in the bench, and half the
 * objects alive while a chunk waits on IndexedDB, which keeps the worker's heap peak flat.
 */
export const DEFAULT_IMPORT_SETTINGS: ImportSettings = { maxFileBytes: ARTIFACT_LIMITS.maxFileBytes, chunkRows: 1000 };
const SETTINGS_KEY = 'import.settings';
const STALE_AFTER_DAYS = 30;
const MAX_CANDIDATES = 10;
/** How often a running job writes its progress (the UI polls about as often). */
const PROGRESS_EVERY_MS = 250;

export type ImportTarget = { connectionId: string } | { newConnection: { accountName: string } };

/** A refusal of an owner request about a job (bad target, wrong state). */
export class ImportRequestError extends Error {
  constructor(
    readonly code: 'job_missing' | 'bad_target' | 'account_mismatch' | 'wrong_state' | 'account_name_needed',
    message: string,
  ) {
    super(message);
    this.name = 'ImportRequestError';
  }
}

class Cancelled extends Error {}
class StaleChunk extends Error {}

export interface ImportRunnerOptions {
  /** Called now and then while working, so the browser keeps the worker alive. */
  keepAlive?: () => void;
  /** Called when the runner goes idle, with whether unfinished jobs remain. */
  onIdle?: (unfinished: boolean) => void;
  /** Called whenever a job is queued (the background arms its restart alarm). */
  onBusy?: () => void;
  /** Test hook, after each committed chunk (throw to simulate a stopped worker). */
  afterChunk?: (job: ImportJobRow, chunkIndex: number) => void | Promise<void>;
}

/** Counts bytes as a file is read, for progress. */
function counted(files: StreamFile[], onBytes: (n: number) => void): StreamFile[] {
  return files.map((file) => ({
    ...file,
    async *bytes() {
      for await (const chunk of file.bytes()) {
        onBytes(chunk.length);
        yield chunk;
      }
    },
  }));
}

/** A bare file is its own one entry: with its sha256 known, so is its fingerprint (no second hash of the same bytes). */
function bareFileFingerprint(job: ImportJobRow, opened: OpenedArtifact): EntryFingerprint[] | undefined {
  const file = opened.files[0];
  return opened.container === 'file' && job.sha256 && file ? [{ path: file.path, sha256: job.sha256, sizeBytes: job.sizeBytes }] : undefined;
}

/** Iterates a generator's yields and keeps its return value. */
async function* withSummary(generator: AsyncGenerator<ParsedChunk, ParseSummary>, out: { summary?: ParseSummary }): AsyncGenerator<ParsedChunk> {
  for (;;) {
    const step = await generator.next();
    if (step.done) {
      out.summary = step.value;
      return;
    }
    yield step.value;
  }
}

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
        if (job.status === 'received') await this.fingerprint(job);
        else if (job.status === 'parsing') await this.previewPass(job);
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

  /** Phase 1: size checks and the sha256, streamed; a file seen before shows its original receipt at once. */
  private async fingerprint(job: ImportJobRow): Promise<void> {
    const source = await this.stagedSource(job);
    const limits = await this.limits();
    if (source.size === 0) throw new ArtifactError('empty_file', emptyFileRefusal(job.fileName));
    if (source.size > limits.maxFileBytes) {
      throw new ArtifactError('too_large', `"${job.fileName}" is larger than Gleaner's import limit (${Math.round(limits.maxFileBytes / 1024 / 1024)} MB). Split the export or raise the limit in settings.`);
    }
    if (!(await this.committedArtifactOfSize(source.size))) {
      // No file Gleaner committed has this size, so none has these bytes: no hash is needed to know it
      // is new. The commit hashes it (for the receipt) before storing anything.
      await this.advance(job.id, 'received', { status: 'parsing', bytesRead: 0, timings: { fingerprinted: new Date().toISOString() } });
      return;
    }
    const sha256 = await this.hashWhole(job, source);
    const original = await this.db.batches.where('artifactSha256').equals(sha256).filter((batch) => batch.status === 'committed').first();
    if (original) {
      await this.advance(job.id, 'received', { status: 'already_imported', sha256, bytesRead: source.size, originalBatchId: original.id, connectionId: original.connectionId, finishedAt: new Date().toISOString() });
      return;
    }
    await this.advance(job.id, 'received', { status: 'parsing', sha256, bytesRead: 0, timings: { fingerprinted: new Date().toISOString() } });
  }

  /** A committed import of a file of exactly `size` bytes, if any (same bytes need the same size). */
  private async committedArtifactOfSize(size: number): Promise<boolean> {
    const match = await this.db.batches
      .where('artifactSha256')
      .above('')
      .filter((batch) => batch.status === 'committed' && batch.provenance.kind === 'artifact' && batch.provenance.sizeBytes === size)
      .first();
    return !!match;
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

  /** Phase 2: the whole file read once, nothing stored; the owner sees what a commit would do. */
  private async previewPass(job: ImportJobRow): Promise<void> {
    const opened = await this.open(job);
    const { connector, parser } = opened;
    const settings = await this.settings();
    const limits = await this.limits();
    const primary = connector.streams[0]?.name ?? '';
    const tally = new PreviewTally(primary);
    const evidence = new AccountEvidenceTally(connector);
    const routeTally = new RouteTally(); // one upload holding several accounts (src/import/routes.ts)
    const siblings = (await this.db.connections.where('connectorKey').equals(connector.key).toArray()).slice(0, MAX_CANDIDATES);
    const overlap = new Map(siblings.map((connection) => [connection.id, { overlap: 0, known: 0, probable: 0 }]));
    // Records no key proves the same (a viewing): how many are probably kept from pages already, per connection.
    const primaryStream = connector.streams[0];
    const pageKeys = new Map<string, Set<string>>();
    if (primaryStream?.probableDuplicates) for (const connection of siblings) pageKeys.set(connection.id, await otherMethodKeys(this.db, connection.id, primaryStream, 'owner_artifact'));
    let compared = 0;
    let bytes = 0;
    let lastProgress = Date.now();
    const out: { summary?: ParseSummary } = {};
    // Files that may all have been imported before (each has the size of a file a receipt holds) are
    // fingerprinted as the parser reads them, at no extra read; any other upload is new, and is
    // fingerprinted during its commit instead, so a new export's preview hashes nothing.
    const given = bareFileFingerprint(job, opened);
    const identify = !given && (await mayAllBeKnown(this.db, { connectorKey: connector.key }, opened.files));
    const read: (EntryFingerprint | undefined)[] = [];
    const files = counted(identify ? fingerprinted(opened.files, read) : opened.files, (n) => (bytes += n));
    for await (const chunk of withSummary(parser.parseChunks(files, { chunkRows: settings.chunkRows, limits }), out)) {
      const keyed = keyObservations(connector, chunk.observations);
      tally.add(chunk, keyed);
      evidence.add(chunk.observations);
      routeTally.add(chunk, keyed);
      compared += keyed.filter((entry) => entry.stream.name === primary).length;
      for (const connection of siblings) {
        if (keyed.length === 0) continue;
        const found = await knownKeys(this.db, 'records', keyed.map((entry) => [connection.id, ...entry.id]));
        const slot = overlap.get(connection.id)!;
        if (primaryStream && pageKeys.has(connection.id)) slot.probable += probablyKept(primaryStream, chunk.observations, pageKeys.get(connection.id)!, 'owner_artifact');
        found.forEach((known, index) => {
          if (!known) return;
          slot.known += 1;
          if (keyed[index]!.stream.name === primary) slot.overlap += 1;
        });
      }
      this.keepAlive();
      // Progress and the discard check at most every PROGRESS_EVERY_MS: a write per chunk would cost more than the parse.
      if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        if (!(await this.advance(job.id, 'parsing', { bytesRead: bytes }))) return; // discarded meanwhile
      }
    }
    const summary = out.summary ?? { coverage: [], entries: [], replacedCharacters: 0 };
    if (tally.records === 0) {
      const reason = tally.problems.list()[0]?.message;
      throw new ArtifactError('no_records', `"${job.fileName}" holds no records Gleaner can read${reason ? `: ${reason}` : '.'}`);
    }
    const candidates: ImportCandidate[] = siblings
      .map((connection) => ({
        connectionId: connection.id,
        displayName: connection.displayName,
        accountLabel: connection.accountLabel,
        overlap: overlap.get(connection.id)!.overlap,
        compared,
        known: overlap.get(connection.id)!.known,
        ...(pageKeys.has(connection.id) ? { probable: overlap.get(connection.id)!.probable } : {}),
      }))
      .sort((a, b) => b.overlap - a.overlap || a.displayName.localeCompare(b.displayName));
    const matched = summary.accountHint ? siblings.find((connection) => connection.accountKey === summary.accountHint?.key) : undefined;
    const suggested = matched ?? siblings.find((connection) => connection.id === candidates.find((candidate) => candidate.overlap > 0)?.connectionId);
    const entryFingerprints = given ?? (identify ? identifyingFingerprints(opened.files, read) : undefined);
    // A bare file is its own one entry: its fingerprint is the file's sha256, so the commit need not hash it again.
    const whole = opened.container === 'file' ? read[0] : undefined;
    const sha256 = job.sha256 ?? (whole && whole.sizeBytes === job.sizeBytes ? whole.sha256 : undefined);
    // The same files in another wrapper (the CSV after its zip, a re-zipped copy), all imported into the
    // connection this file would go to: the original receipt, as for the same file twice.
    const original = suggested && entryFingerprints ? await originalReceiptFor(this.db, suggested.id, sha256sOf(entryFingerprints)) : undefined;
    if (original) {
      const at = new Date().toISOString();
      await this.advance(job.id, 'parsing', {
        status: 'already_imported',
        sha256,
        entryFingerprints,
        bytesRead: bytes,
        originalBatchId: original.id,
        connectionId: original.connectionId,
        finishedAt: at,
        timings: { ...job.timings, previewed: at },
      });
      return;
    }
    const known = suggested ? (overlap.get(suggested.id)?.known ?? 0) : 0;
    const end = tally.end;
    const reference = job.lastModified ?? Date.parse(job.createdAt);
    const stale = end && Date.parse(end.slice(0, 10)) < reference - STALE_AFTER_DAYS * 86_400_000;
    const routes = await routeTally.list(this.db, connector.key);
    const preview: ImportPreview = {
      ...(routes ? { routes } : {}),
      connectorKey: connector.key,
      connectorName: connector.displayName,
      parserName: parser.displayName,
      format: opened.format,
      entries: summary.entries,
      rowsRead: tally.rowsRead,
      recordsByStream: tally.recordsByStream,
      records: tally.records,
      duplicatesInFile: tally.duplicates,
      skipped: tally.skipped,
      failed: tally.failed,
      problems: tally.problems.list(),
      eventRange: tally.start ? { start: tally.start, end: tally.end } : undefined,
      gaps: tally.start ? gapsOf(tally.months, tally.start, tally.end) : [],
      undated: tally.undated,
      coveredThrough: stale ? end.slice(0, 10) : undefined,
      accountHint: summary.accountHint,
      accountEvidence: evidence.summary(),
      accountNaming: connector.accountNaming && { prompt: connector.accountNaming.prompt, help: connector.accountNaming.help },
      matchedConnectionId: matched?.id,
      candidates,
      recordNouns: primaryStream ? (connector.ownerCopy?.streamNouns?.[primaryStream.name] ?? { one: primaryStream.displayName.toLowerCase(), other: primaryStream.displayName.toLowerCase() }) : undefined,
      suggestedConnectionId: suggested?.id,
      newRecords: Math.max(0, tally.records - known),
      knownRecords: known,
      chunks: tally.chunks,
      ignoredEntries: [...opened.unsafeNames, ...opened.duplicateEntries],
    };
    if (opened.duplicateEntries.length > 0) {
      preview.problems.push({ code: 'duplicate_part', message: 'A file inside the zip repeats another byte for byte and was read once.', count: opened.duplicateEntries.length, where: opened.duplicateEntries.slice(0, 5) });
    }
    if (opened.unsafeNames.length > 0) {
      preview.problems.push({ code: 'unsafe_entry', message: 'Some files inside the zip had names that could reach outside it and were ignored.', count: opened.unsafeNames.length, where: opened.unsafeNames.slice(0, 5) });
    }
    await this.advance(job.id, 'parsing', { status: 'ready', preview, sha256, entryFingerprints, bytesRead: bytes, timings: { ...job.timings, previewed: new Date().toISOString() } });
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
    const hint = job.preview.accountHint;
    let connectionId: string;
    if ('connectionId' in target) {
      const connection = await this.db.connections.get(target.connectionId);
      if (!connection || connection.connectorKey !== connector.key) throw new ImportRequestError('bad_target', `Choose one of your ${connector.displayName} connections for this file.`);
      if (hint && connection.accountKey && connection.accountKey !== hint.key) {
        throw new ImportRequestError('account_mismatch', `This file belongs to ${hint.label}, not ${connection.accountLabel}.`);
      }
      connectionId = connection.id;
    } else {
      const name = target.newConnection.accountName.trim();
      // Never an account-less connection: a name the owner types is checked first (src/import/account-naming.ts).
      const refusal = hint ? undefined : accountNameRefusal(connector, name, job.preview);
      if (refusal) throw new ImportRequestError('account_name_needed', refusal);
      const accountHint = hint ?? (name ? connector.accountHintFromOwnerName?.(name) : undefined);
      const existing = accountHint ? await this.db.connections.where('[connectorKey+accountKey]').equals([connector.key, accountHint.key]).first() : undefined;
      connectionId = existing?.id ?? (await createConnection(this.db, { connectorKey: connector.key, connectorDisplayName: connector.displayName, accountHint, label: name, namedByOwner: !hint })).id;
    }
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
    if (!job.sha256) {
      // Hashed here, not before the preview (unless the preview fingerprinted a bare file: that fingerprint is its
      // sha256): the owner sees the preview sooner, and the hash (~0.6 s per 100 MB) is a fraction of a percent of a
      // commit that size. A copy committed meanwhile (same file, two uploads) is caught by `beginBatch` below,
      // which answers with the original receipt.
      const sha256 = await this.hashWhole(job, await this.stagedSource(job));
      await this.update(job.id, { sha256 });
      job = { ...job, sha256 };
    }
    const preview = job.preview!;
    const opened = await this.open(job);
    const { connector, parser } = opened;
    job = { ...job, entryFingerprints: job.entryFingerprints ?? bareFileFingerprint(job, opened) };
    if (connector.key !== preview.connectorKey) throw new ArtifactError('unknown_format', 'This file no longer reads as it did in the preview; choose it again.');
    const settings = await this.settings();
    const limits = await this.limits();
    const importedAt = (job.confirmedAt as string | undefined) ?? new Date().toISOString();
    const provenance: ArtifactProvenance = {
      kind: 'artifact',
      fileName: job.fileName.slice(0, 512),
      sha256: job.sha256!,
      sizeBytes: job.sizeBytes,
      parserVersion: connector.parserVersion,
      entries: preview.entries.slice(0, 1000),
      importedAt,
    };
    // How new the file's data is: its own timestamp when the browser gave one, else its newest record.
    const dataAsOf = job.lastModified ? new Date(job.lastModified).toISOString() : (preview.eventRange?.end ?? importedAt);
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
    const header = {
      connectionId: job.connectionId!,
      connectorKey: connector.key,
      streams: connector.streams,
      method: 'owner_artifact' as const,
      provenance,
      dataAsOf,
      artifactSha256: job.sha256,
      batchId: job.batchId ?? newId('bat'),
    };
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

  /** The runner's steps a routed commit (one upload, several accounts) borrows. */
  private routeHost(): RouteHost {
    return {
      db: this.db,
      open: (job) => this.open(job),
      settings: () => this.settings(),
      limits: () => this.limits(),
      ensureSha256: async (job) => {
        if (job.sha256) return job.sha256;
        const sha256 = await this.hashWhole(job, await this.stagedSource(job));
        await this.update(job.id, { sha256 });
        return sha256;
      },
      keepAlive: () => this.keepAlive(),
      afterChunk: this.options.afterChunk,
    };
  }

  /** Ends a commit early; the receipt keeps exactly what landed, and the staged copy stays for a resume. */
  private async stopCommit(jobId: string, status: 'cancelled' | 'failed', error?: unknown): Promise<void> {
    const job = await this.db.importJobs.get(jobId);
    if (!job) return;
    const reason =
      error instanceof ArtifactError
        ? { code: error.code, message: error.message }
        : error
          ? { code: 'internal', message: 'Something went wrong inside Gleaner while storing this file.' }
          : undefined;
    if (error && !(error instanceof ArtifactError)) console.error('[gleaner] import commit failed:', error instanceof Error ? error.name : 'error');
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
