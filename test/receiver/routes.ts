/**
 * Route handlers of the test receiver, one function per route, plus the route
 * table that server.ts dispatches from.
 *
 * Handlers are synchronous on purpose: once the body has been read, a request
 * runs to completion without yielding to the event loop, so two concurrent
 * resends of one batch can never both be stored (the reference server gets the
 * same guarantee from a database transaction).
 */
import { canonicalJson } from '../../src/export/canonical-json.ts';
import { badRequest, HttpError, newId, newSecret, sha256Hex } from './http.ts';
import type { Reply } from './http.ts';
import {
  batchSlot,
  listBatches,
  listRecords,
  recordSlot,
} from './state.ts';
import type {
  ConnectorEntry,
  ConnectorInstanceEntry,
  DeviceEntry,
  ManifestStream,
  ReceiverState,
  SourceInstanceEntry,
  StoredRecord,
} from './state.ts';

export interface RouteContext {
  state: ReceiverState;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body; `{}` when the request had none. */
  body: unknown;
  /** The authenticated device on `device` routes, else null. */
  device: DeviceEntry | null;
  requestId: string;
  now: () => number;
  /** Call after changing state so the data file is rewritten before the reply. */
  markChanged: () => void;
}

/**
 * `owner`: open on a loopback server (registration, minting, reads).
 * `protocol`: needs X-PDPP-Collector-Protocol: 1 (enroll).
 * `device`: protocol header + bearer device token + path device id match.
 */
export type RouteAuth = 'owner' | 'protocol' | 'device';

export interface Route {
  method: 'GET' | 'POST' | 'PUT';
  pattern: RegExp;
  auth: RouteAuth;
  /** Subject to `inject503`. */
  retryableFaults?: boolean;
  handler: (ctx: RouteContext) => Reply;
}

const DEVICE = '/_ref/device-exporters/(?<device>[^/]+)';

export const routes: Route[] = [
  { method: 'POST', pattern: /^\/connectors$/, auth: 'owner', handler: registerConnector },
  { method: 'POST', pattern: /^\/_ref\/device-exporters\/enrollment-codes$/, auth: 'owner', handler: mintEnrollmentCode },
  { method: 'POST', pattern: /^\/_ref\/device-exporters\/enroll$/, auth: 'protocol', handler: enroll },
  { method: 'GET', pattern: /^\/_ref\/connections$/, auth: 'owner', handler: listConnections },
  { method: 'GET', pattern: /^\/_ref\/device-exporters$/, auth: 'owner', handler: listDevices },
  {
    method: 'POST',
    pattern: new RegExp(`^${DEVICE}/ingest-batches$`),
    auth: 'device',
    retryableFaults: true,
    handler: ingestBatch,
  },
  { method: 'GET', pattern: new RegExp(`^${DEVICE}/source-instances/(?<sid>[^/]+)/state$`), auth: 'device', handler: getState },
  { method: 'PUT', pattern: new RegExp(`^${DEVICE}/source-instances/(?<sid>[^/]+)/state$`), auth: 'device', handler: putState },
  { method: 'POST', pattern: new RegExp(`^${DEVICE}/heartbeat$`), auth: 'device', handler: heartbeat },
  { method: 'POST', pattern: new RegExp(`^${DEVICE}/self-revoke$`), auth: 'device', handler: selfRevoke },
  { method: 'GET', pattern: /^\/_test\/records$/, auth: 'owner', handler: testRecords },
  { method: 'GET', pattern: /^\/_test\/batches$/, auth: 'owner', handler: testBatches },
  { method: 'GET', pattern: /^\/_test\/log$/, auth: 'owner', handler: testLog },
];

// ---------------------------------------------------------------------------
// Small validation helpers
// ---------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireObject(value: unknown, param?: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw badRequest(`${param ?? 'body'} must be a JSON object`, param);
  return value;
}

function requireString(value: unknown, param: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw badRequest(`${param} must be a non-empty string`, param);
  return value;
}

