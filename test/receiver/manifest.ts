/**
 * `POST /connectors` manifest checks, as the reference server makes them
 * (`as-polyfill-connector-register`, `validateConnectorManifest`,
 * `normalizeConnectorManifestForStorage` and its SourceDeclaration projection),
 * in the server's order and with its sentences. Only the checks a collector's
 * manifest can plausibly trip are reproduced; the rest of the server's
 * validator (views, query capabilities, refresh policy, icons…) is not.
 *
 * Two kinds of refusal, as on the server:
 * - 400 `invalid_request` for the manifest rules;
 * - 500 `source.declaration_invalid` (type `api_error`) when a manifest that
 *   carries `connector_id` cannot be projected into a SourceDeclaration
 *   (absolute `manifest_uri`, per-stream `semantics` and `selection`).
 */
import { createHash } from 'node:crypto';
import { badRequest, HttpError } from './http.ts';
import type { ManifestStream } from './state.ts';

/** Keys the server resolves to a canonical first-party or native key (generated/connector-registry.generated.ts). */
const FIRST_PARTY_KEYS = new Set([
  'amazon', 'anthropic', 'apple_contacts', 'apple-health', 'apple-photos', 'chase', 'chatgpt', 'claude-code', 'codex',
  'doordash', 'github', 'gmail', 'google-calendar', 'google-contacts', 'google-maps', 'google-maps-data-portability',
  'google-messages', 'google-takeout', 'groupme', 'heb', 'ical', 'imessage', 'jellyfin', 'linkedin', 'loom', 'meta',
  'netflix-export', 'notion', 'oura', 'pocket', 'reddit', 'shopify', 'slack', 'spotify', 'steam', 'strava',
  'twitter-archive', 'uber', 'usaa', 'venmo', 'whatsapp', 'wholefoods', 'whoop', 'ynab', 'northstar_hr_native',
]);
const LEGACY_ALIASES: Record<string, string> = {
  apple_photos: 'apple-photos',
  claude_code: 'claude-code',
  google_messages: 'google-messages',
  google_takeout: 'google-takeout',
};
const REGISTRY_PREFIX = 'https://registry.pdpp.dev/connectors/';
const CONNECTOR_KEY = /^[a-z0-9][a-z0-9._-]*$/;

const BINDINGS = new Set(['browser', 'filesystem', 'interactive', 'network']);
const COVERAGE_POLICIES = ['collect', 'deferred', 'inventory_only', 'unavailable', 'unsupported'];
const COVERAGE_STRATEGIES = ['checkpoint_window', 'full_inventory', 'parent_detail_accounting', 'snapshot_import_receipt', 'singleton_presence'];
const FRESHNESS_STRATEGIES = ['device_heartbeat', 'manual_as_of', 'not_trackable', 'scheduled_window', 'source_reported_as_of'];
const SEMANTICS = ['append_only', 'mutable_state'];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

/** `canonicalConnectorKey`: a first-party/native key, a legacy alias, or a first-party registry URL; else null. */
export function canonicalConnectorKey(value: unknown): string | null {
  if (!nonEmpty(value)) return null;
  const trimmed = value.trim();
  if (trimmed.startsWith(REGISTRY_PREFIX)) {
    const tail = trimmed.slice(REGISTRY_PREFIX.length).replace(/\/$/, '');
    return tail && !/[/?#]/.test(tail) && FIRST_PARTY_KEYS.has(tail) ? tail : null;
  }
  if (FIRST_PARTY_KEYS.has(trimmed)) return trimmed;
  return LEGACY_ALIASES[trimmed] ?? null;
}

function isConnectorKey(value: unknown): boolean {
  return nonEmpty(value) && CONNECTOR_KEY.test(value.trim()) && !value.trim().startsWith(REGISTRY_PREFIX);
}

function normalizePrimaryKey(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return nonEmpty(value) ? [value] : [];
}

function typeList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === null || value === undefined ? [] : [value];
}

