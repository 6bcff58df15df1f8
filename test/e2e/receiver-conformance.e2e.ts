/**
 * The test receiver (test/receiver) against the real PDPP reference server.
 *
 * One script of requests (the table below) runs against a fresh reference
 * server and a fresh receiver, step by step. For every step both answers are
 * reduced to their shape: status; the `request-id` header; for an error the
 * envelope's code, type, param, message (ids masked) and its request_id (equal
 * to the header); for a success the body's keys (never a `request_id`) plus
 * what the step names. The two shapes must be equal, and the status must be
 * the one the table expects. Ids, tokens and times differ by nature and are
 * never compared as values.
 *
 * What the receiver adds on purpose (injected 503s, lost answers, `/_test/*`)
 * has no counterpart on the server and is covered in test/unit/export/receiver.test.ts.
 * No browser: this file only needs the reference server (built by globalSetup).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReferenceServer, startReferenceServer, type ReferenceServer } from '../support/pdpp-reference';
import { startReceiver, type Receiver } from '../receiver/server';

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

const JSON_BODY = { 'content-type': 'application/json' };
const PROTOCOL = { ...JSON_BODY, 'x-pdpp-collector-protocol': '1' };

interface Link {
  device_id: string;
  device_token: string;
  source_instance_id: string;
  connector_instance_id: string;
  connector_id: string;
}

/** What one run of the script remembers about one server. */
interface Script {
  codes: Record<string, string>;
  links: Record<string, Link>;
  /** Tokens that were replaced, by link name. */
  oldTokens: Record<string, string>;
  saved: Record<string, unknown>;
}

interface Request {
  method: string;
  path: string;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  requestId: string | null;
  body: any;
}

interface Step {
  name: string;
  /** The status the real server answers (checked for both). */
  expect: number;
  send: (s: Script) => Request;
  /** Remember something from the answer for later steps. */
  keep?: (s: Script, body: any) => void;
  /** More of the success body to compare than its keys. */
  shape?: (body: any, s: Script) => unknown;
  /** False where the sentence is not the server's own (e.g. Node's JSON.parse message differs by version). */
  message?: false;
}

const post = (path: string, body?: unknown, headers: Record<string, string> = JSON_BODY): Request => ({ method: 'POST', path, body, headers });
const deviceHeaders = (s: Script, who: string): Record<string, string> => ({ ...PROTOCOL, authorization: `Bearer ${s.links[who]!.device_token}` });
const devicePath = (s: Script, who: string, rest: string) => `/_ref/device-exporters/${s.links[who]!.device_id}${rest}`;
const statePath = (s: Script, who: string) => devicePath(s, who, `/source-instances/${s.links[who]!.source_instance_id}/state`);

const KEY = 'conformance-shop';

const orders = {
  name: 'orders',
  schema: {
    type: 'object',
    properties: { id: { type: 'string' }, total: { type: 'number' }, placed_at: { type: ['string', 'null'], format: 'date-time' } },
  },
  primary_key: ['id'],
  cursor_field: 'placed_at',
  semantics: 'mutable_state',
  selection: { fields: true, resources: true },
  incremental: true,
  coverage_strategy: 'checkpoint_window',
  freshness_strategy: 'manual_as_of',
};
const orderItems = {
  name: 'order_items',
  schema: { type: 'object', properties: { order_id: { type: 'string' }, line: { type: 'integer' } } },
  primary_key: ['order_id', 'line'],
  semantics: 'mutable_state',
  selection: { fields: true, resources: true },
};

/** A manifest as Gleaner sends one: connector_id = key, an absolute manifest_uri, semantics and selection per stream. */
function manifest(overrides: Record<string, unknown> = {}, streams: Array<Record<string, unknown>> = [orders, orderItems]) {
  return {
    protocol_version: '0.1.0',
    connector_key: KEY,
    connector_id: KEY,
    manifest_uri: 'urn:gleaner:connector:conformance',
    version: '1.0.0',
    display_name: 'Conformance Shop',
    runtime_requirements: { bindings: { browser: { required: true } } },
    streams,
    ...overrides,
  };
}

/** A manifest without connector_id: the server skips the SourceDeclaration checks. */
function bare(key: string, streams: Array<Record<string, unknown>> = [orders], overrides: Record<string, unknown> = {}) {
  return { protocol_version: '0.1.0', connector_key: key, version: '1.0.0', display_name: key, runtime_requirements: { bindings: { browser: {} } }, streams, ...overrides };
}

const withOrders = (change: Record<string, unknown>) => [{ ...orders, ...change }];

function canonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(canonical);
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}
const hashOf = (records: unknown) => createHash('sha256').update(JSON.stringify(canonical(records))).digest('hex');

const order = (id: string, total: number) => ({ stream: 'orders', record_key: id, data: { id, total } });

