/**
 * Draining connections' outboxes to the owner's personal server, in order.
 * Browser-free: the token store, permission check, fetch, clock and sleep are
 * injected (deps.ts), so unit tests drive it over HTTP. Linking is link.ts.
 */
import Dexie from 'dexie';
import { buildManifest, RECEIPT_STREAM } from './manifest';
import { callServer, describeAnswer, type CallResult } from './client';
import { connectorOf, limitsFor, now, ok, type ExportDeps } from './deps';
import { registerManifest, unlinkConnection } from './link';
import { acceptedPrefixSeq, buildNextBatch, ingestBody, pendingCounts, refreshSetAside } from './outbox';
import { backoffMs, classify, MAX_ATTEMPTS, type Outcome } from './retry';
import type { ExportBatchRow, ExportLinkRow, LinkStatus } from './types';
import type { StreamDefinition } from '../connectors/types';

export * from './deps';
export { linkConnection, unlinkConnection, type LinkResult } from './link';

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

/** 401: the token no longer works (revoked); 403: not valid for this connection (turned off on the server). */
function refusedLink(result: CallResult): 'paused_auth' | 'forbidden' | undefined {
  const status = 'status' in result.answer ? result.answer.status : 0;
  return status === 401 ? 'paused_auth' : status === 403 ? 'forbidden' : undefined;
}

/** What a refusal happened under: the manifest version and the device. When either changes, the batch is tried again. */
function setAsideContext(link: Pick<ExportLinkRow, 'manifestVersion' | 'deviceId'>): string {
  return `${link.manifestVersion ?? ''}|${link.deviceId}`;
}

/** Puts set-aside batches back in the queue, rebuilt from the records' current states (an old state never overwrites a newer one). */
async function requeueSetAside(db: ExportDeps['db'], connectionId: string, streams: readonly StreamDefinition[], which: (row: ExportBatchRow) => boolean): Promise<number> {
  const rows = await db.exportBatches.where('[connectionId+seq]').between([connectionId, Dexie.minKey], [connectionId, Dexie.maxKey]).filter((row) => row.status === 'set_aside' && !row.tooLarge && which(row)).toArray();
  for (const row of rows) await db.exportBatches.put(await refreshSetAside(db, row, streams));
  return rows.length;
}

/**
 * The owner's "Try again" for refused batches: registers Gleaner's manifest
 * again (a refusal is the server's sentence), puts every refused batch back
 * in the queue, and sends.
 */
export async function retrySetAside(deps: ExportDeps, connectionId: string): Promise<DrainResult> {
  const link = await deps.db.exportLinks.get(connectionId);
  const connection = await deps.db.connections.get(connectionId);
  const connector = connectorOf(deps, connection?.connectorKey);
  if (link && connector && (await deps.hasOriginPermission(link.serverOrigin))) {
    const manifest = await buildManifest(connector);
    await registerManifest(deps, link.serverOrigin, manifest, true);
    await setLink(deps, connectionId, { manifestVersion: manifest.version });
  }
  await requeueSetAside(deps.db, connectionId, connector?.streams ?? [], () => true);
  return drainConnection(deps, connectionId);
}

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

  const connection = await db.connections.get(connectionId);
  const connector = connectorOf(deps, connection?.connectorKey);
  const manifest = connector ? await buildManifest(connector) : undefined;
  if (manifest && manifest.version !== link.manifestVersion) {
    // Gleaner was updated since linking and its streams changed: register the new manifest first. A refusal
    // leaves the version unrecorded, so the next drain tries again (batches it causes to fail are set aside and shown).
    const registered = await registerManifest(deps, link.serverOrigin, manifest, true).then(() => true, () => false);
    if (registered) await setLink(deps, connectionId, { manifestVersion: manifest.version });
  }
  const fresh = (await db.exportLinks.get(connectionId)) as ExportLinkRow;
  const setAsideUnder = setAsideContext(fresh);
  // Batches the server refused under another manifest or device get another chance now that the cause may be gone.
  await requeueSetAside(db, connectionId, connector?.streams ?? [], (row) => row.setAsideUnder !== undefined && row.setAsideUnder !== setAsideUnder);

  // Batches built earlier and not yet accepted go first, in order; then new ones from the feed.
  const waiting = (await db.exportBatches.where('[connectionId+seq]').between([connectionId, Dexie.minKey], [connectionId, Dexie.maxKey]).toArray()).filter((row) => row.status === 'pending');
  const streamNames = connector?.streams.map((stream) => stream.name) ?? [];
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
          await db.exportBatches.update(batch.id, { status: 'set_aside', lastError: outcome.reason, lastRequestId: requestId, setAsideUnder });
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
  const planned = (await db.exportLinks.get(connectionId)) as ExportLinkRow;
  const through = await acceptedPrefixSeq(db, connectionId, planned.cursorSeq);
  if (through > planned.cursorSeq) {
    const state = Object.fromEntries([...streamNames, RECEIPT_STREAM].map((stream) => [stream, { change_seq: through }]));
    const put = await callServer(deps.fetch, link.serverOrigin, { method: 'PUT', path: `${devicePath}/source-instances/${encodeURIComponent(link.sourceInstanceId)}/state`, body: { state }, token, protocol: true });
    if (ok(put)) await setLink(deps, connectionId, { cursorSeq: through });
    const refused = refusedLink(put);
    if (refused) return pause('paused_auth', MESSAGES[refused], put.requestId);
  }
  const pending = await pendingCounts(db, connectionId);
  const problems = await db.exportBatches.where('[connectionId+seq]').between([connectionId, Dexie.minKey], [connectionId, Dexie.maxKey]).filter((row) => row.status === 'set_aside' || row.status === 'conflict').count();
  // The heartbeat's answer counts: a revoked link shows as paused even when nothing was waiting to be sent.
  const heartbeat = await callServer(deps.fetch, link.serverOrigin, {
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
  const refused = refusedLink(heartbeat);
  if (refused) return pause('paused_auth', MESSAGES[refused], heartbeat.requestId);
  await setLink(deps, connectionId, { status: 'active', message: undefined, nextAttemptAt: undefined });
  result.status = 'active';
  result.pendingRecords = pending.records;
  return result;
}