function optionalString(value: unknown, param: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw badRequest(`${param} must be a string`, param);
  return value.trim() === '' ? null : value.trim();
}

/** Refuse fields the reference request schemas do not define (additionalProperties: false). */
function refuseUnknownFields(object: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) throw badRequest(`unknown field ${prefix}${key}`, `${prefix}${key}`);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

// ---------------------------------------------------------------------------
// POST /connectors — manifest registration
// ---------------------------------------------------------------------------

const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const SEMANTICS = ['append_only', 'mutable_state'];

function registerConnector(ctx: RouteContext): Reply {
  const manifest = requireObject(ctx.body);
  const streams = validateManifest(manifest);
  const key = manifest.connector_key as string;
  const version = manifest.version as string;
  const existing = ctx.state.connectors.get(key);
  const now = iso(ctx.now());
  const reply = { status: 201, json: { connector_id: key, connector_key: key, version } };

  if (existing && existing.version === version && canonicalJson(existing.manifest) === canonicalJson(manifest)) {
    return { ...reply, status: 200 }; // identical re-registration: idempotent, nothing changes
  }
  const reason = !existing ? 'created' : existing.version !== version ? 'version_changed' : 'manifest_changed';
  const entry: ConnectorEntry = {
    connector_key: key,
    version,
    manifest,
    streams,
    registered_at: now,
    history: [...(existing?.history ?? []), { version, registered_at: now, reason }],
  };
  ctx.state.connectors.set(key, entry);
  ctx.markChanged();
  // A same-version content change is a replacement, not a creation.
  return reason === 'manifest_changed' ? { ...reply, status: 200 } : reply;
}

function validateManifest(manifest: Record<string, unknown>): ManifestStream[] {
  if (manifest.protocol_version !== '0.1.0') {
    throw badRequest('protocol_version must be "0.1.0"', 'protocol_version');
  }
  const key = requireString(manifest.connector_key, 'connector_key');
  if (!SLUG.test(key)) throw badRequest('connector_key must be a lowercase slug', 'connector_key');
  // The server refuses a connector_id that differs from the key (e.g. a URL-shaped id).
  if (manifest.connector_id !== undefined && manifest.connector_id !== key) {
    throw badRequest('connector_id must equal connector_key', 'connector_id');
  }
  requireString(manifest.version, 'version');
  requireString(manifest.display_name, 'display_name');
  const runtime = requireObject(manifest.runtime_requirements, 'runtime_requirements');
  const bindings = requireObject(runtime.bindings, 'runtime_requirements.bindings');
  // Gleaner is a browser collector; without a browser binding the server derives no
  // enrollable source kind, so refuse at registration where the cause is obvious.
  requireObject(bindings.browser, 'runtime_requirements.bindings.browser');

  if (!Array.isArray(manifest.streams) || manifest.streams.length === 0) {
    throw badRequest('streams must be a non-empty array', 'streams');
  }
  const seen = new Set<string>();
  return manifest.streams.map((raw, index) => {
    const param = `streams[${index}]`;
    const stream = requireObject(raw, param);
    const name = requireString(stream.name, `${param}.name`);
    if (seen.has(name)) throw badRequest(`duplicate stream ${name}`, `${param}.name`);
    seen.add(name);
    const schema = requireObject(stream.schema, `${param}.schema`);
    const properties = requireObject(schema.properties, `${param}.schema.properties`);
    const primaryKey = stream.primary_key;
    if (!Array.isArray(primaryKey) || primaryKey.length === 0) {
      throw badRequest(`${param}.primary_key must be a non-empty array`, `${param}.primary_key`);
    }
    for (const field of primaryKey) {
      if (typeof field !== 'string' || !(field in properties)) {
        throw badRequest(`${param}.primary_key field ${String(field)} is not in schema.properties`, `${param}.primary_key`);
      }
    }
    if (stream.semantics !== undefined && !SEMANTICS.includes(stream.semantics as string)) {
      throw badRequest(`${param}.semantics must be append_only or mutable_state`, `${param}.semantics`);
    }
    if (stream.incremental !== undefined && typeof stream.incremental !== 'boolean') {
      throw badRequest(`${param}.incremental must be a boolean`, `${param}.incremental`);
    }
    if (stream.cursor_field !== undefined && typeof stream.cursor_field !== 'string' && !Array.isArray(stream.cursor_field)) {
      throw badRequest(`${param}.cursor_field must be a string`, `${param}.cursor_field`);
    }
    return { name, primary_key: primaryKey as string[] };
  });
}

