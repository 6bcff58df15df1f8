/**
 * Linking connections to the owner's personal server and draining their
 * outboxes. Browser-free: the token store, permission check, fetch, clock and
 * sleep are injected, so unit tests drive it against the local test receiver.
 */
import Dexie from 'dexie';
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition } from '../connectors/types';
import { buildManifest } from './manifest';
import { callServer, describeAnswer, isLoopbackHost, normaliseOrigin, type CallResult, type FetchLike } from './client';
import { acceptedPrefixSeq, buildNextBatch, DEFAULT_LIMITS, ingestBody, pendingCounts, type BatchLimits } from './outbox';
import { backoffMs, classify, MAX_ATTEMPTS, type Outcome } from './retry';
import type { ExportBatchRow, ExportLinkRow, LinkStatus } from './types';

/** Where device tokens live: `browser.storage.local` in the extension, a Map in tests. Never the database. */
export interface TokenStore {
  get(connectionId: string): Promise<string | undefined>;
  set(connectionId: string, token: string): Promise<void>;
  remove(connectionId: string): Promise<void>;
}

export interface ExportDeps {
  db: GleanerDatabase;
  connectors: readonly ConnectorDefinition[];
  tokens: TokenStore;
  /** Does Gleaner hold host permission for this origin? */
  hasOriginPermission(origin: string): Promise<boolean>;
  fetch: FetchLike;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** A retry due later than this is left to the alarm instead of waited for in the worker. */
  maxInlineWaitMs?: number;
  /** Called when a retry is due at `at` (ms), so the background can set an alarm. */
  scheduleRetry?: (at: number) => void;
  agentVersion?: string;
  /** Overrides of the batch limits (tests). */
  limits?: Partial<BatchLimits>;
}

/** An owner-facing refusal; `code` is stable for automation. */
export class ExportError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

export const SETTINGS_KEY = 'export.settings';
export interface ExportSettings {
  serverOrigin?: string;
  /** Records per batch (1–5000); default Gleaner's 5,000. */
  batchRecords?: number;
}

export async function readSettings(db: GleanerDatabase): Promise<ExportSettings> {
  return ((await db.meta.get(SETTINGS_KEY))?.value as ExportSettings | undefined) ?? {};
}

export async function writeSettings(db: GleanerDatabase, patch: ExportSettings): Promise<ExportSettings> {
  const next = { ...(await readSettings(db)), ...patch };
  await db.meta.put({ key: SETTINGS_KEY, value: next });
  return next;
}

export async function limitsFor(db: GleanerDatabase): Promise<BatchLimits> {
  const settings = await readSettings(db);
  return { ...DEFAULT_LIMITS, maxRecords: settings.batchRecords ?? DEFAULT_LIMITS.maxRecords };
}

const DEVICE_LABEL = 'Gleaner (browser extension)';

function refusal(result: CallResult, what: string): string {
  const id = result.requestId ? ` (server request ${result.requestId})` : '';
  return `${what}: ${describeAnswer(result.answer)}${id}.`;
}

function ok(result: CallResult): boolean {
  return !('transportError' in result.answer) && result.answer.status >= 200 && result.answer.status < 300;
}

/**
 * Links a connection: registers the connector's manifest when the server
 * allows it, mints an enrollment code itself on a loopback server with open
 * owner routes (one-click) or uses the owner's code, enrolls, and stores the
 * device token in the token store only.
 */
