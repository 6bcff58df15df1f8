/**
 * Linking a connection to the owner's personal server and unlinking it.
 *
 * Linking registers Gleaner's manifest for the connector (a refusal is shown
 * with the server's own sentence, never hidden), gets an enrollment code
 * (the owner's, or minted in one click on a loopback server whose owner
 * routes are open), enrolls, and keeps the device token in the token store
 * only. Linking again to the same server connection keeps the outbox; a new
 * server connection is sent the whole history.
 */
import Dexie from 'dexie';
import type { Connection } from '../core/model';
import type { ConnectorDefinition } from '../connectors/types';
import { buildManifest, type ConnectorManifest } from './manifest';
import { callServer, isLoopbackHost, normaliseOrigin, type CallResult } from './client';
import { connectorOf, ExportError, now, ok, refusal, type ExportDeps } from './deps';
import type { ExportLinkRow } from './types';

const DEVICE_LABEL = 'Gleaner (browser extension)';
/** How long a code Gleaner mints itself stays usable: only until the enroll right after it. */
const MINTED_CODE_SECONDS = 300;

const ASK_FOR_CODE = 'Your server asks for an enrollment code: create one there for this account and paste it here.';

function statusOf(result: CallResult): number {
  return 'status' in result.answer ? result.answer.status : 0;
}

/**
 * Registers (or re-registers, unchanged) the connector's manifest. A server
 * that keeps registration to its owner (401/403) is fine when the owner
 * brought a code, as long as it already knows the connector; any other
 * refusal fails with the server's sentence.
 */
export async function registerManifest(deps: ExportDeps, origin: string, manifest: ConnectorManifest, ownerBroughtCode: boolean): Promise<void> {
  const registration = await callServer(deps.fetch, origin, { method: 'POST', path: '/connectors', body: manifest });
  if ('transportError' in registration.answer) throw new ExportError('server_unreachable', `Gleaner could not reach ${origin}. Check the address and that the server is running.`);
  if (ok(registration)) return;
  const status = statusOf(registration);
  if (status === 401 || status === 403) {
    if (!ownerBroughtCode) throw new ExportError('code_needed', ASK_FOR_CODE);
    const known = await callServer(deps.fetch, origin, { method: 'GET', path: `/connectors/${encodeURIComponent(manifest.connector_key)}` });
    if (ok(known)) return;
    throw new ExportError('server_refused', `Your server does not know Gleaner’s ${manifest.display_name} connector yet, and only its owner may add it. Register Gleaner’s ${manifest.display_name} manifest on your server (Download manifests), then link again.`);
  }
  throw new ExportError('server_refused', refusal(registration, `Your server did not accept Gleaner’s description of ${manifest.display_name} records`));
}

async function mintCode(deps: ExportDeps, origin: string, manifest: ConnectorManifest, bindingName: string, connection: Connection): Promise<string> {
  const minted = await callServer(deps.fetch, origin, {
    method: 'POST',
    path: '/_ref/device-exporters/enrollment-codes',
    body: { connector_id: manifest.connector_key, local_binding_name: bindingName, display_name: connection.displayName.slice(0, 200), expires_in_seconds: MINTED_CODE_SECONDS },
  });
  if (!ok(minted)) {
    const status = statusOf(minted);
    throw new ExportError(status === 401 || status === 403 ? 'code_needed' : 'server_refused', status === 401 || status === 403 ? ASK_FOR_CODE : refusal(minted, 'Your server could not create a link code'));
  }
  return String((minted.json as { enrollment_code?: unknown }).enrollment_code ?? '');
}

interface Enrollment {
  device_id: string;
  device_token: string;
  source_instance_id: string;
  connector_instance_id: string;
  connector_id: string;
  local_binding_name: string;
}

async function enroll(deps: ExportDeps, origin: string, code: string): Promise<{ enrolled?: Enrollment; failure?: CallResult }> {
  const result = await callServer(deps.fetch, origin, {
    method: 'POST',
    path: '/_ref/device-exporters/enroll',
    protocol: true,
    // Gleaner sends everything the connection holds, whenever it happened: a declared full pass, not the server's default "last 30 days".
    body: { enrollment_code: code, device_label: DEVICE_LABEL, collection_scope: null },
  });
  if (!ok(result)) return { failure: result };
  const reply = result.json as Enrollment | undefined;
  if (!reply?.device_token || !reply.device_id || !reply.source_instance_id) throw new ExportError('enroll_failed', 'Your server’s answer to linking was incomplete.');
  return { enrolled: reply };
}

