import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ArtifactError } from '../../../src/artifacts/errors';
import { ARTIFACT_LIMITS, isSafeEntryName, readArtifact } from '../../../src/artifacts/read-artifact';
import type { ConnectorDefinition } from '../../../src/connectors/types';
import { testStreams } from '../../support/streams';

const parsedPaths: string[][] = [];
const connector: ConnectorDefinition = {
  key: 'test',
  displayName: 'Test',
  hosts: ['example.test'],
  matches: [],
  streams: testStreams,
  extractorVersion: '1',
  parserVersion: '1',
  pageExtractor: { matches: () => false, extract: () => ({ observations: [], coverage: [], warnings: [] }) },
  artifactParsers: [
    {
      id: 'orders-csv',
      displayName: 'Test orders',
      claims: (path) => /orders\.\d+\.csv$/.test(path),
      parse(files) {
        parsedPaths.push(files.map((file) => file.path));
        const rows = files.flatMap((file) => file.text().split('\n').filter(Boolean));
        return { observations: rows.map((id) => ({ stream: 'orders', data: { id } })), coverage: [], warnings: [], rowsRead: rows.length, skipped: 0, failed: 0, entries: files.map((file) => file.path) };
      },
    },
  ],
  exportSteps: [],
};

function refusal(run: () => unknown): ArtifactError {
  try {
    run();
  } catch (error) {
    if (error instanceof ArtifactError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('readArtifact', () => {
  it('reads a bare file its parser claims, stripping a BOM', () => {
    const result = readArtifact(strToU8('\uFEFFa\nb\n'), 'orders.1.csv', [connector]);
    expect(result.result.observations.map((o) => o.data.id)).toEqual(['a', 'b']);
  });

  it('reads only claimed entries of a zip, all numbered parts together, by content not by name', () => {
    const zip = zipSync({ 'export/orders.1.csv': strToU8('a\n'), 'export/orders.2.csv': strToU8('b\n'), 'export/readme.txt': strToU8('hello') });
    const result = readArtifact(zip, 'whatever-name.bin', [connector]);
    expect(result.result.entries.sort()).toEqual(['export/orders.1.csv', 'export/orders.2.csv']);
    expect(result.result.observations).toHaveLength(2);
  });

  it('refuses an empty file, an unknown file and a zip with nothing it knows, in owner words', () => {
    expect(refusal(() => readArtifact(new Uint8Array(), 'orders.1.csv', [connector])).code).toBe('empty_file');
    expect(refusal(() => readArtifact(strToU8('x'), 'photo.jpg', [connector])).message).toMatch(/does not recognise "photo.jpg"/);
    expect(refusal(() => readArtifact(zipSync({ 'a.txt': strToU8('x') }), 'x.zip', [connector])).code).toBe('unknown_format');
  });

  it('refuses a damaged zip', () => {
    const zip = zipSync({ 'orders.1.csv': strToU8('a\n'.repeat(1000)) });
    const damaged = zip.slice(0, zip.length - 30);
    expect(['corrupt_zip', 'unknown_format']).toContain(refusal(() => readArtifact(damaged, 'x.zip', [connector])).code);
  });

  it('refuses a zip bomb by its compression ratio before inflating it', () => {
    const bomb = zipSync({ 'orders.1.csv': new Uint8Array(5 * 1024 * 1024) }, { level: 9 });
    expect(bomb.length * ARTIFACT_LIMITS.maxCompressionRatio).toBeLessThan(5 * 1024 * 1024);
    expect(refusal(() => readArtifact(bomb, 'bomb.zip', [connector])).code).toBe('zip_limits');
  });

  it('ignores unsafe entry names', () => {
    expect(isSafeEntryName('../orders.1.csv')).toBe(false);
    expect(isSafeEntryName('/etc/orders.1.csv')).toBe(false);
    expect(isSafeEntryName('C:/orders.1.csv')).toBe(false);
    expect(isSafeEntryName('Retail.OrderHistory.1/Retail.OrderHistory.1.csv')).toBe(true);
    const zip = zipSync({ '../orders.1.csv': strToU8('evil\n'), 'ok/orders.1.csv': strToU8('fine\n') });
    expect(readArtifact(zip, 'x.zip', [connector]).result.observations.map((o) => o.data.id)).toEqual(['fine']);
  });
});