// ---------------------------------------------------------------------------
// Enrollment
// ---------------------------------------------------------------------------

function mintEnrollmentCode(ctx: RouteContext): Reply {
  const body = requireObject(ctx.body);
  const connectorId = requireString(body.connector_id, 'connector_id');
  if (!ctx.state.connectors.has(connectorId)) {
    throw badRequest(`connector ${connectorId} is not registered`, 'connector_id');
  }
  const bindingName = requireString(body.local_binding_name, 'local_binding_name');
  const expiresIn = body.expires_in_seconds ?? 900;
  if (!Number.isInteger(expiresIn) || (expiresIn as number) < 60 || (expiresIn as number) > 86_400) {
    throw badRequest('expires_in_seconds must be between 60 and 86400', 'expires_in_seconds');
  }
  const now = ctx.now();
  const code = newSecret('lde', 18);
  const entry = {
    code_hash: sha256Hex(code),
    connector_id: connectorId,
    local_binding_name: bindingName,
    display_name: optionalString(body.display_name, 'display_name'),
    created_at: iso(now),
    expires_at: iso(now + (expiresIn as number) * 1000),
    status: 'pending' as const,
    device_id: null,
    device_label: null,
  };
  ctx.state.enrollmentCodes.set(entry.code_hash, entry);
  ctx.markChanged();
  return {
    status: 201,
    json: {
      object: 'device_exporter_enrollment_code',
      enrollment_code: code,
      expires_at: entry.expires_at,
      connector_id: connectorId,
      local_binding_name: bindingName,
      display_name: entry.display_name,
    },
  };
}

function enroll(ctx: RouteContext): Reply {
  const body = requireObject(ctx.body);
  const code = requireString(body.enrollment_code, 'enrollment_code');
  const label = optionalString(body.device_label, 'device_label');
  const entry = ctx.state.enrollmentCodes.get(sha256Hex(code));
  const usedOrUnknown = () => badRequest('Enrollment code is invalid or already used', 'enrollment_code');
  if (!entry) throw usedOrUnknown();
  if (Date.parse(entry.expires_at) <= ctx.now()) {
    throw new HttpError(410, 'invalid_request', 'Enrollment code has expired', { param: 'enrollment_code' });
  }
  if (entry.status === 'consumed') return reenroll(ctx, entry.device_id as string, entry.device_label, label, usedOrUnknown);

  const connector = ctx.state.connectors.get(entry.connector_id);
  if (!connector) throw badRequest(`connector ${entry.connector_id} is no longer registered`, 'enrollment_code');
  const now = iso(ctx.now());
  const token = newSecret('ldt', 32);
  const device: DeviceEntry = {
    device_id: newId('dexp'),
    device_label: label,
    token_hash: sha256Hex(token),
    status: 'active',
    created_at: now,
    token_issued_at: now,
    revoked_at: null,
  };
  const source: SourceInstanceEntry = {
    source_instance_id: newId('dsrc'),
    device_id: device.device_id,
    connector_id: entry.connector_id,
    local_binding_name: entry.local_binding_name,
    connector_instance_id: '',
    created_at: now,
  };
  source.connector_instance_id = bindConnectorInstance(ctx.state, source, now).connector_instance_id;
  ctx.state.devices.set(device.device_id, device);
  ctx.state.sourceInstances.set(source.source_instance_id, source);
  entry.status = 'consumed';
  entry.device_id = device.device_id;
  entry.device_label = label;
  ctx.markChanged();
  return { status: 201, json: enrollmentResponse(device, source, token) };
}

