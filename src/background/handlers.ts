/**
 * What the background does for each message, given a database and the
 * connector registry. Pure of browser APIs so unit tests can call it.
 */
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';
import { applyBatch, type BatchReceipt } from '../core/merge-engine';
import { connectionForHint, createConnection, renameConnection } from '../core/connections';
import { coverageView, type StreamCoverage } from '../core/coverage';
import { canonicalJson } from '../export/canonical-json';
import { sha256Hex } from '../core/hash';
import type { AcquisitionBatch, Connection, StoredRecord } from '../core/model';
import type { ParsedRequestOf } from '../messages/protocol';
import { ArtifactError } from '../artifacts/errors';
import { readArtifact, type RecognisedArtifact } from '../artifacts/read-artifact';
import { createExportHandlers } from './export-handlers';
import { createImportHandlers } from './import-handlers';
import { createCaptureMemory, createOwnerHandlers } from './owner-handlers';

export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface CaptureContext {
  /** URL of the tab that sent the capture, as the browser reports it (trusted). */
  senderTabUrl: string;
  /** Id of that tab, when the message came from a tab. */
  senderTabId?: number;
}

export interface CaptureReply {
  outcome: BatchReceipt['outcome'] | 'no_account';
  connectionId?: string;
  connectionName?: string;
  batch?: AcquisitionBatch;
  message: string;
}

export interface ConnectionSummary extends Connection {
  visibleRecords: number;
  tombstonedRecords: number;
  batchCount: number;
}

export interface ConnectionCandidate {
  connectionId: string;
  displayName: string;
  accountLabel: string;
  /** How many of the file's keys this connection already holds. */
  overlap: number;
  compared: number;
}

export interface ArtifactPreview {
  stagedId: string;
  fileName: string;
  sizeBytes: number;
  sha256: string;
  connectorKey: string;
  connectorName: string;
  parserName: string;
  entries: string[];
  rowsRead: number;
  recordsByStream: Record<string, number>;
  skipped: number;
  failed: number;
  eventRange?: { start: string; end: string };
  warnings: { code: string; message: string; where?: string }[];
  accountHint?: { key: string; label: string; evidence: string };
  /** The connection the account signal routes to, if the file has one and it exists. */
  matchedConnectionId?: string;
  candidates: ConnectionCandidate[];
  /** Earlier imports of this exact file. */
  alreadyImported: { connectionId: string; batch: AcquisitionBatch }[];
}

export interface CommitReply {
  outcome: BatchReceipt['outcome'];
  connectionId: string;
  batch: AcquisitionBatch;
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
}

