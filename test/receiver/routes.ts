/**
 * Route handlers of the test receiver, one function per route, plus the route
 * table that server.ts dispatches from.
 *
 * Every shared route answers as the reference server does (PDP-Connect/pdpp,
 * `routes/ref-device-exporters.ts`, `as-polyfill-connectors.ts`): the same
 * checks in the same order, the same status, `code`, `param` and sentence.
 * test/e2e/receiver-conformance.e2e.ts runs one script against both.
 *
 * Handlers are synchronous on purpose: once the body has been read, a request
 * runs to completion without yielding to the event loop, so two concurrent
 * resends of one batch can never both be stored (the reference server gets the
 * same guarantee from a per-batch lock and a database transaction).
 */
import { createHash } from 'node:crypto';
import { badRequest, HttpError, newId, newSecret, sha256Hex } from './http.ts';
import type { Reply } from './http.ts';
import { canonicalConnectorKey, checkManifest } from './manifest.ts';
import { COLLECTION_SCOPE_STATE_KEY, parseScopeRequest, resolveEnrollmentScope, storedScope } from './scope.ts';
import { batchSlot, listBatches, listRecords, recordSlot } from './state.ts';
import type {
  ConnectorEntry,
  ConnectorInstanceEntry,
  DeviceEntry,
  EnrollmentCodeEntry,
  HeartbeatEntry,
  ReceiverState,
  SourceInstanceEntry,
  SourceKind,
  StoredRecord,
} from './state.ts';

export interface RouteContext {
  state: ReceiverState;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body; undefined when the request had none (or not JSON). */
  body: unknown;
  /** The authenticated device on `device` routes, else null. */
  device: DeviceEntry | null;
  requestId: string;
  now: () => number;
  /** Call after changing state so the data file is rewritten before the reply. */
  markChanged: () => void;
}

/**
 * `owner`: open on a loopback server (registration, minting, owner revoke, reads).
 * `protocol`: needs X-PDPP-Collector-Protocol: 1 (enroll).
 * `device`: protocol header + bearer device token (the handler checks the path device id).
 */
export type RouteAuth = 'owner' | 'protocol' | 'device';

/** Routes whose answers a test can fault on demand (server.ts: inject503, dropResponses). */
export type FaultableRoute = 'ingest' | 'enroll' | 'heartbeat' | 'state';

export interface Route {
  method: 'GET' | 'POST' | 'PUT';
  pattern: RegExp;
  auth: RouteAuth;
  faultable?: FaultableRoute;
  handler: (ctx: RouteContext) => Reply;
}

const DEVICE = '/_ref/device-exporters/(?<device>[^/]+)';

export const routes: Route[] = [
  { method: 'POST', pattern: /^\/connectors$/, auth: 'owner', handler: registerConnector },
  { method: 'GET', pattern: /^\/connectors\/(?<connector>[^/]+)$/, auth: 'owner', handler: connectorDetail },
  { method: 'POST', pattern: /^\/_ref\/device-exporters\/enrollment-codes$/, auth: 'owner', handler: mintEnrollmentCode },
  { method: 'POST', pattern: /^\/_ref\/device-exporters\/enroll$/, auth: 'protocol', faultable: 'enroll', handler: enroll },
  { method: 'GET', pattern: /^\/_ref\/connections$/, auth: 'owner', handler: listConnections },
  { method: 'GET', pattern: /^\/_ref\/device-exporters$/, auth: 'owner', handler: listDevices },
  { method: 'POST', pattern: new RegExp(`^${DEVICE}/revoke$`), auth: 'owner', handler: ownerRevoke },
  { method: 'POST', pattern: new RegExp(`^${DEVICE}/ingest-batches$`), auth: 'device', faultable: 'ingest', handler: ingestBatch },
  { method: 'GET', pattern: new RegExp(`^${DEVICE}/source-instances/(?<sid>[^/]+)/state$`), auth: 'device', faultable: 'state', handler: getState },
  { method: 'PUT', pattern: new RegExp(`^${DEVICE}/source-instances/(?<sid>[^/]+)/state$`), auth: 'device', faultable: 'state', handler: putState },
  { method: 'POST', pattern: new RegExp(`^${DEVICE}/heartbeat$`), auth: 'device', faultable: 'heartbeat', handler: heartbeat },
  { method: 'POST', pattern: new RegExp(`^${DEVICE}/self-revoke$`), auth: 'device', handler: selfRevoke },
  // The receiver's own test reads: no counterpart on the reference server.
  { method: 'GET', pattern: /^\/_test\/records$/, auth: 'owner', handler: testRecords },
  { method: 'GET', pattern: /^\/_test\/batches$/, auth: 'owner', handler: testBatches },
  { method: 'GET', pattern: /^\/_test\/log$/, auth: 'owner', handler: testLog },
];

