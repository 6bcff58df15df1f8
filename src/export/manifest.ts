/**
 * PDPP connector manifests, generated from Gleaner's connector definitions.
 *
 * Each stream's JSON Schema comes from the same zod schema that validates the
 * stream's records on arrival (`z.toJSONSchema`), so the manifest cannot drift
 * from what Gleaner stores. Every manifest also declares `acquisition_batches`,
 * the stream that carries batch receipts (method, provenance, coverage claims,
 * counts), because the device route has no field for them.
 *
 * The manifest `version` is derived from a hash of the stream declarations:
 * it changes only when the streams change, so re-registering an unchanged
 * manifest never invalidates grants on the server.
 */
import { z } from 'zod';
import type { ConnectorDefinition, StreamDefinition } from '../connectors/types';
import { AcquisitionMethod, BatchCounts, BatchWarning, CoverageClaim, Provenance } from '../core/model';
import { sha256Hex } from '../core/hash';
import { canonicalJson } from './canonical-json';

export const MANIFEST_PROTOCOL_VERSION = '0.1.0';
/** The extra stream that carries batch receipts. */
export const RECEIPT_STREAM = 'acquisition_batches';

/** One batch receipt as exported: the shape of every `acquisition_batches` record's data. */
export const ExportedReceipt = z.object({
  batch_id: z.string(),
  method: AcquisitionMethod,
  provenance: Provenance,
  coverage: z.array(CoverageClaim),
  counts: BatchCounts,
  warnings: z.array(BatchWarning),
  received_at: z.string(),
  data_as_of: z.string(),
  event_range: z.object({ start: z.string(), end: z.string() }).nullable().optional(),
  recapture_count: z.number().int().nonnegative(),
});
export type ExportedReceipt = z.infer<typeof ExportedReceipt>;

export interface ManifestStream {
  name: string;
  description: string;
  schema: Record<string, unknown>;
  primary_key: string[];
  cursor_field?: string;
  semantics: 'append_only' | 'mutable_state';
  incremental: boolean;
  coverage_strategy: string;
  freshness_strategy: string;
}

export interface ConnectorManifest {
  protocol_version: string;
  connector_key: string;
  connector_id: string;
  version: string;
  display_name: string;
  description: string;
  runtime_requirements: { bindings: { browser: { required: true; hosts: string[]; matches: string[] } } };
  streams: ManifestStream[];
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  // The `$schema` dialect marker is noise inside a manifest; everything else is kept.
  const { $schema: _dialect, ...rest } = generated;
  return rest;
}

/** A connector's record stream as a manifest stream. */
export function manifestStream(connector: ConnectorDefinition, stream: StreamDefinition): ManifestStream {
  const methods = [connector.artifactParsers.length > 0 ? 'exports you upload' : '', 'pages you visit'].filter(Boolean);
  return {
    name: stream.name,
    description: `${stream.displayName} from ${connector.displayName}, merged from ${methods.join(' and ')}.`,
    schema: jsonSchemaOf(stream.schema),
    primary_key: [...stream.primaryKey],
    cursor_field: stream.eventTimeField,
    // Records change as later pages and exports add detail (status, precise times): mutable, upserted by key.
    semantics: 'mutable_state',
    incremental: true,
    // Page captures claim event-time windows; uploads carry their own receipt (see acquisition_batches).
    coverage_strategy: 'checkpoint_window',
    freshness_strategy: 'manual_as_of',
  };
}

export function receiptStream(): ManifestStream {
  return {
    name: RECEIPT_STREAM,
    description: 'Receipts of every page capture and uploaded export: how the records were acquired, what they covered, and what was counted.',
    schema: jsonSchemaOf(ExportedReceipt),
    primary_key: ['batch_id'],
    cursor_field: 'received_at',
    semantics: 'append_only',
    incremental: true,
    coverage_strategy: 'snapshot_import_receipt',
    freshness_strategy: 'manual_as_of',
  };
}

/** The stream part of a manifest, whose hash is the manifest version. */
export function manifestStreams(connector: ConnectorDefinition): ManifestStream[] {
  return [...connector.streams.map((stream) => manifestStream(connector, stream)), receiptStream()];
}

/**
 * `1.0.0-s<12 hex>`: a valid semver whose pre-release part hashes what the
 * server relies on in each stream (name, schema, keys, cursor, semantics,
 * strategies). Wording (descriptions, display names) is left out, so only a
 * real change of the streams moves the version.
 */
export async function manifestVersion(streams: ManifestStream[]): Promise<string> {
  const essentials = streams.map(({ description: _wording, ...stream }) => stream);
  return `1.0.0-s${(await sha256Hex(canonicalJson(essentials))).slice(0, 12)}`;
}

export async function buildManifest(connector: ConnectorDefinition): Promise<ConnectorManifest> {
  const streams = manifestStreams(connector);
  return {
    protocol_version: MANIFEST_PROTOCOL_VERSION,
    connector_key: connector.key,
    // The reference server requires a custom connector's id to equal its key.
    connector_id: connector.key,
    version: await manifestVersion(streams),
    display_name: connector.displayName,
    description: `${connector.displayName} records kept by Gleaner, a browser extension.`,
    runtime_requirements: { bindings: { browser: { required: true, hosts: [...connector.hosts], matches: [...connector.matches] } } },
    streams,
  };
}

export async function buildManifests(connectors: readonly ConnectorDefinition[]): Promise<ConnectorManifest[]> {
  return Promise.all(connectors.map(buildManifest));
}
