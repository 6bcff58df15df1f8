/**
 * The records browser's filters, pure so the background (which applies them
 * next to the data) and unit tests share one definition.
 */
import type { StoredRecord } from '../core/model';

/** `both`: seen by the export and while browsing. */
export type MethodFilter = 'any' | 'browser_polyfill' | 'owner_artifact' | 'both';

export interface RecordFilter {
  stream?: string;
  method?: MethodFilter;
  /** Inclusive calendar days `YYYY-MM-DD`; records without a date are outside any range. */
  from?: string;
  to?: string;
  /** Words that must all appear in the record's key, label or values (case-insensitive). */
  text?: string;
  includeTombstoned?: boolean;
}

export function searchWords(text: string | undefined): string[] {
  return (text ?? '')
    .toLowerCase()
    .split(/\s+/)
    .map((word) => word.trim())
    .filter(Boolean)
    .slice(0, 12);
}

/** Everything a search looks through: key, label and every scalar value of the merged data. */
export function searchableText(record: Pick<StoredRecord, 'key' | 'data'>, summary = ''): string {
  const values: string[] = [record.key, summary];
  for (const value of Object.values(record.data)) {
    if (typeof value === 'string' || typeof value === 'number') values.push(String(value));
  }
  return values.join(' \u0000 ').toLowerCase();
}

/**
 * Which of `words` (at most 12, from `searchWords`) appear in `haystack`, as
 * bits: word `i` is bit `i`. A record matches when its bits, joined with its
 * parts' bits (an order's items), are `allWords(words)`.
 */
export function wordMask(words: readonly string[], haystack: string): number {
  let mask = 0;
  words.forEach((word, index) => {
    if (haystack.includes(word)) mask |= 1 << index;
  });
  return mask;
}

export function allWords(words: readonly string[]): number {
  return (1 << words.length) - 1;
}

export function matchesMethod(methods: readonly string[], method: MethodFilter | undefined): boolean {
  switch (method ?? 'any') {
    case 'any':
      return true;
    case 'both':
      return methods.includes('browser_polyfill') && methods.includes('owner_artifact');
    default:
      return methods.includes(method!);
  }
}

export function inRange(eventTime: string, from?: string, to?: string): boolean {
  if (!from && !to) return true;
  if (!eventTime) return false;
  const day = eventTime.slice(0, 10);
  if (from && day < from) return false;
  if (to && day > to) return false;
  return true;
}

export function matchesFilter(record: Pick<StoredRecord, 'stream' | 'key' | 'data' | 'methods' | 'eventTime' | 'tombstone'>, filter: RecordFilter, summary = ''): boolean {
  if (filter.stream && record.stream !== filter.stream) return false;
  if (!filter.includeTombstoned && record.tombstone) return false;
  if (!matchesMethod(record.methods, filter.method)) return false;
  if (!inRange(record.eventTime, filter.from, filter.to)) return false;
  const words = searchWords(filter.text);
  if (words.length) {
    const haystack = searchableText(record, summary);
    if (!words.every((word) => haystack.includes(word))) return false;
  }
  return true;
}
