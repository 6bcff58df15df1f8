/**
 * `openArtifact`: recognising an upload by content, which files of a zip are
 * read, and every refusal it makes before a record is parsed. A generic test
 * connector (one id per line under an `id` header) keeps these independent of
 * Amazon's format; the runner-level refusals with the real connector are in
 * test/unit/import/refusals.test.ts.
 */
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ArtifactError } from '../../../src/artifacts/errors';
import { ARTIFACT_LIMITS } from '../../../src/artifacts/limits';
import { openArtifact, type OpenedArtifact } from '../../../src/artifacts/open-artifact';
import { bytesSource } from '../../../src/artifacts/source';
import type { ChunkedArtifactParser, ParsedChunk, ParseSummary, StreamFile } from '../../../src/artifacts/streaming';
import { decodeText } from '../../../src/artifacts/text';
import { isSafeEntryName } from '../../../src/artifacts/zip-reader';
import type { ConnectorDefinition } from '../../../src/connectors/types';
import { testStreams } from '../../support/streams';
import { rejectionOf } from '../../support/errors';

/** Claims `orders.<n>.csv` by name, but only content starting with the `id` header counts. */
const parser: ChunkedArtifactParser & { chunksParsed: number } = {
  id: 'orders-lines',
  displayName: 'Test orders',
  chunksParsed: 0,
  claims: (path) => /(^|\/)orders\.\d+\.csv$/.test(path),
  sniff: ({ head }) => (/^id\r?\n/.test(head) ? 0.9 : 0.1),
  parse: () => {
    throw new Error('the whole-file parse is not used by openArtifact');
  },
  async *parseChunks(files: StreamFile[]): AsyncGenerator<ParsedChunk, ParseSummary> {
    for (const file of files) {
      let text = '';
      for await (const part of decodeText(file.bytes()).chunks) text += part;
      const ids = text.split(/\r?\n/).filter(Boolean).slice(1);
      parser.chunksParsed += 1;
      yield { observations: ids.map((id) => ({ stream: 'orders', data: { id } })), continuations: 0, rowsRead: ids.length, skipped: 0, duplicates: 0, failed: 0, warnings: [] };
    }
    return { coverage: [], entries: files.map((file) => file.path), replacedCharacters: 0 };
  },
};

const connector: ConnectorDefinition = {
  key: 'test',
  displayName: 'Test',
  hosts: ['example.test'],
  matches: [],
  streams: testStreams,
  extractorVersion: '1',
  parserVersion: '1',
  pageExtractor: { matches: () => false, extract: () => ({ observations: [], coverage: [], warnings: [] }) },
  artifactParsers: [parser],
  exportSteps: [],
};

const open = (bytes: Uint8Array | string, fileName: string) => openArtifact(bytesSource(typeof bytes === 'string' ? strToU8(bytes) : bytes), fileName, [connector], ARTIFACT_LIMITS);

async function ids(opened: OpenedArtifact): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of opened.parser.parseChunks(opened.files, { chunkRows: 100, limits: ARTIFACT_LIMITS })) out.push(...chunk.observations.map((observation) => String(observation.data.id)));
  return out;
}

const refusal = (promise: Promise<unknown>) => rejectionOf(promise, ArtifactError);

describe('openArtifact', () => {
  it('reads a bare file by its content whatever its name, dropping a UTF-8 BOM', async () => {
    const opened = await open(new Uint8Array([0xef, 0xbb, 0xbf, ...strToU8('id\na\nb\n')]), 'my download (2).txt');
    expect(opened.connector.key).toBe('test');
    expect(opened.files.map((file) => file.path)).toEqual(['my download (2).txt']);
    expect(await ids(opened)).toEqual(['a', 'b']);
  });

  it('refuses a file named like the export whose content is not', async () => {
    const refused = await refusal(open('hello there\n', 'orders.1.csv'));
    expect(refused.code).toBe('unknown_format');
    expect(refused.message).toMatch(/does not recognise "orders\.1\.csv"/);
  });

  it('reads every numbered part of a zip together, sorted, and nothing else in it; the zip is recognised by content, not by its name', async () => {
    const zip = zipSync({ 'export/orders.2.csv': strToU8('id\nb\n'), 'export/orders.1.csv': strToU8('id\na\n'), 'export/readme.txt': strToU8('hello') });
    const opened = await open(zip, 'whatever-name.bin');
    expect(opened.format).toBe('text'); // the entries' format, sniffed from their first bytes
    expect(opened.files.map((file) => file.path)).toEqual(['export/orders.1.csv', 'export/orders.2.csv']);
    expect(await ids(opened)).toEqual(['a', 'b']);
  });

  it('refuses a zip whose claimed parts are not in the expected shape', async () => {
    const refused = await refusal(open(zipSync({ 'orders.1.csv': strToU8('something else entirely\n') }), 'x.zip'));
    expect(refused.code).toBe('unknown_format');
    expect(refused.message).toMatch(/not in the shape Gleaner expects from Test/);
  });

  it('refuses an empty file, an unknown file and a zip with nothing it knows, in owner words', async () => {
    expect((await refusal(open(new Uint8Array(), 'orders.1.csv'))).message).toMatch(/^"orders\.1\.csv" is empty \(0 bytes\).*download the export again/);
    expect((await refusal(open('x', 'photo.jpg'))).message).toMatch(/does not recognise "photo.jpg"/);
    const nothingKnown = await refusal(open(zipSync({ 'a.txt': strToU8('x') }), 'x.zip'));
    expect(nothingKnown).toMatchObject({ code: 'unknown_format', message: 'Gleaner found no export it knows inside "x.zip".' });
  });

  it('refuses a damaged zip', async () => {
    const zip = zipSync({ 'orders.1.csv': strToU8(`id\n${'a\n'.repeat(1000)}`) });
    const truncated = await refusal(open(zip.slice(0, zip.length - 30), 'x.zip'));
    expect(truncated.code).toBe('corrupt_zip');
    expect(truncated.message).toMatch(/damaged or incomplete/);
  });

  it('refuses a zip bomb by its declared compression ratio, before parsing anything', async () => {
    const bomb = zipSync({ 'orders.1.csv': new Uint8Array(5 * 1024 * 1024) }, { level: 9 });
    expect(bomb.length * ARTIFACT_LIMITS.maxCompressionRatio).toBeLessThan(5 * 1024 * 1024);
    const before = parser.chunksParsed;
    const refused = await refusal(open(bomb, 'bomb.zip'));
    expect(refused.code).toBe('zip_limits');
    expect(refused.message).toMatch(/far more than an export/);
    expect(parser.chunksParsed).toBe(before);
  });

  it('ignores unsafe entry names and says which', async () => {
    expect(isSafeEntryName('../orders.1.csv')).toBe(false);
    expect(isSafeEntryName('/etc/orders.1.csv')).toBe(false);
    expect(isSafeEntryName('C:/orders.1.csv')).toBe(false);
    expect(isSafeEntryName('a\\orders.1.csv')).toBe(false);
    expect(isSafeEntryName('Retail.OrderHistory.1/Retail.OrderHistory.1.csv')).toBe(true);
    const zip = zipSync({ '../orders.1.csv': strToU8('id\nevil\n'), 'ok/orders.1.csv': strToU8('id\nfine\n') });
    const opened = await open(zip, 'x.zip');
    expect(opened.unsafeNames).toEqual(['../orders.1.csv']);
    expect(opened.files.map((file) => file.path)).toEqual(['ok/orders.1.csv']);
    expect(await ids(opened)).toEqual(['fine']);
  });
});
