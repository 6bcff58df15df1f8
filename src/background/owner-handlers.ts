/**
 * Handlers of the owner UI: capture pause, per-tab status, sources overview,
 * connection deletion and storage health (owned by the owner-UI feature); the
 * records browser's reads are records-handlers.ts. Browser storage is injected so unit tests pass memory.
 */
import Dexie from 'dexie';
import { browser } from 'wxt/browser';
import type { GleanerDatabase } from '../db/database';
import type { AcquisitionPath, ConnectorDefinition } from '../connectors/types';
import type { AcquisitionBatch, AcquisitionMethod, Completeness } from '../core/model';
import { joinedRecordKey, recordIdentity } from '../core/merge-engine';
import { coverageView } from '../core/coverage';
import type { CaptureSubmit, ParsedRequestOf } from '../messages/protocol';
import { pauseReason, readCaptureSettings, withPause, writeCaptureSettings, type CaptureSettings, type PauseScope, type StorageAreaLike } from '../capture/settings';
import { acknowledgeCanaryAlarm, checkCanary, localArea, memoryArea, type CanaryStatus } from './storage-guard';
import { tombstonedRecords } from '../db/record-index';
import type { CaptureContext, CaptureReply } from './capture-types';
import { RequestError } from './request-error';
import type { PagesRun } from '../ui/format';
import { revokeServerLinkBeforeDelete } from './export-handlers';
import { createRecordsHandlers, nounsOf } from './records-handlers';

export type { LabelledRecord, RecordsQueryReply, StreamWords } from './records-handlers';

export interface OwnerHandlerOptions {
  /** Where pause settings and the canary note live (default `browser.storage.local`). */
  local?: StorageAreaLike;
  /** Where the last capture per tab is remembered (default `browser.storage.session`: gone when the browser closes). */
  session?: StorageAreaLike;
  /** Revokes a deleted connection's server device and forgets its token (default: the export feature's, best effort). */
  forgetExportToken?(connectionId: string): Promise<void>;
}

/** What the last capture on one tab saw, for the popup. */
export interface TabCapture {
  at: string;
  pageUrl: string;
  connectorKey: string;
  outcome: CaptureReply['outcome'];
  connectionId?: string;
  connectionName?: string;
  /** The account's name as the service greets it ("Dana"), filled in from the connection when the popup asks. */
  accountLabel?: string;
  /** Per stream: records the page showed and how many of them Gleaner had not had before. */
  streams: { stream: string; seen: number; new: number }[];
  /** The event-time window the page covered (its first stream's claims joined; the whole list's when the page completed a run of pages). */
  window?: { start: string; end: string; completeness: Completeness };
  /** When the page completed a run of pages: what they hold together (all of 2024, 43 orders on 5 pages of Your Orders); the popup's headline then speaks of them, not of this page. */
  run?: PagesRun;
  failed: number;
  warnings: string[];
  /** The warnings' codes (`layout_unrecognized`: the page changed and could not be read). */
  warningCodes?: string[];
  message: string;
}

export interface TabStatus {
  host?: string;
  connector?: { key: string; displayName: string };
  /** True when the connector's content script runs on this very page (its match patterns), not just on its host. */
  readsThisPage: boolean;
  /** Where on this site Gleaner does read (the connector's visit path), for a link. */
  visit?: { label: string; url: string };
  /** Why capture is paused for this tab's site, if it is. */
  paused?: PauseScope;
  settings: CaptureSettings;
  lastCapture?: TabCapture;
  streamNouns: Record<string, { one: string; other: string }>;
}

export interface MethodFact {
  method: AcquisitionMethod;
  batches: number;
  /** When the newest batch of this method arrived. */
  lastAt: string;
  /** The first stream's covered span by this method (earliest start, latest end). */
  span?: { start: string; end: string };
}

export interface SourceOverview {
  key: string;
  displayName: string;
  hosts: string[];
  acquisitionPaths: AcquisitionPath[];
  streamNouns: Record<string, { one: string; other: string }>;
  primaryStream: string;
  connections: { id: string; displayName: string; methods: MethodFact[] }[];
}