/**
 * A consumed, unexpired code posted again. The same device (same device_label)
 * gets a fresh token and the old one stops working; anyone else gets 409; a
 * code whose device has since been revoked is simply used up (400).
 */
function reenroll(
  ctx: RouteContext,
  deviceId: string,
  consumedByLabel: string | null,
  label: string | null,
  usedOrUnknown: () => HttpError,
): Reply {
  const device = ctx.state.devices.get(deviceId);
  if (!device || device.status !== 'active') throw usedOrUnknown();
  if (consumedByLabel !== label) {
    throw new HttpError(409, 'invalid_request', 'Enrollment code was consumed by another device', {
      param: 'enrollment_code',
    });
  }
  const source = [...ctx.state.sourceInstances.values()].find((s) => s.device_id === deviceId);
  if (!source) throw usedOrUnknown();
  const token = newSecret('ldt', 32);
  device.token_hash = sha256Hex(token);
  device.token_issued_at = iso(ctx.now());
  ctx.markChanged();
  return { status: 201, json: enrollmentResponse(device, source, token) };
}

/**
 * One connector instance per (connector, local_binding_name): a re-link of the
 * same account reuses (and reactivates) the existing connection, so its records
 * stay together; a different account gets its own connection.
 */
function bindConnectorInstance(state: ReceiverState, source: SourceInstanceEntry, now: string): ConnectorInstanceEntry {
  const existing = [...state.connectorInstances.values()].find(
    (c) => c.connector_id === source.connector_id && c.local_binding_name === source.local_binding_name,
  );
  if (existing) {
    existing.status = 'active';
    existing.device_id = source.device_id;
    existing.source_instance_id = source.source_instance_id;
    existing.updated_at = now;
    return existing;
  }
  const created: ConnectorInstanceEntry = {
    connector_instance_id: newId('cin'),
    connector_id: source.connector_id,
    local_binding_name: source.local_binding_name,
    source_kind: 'browser_collector',
    status: 'active',
    device_id: source.device_id,
    source_instance_id: source.source_instance_id,
    created_at: now,
    updated_at: now,
  };
  state.connectorInstances.set(created.connector_instance_id, created);
  return created;
}

function enrollmentResponse(device: DeviceEntry, source: SourceInstanceEntry, token: string): Record<string, unknown> {
  return {
    object: 'device_exporter_enrollment',
    device_id: device.device_id,
    device_token: token,
    source_instance_id: source.source_instance_id,
    connector_instance_id: source.connector_instance_id,
    connector_id: source.connector_id,
    local_binding_name: source.local_binding_name,
  };
}

// ---------------------------------------------------------------------------
// Device routes
// ---------------------------------------------------------------------------

/**
 * The source instance must belong to the calling device and its connection must
 * still be active and bound to it (a later enrollment of the same account moves
 * the connection to the new binding).
 */
function authorizeSource(
  ctx: RouteContext,
  sourceInstanceId: string,
): { source: SourceInstanceEntry; connection: ConnectorInstanceEntry } {
  const source = ctx.state.sourceInstances.get(sourceInstanceId);
  const device = ctx.device as DeviceEntry;
  if (!source || source.device_id !== device.device_id) {
    throw new HttpError(403, 'permission_error', 'Source instance is not valid for this device', {
      param: 'source_instance_id',
    });
  }
  const connection = ctx.state.connectorInstances.get(source.connector_instance_id);
  if (!connection || connection.status !== 'active' || connection.source_instance_id !== source.source_instance_id) {
    throw new HttpError(403, 'permission_error', 'Connection is not active for this source instance', {
      param: 'source_instance_id',
    });
  }
  return { source, connection };
}

const BATCH_FIELDS = ['device_id', 'source_instance_id', 'connector_id', 'batch_id', 'batch_seq', 'body_hash', 'records'];
const RECORD_FIELDS = ['stream', 'record_key', 'data', 'emitted_at', 'op'];

interface ValidRecord {
  stream: string;
  record_id: string;
  op: 'upsert' | 'delete';
  data: Record<string, unknown>;
  emitted_at: string | null;
}

