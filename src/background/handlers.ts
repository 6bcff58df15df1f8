/**
 * What the background does for each message, given a database and the
 * connector registry. Pure of browser APIs so unit tests can call it.
 */
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';
import { applyBatch } from '../core/merge-engine';
import { connectionForHint, renameConnection } from '../core/connections';
import { coverageView, type StreamCoverage } from '../core/coverage';
import { canonicalJson } from '../export/canonical-json';
import { sha256Hex } from '../core/hash';
import type { AcquisitionBatch, Connection } from '../core/model';
import { pageRecords, streamsOf, type RecordPage } from '../db/record-index';
import { checkTallies, readTallies, type TallyCheck } from '../db/record-tallies';
import type { ParsedRequestOf } from '../messages/protocol';
import { createAccountHandlers } from './account-handlers';
import { createExportHandlers } from './export-handlers';
import { createImportHandlers } from './import-handlers';
import { createCaptureMemory, createOwnerHandlers } from './owner-handlers';
import { applyCompletedRun, createPageRuns, type PageRuns } from './page-runs';
import { RequestError } from './request-error';
import { memoryArea } from './storage-guard';

export { RequestError } from './request-error';

export type { CaptureContext, CaptureReply } from './capture-types';
import type { CaptureContext, CaptureReply } from './capture-types';