// ---------------------------------------------------------------------------
// Small helpers, named after the server's
// ---------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `req.body || {}` followed by property reads: anything but an object has no fields. */
function fields(body: unknown): Json {
  return typeof body === 'object' && body !== null ? (body as Json) : {};
}

/** `requireNonEmptyString`: the trimmed value, or 400 "<param> is required". */
function requireNonEmptyString(value: unknown, param: string): string {
  if (typeof value !== 'string' || !value.trim()) throw badRequest(`${param} is required`, param);
  return value.trim();
}

function trimmedOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The server's canonical JSON: object keys sorted recursively, undefined members dropped, array order kept. */
function canonicalValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(canonicalValue);
  const out: Json = {};
  for (const key of Object.keys(value).sort()) {
    const child = (value as Json)[key];
    if (child !== undefined) out[key] = canonicalValue(child);
  }
  return out;
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalValue(value));
}

function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** Aliases and first-party URLs name the same connector type. */
function sameConnectorType(a: string, b: string): boolean {
  return a === b || (canonicalConnectorKey(a) ?? a) === (canonicalConnectorKey(b) ?? b);
}

function forbiddenDevice(): HttpError {
  return new HttpError(403, 'permission_error', 'Device credential is not valid for this device');
}

/** The path device must be the one the token belongs to (checked after authentication). */
function requirePathDevice(ctx: RouteContext): DeviceEntry {
  const device = ctx.device as DeviceEntry;
  if (ctx.params.device !== device.device_id) throw forbiddenDevice();
  return device;
}

// ---------------------------------------------------------------------------
// POST /connectors, GET /connectors/{key}
// ---------------------------------------------------------------------------

/** Always 201 `{connector_id, connector_key}`, whether new, changed or identical. */
function registerConnector(ctx: RouteContext): Reply {
  const { key, stored, streams } = checkManifest(ctx.body);
  const existing = ctx.state.connectors.get(key);
  const version = typeof stored.version === 'string' ? stored.version : null;
  const reply: Reply = { status: 201, json: { connector_id: key, connector_key: key } };
  if (existing && canonicalJson(existing.manifest) === canonicalJson(stored)) return reply;

  const now = iso(ctx.now());
  const reason = !existing ? 'created' : existing.version !== version ? 'version_changed' : 'manifest_changed';
  const entry: ConnectorEntry = {
    connector_key: key,
    version,
    manifest: stored,
    streams,
    registered_at: now,
    history: [...(existing?.history ?? []), { version, registered_at: now, reason }],
  };
  ctx.state.connectors.set(key, entry);
  ctx.markChanged();
  return reply;
}

function connectorDetail(ctx: RouteContext): Reply {
  const connector = ctx.state.connectors.get(ctx.params.connector as string);
  if (!connector) throw new HttpError(404, 'not_found', 'Connector not found');
  return { status: 200, json: connector.manifest };
}

// ---------------------------------------------------------------------------
// Enrollment
// ---------------------------------------------------------------------------

/**
 * `resolveEnrolledSourceKind`: a `filesystem` binding enrolls as a local
 * device, a `browser` one as a browser collector; a connector with neither (or
 * no registered manifest) cannot be enrolled.
 */
function resolveSourceKind(state: ReceiverState, connectorId: string, requested: string | null): SourceKind {
  const manifest = state.connectors.get(canonicalConnectorKey(connectorId) ?? connectorId)?.manifest;
  const bindings = isPlainObject(manifest?.runtime_requirements) ? manifest.runtime_requirements.bindings : undefined;
  let derived: SourceKind | null = null;
  if (bindings && typeof bindings === 'object') {
    if (Object.hasOwn(bindings, 'filesystem')) derived = 'local_device';
    else if (Object.hasOwn(bindings, 'browser')) derived = 'browser_collector';
  }
  if (!derived) {
    throw badRequest(
      `Cannot enroll connector '${connectorId}': no registered manifest declares a 'filesystem' or 'browser' binding, so the source kind cannot be resolved.`,
      'connector_id',
    );
  }
  if (requested !== null && requested !== derived) {
    throw badRequest(`source_kind '${requested}' contradicts connector '${connectorId}' manifest bindings (expected '${derived}').`, 'source_kind');
  }
  return derived;
}