export async function linkConnection(deps: ExportDeps, request: { connectionId: string; serverOrigin: string; enrollmentCode?: string }): Promise<ExportLinkRow> {
  const { db } = deps;
  let origin: string;
  try {
    origin = normaliseOrigin(request.serverOrigin);
  } catch (error) {
    throw new ExportError('bad_server_address', (error as Error).message);
  }
  const connection = await db.connections.get(request.connectionId);
  if (!connection) throw new ExportError('unknown_connection', 'That connection no longer exists.');
  const connector = deps.connectors.find((candidate) => candidate.key === connection.connectorKey);
  if (!connector) throw new ExportError('unknown_connector', 'Gleaner no longer has this connection’s connector.');
  if (!(await deps.hasOriginPermission(origin))) {
    throw new ExportError('server_permission_needed', `Gleaner needs your permission to reach ${origin}. Click “Link” again and choose Allow.`);
  }
  const manifest = await buildManifest(connector);
  const bindingName = connection.accountKey ?? connection.id;
  const code = request.enrollmentCode?.trim();
  const oneClick = !code;
  if (oneClick && !isLoopbackHost(new URL(origin).hostname)) {
    throw new ExportError('code_needed', 'Create an enrollment code on your server for this account, then paste it here.');
  }

  // Register the manifest when the server lets us (open on a local server); a protected server keeps its own registration.
  const registration = await callServer(deps.fetch, origin, { method: 'POST', path: '/connectors', body: manifest });
  if ('transportError' in registration.answer) throw new ExportError('server_unreachable', `Gleaner could not reach ${origin}. Check the address and that the server is running.`);
  if (!ok(registration) && oneClick) {
    throw new ExportError(registration.answer.status === 401 || registration.answer.status === 403 ? 'code_needed' : 'server_refused', registration.answer.status === 401 || registration.answer.status === 403 ? 'Your server asks for an enrollment code: create one there for this account and paste it here.' : refusal(registration, 'Your server did not accept Gleaner’s description of this connection'));
  }

  let enrollmentCode = code;
  if (!enrollmentCode) {
    const minted = await callServer(deps.fetch, origin, {
      method: 'POST',
      path: '/_ref/device-exporters/enrollment-codes',
      body: { connector_id: connector.key, local_binding_name: bindingName, display_name: connection.displayName.slice(0, 200), expires_in_seconds: 300 },
    });
    if (!ok(minted)) {
      const status = 'status' in minted.answer ? minted.answer.status : 0;
      throw new ExportError(status === 401 || status === 403 ? 'code_needed' : 'server_refused', status === 401 || status === 403 ? 'Your server asks for an enrollment code: create one there for this account and paste it here.' : refusal(minted, 'Your server could not create a link code'));
    }
    enrollmentCode = String((minted.json as { enrollment_code?: unknown }).enrollment_code ?? '');
  }

  const enrolled = await callServer(deps.fetch, origin, { method: 'POST', path: '/_ref/device-exporters/enroll', protocol: true, body: { enrollment_code: enrollmentCode, device_label: DEVICE_LABEL } });
  if (!ok(enrolled)) {
    const answer = enrolled.answer;
    const status = 'status' in answer ? answer.status : 0;
    const message =
      status === 400 ? 'That code is unknown or was already used. Create a new one on your server.'
      : status === 410 ? 'That code has expired. Create a new one on your server.'
      : status === 409 && 'errorCode' in answer && answer.errorCode === 'collector_protocol_mismatch' ? 'Your server speaks a different version of the export protocol than Gleaner.'
      : status === 409 ? 'That code was already used by another browser. Create a new one on your server.'
      : refusal(enrolled, 'Linking did not work');
    throw new ExportError('enroll_failed', message);
  }
  const reply = enrolled.json as { device_id: string; device_token: string; source_instance_id: string; connector_instance_id: string; connector_id: string; local_binding_name: string };
  if (!reply?.device_token || !reply.device_id || !reply.source_instance_id) throw new ExportError('enroll_failed', 'Your server’s answer to linking was incomplete.');

  const previous = await db.exportLinks.get(connection.id);
  // The same server and account again (e.g. after a revoked token): keep the plan, so nothing is sent twice or skipped.
  const keepPlan = !!previous && previous.serverOrigin === origin && previous.localBindingName === reply.local_binding_name;
  const link: ExportLinkRow = {
    connectionId: connection.id,
    serverOrigin: origin,
    deviceId: reply.device_id,
    sourceInstanceId: reply.source_instance_id,
    connectorInstanceId: reply.connector_instance_id,
    connectorId: reply.connector_id ?? connector.key,
    localBindingName: reply.local_binding_name ?? bindingName,
    linkedAt: new Date(now(deps)).toISOString(),
    status: 'active',
    manifestVersion: manifest.version,
    plannedThroughSeq: keepPlan ? previous.plannedThroughSeq : 0,
    nextBatchSeq: keepPlan ? previous.nextBatchSeq : 0,
    snapshot: keepPlan ? previous.snapshot : undefined,
    cursorSeq: keepPlan ? previous.cursorSeq : 0,
    acceptedBatches: keepPlan ? previous.acceptedBatches : 0,
    acceptedRecords: keepPlan ? previous.acceptedRecords : 0,
    lastSuccessAt: keepPlan ? previous.lastSuccessAt : undefined,
  };
  await deps.tokens.set(connection.id, reply.device_token);
  await db.transaction('rw', [db.exportLinks, db.exportBatches], async () => {
    if (!keepPlan) await db.exportBatches.where('[connectionId+seq]').between([connection.id, Dexie.minKey], [connection.id, Dexie.maxKey]).delete();
    await db.exportLinks.put(link);
  });
  return link;
}

