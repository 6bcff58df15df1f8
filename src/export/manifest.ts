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
 *
 * What the real reference server enforces (see docs/EXPORT.md § Manifests):
 * a key no first-party manifest uses (the server re-registers its own
 * `amazon`, `reddit`, … at every boot), an absolute `manifest_uri`, per-stream
 * `semantics` and `selection`, and a cursor field declared as a `date` or
 * `date-time` string (nullable as `type: [string, null]`, not `anyOf`).
 */
import { z } from 'zod';
import type { ConnectorDefinition, StreamDefinition } from '../connectors/types';
import { AcquisitionMethod, BatchCounts, BatchWarning, CoverageClaim, Provenance } from '../core/model';
import { sha256Hex } from '../core/hash';
import { canonicalJson } from './canonical-json';

export const MANIFEST_PROTOCOL_VERSION = '0.1.0';
/** The extra stream that carries batch receipts. */
export const RECEIPT_STREAM = 'acquisition_batches';

/**
 * Gleaner's own connector key on the server for one of its connectors. Never a
 * first-party key: the server overwrites those with its shipped manifests at
 * every boot, and its `amazon` declares no `acquisition_batches`.
 */
export function serverConnectorKey(connector: Pick<ConnectorDefinition, 'key'>): string {
  return `gleaner-${connector.key}`;
}

/** Cursor formats the reference server's records path supports for a string cursor. */
const CURSOR_FORMATS = new Set(['date', 'date-time']);

/** One batch receipt as exported: the shape of every `acquisition_batches` record's data. */
export const ExportedReceipt = z.object({
  batch_id: z.string(),
  method: AcquisitionMethod,
  provenance: Provenance,
  coverage: z.array(CoverageClaim),
  counts: BatchCounts,
  warnings: z.array(BatchWarning),
  received_at: z.iso.datetime({ offset: true }),
  data_as_of: z.iso.datetime({ offset: true }),
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
  /** Every field and resource may be selected (what first-party manifests declare). */
  selection: { fields: true; resources: true };
  incremental: boolean;
  coverage_strategy: string;
  freshness_strategy: string;
}

export interface ConnectorManifest {
  protocol_version: string;
  connector_key: string;
  connector_id: string;
  /** An absolute URI naming this manifest (the server's SourceDeclaration requires one). */
  manifest_uri: string;
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
  return nullableAsTypeList(rest) as Record<string, unknown>;
}

/**
 * zod writes a nullable field as `anyOf: [X, {type: "null"}]`; the reference
 * server reads a cursor only as `type: [X's type, "null"]`. Rewritten
 * everywhere (same meaning), so every field reads the same way.
 */
function nullableAsTypeList(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableAsTypeList);
  if (!node || typeof node !== 'object') return node;
  const entries = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, nullableAsTypeList(value)]));
  const anyOf = entries.anyOf as Record<string, unknown>[] | undefined;
  if (Array.isArray(anyOf) && anyOf.length === 2) {
    const nonNull = anyOf.find((branch) => branch.type !== 'null');
    const hasNull = anyOf.some((branch) => branch.type === 'null' && Object.keys(branch).length === 1);
    if (nonNull && hasNull && typeof nonNull.type === 'string') {
      const { anyOf: _anyOf, ...others } = entries;
      return { ...others, ...nonNull, type: [nonNull.type, 'null'] };
    }
  }
  return entries;
}

/** Throws unless the cursor field is declared the way the server's records path requires. */
function assertCursorDeclared(stream: ManifestStream): void {
  if (!stream.cursor_field) return;
  const property = (stream.schema.properties as Record<string, { type?: unknown; format?: unknown }> | undefined)?.[stream.cursor_field];
  const types = property ? (Array.isArray(property.type) ? property.type : [property.type]) : [];
  const numeric = types.every((type) => type === 'integer' || type === 'number' || type === 'null') && types.some((type) => type !== 'null');
  const dated = types.every((type) => type === 'string' || type === 'null') && types.includes('string') && CURSOR_FORMATS.has(String(property?.format));
  if (!numeric && !dated) throw new Error(`Stream '${stream.name}' cursor_field '${stream.cursor_field}' must be a date or date-time string (or a number) in its schema.`);
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
    selection: { fields: true, resources: true },
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
    selection: { fields: true, resources: true },
    incremental: true,
    coverage_strategy: 'snapshot_import_receipt',
    freshness_strategy: 'manual_as_of',
  };
}

/** The stream part of a manifest, whose hash is the manifest version. */
export function manifestStreams(connector: ConnectorDefinition): ManifestStream[] {
  const streams = [...connector.streams.map((stream) => manifestStream(connector, stream)), receiptStream()];
  streams.forEach(assertCursorDeclared);
  return streams;
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
  const key = serverConnectorKey(connector);
  return {
    protocol_version: MANIFEST_PROTOCOL_VERSION,
    connector_key: key,
    // The reference server requires a custom connector's id to equal its key (a slug, never a URL).
    connector_id: key,
    // Names the manifest without claiming a web address Gleaner does not serve.
    manifest_uri: `urn:gleaner:connector:${connector.key}`,
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