function mintEnrollmentCode(ctx: RouteContext): Reply {
  const body = fields(ctx.body);
  const connectorId = requireNonEmptyString(body.connector_id, 'connector_id');
  const bindingName = requireNonEmptyString(body.local_binding_name, 'local_binding_name');
  resolveSourceKind(ctx.state, connectorId, typeof body.source_kind === 'string' ? body.source_kind : null);
  // A non-integer is not an error: it means the default.
  const expiresIn = Number.isInteger(body.expires_in_seconds) ? (body.expires_in_seconds as number) : 15 * 60;
  if (expiresIn < 60 || expiresIn > 86_400) {
    throw badRequest('expires_in_seconds must be between 60 and 86400', 'expires_in_seconds');
  }
  const scope = parseScopeRequest(body.collection_scope);
  if (!scope.ok) throw badRequest(scope.message, 'collection_scope');

  const now = ctx.now();
  const code = newSecret('lde', 18);
  const entry: EnrollmentCodeEntry = {
    code_hash: sha256Hex(code),
    connector_id: connectorId,
    local_binding_name: bindingName,
    display_name: trimmedOrNull(body.display_name),
    collection_scope: scope.value.kind === 'declared' ? scope.value.scope : null,
    created_at: iso(now),
    expires_at: iso(now + expiresIn * 1000),
    status: 'pending',
    device_id: null,
  };
  ctx.state.enrollmentCodes.set(entry.code_hash, entry);
  ctx.markChanged();
  return {
    status: 201,
    json: {
      collection_scope: entry.collection_scope,
      connector_id: connectorId,
      enrollment_code: code,
      expires_at: entry.expires_at,
      local_binding_name: bindingName,
      object: 'device_exporter_enrollment_code',
    },
  };
}

/**
 * POST /_ref/device-exporters/enroll. Order: protocol header → code present →
 * known and usable (400) → unexpired (410) → collection_scope valid and no
 * wider than the owner declared (400) → a consumed code is replayed (same
 * device, new token) or refused → first enrollment.
 */
function enroll(ctx: RouteContext): Reply {
  const body = fields(ctx.body);
  const code = requireNonEmptyString(body.enrollment_code, 'enrollment_code');
  const entry = ctx.state.enrollmentCodes.get(sha256Hex(code));
  const usedOrUnknown = () => badRequest('Enrollment code is invalid or already used', 'enrollment_code');
  if (!entry || (entry.status !== 'pending' && entry.status !== 'consumed')) throw usedOrUnknown();
  const now = ctx.now();
  if (Date.parse(entry.expires_at) <= now) {
    if (entry.status === 'pending') {
      entry.status = 'revoked';
      ctx.markChanged();
    }
    throw new HttpError(410, 'invalid_request', 'Enrollment code has expired', { param: 'enrollment_code' });
  }
  const offered = parseScopeRequest(body.collection_scope);
  if (!offered.ok) throw badRequest(offered.message, 'collection_scope');
  const verdict = resolveEnrollmentScope(offered.value, iso(now), entry.collection_scope);
  if (!verdict.accepted) throw badRequest(verdict.reason, 'collection_scope');

  if (entry.status === 'consumed') return reenroll(ctx, entry, usedOrUnknown);
  return firstEnrollment(ctx, entry, trimmedOrNull(body.device_label), verdict.effective);
}

/**
 * A consumed, unexpired code posted again (the enroll answer was lost): the
 * same device gets a fresh token and the old one stops working. Refused once
 * the device or its binding has been revoked.
 */
function reenroll(ctx: RouteContext, entry: EnrollmentCodeEntry, usedOrUnknown: () => HttpError): Reply {
  const device = entry.device_id ? ctx.state.devices.get(entry.device_id) : undefined;
  if (!device || device.status !== 'active') throw usedOrUnknown();
  const source = [...ctx.state.sourceInstances.values()].find(
    (s) =>
      s.device_id === device.device_id &&
      s.local_binding_name === entry.local_binding_name &&
      sameConnectorType(s.connector_id, entry.connector_id) &&
      s.status !== 'revoked' &&
      s.connector_instance_id,
  );
  if (!source) throw usedOrUnknown();
  const token = newSecret('ldt', 32);
  device.token_hash = sha256Hex(token);
  device.token_issued_at = iso(ctx.now());
  ctx.markChanged();
  return { status: 201, json: enrollmentResponse(source, token) };
}

function firstEnrollment(ctx: RouteContext, entry: EnrollmentCodeEntry, label: string | null, scope: EnrollmentCodeEntry['collection_scope']): Reply {
  const connectorId = canonicalConnectorKey(entry.connector_id) ?? entry.connector_id;
  const kind = resolveSourceKind(ctx.state, connectorId, null);
  const now = iso(ctx.now());
  const displayName = label ?? entry.display_name ?? entry.local_binding_name;
  const token = newSecret('ldt', 32);
  const device: DeviceEntry = {
    device_id: newId('dexp'),
    display_name: displayName,
    token_hash: sha256Hex(token),
    status: 'active',
    created_at: now,
    token_issued_at: now,
    revoked_at: null,
  };
  const source: SourceInstanceEntry = {
    source_instance_id: newId('dsrc'),
    device_id: device.device_id,
    connector_id: connectorId,
    local_binding_name: entry.local_binding_name,
    connector_instance_id: '',
    source_kind: kind,
    display_name: entry.display_name,
    status: 'active',
    created_at: now,
    revoked_at: null,
  };
  source.connector_instance_id = bindConnectorInstance(ctx.state, source, displayName, now).connector_instance_id;
  ctx.state.devices.set(device.device_id, device);
  ctx.state.sourceInstances.set(source.source_instance_id, source);
  // The effective boundary is always written, a full pass (`scope: null`) included.
  writeState(ctx.state, source.connector_instance_id, { [COLLECTION_SCOPE_STATE_KEY]: storedScope(scope, now) }, now);
  entry.status = 'consumed';
  entry.device_id = device.device_id;
  ctx.markChanged();
  return { status: 201, json: enrollmentResponse(source, token) };
}