export interface DeleteReceipt {
  deleted: true;
  connectionId: string;
  displayName: string;
  erased: { records: number; batches: number; changes: number; exportLinks: number; exportBatches: number; importJobs: number; stagedFiles: number };
}

export const TAB_CAPTURE_PREFIX = 'gleaner.tab.';

function sessionArea(): StorageAreaLike {
  return (browser?.storage?.session as unknown as StorageAreaLike | undefined) ?? sharedMemorySession;
}
const sharedMemorySession = memoryArea();

function httpsHost(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' ? parsed.hostname : undefined;
  } catch {
    return undefined;
  }
}

/** Does `url` match a WebExtension match pattern like `https://www.amazon.com/your-orders/*`? */
export function matchesPattern(pattern: string, url: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
  return regex.test(url);
}

function defaultPaths(connector: ConnectorDefinition): AcquisitionPath[] {
  return [
    { method: 'owner_artifact', title: 'Import your history from an export', summary: `${connector.displayName}’s data export holds your history up to the day you requested it.`, steps: connector.exportSteps },
    { method: 'browser_polyfill', title: `Keep recent records current by visiting ${connector.hosts.join(', ')}`, summary: 'While you are signed in, the pages Gleaner reads are kept as you visit them.' },
  ];
}

/**
 * Remembers what a capture saw on its tab (called from `capture.submit`), so
 * the popup can say "12 orders seen, 3 new, covering Mar 2 – Nov 20".
 */
export function createCaptureMemory(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], session: StorageAreaLike = sessionArea()) {
  return async (request: CaptureSubmit, reply: CaptureReply, context: CaptureContext): Promise<void> => {
    if (context.senderTabId === undefined) return;
    const connector = connectors.find((candidate) => candidate.key === request.connectorKey);
    if (!connector) return;
    const byStream = new Map<string, { seen: number; new: number; rids: string[] }>();
    for (const observation of request.observations) {
      const stream = connector.streams.find((candidate) => candidate.name === observation.stream);
      const key = stream ? joinedRecordKey(stream, observation.data) : undefined;
      const entry = byStream.get(observation.stream) ?? { seen: 0, new: 0, rids: [] };
      byStream.set(observation.stream, entry);
      entry.seen += 1;
      if (stream && key !== undefined) entry.rids.push(recordIdentity(stream, 'browser_polyfill', key));
    }
    const batch = reply.batch;
    if (reply.outcome === 'merged' && batch && reply.connectionId) {
      for (const [stream, entry] of byStream) {
        const stored = await db.records.bulkGet([...new Set(entry.rids)].map((rid) => [reply.connectionId!, stream, rid] as [string, string, string]));
        // A record is new to Gleaner when this batch is the first that ever saw it.
        entry.new = stored.filter((record) => record?.batchIds[0] === batch.id).length;
      }
    }
    const order = connector.streams.map((stream) => stream.name);
    const primary = order.find((name) => request.coverage.some((claim) => claim.stream === name));
    const claims = request.coverage.filter((claim) => claim.stream === primary);
    const window = claims.length
      ? {
          start: claims.reduce((min, claim) => (claim.start < min ? claim.start : min), claims[0]!.start).slice(0, 10),
          end: claims.reduce((max, claim) => (claim.end > max ? claim.end : max), claims[0]!.end).slice(0, 10),
          completeness: claims.every((claim) => claim.completeness === 'full') ? ('full' as const) : ('partial' as const),
        }
      : undefined;
    const memory: TabCapture = {
      at: new Date().toISOString(),
      pageUrl: request.pageUrl,
      connectorKey: connector.key,
      outcome: reply.outcome,
      connectionId: reply.connectionId,
      connectionName: reply.connectionName,
      streams: [...byStream.entries()]
        .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
        .map(([stream, entry]) => ({ stream, seen: entry.seen, new: entry.new })),
      window,
      ...(reply.run ? { run: reply.run.together } : {}),
      failed: batch?.counts.failed ?? 0,
      warnings: (batch?.warnings ?? request.warnings).slice(0, 5).map((warning) => warning.message),
      warningCodes: [...new Set((batch?.warnings ?? request.warnings).map((warning) => warning.code))].slice(0, 10),
      message: reply.message,
    };
    await session.set({ [`${TAB_CAPTURE_PREFIX}${context.senderTabId}`]: memory });
  };
}

