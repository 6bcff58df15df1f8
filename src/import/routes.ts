/**
 * One upload, several accounts: a Netflix account export holds every profile
 * of the household, and each profile is its own connection. A parser that
 * knows whose rows it reads marks each chunk with that account
 * (`ParsedChunk.accountHint`); then
 *
 *   preview ─ `RouteTally` counts each account's records and window, and
 *   │         names the connection each will go to (or that one is created)
 *   confirm ─ `confirmRoutes`: the owner's one confirmation finds or creates
 *   │         every account's connection (`job.routes`)
 *   commit ── `commitRoutes`: one pass over the file per account, storing only
 *             that account's chunks as one batch in its connection, resumable
 *             per account; one receipt per connection, shown as one import.
 *
 * An upload with one account (or none) never gets here: the runner's usual
 * path, where the owner picks the connection, handles it.
 */
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';
import type { AccountHint, AcquisitionBatch, ArtifactProvenance, BatchCounts } from '../core/model';
import { emptyCounts } from '../core/model';
import { applyBatchChunk, beginBatch, finishBatch } from '../core/chunked-batch';
import { createConnection, findConnectionByAccount } from '../core/connections';
import { newId } from '../core/hash';
import type { ParsedChunk } from '../artifacts/streaming';
import type { OpenedArtifact } from '../artifacts/open-artifact';
import type { ArtifactLimits } from '../artifacts/limits';
import type { KeyedObservation } from './preview';
import type { ImportJobRow, ImportSettings } from './types';
import { SNAPSHOT_THRESHOLD } from '../export/outbox';

/** One account of a multi-account upload, as the preview shows it. */
export interface ImportRoute {
  accountHint: AccountHint;
  records: number;
  rowsRead: number;
  skipped: number;
  failed: number;
  eventRange?: { start: string; end: string };
  /** The connection this account's records go to; absent: one is created on confirm. */
  connectionId?: string;
  connectionName?: string;
}

/** An account's progress once confirmed (kept on the job, so a stopped worker resumes per account). */
export interface RouteProgress {
  accountKey: string;
  accountLabel: string;
  connectionId: string;
  batchId?: string;
  /** This account's chunks (in its own numbering) already stored. */
  chunksCommitted: number;
  status: 'pending' | 'committed' | 'already_imported';
}

export type RoutedJob = ImportJobRow & { routes?: RouteProgress[] };

/** Accumulates each account's share of an upload during the preview. */
export class RouteTally {
  private readonly byKey = new Map<string, ImportRoute>();
  private unrouted = 0;

  add(chunk: ParsedChunk, keyed: readonly KeyedObservation[]): void {
    const hint = chunk.accountHint;
    if (!hint) {
      this.unrouted += keyed.length;
      return;
    }
    const route = this.byKey.get(hint.key) ?? { accountHint: hint, records: 0, rowsRead: 0, skipped: 0, failed: 0 };
    route.records += keyed.length - chunk.continuations;
    route.rowsRead += chunk.rowsRead;
    route.skipped += chunk.skipped;
    route.failed += chunk.failed;
    for (const entry of keyed) {
      const time = entry.eventTime.slice(0, 10);
      if (!time) continue;
      route.eventRange = route.eventRange
        ? { start: time < route.eventRange.start ? time : route.eventRange.start, end: time > route.eventRange.end ? time : route.eventRange.end }
        : { start: time, end: time };
    }
    this.byKey.set(hint.key, route);
  }

  /**
   * The routes, each with the connection it would go to; undefined unless the
   * upload holds two accounts or more and every record has one.
   */
  async list(db: GleanerDatabase, connectorKey: string): Promise<ImportRoute[] | undefined> {
    if (this.byKey.size < 2 || this.unrouted > 0) return undefined;
    const routes = [...this.byKey.values()].sort((a, b) => a.accountHint.label.localeCompare(b.accountHint.label));
    for (const route of routes) {
      const existing = await findConnectionByAccount(db, connectorKey, route.accountHint.key);
      if (existing) {
        route.connectionId = existing.id;
        route.connectionName = existing.displayName;
      }
    }
    return routes;
  }
}