/**
 * One connector instance per (connector, source kind, local_binding_name): a
 * re-link of the same account reuses and reactivates the existing connection
 * (its records and state stay together) and points it at the new binding.
 */
function bindConnectorInstance(state: ReceiverState, source: SourceInstanceEntry, displayName: string, now: string): ConnectorInstanceEntry {
  const existing = [...state.connectorInstances.values()].find(
    (c) => c.connector_id === source.connector_id && c.source_kind === source.source_kind && c.local_binding_name === source.local_binding_name,
  );
  if (existing) {
    Object.assign(existing, {
      display_name: displayName,
      status: 'active',
      device_id: source.device_id,
      source_instance_id: source.source_instance_id,
      updated_at: now,
      revoked_at: null,
    });
    return existing;
  }
  const created: ConnectorInstanceEntry = {
    connector_instance_id: newId('cin', 24),
    connector_id: source.connector_id,
    local_binding_name: source.local_binding_name,
    source_kind: source.source_kind,
    display_name: displayName,
    status: 'active',
    device_id: source.device_id,
    source_instance_id: source.source_instance_id,
    created_at: now,
    updated_at: now,
    revoked_at: null,
  };
  state.connectorInstances.set(created.connector_instance_id, created);
  return created;
}

function enrollmentResponse(source: SourceInstanceEntry, token: string): Json {
  return {
    connector_id: source.connector_id,
    connector_instance_id: source.connector_instance_id,
    device_id: source.device_id,
    device_token: token,
    local_binding_name: source.local_binding_name,
    object: 'device_exporter_enrollment',
    source_instance_id: source.source_instance_id,
  };
}

export const PROTOCOL_HEADER = 'x-pdpp-collector-protocol';
export const ACCEPTED_PROTOCOL_VERSIONS = ['1'];

/** Missing or unsupported X-PDPP-Collector-Protocol → 409, before anything else is looked at. */
export function checkProtocolHeader(received: string | null): void {
  if (received !== null && ACCEPTED_PROTOCOL_VERSIONS.includes(received)) return;
  throw new HttpError(
    409,
    'collector_protocol_mismatch',
    received
      ? `Collector protocol version '${received}' is not accepted by this reference server.`
      : 'Collector protocol version header X-PDPP-Collector-Protocol is required.',
    { extra: { accepted_versions: ACCEPTED_PROTOCOL_VERSIONS, received_version: received } },
  );
}

// ---------------------------------------------------------------------------
// Device routes
// ---------------------------------------------------------------------------

/**
 * `resolveAuthorizedDeviceSource`: the source instance must be this device's
 * and active (else `notFoundStatus`: 400 on ingest and heartbeat, 404 on
 * state), and its connection active (else 403).
 */
function authorizeSource(
  ctx: RouteContext,
  sourceInstanceId: string,
  notFoundStatus: 400 | 404,
): { source: SourceInstanceEntry; connection: ConnectorInstanceEntry } {
  const source = ctx.state.sourceInstances.get(sourceInstanceId);
  if (!source || source.device_id !== (ctx.device as DeviceEntry).device_id || source.status !== 'active') {
    throw new HttpError(notFoundStatus, notFoundStatus === 404 ? 'not_found' : 'invalid_request', `Unknown source_instance_id '${sourceInstanceId}'`, {
      param: 'source_instance_id',
    });
  }
  const connection = ctx.state.connectorInstances.get(source.connector_instance_id);
  if (!connection || connection.status !== 'active' || !sameConnectorType(connection.connector_id, source.connector_id)) {
    throw new HttpError(403, 'permission_error', 'source_instance_id is not authorized for an active connector instance', {
      param: 'source_instance_id',
    });
  }
  return { source, connection };
}

interface NormalizedRecord {
  stream: string;
  key: string | unknown[];
  op: 'upsert' | 'delete';
  data: Json;
  emitted_at: string | undefined;
}

/** The refusals of the record checks all name `records` as the param. */
function recordError(message: string): HttpError {
  return badRequest(message, 'records');
}

