/** Probable duplicates in the owner's words (one vocabulary with src/ui/format.ts). */
import { plural } from './format';

/** "1,674 viewings; 29 probably also in the export": every record counted, and how many are probably one event seen twice. */
export function probableSentence(total: number, pairs: number, nouns: { one: string; other: string }): string {
  const counted = plural(total, nouns.one, nouns.other);
  return pairs > 0 ? `${counted}; ${pairs.toLocaleString('en-US')} probably also in the export` : counted;
}

/** Beside a pair in the records browser: why the two are shown together, and that both stay. */
export function probablePairNote(reason: string, one: string): string {
  return `Probably the same ${one} (${reason}). Gleaner keeps and exports both as they are.`;
}
