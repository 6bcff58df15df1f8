import { strToU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { chatgptExportParser, tsToIso } from '../../../../src/connectors/chatgpt/artifact';
import { chatgptConnector } from '../../../../src/connectors/chatgpt';
import { connectors } from '../../../../src/connectors/registry';
import { flattenContent } from '../../../../src/connectors/chatgpt/content';
import { openArtifact } from '../../../../src/artifacts/open-artifact';
import { bytesSource } from '../../../../src/artifacts/source';
import { ARTIFACT_LIMITS } from '../../../../src/artifacts/limits';
import type { ArtifactFile } from '../../../../src/connectors/types';
import type { ParsedChunk, StreamFile } from '../../../../src/artifacts/streaming';
import type { Observation } from '../../../../src/core/model';
import { CHAT_HTML, DANA_USER_JSON, conversationsJson, danaConversations, expectations, ids, makeChatgptExportZip } from '../../../fixtures/chatgpt';

const zipFiles = (): ArtifactFile[] => Object.entries(unzipSync(makeChatgptExportZip())).map(([path, bytes]) => ({ path, text: () => new TextDecoder().decode(bytes) }));
const byStream = (observations: Observation[], stream: string) => observations.filter((o) => o.stream === stream).map((o) => o.data);
const idsOf = (observations: Observation[], stream: string) => byStream(observations, stream).map((d) => d.id as string).sort();

/** Files as the import runner hands them over: bytes in chunks of `size`. */
function streamFiles(files: Record<string, Uint8Array>, size: number): StreamFile[] {
  return Object.entries(files).map(([path, bytes]) => ({
    path,
    sizeBytes: bytes.length,
    fingerprint: `size:${bytes.length}`,
    async *bytes() {
      for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
    },
  }));
}

async function collect(files: StreamFile[], chunkRows: number) {
  const chunks: ParsedChunk[] = [];
  const generator = chatgptExportParser.parseChunks(files, { chunkRows, limits: ARTIFACT_LIMITS });
  for (;;) {
    const step = await generator.next();
    if (step.done) return { chunks, summary: step.value };
    chunks.push(step.value);
  }
}

describe('chatgptExportParser.parse (the zip)', () => {
  const result = chatgptExportParser.parse(zipFiles());

  it('keeps every conversation and every node with a message, branches included', () => {
    expect(idsOf(result.observations, 'conversations')).toEqual(expectations.export.conversationIds);
    expect(idsOf(result.observations, 'messages')).toEqual(expectations.export.messageIds);
    const messages = byStream(result.observations, 'messages');
    const of = (id: string) => messages.find((m) => m.id === id)!;
    // The edited question and its original are siblings under the root; both regenerated answers under the original.
    for (const id of expectations.export.siblings.editedQuestion) expect(of(id).parent_id).toBe('client-created-root');
    for (const id of expectations.export.siblings.regeneratedAnswer) expect(of(id).parent_id).toBe(ids.msg.sdQ1);
    expect(of(ids.msg.sdQ1).children_ids).toEqual([ids.msg.sdA1, ids.msg.sdA1regen]);
    expect(messages.filter((m) => m.on_current_branch).map((m) => m.id).sort()).toEqual(expectations.export.currentBranch);
    const sourdough = byStream(result.observations, 'conversations').find((c) => c.id === ids.sourdough)!;
    expect(sourdough).toMatchObject({ title: 'Sourdough starter', current_node: ids.msg.sdA1edit, message_count_on_current_branch: 2, create_time: '2026-11-02T12:00:00.123Z', update_time: '2026-11-03T08:15:00.123Z', is_archived: false });
  });

  it('flattens content by type', () => {
    const messages = byStream(result.observations, 'messages');
    for (const [id, text] of Object.entries(expectations.export.content)) expect(messages.find((m) => m.id === id)!.content, id).toBe(text);
    const code = messages.find((m) => m.id === ids.msg.plotCode)!;
    expect(code).toMatchObject({ role: 'assistant', content_type: 'code', model_slug: 'o3', recipient: 'python', create_time: '2026-11-14T09:00:12.123Z' });
    expect(messages.find((m) => m.id === ids.msg.sdQ1)!.attachment_ids).toEqual([ids.photoFile, ids.missingFile]);
  });

  it('skips the empty roots and the hidden system message, counted with their reasons', () => {
    const skipped = expectations.export.skipped;
    expect(result.skipped).toBe(skipped.empty_node + skipped.hidden_system);
    expect(result.warnings.filter((w) => w.code === 'empty_node')).toHaveLength(skipped.empty_node);
    expect(result.warnings.filter((w) => w.code === 'hidden_system')).toHaveLength(skipped.hidden_system);
    expect(result.failed).toBe(0);
  });

  it('a photo the zip lacks is a missing-media note; the one it holds is not', () => {
    const missing = result.warnings.filter((w) => w.code === 'missing_media');
    expect(missing.map((w) => w.where?.split(' ')[0])).toEqual(expectations.export.missingMedia);
    expect(result.observations.some((o) => o.data.id === ids.msg.sdQ1)).toBe(true);
  });

  it('the account from user.json, the window from update times (partial)', () => {
    expect(result.accountHint).toMatchObject({ key: expectations.accounts.dana.key, label: expectations.accounts.dana.label });
    expect(result.coverage.find((c) => c.stream === 'conversations')).toMatchObject({ ...expectations.export.coverage.conversations, completeness: 'partial' });
    expect(result.entries.sort()).toEqual(['conversations.json', 'user.json']);
  });

  it('every observation validates against its stream', () => {
    for (const o of result.observations) {
      const stream = chatgptConnector.streams.find((s) => s.name === o.stream)!;
      expect(stream.schema.safeParse(o.data).success, JSON.stringify(o.data)).toBe(true);
    }
  });
});

describe('chatgptExportParser.parseChunks (streamed)', () => {
  it('gives the same records as the whole-text parse, whatever the chunking, a conversation never split', async () => {
    const expected = chatgptExportParser.parse(zipFiles());
    const files = unzipSync(makeChatgptExportZip());
    for (const [byteChunk, chunkRows] of [[1, 1], [7, 3], [64 * 1024, 1000]] as const) {
      const { chunks, summary } = await collect(streamFiles(files, byteChunk), chunkRows);
      expect(chunks.flatMap((c) => c.observations)).toEqual(expected.observations);
      expect(chunks.reduce((n, c) => n + c.skipped, 0)).toBe(expected.skipped);
      expect(chunks.reduce((n, c) => n + c.rowsRead, 0)).toBe(expected.rowsRead);
      expect(summary.accountHint).toEqual(expected.accountHint);
      expect(summary.coverage).toEqual(expected.coverage);
      for (const chunk of chunks) {
        const conversationsHere = new Set(byStream(chunk.observations, 'conversations').map((c) => c.id));
        for (const m of byStream(chunk.observations, 'messages')) expect(conversationsHere.has(m.conversation_id)).toBe(true);
      }
    }
  });

  it('a conversation far longer than a CSV row limit is read (one line, 3 MB)', async () => {
    const [big] = danaConversations();
    const long = { ...big, mapping: { ...big!.mapping } } as ReturnType<typeof danaConversations>[number];
    (long.mapping as Record<string, { message: { content: { parts?: string[] } } }>)[ids.msg.plotAnswer]!.message.content = { content_type: 'text', parts: ['x'.repeat(3 * 1024 * 1024)] } as never;
    const files = { 'conversations.json': strToU8(conversationsJson([long])) };
    const { chunks } = await collect(streamFiles(files, 1024 * 1024), 1000);
    const answer = chunks.flatMap((c) => c.observations).find((o) => o.data.id === ids.msg.plotAnswer)!;
    expect((answer.data.content as string).length).toBe(3 * 1024 * 1024);
  });

  it('a bare conversations.json: records, no account (the owner names it), every pointed photo noted as not uploaded', async () => {
    const { chunks, summary } = await collect(streamFiles({ 'conversations.json': strToU8(conversationsJson()) }, 4096), 1000);
    expect(summary.accountHint).toBeUndefined();
    expect(chunks.flatMap((c) => c.observations).filter((o) => o.stream === 'messages')).toHaveLength(expectations.export.messageIds.length);
    expect(chunks.flatMap((c) => c.warnings).filter((w) => w.code === 'missing_media')).toHaveLength(2);
  });

  it('a zip without conversations.json says what to upload', async () => {
    const { chunks } = await collect(streamFiles({ 'user.json': strToU8(JSON.stringify(DANA_USER_JSON)) }, 4096), 1000);
    expect(chunks.flatMap((c) => c.observations)).toEqual([]);
    expect(chunks.flatMap((c) => c.warnings).map((w) => w.message).join(' ')).toMatch(/upload the zip ChatGPT sent, or conversations\.json/);
  });
});

describe('recognised by content', () => {
  it('opens the zip (a media file first in its directory) and the bare conversations.json as ChatGPT', async () => {
    const zip = await openArtifact(bytesSource(makeChatgptExportZip()), 'export.zip', connectors, ARTIFACT_LIMITS);
    expect(zip.connector.key).toBe('chatgpt');
    expect(zip.files.map((f) => f.path).sort()).toEqual([`${ids.photoFile}-starter.jpg`, 'conversations.json', 'user.json'].sort());
    const bare = await openArtifact(bytesSource(strToU8(conversationsJson())), 'whatever.json', connectors, ARTIFACT_LIMITS);
    expect(bare.connector.key).toBe('chatgpt');
    expect(bare.confidence).toBeGreaterThanOrEqual(0.9);
  });

  it('refuses chat.html alone with what to upload instead', async () => {
    await expect(openArtifact(bytesSource(strToU8(CHAT_HTML)), 'chat.html', connectors, ARTIFACT_LIMITS)).rejects.toMatchObject({ code: 'html_export', message: expect.stringMatching(/upload the zip, or conversations\.json/) });
  });

  it('does not claim another JSON list', () => {
    expect(chatgptExportParser.sniff({ path: 'watch-history.json', format: 'json', head: '[{"header":"YouTube","title":"Watched x","titleUrl":"https://y","time":"2024-01-01T00:00:00Z"}]' })).toBe(0);
    expect(chatgptExportParser.sniff({ path: 'user.json', format: 'json', head: '{"id":"12345","name":"x"}' })).toBe(0);
  });
});

describe('content and times', () => {
  it('unknown content types fall back to their JSON, cut short; empty content is null', () => {
    expect(flattenContent({ content_type: 'brand_new', value: 'v' }).text).toBe('{"content_type":"brand_new","value":"v"}');
    expect(flattenContent({ content_type: 'brand_new', value: 'v'.repeat(6000) }).text!.length).toBe(5001);
    expect(flattenContent({ content_type: 'text', parts: [''] }).text).toBeNull();
    expect(flattenContent(null).text).toBeNull();
    expect(flattenContent({ content_type: 'tether_quote', title: 'T', url: 'https://e.test', text: 'q' }).text).toBe('T\nhttps://e.test\nq');
  });
  it('unix seconds become instants; missing or zero stay unknown (never now)', () => {
    expect(tsToIso(1762771200.5)).toBe('2025-11-10T10:40:00.500Z');
    expect(tsToIso(0)).toBeUndefined();
    expect(tsToIso(null)).toBeUndefined();
    expect(tsToIso('yesterday')).toBeUndefined();
  });
});