/** `normalizeDeviceIngestRecord`: shape only; key, op, data, then stream, in that order. */
function normalizeRecord(raw: unknown, index: number): NormalizedRecord {
  if (!isPlainObject(raw)) throw recordError(`records[${index}] must be an object`);
  const key = raw.record_key ?? raw.key;
  if (key === null || (typeof key !== 'string' && !Array.isArray(key))) throw recordError(`records[${index}].record_key is required`);
  const op = raw.op === undefined ? 'upsert' : raw.op;
  if (op !== 'upsert' && op !== 'delete') throw recordError(`records[${index}].op must be 'upsert' or 'delete'`);
  if (op === 'upsert') {
    if (!isPlainObject(raw.data)) throw recordError(`records[${index}].data must be an object for upsert`);
  } else if (Object.hasOwn(raw, 'data') && !(isPlainObject(raw.data) && Object.keys(raw.data).length === 0)) {
    throw recordError(`records[${index}].data must be omitted or {} for delete`);
  }
  return {
    data: op === 'delete' ? {} : (raw.data as Json),
    emitted_at: typeof raw.emitted_at === 'string' ? raw.emitted_at : undefined,
    key: key as string | unknown[],
    op,
    stream: requireNonEmptyString(raw.stream, `records[${index}].stream`),
  };
}

/**
 * `assertRecordIdentity`: every primary-key field present in `data` must
 * equal, as a string, the key part at its position. A compound key squeezed
 * into one JSON string therefore fails as soon as data carries the key fields.
 */
function identityHolds(primaryKey: string[], key: string | unknown[], data: Json): boolean {
  if (primaryKey.length === 0) {
    const single = typeof key === 'string' ? key : Array.isArray(key) && key.length === 1 ? key[0] : null;
    return single === null || data.id === undefined || data.id === single;
  }
  const parts: unknown[] = typeof key === 'string' ? [key] : key;
  return primaryKey.every((field, i) => data[field] === undefined || parts[i] === undefined || String(data[field]) === String(parts[i]));
}

/**
 * The body hash the reference collector sends: the hash of its outbox
 * envelopes rather than of the wire records. The server accepts both.
 */
function collectorEnvelopeHash(records: unknown[], identity: { batchId: string; batchSeq: number; connectorId: string; deviceId: string; sourceInstanceId: string }): string {
  const envelopes = records.map((value) => {
    const record = isPlainObject(value) ? value : {};
    const body = { connector_id: identity.connectorId, data: record.data, emitted_at: record.emitted_at, record_key: String(record.record_key), stream: record.stream };
    return {
      batch_id: identity.batchId,
      batch_seq: identity.batchSeq,
      body_hash: canonicalHash(body),
      device_id: identity.deviceId,
      source_instance_id: identity.sourceInstanceId,
      ...body,
    };
  });
  return canonicalHash(envelopes);
}

/**
 * POST /_ref/device-exporters/{device_id}/ingest-batches
 *
 * The server's order: path device (403) → envelope fields → source (400/403)
 * → body hash (400) → record shapes (400) → an accepted batch with this id:
 * identical identity replays its 201, anything else is 409 → connector_id
 * matches the source (400) → every record's stream and key identity (400,
 * nothing stored) → store and answer 201.
 */
function ingestBatch(ctx: RouteContext): Reply {
  const deviceId = requirePathDevice(ctx).device_id;
  const body = fields(ctx.body);
  if (requireNonEmptyString(body.device_id, 'device_id') !== deviceId) {
    throw badRequest('body device_id must match path deviceId', 'device_id');
  }
  const sourceInstanceId = requireNonEmptyString(body.source_instance_id, 'source_instance_id');
  const batchId = requireNonEmptyString(body.batch_id, 'batch_id');
  const bodyHash = requireNonEmptyString(body.body_hash, 'body_hash');
  const requestConnectorId = requireNonEmptyString(body.connector_id, 'connector_id');
  if (!Number.isInteger(body.batch_seq) || (body.batch_seq as number) < 0) {
    throw badRequest('batch_seq must be a non-negative integer', 'batch_seq');
  }
  const batchSeq = body.batch_seq as number;
  const { source, connection } = authorizeSource(ctx, sourceInstanceId, 400);
  const connectorId = canonicalConnectorKey(requestConnectorId) ?? requestConnectorId;

  if (!Array.isArray(body.records)) throw recordError('records must be a non-empty array');
  const canonicalRecords = JSON.parse(canonicalJson(body.records)) as unknown[];
  const recordsHash = canonicalHash(canonicalRecords);
  const envelopeHash = collectorEnvelopeHash(canonicalRecords, { batchId, batchSeq, connectorId: requestConnectorId, deviceId, sourceInstanceId });
  if (!/^[a-f0-9]{64}$/.test(bodyHash) || (bodyHash !== recordsHash && bodyHash !== envelopeHash)) {
    throw new HttpError(400, 'device_batch_hash_mismatch', 'body_hash does not match canonical records', { param: 'body_hash' });
  }
  if (canonicalRecords.length === 0) throw recordError('records must be a non-empty array');
  const records = canonicalRecords.map(normalizeRecord);

  const slot = batchSlot(deviceId, batchId);
  const accepted = ctx.state.batches.get(slot);
  if (accepted) {
    const same =
      accepted.body_hash === bodyHash &&
      accepted.source_instance_id === sourceInstanceId &&
      accepted.connector_instance_id === connection.connector_instance_id &&
      accepted.connector_id === connectorId &&
      accepted.batch_seq === batchSeq;
    if (!same) throw new HttpError(409, 'device_batch_conflict', 'Device ingest batch identity conflicts with an existing batch');
    return { status: 201, raw: accepted.response }; // the stored answer, no replay marker
  }
  if (!sameConnectorType(source.connector_id, requestConnectorId)) {
    throw badRequest('connector_id does not match source_instance_id', 'connector_id');
  }
  const connector = ctx.state.connectors.get(connectorId);
  if (!connector) throw recordError('connector manifest is unavailable for device ingest');
  // Validate everything before touching storage: one bad record refuses the batch.
  records.forEach((record, index) => {
    const stream = connector.streams.find((s) => s.name === record.stream);
    if (!stream) throw recordError(`records[${index}].stream is not declared by the connector manifest`);
    if (!identityHolds(stream.primary_key, record.key, record.data)) throw recordError(`records[${index}] has invalid record identity`);
  });
  for (const record of records) applyRecord(ctx.state, connection.connector_instance_id, record, batchId);

  const response = JSON.stringify({
    accepted_record_count: records.length,
    batch_id: batchId,
    body_hash: bodyHash,
    connector_instance_id: connection.connector_instance_id,
    device_id: deviceId,
    object: 'device_ingest_batch_result',
    rejected_record_count: 0,
    source_instance_id: sourceInstanceId,
    status: 'accepted',
  });
  ctx.state.batches.set(slot, {
    device_id: deviceId,
    batch_id: batchId,
    batch_seq: batchSeq,
    body_hash: bodyHash,
    source_instance_id: sourceInstanceId,
    connector_instance_id: connection.connector_instance_id,
    connector_id: connectorId,
    record_count: records.length,
    order: ctx.state.batches.size + 1,
    accepted_at: iso(ctx.now()),
    response,
  });
  ctx.markChanged();
  return { status: 201, raw: response };
}