/** The owner's one confirmation: every account's connection found or created, the job ready to commit. */
export async function confirmRoutes(db: GleanerDatabase, connector: ConnectorDefinition, job: RoutedJob, routes: ImportRoute[]): Promise<RouteProgress[]> {
  return db.transaction('rw', [db.connections, db.importJobs], async () => {
    const progress: RouteProgress[] = [];
    for (const route of routes) {
      const connection =
        (await findConnectionByAccount(db, connector.key, route.accountHint.key)) ??
        (await createConnection(db, { connectorKey: connector.key, connectorDisplayName: connector.displayName, accountHint: route.accountHint }));
      progress.push({ accountKey: route.accountHint.key, accountLabel: route.accountHint.label, connectionId: connection.id, chunksCommitted: 0, status: 'pending' });
    }
    const confirmedAt = new Date().toISOString();
    await db.importJobs.update(job.id, {
      status: 'committing',
      routes: progress,
      connectionId: progress[0]!.connectionId,
      confirmedAt,
      timings: { ...job.timings, confirmed: confirmedAt },
      updatedAt: confirmedAt,
    });
    return progress;
  });
}

/** What the runner lends the routed commit (its own private steps, bound). */
export interface RouteHost {
  db: GleanerDatabase;
  open(job: ImportJobRow): Promise<OpenedArtifact>;
  settings(): Promise<ImportSettings>;
  limits(): Promise<ArtifactLimits>;
  /** The staged file's sha256, computed and saved on the job if it is not yet known. */
  ensureSha256(job: ImportJobRow): Promise<string>;
  keepAlive(): void;
  afterChunk?: (job: ImportJobRow, chunkIndex: number) => void | Promise<void>;
}

/** Thrown inside a chunk's transaction when the owner stopped the job (the runner ends it as cancelled). */
export class RouteCancelled extends Error {}
/** Thrown when another run owns the job. */
export class RouteStale extends Error {}

function sumCounts(batches: (AcquisitionBatch | undefined)[]): BatchCounts {
  const total = emptyCounts();
  for (const batch of batches) {
    if (!batch) continue;
    for (const key of Object.keys(total) as (keyof BatchCounts)[]) total[key] += batch.counts[key];
  }
  return total;
}

