/** The pure parts of the export: manifests, batching and the cap, deterministic ids, retry policy, backoff. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { amazonConnector } from '../../../src/connectors/amazon';
import type { ConnectorDefinition } from '../../../src/connectors/types';
import { buildManifest, manifestStreams, RECEIPT_STREAM, serverConnectorKey, type ManifestStream } from '../../../src/export/manifest';
import { batchIdFor, coalesce, fitByBytes, ingestBody, MAX_REQUEST_BYTES, recordKey, toPdppRecord, toReceiptRecord, utf8Length } from '../../../src/export/outbox';
import { backoffMs, classify, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../../src/export/retry';
import { canonicalJson, bodyHash } from '../../../src/export/canonical-json';
import { normaliseOrigin, originPermissionPattern } from '../../../src/export/client';
import type { ChangeRow } from '../../../src/db/database';
import type { AcquisitionBatch, StoredRecord } from '../../../src/core/model';

describe('manifests', () => {
  it('derive every stream from the connector: JSON Schema from the zod schema, keys, cursor, strategies, browser binding, plus receipts', async () => {
    const manifest = await buildManifest(amazonConnector);
    // Gleaner's own key (the server re-registers its first-party `amazon` at every boot), an absolute manifest_uri.
    expect(manifest).toMatchObject({ protocol_version: '0.1.0', connector_key: 'gleaner-amazon', connector_id: 'gleaner-amazon', manifest_uri: 'urn:gleaner:connector:amazon', display_name: 'Amazon', runtime_requirements: { bindings: { browser: { required: true, hosts: ['www.amazon.com'] } } } });
    expect(serverConnectorKey(amazonConnector)).toBe('gleaner-amazon');
    expect(manifest.streams.map((stream) => stream.name)).toEqual(['orders', 'order_items', RECEIPT_STREAM]);
    const [orders, items, receipts] = manifest.streams as [ManifestStream, ManifestStream, ManifestStream];
    // Keys and field names follow the reference's first-party amazon manifest.
    expect(orders).toMatchObject({ primary_key: ['id'], cursor_field: 'order_date' });
    expect(Object.keys(orders.schema.properties as object)).toEqual(expect.arrayContaining(['id', 'order_date', 'order_total', 'order_total_cents', 'delivery_status', 'recipient_name', 'payment_method_summary', 'item_count']));
    expect(items).toMatchObject({ primary_key: ['id'], cursor_field: 'order_date', semantics: 'mutable_state', selection: { fields: true, resources: true }, incremental: true, coverage_strategy: 'checkpoint_window', freshness_strategy: 'manual_as_of' });
    expect(items.schema).toMatchObject({ type: 'object', required: ['id', 'order_id', 'item_key'] });
    // Cursors: a day, an instant; nullable written as a type list (the server reads no anyOf there).
    expect((orders.schema.properties as Record<string, unknown>).order_date).toMatchObject({ type: ['string', 'null'], format: 'date' });
    expect((orders.schema.properties as Record<string, unknown>).ordered_at).toMatchObject({ type: ['string', 'null'], format: 'date-time' });
    expect((receipts.schema.properties as Record<string, unknown>).received_at).toMatchObject({ type: 'string', format: 'date-time' });
    for (const stream of manifest.streams) {
      for (const field of stream.primary_key) expect(Object.keys(stream.schema.properties as object)).toContain(field);
      expect(stream).toMatchObject({ semantics: expect.any(String), selection: { fields: true, resources: true } });
    }
    expect(receipts).toMatchObject({ primary_key: ['batch_id'], semantics: 'append_only', coverage_strategy: 'snapshot_import_receipt' });
    expect(JSON.stringify(manifest)).not.toContain('$schema');
  });

  it('refuse to build a stream whose cursor is not a date, date-time or number', () => {
    const broken: ConnectorDefinition = { ...amazonConnector, streams: amazonConnector.streams.map((stream) => (stream.name === 'orders' ? { ...stream, eventTimeField: 'delivery_status' } : stream)) };
    expect(() => manifestStreams(broken)).toThrow(/cursor_field 'delivery_status' must be a date or date-time/);
  });

  it('keep their version while the streams stay the same, and change it when they change', async () => {
    const a = await buildManifest(amazonConnector);
    const b = await buildManifest({ ...amazonConnector, displayName: 'Amazon (renamed)', hosts: ['www.amazon.com'] });
    expect(a.version).toMatch(/^1\.0\.0-s[0-9a-f]{12}$/);
    expect(b.version).toBe(a.version);
    const widened: ConnectorDefinition = {
      ...amazonConnector,
      streams: amazonConnector.streams.map((stream) => (stream.name === 'orders' ? { ...stream, schema: (stream.schema as unknown as z.ZodObject).extend({ gift: z.boolean().optional() }) as unknown as typeof stream.schema } : stream)),
    };
    expect((await buildManifest(widened)).version).not.toBe(a.version);
    expect(manifestStreams(widened)[0]!.schema.properties).toHaveProperty('gift');
  });
});

const change = (seq: number, rid: string, kind: 'record' | 'batch' = 'record'): ChangeRow => ({ seq, connectionId: 'con_1', kind, stream: kind === 'record' ? 'orders' : undefined, rid: kind === 'record' ? rid : undefined, op: 'upsert', batchId: kind === 'batch' ? rid : 'bat_x', at: '' });

describe('batching', () => {
  it('coalesces a record changed several times into one slot, in order of first change, up to the limit', () => {
    const feed = [change(3, 'a'), change(4, 'b'), change(5, 'a'), change(6, 'bat_1', 'batch'), change(7, 'c'), change(9, 'b')];
    const { entries, firstSeq, toSeq } = coalesce(feed, 3);
    expect(entries.map((entry) => entry.slot)).toEqual(['r\u0000orders\u0000a', 'r\u0000orders\u0000b', 'b\u0000bat_1']);
    expect([firstSeq, toSeq]).toEqual([3, 6]); // stops before c, the fourth distinct record
    expect(coalesce(feed, 10).toSeq).toBe(9);
  });

  it('cuts by bytes, keeping at least one record so an oversized one travels alone', () => {
    const parts = ['x'.repeat(40), 'y'.repeat(40), 'z'.repeat(40)];
    expect(fitByBytes(parts, 90)).toEqual({ count: 2, bytes: 2 + 40 + 41 });
    expect(fitByBytes(['q'.repeat(500)], 90)).toEqual({ count: 1, bytes: 502 });
    expect(MAX_REQUEST_BYTES).toBe(50 * 1024 * 1024);
  });

  it('counts UTF-8 bytes exactly as TextEncoder does', () => {
    for (const text of ['', 'plain', 'café', '€ and 日本', '🙂 pair', 'lone \ud800 surrogate', 'x'.repeat(1000)]) {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
    }
  });

  it('derives batch ids from the connection and change range only', () => {
    expect(batchIdFor('con_abc', 7, 42)).toBe('gl_con_abc_7_42');
    expect(batchIdFor('con_abc', 7, 42)).toBe(batchIdFor('con_abc', 7, 42));
  });

  it('builds the request body byte-for-byte from the stored records JSON, with the canonical body hash', async () => {
    const records = [{ stream: 'orders', record_key: 'a', data: { id: 'a', b: 1, a: 2 } }];
    const recordsJson = canonicalJson(records);
    const hash = await bodyHash(records);
    const body = ingestBody({ deviceId: 'dexp_1', sourceInstanceId: 'dsrc_1', connectorId: 'gleaner-amazon' }, { id: 'gl_x_1_2', seq: 0, bodyHash: hash, recordsJson });
    expect(body).toBe(`{"batch_id":"gl_x_1_2","batch_seq":0,"body_hash":"${hash}","connector_id":"gleaner-amazon","device_id":"dexp_1","records":[{"data":{"a":2,"b":1,"id":"a"},"record_key":"a","stream":"orders"}],"source_instance_id":"dsrc_1"}`);
    expect(JSON.parse(body).records).toEqual(records);
  });

  it('sends a compound key as an array, a tombstone as a delete without data, a receipt keyed by batch id', () => {
    expect(recordKey(['111-1', 'B0']) ).toEqual(['111-1', 'B0']);
    expect(recordKey(['111-1'])).toBe('111-1');
    const base = { connectionId: 'c', stream: 'orders', rid: 'o1', key: 'o1', keyParts: ['o1'], eventTime: '', data: { id: 'o1' }, versions: [], batchIds: [], methods: [], firstSeenAt: '', updatedAt: '2024-01-01T00:00:00Z' } as StoredRecord;
    expect(toPdppRecord(base)).toEqual({ stream: 'orders', record_key: 'o1', data: { id: 'o1' }, emitted_at: '2024-01-01T00:00:00Z' });
    expect(toPdppRecord({ ...base, tombstone: { batchId: 'b', at: '2024-02-01T00:00:00Z', reason: '' } })).toEqual({ stream: 'orders', record_key: 'o1', op: 'delete', emitted_at: '2024-02-01T00:00:00Z' });
    const receipt = toReceiptRecord({ id: 'bat_1', method: 'owner_artifact', provenance: { kind: 'page', pageUrl: 'https://x.test/', capturedAt: '', extractorVersion: '1' }, coverage: [], counts: { parsed: 1, new: 1, updated: 0, alreadyKnown: 0, skipped: 0, failed: 0, tombstoned: 0, restored: 0 }, warnings: [], receivedAt: 't', dataAsOf: 'd', recaptureCount: 0 } as unknown as AcquisitionBatch);
    expect(receipt).toMatchObject({ stream: 'acquisition_batches', record_key: 'bat_1', data: { batch_id: 'bat_1', method: 'owner_artifact', counts: { new: 1 } } });
  });
});

describe('retry policy', () => {
  it('classifies answers as the protocol says', () => {
    expect(classify({ status: 201 })).toEqual({ kind: 'accepted' });
    for (const status of [408, 429, 500, 502, 503]) expect(classify({ status }).kind).toBe('retry');
    expect(classify({ transportError: 'timeout' }).kind).toBe('retry');
    expect(classify({ transportError: 'network' }).kind).toBe('retry');
    expect(classify({ status: 400, errorCode: 'invalid_request', errorMessage: 'stream x is not declared' })).toEqual({ kind: 'rejected', reason: 'stream x is not declared (invalid_request)' });
    expect(classify({ status: 413 }).kind).toBe('rejected');
    expect(classify({ status: 401 }).kind).toBe('unauthorized');
    expect(classify({ status: 403 }).kind).toBe('forbidden');
    expect(classify({ status: 409, errorCode: 'device_batch_conflict' }).kind).toBe('conflict');
    expect(classify({ status: 409, errorCode: 'collector_protocol_mismatch' }).kind).toBe('protocol_mismatch');
    expect(classify({ status: 503, retryAfter: '7' })).toEqual({ kind: 'retry', retryAfterMs: 7000 });
  });

  it('reads Retry-After as seconds or an HTTP date, capped at 60 s', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('3600')).toBe(MAX_RETRY_AFTER_MS);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('backs off exponentially with bounded jitter, and waits exactly what the server asked', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffMs(attempt, undefined, () => 0))).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(backoffMs(1, undefined, () => 1)).toBe(1250);
    expect(backoffMs(10, undefined, () => 1)).toBe(MAX_RETRY_AFTER_MS);
    expect(backoffMs(1, 5000, () => 0.5)).toBe(5000);
  });
});

describe('server address', () => {
  it('accepts https anywhere and http only on this computer, and asks permission for that host only', () => {
    expect(normaliseOrigin('pdpp.example.org/')).toBe('https://pdpp.example.org');
    expect(normaliseOrigin('http://127.0.0.1:7662/')).toBe('http://127.0.0.1:7662');
    expect(() => normaliseOrigin('http://pdpp.example.org')).toThrow(/https/);
    expect(originPermissionPattern('http://127.0.0.1:7662')).toBe('http://127.0.0.1/*');
    expect(originPermissionPattern('https://pdpp.example.org')).toBe('https://pdpp.example.org/*');
  });
});

describe('committed manifests', () => {
  it('manifests/<key>.json is what `npm run manifests` generates now (run it after changing a stream)', async () => {
    const { readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const committed = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../manifests/gleaner-amazon.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(await buildManifest(amazonConnector))));
  });
});