function enrollRefusal(failure: CallResult, ownerBroughtCode: boolean, bindingName: string): ExportError {
  const answer = failure.answer;
  const status = statusOf(failure);
  const code = 'errorCode' in answer ? answer.errorCode : undefined;
  const message =
    status === 400 ? 'That code is unknown or was already used. Create a new one on your server.'
    : status === 410 ? 'That code has expired. Create a new one on your server.'
    : status === 409 && code === 'collector_protocol_mismatch' ? 'Your server speaks a different version of the export protocol than Gleaner.'
    : status === 409 ? 'That code was already used by another browser. Create a new one on your server.'
    : status >= 500 && ownerBroughtCode ? `${refusal(failure, 'Linking did not work')} If your server was restarted since this account was first linked, it cannot link the same account name again: create the code with another name for this account (for example “${bindingName} (2)”) and paste it here.`
    : refusal(failure, 'Linking did not work');
  return new ExportError('enroll_failed', message);
}

/** The name the server knows this account by (`local_binding_name`): the account identity, stable across links. */
export function bindingNameFor(connection: Connection): string {
  return connection.accountKey ?? connection.id;
}

export interface LinkResult extends ExportLinkRow {
  /** True when the server gave a connection this browser had not sent to before: everything is sent to it. */
  newServerConnection: boolean;
}

export async function linkConnection(deps: ExportDeps, request: { connectionId: string; serverOrigin: string; enrollmentCode?: string }): Promise<LinkResult> {
  const { db } = deps;
  let origin: string;
  try {
    origin = normaliseOrigin(request.serverOrigin);
  } catch (error) {
    throw new ExportError('bad_server_address', (error as Error).message);
  }
  const connection = await db.connections.get(request.connectionId);
  if (!connection) throw new ExportError('unknown_connection', 'That connection no longer exists.');
  const connector: ConnectorDefinition | undefined = connectorOf(deps, connection.connectorKey);
  if (!connector) throw new ExportError('unknown_connector', 'Gleaner no longer has this connection’s connector.');
  if (!(await deps.hasOriginPermission(origin))) {
    throw new ExportError('server_permission_needed', `Gleaner needs your permission to reach ${origin}. Click “Link” again and choose Allow.`);
  }
  const manifest = await buildManifest(connector);
  const code = request.enrollmentCode?.trim();
  const ownerBroughtCode = !!code;
  if (!ownerBroughtCode && !isLoopbackHost(new URL(origin).hostname)) {
    throw new ExportError('code_needed', 'Create an enrollment code on your server for this account, then paste it here.');
  }
  await registerManifest(deps, origin, manifest, ownerBroughtCode);

  const previous = await db.exportLinks.get(connection.id);
  const bindingName = previous?.serverOrigin === origin ? previous.localBindingName : bindingNameFor(connection);
  let attempt = await enroll(deps, origin, code ?? (await mintCode(deps, origin, manifest, bindingName, connection)));
  const renamed = !!attempt.failure && !ownerBroughtCode && statusOf(attempt.failure) >= 500;
  if (renamed) {
    // The reference server cannot enroll a name again after it restarted (an upstream defect): link under a
    // dated name instead. That is a new connection on the server, so everything is sent to it again.
    const dated = `${bindingNameFor(connection)} (linked ${new Date(now(deps)).toISOString().slice(0, 16).replace('T', ' ')})`;
    attempt = await enroll(deps, origin, await mintCode(deps, origin, manifest, dated, connection));
  }
  if (attempt.failure) throw enrollRefusal(attempt.failure, ownerBroughtCode, bindingName);
  const reply = attempt.enrolled as Enrollment;

  // The same server connection again (e.g. after a revoked token): keep the plan, so nothing is sent twice or skipped.
  const keepPlan = !!previous && previous.serverOrigin === origin && previous.connectorInstanceId === reply.connector_instance_id;
  const link: ExportLinkRow = {
    connectionId: connection.id,
    serverOrigin: origin,
    deviceId: reply.device_id,
    sourceInstanceId: reply.source_instance_id,
    connectorInstanceId: reply.connector_instance_id,
    connectorId: reply.connector_id ?? manifest.connector_key,
    localBindingName: reply.local_binding_name ?? bindingName,
    linkedAt: new Date(now(deps)).toISOString(),
    status: 'active',
    manifestVersion: manifest.version,
    plannedThroughSeq: keepPlan ? previous.plannedThroughSeq : 0,
    nextBatchSeq: keepPlan ? previous.nextBatchSeq : 0,
    snapshot: keepPlan ? previous.snapshot : undefined,
    walk: keepPlan ? previous.walk : undefined,
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
  return { ...link, newServerConnection: renamed || (!!previous && !keepPlan) };
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