/**
 * POST /_ref/device-exporters/{device_id}/ingest-batches
 *
 * Order: envelope fields → source authorization → body hash → replay/conflict
 * → every record → store. The hash is checked before the replay lookup so a
 * resend can only replay when its records really are the accepted ones.
 */
function ingestBatch(ctx: RouteContext): Reply {
  const body = requireObject(ctx.body);
  refuseUnknownFields(body, BATCH_FIELDS, '');
  const deviceId = (ctx.device as DeviceEntry).device_id;
  if (requireString(body.device_id, 'device_id') !== deviceId) {
    throw badRequest('body device_id must match path device id', 'device_id');
  }
  const sourceInstanceId = requireString(body.source_instance_id, 'source_instance_id');
  const connectorId = requireString(body.connector_id, 'connector_id');
  const batchId = requireString(body.batch_id, 'batch_id');
  const claimedHash = requireString(body.body_hash, 'body_hash');
  if (!Number.isInteger(body.batch_seq) || (body.batch_seq as number) < 0) {
    throw badRequest('batch_seq must be a non-negative integer', 'batch_seq');
  }
  const { source, connection } = authorizeSource(ctx, sourceInstanceId);
  if (connectorId !== source.connector_id) {
    throw badRequest('connector_id does not match source_instance_id', 'connector_id');
  }
  if (!Array.isArray(body.records) || body.records.length === 0) {
    throw badRequest('records must be a non-empty array', 'records');
  }
  const records = body.records as unknown[];
  const computedHash = sha256Hex(canonicalJson(records));
  if (claimedHash !== computedHash) {
    throw new HttpError(400, 'device_batch_hash_mismatch', 'body_hash is not the sha256 of the canonical JSON of records', {
      param: 'body_hash',
    });
  }

  const slot = batchSlot(deviceId, batchId);
  const accepted = ctx.state.batches.get(slot);
  if (accepted) {
    if (accepted.body_hash === computedHash && accepted.source_instance_id === sourceInstanceId) {
      // Replay the stored 201 byte-for-byte: no marker, original request_id.
      return { status: 201, raw: accepted.response };
    }
    throw new HttpError(409, 'device_batch_conflict', `batch ${batchId} was already accepted with different content`, {
      param: 'batch_id',
    });
  }

  const streams = ctx.state.connectors.get(source.connector_id)?.streams ?? [];
  // Validate everything before touching storage: one bad record refuses the batch.
  const valid = records.map((record, index) => validateRecord(record, index, streams));
  for (const record of valid) applyRecord(ctx.state, connection.connector_instance_id, record, batchId);

  const response = JSON.stringify({
    object: 'device_ingest_batch_result',
    status: 'accepted',
    device_id: deviceId,
    connector_instance_id: connection.connector_instance_id,
    source_instance_id: sourceInstanceId,
    batch_id: batchId,
    body_hash: computedHash,
    accepted_record_count: valid.length,
    rejected_record_count: 0,
    request_id: ctx.requestId,
  });
  ctx.state.batches.set(slot, {
    device_id: deviceId,
    batch_id: batchId,
    batch_seq: body.batch_seq as number,
    body_hash: computedHash,
    source_instance_id: sourceInstanceId,
    connector_instance_id: connection.connector_instance_id,
    record_count: valid.length,
    order: ctx.state.batches.size + 1,
    accepted_at: iso(ctx.now()),
    response,
  });
  ctx.markChanged();
  return { status: 201, raw: response };
}

