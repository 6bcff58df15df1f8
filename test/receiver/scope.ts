/**
 * Collection scope at enrollment, as the reference server handles it
 * (`enrollment-scope-narrowing.ts`, `@pdpp/reference-contract/evidence`):
 *
 * - the owner may declare a scope when minting a code; a device may offer one
 *   when enrolling (`collection_scope`: omitted, `null`, `{}`, `{since?, source_roots?}`);
 * - omitted and nothing declared → the default, the last 30 days; `null` or `{}`
 *   → a declared full pass; a device may only narrow what the owner declared;
 * - the result is written into the connection's state as `$collection_scope`
 *   `{declared_at, fingerprint, scope}`, next to the collector's own cursors.
 */
import type { CollectionScope } from './state.ts';

export const COLLECTION_SCOPE_STATE_KEY = '$collection_scope';
const DEFAULT_UNDECLARED_SCOPE_DAYS = 30;

export type ScopeRequest = { kind: 'unspecified' } | { kind: 'declared'; scope: CollectionScope | null };

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** `parseDeviceScopeRequest`: the same rules for the owner's mint and the device's enroll. */
export function parseScopeRequest(value: unknown): Parsed<ScopeRequest> {
  if (value === undefined) return { ok: true, value: { kind: 'unspecified' } };
  if (value === null) return { ok: true, value: { kind: 'declared', scope: null } };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: 'collection_scope must be an object' };
  const body = value as Record<string, unknown>;

  let since: string | undefined;
  if (body.since !== undefined && body.since !== null) {
    if (typeof body.since !== 'string' || !body.since.trim()) {
      return { ok: false, message: 'collection_scope.since must be a non-empty ISO-8601 string' };
    }
    if (Number.isNaN(Date.parse(body.since.trim()))) {
      return { ok: false, message: `collection_scope.since is not a parseable instant: ${body.since}` };
    }
    since = body.since.trim();
  }

  let roots: string[] | undefined;
  if (body.source_roots !== undefined && body.source_roots !== null) {
    if (!Array.isArray(body.source_roots)) return { ok: false, message: 'collection_scope.source_roots must be an array of strings' };
    const collected: string[] = [];
    for (const root of body.source_roots) {
      if (typeof root !== 'string' || !root.trim()) {
        return { ok: false, message: 'collection_scope.source_roots entries must be non-empty strings' };
      }
      collected.push(root.trim());
    }
    if (collected.length > 0) roots = collected;
  }

  if (since === undefined && roots === undefined) return { ok: true, value: { kind: 'declared', scope: null } };
  return { ok: true, value: { kind: 'declared', scope: { ...(since ? { since } : {}), ...(roots ? { source_roots: roots } : {}) } } };
}

/** Canonical form, or null when it declares no boundary. */
export function normalizeScope(scope: CollectionScope | null | undefined): CollectionScope | null {
  if (!scope) return null;
  const since = typeof scope.since === 'string' && scope.since.trim() && !Number.isNaN(Date.parse(scope.since.trim())) ? scope.since.trim() : null;
  const roots = Array.isArray(scope.source_roots)
    ? [...new Set(scope.source_roots.filter((root) => typeof root === 'string' && root.trim()).map((root) => root.trim()))].sort()
    : [];
  if (!since && roots.length === 0) return null;
  return { ...(since ? { since } : {}), ...(roots.length > 0 ? { source_roots: roots } : {}) };
}

export function scopeFingerprint(scope: CollectionScope | null | undefined): string {
  const normalized = normalizeScope(scope);
  if (!normalized) return 'unscoped';
  const parts: string[] = [];
  if (normalized.since) parts.push(`since=${normalized.since}`);
  if (normalized.source_roots?.length) parts.push(`roots=${normalized.source_roots.join(',')}`);
  return parts.join(';');
}

function segments(value: string): string[] {
  const resolved: string[] = [];
  for (const part of value.split(/[\\/]/).filter((p) => p.length > 0 && p !== '.')) {
    if (part === '..') resolved.pop();
    else resolved.push(part);
  }
  return resolved;
}

function pathIsWithinOrEqual(bound: string, candidate: string): boolean {
  const boundParts = segments(bound);
  if (boundParts.length === 0) return true;
  const candidateParts = segments(candidate);
  return candidateParts.length >= boundParts.length && boundParts.every((part, i) => part === candidateParts[i]);
}

/** `resolveEffectiveEnrollmentScope`: default-to-recent, honour as-is, or narrow only. */
export function resolveEnrollmentScope(
  device: ScopeRequest,
  now: string,
  serverDeclared: CollectionScope | null | undefined,
): { accepted: true; effective: CollectionScope | null } | { accepted: false; reason: string } {
  const server = normalizeScope(serverDeclared);
  if (device.kind === 'unspecified') {
    return { accepted: true, effective: server ?? { since: new Date(Date.parse(now) - DEFAULT_UNDECLARED_SCOPE_DAYS * 86_400_000).toISOString() } };
  }
  const offered = normalizeScope(device.scope);
  if (!server) return { accepted: true, effective: offered };
  if (!offered) {
    return {
      accepted: false,
      reason:
        'the device requested an unscoped (all-history) pass, but the server has already declared a boundary ' +
        `(${scopeFingerprint(server)}); a device may only narrow, never widen, a declared boundary`,
    };
  }
  const sinceOk = server.since === undefined || (offered.since !== undefined && Date.parse(offered.since) >= Date.parse(server.since));
  const rootsOk =
    !server.source_roots?.length ||
    (!!offered.source_roots?.length && offered.source_roots.every((root) => server.source_roots!.some((bound) => pathIsWithinOrEqual(bound, root))));
  if (!(sinceOk && rootsOk)) {
    return {
      accepted: false,
      reason: `the offered scope (${scopeFingerprint(offered)}) is wider than the server-declared boundary (${scopeFingerprint(server)}); a device may only narrow, never widen, a declared boundary`,
    };
  }
  return { accepted: true, effective: offered };
}

/** The `$collection_scope` state entry the server writes at enrollment. */
export function storedScope(scope: CollectionScope | null, declaredAt: string): { declared_at: string; fingerprint: string; scope: CollectionScope | null } {
  const normalized = normalizeScope(scope);
  return { declared_at: declaredAt, fingerprint: scopeFingerprint(normalized), scope: normalized };
}
