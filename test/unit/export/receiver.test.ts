/**
 * The local PDPP test receiver, exercised over real HTTP with fetch, the way the
 * extension's export client will talk to a reference server. That it answers
 * as the real server does is checked by test/e2e/receiver-conformance.e2e.ts;
 * this file covers its state, persistence and the faults only it can inject.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bodyHash } from '../../../src/export/canonical-json';
import { startReceiver } from '../../receiver/server';
import type { Receiver } from '../../receiver/server';

const PROTOCOL = { 'content-type': 'application/json', 'x-pdpp-collector-protocol': '1' };

const manifest = {
  protocol_version: '0.1.0',
  connector_key: 'shop',
  connector_id: 'shop',
  manifest_uri: 'urn:test:shop',
  version: '1.0.0',
  display_name: 'Shop',
  runtime_requirements: { bindings: { browser: { required: true } } },
  streams: [
    {
      name: 'orders',
      schema: { type: 'object', properties: { id: { type: 'string' }, total: { type: 'number' } } },
      primary_key: ['id'],
      semantics: 'mutable_state',
      selection: { fields: true, resources: true },
      incremental: true,
    },
    {
      name: 'order_items',
      schema: { type: 'object', properties: { order_id: { type: 'string' }, line: { type: 'integer' } } },
      primary_key: ['order_id', 'line'],
      semantics: 'mutable_state',
      selection: { fields: true, resources: true },
    },
  ],
};

interface Link {
  device_id: string;
  device_token: string;
  source_instance_id: string;
  connector_instance_id: string;
  connector_id: string;
  local_binding_name: string;
}

interface Result {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

let receiver: Receiver;
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gleaner-receiver-'));
  receiver = await startReceiver({ dataFile: join(dir, 'receiver.json') });
});

afterEach(async () => {
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = PROTOCOL): Promise<Result> {
  const response = await fetch(receiver.origin + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) : null, headers: response.headers };
}

function device(link: Link): Record<string, string> {
  return { ...PROTOCOL, authorization: `Bearer ${link.device_token}` };
}

async function mint(bindingName: string, extra: Record<string, unknown> = {}): Promise<string> {
  const minted = await call('POST', '/_ref/device-exporters/enrollment-codes', {
    connector_id: 'shop',
    local_binding_name: bindingName,
    ...extra,
  });
  expect(minted.status).toBe(201);
  expect(minted.json.enrollment_code).toMatch(/^lde_/);
  return minted.json.enrollment_code as string;
}

async function link(bindingName = 'alice@example.com', label = 'profile-1'): Promise<Link> {
  const registered = await call('POST', '/connectors', manifest);
  expect(registered.status).toBe(201);
  const code = await mint(bindingName);
  const enrolled = await call('POST', '/_ref/device-exporters/enroll', { enrollment_code: code, device_label: label });
  expect(enrolled.status).toBe(201);
  return enrolled.json as Link;
}

async function batch(l: Link, batchId: string, records: unknown[], batchSeq = 0): Promise<Record<string, unknown>> {
  return {
    device_id: l.device_id,
    source_instance_id: l.source_instance_id,
    connector_id: l.connector_id,
    batch_id: batchId,
    batch_seq: batchSeq,
    body_hash: await bodyHash(records),
    records,
  };
}

function ingest(l: Link, body: unknown): Promise<Result> {
  return call('POST', `/_ref/device-exporters/${l.device_id}/ingest-batches`, body, device(l));
}

async function records(l: Link): Promise<Array<{ stream: string; record_id: string; data: unknown }>> {
  const listed = await call('GET', `/_test/records?connector_instance_id=${l.connector_instance_id}`);
  return listed.json.data;
}

const order = (id: string, total: number) => ({ stream: 'orders', record_key: id, data: { id, total } });

describe('test receiver: registration and enrollment', () => {
  it('registers a manifest with 201 every time and records only real changes', async () => {
    const first = await call('POST', '/connectors', manifest);
    expect(first.status).toBe(201);
    expect(first.json).toEqual({ connector_id: 'shop', connector_key: 'shop' });
    expect(first.headers.get('request-id')).toMatch(/^req_[0-9a-f]{16}$/);
    expect((await call('POST', '/connectors', manifest)).status).toBe(201);
    expect((await call('POST', '/connectors', { ...manifest, version: '1.1.0' })).status).toBe(201);
    expect(receiver.state.connectors.get('shop')?.history.map((h) => h.reason)).toEqual(['created', 'version_changed']);
    const stored = await call('GET', '/connectors/shop');
    expect(stored.json).toMatchObject({ connector_key: 'shop', version: '1.1.0', source_declaration: { source: { id: 'urn:test:shop', kind: 'connector' } } });
    expect((await call('GET', '/connectors/nope')).status).toBe(404);
  });

  it('refuses what the reference server refuses, with its codes and sentences', async () => {
    const refused = async (body: unknown) => {
      const answer = await call('POST', '/connectors', body);
      return { status: answer.status, code: answer.json.error.code, type: answer.json.error.type, message: answer.json.error.message };
    };
    const invalid = (message: string) => ({ status: 400, code: 'invalid_request', type: 'invalid_request_error', message });
    expect(await refused({ ...manifest, connector_key: 'https://example.com/shop', connector_id: undefined })).toEqual(
      invalid('connector_key must be a non-empty slug-like key, not a URL'),
    );
    expect(await refused({ ...manifest, connector_id: 'https://example.com/shop' })).toEqual(
      invalid('connector_id must match connector_key; use manifest_uri for registry or document provenance'),
    );
    expect(await refused({ ...manifest, streams: [{ ...manifest.streams[0], primary_key: ['missing'] }] })).toEqual(
      invalid("Stream 'orders' primary_key fields must exist in schema.properties: missing"),
    );
    expect((await refused({ ...manifest, streams: [{ ...manifest.streams[0], cursor_field: 'id' }] })).message).toMatch(
      /^Stream 'orders' cursor_field 'id' has an unsupported schema for the reference records path\. Supported shapes: /,
    );
    // With connector_id, the SourceDeclaration projection fails as a 500.
    expect(await refused({ ...manifest, manifest_uri: undefined })).toEqual({
      status: 500,
      code: 'source.declaration_invalid',
      type: 'api_error',
      message: 'sourceId must be an absolute URI',
    });
    expect((await refused({ ...manifest, streams: [{ ...manifest.streams[0], selection: { fields: true } }] })).message).toBe(
      "Invalid SourceDeclaration: /streams/0/selection must have required property 'resources'",
    );
    // Not checked by the server: protocol_version without connector_id, semantics, bindings.
    const { connector_id: _id, ...withoutId } = manifest;
    expect((await call('POST', '/connectors', { ...withoutId, connector_key: 'loose', protocol_version: '0.2.0', runtime_requirements: { bindings: {} } })).status).toBe(201);
  });

  it('registers a manifest without a browser or filesystem binding but refuses to mint a code for it', async () => {
    const { connector_id: _id, ...withoutId } = manifest;
    expect((await call('POST', '/connectors', { ...withoutId, connector_key: 'unbound', runtime_requirements: undefined })).status).toBe(201);
    const minted = await call('POST', '/_ref/device-exporters/enrollment-codes', { connector_id: 'unbound', local_binding_name: 'a' });
    expect(minted.status).toBe(400);
    expect(minted.json.error).toMatchObject({
      code: 'invalid_request',
      param: 'connector_id',
      message: "Cannot enroll connector 'unbound': no registered manifest declares a 'filesystem' or 'browser' binding, so the source kind cannot be resolved.",
    });
  });

  it('enrolls with prefixed ids; re-posting a consumed code rotates the token for the same device only', async () => {
    await call('POST', '/connectors', manifest);
    const code = await mint('alice@example.com');
    const first = await call('POST', '/_ref/device-exporters/enroll', { enrollment_code: code, device_label: 'p1' });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      device_id: expect.stringMatching(/^dexp_/),
      device_token: expect.stringMatching(/^ldt_/),
      source_instance_id: expect.stringMatching(/^dsrc_/),
      connector_instance_id: expect.stringMatching(/^cin_/),
      connector_id: 'shop',
      local_binding_name: 'alice@example.com',
    });

    const again = await call('POST', '/_ref/device-exporters/enroll', { enrollment_code: code, device_label: 'p1' });
    expect(again.status).toBe(201);
    expect(again.json.device_id).toBe(first.json.device_id);
    expect(again.json.device_token).not.toBe(first.json.device_token);
    const state = `/_ref/device-exporters/${first.json.device_id}/source-instances/${first.json.source_instance_id}/state`;
    expect((await call('GET', state, undefined, device(first.json))).status).toBe(401);
    expect((await call('GET', state, undefined, device(again.json))).status).toBe(200);

    // The server cannot tell devices apart at enroll: any re-post of the live code rotates the token.
    const other = await call('POST', '/_ref/device-exporters/enroll', { enrollment_code: code, device_label: 'p2' });
    expect(other.status).toBe(201);
    expect(other.json.device_id).toBe(first.json.device_id);
    expect((await call('GET', state, undefined, device(again.json))).status).toBe(401);
    expect((await call('POST', '/_ref/device-exporters/enroll', { enrollment_code: 'lde_nope' })).json.error).toMatchObject({
      code: 'invalid_request',
      message: 'Enrollment code is invalid or already used',
    });
    expect((await call('POST', '/_ref/device-exporters/enroll', { enrollment_code: code }, { 'content-type': 'application/json' })).status).toBe(409);
  });

  it('writes the collection scope into the connection state: the default, a full pass, or a narrowed one', async () => {
    await call('POST', '/connectors', manifest);
    const scopeOf = async (mintExtra: Record<string, unknown>, enrollExtra: Record<string, unknown>) => {
      const code = await mint(`b${Math.random()}`, mintExtra);
      const enrolled = await call('POST', '/_ref/device-exporters/enroll', { enrollment_code: code, ...enrollExtra });
      if (enrolled.status !== 201) return enrolled.json.error;
      const l = enrolled.json as Link;
      const read = await call('GET', `/_ref/device-exporters/${l.device_id}/source-instances/${l.source_instance_id}/state`, undefined, device(l));
      return read.json.state.$collection_scope;
    };
    const defaulted = await scopeOf({}, {});
    expect(defaulted).toMatchObject({ fingerprint: expect.stringMatching(/^since=/), scope: { since: expect.any(String) } });
    expect(Date.now() - Date.parse(defaulted.scope.since)).toBeGreaterThan(29 * 86_400_000);
    expect(await scopeOf({}, { collection_scope: null })).toMatchObject({ fingerprint: 'unscoped', scope: null });
    expect(await scopeOf({}, { collection_scope: {} })).toMatchObject({ fingerprint: 'unscoped', scope: null });
    const declared = { collection_scope: { since: '2024-01-01T00:00:00.000Z' } };
    expect(await scopeOf(declared, { collection_scope: { since: '2025-01-01T00:00:00.000Z' } })).toMatchObject({ scope: { since: '2025-01-01T00:00:00.000Z' } });
    expect(await scopeOf(declared, {})).toMatchObject({ scope: { since: '2024-01-01T00:00:00.000Z' } });
    expect(await scopeOf(declared, { collection_scope: { since: '2020-01-01T00:00:00.000Z' } })).toMatchObject({ code: 'invalid_request', param: 'collection_scope' });
    expect(await scopeOf({}, { collection_scope: 'all' })).toMatchObject({ message: 'collection_scope must be an object' });
  });

  it('answers 410 for an expired code', async () => {
    await receiver.close();
    let clock = Date.parse('2030-01-01T00:00:00Z');
    receiver = await startReceiver({ now: () => clock });
    await call('POST', '/connectors', manifest);
    const code = await mint('alice@example.com', { expires_in_seconds: 60 });
    clock += 61_000;
    const expired = await call('POST', '/_ref/device-exporters/enroll', { enrollment_code: code });
    expect(expired.status).toBe(410);
    expect(expired.json.error).toMatchObject({ code: 'invalid_request', type: 'gone_error', message: 'Enrollment code has expired' });
    // An expired pending code is revoked: from then on it is unknown.
    expect((await call('POST', '/_ref/device-exporters/enroll', { enrollment_code: code })).status).toBe(400);
  });
});

describe('test receiver: ingest', () => {
  it('accepts, replays identically, refuses conflicts and bad hashes, and keeps batch ids reusable', async () => {
    const l = await link();
    const body = await batch(l, 'b1', [order('o1', 10), order('o2', 20)]);

    const accepted = await ingest(l, body);
    expect(accepted.status).toBe(201);
    expect(accepted.json).toMatchObject({
      object: 'device_ingest_batch_result',
      status: 'accepted',
      batch_id: 'b1',
      body_hash: body.body_hash,
      accepted_record_count: 2,
      rejected_record_count: 0,
    });
    expect(accepted.json).not.toHaveProperty('request_id'); // the request id is in the header only
    expect(accepted.headers.get('request-id')).toMatch(/^req_/);

    const replay = await ingest(l, body);
    expect(replay.status).toBe(201);
    expect(replay.text).toBe(accepted.text); // the stored answer, no replay marker
    expect(replay.headers.get('request-id')).not.toBe(accepted.headers.get('request-id'));

    const conflict = await ingest(l, await batch(l, 'b1', [order('o1', 11)]));
    expect(conflict.status).toBe(409);
    expect(conflict.json.error).toMatchObject({ code: 'device_batch_conflict', type: 'api_error' });

    const wrongHash = { ...(await batch(l, 'b2', [order('o3', 30)])), body_hash: await bodyHash([body]) };
    const mismatch = await ingest(l, wrongHash);
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.error).toMatchObject({ code: 'device_batch_hash_mismatch', type: 'invalid_request_error', param: 'body_hash' });
    expect(mismatch.json.error.request_id).toBe(mismatch.headers.get('request-id'));
    expect((await ingest(l, await batch(l, 'b2', [order('o3', 30)]))).status).toBe(201); // b2 was not reserved

    expect(await records(l)).toEqual([
      expect.objectContaining({ stream: 'orders', record_id: 'o1', data: { id: 'o1', total: 10 } }),
      expect.objectContaining({ stream: 'orders', record_id: 'o2', data: { id: 'o2', total: 20 } }),
      expect.objectContaining({ stream: 'orders', record_id: 'o3', data: { id: 'o3', total: 30 } }),
    ]);
    const batches = (await call('GET', '/_test/batches')).json.data;
    expect(batches.map((b: { batch_id: string; order: number }) => [b.batch_id, b.order])).toEqual([['b1', 1], ['b2', 2]]);
  });

  it('checks the protocol header before anything is stored', async () => {
    const l = await link();
    const body = await batch(l, 'b1', [order('o1', 10)]);
    const noHeader = await call('POST', `/_ref/device-exporters/${l.device_id}/ingest-batches`, body, {
      'content-type': 'application/json',
      authorization: `Bearer ${l.device_token}`,
    });
    expect(noHeader.status).toBe(409);
    expect(noHeader.json.error).toMatchObject({ code: 'collector_protocol_mismatch', accepted_versions: ['1'], received_version: null });
    const wrongVersion = await call('POST', `/_ref/device-exporters/${l.device_id}/ingest-batches`, body, {
      ...device(l),
      'x-pdpp-collector-protocol': '2',
    });
    expect(wrongVersion.json.error.received_version).toBe('2');
    expect(receiver.state.batches.size).toBe(0);
    expect(await records(l)).toEqual([]);
  });

  it('answers 401 without a valid token and 403 for another device id', async () => {
    const l = await link();
    const body = await batch(l, 'b1', [order('o1', 10)]);
    const missing = await call('POST', `/_ref/device-exporters/${l.device_id}/ingest-batches`, body);
    expect(missing.status).toBe(401);
    expect(missing.json.error).toMatchObject({ code: 'authentication_error', type: 'authentication_error', message: 'Missing device exporter bearer token' });
    const wrong = await ingest({ ...l, device_token: 'ldt_wrong' }, body);
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toMatchObject({ code: 'authentication_error', type: 'authentication_error', message: 'Invalid or revoked device exporter credential' });
    const other = await call('POST', `/_ref/device-exporters/dexp_other/ingest-batches`, body, device(l));
    expect(other.status).toBe(403);
    expect(other.json.error).toMatchObject({ code: 'permission_error', message: 'Device credential is not valid for this device' });
  });

  it('keys compound records by a minified JSON array and refuses a stringified one', async () => {
    const l = await link();
    const item = { stream: 'order_items', record_key: ['o1', '2'], data: { order_id: 'o1', line: 2 } };
    expect((await ingest(l, await batch(l, 'b1', [item]))).status).toBe(201);
    expect((await records(l))[0]).toMatchObject({ stream: 'order_items', record_id: '["o1","2"]' });

    const stringified = { ...item, record_key: JSON.stringify(['o1', '3']), data: { order_id: 'o1', line: 3 } };
    const refused = await ingest(l, await batch(l, 'b2', [stringified]));
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'invalid_request', param: 'records', message: 'records[0] has invalid record identity' });

    const mismatched = { stream: 'orders', record_key: 'o9', data: { id: 'o8', total: 1 } };
    expect((await ingest(l, await batch(l, 'b2', [mismatched]))).status).toBe(400);
  });

  it('refuses a whole batch with one undeclared stream and stores nothing', async () => {
    const l = await link();
    const body = await batch(l, 'b1', [order('o1', 10), { stream: 'wishlist', record_key: 'w1', data: {} }]);
    const refused = await ingest(l, body);
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ param: 'records', message: 'records[1].stream is not declared by the connector manifest' });
    expect(await records(l)).toEqual([]);
    expect(receiver.state.batches.size).toBe(0);
    expect((await ingest(l, await batch(l, 'b1', [order('o1', 10)]))).status).toBe(201);
    expect((await ingest(l, await batch(l, 'b3', []))).status).toBe(400); // empty records
  });

  it('applies deletes and treats an equal upsert as a no-op', async () => {
    const l = await link();
    await ingest(l, await batch(l, 'b1', [order('o1', 10), order('o2', 20)]));
    await ingest(l, await batch(l, 'b2', [order('o1', 10)], 1));
    const o1 = receiver.state.records.get(l.connector_instance_id)?.get(JSON.stringify(['orders', 'o1']));
    expect(o1).toMatchObject({ version: 1, batch_id: 'b1' });

    const deleted = await ingest(l, await batch(l, 'b3', [{ stream: 'orders', record_key: 'o2', op: 'delete' }], 2));
    expect(deleted.status).toBe(201);
    expect((await records(l)).map((r) => r.record_id)).toEqual(['o1']);
    const badDelete = { stream: 'orders', record_key: 'o1', op: 'delete', data: { id: 'o1' } };
    expect((await ingest(l, await batch(l, 'b4', [badDelete], 3))).status).toBe(400);
  });

  it('answers injected 503s with Retry-After, then accepts the identical resend', async () => {
    const l = await link();
    const body = await batch(l, 'b1', [order('o1', 10)]);
    receiver.inject503(2, 7);
    for (let attempt = 0; attempt < 2; attempt++) {
      const busy = await ingest(l, body);
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('7');
      expect(busy.json.error).toMatchObject({ code: 'device_ingest_retryable', type: 'api_error' });
    }
    expect(receiver.state.batches.size).toBe(0);
    expect((await ingest(l, body)).status).toBe(201);
  });

  it('loses answers on demand: the batch is stored, the resend gets the stored 201', async () => {
    const l = await link();
    const body = await batch(l, 'b1', [order('o1', 10)]);
    receiver.dropResponses(1);
    await expect(ingest(l, body)).rejects.toThrow(); // the connection closes without an answer
    expect(receiver.state.batches.size).toBe(1);
    const resent = await ingest(l, body);
    expect(resent.status).toBe(201);
    expect(resent.json).toMatchObject({ batch_id: 'b1', accepted_record_count: 1 });
    expect(receiver.state.requestLog.map((entry) => entry.status).slice(-2)).toEqual([0, 201]);
  });

  it('loses an enrollment answer on demand: re-posting the code gets the same device', async () => {
    await call('POST', '/connectors', manifest);
    const code = await mint('alice@example.com');
    receiver.dropResponses(1, ['enroll']);
    await expect(call('POST', '/_ref/device-exporters/enroll', { enrollment_code: code })).rejects.toThrow();
    const retried = await call('POST', '/_ref/device-exporters/enroll', { enrollment_code: code });
    expect(retried.status).toBe(201);
    expect(receiver.state.devices.size).toBe(1);
    expect(retried.json.device_id).toBe([...receiver.state.devices.keys()][0]);
  });

  it('answers a body over 50 MiB as the server framework does: 413, no request id', async () => {
    const l = await link();
    const huge = `{"pad":"${'x'.repeat(50 * 1024 * 1024)}"}`;
    const tooLarge = await call('POST', `/_ref/device-exporters/${l.device_id}/ingest-batches`, huge, device(l));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json).toEqual({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', error: 'Payload Too Large', message: 'Request body is too large' });
    expect(tooLarge.headers.get('request-id')).toBeNull();
    expect((await ingest(l, await batch(l, 'b1', [order('o1', 10)]))).status).toBe(201); // server still healthy
  });
});

describe('test receiver: state, heartbeat, revocation, restart, bindings', () => {
  it('upserts cursors per stream and stores heartbeats', async () => {
    const l = await link();
    const path = `/_ref/device-exporters/${l.device_id}/source-instances/${l.source_instance_id}/state`;
    const scope = (await call('GET', path, undefined, device(l))).json.state;
    expect(Object.keys(scope)).toEqual(['$collection_scope']); // written by the server at enrollment
    await call('PUT', path, { state: { orders: { page: 1 } } }, device(l));
    await call('PUT', path, { state: { order_items: 'c2' } }, device(l));
    expect((await call('GET', path, undefined, device(l))).json.state).toEqual({ ...scope, orders: { page: 1 }, order_items: 'c2' });
    expect(receiver.state.cursors.get(l.connector_instance_id)?.state).toMatchObject({ orders: { page: 1 } });

    const beat = await call(
      'POST',
      `/_ref/device-exporters/${l.device_id}/heartbeat`,
      { agent_version: '0.1.0', source_instances: [{ source_instance_id: l.source_instance_id, status: 'healthy' }] },
      device(l),
    );
    expect(beat.status).toBe(200);
    expect(receiver.state.heartbeats.get(l.device_id)?.agent_version).toBe('0.1.0');
    const devices = (await call('GET', '/_ref/device-exporters')).json.data;
    expect(devices[0]).toMatchObject({ agent_version: '0.1.0', source_instances: [{ last_heartbeat_status: 'healthy', heartbeat_health: 'healthy' }] });
  });

  it('self-revoke makes the token answer 401 and deactivates the connection', async () => {
    const l = await link();
    expect((await call('POST', `/_ref/device-exporters/${l.device_id}/self-revoke`, undefined, device(l))).status).toBe(200);
    expect((await ingest(l, await batch(l, 'b1', [order('o1', 10)]))).status).toBe(401);
    const connections = (await call('GET', '/_ref/connections')).json.data;
    expect(connections[0]).toMatchObject({ connector_instance_id: l.connector_instance_id, status: 'revoked', object: 'ref_connection' });
  });

  it('the owner revokes a device; a new code for the same account reactivates its connection, cursors kept', async () => {
    const l = await link();
    const path = (x: Link) => `/_ref/device-exporters/${x.device_id}/source-instances/${x.source_instance_id}/state`;
    await call('PUT', path(l), { state: { orders: 'c1' } }, device(l));
    const revoked = await call('POST', `/_ref/device-exporters/${l.device_id}/revoke`, undefined, {});
    expect(revoked.json).toMatchObject({ device_id: l.device_id, object: 'device_exporter_revocation' });
    expect((await call('POST', '/_ref/device-exporters/dexp_nope/revoke', {})).status).toBe(404);
    expect((await call('POST', `/_ref/device-exporters/${l.device_id}/heartbeat`, {}, device(l))).status).toBe(401);

    const again = await link('alice@example.com', 'profile-1');
    expect(again.device_id).not.toBe(l.device_id);
    expect(again.connector_instance_id).toBe(l.connector_instance_id);
    expect((await call('GET', path(again), undefined, device(again))).json.state).toMatchObject({ orders: 'c1', $collection_scope: expect.any(Object) });
    expect((await call('GET', '/_ref/connections')).json.data).toEqual([expect.objectContaining({ status: 'active', source_binding: expect.objectContaining({ device_id: again.device_id }) })]);
  });

  it('keeps records and replay reservations across a restart with the same data file', async () => {
    const l = await link();
    const body = await batch(l, 'b1', [order('o1', 10)]);
    const accepted = await ingest(l, body);
    await receiver.close();
    receiver = await startReceiver({ dataFile: join(dir, 'receiver.json') });

    expect(await records(l)).toHaveLength(1);
    const replay = await ingest(l, body);
    expect(replay.status).toBe(201);
    expect(replay.text).toBe(accepted.text);
    expect((await ingest(l, await batch(l, 'b1', [order('o1', 99)]))).status).toBe(409);
  });

  it('gives two bindings of one connector two source and two connector instances', async () => {
    const alice = await link('alice@example.com');
    const bob = await link('bob@example.com');
    expect(bob.source_instance_id).not.toBe(alice.source_instance_id);
    expect(bob.connector_instance_id).not.toBe(alice.connector_instance_id);
    await ingest(alice, await batch(alice, 'a1', [order('o1', 1)]));
    await ingest(bob, await batch(bob, 'b1', [order('o1', 2)]));
    expect((await records(alice))[0]?.data).toEqual({ id: 'o1', total: 1 });
    expect((await records(bob))[0]?.data).toEqual({ id: 'o1', total: 2 });
    expect((await call('GET', '/_ref/connections')).json.data).toHaveLength(2);
    expect((await call('GET', '/_ref/device-exporters')).json.data).toHaveLength(2);
  });

  it('logs every request without tokens', async () => {
    const l = await link();
    await ingest(l, await batch(l, 'b1', [order('o1', 10)]));
    const log = await call('GET', '/_test/log');
    expect(log.json.data.map((e: { method: string; path: string; status: number }) => `${e.method} ${e.path} ${e.status}`)).toEqual([
      'POST /connectors 201',
      'POST /_ref/device-exporters/enrollment-codes 201',
      'POST /_ref/device-exporters/enroll 201',
      `POST /_ref/device-exporters/${l.device_id}/ingest-batches 201`,
    ]);
    expect(log.text).not.toContain(l.device_token);
    expect(JSON.stringify([...receiver.state.devices.values()])).not.toContain(l.device_token);
  });

  it('revokeAll() turns every token into a 401', async () => {
    const l = await link();
    receiver.revokeAll();
    expect((await ingest(l, await batch(l, 'b1', [order('o1', 10)]))).status).toBe(401);
  });
});
