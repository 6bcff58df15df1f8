/** The streaming building blocks: CSV tokenizer, zip reader, text decoding, JSON arrays, sniffing. */
import fc from 'fast-check';
import { strToU8, zipSync } from 'fflate';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { CsvTokenizer, parseCsv } from '../../../src/artifacts/csv';
import { ArtifactError } from '../../../src/artifacts/errors';
import { JsonArrayReader } from '../../../src/artifacts/json-array';
import { ARTIFACT_LIMITS } from '../../../src/artifacts/limits';
import { foreignByContent, foreignByPath, sniffFormat } from '../../../src/artifacts/sniff';
import { bytesSource } from '../../../src/artifacts/source';
import { decodeText } from '../../../src/artifacts/text';
import { readZipDirectory, readZipEntry } from '../../../src/artifacts/zip-reader';
import { Crc32 } from '../../../src/artifacts/crc32';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

function refusal(run: () => unknown): ArtifactError {
  try {
    run();
  } catch (error) {
    if (error instanceof ArtifactError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/**
 * The tokenizer's rules read one character at a time, for the property tests: a field that starts with `"`
 * runs to the closing quote (`""` is a quote; unclosed, to the end of the text), and any text after it up to
 * the next delimiter or LF joins it (less one CR before that stop); after a quoted field a CR, CRLF or LF ends
 * the row. Any other field runs to the next delimiter or LF, and a CR just before that LF is dropped.
 */
function referenceCsv(text: string, delimiter = ','): string[][] {
  const rows: string[][] = [];
  const n = text.length;
  let at = 0;
  /** From `at` up to the next delimiter or LF (or the end of the text). */
  const unquotedRun = (): string => {
    let stop = at;
    while (stop < n && text[stop] !== delimiter && text[stop] !== '\n') stop++;
    const run = text.slice(at, stop);
    at = stop;
    return run;
  };
  while (at < n) {
    const row: string[] = [];
    rows.push(row);
    for (;;) {
      if (text[at] === '"') {
        let value = '';
        at++;
        while (at < n) {
          if (text[at] === '"') {
            if (text[at + 1] === '"') {
              value += '"';
              at += 2;
              continue;
            }
            at++;
            break;
          }
          value += text[at++];
        }
        if (at < n && text[at] !== delimiter && text[at] !== '\r' && text[at] !== '\n') value += unquotedRun().replace(/\r$/, '');
        row.push(value);
        if (at >= n) break;
        if (text[at] === delimiter) {
          at++;
          if (at >= n) {
            row.push('');
            break;
          }
          continue;
        }
        at += text[at] === '\r' && text[at + 1] === '\n' ? 2 : 1;
        break;
      }
      const value = unquotedRun();
      if (text[at] === delimiter) {
        row.push(value);
        at++;
        if (at >= n) {
          row.push('');
          break;
        }
        continue;
      }
      row.push(at < n ? value.replace(/\r$/, '') : value);
      at++;
      break;
    }
  }
  return rows;
}

/** Rows from a tokenizer fed `text` in the pieces that `cuts` (ascending positions) make. */
function tokenizedInPieces(text: string, cuts: number[], delimiter = ','): string[][] {
  const tokenizer = new CsvTokenizer(undefined, delimiter);
  const rows: string[][] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    rows.push(...tokenizer.push(text.slice(from, cut)));
    from = cut;
  }
  rows.push(...tokenizer.end());
  return rows;
}

describe('CsvTokenizer', () => {
  // Any text at all, well-formed or not, from the characters that matter to CSV (and a two-byte one).
  const csvText = (delimiter: string) => fc.array(fc.constantFrom('a', 'b', ' ', delimiter, '"', '\r', '\n', 'é'), { maxLength: 40 }).map((characters) => characters.join(''));

  it('reads any text as the reference rules do, cut into two pieces at every position', () => {
    fc.assert(
      fc.property(csvText(','), (text) => {
        const expected = referenceCsv(text);
        expect(parseCsv(text)).toEqual(expected);
        for (let cut = 0; cut <= text.length; cut++) expect(tokenizedInPieces(text, [cut])).toEqual(expected);
        expect(tokenizedInPieces(text, [...text].map((_, index) => index))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('reads any text as the reference rules do with another delimiter, in random pieces', () => {
    fc.assert(
      fc.property(csvText(';'), fc.array(fc.nat(40)), (text, cuts) => {
        const positions = [...new Set(cuts.map((cut) => Math.min(cut, text.length)))].sort((a, b) => a - b);
        expect(tokenizedInPieces(text, positions, ';')).toEqual(referenceCsv(text, ';'));
      }),
      { numRuns: 300 },
    );
  });

  it('reads rows of quoted fields (commas, quotes, LF and CRLF inside, empty fields) as papaparse does, cut at every position', () => {
    const cell = fc.oneof(fc.constantFrom('', ' ', 'a,b', 'say "hi"', 'two\nlines', 'crlf\r\nin', '""', 'Café — ü', ',', '\r\n'), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 }), fc.boolean(), fc.boolean(), (rows, crlf, trailingNewline) => {
        const newline = crlf ? '\r\n' : '\n';
        const text = Papa.unparse(rows, { newline, quotes: true }) + (trailingNewline ? newline : '');
        const expected = Papa.parse<string[]>(text, { newline, delimiter: ',', skipEmptyLines: true }).data;
        // papaparse drops a row of one empty field (`""`) with the blank lines; so do the parsers.
        const notBlank = (parsed: string[][]) => parsed.filter((row) => !(row.length === 1 && row[0] === ''));
        expect(notBlank(referenceCsv(text))).toEqual(expected);
        for (let cut = 0; cut <= text.length; cut++) expect(notBlank(tokenizedInPieces(text, [cut]))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with papaparse on any well-formed CSV, however the text is split into chunks', () => {
    const cell = fc.oneof(fc.string(), fc.constantFrom('a,b', 'say "hi"', 'two\nlines', 'crlf\r\nin', '', ' ', 'Café — ü'));
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 50 }), fc.boolean(), (rows, split, crlf) => {
        const text = Papa.unparse(rows, { newline: crlf ? '\r\n' : '\n' });
        const expected = Papa.parse<string[]>(text, { newline: crlf ? '\r\n' : '\n', delimiter: ',', skipEmptyLines: true }).data;
        const tokenizer = new CsvTokenizer();
        const got: string[][] = [];
        for (let at = 0; at < text.length; at += split) got.push(...tokenizer.push(text.slice(at, at + split)));
        got.push(...tokenizer.end());
        // Blank lines are skipped by both (the parsers skip blank rows anyway).
        expect(got.filter((row) => !(row.length === 1 && row[0] === ''))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('handles a trailing newline, empty fields and text after a closing quote', () => {
    expect(parseCsv('a,,c\r\n"x"y,2\n')).toEqual([['a', '', 'c'], ['xy', '2']]);
  });

  it('refuses a row longer than the limit instead of buffering it', () => {
    const tokenizer = new CsvTokenizer(1000);
    expect(refusal(() => tokenizer.push(`"${'x'.repeat(2000)}`)).code).toBe('line_too_long');
  });
});

describe('text decoding', () => {
  it('drops a UTF-8 BOM, decodes characters split across chunks and counts invalid bytes', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...strToU8('Café '), 0xff, ...strToU8('ok')]);
    const decoded = decodeText(chunksOf(bytes, 1));
    expect((await collect(decoded.chunks)).join('')).toBe('Café \uFFFDok');
    expect(decoded.replaced).toBe(1);
  });

  it('reads UTF-16 with its BOM', async () => {
    const text = 'Order ID,ASIN\n';
    const bytes = new Uint8Array(2 + text.length * 2);
    bytes.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) bytes[2 + i * 2] = text.charCodeAt(i);
    expect((await collect(decodeText(chunksOf(bytes, 3)).chunks)).join('')).toBe(text);
  });
});

describe('zip reader', () => {
  const files = { 'a/one.csv': strToU8('x,y\n'.repeat(5000)), 'b/two.txt': strToU8('hello'), 'stored.csv': [strToU8('plain'), { level: 0 }] as [Uint8Array, { level: 0 }] };
  const zip = zipSync(files as Parameters<typeof zipSync>[0]);

  it('lists entries from the central directory and streams each one, checking its CRC', async () => {
    const source = bytesSource(zip);
    const { entries } = await readZipDirectory(source, ARTIFACT_LIMITS);
    expect(entries.map((entry) => entry.name).sort()).toEqual(['a/one.csv', 'b/two.txt', 'stored.csv']);
    for (const entry of entries) {
      const parts = await collect(readZipEntry(source, entry, ARTIFACT_LIMITS));
      const text = new TextDecoder().decode(Buffer.concat(parts));
      expect(text).toBe(new TextDecoder().decode(entry.name === 'stored.csv' ? strToU8('plain') : (files as unknown as Record<string, Uint8Array>)[entry.name]));
    }
  });

  it('refuses an entry that inflates to more than it declares', async () => {
    const source = bytesSource(zip);
    const { entries } = await readZipDirectory(source, ARTIFACT_LIMITS);
    const liar = { ...entries.find((entry) => entry.name === 'a/one.csv')!, uncompressedSize: 100 };
    await expect(collect(readZipEntry(source, liar, ARTIFACT_LIMITS))).rejects.toMatchObject({ code: 'zip_limits' });
  });

  it('refuses too many entries before reading any', async () => {
    const many = zipSync(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.txt`, strToU8('x')])));
    await expect(readZipDirectory(bytesSource(many), { ...ARTIFACT_LIMITS, maxZipEntries: 10 })).rejects.toMatchObject({ code: 'zip_limits' });
  });

  it('computes the zip CRC-32', () => {
    expect(new Crc32().update(strToU8('123456789')).digest()).toBe(0xcbf43926);
  });
});

describe('JsonArrayReader', () => {
  it('streams the elements of a JSON array and of a JS-wrapped one, chunk by chunk', () => {
    const elements = [{ a: 1, s: 'x],"{' }, [1, [2]], 'text', 3, null, { nested: { deep: true } }];
    for (const prefix of ['', 'window.YTD.tweets.part0 = ']) {
      const text = `${prefix}${JSON.stringify(elements, null, 1)}`;
      const reader = new JsonArrayReader({ allowJsPrefix: true });
      const out: unknown[] = [];
      for (let at = 0; at < text.length; at += 7) out.push(...reader.push(text.slice(at, at + 7)));
      out.push(...reader.end());
      expect(out).toEqual(elements);
    }
  });

  it('refuses nesting deeper than the limit', () => {
    const reader = new JsonArrayReader({ maxDepth: 10 });
    expect(refusal(() => reader.push(`[${'['.repeat(20)}`)).code).toBe('json_too_deep');
  });
});

describe('sniffing', () => {
  it('tells formats apart by content', () => {
    expect(sniffFormat(zipSync({ 'a.txt': strToU8('x') })).format).toBe('zip');
    expect(sniffFormat(strToU8('\uFEFF"Order ID","Order Date"\r\n')).format).toBe('csv');
    expect(sniffFormat(strToU8('  [{"a":1}]')).format).toBe('json');
    expect(sniffFormat(strToU8('window.YTD.tweets.part0 = [')).format).toBe('js-array');
    expect(sniffFormat(strToU8('<!doctype html><html>')).format).toBe('html');
    expect(sniffFormat(new Uint8Array([0x1f, 0x8b, 8, 0])).format).toBe('other-archive');
    expect(sniffFormat(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0])).format).toBe('binary');
  });

  it('recognises exports of services Gleaner does not read', () => {
    expect(foreignByContent('json', '[{"endTime":"2024-01-02 03:04","artistName":"A","trackName":"B","msPlayed":1}]')?.service).toBe('Spotify');
    expect(foreignByPath('Spotify Account Data/StreamingHistory_music_0.json')?.service).toBe('Spotify');
    expect(foreignByPath('instagram-dana/your_instagram_activity/likes/liked_posts.json')?.service).toBe('Instagram');
    // Services Gleaner reads are not "another service".
    expect(foreignByContent('csv', 'Title,Date\n"A","1/2/24"')).toBeUndefined();
    expect(foreignByPath('Takeout/YouTube and YouTube Music/history/watch-history.json')).toBeUndefined();
    expect(foreignByContent('csv', 'Order ID,Order Date')).toBeUndefined();
  });
});
