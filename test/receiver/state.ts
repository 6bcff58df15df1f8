/**
 * The test receiver's data model and its JSON persistence.
 *
 * Everything a PDPP reference server would keep in its database lives in one
 * plain `ReceiverState` so tests can assert on it in-process. Secrets (device
 * tokens, enrollment codes) are kept only as sha256 hashes, as the reference
 * server does, so a dumped state or data file never contains a usable credential.
 */
import { readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';

/** What the server checks a record against: the stream name and its key fields. */
export interface ManifestStream {
  name: string;
  primary_key: string[];
}

export interface ConnectorEntry {
  connector_key: string;
  /** The manifest's `version`; the server does not require one. */
  version: string | null;
  /** As stored by the server: the posted manifest with `connector_id` and `connector_key` set to the key. */
  manifest: Record<string, unknown>;
  /** Derived from `manifest.streams` at registration; ingest validates against this list. */
  streams: ManifestStream[];
  registered_at: string;
  /** Every registration that changed the stored manifest, oldest first. */
  history: Array<{ version: string | null; registered_at: string; reason: 'created' | 'version_changed' | 'manifest_changed' }>;
}

/** `{since?, source_roots?}`, normalized; `null` is a declared full pass. */
export interface CollectionScope {
  since?: string;
  source_roots?: string[];
}

export interface EnrollmentCodeEntry {
  code_hash: string;
  connector_id: string;
  local_binding_name: string;
  display_name: string | null;
  /** The boundary the owner declared when minting, or null. */
  collection_scope: CollectionScope | null;
  created_at: string;
  expires_at: string;
  /** `revoked`: it expired while pending (the server then treats it as unknown). */
  status: 'pending' | 'consumed' | 'revoked';
  device_id: string | null;
}

export interface DeviceEntry {
  device_id: string;
  /** `device_label`, else the code's display name, else the binding name. */
  display_name: string;
  /** Hash of the one active token; rotating it makes the old token answer 401. */
  token_hash: string;
  status: 'active' | 'revoked';
  created_at: string;
  token_issued_at: string;
  revoked_at: string | null;
}

export type SourceKind = 'browser_collector' | 'local_device';

export interface SourceInstanceEntry {
  source_instance_id: string;
  device_id: string;
  connector_id: string;
  local_binding_name: string;
  connector_instance_id: string;
  source_kind: SourceKind;
  /** The enrollment code's display name, or null. */
  display_name: string | null;
  status: 'active' | 'revoked';
  created_at: string;
  revoked_at: string | null;
}

export interface ConnectorInstanceEntry {
  connector_instance_id: string;
  connector_id: string;
  local_binding_name: string;
  source_kind: SourceKind;
  display_name: string;
  status: 'active' | 'revoked';
  /** The binding of the latest enrollment (the server's `source_binding`). */
  device_id: string;
  source_instance_id: string;
  created_at: string;
  updated_at: string;
  revoked_at: string | null;
}

export interface StoredRecord {
  stream: string;
  /** Single key: the key string. Compound key: minified JSON array string. */
  record_id: string;
  data: Record<string, unknown>;
  emitted_at: string | null;
  /** Bumped only when data actually changes (an equal upsert is a no-op). */
  version: number;
  /** The batch that last changed this record. */
  batch_id: string;
}

export interface AcceptedBatch {
  device_id: string;
  batch_id: string;
  batch_seq: number;
  body_hash: string;
  source_instance_id: string;
  connector_instance_id: string;
  connector_id: string;
  record_count: number;
  /** 1-based acceptance order across the whole receiver. */
  order: number;
  accepted_at: string;
  /** The exact 201 body, replayed on an identical resend (it carries no request id). */
  response: string;
}

export interface HeartbeatEntry {
  device_id: string;
  received_at: string;
  agent_version: string | null;
  last_error: unknown;
  /** The entries of this heartbeat that named a source instance, in order. */
  source_instances: Array<{
    source_instance_id: string;
    /** Whatever the collector sent (the server does not check it), or null. */
    status: string | null;
    records_pending: number | null;
    last_error: unknown;
    outbox: unknown;
  }>;
}

export interface CursorEntry {
  /** Per-stream cursors plus the server-written `$collection_scope`. */
  state: Record<string, unknown>;
  /** When the newest entry was written. */
  updated_at: string;
}

export interface LogEntry {
  at: string;
  method: string;
  path: string;
  status: number;
  request_id: string;
}

export interface ReceiverState {
  connectors: Map<string, ConnectorEntry>;
  /** Keyed by sha256 of the code. */
  enrollmentCodes: Map<string, EnrollmentCodeEntry>;
  devices: Map<string, DeviceEntry>;
  sourceInstances: Map<string, SourceInstanceEntry>;
  connectorInstances: Map<string, ConnectorInstanceEntry>;
  /** connector_instance_id → recordSlot(stream, record_id) → record. */
  records: Map<string, Map<string, StoredRecord>>;
  /** batchSlot(device_id, batch_id) → accepted batch (the replay reservation). */
  batches: Map<string, AcceptedBatch>;
  /**
   * connector_instance_id → state. As on the server, state belongs to the
   * connection, not to one enrollment: a later enrollment of the same binding
   * reads the cursors the earlier one wrote.
   */
  cursors: Map<string, CursorEntry>;
  /** device_id → last heartbeat. */
  heartbeats: Map<string, HeartbeatEntry>;
  /** Every request, in arrival order. Not persisted. Never holds tokens. */
  requestLog: LogEntry[];
}

export function emptyState(): ReceiverState {
  return {
    connectors: new Map(),
    enrollmentCodes: new Map(),
    devices: new Map(),
    sourceInstances: new Map(),
    connectorInstances: new Map(),
    records: new Map(),
    batches: new Map(),
    cursors: new Map(),
    heartbeats: new Map(),
    requestLog: [],
  };
}

/** Map key for a record inside one connector instance; JSON so no separator can collide. */
export function recordSlot(stream: string, recordId: string): string {
  return JSON.stringify([stream, recordId]);
}

/** Map key for a batch: batch ids are unique per device. */
export function batchSlot(deviceId: string, batchId: string): string {
  return JSON.stringify([deviceId, batchId]);
}

/** All records of one connector instance (or of all, when omitted), in a stable order. */
export function listRecords(
  state: ReceiverState,
  connectorInstanceId?: string,
): Array<StoredRecord & { connector_instance_id: string }> {
  const out: Array<StoredRecord & { connector_instance_id: string }> = [];
  for (const [cin, byKey] of state.records) {
    if (connectorInstanceId !== undefined && cin !== connectorInstanceId) continue;
    for (const record of byKey.values()) out.push({ connector_instance_id: cin, ...record });
  }
  return out.sort(
    (a, b) =>
      compare(a.connector_instance_id, b.connector_instance_id) ||
      compare(a.stream, b.stream) ||
      compare(a.record_id, b.record_id),
  );
}

/** Accepted batches in acceptance order. */
export function listBatches(state: ReceiverState): AcceptedBatch[] {
  return [...state.batches.values()].sort((a, b) => a.order - b.order);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------
// Persistence: the whole state (minus the request log) as one JSON document,
// rewritten atomically after every accepted change, so a test can kill and
// restart the receiver and still see accepted data and replay reservations.
// ---------------------------------------------------------------------------

const FORMAT = 'gleaner-test-receiver/2';

interface PersistedState {
  format: typeof FORMAT;
  connectors: Array<[string, ConnectorEntry]>;
  enrollmentCodes: Array<[string, EnrollmentCodeEntry]>;
  devices: Array<[string, DeviceEntry]>;
  sourceInstances: Array<[string, SourceInstanceEntry]>;
  connectorInstances: Array<[string, ConnectorInstanceEntry]>;
  records: Array<[string, Array<[string, StoredRecord]>]>;
  batches: Array<[string, AcceptedBatch]>;
  cursors: Array<[string, CursorEntry]>;
  heartbeats: Array<[string, HeartbeatEntry]>;
}

export function saveState(state: ReceiverState, file: string): void {
  const persisted: PersistedState = {
    format: FORMAT,
    connectors: [...state.connectors],
    enrollmentCodes: [...state.enrollmentCodes],
    devices: [...state.devices],
    sourceInstances: [...state.sourceInstances],
    connectorInstances: [...state.connectorInstances],
    records: [...state.records].map(([cin, byKey]) => [cin, [...byKey]]),
    batches: [...state.batches],
    cursors: [...state.cursors],
    heartbeats: [...state.heartbeats],
  };
  // Write-then-rename so a crash mid-write never leaves a truncated file.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(persisted));
  renameSync(temp, file);
}

/** Load a data file into a fresh state; a missing file is an empty receiver. */
export function loadState(file: string): ReceiverState {
  const state = emptyState();
  if (!existsSync(file)) return state;
  const persisted = JSON.parse(readFileSync(file, 'utf8')) as PersistedState;
  if (persisted.format !== FORMAT) {
    throw new Error(`${file} is not a ${FORMAT} data file (older receiver data files cannot be read; delete it)`);
  }
  state.connectors = new Map(persisted.connectors);
  state.enrollmentCodes = new Map(persisted.enrollmentCodes);
  state.devices = new Map(persisted.devices);
  state.sourceInstances = new Map(persisted.sourceInstances);
  state.connectorInstances = new Map(persisted.connectorInstances);
  state.records = new Map(persisted.records.map(([cin, entries]) => [cin, new Map(entries)]));
  state.batches = new Map(persisted.batches);
  state.cursors = new Map(persisted.cursors);
  state.heartbeats = new Map(persisted.heartbeats);
  return state;
}
