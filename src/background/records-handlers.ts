/**
 * The records browser's read (`records.query`): a connection's records in the
 * service's nouns, searched across every kind at once, each record with its
 * parts (an order's items). Browser-free; see docs/MESSAGES.md for its cost.
 */
import type { GleanerDatabase } from '../db/database';
import type { ConnectorDefinition, RecordView, StreamDefinition } from '../connectors/types';
import { ACQUISITION_METHODS, type StoredRecord } from '../core/model';
import type { ParsedRequestOf } from '../messages/protocol';
import { allWords, matchesFilter } from '../ui/records-filter';
import { queryWords, termMask } from '../core/search-terms';
import { searchByIndex, termsOf } from '../db/record-search';
import { countVisibleByStream, pageRecordsByStream, recordsByIdPrefix, scanRecordsByStream, streamsOf, type CountedRecordPage } from '../db/record-index';
import { partnersOf, probablePairsOf } from './probable-pairs';
import { probableSentence } from '../ui/probable-words';

/**
 * A record for the records browser: `summary` is its stream's `describe()`,
 * `view` its `present()` (the service's nouns), and `parts` (for a stream
 * with parts, e.g. an order) the visible records that are its parts.
 */
export type LabelledRecord = StoredRecord & { summary: string; view: RecordView; parts?: LabelledRecord[]; probable?: ProbablePartner };

/** A record of another method that is probably the same event (shown side by side, never merged). */
export interface ProbablePartner {
  /** Why, in owner words ("same video, watched on the same day"). */
  reason: string;
  partner: LabelledRecord;
}

/** A stream in the owner's words: its nouns and field labels. */
export interface StreamWords {
  displayName: string;
  one: string;
  other: string;
  fieldLabels: Record<string, string>;
}

export interface RecordsQueryReply {
  total: number;
  /** How many match, per stream searched (every stream of the connection unless one was chosen), in the connector's order. */
  counts: { stream: string; total: number }[];
  /** Every stream of the connection's connector, by name. */
  streams: Record<string, StreamWords>;
  records: LabelledRecord[];
}

/** A connector's streams' nouns: `ownerCopy.streamNouns`, else the display name. */
export function nounsOf(connector: ConnectorDefinition): Record<string, { one: string; other: string }> {
  const nouns: Record<string, { one: string; other: string }> = {};
  for (const stream of connector.streams) nouns[stream.name] = { one: stream.displayName.toLowerCase(), other: stream.displayName.toLowerCase() };
  return { ...nouns, ...connector.ownerCopy?.streamNouns };
}

/** Every stream of a connector in the owner's words: nouns (`ownerCopy.streamNouns`) and field labels. */
function streamWords(connector: ConnectorDefinition | undefined): Record<string, StreamWords> {
  if (!connector) return {};
  const nouns = nounsOf(connector);
  return Object.fromEntries(
    connector.streams.map((stream) => [stream.name, { displayName: stream.displayName, one: nouns[stream.name]!.one, other: nouns[stream.name]!.other, fieldLabels: stream.fieldLabels ?? {} }]),
  );
}

/**
 * The visible parts (an order's items) of a page's records whose stream has
 * parts, in one indexed read per parts stream: a part's identity begins with
 * its record's key and `|`, so the page's records give the key ranges.
 */
