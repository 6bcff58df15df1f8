// @vitest-environment happy-dom
/**
 * The seed's invariants on ChatGPT's real shapes: the export and Dana's page
 * captures, merged in every order, give the same visible records; the
 * renamed title is the newest by `update_time` whichever method brought it; a
 * conversation continued after the export keeps its old messages and gains
 * the new; no capture hides an export-only record.
 */
import fc from 'fast-check';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { applyBatch } from '../../../../src/core/merge-engine';
import { createConnection } from '../../../../src/core/connections';
import { mergeVersions } from '../../../../src/core/field-merge';
import { chatgptConnector } from '../../../../src/connectors/chatgpt';
import { chatgptExportParser } from '../../../../src/connectors/chatgpt/artifact';
import { chatgptPageExtractor } from '../../../../src/connectors/chatgpt/page';
import type { BatchInput } from '../../../../src/core/merge-engine';
import type { GleanerDatabase } from '../../../../src/db/database';
import { freshDb } from '../../../support/streams';
import { DANA_PAGES, chatgptPage, expectations, ids, makeChatgptExportZip } from '../../../fixtures/chatgpt';

interface FixtureBatch {
  name: string;
  input: Omit<BatchInput, 'connectionId'>;
}

const exportBatch = (dataAsOf = '2026-11-20T10:04:12.000Z'): FixtureBatch => {
  const files = Object.entries(unzipSync(makeChatgptExportZip())).map(([path, bytes]) => ({ path, text: () => new TextDecoder().decode(bytes) }));
  const parsed = chatgptExportParser.parse(files);
  return {
    name: 'export',
    input: {
      connectorKey: 'chatgpt',
      streams: chatgptConnector.streams,
      method: 'owner_artifact',
      provenance: { kind: 'artifact', fileName: 'export.zip', sha256: 'a'.repeat(64), sizeBytes: 1, parserVersion: chatgptConnector.parserVersion, importedAt: dataAsOf },
      coverage: parsed.coverage,
      observations: parsed.observations,
      warnings: [],
      dataAsOf,
      artifactSha256: 'a'.repeat(64),
    },
  };
};

const pageBatch = (name: (typeof DANA_PAGES)[number], capturedAt: string): FixtureBatch => {
  const { url, html } = chatgptPage(name);
  const capture = chatgptPageExtractor.extract(new DOMParser().parseFromString(html, 'text/html'), new URL(url));
  return {
    name,
    input: {
      connectorKey: 'chatgpt',
      streams: chatgptConnector.streams,
      method: 'browser_polyfill',
      provenance: { kind: 'page', pageUrl: url, capturedAt, extractorVersion: chatgptConnector.extractorVersion },
      coverage: capture.coverage,
      observations: capture.observations,
      warnings: capture.warnings,
      dataAsOf: capturedAt,
      pageUrl: url,
    },
  };
};

const BATCHES: FixtureBatch[] = [exportBatch(), ...DANA_PAGES.map((name, i) => pageBatch(name, `2026-12-01T10:00:0${i}.000Z`))];

async function mergeAll(batches: readonly FixtureBatch[]): Promise<{ db: GleanerDatabase; connectionId: string }> {
  const db = await freshDb();
  const connection = await createConnection(db, { connectorKey: 'chatgpt', connectorDisplayName: 'ChatGPT', accountHint: { key: expectations.accounts.dana.key, label: 'Dana', evidence: 'test' } });
  for (const batch of batches) await applyBatch(db, { ...batch.input, connectionId: connection.id });
  return { db, connectionId: connection.id };
}

async function visible(db: GleanerDatabase, connectionId: string): Promise<Record<string, Record<string, unknown>>> {
  const records = await db.records.where('connectionId').equals(connectionId).toArray();
  return Object.fromEntries(records.filter((r) => !r.tombstone).map((r) => [`${r.stream}/${r.key}`, r.data]));
}