/** Unlinks: tells the server to revoke this browser's token (best effort), forgets the token and the outbox. */
export async function unlinkConnection(deps: ExportDeps, connectionId: string): Promise<void> {
  const link = await deps.db.exportLinks.get(connectionId);
  const token = await deps.tokens.get(connectionId);
  if (link && token && (await deps.hasOriginPermission(link.serverOrigin))) {
    await callServer(deps.fetch, link.serverOrigin, { method: 'POST', path: `/_ref/device-exporters/${encodeURIComponent(link.deviceId)}/self-revoke`, protocol: true, token, body: {}, timeoutMs: 10_000 });
  }
  await deps.tokens.remove(connectionId);
  await deps.db.transaction('rw', [deps.db.exportLinks, deps.db.exportBatches], async () => {
    await deps.db.exportBatches.where('[connectionId+seq]').between([connectionId, Dexie.minKey], [connectionId, Dexie.maxKey]).delete();
    await deps.db.exportLinks.delete(connectionId);
  });
}

function now(deps: ExportDeps): number {
  return (deps.now ?? Date.now)();
}

const sleepDefault = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface DrainResult {
  connectionId: string;
  status: LinkStatus | 'not_linked';
  sent: number;
  acceptedRecords: number;
  setAside: number;
  conflicts: number;
  pendingRecords: number;
  message?: string;
  /** Where the time went (ms): waiting for batches to be built, on the wire, recording acceptance. */
  timings: { buildMs: number; sendMs: number; recordMs: number };
}

const running = new Map<string, Promise<DrainResult>>();

/** Drains one connection's outbox; concurrent calls for the same connection share one run. */
export function drainConnection(deps: ExportDeps, connectionId: string): Promise<DrainResult> {
  const current = running.get(connectionId);
  if (current) return current;
  const run = drainOnce(deps, connectionId).finally(() => running.delete(connectionId));
  running.set(connectionId, run);
  return run;
}

export async function drainAll(deps: ExportDeps): Promise<DrainResult[]> {
  const links = await deps.db.exportLinks.toArray();
  const results: DrainResult[] = [];
  for (const link of links) {
    // A connection the owner erased: revoke its link on the server and forget its outbox.
    if (!(await deps.db.connections.get(link.connectionId))) {
      await unlinkConnection(deps, link.connectionId).catch(() => undefined);
      continue;
    }
    results.push(await drainConnection(deps, link.connectionId));
  }
  return results;
}

async function setLink(deps: ExportDeps, connectionId: string, patch: Partial<ExportLinkRow>): Promise<void> {
  await deps.db.exportLinks.update(connectionId, patch);
}

const MESSAGES = {
  paused_auth: 'Your personal server no longer accepts this browser’s link (it may have been revoked there). Link again to continue; everything waiting is kept and will be sent.',
  forbidden: 'Your personal server refused this browser for this connection (the connection may be turned off there). Link again to continue; everything waiting is kept.',
  blocked: 'Your personal server speaks a different version of the export protocol than Gleaner, so nothing was sent. Everything waiting is kept.',
  needs_permission: 'Gleaner no longer has permission to reach your server. Link again and choose Allow; everything waiting is kept.',
  no_token: 'This browser’s link to your server is missing. Link again to continue; everything waiting is kept.',
};