/** The server's record id: the key itself, or a key array as minified JSON. */
function recordId(key: string | unknown[]): string {
  return Array.isArray(key) ? JSON.stringify(key) : key;
}

function applyRecord(state: ReceiverState, connectorInstanceId: string, record: NormalizedRecord, batchId: string): void {
  let byKey = state.records.get(connectorInstanceId);
  if (!byKey) {
    byKey = new Map();
    state.records.set(connectorInstanceId, byKey);
  }
  const id = recordId(record.key);
  const slot = recordSlot(record.stream, id);
  if (record.op === 'delete') {
    byKey.delete(slot);
    return;
  }
  const stored = byKey.get(slot);
  if (stored && canonicalJson(stored.data) === canonicalJson(record.data)) return; // equal upsert: no-op
  const next: StoredRecord = {
    stream: record.stream,
    record_id: id,
    data: record.data,
    emitted_at: record.emitted_at ?? null,
    version: (stored?.version ?? 0) + 1,
    batch_id: batchId,
  };
  byKey.set(slot, next);
}

/** Per-key upsert into a connection's state; `updated_at` moves only when something was written. */
function writeState(state: ReceiverState, connectorInstanceId: string, entries: Json, now: string): void {
  if (Object.keys(entries).length === 0) return;
  const previous = state.cursors.get(connectorInstanceId);
  state.cursors.set(connectorInstanceId, { state: { ...(previous?.state ?? {}), ...entries }, updated_at: now });
}

function stateResponse(ctx: RouteContext, source: SourceInstanceEntry, connection: ConnectorInstanceEntry): Reply {
  const cursor = ctx.state.cursors.get(connection.connector_instance_id);
  const entries = cursor?.state ?? {};
  const sorted = Object.fromEntries(Object.keys(entries).sort().map((key) => [key, entries[key]]));
  return {
    status: 200,
    json: {
      connector_instance_id: connection.connector_instance_id,
      device_id: source.device_id,
      object: 'device_source_instance_state',
      source_instance_id: source.source_instance_id,
      state: sorted,
      updated_at: cursor?.updated_at ?? null,
    },
  };
}

function getState(ctx: RouteContext): Reply {
  requirePathDevice(ctx);
  const { source, connection } = authorizeSource(ctx, ctx.params.sid as string, 404);
  return stateResponse(ctx, source, connection);
}

/** PUT is a per-stream upsert into the connection's state: keys not named keep their value. */
function putState(ctx: RouteContext): Reply {
  requirePathDevice(ctx);
  const { source, connection } = authorizeSource(ctx, ctx.params.sid as string, 404);
  const incoming = fields(ctx.body).state;
  if (!isPlainObject(incoming)) throw badRequest('state body must be an object map of streams to cursors', 'state');
  writeState(ctx.state, connection.connector_instance_id, incoming, iso(ctx.now()));
  ctx.markChanged();
  return stateResponse(ctx, source, connection);
}