/** The body hash the reference collector sends: over its outbox envelopes, not the wire records (the server accepts both). */
function envelopeHash(s: Script, who: string, batchId: string, records: Array<Record<string, unknown>>): string {
  const link = s.links[who]!;
  return hashOf(
    records.map((record) => {
      const body = { connector_id: link.connector_id, data: record.data, emitted_at: record.emitted_at, record_key: String(record.record_key), stream: record.stream };
      return { batch_id: batchId, batch_seq: 0, body_hash: hashOf(body), device_id: link.device_id, source_instance_id: link.source_instance_id, ...body };
    }),
  );
}

function batch(s: Script, who: string, batchId: string, records: unknown[], extra: Record<string, unknown> = {}) {
  const link = s.links[who]!;
  return {
    device_id: link.device_id,
    source_instance_id: link.source_instance_id,
    connector_id: link.connector_id,
    batch_id: batchId,
    batch_seq: 0,
    body_hash: hashOf(records),
    records,
    ...extra,
  };
}

const ingest = (who: string, body: (s: Script) => unknown, headers?: (s: Script) => Record<string, string>) => (s: Script): Request =>
  post(devicePath(s, who, '/ingest-batches'), body(s), headers ? headers(s) : deviceHeaders(s, who));
const heartbeat = (who: string, body: (s: Script) => unknown) => (s: Script): Request => post(devicePath(s, who, '/heartbeat'), body(s), deviceHeaders(s, who));
const enroll = (code: string, extra: Record<string, unknown> = {}) => (s: Script): Request =>
  post('/_ref/device-exporters/enroll', { enrollment_code: s.codes[code], ...extra }, PROTOCOL);
const mint = (body: Record<string, unknown>) => () => post('/_ref/device-exporters/enrollment-codes', body);
const keepCode = (name: string) => (s: Script, body: any) => void (s.codes[name] = body.enrollment_code);
const keepLink = (name: string) => (s: Script, body: any) => void (s.links[name] = body);