/** `isReferenceCompatibleCursorSchema`: integer, number, or a date/date-time string; nullable variants allowed. */
function isCursorCompatible(schema: unknown): boolean {
  if (!isObject(schema)) return false;
  const nonNull = typeList(schema.type).filter((type) => type !== 'null');
  if (nonNull.length !== 1) return false;
  if (nonNull[0] === 'integer' || nonNull[0] === 'number') return true;
  return nonNull[0] === 'string' && (schema.format === 'date' || schema.format === 'date-time');
}

export interface RegisteredManifest {
  key: string;
  /** The manifest as the server stores it: with `connector_id` and `connector_key` set to the key. */
  stored: Json;
  streams: ManifestStream[];
}

/** Checks a posted manifest; throws the server's refusal or returns what it would store. */
export function checkManifest(body: unknown): RegisteredManifest {
  // The register operation: the body must name a connector at all.
  const named = isObject(body) ? (body.connector_key ?? body.connector_id) : undefined;
  if (typeof named !== 'string' || !named) throw badRequest('Missing connector_key or connector_id');
  const manifest = body as Json;

  checkIdentity(manifest);
  if (nonEmpty(manifest.provider_id)) {
    throw badRequest('Connector registry only accepts connector manifests; provider_id is not allowed');
  }
  if (manifest.storage_binding !== undefined) {
    throw badRequest('Connector registry only accepts connector manifests; storage_binding is not allowed');
  }
  if (!Array.isArray(manifest.streams) || manifest.streams.length === 0) {
    throw badRequest('Connector manifests must include a non-empty streams array');
  }
  checkRuntimeRequirements(manifest.runtime_requirements);
  const seen = new Set<string>();
  for (const stream of manifest.streams) checkStream(stream, seen);

  const key = (isConnectorKey(manifest.connector_key) ? (manifest.connector_key as string).trim() : null) ?? canonicalConnectorKey(manifest.connector_id) ?? manifest.connector_id;
  if (!nonEmpty(key)) throw badRequest('connector_id is required');
  // `normalizeConnectorManifestForStorage`
  const stored: Json = { ...structuredClone(manifest), connector_id: key, connector_key: key };
  if (!stored.manifest_uri && nonEmpty(manifest.connector_id) && manifest.connector_id.trim() !== key) {
    stored.manifest_uri = manifest.connector_id.trim();
  }
  if (nonEmpty(manifest.connector_id) && !isObject(manifest.source_declaration)) {
    stored.source_declaration = sourceDeclaration(stored, nonEmpty(manifest.manifest_uri) ? manifest.manifest_uri.trim() : manifest.connector_id.trim());
  }

  const streams = (manifest.streams as Json[]).map((stream) => ({
    name: stream.name as string,
    primary_key: normalizePrimaryKey(stream.primary_key).filter((field): field is string => typeof field === 'string' && field.length > 0),
  }));
  return { key, stored, streams };
}

function checkIdentity(manifest: Json): void {
  const hasId = nonEmpty(manifest.connector_id);
  const hasKey = nonEmpty(manifest.connector_key);
  if (!hasId && !hasKey) throw badRequest('connector_key or connector_id is required');
  if (hasKey && !isConnectorKey(manifest.connector_key)) {
    throw badRequest('connector_key must be a non-empty slug-like key, not a URL');
  }
  if (hasId && hasKey) {
    const id = (manifest.connector_id as string).trim();
    const key = (manifest.connector_key as string).trim();
    const canonical = canonicalConnectorKey(id);
    if (canonical && canonical !== key) throw badRequest('connector_key must match the canonical key for connector_id');
    if (!canonical && id !== key) {
      throw badRequest('connector_id must match connector_key; use manifest_uri for registry or document provenance');
    }
  }
}

function checkRuntimeRequirements(requirements: unknown): void {
  if (requirements === undefined || requirements === null) return;
  if (!isObject(requirements)) throw badRequest('runtime_requirements must be an object when declared');
  const bindings = requirements.bindings;
  if (bindings === undefined || bindings === null) return;
  if (!isObject(bindings)) throw badRequest('runtime_requirements.bindings must be an object when declared');
  const unknown = Object.keys(bindings).filter((binding) => !BINDINGS.has(binding));
  if (unknown.length) throw badRequest(`runtime_requirements.bindings has unsupported keys: ${unknown.join(', ')}`);
  for (const [binding, requirement] of Object.entries(bindings)) {
    if (!isObject(requirement)) throw badRequest(`runtime_requirements.bindings.${binding} must be an object`);
    if (requirement.required !== undefined && typeof requirement.required !== 'boolean') {
      throw badRequest(`runtime_requirements.bindings.${binding}.required must be a boolean`);
    }
  }
}