function validateRecord(raw: unknown, index: number, streams: ManifestStream[]): ValidRecord {
  const param = `records[${index}]`;
  const record = requireObject(raw, param);
  refuseUnknownFields(record, RECORD_FIELDS, `${param}.`);
  const streamName = requireString(record.stream, `${param}.stream`);
  const stream = streams.find((s) => s.name === streamName);
  if (!stream) throw badRequest(`stream ${streamName} is not declared in the connector manifest`, `${param}.stream`);

  const op = record.op ?? 'upsert';
  if (op !== 'upsert' && op !== 'delete') throw badRequest('op must be "upsert" or "delete"', `${param}.op`);

  let data: Record<string, unknown> = {};
  if (op === 'upsert') {
    data = requireObject(record.data, `${param}.data`);
  } else if (record.data !== undefined && !(isPlainObject(record.data) && Object.keys(record.data).length === 0)) {
    throw badRequest('a delete omits data or sends {}', `${param}.data`);
  }

  let emittedAt: string | null = null;
  if (record.emitted_at !== undefined) {
    if (typeof record.emitted_at !== 'string' || Number.isNaN(Date.parse(record.emitted_at))) {
      throw badRequest('emitted_at must be an ISO date-time string', `${param}.emitted_at`);
    }
    emittedAt = record.emitted_at;
  }

  const parts = keyParts(record.record_key, stream, `${param}.record_key`);
  stream.primary_key.forEach((field, i) => {
    const value = data[field];
    if (value === undefined || value === null) return; // only fields present in data are checked
    const asString = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
    if (asString !== parts[i]) {
      throw badRequest(`invalid record identity: record_key does not match data.${field}`, `${param}.record_key`);
    }
  });
  // The server's record id: the key itself, or a compound key as a minified JSON array.
  const recordId = parts.length === 1 ? (parts[0] as string) : JSON.stringify(parts);
  return { stream: streamName, record_id: recordId, op, data, emitted_at: emittedAt };
}

/**
 * A record_key is a string for a single-field primary key, or an array of
 * strings with one part per primary_key field. A compound key squeezed into
 * one string (e.g. '["a","b"]') is refused, as the reference server does.
 */
function keyParts(key: unknown, stream: ManifestStream, param: string): string[] {
  const arity = stream.primary_key.length;
  if (typeof key === 'string') {
    if (key === '') throw badRequest('invalid record identity: record_key is empty', param);
    if (arity !== 1) {
      throw badRequest(
        `invalid record identity: stream ${stream.name} has a compound primary key; send record_key as an array of ${arity} strings`,
        param,
      );
    }
    return [key];
  }
  if (Array.isArray(key) && key.length === arity && key.every((part) => typeof part === 'string' && part !== '')) {
    return key as string[];
  }
  throw badRequest(`invalid record identity: record_key must be a string or an array of ${arity} non-empty strings`, param);
}

function applyRecord(state: ReceiverState, connectorInstanceId: string, record: ValidRecord, batchId: string): void {
  let byKey = state.records.get(connectorInstanceId);
  if (!byKey) {
    byKey = new Map();
    state.records.set(connectorInstanceId, byKey);
  }
  const slot = recordSlot(record.stream, record.record_id);
  const stored = byKey.get(slot);
  if (record.op === 'delete') {
    byKey.delete(slot);
    return;
  }
  if (stored && canonicalJson(stored.data) === canonicalJson(record.data)) return; // equal upsert: no-op
  const next: StoredRecord = {
    stream: record.stream,
    record_id: record.record_id,
    data: record.data,
    emitted_at: record.emitted_at,
    version: (stored?.version ?? 0) + 1,
    batch_id: batchId,
  };
  byKey.set(slot, next);
}

function stateResponse(ctx: RouteContext, source: SourceInstanceEntry): Reply {
  const cursor = ctx.state.cursors.get(source.source_instance_id);
  return {
    status: 200,
    json: {
      object: 'device_source_instance_state',
      device_id: source.device_id,
      source_instance_id: source.source_instance_id,
      connector_instance_id: source.connector_instance_id,
      state: cursor?.state ?? {},
      updated_at: cursor?.updated_at ?? null,
    },
  };
}

function getState(ctx: RouteContext): Reply {
  const { source } = authorizeSource(ctx, ctx.params.sid as string);
  return stateResponse(ctx, source);
}

