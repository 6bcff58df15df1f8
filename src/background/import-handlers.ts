/**
 * Handlers of the import pipeline (owned by the import feature; docs/IMPORT.md).
 * The page stages the file and sends `import.start`; everything else runs in
 * the background job runner, which survives the page closing and resumes
 * after the worker is stopped.
 */
import { searchTermsOf } from '../core/search-terms';
import { browser } from 'wxt/browser';
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';
import type { AcquisitionBatch } from '../core/model';
import { applyBatch } from '../core/merge-engine';
import type { ParsedRequestOf } from '../messages/protocol';
import { ImportRunner, ImportRequestError, type ImportRunnerOptions } from '../import/runner';
import { nextActions } from '../import/receipt-copy';
import type { ImportJobRow, ImportSettings } from '../import/types';
import { routeReceipts } from '../import/routes';
import { readAndTokenise } from '../import/read-floor';
import { RequestError } from './request-error';

export interface ImportJobView extends ImportJobRow {
  /** The batch receipt: this job's batch, or for a file seen before, the original one. */
  receipt?: AcquisitionBatch;
  connectionName?: string;
  nextActions: string[];
  /** Each connection's receipt when one upload held several accounts (src/import/routes.ts). */
  routeReceipts?: Awaited<ReturnType<typeof routeReceipts>>;
}

const runners = new WeakMap<GleanerDatabase, ImportRunner>();

/** One runner per database (the worker's, or a test's). */
export function importRunnerFor(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], options?: ImportRunnerOptions): ImportRunner {
  let runner = runners.get(db);
  if (!runner) {
    runner = new ImportRunner(db, connectors, options);
    runners.set(db, runner);
  }
  return runner;
}

async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ImportRequestError) throw new RequestError(error.code, error.message);
    throw error;
  }
}

export function createImportHandlers(db: GleanerDatabase, connectors: readonly ConnectorDefinition[]) {
  const runner = () => importRunnerFor(db, connectors);

  async function view(job: ImportJobRow): Promise<ImportJobView> {
    const batchId = job.status === 'already_imported' ? job.originalBatchId : job.batchId;
    const receipt = batchId ? await db.batches.get(batchId) : undefined;
    const connection = job.connectionId ? await db.connections.get(job.connectionId) : undefined;
    const connector = connectors.find((candidate) => candidate.key === (job.preview?.connectorKey ?? receipt?.connectorKey));
    const routed = await routeReceipts(db, job);
    // One upload stored in several connections (a Netflix export's profiles): one receipt each, shown together.
    const connectionName = routed ? routed.map((route) => route.connectionName).join(' and ') : connection?.displayName;
    return { ...job, receipt, connectionName, nextActions: nextActions(job, connector, receipt), ...(routed ? { routeReceipts: routed } : {}) };
  }

  return {
    async 'import.start'(request: ParsedRequestOf<'import.start'>): Promise<ImportJobView> {
      return view(await runner().start(request.stagedId));
    },
    async 'import.get'(request: ParsedRequestOf<'import.get'>): Promise<ImportJobView> {
      return guarded(async () => view(await runner().get(request.jobId)));
    },
    async 'import.list'(request: ParsedRequestOf<'import.list'>): Promise<ImportJobView[]> {
      const jobs = await db.importJobs.toArray();
      jobs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      return Promise.all(jobs.slice(0, request.limit).map(view));
    },
    async 'import.confirm'(request: ParsedRequestOf<'import.confirm'>): Promise<ImportJobView> {
      return guarded(async () => view(await runner().confirm(request.jobId, request.target)));
    },
    async 'import.cancel'(request: ParsedRequestOf<'import.cancel'>): Promise<ImportJobView> {
      return guarded(async () => view(await runner().cancel(request.jobId)));
    },
    async 'import.resume'(request: ParsedRequestOf<'import.resume'>): Promise<ImportJobView> {
      return guarded(async () => view(await runner().resume(request.jobId)));
    },
    async 'import.discard'(request: ParsedRequestOf<'import.discard'>): Promise<ImportJobView> {
      return guarded(async () => view(await runner().discard(request.jobId)));
    },
    async 'import.settings.get'(): Promise<ImportSettings> {
      return runner().settings();
    },
    async 'import.settings.set'(request: ParsedRequestOf<'import.settings.set'>): Promise<ImportSettings> {
      const change: Partial<ImportSettings> = {};
      if (request.maxFileBytes !== undefined) change.maxFileBytes = request.maxFileBytes;
      if (request.chunkRows !== undefined) change.chunkRows = request.chunkRows;
      return runner().saveSettings(change);
    },
  };
}

const ALARM = 'gleaner-import-jobs';
const STAGED_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Resumes unfinished import jobs when the worker starts; called synchronously
 * from the background entrypoint. While jobs run, a cheap extension API call
 * every few seconds keeps the worker alive; if the browser stops it anyway,
 * an alarm tick (and any message) starts it again and the job continues
 * after its last committed chunk.
 */
export function setupImportJobs(db: GleanerDatabase, connectors: readonly ConnectorDefinition[]): void {
  const runner = importRunnerFor(db, connectors, {
    keepAlive: () => void browser.runtime.getPlatformInfo().catch(() => undefined),
    onBusy: armImportAlarm,
    onIdle: (unfinished) => {
      if (!unfinished) {
        armed = false;
        void Promise.resolve(browser.alarms.clear(ALARM)).catch(() => undefined);
      }
    },
  });
  // For automation and `npm run bench` (reachable only from this extension's own worker context).
  (globalThis as { __gleaner?: unknown }).__gleaner = {
    db,
    importRunner: runner,
    applyBatch,
    connectors,
    searchTermsOf,
    /** The preview's floor (scripts/bench/import.ts): a staged file read and tokenised once; its row count. */
    readAndTokenise: async (stagedId: string) => readAndTokenise((await db.staged.get(stagedId))!.blob),
  };
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === ALARM) void runner.resumeAll();
  });
  void (async () => {
    const unfinished = await db.importJobs.where('status').anyOf(['received', 'parsing', 'committing']).count();
    if (unfinished > 0) await runner.resumeAll();
    // Staged copies of finished jobs are kept a day (for a resume or a second look), then dropped.
    const old = await db.importJobs.filter((job) => ['committed', 'refused', 'already_imported', 'discarded'].includes(job.status) && Date.parse(job.updatedAt) < Date.now() - STAGED_TTL_MS).toArray();
    if (old.length > 0) await db.staged.bulkDelete(old.map((job) => job.stagedId));
  })().catch(() => undefined);
}

let armed = false;
/** Starts the alarm that restarts a stopped worker while a job is unfinished. */
function armImportAlarm(): void {
  if (armed) return;
  armed = true;
  void Promise.resolve(browser.alarms.create(ALARM, { periodInMinutes: 0.5 })).catch(() => undefined);
}