function checkStream(raw: unknown, seen: Set<string>): void {
  const stream = (isObject(raw) ? raw : {}) as Json;
  if (!nonEmpty(stream.name)) throw badRequest('Each connector stream must include a non-empty name');
  const name = stream.name;
  if (seen.has(name)) throw badRequest(`Duplicate stream name: ${name}`);
  seen.add(name);

  if (stream.coverage_policy !== undefined && !COVERAGE_POLICIES.includes(stream.coverage_policy as string)) {
    throw badRequest(`Stream '${name}' coverage_policy must be one of: ${COVERAGE_POLICIES.join(', ')}`);
  }
  if (stream.coverage_strategy !== undefined && !COVERAGE_STRATEGIES.includes(stream.coverage_strategy as string)) {
    throw badRequest(`Stream '${name}' coverage_strategy must be one of: ${COVERAGE_STRATEGIES.join(', ')}`);
  }
  if (stream.freshness_strategy !== undefined && !FRESHNESS_STRATEGIES.includes(stream.freshness_strategy as string)) {
    throw badRequest(`Stream '${name}' freshness_strategy must be one of: ${FRESHNESS_STRATEGIES.join(', ')}`);
  }
  if (stream.state_stream !== undefined && stream.parent_streams !== undefined) {
    throw badRequest(`Stream '${name}' must not declare both state_stream and parent_streams`);
  }

  const properties = isObject(stream.schema) ? stream.schema.properties : undefined;
  if (!isObject(properties)) throw badRequest(`Stream '${name}' must include schema.properties`);

  const primaryKey = normalizePrimaryKey(stream.primary_key);
  if (!primaryKey.length || primaryKey.some((field) => !nonEmpty(field))) {
    throw badRequest(`Stream '${name}' must include a non-empty primary_key`);
  }
  const missing = primaryKey.filter((field) => !Object.hasOwn(properties, field as string));
  if (missing.length) throw badRequest(`Stream '${name}' primary_key fields must exist in schema.properties: ${missing.join(', ')}`);

  for (const field of ['cursor_field', 'consent_time_field']) {
    const value = stream[field];
    if (value !== null && value !== undefined && !(typeof value === 'string' && Object.hasOwn(properties, value))) {
      throw badRequest(`Stream '${name}' ${field} must exist in schema.properties`);
    }
  }
  if (typeof stream.cursor_field === 'string' && !isCursorCompatible(properties[stream.cursor_field])) {
    const declared = properties[stream.cursor_field] as Json | undefined;
    throw badRequest(
      `Stream '${name}' cursor_field '${stream.cursor_field}' has an unsupported schema for the reference records path. ` +
        'Supported shapes: integer, number, string with format "date" or "date-time", or the nullable variants of those. ' +
        `Declared: type=${JSON.stringify(declared?.type)}${declared?.format ? ` format="${String(declared.format)}"` : ''}.`,
    );
  }
}

function declarationInvalid(message: string): HttpError {
  // `source.declaration_invalid` has no status mapping on the server: it surfaces as a 500.
  return new HttpError(500, 'source.declaration_invalid', message);
}

function absoluteUri(value: unknown, field: string): void {
  if (!nonEmpty(value)) throw declarationInvalid(`${field} must be a non-empty string`);
  if (!URL.canParse(value)) throw declarationInvalid(`${field} must be an absolute URI`);
}

/** The server's `stableJson`: keys sorted recursively, undefined members dropped. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (isObject(value)) {
    const members = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const STREAM_KEYS = ['consent_time_field', 'cursor_field', 'description', 'display', 'name', 'primary_key', 'query', 'relationships', 'schema', 'semantics', 'views'];

/**
 * The SourceDeclaration a manifest carrying `connector_id` is projected into
 * and stored with (`snapshotContentAddressedSourceDeclarationFromLegacyConnectorManifest`):
 * the attribution and top-level fields are checked first, one at a time; then
 * every stream's `semantics` and `selection {fields, resources}`, all errors at
 * once as the server's JSON Schema validator reports them. Its
 * `declaration_version` is the sha256 of the rest, as on the server.
 */