/** Masks times so a default scope ("the last 30 days from now") compares. */
const timeless = (text: unknown) => (typeof text === 'string' ? text.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>') : text);

function stateShape(body: any) {
  const scope = body.state?.$collection_scope;
  return {
    stateKeys: Object.keys(body.state ?? {}),
    scope: scope && typeof scope === 'object' ? { keys: Object.keys(scope).sort(), fingerprint: timeless(scope.fingerprint), scope: JSON.parse(String(timeless(JSON.stringify(scope.scope)))) } : scope,
    updated: body.updated_at === null ? null : typeof body.updated_at,
  };
}

function connectionsShape(body: any) {
  return (body.data as any[])
    .map((c) => ({ keys: Object.keys(c).sort(), binding: c.source_binding?.local_binding_name, bindingKeys: Object.keys(c.source_binding ?? {}).sort(), kind: c.source_kind, status: c.status, revoked: c.revoked_at !== null }))
    .sort((a, b) => `${a.binding}/${a.status}`.localeCompare(`${b.binding}/${b.status}`));
}

function devicesShape(body: any) {
  return (body.data as any[])
    .map((d) => ({
      keys: Object.keys(d).sort(),
      status: d.status,
      revoked: d.revoked_at !== null,
      agent: d.agent_version,
      heartbeat: d.last_heartbeat_at !== null,
      ingested: d.last_ingest_at !== null,
      sources: (d.source_instances as any[]).map((si) => ({
        keys: Object.keys(si).sort(),
        binding: si.local_binding_name,
        accepted: si.accepted_record_count,
        status: si.last_heartbeat_status,
        pending: si.records_pending,
      })),
    }))
    .sort((a, b) => `${a.sources[0]?.binding}/${a.status}`.localeCompare(`${b.sources[0]?.binding}/${b.status}`));
}

// ---------------------------------------------------------------------------
// The script
// ---------------------------------------------------------------------------

const steps: Step[] = [
  // Registration: POST /connectors
  { name: 'register a manifest as Gleaner sends it', expect: 201, send: () => post('/connectors', manifest()) },
  { name: 'register the identical manifest again', expect: 201, send: () => post('/connectors', manifest()) },
  { name: 'register a new version', expect: 201, send: () => post('/connectors', manifest({ version: '1.0.1' })) },
  { name: 'register a manifest without connector_id, version or semantics', expect: 201, send: () => post('/connectors', { connector_key: 'conformance-min', streams: [{ name: 's', schema: { properties: { k: {} } }, primary_key: 'k' }] }) },
  { name: 'register a manifest without any binding', expect: 201, send: () => post('/connectors', bare('conformance-nobind', [orders], { runtime_requirements: { bindings: {} } })) },
  { name: 'register a [string, null] date cursor', expect: 201, send: () => post('/connectors', bare('conformance-nullable', withOrders({ schema: { properties: { id: {}, at: { type: ['string', 'null'], format: 'date' } } }, cursor_field: 'at' }))) },
  { name: 'register an integer cursor', expect: 201, send: () => post('/connectors', bare('conformance-int', withOrders({ schema: { properties: { id: {}, seq: { type: 'integer' } } }, cursor_field: 'seq' }))) },
  { name: 'refuse a URL connector_key', expect: 400, send: () => post('/connectors', manifest({ connector_key: 'https://example.com/shop', connector_id: undefined })) },
  { name: 'refuse an upper-case connector_key', expect: 400, send: () => post('/connectors', bare('Conformance')) },
  { name: 'refuse a URL connector_id', expect: 400, send: () => post('/connectors', manifest({ connector_id: 'https://example.com/connectors/shop' })) },
  { name: 'refuse a connector_id other than the key', expect: 400, send: () => post('/connectors', manifest({ connector_id: 'conformance-other' })) },
  { name: 'refuse a first-party connector_id under another key', expect: 400, send: () => post('/connectors', manifest({ connector_id: 'amazon' })) },
  { name: 'refuse a manifest naming no connector', expect: 400, send: () => post('/connectors', { streams: [orders] }) },
  { name: 'refuse a body that is not an object', expect: 400, send: () => post('/connectors', '[1,2]') },
  { name: 'refuse a manifest without streams', expect: 400, send: () => post('/connectors', bare('conformance-x', [])) },
  { name: 'refuse a duplicate stream', expect: 400, send: () => post('/connectors', bare('conformance-x', [orders, orders])) },
  { name: 'refuse an unknown binding', expect: 400, send: () => post('/connectors', bare('conformance-x', [orders], { runtime_requirements: { bindings: { browser: {}, phone: {} } } })) },
  { name: 'refuse a binding that is not an object', expect: 400, send: () => post('/connectors', bare('conformance-x', [orders], { runtime_requirements: { bindings: { browser: true } } })) },
  { name: 'refuse a stream without schema.properties', expect: 400, send: () => post('/connectors', bare('conformance-x', withOrders({ schema: { type: 'object' } }))) },
  { name: 'refuse a primary_key field missing from the schema', expect: 400, send: () => post('/connectors', bare('conformance-x', withOrders({ primary_key: ['id', 'missing'] }))) },
  { name: 'refuse an empty primary_key', expect: 400, send: () => post('/connectors', bare('conformance-x', withOrders({ primary_key: [] }))) },
  { name: 'refuse a cursor_field missing from the schema', expect: 400, send: () => post('/connectors', bare('conformance-x', withOrders({ cursor_field: 'missing' }))) },
  { name: 'refuse a plain-string cursor_field', expect: 400, send: () => post('/connectors', bare('conformance-x', withOrders({ cursor_field: 'id' }))) },
  { name: 'refuse a cursor nullable through anyOf', expect: 400, send: () => post('/connectors', bare('conformance-x', withOrders({ schema: { properties: { id: {}, at: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] } } }, cursor_field: 'at' }))) },
  { name: 'refuse a date-less string cursor with a format', expect: 400, send: () => post('/connectors', bare('conformance-x', withOrders({ schema: { properties: { id: {}, at: { type: 'string', format: 'email' } } }, cursor_field: 'at' }))) },
  { name: 'refuse an unknown coverage_strategy', expect: 400, send: () => post('/connectors', bare('conformance-x', withOrders({ coverage_strategy: 'whenever' }))) },
  { name: 'refuse an unknown freshness_strategy', expect: 400, send: () => post('/connectors', bare('conformance-x', withOrders({ freshness_strategy: 'whenever' }))) },
  { name: 'connector_id without manifest_uri: 500 declaration', expect: 500, send: () => post('/connectors', manifest({ manifest_uri: undefined })) },
  { name: 'a relative manifest_uri: 500 declaration', expect: 500, send: () => post('/connectors', manifest({ manifest_uri: 'manifests/shop.json' })) },
  { name: 'connector_id without version: 500 declaration', expect: 500, send: () => post('/connectors', manifest({ version: undefined })) },
  { name: 'connector_id with protocol_version 0.2.0: 500 declaration', expect: 500, send: () => post('/connectors', manifest({ protocol_version: '0.2.0' })) },
  { name: 'connector_id without display_name: 500 declaration', expect: 500, send: () => post('/connectors', manifest({ display_name: '' })) },
  { name: 'connector_id without selection: 500 declaration', expect: 500, send: () => post('/connectors', manifest({}, [{ ...orders, selection: undefined }, orderItems])) },
  { name: 'connector_id, selection without resources: 500 declaration', expect: 500, send: () => post('/connectors', manifest({}, [orders, { ...orderItems, selection: { fields: true } }])) },
  { name: 'connector_id without semantics: 500 declaration', expect: 500, send: () => post('/connectors', manifest({}, [{ ...orders, semantics: undefined, selection: undefined }])) },
  { name: 'connector_id with unknown semantics: 500 declaration', expect: 500, send: () => post('/connectors', manifest({}, [{ ...orders, semantics: 'upsert' }])) },
  { name: 'connector_id with a non-boolean selection: 500 declaration', expect: 500, send: () => post('/connectors', manifest({}, [{ ...orders, selection: { fields: 'all', resources: true } }])) },
  { name: 'unparsable JSON: the framework answers', expect: 400, message: false, send: () => post('/connectors', '{"connector_key":') },
  { name: 'read a registered manifest', expect: 200, send: () => ({ method: 'GET', path: `/connectors/${KEY}` }), shape: (m) => ({ key: m.connector_key, id: m.connector_id, version: m.version, streams: m.streams.map((x: any) => x.name), declaration: m.source_declaration?.declaration_version }) },
  { name: 'read a manifest registered without connector_id', expect: 200, send: () => ({ method: 'GET', path: '/connectors/conformance-min' }), shape: (m) => ({ key: m.connector_key, id: m.connector_id, declaration: m.source_declaration }) },
  { name: 'read an unknown manifest', expect: 404, send: () => ({ method: 'GET', path: '/connectors/conformance-unknown' }) },

  // Minting enrollment codes (owner)
  { name: 'mint for a manifest without binding', expect: 400, send: mint({ connector_id: 'conformance-nobind', local_binding_name: 'a' }) },
  { name: 'mint for an unknown connector', expect: 400, send: mint({ connector_id: 'conformance-unknown', local_binding_name: 'a' }) },
  { name: 'mint without connector_id', expect: 400, send: mint({ local_binding_name: 'a' }) },
  { name: 'mint without local_binding_name', expect: 400, send: mint({ connector_id: KEY, local_binding_name: ' ' }) },
  { name: 'mint with a too short expiry', expect: 400, send: mint({ connector_id: KEY, local_binding_name: 'a', expires_in_seconds: 10 }) },
  { name: 'mint with a non-integer expiry (the default applies)', expect: 201, send: mint({ connector_id: KEY, local_binding_name: 'a', expires_in_seconds: 'soon' }) },
  { name: 'mint with a malformed collection_scope', expect: 400, send: mint({ connector_id: KEY, local_binding_name: 'a', collection_scope: { since: 'yesterday' } }) },
  { name: 'mint with a contradicting source_kind', expect: 400, send: mint({ connector_id: KEY, local_binding_name: 'a', source_kind: 'local_device' }) },
  { name: 'mint for alice', expect: 201, send: mint({ connector_id: KEY, local_binding_name: 'alice', display_name: 'Alice' }), keep: keepCode('alice') },
  { name: 'mint for bob', expect: 201, send: mint({ connector_id: KEY, local_binding_name: 'bob' }), keep: keepCode('bob') },
  { name: 'mint for carol, declaring a scope', expect: 201, send: mint({ connector_id: KEY, local_binding_name: 'carol', collection_scope: { since: '2024-01-01T00:00:00.000Z' } }), keep: keepCode('carol'), shape: (b) => b.collection_scope },
  { name: 'mint for dave', expect: 201, send: mint({ connector_id: KEY, local_binding_name: 'dave' }), keep: keepCode('dave') },
  { name: 'register a second connector', expect: 201, send: () => post('/connectors', bare('conformance-rebind')) },
  { name: 'mint for it', expect: 201, send: mint({ connector_id: 'conformance-rebind', local_binding_name: 'erin' }), keep: keepCode('erin') },
  { name: 'register it again without its browser binding', expect: 201, send: () => post('/connectors', bare('conformance-rebind', [orders], { runtime_requirements: {} })) },

  // Enrollment (device)
  { name: 'enroll without the protocol header', expect: 409, send: (s) => post('/_ref/device-exporters/enroll', { enrollment_code: s.codes.alice }) },
  { name: 'enroll with protocol version 2', expect: 409, send: (s) => post('/_ref/device-exporters/enroll', { enrollment_code: s.codes.alice }, { ...PROTOCOL, 'x-pdpp-collector-protocol': '2' }) },
  { name: 'enroll without a code', expect: 400, send: () => post('/_ref/device-exporters/enroll', {}, PROTOCOL) },
  { name: 'enroll with an unknown code', expect: 400, send: () => post('/_ref/device-exporters/enroll', { enrollment_code: 'lde_unknown' }, PROTOCOL) },
  { name: 'enroll with a collection_scope that is not an object', expect: 400, send: enroll('alice', { collection_scope: 'all' }) },
  { name: 'enroll with an unparsable since', expect: 400, send: enroll('alice', { collection_scope: { since: 'last week' } }) },
  { name: 'enroll with source_roots that are not strings', expect: 400, send: enroll('alice', { collection_scope: { source_roots: [1] } }) },
  { name: 'enroll alice (no scope: the default)', expect: 201, send: enroll('alice', { device_label: 'profile-1' }), keep: keepLink('alice') },
  {
    name: 're-post the consumed code: same device, new token',
    expect: 201,
    send: enroll('alice', { device_label: 'another label' }),
    shape: (b, s) => ({ sameDevice: b.device_id === s.links.alice!.device_id, newToken: b.device_token !== s.links.alice!.device_token }),
    keep: (s, b) => {
      s.oldTokens.alice = s.links.alice!.device_token;
      s.links.alice = b;
    },
  },
  { name: 'the replaced token answers 401', expect: 401, send: (s) => ({ method: 'GET', path: statePath(s, 'alice'), headers: { ...PROTOCOL, authorization: `Bearer ${s.oldTokens.alice}` } }) },
  { name: 'enroll bob with collection_scope null (a full pass)', expect: 201, send: enroll('bob', { collection_scope: null }), keep: keepLink('bob') },
  { name: 'enroll carol wider than the declared scope', expect: 400, send: enroll('carol', { collection_scope: { since: '2020-01-01T00:00:00.000Z' } }) },
  { name: 'enroll carol unscoped against a declared scope', expect: 400, send: enroll('carol', { collection_scope: {} }) },
  { name: 'enroll carol narrower than the declared scope', expect: 201, send: enroll('carol', { collection_scope: { since: '2025-01-01T00:00:00.000Z' } }), keep: keepLink('carol') },
  { name: 'enroll dave with collection_scope {}', expect: 201, send: enroll('dave', { collection_scope: {} }), keep: keepLink('dave') },
  { name: 'enroll a code whose connector lost its binding', expect: 400, send: enroll('erin') },

  // State
  { name: "alice's state holds the server-written default scope", expect: 200, send: (s) => ({ method: 'GET', path: statePath(s, 'alice'), headers: deviceHeaders(s, 'alice') }), shape: stateShape },
  { name: "bob's state holds an unscoped pass", expect: 200, send: (s) => ({ method: 'GET', path: statePath(s, 'bob'), headers: deviceHeaders(s, 'bob') }), shape: stateShape },
  { name: "carol's state holds her narrowed scope", expect: 200, send: (s) => ({ method: 'GET', path: statePath(s, 'carol'), headers: deviceHeaders(s, 'carol') }), shape: stateShape },
  { name: 'put a cursor', expect: 200, send: (s) => ({ method: 'PUT', path: statePath(s, 'alice'), body: { state: { orders: { page: 1 } } }, headers: deviceHeaders(s, 'alice') }), shape: stateShape },
  { name: 'put another stream: a per-stream upsert', expect: 200, send: (s) => ({ method: 'PUT', path: statePath(s, 'alice'), body: { state: { order_items: 'c2' } }, headers: deviceHeaders(s, 'alice') }), shape: stateShape },
  { name: 'put an empty state', expect: 200, send: (s) => ({ method: 'PUT', path: statePath(s, 'alice'), body: { state: {} }, headers: deviceHeaders(s, 'alice') }), shape: stateShape },
  { name: 'put over the server-written $collection_scope', expect: 200, send: (s) => ({ method: 'PUT', path: statePath(s, 'dave'), body: { state: { $collection_scope: 'mine' } }, headers: deviceHeaders(s, 'dave') }), shape: stateShape },
  { name: 'put a state that is not an object', expect: 400, send: (s) => ({ method: 'PUT', path: statePath(s, 'alice'), body: { state: 'c3' }, headers: deviceHeaders(s, 'alice') }) },
  { name: 'put without state', expect: 400, send: (s) => ({ method: 'PUT', path: statePath(s, 'alice'), body: {}, headers: deviceHeaders(s, 'alice') }) },
  { name: 'state of an unknown source instance', expect: 404, send: (s) => ({ method: 'GET', path: devicePath(s, 'alice', '/source-instances/dsrc_unknown/state'), headers: deviceHeaders(s, 'alice') }) },
  { name: "state under another device's path", expect: 403, send: (s) => ({ method: 'GET', path: statePath(s, 'bob'), headers: deviceHeaders(s, 'alice') }) },
  { name: 'state without a bearer token', expect: 401, send: (s) => ({ method: 'GET', path: statePath(s, 'alice'), headers: PROTOCOL }) },
  { name: 'state with a non-bearer authorization', expect: 401, send: (s) => ({ method: 'GET', path: statePath(s, 'alice'), headers: { ...PROTOCOL, authorization: `Basic ${s.links.alice!.device_token}` } }) },
  { name: 'state with an unknown token', expect: 401, send: (s) => ({ method: 'GET', path: statePath(s, 'alice'), headers: { ...PROTOCOL, authorization: 'Bearer ldt_unknown' } }) },
  { name: 'state without the protocol header', expect: 409, send: (s) => ({ method: 'GET', path: statePath(s, 'alice'), headers: { authorization: `Bearer ${s.links.alice!.device_token}` } }) },

  // Heartbeat
  { name: 'heartbeat', expect: 200, send: heartbeat('alice', (s) => ({ agent_version: '0.1.0', source_instances: [{ source_instance_id: s.links.alice!.source_instance_id, status: 'healthy', records_pending: 0 }] })) },
  { name: 'heartbeat without a body', expect: 200, send: (s) => post(devicePath(s, 'alice', '/heartbeat'), undefined, deviceHeaders(s, 'alice')) },
  { name: 'heartbeat with a free-form status', expect: 200, send: heartbeat('alice', (s) => ({ source_instances: [{ source_instance_id: s.links.alice!.source_instance_id, status: 'sleepy' }] })) },
  { name: 'heartbeat with one top-level source_instance_id', expect: 200, send: heartbeat('alice', (s) => ({ source_instance_id: s.links.alice!.source_instance_id, status: 'healthy', records_pending: 2 })) },
  { name: 'heartbeat naming an unknown source instance', expect: 400, send: heartbeat('alice', () => ({ source_instances: [{ source_instance_id: 'dsrc_unknown', status: 'healthy' }] })) },
  { name: 'heartbeat entry without source_instance_id', expect: 400, send: heartbeat('alice', () => ({ source_instances: [{ status: 'healthy' }] })) },
  { name: 'heartbeat with source_instances that is not an array', expect: 200, send: heartbeat('alice', () => ({ source_instances: 'all' })) },
  { name: 'heartbeat with a null entry', expect: 500, send: heartbeat('alice', () => ({ source_instances: [null] })) },
  { name: "heartbeat under another device's path", expect: 403, send: (s) => post(devicePath(s, 'bob', '/heartbeat'), {}, deviceHeaders(s, 'alice')) },
  { name: 'heartbeat again, healthy', expect: 200, send: heartbeat('alice', (s) => ({ agent_version: '0.1.0', source_instances: [{ source_instance_id: s.links.alice!.source_instance_id, status: 'healthy', records_pending: 0 }] })) },

  // Ingest
  { name: 'ingest a batch', expect: 201, send: ingest('alice', (s) => batch(s, 'alice', 'b1', [order('o1', 10), order('o2', 20)])), keep: (s, b) => void (s.saved.b1 = b), shape: (b) => ({ accepted: b.accepted_record_count, status: b.status }) },
  { name: 'resend it identically: the stored 201', expect: 201, send: ingest('alice', (s) => batch(s, 'alice', 'b1', [order('o1', 10), order('o2', 20)])), shape: (b, s) => ({ same: JSON.stringify(b) === JSON.stringify(s.saved.b1) }) },
  { name: 'same batch_id, other records: 409', expect: 409, send: ingest('alice', (s) => batch(s, 'alice', 'b1', [order('o1', 11)])) },
  { name: 'same batch_id and records, other batch_seq: 409', expect: 409, send: ingest('alice', (s) => batch(s, 'alice', 'b1', [order('o1', 10), order('o2', 20)], { batch_seq: 7 })) },
  { name: 'same batch_id and records, other connector_id: 409', expect: 409, send: ingest('alice', (s) => batch(s, 'alice', 'b1', [order('o1', 10), order('o2', 20)], { connector_id: 'conformance-other' })) },
  { name: 'body_hash of something else', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b2', [order('o3', 30)], { body_hash: hashOf({ records: [order('o3', 30)] }) })) },
  { name: 'body_hash that is not hex', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b2', [order('o3', 30)], { body_hash: 'abc' })) },
  { name: 'empty records', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b2', [])) },
  { name: 'records that are not an array', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b2', [], { records: { 0: order('o3', 30) } })) },
  { name: 'one record of an undeclared stream refuses the batch', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b2', [order('o3', 30), { stream: 'wishlist', record_key: 'w1', data: {} }])) },
  { name: 'the refused batch_id is still free', expect: 201, send: ingest('alice', (s) => batch(s, 'alice', 'b2', [order('o3', 30)])) },
  { name: 'a compound key as an array', expect: 201, send: ingest('alice', (s) => batch(s, 'alice', 'b3', [{ stream: 'order_items', record_key: ['o1', '2'], data: { order_id: 'o1', line: 2 } }])) },
  { name: 'a compound key as a JSON string', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b4', [{ stream: 'order_items', record_key: JSON.stringify(['o1', '3']), data: { order_id: 'o1', line: 3 } }])) },
  { name: 'a key that disagrees with data', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b4', [{ stream: 'orders', record_key: 'o9', data: { id: 'o8' } }])) },
  { name: 'a key whose fields are absent from data', expect: 201, send: ingest('alice', (s) => batch(s, 'alice', 'b4', [{ stream: 'orders', record_key: 'o9', data: { total: 9 } }])) },
  { name: 'a null key field in data', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b5', [{ stream: 'orders', record_key: 'o5', data: { id: null } }])) },
  { name: 'a one-part key array for a single-field key', expect: 201, send: ingest('alice', (s) => batch(s, 'alice', 'b5', [{ stream: 'orders', record_key: ['o5'], data: { id: 'o5' } }])) },
  { name: "the collector's envelope body_hash", expect: 201, send: ingest('alice', (s) => batch(s, 'alice', 'b5e', [order('o5e', 5)], { body_hash: envelopeHash(s, 'alice', 'b5e', [order('o5e', 5)]) })) },
  { name: 'a delete', expect: 201, send: ingest('alice', (s) => batch(s, 'alice', 'b5d', [{ stream: 'orders', record_key: 'o2', op: 'delete' }])) },
  { name: 'a delete with data', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b6', [{ stream: 'orders', record_key: 'o1', op: 'delete', data: { id: 'o1' } }])) },
  { name: 'an unknown op', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b6', [{ stream: 'orders', record_key: 'o1', op: 'merge', data: {} }])) },
  { name: 'a record without record_key', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b6', [{ stream: 'orders', data: { id: 'o1' } }])) },
  { name: 'a numeric record_key', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b6', [{ stream: 'orders', record_key: 7, data: {} }])) },
  { name: 'a record that is not an object', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b6', ['o1'])) },
  { name: 'a record without stream', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b6', [{ record_key: 'o1', data: {} }])) },
  { name: 'an upsert without data', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b6', [{ stream: 'orders', record_key: 'o1' }])) },
  { name: 'unknown fields on the batch and its records are ignored', expect: 201, send: ingest('alice', (s) => batch(s, 'alice', 'b6', [{ ...order('o6', 6), note: 'x', emitted_at: 'not a time' }], { note: 'x' })) },
  { name: 'body device_id other than the path', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b7', [order('o7', 7)], { device_id: 'dexp_other' })) },
  { name: 'no device_id', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b7', [order('o7', 7)], { device_id: undefined })) },
  { name: 'no batch_id', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b7', [order('o7', 7)], { batch_id: '' })) },
  { name: 'a negative batch_seq', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b7', [order('o7', 7)], { batch_seq: -1 })) },
  { name: 'a connector_id other than the source', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b7', [order('o7', 7)], { connector_id: 'conformance-other' })) },
  { name: 'an unknown source_instance_id', expect: 400, send: ingest('alice', (s) => batch(s, 'alice', 'b7', [order('o7', 7)], { source_instance_id: 'dsrc_unknown' })) },
  { name: "ingest under another device's path", expect: 403, send: (s) => post(devicePath(s, 'bob', '/ingest-batches'), batch(s, 'alice', 'b7', [order('o7', 7)]), deviceHeaders(s, 'alice')) },
  { name: 'ingest without the protocol header', expect: 409, send: ingest('alice', (s) => batch(s, 'alice', 'b7', [order('o7', 7)]), (s) => ({ ...JSON_BODY, authorization: `Bearer ${s.links.alice!.device_token}` })) },
  { name: 'ingest with an unknown token', expect: 401, send: ingest('alice', (s) => batch(s, 'alice', 'b7', [order('o7', 7)]), () => ({ ...PROTOCOL, authorization: 'Bearer ldt_unknown' })) },
  { name: 'ingest with unparsable JSON', expect: 400, message: false, send: ingest('alice', () => '{"device_id":', ) },
  { name: 'ingest with a text/plain body', expect: 400, send: ingest('alice', (s) => JSON.stringify(batch(s, 'alice', 'b7', [order('o7', 7)])), (s) => ({ ...deviceHeaders(s, 'alice'), 'content-type': 'text/plain' })) },

  // Routes the server does not have
  { name: 'an unknown route', expect: 404, send: () => ({ method: 'GET', path: '/_ref/nothing-here' }) },
  { name: 'OPTIONS (no CORS)', expect: 404, send: () => ({ method: 'OPTIONS', path: '/connectors' }) },
  { name: 'a known path with another method', expect: 404, send: (s) => ({ method: 'PUT', path: devicePath(s, 'alice', '/heartbeat'), body: {}, headers: deviceHeaders(s, 'alice') }) },

  // Owner lists
  { name: 'list connections', expect: 200, send: () => ({ method: 'GET', path: '/_ref/connections' }), shape: connectionsShape },
  { name: 'list devices', expect: 200, send: () => ({ method: 'GET', path: '/_ref/device-exporters' }), shape: devicesShape },

  // Revocation
  { name: 'self-revoke without the protocol header', expect: 409, send: (s) => post(devicePath(s, 'bob', '/self-revoke'), {}, { authorization: `Bearer ${s.links.bob!.device_token}` }) },
  { name: "self-revoke under another device's path", expect: 403, send: (s) => post(devicePath(s, 'dave', '/self-revoke'), {}, deviceHeaders(s, 'bob')) },
  { name: 'bob revokes himself', expect: 200, send: (s) => post(devicePath(s, 'bob', '/self-revoke'), undefined, deviceHeaders(s, 'bob')) },
  { name: 'after self-revoke: heartbeat 401', expect: 401, send: heartbeat('bob', () => ({})) },
  { name: 'after self-revoke: ingest 401', expect: 401, send: ingest('bob', (s) => batch(s, 'bob', 'x1', [order('o1', 1)])) },
  { name: 'after self-revoke: state 401', expect: 401, send: (s) => ({ method: 'GET', path: statePath(s, 'bob'), headers: deviceHeaders(s, 'bob') }) },
  { name: 'after self-revoke: self-revoke 401', expect: 401, send: (s) => post(devicePath(s, 'bob', '/self-revoke'), {}, deviceHeaders(s, 'bob')) },
  { name: "re-post a revoked device's code", expect: 400, send: enroll('bob') },
  { name: 'the owner revokes an unknown device', expect: 404, send: () => post('/_ref/device-exporters/dexp_unknown/revoke', {}) },
  { name: 'the owner revokes alice', expect: 200, send: (s) => post(devicePath(s, 'alice', '/revoke'), {}) },
  { name: 'the owner revokes alice again', expect: 200, send: (s) => post(devicePath(s, 'alice', '/revoke'), undefined, {}) },
  { name: 'after owner revoke: heartbeat 401', expect: 401, send: heartbeat('alice', () => ({})) },
  { name: 'after owner revoke: ingest 401', expect: 401, send: ingest('alice', (s) => batch(s, 'alice', 'b9', [order('o9', 9)])) },
  { name: 'mint alice again', expect: 201, send: mint({ connector_id: KEY, local_binding_name: 'alice' }), keep: keepCode('alice-again') },
  {
    name: 'enroll alice again: a new device on the same connection',
    expect: 201,
    send: enroll('alice-again'),
    shape: (b, s) => ({ sameConnection: b.connector_instance_id === s.links.alice!.connector_instance_id, newDevice: b.device_id !== s.links.alice!.device_id }),
    keep: keepLink('alice-again'),
  },
  { name: "the connection's state carries over, scope rewritten", expect: 200, send: (s) => ({ method: 'GET', path: statePath(s, 'alice-again'), headers: deviceHeaders(s, 'alice-again') }), shape: stateShape },
  { name: 'the new device ingests into the connection', expect: 201, send: ingest('alice-again', (s) => batch(s, 'alice-again', 'b1', [order('o1', 10)])) },
  { name: 'list connections after revocations', expect: 200, send: () => ({ method: 'GET', path: '/_ref/connections' }), shape: connectionsShape },
  { name: 'list devices after revocations', expect: 200, send: () => ({ method: 'GET', path: '/_ref/device-exporters' }), shape: devicesShape },
];

// ---------------------------------------------------------------------------
// Running it and comparing
// ---------------------------------------------------------------------------

async function send(origin: string, request: Request): Promise<Answer> {
  const response = await fetch(origin + request.path, {
    method: request.method,
    headers: request.headers,
    body: request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, requestId: response.headers.get('request-id'), body };
}

const maskIds = (text: unknown) => (typeof text === 'string' ? text.replace(/\b(dexp|dsrc|cin|req|lde|ldt)_[A-Za-z0-9_-]+/g, '$1_…') : text);

/** An answer reduced to what must be equal on both servers. */
function shapeOf(step: Step, answer: Answer, script: Script): Record<string, unknown> {
  const { status, requestId, body } = answer;
  const shape: Record<string, unknown> = { status, requestIdHeader: requestId === null ? null : /^req_[0-9a-f]+$/.test(requestId) };
  const error = body && typeof body === 'object' ? body.error : undefined;
  if (error && typeof error === 'object') {
    const { code, type, param, message, request_id: bodyRequestId, ...extra } = error;
    Object.assign(shape, { code, type, param, extra, requestIdInError: bodyRequestId === undefined ? 'absent' : bodyRequestId === requestId });
    if (step.message !== false) shape.message = maskIds(message);
  } else if (body && typeof body === 'object' && !Array.isArray(body)) {
    const { message, ...rest } = body;
    Object.assign(shape, { keys: Object.keys(body).sort(), requestIdInBody: 'request_id' in body });
    if (status >= 400) Object.assign(shape, { body: rest, ...(step.message !== false ? { message: maskIds(message) } : {}) });
    else if (step.shape) shape.details = step.shape(body, script);
  } else {
    shape.body = body;
  }
  return shape;
}

async function runStep(step: Step, origin: string, script: Script): Promise<Record<string, unknown>> {
  const answer = await send(origin, step.send(script));
  if (answer.status < 300 && step.keep) step.keep(script, answer.body);
  return shapeOf(step, answer, script);
}

const newScript = (): Script => ({ codes: {}, links: {}, oldTokens: {}, saved: {} });

describe('the test receiver answers as the PDPP reference server', () => {
  let real: ReferenceServer | undefined;
  let receiver: Receiver | undefined;
  const results = new Map<string, { real: Record<string, unknown>; receiver: Record<string, unknown> }>();

  beforeAll(async () => {
    await buildReferenceServer();
    [real, receiver] = await Promise.all([startReferenceServer(), startReceiver()]);
    const onReal = newScript();
    const onReceiver = newScript();
    for (const step of steps) {
      results.set(step.name, { real: await runStep(step, real.asUrl, onReal), receiver: await runStep(step, receiver.origin, onReceiver) });
    }
  }, 25 * 60_000);

  afterAll(async () => {
    await Promise.all([real?.close(), receiver?.close()]);
  });

  it('names every step once', () => {
    expect(new Set(steps.map((step) => step.name)).size).toBe(steps.length);
  });

  it.each(steps.map((step) => [step.name, step] as const))('%s', (_name, step) => {
    const result = results.get(step.name)!;
    expect(result.real.status, 'the real server answered something else than the table expects').toBe(step.expect);
    expect(result.receiver).toEqual(result.real);
  });
});
