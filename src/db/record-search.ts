/**
 * The records browser's text search from the `*searchTerms` index (schema v8,
 * issue 13): each search word is one ranged read of the index (the records
 * holding a term that begins with it), so a search reads what it finds, not
 * the connection. A record with parts (an order) also matches by its parts'
 * words (its items' names): a part's identity begins with its record's key
 * and `|`, so the hits of a parts stream name their records.
 *
 * The rarest word chooses the candidates (its hits, and the records its hits
 * are parts of); every word is then checked on the candidates' own terms and
 * their parts' terms. A word held by more than `FIRST_LOOK` records ("the") is
 * not read in full; when every word is that common, each is looked at up to
 * `SEARCH_HIT_LIMIT`, and when every word is more common still the caller
 * scans the window instead (`undefined`).
 */
import type { StreamDefinition } from '../connectors/types';
import { ACQUISITION_METHODS, type StoredRecord } from '../core/model';
import { searchTermsOf, termMask } from '../core/search-terms';
import { matchesMethod, inRange, type MethodFilter } from '../ui/records-filter';
import type { GleanerDatabase } from './database';
import { newestFirst, recordsByIdPrefix, type CountedRecordPage, type RecordPageRequest } from './record-index';

export const SEARCH_HIT_LIMIT = 20_000;
export const FIRST_LOOK = 2_000;

type RecordKey = [string, string, string];

export interface SearchRequest extends RecordPageRequest {
  words: readonly string[];
  method?: MethodFilter;
}

/** The terms of a stored record (computed when a record predates them). */
export function termsOf(definitions: readonly StreamDefinition[], record: StoredRecord): string[] {
  return record.searchTerms ?? searchTermsOf(definitions.find((stream) => stream.name === record.stream), record.data, record.key);
}

function ridsOfKey(definition: StreamDefinition, key: string): string[] {
  return definition.crossMethodIdentity ? [key] : ACQUISITION_METHODS.map((method) => `${method}/${key}`);
}

/** The connection's records holding a term that begins with `word`; undefined when more than `limit` index entries match. */
async function hitsOf(db: GleanerDatabase, connectionId: string, word: string, limit: number): Promise<RecordKey[] | undefined> {
  const keys = (await db.records.where('searchTerms').startsWith(word).limit(limit + 1).primaryKeys()) as RecordKey[];
  if (keys.length > limit) return undefined;
  const seen = new Set<string>();
  return keys.filter((key) => {
    if (key[0] !== connectionId) return false;
    const slot = `${key[1]}\u0000${key[2]}`;
    if (seen.has(slot)) return false;
    seen.add(slot);
    return true;
  });
}

/** The hits of the rarest word, looking at most `FIRST_LOOK` then `limit` index entries per word. */
async function rarestHits(db: GleanerDatabase, connectionId: string, words: readonly string[], limit: number): Promise<RecordKey[] | undefined> {
  for (const look of [Math.min(FIRST_LOOK, limit), limit]) {
    const hits = (await Promise.all(words.map((word) => hitsOf(db, connectionId, word, look)))).filter((found): found is RecordKey[] => found !== undefined);
    if (hits.length > 0) return hits.sort((a, b) => a.length - b.length)[0];
  }
  return undefined;
}

export async function searchByIndex(db: GleanerDatabase, definitions: readonly StreamDefinition[], request: SearchRequest, limit = SEARCH_HIT_LIMIT): Promise<CountedRecordPage | undefined> {
  const { connectionId, words } = request;
  const rarest = await rarestHits(db, connectionId, words, limit);
  if (!rarest) return undefined;
  const wanted = new Set(request.streams);
  const full = (1 << words.length) - 1;
  const definition = (name: string) => definitions.find((stream) => stream.name === name);
  /** Part stream → the streams whose parts it holds. */
  const ownersOf = new Map<string, StreamDefinition[]>();
  for (const owner of definitions) if (owner.parts && wanted.has(owner.name)) ownersOf.set(owner.parts.stream, [...(ownersOf.get(owner.parts.stream) ?? []), owner]);
  const counts = (record: StoredRecord) => (request.includeTombstoned || !record.tombstone) && inRange(record.eventTime, request.from, request.to);

  const hitRecords = (await db.records.bulkGet(rarest)).filter((record): record is StoredRecord => !!record);

  // Candidates: hits of a searched stream, and the records whose parts are hits.
  const candidates = new Map<string, StoredRecord>();
  const ownerKeys: RecordKey[] = [];
  for (const record of hitRecords) {
    if (wanted.has(record.stream)) candidates.set(`${record.stream}\u0000${record.rid}`, record);
    for (const owner of ownersOf.get(record.stream) ?? []) {
      if (!counts(record)) continue;
      const ownerKey = record.data[owner.parts!.field];
      if (typeof ownerKey !== 'string' && typeof ownerKey !== 'number') continue;
      for (const rid of ridsOfKey(owner, String(ownerKey))) if (!candidates.has(`${owner.name}\u0000${rid}`)) ownerKeys.push([connectionId, owner.name, rid]);
    }
  }
  for (const record of await db.records.bulkGet(ownerKeys)) if (record) candidates.set(`${record.stream}\u0000${record.rid}`, record);

  // Every candidate owner's parts, for the words they hold (visible ones, inside the window, as the scan counts them).
  const partMasks = new Map<string, number>();
  for (const [partStream, owners] of ownersOf) {
    for (const owner of owners) {
      const mine = [...candidates.values()].filter((record) => record.stream === owner.name);
      if (mine.length === 0) continue;
      const partDefinition = definition(partStream);
      const prefixes = mine.flatMap((record) => (partDefinition?.crossMethodIdentity ? [`${record.key}|`] : ACQUISITION_METHODS.map((method) => `${method}/${record.key}|`)));
      for (const part of await recordsByIdPrefix(db, connectionId, partStream, prefixes)) {
        if (!counts(part)) continue;
        const ownerKey = part.data[owner.parts!.field];
        if (typeof ownerKey !== 'string' && typeof ownerKey !== 'number') continue;
        const slot = `${owner.name}\u0000${String(ownerKey)}`;
        partMasks.set(slot, (partMasks.get(slot) ?? 0) | termMask(words, termsOf(definitions, part)));
      }
    }
  }

  const byStream: Record<string, number> = Object.fromEntries(request.streams.map((stream) => [stream, 0]));
  const found: StoredRecord[] = [];
  for (const record of candidates.values()) {
    if (!counts(record) || !matchesMethod(record.methods, request.method)) continue;
    const own = termMask(words, termsOf(definitions, record));
    const parts = partMasks.get(`${record.stream}\u0000${record.key}`) ?? 0;
    if (((own | parts) & full) !== full) continue;
    byStream[record.stream] = (byStream[record.stream] ?? 0) + 1;
    found.push(record);
  }
  found.sort(newestFirst);
  return { total: found.length, byStream, records: found.slice(request.offset, request.offset + request.limit) };
}