/**
 * POST …/heartbeat. `source_instances` (or one top-level `source_instance_id`)
 * is optional; each entry must name an active source of this device. Statuses
 * are not checked. The device's heartbeat is recorded before the entries are.
 */
function heartbeat(ctx: RouteContext): Reply {
  const device = requirePathDevice(ctx);
  const body = fields(ctx.body);
  const receivedAt = iso(ctx.now());
  const beat: HeartbeatEntry = {
    device_id: device.device_id,
    received_at: receivedAt,
    agent_version: typeof body.agent_version === 'string' ? body.agent_version : null,
    last_error: body.last_error ?? null,
    source_instances: [],
  };
  ctx.state.heartbeats.set(device.device_id, beat);
  ctx.markChanged();
  const entries: unknown[] = Array.isArray(body.source_instances)
    ? body.source_instances
    : typeof body.source_instance_id === 'string'
      ? [{ source_instance_id: body.source_instance_id, status: body.status, records_pending: body.records_pending, last_error: body.last_error ?? null, outbox: body.outbox ?? null }]
      : [];
  for (const raw of entries) {
    if (raw === null || raw === undefined) {
      // The server reads `.source_instance_id` off it and fails with a TypeError.
      throw new HttpError(500, 'api_error', `Cannot read properties of ${String(raw)} (reading 'source_instance_id')`);
    }
    const entry = raw as Json;
    const sid = requireNonEmptyString(entry.source_instance_id, 'source_instance_id');
    authorizeSource(ctx, sid, 400);
    beat.source_instances.push({
      source_instance_id: sid,
      status: typeof entry.status === 'string' ? entry.status : null,
      records_pending: typeof entry.records_pending === 'number' ? entry.records_pending : null,
      last_error: entry.last_error ?? null,
      outbox: entry.outbox ?? null,
    });
  }
  return { status: 200, json: { device_id: device.device_id, object: 'device_exporter_heartbeat', received_at: receivedAt, status: 'accepted' } };
}

function selfRevoke(ctx: RouteContext): Reply {
  const device = requirePathDevice(ctx);
  const revokedAt = revokeDevice(ctx.state, device, iso(ctx.now()));
  ctx.markChanged();
  return { status: 200, json: { device_id: device.device_id, object: 'device_exporter_revocation', revoked_at: revokedAt } };
}

/** POST /_ref/device-exporters/{device_id}/revoke: the owner revokes a device (again: a new revoked_at). */
function ownerRevoke(ctx: RouteContext): Reply {
  const device = ctx.state.devices.get(ctx.params.device as string);
  if (!device) throw new HttpError(404, 'not_found', 'Device exporter not found');
  const revokedAt = revokeDevice(ctx.state, device, iso(ctx.now()));
  ctx.markChanged();
  return { status: 200, json: { device_id: device.device_id, object: 'device_exporter_revocation', revoked_at: revokedAt } };
}

/**
 * Revoking a device kills its token and its source instances, and revokes each
 * connection they point at unless another active source instance (a later
 * enrollment of the same account) still uses it.
 */
export function revokeDevice(state: ReceiverState, device: DeviceEntry, now: string): string {
  device.status = 'revoked';
  device.revoked_at = now;
  const touched = new Set<string>();
  for (const source of state.sourceInstances.values()) {
    if (source.device_id !== device.device_id) continue;
    if (source.status !== 'revoked') {
      source.status = 'revoked';
      source.revoked_at = now;
    }
    touched.add(source.connector_instance_id);
  }
  for (const cin of touched) {
    const connection = state.connectorInstances.get(cin);
    if (!connection || connection.status === 'revoked') continue;
    const stillUsed = [...state.sourceInstances.values()].some((s) => s.connector_instance_id === cin && s.status !== 'revoked');
    if (stillUsed) continue;
    connection.status = 'revoked';
    connection.revoked_at = now;
    connection.updated_at = now;
  }
  return now;
}

// ---------------------------------------------------------------------------
// Owner lists (the server's shapes) and the receiver's own test reads
// ---------------------------------------------------------------------------

function listConnections(ctx: RouteContext): Reply {
  const data = [...ctx.state.connectorInstances.values()]
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0))
    .map((c) => ({
      connector_id: c.connector_id,
      connector_instance_id: c.connector_instance_id,
      created_at: c.created_at,
      display_name: c.display_name,
      object: 'ref_connection',
      revoked_at: c.revoked_at,
      schedule: null,
      source_binding: { device_id: c.device_id, kind: c.source_kind, local_binding_name: c.local_binding_name, source_instance_id: c.source_instance_id },
      source_kind: c.source_kind,
      status: c.status,
      updated_at: c.updated_at,
    }));
  return { status: 200, json: { data, object: 'list' } };
}