/** Stores each account's chunks as one batch in its connection; `RouteCancelled` and `RouteStale` escape to the runner. */
export async function commitRoutes(host: RouteHost, job: RoutedJob): Promise<void> {
  const { db } = host;
  const sha256 = await host.ensureSha256(job);
  const preview = job.preview!;
  const opened = await host.open(job);
  const { connector, parser } = opened;
  const settings = await host.settings();
  const limits = await host.limits();
  const importedAt = (job.confirmedAt as string | undefined) ?? new Date().toISOString();
  const provenance: ArtifactProvenance = {
    kind: 'artifact',
    fileName: job.fileName.slice(0, 512),
    sha256,
    sizeBytes: job.sizeBytes,
    parserVersion: connector.parserVersion,
    entries: preview.entries.slice(0, 1000),
    importedAt,
  };
  const dataAsOf = job.lastModified ? new Date(job.lastModified).toISOString() : (preview.eventRange?.end ?? importedAt);
  const stream = connector.streams[0]?.name ?? '';
  const routes = [...(job.routes ?? [])];
  for (const [index, route] of routes.entries()) {
    if (route.status !== 'pending') continue;
    const header = {
      connectionId: route.connectionId,
      connectorKey: connector.key,
      streams: connector.streams,
      method: 'owner_artifact' as const,
      provenance,
      dataAsOf,
      artifactSha256: sha256,
      batchId: route.batchId ?? newId('bat'),
    };
    const begun = await beginBatch(db, header);
    if (begun.outcome === 'already_imported') {
      routes[index] = { ...route, batchId: begun.batch.id, status: 'already_imported' };
      await db.importJobs.update(job.id, { routes: [...routes], updatedAt: new Date().toISOString() });
      continue;
    }
    const batchId = begun.batch.id;
    routes[index] = { ...route, batchId };
    // As the runner's commit: an account with many new records enters the change feed one row per chunk, not per record.
    const share = preview.routes?.find((entry) => entry.accountHint.key === route.accountKey)?.records ?? 0;
    const known = preview.candidates.find((candidate) => candidate.connectionId === route.connectionId)?.known ?? 0;
    const feed = share - known > SNAPSHOT_THRESHOLD ? ('bulk' as const) : ('records' as const);
    // `batchId`/`connectionId` name the account in progress, so a stop finishes its batch (the runner's stopCommit).
    await db.importJobs.update(job.id, { routes: [...routes], batchId, connectionId: route.connectionId, runs: job.runs + 1, updatedAt: new Date().toISOString() });
    let chunkIndex = 0;
    for await (const chunk of parser.parseChunks(opened.files, { chunkRows: settings.chunkRows, limits })) {
      if (chunk.accountHint?.key !== route.accountKey) continue;
      const at = chunkIndex++;
      if (at < route.chunksCommitted) continue;
      let committedJob: ImportJobRow | undefined;
      await applyBatchChunk(
        db,
        header,
        batchId,
        { observations: chunk.observations, skipped: chunk.skipped, failed: chunk.failed, warnings: chunk.warnings, combine: parser.combine?.bind(parser), feed },
        {
          tables: [db.importJobs],
          within: async () => {
            const current = (await db.importJobs.get(job.id)) as RoutedJob | undefined;
            if (!current || current.status !== 'committing' || current.cancelRequested) throw new RouteCancelled();
            const mine = current.routes?.[index];
            if (!mine || mine.chunksCommitted !== at) throw new RouteStale();
            const nextRoutes = current.routes!.map((entry, i) => (i === index ? { ...entry, batchId, chunksCommitted: at + 1 } : entry));
            routes[index] = nextRoutes[index]!;
            committedJob = {
              ...current,
              routes: nextRoutes,
              rowsCommitted: current.rowsCommitted + chunk.rowsRead,
              recordsCommitted: current.recordsCommitted + chunk.observations.length - chunk.continuations,
              updatedAt: new Date().toISOString(),
            } as RoutedJob;
            await db.importJobs.put(committedJob);
          },
        },
      );
      host.keepAlive();
      await host.afterChunk?.(committedJob!, at);
    }
    // This account's own window: the file's claim, cut to the viewings of this account it holds.
    const range = (await db.batches.get(batchId))?.eventRange;
    const coverage = range ? [{ stream, start: range.start.slice(0, 10), end: range.end.slice(0, 10), completeness: 'partial' as const, evidence: `${route.accountLabel}’s part of ${job.fileName}` }] : [];
    await finishBatch(db, batchId, { status: 'committed', coverage }, {
      tables: [db.importJobs],
      within: async () => {
        routes[index] = { ...routes[index]!, status: 'committed' };
        await db.importJobs.update(job.id, { routes: [...routes], updatedAt: new Date().toISOString() });
      },
    });
  }
  const batches = await Promise.all(routes.map((route) => (route.batchId ? db.batches.get(route.batchId) : undefined)));
  const at = new Date().toISOString();
  await db.transaction('rw', [db.importJobs, db.staged], async () => {
    const current = await db.importJobs.get(job.id);
    await db.importJobs.update(job.id, {
      status: routes.every((route) => route.status === 'already_imported') ? 'already_imported' : 'committed',
      routes,
      connectionId: routes[0]!.connectionId,
      batchId: routes[0]!.batchId,
      originalBatchId: routes[0]!.batchId,
      counts: sumCounts(batches.filter((batch) => batch?.status === 'committed')),
      finishedAt: at,
      updatedAt: at,
      cancelRequested: false,
      timings: { ...current?.timings, committed: at },
    });
    await db.staged.delete(job.stagedId);
  });
}

/** Each account's receipt of a routed job, for the import view. */
export async function routeReceipts(db: GleanerDatabase, job: RoutedJob): Promise<{ connectionId: string; connectionName: string; accountLabel: string; status: RouteProgress['status']; receipt?: AcquisitionBatch }[] | undefined> {
  if (!job.routes) return undefined;
  return Promise.all(
    job.routes.map(async (route) => ({
      connectionId: route.connectionId,
      connectionName: (await db.connections.get(route.connectionId))?.displayName ?? route.accountLabel,
      accountLabel: route.accountLabel,
      status: route.status,
      receipt: route.batchId ? await db.batches.get(route.batchId) : undefined,
    })),
  );
}