/** PUT is a per-stream upsert: streams not named in the body keep their cursor. */
function putState(ctx: RouteContext): Reply {
  const { source } = authorizeSource(ctx, ctx.params.sid as string);
  const body = requireObject(ctx.body);
  const incoming = requireObject(body.state, 'state');
  const previous = ctx.state.cursors.get(source.source_instance_id)?.state ?? {};
  ctx.state.cursors.set(source.source_instance_id, {
    state: { ...previous, ...incoming },
    updated_at: iso(ctx.now()),
  });
  ctx.markChanged();
  return stateResponse(ctx, source);
}

const HEARTBEAT_STATUSES = ['starting', 'healthy', 'retrying', 'blocked'];

function heartbeat(ctx: RouteContext): Reply {
  const body = requireObject(ctx.body);
  const device = ctx.device as DeviceEntry;
  const rawSources = body.source_instances ?? [];
  if (!Array.isArray(rawSources)) throw badRequest('source_instances must be an array', 'source_instances');
  const sources = rawSources.map((raw, index) => {
    const param = `source_instances[${index}]`;
    const entry = requireObject(raw, param);
    const sid = requireString(entry.source_instance_id, `${param}.source_instance_id`);
    authorizeSource(ctx, sid);
    if (!HEARTBEAT_STATUSES.includes(entry.status as string)) {
      throw badRequest(`${param}.status must be one of ${HEARTBEAT_STATUSES.join(', ')}`, `${param}.status`);
    }
    return {
      source_instance_id: sid,
      status: entry.status as string,
      records_pending: typeof entry.records_pending === 'number' ? entry.records_pending : null,
      last_error: entry.last_error ?? null,
    };
  });
  const receivedAt = iso(ctx.now());
  ctx.state.heartbeats.set(device.device_id, {
    device_id: device.device_id,
    received_at: receivedAt,
    agent_version: optionalString(body.agent_version, 'agent_version'),
    source_instances: sources,
  });
  ctx.markChanged();
  return {
    status: 200,
    json: { object: 'device_exporter_heartbeat', device_id: device.device_id, received_at: receivedAt, status: 'accepted' },
  };
}

function selfRevoke(ctx: RouteContext): Reply {
  const device = ctx.device as DeviceEntry;
  const revokedAt = revokeDevice(ctx.state, device, iso(ctx.now()));
  ctx.markChanged();
  return { status: 200, json: { object: 'device_exporter_revocation', device_id: device.device_id, revoked_at: revokedAt } };
}

/** Revoking a device kills its token and deactivates the connections bound to it. */
export function revokeDevice(state: ReceiverState, device: DeviceEntry, now: string): string {
  device.status = 'revoked';
  device.revoked_at = now;
  for (const connection of state.connectorInstances.values()) {
    if (connection.device_id === device.device_id) {
      connection.status = 'revoked';
      connection.updated_at = now;
    }
  }
  return now;
}

// ---------------------------------------------------------------------------
// Owner reads and test-only reads (loopback, no auth)
// ---------------------------------------------------------------------------

function listConnections(ctx: RouteContext): Reply {
  const data = [...ctx.state.connectorInstances.values()].map((connection) => ({
    ...connection,
    record_count: ctx.state.records.get(connection.connector_instance_id)?.size ?? 0,
  }));
  return { status: 200, json: { object: 'list', data } };
}

function listDevices(ctx: RouteContext): Reply {
  const data = [...ctx.state.devices.values()].map((device) => {
    const beat = ctx.state.heartbeats.get(device.device_id);
    return {
      device_id: device.device_id,
      device_label: device.device_label,
      status: device.status,
      created_at: device.created_at,
      revoked_at: device.revoked_at,
      last_heartbeat_at: beat?.received_at ?? null,
      agent_version: beat?.agent_version ?? null,
      source_instances: [...ctx.state.sourceInstances.values()]
        .filter((source) => source.device_id === device.device_id)
        .map((source) => ({
          ...source,
          heartbeat: beat?.source_instances.find((s) => s.source_instance_id === source.source_instance_id) ?? null,
        })),
    };
  });
  return { status: 200, json: { object: 'list', data } };
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