describe('ChatGPT fixtures merged in every order', () => {
  it('same visible records (keys and data) whatever the order', async () => {
    const reference = await mergeAll(BATCHES);
    const expected = await visible(reference.db, reference.connectionId);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(BATCHES, { minLength: BATCHES.length, maxLength: BATCHES.length }), async (order) => {
        const { db, connectionId } = await mergeAll(order);
        expect(await visible(db, connectionId)).toEqual(expected);
      }),
      { numRuns: 12 },
    );
  });

  it('the visible set: every export record, every page record; the renamed title; the continued conversation whole', async () => {
    const { db, connectionId } = await mergeAll(BATCHES);
    const shown = await visible(db, connectionId);
    const keys = (stream: string) => Object.keys(shown).filter((k) => k.startsWith(`${stream}/`)).map((k) => k.slice(stream.length + 1)).sort();
    const pageConversations = DANA_PAGES.flatMap((name) => expectations.pages[name]!.conversationIds);
    const pageMessages = DANA_PAGES.flatMap((name) => expectations.pages[name]!.messageIds);
    expect(keys('conversations')).toEqual([...new Set([...expectations.export.conversationIds, ...pageConversations])].sort());
    expect(keys('messages')).toEqual([...new Set([...expectations.export.messageIds, ...pageMessages])].sort());
    expect(shown[`conversations/${ids.trip}`]).toMatchObject({ title: expectations.renamed.pageTitle, update_time: '2026-11-10T07:30:00.123Z' });
    const tripMessages = Object.values(shown).filter((d) => d.conversation_id === ids.trip).map((d) => d.id as string).sort();
    expect(tripMessages).toEqual(expectations.pages['trip-dana.html']!.messageIds);
    // The export-only conversation (beyond the sidebar's window) stays; no page claims a full window.
    expect(shown[`conversations/${expectations.exportOnlyConversation}`]).toBeDefined();
    expect(BATCHES.flatMap((b) => b.input.coverage).filter((c) => c.completeness === 'full')).toEqual([]);
    expect((await db.records.toArray()).filter((r) => r.tombstone)).toEqual([]);
  });

  it('a page seen before the export’s last change loses the title to the export, in either order', async () => {
    const early = pageBatch('home-dana.html', '2026-11-09T12:00:00.000Z');
    for (const order of [[exportBatch(), early], [early, exportBatch()]]) {
      const { db, connectionId } = await mergeAll(order);
      expect((await visible(db, connectionId))[`conversations/${ids.trip}`]!.title).toBe(expectations.renamed.exportTitle);
    }
  });

  it('an export downloaded after a capture, but changed before it, does not bring back the old title', async () => {
    // The upload's own time is later than the capture; its update_time is not.
    const late = exportBatch('2026-12-05T00:00:00.000Z');
    for (const order of [[late, pageBatch('home-dana.html', '2026-12-01T10:00:00.000Z')], [pageBatch('home-dana.html', '2026-12-01T10:00:00.000Z'), late]]) {
      const { db, connectionId } = await mergeAll(order);
      expect((await visible(db, connectionId))[`conversations/${ids.trip}`]!.title).toBe(expectations.renamed.pageTitle);
    }
  });
});

describe('field merge policy { by }', () => {
  const v = (data: Record<string, unknown>, asOf: string, method: 'owner_artifact' | 'browser_polyfill' = 'owner_artifact') => ({ data, method, batchIds: [asOf], asOf });
  const policies = { title: { by: 'update_time' } as const, update_time: 'max' as const };

  it('the value of the version with the larger `by` wins, whatever the versions’ own times', () => {
    const versions = [v({ title: 'New', update_time: '2026-02-01T00:00:00Z' }, '2026-01-01T00:00:00Z'), v({ title: 'Old', update_time: '2026-01-01T00:00:00Z' }, '2026-03-01T00:00:00Z')];
    expect(mergeVersions(versions, policies)).toEqual({ title: 'New', update_time: '2026-02-01T00:00:00Z' });
    expect(mergeVersions([...versions].reverse(), policies)).toEqual({ title: 'New', update_time: '2026-02-01T00:00:00Z' });
  });

  it('a version without the field ranks by when it was seen; an empty value never wins', () => {
    const exported = v({ title: 'Old', update_time: '2026-01-10T00:00:00Z' }, '2026-02-01T00:00:00Z');
    expect(mergeVersions([exported, v({ title: 'Seen later' }, '2026-01-20T00:00:00Z', 'browser_polyfill')], policies).title).toBe('Seen later');
    expect(mergeVersions([exported, v({ title: 'Seen earlier' }, '2026-01-05T00:00:00Z', 'browser_polyfill')], policies).title).toBe('Old');
    expect(mergeVersions([exported, v({ title: '' }, '2026-03-01T00:00:00Z', 'browser_polyfill')], policies).title).toBe('Old');
  });

  it('is a function of the set of versions (any order, same result)', () => {
    const version = fc.record({
      title: fc.option(fc.constantFrom('A', 'B', 'C', ''), { nil: undefined }),
      update_time: fc.option(fc.constantFrom('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z'), { nil: undefined }),
      asOf: fc.constantFrom('2026-01-01T12:00:00Z', '2026-01-02T12:00:00Z'),
      method: fc.constantFrom('owner_artifact' as const, 'browser_polyfill' as const),
    });
    fc.assert(
      fc.property(fc.uniqueArray(version, { maxLength: 5, selector: (x) => JSON.stringify(x) }), fc.nat(), (list, seed) => {
        const versions = list.map(({ asOf, method, ...data }, i) => ({ data: Object.fromEntries(Object.entries(data).filter(([, x]) => x !== undefined)), method, batchIds: [`b${i}`], asOf }));
        const shuffled = [...versions].sort((a, b) => ((a.batchIds[0]!.charCodeAt(1) * 31 + seed) % 7) - ((b.batchIds[0]!.charCodeAt(1) * 31 + seed) % 7));
        expect(mergeVersions(shuffled, policies)).toEqual(mergeVersions(versions, policies));
      }),
    );
  });
});
