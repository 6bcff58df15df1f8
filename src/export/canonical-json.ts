/**
 * Canonical JSON and the PDPP device-batch body hash.
 *
 * The PDPP device-collector protocol (docs: /work/shared/pdpp-collector-protocol.md)
 * requires `body_hash` = lowercase hex sha256 of the canonical JSON of the batch's
 * `records` array, where canonical JSON is `JSON.stringify` with object keys sorted
 * recursively and `undefined` members dropped, array order kept.
 *
 * Pure and dependency-free on purpose: it runs in the extension's service worker,
 * in the Node test receiver (run with type stripping, so no extension-less local
 * imports) and in unit tests.
 */

/**
 * `JSON.stringify(value)` with object keys sorted recursively.
 *
 * Everything except key order follows JSON.stringify exactly: `toJSON` is honoured
 * (Dates become ISO strings), `undefined`/functions/symbols are dropped from objects
 * and become `null` inside arrays, non-finite numbers become `null`, BigInt throws.
 *
 * The string is built by hand rather than by rebuilding sorted objects and calling
 * JSON.stringify, because JS objects always enumerate integer-like keys ("2", "10")
 * in numeric order first, which would silently undo a lexicographic sort.
 * Keys are sorted by UTF-16 code units (the default `Array.prototype.sort` order).
 *
 * Returns `undefined` (like JSON.stringify) only when the top-level value itself is
 * not serialisable; typed as string because callers always pass data.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, '', new Set()) as string;
}

/** Lowercase hex sha256 of `canonicalJson(records)`: the batch `body_hash`. */
export async function bodyHash(records: unknown[]): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(records));
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Serialise one value; `undefined` means "omit" (object member) or "null" (array slot). */
function serialize(input: unknown, key: string, stack: Set<object>): string | undefined {
  const value = applyToJSON(input, key);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint': // JSON.stringify throws a TypeError for BigInt; so do we.
      return JSON.stringify(value);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  const object = value as object;
  // Boxed primitives (new String('x')) serialise as their primitive, as in JSON.stringify.
  if (object instanceof String || object instanceof Number || object instanceof Boolean) {
    return JSON.stringify(object);
  }
  if (stack.has(object)) throw new TypeError('canonicalJson: converting circular structure to JSON');
  stack.add(object);
  try {
    return Array.isArray(object) ? serializeArray(object, stack) : serializeObject(object, stack);
  } finally {
    stack.delete(object);
  }
}

function serializeArray(array: readonly unknown[], stack: Set<object>): string {
  const parts: string[] = [];
  for (let index = 0; index < array.length; index++) {
    parts.push(serialize(array[index], String(index), stack) ?? 'null');
  }
  return `[${parts.join(',')}]`;
}

function serializeObject(object: object, stack: Set<object>): string {
  const record = object as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = serialize(record[key], key, stack);
    if (member !== undefined) parts.push(`${JSON.stringify(key)}:${member}`);
  }
  return `{${parts.join(',')}}`;
}

function applyToJSON(value: unknown, key: string): unknown {
  if (value !== null && (typeof value === 'object' || typeof value === 'bigint')) {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toJSON.call(value, key);
  }
  return value;
}
