/**
 * The words a record is found by, for the records browser's text search
 * (issue 13). Generic for every connector: they come from the record's key and
 * its stream's owner-facing words — `describe()` and `present()` (title,
 * facts, what it is part of) — never from one service's fields. The merge
 * engine stores them on the record (`StoredRecord.searchTerms`) in the same
 * transaction as the record, and IndexedDB keeps the multi-entry index
 * `*searchTerms` (schema v8), so a search reads the records that hold a word,
 * not the connection.
 *
 * A search word matches a record when one of the record's terms begins with
 * it ("ech" finds "Echo"); "111-2222" is the words "111" and "2222".
 *
 * ISO dates and instants in those texts ("Watched 2026-12-01T14:03:00Z", a key
 * ending in its instant) are not search words: they are UTC fragments ("01t14",
 * "00z") that do not match the day and time the owner sees in their own time
 * zone, dates have the records browser's date filter, and they were about half
 * of a viewing record's terms, each one more index entry to write (the
 * `*searchTerms` index is the largest cost of a big import's writes).
 */
import type { StreamDefinition } from '../connectors/types';

/** More terms than this are dropped (a very long title still finds its record by its first words). */
export const MAX_TERMS = 48;
/** Query words, as many as fit the bit masks of a search. */
export const MAX_QUERY_WORDS = 12;
/** Terms longer than this are cut (a search word longer than this is cut the same way). */
export const MAX_TERM_LENGTH = 32;

const SPLIT = /[^\p{L}\p{N}]+/u;
const MARKS = /\p{M}+/gu;
/** `2026-12-01`, `2026-12-01T14:03:00.123Z`, `2026-12-01 14:03:00+01:00`. */
const ISO_DATE_TIME = /\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g;

/** Lower-cased words of `text`, accents folded ("Café" → "cafe"), in order, repeats kept. */
export function wordsOf(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(MARKS, '')
    .toLowerCase()
    .split(SPLIT)
    .filter(Boolean)
    .map((word) => word.slice(0, MAX_TERM_LENGTH));
}

/** The owner's words of a record: key, label (`describe`) and view (`present`), distinct, at most MAX_TERMS. */
export function searchTermsOf(stream: Pick<StreamDefinition, 'describe' | 'present'> | undefined, data: Record<string, unknown>, key: string): string[] {
  const texts = [key];
  if (stream) {
    try {
      texts.push(stream.describe(data));
    } catch {
      // A record the connector cannot describe is still found by its key.
    }
    try {
      const view = stream.present?.(data);
      if (view) texts.push(view.title, ...view.facts, view.partOf ?? '');
    } catch {
      // As above.
    }
  }
  const terms = new Set<string>();
  for (const text of texts) {
    for (const word of wordsOf(text.replace(ISO_DATE_TIME, ' '))) {
      terms.add(word);
      if (terms.size >= MAX_TERMS) return [...terms];
    }
  }
  return [...terms];
}

/** The words of a search, distinct, at most MAX_QUERY_WORDS. */
export function queryWords(text: string | undefined): string[] {
  return [...new Set(wordsOf(text ?? ''))].slice(0, MAX_QUERY_WORDS);
}

/** Which of `words` some term begins with, as bits (word `i` is bit `i`). */
export function termMask(words: readonly string[], terms: readonly string[]): number {
  let mask = 0;
  words.forEach((word, index) => {
    if (terms.some((term) => term.startsWith(word))) mask |= 1 << index;
  });
  return mask;
}
