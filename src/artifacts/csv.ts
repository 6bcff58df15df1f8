/**
 * An incremental CSV tokenizer (RFC 4180 plus the leniencies real exports
 * need): feed text as it arrives, get complete rows back. Quoted fields may
 * hold commas, quotes (`""`) and newlines; CRLF and LF both end a row. A row
 * longer than `maxRowChars` is refused instead of buffered without bound.
 */
import { ArtifactError } from './errors';

const QUOTE = 34;
const CR = 13;
const LF = 10;

export class CsvTokenizer {
  private buffer = '';

  constructor(
    private readonly maxRowChars = 1024 * 1024,
    private readonly delimiter = ',',
  ) {}

  /** Adds text; returns every row completed by it. */
  push(text: string): string[][] {
    this.buffer = this.buffer ? this.buffer + text : text;
    return this.drain(false);
  }

  /** Ends the input; returns the last row if the text did not end with a newline. */
  end(): string[][] {
    const rows = this.drain(true);
    this.buffer = '';
    return rows;
  }

  private drain(final: boolean): string[][] {
    const s = this.buffer;
    const n = s.length;
    const delimiter = this.delimiter;
    const rows: string[][] = [];
    let rowStart = 0;
    let pos = 0;
    rows: while (rowStart < n) {
      const row: string[] = [];
      pos = rowStart;
      let lineEnd = s.indexOf('\n', pos);
      for (;;) {
        if (pos < n && s.charCodeAt(pos) === QUOTE) {
          let value = '';
          let segment = pos + 1;
          let at = segment;
          for (;;) {
            const quote = s.indexOf('"', at);
            if (quote === -1) {
              if (!final) break rows;
              value += s.slice(segment);
              pos = n;
              break;
            }
            if (quote + 1 >= n && !final) break rows; // cannot tell `"` from `""` yet
            if (s.charCodeAt(quote + 1) === QUOTE) {
              value += s.slice(segment, quote + 1);
              at = segment = quote + 2;
              continue;
            }
            value += s.slice(segment, quote);
            pos = quote + 1;
            break;
          }
          // Lenient: text after a closing quote, up to the next delimiter, belongs to the field.
          if (pos < n && s[pos] !== delimiter && s.charCodeAt(pos) !== CR && s.charCodeAt(pos) !== LF) {
            if (lineEnd !== -1 && lineEnd < pos) lineEnd = s.indexOf('\n', pos);
            const comma = s.indexOf(delimiter, pos);
            const stop = comma !== -1 && (lineEnd === -1 || comma < lineEnd) ? comma : lineEnd === -1 ? (final ? n : -1) : lineEnd;
            if (stop === -1) break rows;
            value += s.slice(pos, stop).replace(/\r$/, '');
            pos = stop;
          }
          row.push(value);
          if (pos >= n) {
            rows.push(row);
            rowStart = n;
            break;
          }
          const next = s.charCodeAt(pos);
          if (s[pos] === delimiter) {
            pos += 1;
            if (pos >= n && !final) break rows;
            if (pos >= n) {
              row.push('');
              rows.push(row);
              rowStart = n;
              break;
            }
            continue;
          }
          if (next === CR) {
            if (pos + 1 >= n && !final) break rows;
            pos += s.charCodeAt(pos + 1) === LF ? 2 : 1;
          } else {
            pos += 1; // LF
          }
          rows.push(row);
          rowStart = pos;
          break;
        }
        // `lineEnd` is the first LF at or after some earlier position of this row: still the first at or
        // after `pos` unless a quoted field ran past it, so it is looked up again only then.
        if (lineEnd !== -1 && lineEnd < pos) lineEnd = s.indexOf('\n', pos);
        const comma = s.indexOf(delimiter, pos);
        if (comma !== -1 && (lineEnd === -1 || comma < lineEnd)) {
          row.push(s.slice(pos, comma));
          pos = comma + 1;
          continue;
        }
        if (lineEnd === -1) {
          if (!final) break rows;
          row.push(s.slice(pos));
          rows.push(row);
          rowStart = n;
          break;
        }
        row.push(s.charCodeAt(lineEnd - 1) === CR && lineEnd - 1 >= pos ? s.slice(pos, lineEnd - 1) : s.slice(pos, lineEnd));
        rows.push(row);
        rowStart = lineEnd + 1;
        break;
      }
    }
    this.buffer = rowStart >= n ? '' : s.slice(rowStart);
    if (this.buffer.length > this.maxRowChars) {
      throw new ArtifactError('line_too_long', 'A line in this file is far longer than any export would write; Gleaner stopped reading it.');
    }
    return rows;
  }
}

/** Tokenizes a whole string (small inputs and tests). */
export function parseCsv(text: string, maxRowChars?: number): string[][] {
  const tokenizer = new CsvTokenizer(maxRowChars);
  return [...tokenizer.push(text), ...tokenizer.end()];
}