async function drainOnce(deps: ExportDeps, connectionId: string): Promise<DrainResult> {
  const { db } = deps;
  const result: DrainResult = { connectionId, status: 'not_linked', sent: 0, acceptedRecords: 0, setAside: 0, conflicts: 0, pendingRecords: 0, timings: { buildMs: 0, sendMs: 0, recordMs: 0 } };
  const clock = () => performance.now();
  const link = await db.exportLinks.get(connectionId);
  if (!link) return result;
  result.status = link.status;
  if (link.status === 'paused_auth' || link.status === 'blocked') {
    result.message = link.message;
    result.pendingRecords = (await pendingCounts(db, connectionId)).records;
    return result;
  }
  const token = await deps.tokens.get(connectionId);
  /** Acceptances still being written (they trail the wire by one batch). */
  let recording: Promise<void> = Promise.resolve();
  const pause = async (status: LinkStatus, message: string, requestId?: string) => {
    await recording;
    await setLink(deps, connectionId, { status, message, lastRequestId: requestId });
    result.status = status;
    result.message = message;
    result.pendingRecords = (await pendingCounts(db, connectionId)).records;
    return result;
  };
  if (!token) return pause('paused_auth', MESSAGES.no_token);
  if (!(await deps.hasOriginPermission(link.serverOrigin))) return pause('needs_permission', MESSAGES.needs_permission);

  const limits = { ...(await limitsFor(db)), ...deps.limits };
  const sleep = deps.sleep ?? sleepDefault;
  const maxInlineWait = deps.maxInlineWaitMs ?? 25_000;
  const devicePath = `/_ref/device-exporters/${encodeURIComponent(link.deviceId)}`;
  await setLink(deps, connectionId, { lastAttemptAt: new Date(now(deps)).toISOString() });

  // Batches built earlier and not yet accepted go first, in order; then new ones from the feed.
  const waiting = (await db.exportBatches.where('[connectionId+seq]').between([connectionId, Dexie.minKey], [connectionId, Dexie.maxKey]).toArray()).filter((row) => row.status === 'pending');
  const connection = await db.connections.get(connectionId);
  const streamNames = deps.connectors.find((candidate) => candidate.key === connection?.connectorKey)?.streams.map((stream) => stream.name) ?? [];
  const nextBatch = async (): Promise<ExportBatchRow | undefined> => waiting.shift() ?? buildNextBatch(db, connectionId, limits, new Date(now(deps)).toISOString(), streamNames);

  // The next batch is built (and persisted) while the current one is on the wire; sending stays strictly in order.
  let upcoming: Promise<ExportBatchRow | undefined> = nextBatch();
  try {
    let mark = clock();
    for (let batch = await upcoming; batch; mark = clock(), batch = await upcoming) {
      result.timings.buildMs += clock() - mark;
      upcoming = nextBatch();
      if (batch.status !== 'pending') {
        result.setAside += 1; // too large to ever send; kept with its reason
        continue;
      }
      const body = ingestBody(link, batch);
      let outcome: Outcome | undefined;
      let requestId: string | undefined;
      let attemptsUsed = 0;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        attemptsUsed = attempt;
        const sendStarted = clock();
        const answer = await callServer(deps.fetch, link.serverOrigin, { method: 'POST', path: `${devicePath}/ingest-batches`, body, token, protocol: true, timeoutMs: 60_000 });
        result.timings.sendMs += clock() - sendStarted;
        result.sent += 1;
        outcome = classify(answer.answer);
        requestId = answer.requestId;
        if (outcome.kind !== 'retry') break;
        const wait = backoffMs(attempt, outcome.retryAfterMs, deps.random);
        const lastError = `Your server was not reachable (${describeAnswer(answer.answer)}); Gleaner is trying again.`;
        await db.exportBatches.update(batch.id, { attempts: batch.attempts + attempt, lastError });
        if (attempt === MAX_ATTEMPTS || wait > maxInlineWait) {
          const at = now(deps) + wait;
          deps.scheduleRetry?.(at);
          await setLink(deps, connectionId, { status: 'retrying', nextAttemptAt: new Date(at).toISOString(), message: `Your server could not be reached (${describeAnswer(answer.answer)}). Gleaner will try again by itself; nothing is lost.` });
          await recording;
          result.status = 'retrying';
          result.message = `Your server could not be reached. Gleaner will try again by itself; nothing is lost.`;
          result.pendingRecords = (await pendingCounts(db, connectionId)).records;
          return result;
        }
        await sleep(wait);
      }
      if (!outcome) break;
      switch (outcome.kind) {
        case 'accepted': {
          // Recorded while the next batch is already on the wire: if the worker dies first, the resend is replayed by the server.
          const at = new Date(now(deps)).toISOString();
          const accepted: ExportBatchRow = { ...batch, status: 'accepted', recordsJson: '', attempts: batch.attempts + attemptsUsed, acceptedAt: at, lastError: undefined, lastRequestId: requestId };
          recording = recording.then(async () => {
            const recordStarted = clock();
            await db.transaction('rw', [db.exportBatches, db.exportLinks], async () => {
              await db.exportBatches.put(accepted); // a put, not an update: no need to read the stored records back
              const current = await db.exportLinks.get(connectionId);
              if (current) await db.exportLinks.update(connectionId, { acceptedBatches: current.acceptedBatches + 1, acceptedRecords: current.acceptedRecords + batch.recordCount, lastSuccessAt: at });
            });
            result.timings.recordMs += clock() - recordStarted;
          });
          result.acceptedRecords += batch.recordCount;
          break;
        }
        case 'rejected':
          // Set aside with the server's reason; later batches continue.
          await db.exportBatches.update(batch.id, { status: 'set_aside', lastError: outcome.reason, lastRequestId: requestId });
          result.setAside += 1;
          break;
        case 'conflict':
          // The server holds other content under this id: never overwritten, kept and shown.
          await db.exportBatches.update(batch.id, { status: 'conflict', lastError: outcome.reason, lastRequestId: requestId });
          result.conflicts += 1;
          break;
        case 'unauthorized':
          return pause('paused_auth', MESSAGES.paused_auth, requestId);
        case 'forbidden':
          return pause('paused_auth', MESSAGES.forbidden, requestId);
        case 'protocol_mismatch':
          return pause('blocked', MESSAGES.blocked, requestId);
        default:
          break;
      }
    }
  } finally {
    // A batch built ahead stays persisted and pending: the next drain sends it first.
    await upcoming.catch(() => undefined);
    await recording;
  }

  // Cursors only for what the server accepted, in order.
  const fresh = (await db.exportLinks.get(connectionId)) as ExportLinkRow;
  const through = await acceptedPrefixSeq(db, connectionId, fresh.cursorSeq);
  if (through > fresh.cursorSeq) {
    const connector = deps.connectors.find((candidate) => candidate.key === fresh.connectorId);
    const streams = [...(connector?.streams.map((stream) => stream.name) ?? []), 'acquisition_batches'];
    const state = Object.fromEntries(streams.map((stream) => [stream, { change_seq: through }]));
    const put = await callServer(deps.fetch, link.serverOrigin, { method: 'PUT', path: `${devicePath}/source-instances/${encodeURIComponent(link.sourceInstanceId)}/state`, body: { state }, token, protocol: true });
    if (ok(put)) await setLink(deps, connectionId, { cursorSeq: through });
  }
  const pending = await pendingCounts(db, connectionId);
  const problems = await db.exportBatches.where('[connectionId+seq]').between([connectionId, Dexie.minKey], [connectionId, Dexie.maxKey]).filter((row) => row.status === 'set_aside' || row.status === 'conflict').count();
  await callServer(deps.fetch, link.serverOrigin, {
    method: 'POST',
    path: `${devicePath}/heartbeat`,
    token,
    protocol: true,
    timeoutMs: 10_000,
    body: {
      agent_version: deps.agentVersion ?? 'gleaner',
      source_instances: [{ source_instance_id: link.sourceInstanceId, status: 'healthy', records_pending: pending.records, ...(problems > 0 ? { last_error: `${problems} batch(es) set aside` } : {}) }],
    },
  });
  await setLink(deps, connectionId, { status: 'active', message: undefined, nextAttemptAt: undefined });
  result.status = 'active';
  result.pendingRecords = pending.records;
  return result;
}