async function pageParts(db: GleanerDatabase, definitions: readonly StreamDefinition[], records: readonly StoredRecord[], includeTombstoned: boolean): Promise<Map<StoredRecord, StoredRecord[]>> {
  const found = new Map<StoredRecord, StoredRecord[]>();
  for (const owner of definitions) {
    if (!owner.parts) continue;
    const { stream, field } = owner.parts;
    const partDefinition = definitions.find((candidate) => candidate.name === stream);
    const mine = records.filter((record) => record.stream === owner.name);
    if (mine.length === 0 || !partDefinition) continue;
    // Without a cross-method identity rule a part's identity carries its method first (`<method>/<key>`).
    const prefixes = mine.flatMap((record) => (partDefinition.crossMethodIdentity ? [`${record.key}|`] : ACQUISITION_METHODS.map((method) => `${method}/${record.key}|`)));
    const byKey = new Map<string, StoredRecord[]>();
    for (const part of await recordsByIdPrefix(db, mine[0]!.connectionId, stream, prefixes)) {
      if (part.tombstone && !includeTombstoned) continue;
      const key = String(part.data[field]);
      byKey.set(key, [...(byKey.get(key) ?? []), part]);
    }
    for (const record of mine) found.set(record, byKey.get(record.key) ?? []);
  }
  return found;
}

export interface ProbableSummary {
  stream: string;
  reason: string;
  /** Visible records of the stream (each method's records counted once each). */
  total: number;
  /** Pairs of records that are probably one event. */
  pairs: number;
  /** "1,674 viewings; 29 probably also in the export". */
  sentence: string;
}

/** For a page's records of streams with a probable-duplicate rule: each paired record's partner (read by identity). */
async function pagePartners(db: GleanerDatabase, definitions: readonly StreamDefinition[], connectionId: string, records: readonly StoredRecord[]): Promise<Map<StoredRecord, { reason: string; partner: StoredRecord }>> {
  const found = new Map<StoredRecord, { reason: string; partner: StoredRecord }>();
  for (const definition of definitions) {
    const mine = records.filter((record) => record.stream === definition.name);
    if (!definition.probableDuplicates || mine.length === 0) continue;
    const partners = partnersOf(await probablePairsOf(db, connectionId, definition));
    const wanted = mine.flatMap((record) => {
      const pair = partners.get(record.rid);
      return pair ? [{ record, pair }] : [];
    });
    const read = await db.records.bulkGet(wanted.map(({ pair }) => [connectionId, definition.name, pair.partner] as [string, string, string]));
    wanted.forEach(({ record, pair }, index) => {
      const partner = read[index];
      if (partner) found.set(record, { reason: pair.reason, partner });
    });
  }
  return found;
}