function sourceDeclaration(manifest: Json, sourceId: string): Json {
  absoluteUri(sourceId, 'sourceId');
  if (!nonEmpty(manifest.version)) throw declarationInvalid('manifest.version must be a non-empty string');
  const implementationId = nonEmpty(manifest.manifest_uri) ? manifest.manifest_uri : sourceId;
  absoluteUri(implementationId, 'connectorImplementationId');
  const streams = manifest.streams as unknown[];
  const malformed = streams.findIndex((stream) => !isObject(stream));
  if (malformed !== -1) throw declarationInvalid(`manifest.streams[${malformed}] must be an object`);
  if (!nonEmpty(manifest.protocol_version)) throw declarationInvalid('manifest.protocol_version must be a non-empty string');
  if (manifest.protocol_version !== '0.1.0') {
    throw declarationInvalid(`manifest.protocol_version must be 0.1.0, received ${manifest.protocol_version}`);
  }
  if (!nonEmpty(manifest.display_name)) throw declarationInvalid('manifest.display_name must be a non-empty string');

  const projected = (streams as Json[]).map((stream) => {
    const out: Json = {};
    for (const key of STREAM_KEYS) if (stream[key] !== undefined) out[key] = structuredClone(stream[key]);
    if (out.semantics === 'append') out.semantics = 'append_only';
    const selection = isObject(stream.selection) ? stream.selection : {};
    out.selection = { fields: selection.fields, resources: selection.resources };
    return out;
  });
  const errors: string[] = [];
  projected.forEach((stream, index) => {
    const selection = stream.selection as Json;
    if (stream.semantics === undefined) errors.push(`/streams/${index} must have required property 'semantics'`);
    else if (typeof stream.semantics !== 'string') errors.push(`/streams/${index}/semantics must be string`);
    else if (!SEMANTICS.includes(stream.semantics)) errors.push(`/streams/${index}/semantics must be equal to one of the allowed values`);
    for (const part of ['fields', 'resources']) {
      if (selection[part] === undefined) errors.push(`/streams/${index}/selection must have required property '${part}'`);
    }
    for (const part of ['fields', 'resources']) {
      if (selection[part] !== undefined && typeof selection[part] !== 'boolean') errors.push(`/streams/${index}/selection/${part} must be boolean`);
    }
  });
  if (errors.length) throw declarationInvalid(`Invalid SourceDeclaration: ${errors.join('; ')}`);

  const runtime = isObject(manifest.runtime_requirements) ? manifest.runtime_requirements : undefined;
  const extension: Json = {
    connector: { id: implementationId, version: manifest.version },
    runtime_requirements: { bindings: structuredClone(runtime?.bindings ?? {}) },
  };
  const capabilities = isObject(manifest.capabilities) ? manifest.capabilities : undefined;
  if (capabilities?.human_interaction !== undefined) extension.capabilities = { human_interaction: structuredClone(capabilities.human_interaction) };
  const incremental = (streams as Json[]).filter((stream) => typeof stream.incremental === 'boolean').map((stream) => ({ incremental: stream.incremental, name: stream.name }));
  if (incremental.length > 0) extension.streams = incremental;
  const content: Json = {
    display: { name: manifest.display_name },
    extensions: { 'https://pdpp.dev/profile/collection': extension },
    protocol_version: manifest.protocol_version,
    publisher: { id: 'https://pdpp.dev/reference-implementation' },
    source: { id: sourceId, kind: 'connector' },
    streams: projected,
  };
  if (Array.isArray(manifest.profiles)) content.selection_presets = structuredClone(manifest.profiles);
  const digest = createHash('sha256').update(stableJson(content)).digest('hex');
  return { declaration_version: `reference.legacy-connector-projection.v1:sha256:${digest}`, ...content };
}