const HEARTBEAT_LEASE_MS = 30 * 60 * 1000;
const PRESENTABLE_HEALTH = ['blocked', 'healthy', 'retrying', 'starting', 'stopped'];
const COVERAGE_STATUSES = ['collected', 'inventory_only', 'excluded', 'deferred', 'missing', 'unsupported', 'unaccounted'];

function outboxState(outbox: unknown): string {
  if (!outbox || typeof outbox !== 'object') return 'unknown';
  const d = outbox as Record<string, number | undefined>;
  if ((d.dead_letter ?? 0) > 0) return 'dead_letter';
  if ((d.stale_leases ?? 0) > 0) return 'stale';
  if ((d.retrying ?? 0) > 0) return 'retrying';
  if ((d.pending ?? 0) > 0) return 'pending';
  if ((d.backlog_open ?? 0) > 0) return 'backlog';
  return 'drained';
}

function projectSource(ctx: RouteContext, source: SourceInstanceEntry): Json {
  const batches = [...ctx.state.batches.values()].filter((b) => b.source_instance_id === source.source_instance_id);
  const lastIngestAt = batches.reduce<string | null>((latest, b) => (!latest || b.accepted_at > latest ? b.accepted_at : latest), null);
  // What the device's last heartbeat said about this source instance (the server keeps the last one per source instance).
  const beat = ctx.state.heartbeats.get(source.device_id);
  const mine = beat?.source_instances.find((s) => s.source_instance_id === source.source_instance_id);
  const lastHeartbeatAt = mine ? (beat?.received_at ?? null) : null;
  const age = lastHeartbeatAt ? Math.max(0, ctx.now() - Date.parse(lastHeartbeatAt)) : null;
  const health = age === null ? 'unknown' : age > HEARTBEAT_LEASE_MS ? 'stale' : PRESENTABLE_HEALTH.includes(mine?.status ?? '') ? (mine?.status as string) : 'unknown';
  return {
    accepted_record_count: batches.reduce((sum, b) => sum + b.record_count, 0),
    connector_id: source.connector_id,
    connector_instance_id: source.connector_instance_id,
    created_at: source.created_at,
    device_id: source.device_id,
    display_name: source.display_name,
    heartbeat_age_ms: age,
    heartbeat_health: health,
    heartbeat_lease_ms: HEARTBEAT_LEASE_MS,
    last_error: mine?.last_error ?? null,
    last_heartbeat_at: lastHeartbeatAt,
    last_heartbeat_status: mine?.status ?? null,
    last_ingest_at: lastIngestAt,
    local_binding_name: source.local_binding_name,
    local_collector_coverage: {
      by_store: {},
      counts_by_status: Object.fromEntries(COVERAGE_STATUSES.map((status) => [status, 0])),
      fully_accounted: false,
      observed: false,
      store_count: 0,
      unaccounted_stores: [],
    },
    local_collector_gaps: { last_updated_at: null, pending_count: 0, reasons: [], unreliable: false },
    object: 'device_source_instance',
    outbox_diagnostics: mine?.outbox ?? null,
    outbox_state: outboxState(mine?.outbox),
    records_pending: mine?.records_pending ?? null,
    rejected_record_count: 0,
    source_instance_id: source.source_instance_id,
  };
}

/** Newest device first, each with its source instances and what its heartbeats and batches said. */
function listDevices(ctx: RouteContext): Reply {
  const data = [...ctx.state.devices.values()]
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
    .map((device) => {
      const sources = [...ctx.state.sourceInstances.values()].filter((s) => s.device_id === device.device_id).map((s) => projectSource(ctx, s));
      const beat = ctx.state.heartbeats.get(device.device_id);
      const lastIngestAt = sources.reduce<string | null>((latest, s) => {
        const at = s.last_ingest_at as string | null;
        return !latest || (at && at > latest) ? (at ?? latest) : latest;
      }, null);
      return {
        agent_version: beat?.agent_version ?? null,
        created_at: device.created_at,
        device_id: device.device_id,
        display_name: device.display_name,
        last_error: beat?.last_error ?? null,
        last_heartbeat_at: beat?.received_at ?? null,
        last_ingest_at: lastIngestAt,
        object: 'device_exporter',
        revoked_at: device.revoked_at,
        source_instances: sources,
        stale: false,
        status: device.status,
        subject_id: 'owner_local',
      };
    });
  return { status: 200, json: { data, object: 'list' } };
}

function testRecords(ctx: RouteContext): Reply {
  const cin = ctx.query.get('connector_instance_id') ?? undefined;
  return { status: 200, json: { object: 'list', data: listRecords(ctx.state, cin) } };
}

function testBatches(ctx: RouteContext): Reply {
  const data = listBatches(ctx.state).map(({ response: _response, ...batch }) => batch);
  return { status: 200, json: { object: 'list', data } };
}

/** A snapshot: this request is logged after it is answered, so it is not in its own reply. */
function testLog(ctx: RouteContext): Reply {
  return { status: 200, json: { object: 'list', data: [...ctx.state.requestLog] } };
}