export interface ConnectionSummary extends Connection {
  visibleRecords: number;
  /** Visible records per stream, in the connector's nouns ("7 orders · 9 items" is built from these). */
  streamCounts: { stream: string; count: number; one: string; other: string }[];
  tombstonedRecords: number;
  batchCount: number;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

export interface HandlerHooks {
  /** Called after each accepted capture (owner UI: remembers the last capture per tab for the popup). Never fails a capture. */
  afterCapture?(request: ParsedRequestOf<'capture.submit'>, reply: CaptureReply, context: CaptureContext): Promise<void>;
  /** Where pages of a paged list are remembered until they make a full run (default: memory; the extension passes `browser.storage.session`). */
  pageRuns?: PageRuns;
}

export function createHandlers(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], hooks: HandlerHooks = {}) {
  const pageRuns = hooks.pageRuns ?? createPageRuns(memoryArea());
  // Owner-UI hook: lets the popup say what the last capture on a tab saw; its errors are swallowed.
  const notify = async (request: ParsedRequestOf<'capture.submit'>, reply: CaptureReply, context: CaptureContext): Promise<CaptureReply> => {
    await hooks.afterCapture?.(request, reply, context).catch(() => undefined);
    return reply;
  };

  const connectorFor = (key: string): ConnectorDefinition => {
    const connector = connectors.find((candidate) => candidate.key === key);
    if (!connector) throw new RequestError('unknown_connector', `Gleaner has no connector "${key.slice(0, 40)}".`);
    return connector;
  };

  return {
    async 'capture.submit'(request: ParsedRequestOf<'capture.submit'>, context: CaptureContext): Promise<CaptureReply> {
      const connector = connectorFor(request.connectorKey);
      // Accept a capture only from a tab on one of this connector's hosts, about that same page's host.
      const tabHost = hostOf(context.senderTabUrl);
      if (!tabHost || !connector.hosts.includes(tabHost) || !context.senderTabUrl.startsWith('https://')) {
        throw new RequestError('host_not_allowed', 'A capture came from a page this connector does not read.');
      }
      if (hostOf(request.pageUrl) !== tabHost) {
        throw new RequestError('host_mismatch', 'A capture claimed a different page than the tab that sent it.');
      }
      if (!request.accountHint) {
        return notify(request, { outcome: 'no_account', message: `Sign in on ${tabHost} so Gleaner knows whose records these are; nothing was saved.` }, context);
      }
      const connection = await connectionForHint(db, connector.key, connector.displayName, request.accountHint);
      const capturedAt = new Date().toISOString();
      const contentHash = await sha256Hex(canonicalJson({ observations: request.observations, coverage: request.coverage }));
      const receipt = await applyBatch(db, {
        connectionId: connection.id,
        connectorKey: connector.key,
        streams: connector.streams,
        method: 'browser_polyfill',
        provenance: { kind: 'page', pageUrl: request.pageUrl, capturedAt, extractorVersion: request.extractorVersion },
        coverage: request.coverage,
        observations: request.observations,
        warnings: request.warnings,
        dataAsOf: capturedAt,
        contentHash,
        pageUrl: request.pageUrl,
      });
      const counts = receipt.batch.counts;
      // A page of a paged list (a year of Your Orders) may complete a run of pages: one more batch claims the whole window.
      const completed = request.paging
        ? await applyCompletedRun(db, connector, pageRuns, { connectionId: connection.id, pageUrl: request.pageUrl, paging: request.paging, observations: request.observations, coverage: request.coverage, contentHash, seenAt: capturedAt, extractorVersion: request.extractorVersion, fit: counts.failed === 0 }).catch((error: unknown) => {
            console.error('[gleaner] page run failed:', error instanceof Error ? error.name : 'error');
            return undefined;
          })
        : undefined;
      const message =
        receipt.outcome === 'unchanged_recapture' ? 'Nothing new on this page since the last capture.' : `${counts.parsed} seen, ${counts.new} new, ${counts.updated} updated.`;
      return notify(completed ? { ...request, coverage: completed.claims } : request, {
        outcome: receipt.outcome,
        connectionId: connection.id,
        connectionName: connection.displayName,
        batch: receipt.batch,
        ...(completed ? { run: { batch: completed.receipt.batch, pages: completed.run.pages.length, together: completed.words } } : {}),
        message: completed ? `${message} ${completed.claims[0]?.evidence ?? ''}.` : message,
      }, context);
    },

    async 'connectors.list'() {
      return connectors.map((connector) => ({
        key: connector.key,
        displayName: connector.displayName,
        hosts: connector.hosts,
        streams: connector.streams.map((stream) => ({ name: stream.name, displayName: stream.displayName })),
        exportSteps: connector.exportSteps,
        searchHint: connector.ownerCopy?.searchHint ?? 'Words in a record…',
      }));
    },

    async 'connections.list'(): Promise<ConnectionSummary[]> {
      const all = await db.connections.orderBy('id').toArray();
      return Promise.all(
        all.map(async (connection) => {
          // The kept tallies: the popup asks on every open, and counting a million index entries takes a second.
          const counts = await readTallies(db, connection.id);
          const connector = connectors.find((candidate) => candidate.key === connection.connectorKey);
          const streams = connector?.streams ?? [];
          return {
            ...connection,
            visibleRecords: counts.all - counts.tombstoned,
            streamCounts: streams.map((stream) => {
              const nouns = connector?.ownerCopy?.streamNouns?.[stream.name] ?? { one: 'record', other: 'records' };
              return { stream: stream.name, count: counts.visibleByStream[stream.name] ?? 0, one: nouns.one, other: nouns.other };
            }),
            tombstonedRecords: counts.tombstoned,
            batchCount: await db.batches.where('connectionId').equals(connection.id).count(),
          };
        }),
      ).then((list) => list.sort((a, b) => a.createdAt.localeCompare(b.createdAt)));
    },

    // The tallies' drift guard: the dashboard asks when it opens a connection (the popup never does; its open stays a read of rows).
    async 'connections.checkCounts'(request: ParsedRequestOf<'connections.checkCounts'>): Promise<TallyCheck> {
      return checkTallies(db, request.connectionId);
    },

    async 'connections.rename'(request: ParsedRequestOf<'connections.rename'>) {
      await renameConnection(db, request.connectionId, request.displayName);
      return { renamed: true };
    },

    async 'batches.list'(request: ParsedRequestOf<'batches.list'>): Promise<AcquisitionBatch[]> {
      const batches = await db.batches.where('connectionId').equals(request.connectionId).toArray();
      return batches.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
    },

    async 'records.list'(request: ParsedRequestOf<'records.list'>): Promise<RecordPage> {
      // Paged on the event-time index: only the page's records are read.
      const streams = request.stream ? [request.stream] : await streamsOf(db, request.connectionId);
      return pageRecords(db, { connectionId: request.connectionId, streams, includeTombstoned: request.includeTombstoned, offset: request.offset, limit: request.limit });
    },

    async 'coverage.get'(request: ParsedRequestOf<'coverage.get'>): Promise<StreamCoverage[]> {
      return coverageView(await db.batches.where('connectionId').equals(request.connectionId).toArray());
    },
  };
}

/** Every message handler: the core ones above plus each feature's. */
export function createAllHandlers(db: GleanerDatabase, connectors: readonly ConnectorDefinition[]) {
  return {
    ...createHandlers(db, connectors, { afterCapture: createCaptureMemory(db, connectors), pageRuns: createPageRuns() }),
    ...createImportHandlers(db, connectors),
    ...createExportHandlers(db, connectors),
    ...createOwnerHandlers(db, connectors),
    ...createAccountHandlers(db, connectors),
  };
}

export type Handlers = ReturnType<typeof createAllHandlers>;