export function createHandlers(db: GleanerDatabase, connectors: readonly ConnectorDefinition[], hooks: HandlerHooks = {}) {
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

  /** Reads and parses a staged upload (cached per staged id while the worker lives). */
  const parsedStaged = new Map<string, Promise<{ recognised: RecognisedArtifact; sha256: string; fileName: string; sizeBytes: number; lastModified?: number }>>();
  const parseStaged = (stagedId: string) => {
    let pending = parsedStaged.get(stagedId);
    if (!pending) {
      pending = (async () => {
        const staged = await db.staged.get(stagedId);
        if (!staged) throw new ArtifactError('staged_file_missing', 'That upload is no longer waiting; choose the file again.');
        const bytes = new Uint8Array(await staged.blob.arrayBuffer());
        const sha256 = await sha256Hex(bytes);
        const recognised = readArtifact(bytes, staged.fileName, connectors);
        return { recognised, sha256, fileName: staged.fileName, sizeBytes: staged.sizeBytes, lastModified: staged.lastModified };
      })();
      pending.catch(() => parsedStaged.delete(stagedId));
      parsedStaged.set(stagedId, pending);
    }
    return pending;
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
      return notify(request, {
        outcome: receipt.outcome,
        connectionId: connection.id,
        connectionName: connection.displayName,
        batch: receipt.batch,
        message:
          receipt.outcome === 'unchanged_recapture'
            ? 'Nothing new on this page since the last capture.'
            : `${counts.parsed} seen, ${counts.new} new, ${counts.updated} updated.`,
      }, context);
    },

    async 'connectors.list'() {
      return connectors.map((connector) => ({
        key: connector.key,
        displayName: connector.displayName,
        hosts: connector.hosts,
        streams: connector.streams.map((stream) => ({ name: stream.name, displayName: stream.displayName })),
        exportSteps: connector.exportSteps,
      }));
    },

    async 'connections.list'(): Promise<ConnectionSummary[]> {
      const all = await db.connections.orderBy('id').toArray();
      return Promise.all(
        all.map(async (connection) => {
          const records = await db.records.where('connectionId').equals(connection.id).toArray();
          const tombstoned = records.filter((record) => record.tombstone).length;
          return {
            ...connection,
            visibleRecords: records.length - tombstoned,
            tombstonedRecords: tombstoned,
            batchCount: await db.batches.where('connectionId').equals(connection.id).count(),
          };
        }),
      ).then((list) => list.sort((a, b) => a.createdAt.localeCompare(b.createdAt)));
    },

    async 'connections.rename'(request: ParsedRequestOf<'connections.rename'>) {
      await renameConnection(db, request.connectionId, request.displayName);
      return { renamed: true };
    },

    async 'batches.list'(request: ParsedRequestOf<'batches.list'>): Promise<AcquisitionBatch[]> {
      const batches = await db.batches.where('connectionId').equals(request.connectionId).toArray();
      return batches.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
    },

    async 'records.list'(request: ParsedRequestOf<'records.list'>): Promise<{ total: number; records: StoredRecord[] }> {
      const all = await db.records.where('connectionId').equals(request.connectionId).toArray();
      const matching = all
        .filter((record) => (request.stream ? record.stream === request.stream : true))
        .filter((record) => request.includeTombstoned || !record.tombstone)
        .sort((a, b) => b.eventTime.localeCompare(a.eventTime) || a.key.localeCompare(b.key));
      return { total: matching.length, records: matching.slice(request.offset, request.offset + request.limit) };
    },

    async 'coverage.get'(request: ParsedRequestOf<'coverage.get'>): Promise<StreamCoverage[]> {
      return coverageView(await db.batches.where('connectionId').equals(request.connectionId).toArray());
    },

    async 'artifact.preview'(request: ParsedRequestOf<'artifact.preview'>): Promise<ArtifactPreview> {
      const { recognised, sha256, fileName, sizeBytes } = await parseStaged(request.stagedId);
      const { connector, parser, result } = recognised;
      const alreadyImported = (await db.batches.where('artifactSha256').equals(sha256).toArray()).map((batch) => ({ connectionId: batch.connectionId, batch }));
      const recordsByStream: Record<string, number> = {};
      let start = '';
      let end = '';
      for (const observation of result.observations) {
        recordsByStream[observation.stream] = (recordsByStream[observation.stream] ?? 0) + 1;
      }
      for (const claim of result.coverage) {
        if (!start || claim.start < start) start = claim.start;
        if (!end || claim.end > end) end = claim.end;
      }
      // Account evidence: key overlap between the file and each existing connection of this connector.
      const sampleKeys = new Map<string, Set<string>>();
      for (const observation of result.observations) {
        const stream = connector.streams.find((candidate) => candidate.name === observation.stream);
        if (!stream) continue;
        const parts = stream.primaryKey.map((field) => String(observation.data[field] ?? ''));
        const keys = sampleKeys.get(stream.name) ?? new Set<string>();
        keys.add(parts.join('|'));
        sampleKeys.set(stream.name, keys);
      }
      const primaryStream = connector.streams[0]?.name ?? '';
      const fileKeys = [...(sampleKeys.get(primaryStream) ?? [])];
      const siblings = await db.connections.where('connectorKey').equals(connector.key).toArray();
      const candidates: ConnectionCandidate[] = [];
      for (const connection of siblings) {
        const rids = fileKeys.map((key) => [connection.id, primaryStream, key] as [string, string, string]);
        const found = (await db.records.bulkGet(rids)).filter(Boolean).length;
        candidates.push({ connectionId: connection.id, displayName: connection.displayName, accountLabel: connection.accountLabel, overlap: found, compared: fileKeys.length });
      }
      candidates.sort((a, b) => b.overlap - a.overlap || a.displayName.localeCompare(b.displayName));
      const matched = result.accountHint ? siblings.find((connection) => connection.accountKey === result.accountHint?.key) : undefined;
      return {
        stagedId: request.stagedId,
        fileName,
        sizeBytes,
        sha256,
        connectorKey: connector.key,
        connectorName: connector.displayName,
        parserName: parser.displayName,
        entries: result.entries,
        rowsRead: result.rowsRead,
        recordsByStream,
        skipped: result.skipped,
        failed: result.failed,
        eventRange: start ? { start, end } : undefined,
        warnings: result.warnings,
        accountHint: result.accountHint,
        matchedConnectionId: matched?.id,
        candidates,
        alreadyImported,
      };
    },

    async 'artifact.commit'(request: ParsedRequestOf<'artifact.commit'>): Promise<CommitReply> {
      const { recognised, sha256, fileName, sizeBytes, lastModified } = await parseStaged(request.stagedId);
      const { connector, result } = recognised;
      let connectionId: string;
      if ('connectionId' in request.target) {
        const target = await db.connections.get(request.target.connectionId);
        if (!target || target.connectorKey !== connector.key) {
          throw new RequestError('bad_target', `Choose one of your ${connector.displayName} connections for this file.`);
        }
        if (result.accountHint && target.accountKey && target.accountKey !== result.accountHint.key) {
          throw new RequestError('account_mismatch', `This file belongs to ${result.accountHint.label}, not ${target.accountLabel}.`);
        }
        connectionId = target.id;
      } else {
        const name = request.target.newConnection.accountName.trim();
        const hint = result.accountHint ?? (name ? connector.accountHintFromOwnerName?.(name) : undefined);
        const existing = hint ? await db.connections.where('[connectorKey+accountKey]').equals([connector.key, hint.key]).first() : undefined;
        connectionId = existing?.id ?? (await createConnection(db, { connectorKey: connector.key, connectorDisplayName: connector.displayName, accountHint: hint, label: name })).id;
      }
      const importedAt = new Date().toISOString();
      let newestEvent = '';
      for (const claim of result.coverage) if (claim.end > newestEvent) newestEvent = claim.end;
      // How new the file's data is: its own timestamp when the browser gave one, else its newest record.
      const dataAsOf = lastModified ? new Date(lastModified).toISOString() : newestEvent || importedAt;
      const receipt = await applyBatch(db, {
        connectionId,
        connectorKey: connector.key,
        streams: connector.streams,
        method: 'owner_artifact',
        provenance: { kind: 'artifact', fileName, sha256, sizeBytes, parserVersion: connector.parserVersion, entries: result.entries, importedAt },
        coverage: result.coverage,
        observations: result.observations,
        warnings: result.warnings,
        skipped: result.skipped,
        failed: result.failed,
        dataAsOf,
        artifactSha256: sha256,
      });
      await db.staged.delete(request.stagedId);
      parsedStaged.delete(request.stagedId);
      return { outcome: receipt.outcome, connectionId, batch: receipt.batch };
    },

    async 'artifact.discard'(request: ParsedRequestOf<'artifact.discard'>) {
      await db.staged.delete(request.stagedId);
      parsedStaged.delete(request.stagedId);
      return { discarded: true };
    },
  };
}

/** Every message handler: the core ones above plus each feature's. */
export function createAllHandlers(db: GleanerDatabase, connectors: readonly ConnectorDefinition[]) {
  return {
    ...createHandlers(db, connectors, { afterCapture: createCaptureMemory(db, connectors) }),
    ...createImportHandlers(db, connectors),
    ...createExportHandlers(db, connectors),
    ...createOwnerHandlers(db, connectors),
  };
}

export type Handlers = ReturnType<typeof createAllHandlers>;