function spanOf(batches: readonly AcquisitionBatch[], stream: string): { start: string; end: string } | undefined {
  const windows = coverageView(batches)
    .find((entry) => entry.stream === stream)
    ?.methods.flatMap((method) => method.windows);
  if (!windows?.length) return undefined;
  return { start: windows.reduce((min, w) => (w.start < min ? w.start : min), windows[0]!.start), end: windows.reduce((max, w) => (w.end > max ? w.end : max), windows[0]!.end) };
}

export function createOwnerHandlers(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], options: OwnerHandlerOptions = {}) {
  const local = () => options.local ?? localArea();
  const session = () => options.session ?? sessionArea();

  return {
    ...createRecordsHandlers(db, connectors),
    async 'capture.settings'(): Promise<CaptureSettings> {
      return readCaptureSettings(local());
    },

    async 'capture.pause'(request: ParsedRequestOf<'capture.pause'>): Promise<CaptureSettings> {
      const next = withPause(await readCaptureSettings(local()), request);
      await writeCaptureSettings(local(), next);
      return next;
    },

    async 'tab.status'(request: ParsedRequestOf<'tab.status'>): Promise<TabStatus> {
      const settings = await readCaptureSettings(local());
      const host = httpsHost(request.url);
      const connector = host ? connectors.find((candidate) => candidate.hosts.includes(host)) : undefined;
      let lastCapture: TabCapture | undefined;
      if (connector && request.tabId !== undefined) {
        const key = `${TAB_CAPTURE_PREFIX}${request.tabId}`;
        const stored = (await session().get(key))[key] as TabCapture | undefined;
        // Only a capture of this same site, into a connection that still exists.
        const connection = stored?.connectionId ? await db.connections.get(stored.connectionId) : undefined;
        // The account's current names (a rename since the capture shows).
        if (stored && httpsHost(stored.pageUrl) === host && (!stored.connectionId || connection)) lastCapture = connection ? { ...stored, connectionName: connection.displayName, accountLabel: connection.accountLabel } : stored;
      }
      return {
        host,
        connector: connector && { key: connector.key, displayName: connector.displayName },
        readsThisPage: !!connector && !!request.url && connector.matches.some((pattern) => matchesPattern(pattern, request.url!)),
        visit: (() => {
          const path = connector?.ownerCopy?.acquisitionPaths.find((candidate) => candidate.method === 'browser_polyfill' && candidate.url);
          return path?.url ? { label: path.urlLabel ?? path.title, url: path.url } : undefined;
        })(),
        paused: host ? pauseReason(settings, host) : settings.paused ? 'global' : undefined,
        settings,
        lastCapture,
        streamNouns: connector ? nounsOf(connector) : {},
      };
    },

    async 'sources.overview'(): Promise<SourceOverview[]> {
      const all = await db.connections.toArray();
      return Promise.all(
        connectors.map(async (connector) => {
          const primaryStream = connector.streams[0]?.name ?? '';
          const mine = all.filter((connection) => connection.connectorKey === connector.key).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
          return {
            key: connector.key,
            displayName: connector.displayName,
            hosts: connector.hosts,
            acquisitionPaths: connector.ownerCopy?.acquisitionPaths ?? defaultPaths(connector),
            streamNouns: nounsOf(connector),
            primaryStream,
            connections: await Promise.all(
              mine.map(async (connection) => {
                const batches = await db.batches.where('connectionId').equals(connection.id).toArray();
                const methods = [...new Set(batches.map((batch) => batch.method))].sort().map((method): MethodFact => {
                  const own = batches.filter((batch) => batch.method === method);
                  return {
                    method,
                    batches: own.length,
                    lastAt: own.reduce((max, batch) => {
                      const at = batch.lastRecapturedAt && batch.lastRecapturedAt > batch.receivedAt ? batch.lastRecapturedAt : batch.receivedAt;
                      return at > max ? at : max;
                    }, ''),
                    span: spanOf(own, primaryStream),
                  };
                });
                return { id: connection.id, displayName: connection.displayName, methods };
              }),
            ),
          };
        }),
      );
    },

    async 'connections.delete'(request: ParsedRequestOf<'connections.delete'>): Promise<DeleteReceipt> {
      const id = request.connectionId;
      // A deleted connection keeps no live device on the owner's server, and no token here.
      if (await db.connections.get(id)) await (options.forgetExportToken ?? ((connectionId: string) => revokeServerLinkBeforeDelete(db, connectors, connectionId)))(id).catch(() => undefined);
      const tables = [db.connections, db.records, db.batches, db.changes, db.exportLinks, db.exportBatches, db.importJobs, db.staged, db.tallies];
      const receipt = await db.transaction('rw', tables, async () => {
        const connection = await db.connections.get(id);
        if (!connection) throw new RequestError('unknown_connection', 'That connection no longer exists.');
        const jobs = await db.importJobs.where('connectionId').equals(id).toArray();
        const stagedIds = new Set(jobs.map((job) => job.stagedId).filter((stagedId): stagedId is string => typeof stagedId === 'string'));
        // A staged file another connection's job still needs stays.
        for (const other of await db.importJobs.where('stagedId').anyOf([...stagedIds]).toArray()) {
          if (other.connectionId !== id) stagedIds.delete(other.stagedId);
        }
        const stagedFiles = (await db.staged.bulkGet([...stagedIds])).filter(Boolean).length;
        await db.staged.bulkDelete([...stagedIds]);
        const erased = {
          records: await db.records.where('connectionId').equals(id).delete(),
          batches: await db.batches.where('connectionId').equals(id).delete(),
          changes: await db.changes.where('[connectionId+seq]').between([id, Dexie.minKey], [id, Dexie.maxKey]).delete(),
          exportLinks: await db.exportLinks.where('connectionId').equals(id).delete(),
          exportBatches: await db.exportBatches.where('[connectionId+seq]').between([id, Dexie.minKey], [id, Dexie.maxKey]).delete(),
          importJobs: await db.importJobs.where('connectionId').equals(id).delete(),
          stagedFiles,
        };
        await db.tallies.where('connectionId').equals(id).delete();
        await db.connections.delete(id);
        return { deleted: true as const, connectionId: id, displayName: connection.displayName, erased };
      });
      return receipt;
    },

    async 'coverage.tombstones'(request: ParsedRequestOf<'coverage.tombstones'>): Promise<{ stream: string; method: AcquisitionMethod; count: number }[]> {
      const gone = await tombstonedRecords(db, request.connectionId);
      if (gone.length === 0) return [];
      const methodOf = new Map((await db.batches.where('connectionId').equals(request.connectionId).toArray()).map((batch) => [batch.id, batch.method]));
      const counts = new Map<string, { stream: string; method: AcquisitionMethod; count: number }>();
      for (const record of gone) {
        const method = methodOf.get(record.tombstone!.batchId);
        if (!method) continue;
        const key = `${record.stream}\u0000${method}`;
        const entry = counts.get(key) ?? { stream: record.stream, method, count: 0 };
        entry.count += 1;
        counts.set(key, entry);
      }
      return [...counts.values()];
    },

    async 'storage.health'(): Promise<CanaryStatus> {
      return checkCanary(db, local());
    },

    async 'storage.acknowledgeAlarm'(): Promise<{ acknowledged: true }> {
      await acknowledgeCanaryAlarm(local());
      return { acknowledged: true };
    },
  };
}

/** Forgets a tab's last-capture note when the tab closes (no `tabs` permission needed for onRemoved). */
export function setupTabMemoryPruning(): void {
  browser.tabs?.onRemoved?.addListener((tabId: number) => {
    void sessionArea().remove?.(`${TAB_CAPTURE_PREFIX}${tabId}`);
  });
}