export function createRecordsHandlers(db: GleanerDatabase, connectors: readonly ConnectorDefinition[]) {
  return {
    async 'records.query'(request: ParsedRequestOf<'records.query'>): Promise<RecordsQueryReply> {
      const connection = await db.connections.get(request.connectionId);
      if (!connection) return { total: 0, counts: [], streams: {}, records: [] };
      const connector = connectors.find((candidate) => candidate.key === connection.connectorKey);
      const definitions = connector?.streams ?? [];
      const definition = (name: string) => definitions.find((stream) => stream.name === name);
      const describe = (record: StoredRecord) => {
        try {
          return definition(record.stream)?.describe(record.data) ?? record.key;
        } catch {
          return record.key;
        }
      };
      const rank = (name: string) => {
        const at = definitions.findIndex((stream) => stream.name === name);
        return at < 0 ? definitions.length : at;
      };
      const streams = (request.stream ? [request.stream] : await streamsOf(db, request.connectionId)).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
      const query = { connectionId: request.connectionId, streams, from: request.from, to: request.to, includeTombstoned: request.includeTombstoned, offset: request.offset, limit: request.limit };
      const words = queryWords(request.text);
      let page: CountedRecordPage | undefined;
      if (request.method === 'any' && words.length === 0) {
        // Kind, time range and gone-or-not are answered from indexes: only the page is read.
        page = await pageRecordsByStream(db, query);
      } else if (words.length > 0) {
        // Words from the search index: only the records holding them (and their records or parts) are read.
        page = await searchByIndex(db, definitions, { ...query, words, method: request.method });
      }
      if (!page) {
        // Words and methods are in the records themselves: read the chosen kinds' records in the range once, a
        // chunk at a time. A record with parts (an order) also matches by its parts' words (its items' names), so
        // parts are read first, remembering per record key which words its parts hold (only keys with a hit).
        const owners = words.length ? definitions.filter((stream) => stream.parts && streams.includes(stream.name)) : [];
        const partWords = new Map<string, Map<string, number>>(owners.map((owner) => [owner.name, new Map()]));
        const noteWords = (record: StoredRecord): number => {
          const mask = termMask(words, termsOf(definitions, record));
          if (mask === 0) return 0;
          for (const owner of owners) {
            if (owner.parts!.stream !== record.stream) continue;
            const key = record.data[owner.parts!.field];
            if (typeof key !== 'string' && typeof key !== 'number') continue;
            const seen = partWords.get(owner.name)!;
            seen.set(String(key), (seen.get(String(key)) ?? 0) | mask);
          }
          return mask;
        };
        const rest = { ...request, text: undefined };
        const full = allWords(words);
        const matches = (record: StoredRecord): boolean => {
          const own = words.length ? noteWords(record) : 0;
          if (!matchesFilter(record, rest)) return false;
          return words.length === 0 || ((own | (partWords.get(record.stream)?.get(record.key) ?? 0)) & full) === full;
        };
        const partStreams = new Set(owners.map((owner) => owner.parts!.stream));
        // A parts stream not searched itself (orders chosen): read once for its words, counting and keeping nothing.
        const unsearched = [...partStreams].filter((stream) => !streams.includes(stream));
        const collect = (record: StoredRecord) => {
          noteWords(record);
          return false;
        };
        if (unsearched.length) await scanRecordsByStream(db, { ...query, streams: unsearched, offset: 0, limit: 0 }, collect);
        const partsFirst = [...streams.filter((stream) => partStreams.has(stream)), ...streams.filter((stream) => !partStreams.has(stream))];
        page = await scanRecordsByStream(db, { ...query, streams: partsFirst }, matches);
      }

      const view = (record: StoredRecord): RecordView => {
        try {
          const presented = definition(record.stream)?.present?.(record.data);
          if (presented) return presented;
        } catch {
          // A record the connector cannot present is still listed, by its label.
        }
        return { title: describe(record), facts: [] };
      };
      const label = (record: StoredRecord): LabelledRecord => ({ ...record, summary: describe(record), view: view(record) });
      const parts = await pageParts(db, definitions, page.records, request.includeTombstoned);
      const probable = await pagePartners(db, definitions, request.connectionId, page.records);
      return {
        total: page.total,
        counts: streams.map((stream) => ({ stream, total: page.byStream[stream] ?? 0 })),
        streams: streamWords(connector),
        records: page.records.map((record) => {
          const own = parts.get(record);
          const labelled = own ? { ...label(record), parts: own.map(label) } : label(record);
          const pair = probable.get(record);
          return pair ? { ...labelled, probable: { reason: pair.reason, partner: label(pair.partner) } } : labelled;
        }),
      };
    },

    /** Per stream with a probable-duplicate rule: its visible records and how many pairs, in the owner's nouns. */
    async 'records.probable'(request: ParsedRequestOf<'records.probable'>): Promise<ProbableSummary[]> {
      const connection = await db.connections.get(request.connectionId);
      const connector = connection && connectors.find((candidate) => candidate.key === connection.connectorKey);
      if (!connector) return [];
      const nouns = nounsOf(connector);
      const out: ProbableSummary[] = [];
      for (const definition of connector.streams) {
        if (!definition.probableDuplicates || definition.crossMethodIdentity) continue;
        const pairs = await probablePairsOf(db, request.connectionId, definition);
        const total = (await countVisibleByStream(db, request.connectionId, [definition.name]))[definition.name] ?? 0;
        const words = nouns[definition.name]!;
        out.push({ stream: definition.name, reason: definition.probableDuplicates.reason, total, pairs: pairs.length, sentence: probableSentence(total, pairs.length, words) });
      }
      return out;
    },
  };
}
