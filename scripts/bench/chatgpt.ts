/**
 * ChatGPT import figures (issue 11), in headless Chromium with the built
 * extension (`BENCH_ONLY=chatgpt npm run bench`):
 *
 * - a generated 300 MB `conversations.json` (one JSON array on one line, as
 *   ChatGPT writes it; conversations of 8 to 40 messages, some branched, some
 *   with code, tool output and image pointers) is uploaded bare and imported
 *   through the background job (preview, then commit);
 * - `chatgpt_heap_peak_mb`: the service worker's peak JS heap (CDP
 *   `Runtime.getHeapUsage` every 50 ms, after a forced GC) from upload to
 *   receipt; the goal is under 150 MB;
 * - `chatgpt_import_records_per_s` from confirmation to receipt, and
 *   `chatgpt_raw_bulkput_records_per_s`: the same stored records written again
 *   with Dexie `bulkPut` alone, in chunks of the import's size, in the same
 *   run; `chatgpt_import_ratio` = the first ÷ the second.
 *
 * `GLEANER_BENCH_SCALE=0.1` shrinks the file for a quick look.
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchExtension } from '../../test/e2e/support/extension';
import type { ImportJobView } from '../../src/background/import-handlers';
import { benchRawBulkPut, stageFromPath, waitFor, WorkerDebugger } from './import';

const SCALE = Number(process.env.GLEANER_BENCH_SCALE ?? 1);
const TARGET_BYTES = Math.round(300 * 1024 * 1024 * SCALE);

const WORDS = 'the a plan sourdough starter lisbon tram python chart data bread garden tomato light water river museum code error value list table month total result question answer because however'.split(' ');

/** A deterministic pseudo-random source (xorshift); the viewing bench's files use it too. */
export function random(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const seconds = (from?: string, to?: string) => (Date.parse(to ?? '') - Date.parse(from ?? '')) / 1000;
const hex = (rand: () => number, n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
const uuid = (rand: () => number) => `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-8${hex(rand, 3)}-${hex(rand, 12)}`;
const sentence = (rand: () => number, words: number) => Array.from({ length: words }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');

/** One conversation shaped like the export's: a root, alternating turns, a branch now and then. */
function conversation(index: number): string {
  const rand = random(index * 7919 + 17);
  const id = uuid(rand);
  const start = 1_700_000_000 + index * 3600 + rand();
  const mapping: Record<string, unknown> = { 'client-created-root': { id: 'client-created-root', message: null, parent: null, children: [] as string[] } };
  let parent = 'client-created-root';
  const turns = 8 + Math.floor(rand() * 33);
  let at = start;
  for (let turn = 0; turn < turns; turn++) {
    const role = turn % 2 === 0 ? 'user' : 'assistant';
    const nodeId = role === 'user' ? `aaa2${hex(rand, 4)}-${hex(rand, 4)}-4${hex(rand, 3)}-8${hex(rand, 3)}-${hex(rand, 12)}` : uuid(rand);
    at += 5 + rand() * 60;
    const kind = rand();
    const content =
      role === 'assistant' && kind < 0.1
        ? { content_type: 'code', language: 'python', text: `import pandas as pd\n${sentence(rand, 60)}` }
        : role === 'user' && kind < 0.05
          ? { content_type: 'multimodal_text', parts: [{ content_type: 'image_asset_pointer', asset_pointer: `file-service://file-${hex(rand, 22)}`, size_bytes: 20000, width: 640, height: 480 }, sentence(rand, 20)] }
          : { content_type: 'text', parts: [sentence(rand, role === 'user' ? 20 + Math.floor(rand() * 40) : 120 + Math.floor(rand() * 200))] };
    mapping[nodeId] = {
      id: nodeId,
      message: {
        id: nodeId,
        author: { role, name: null, metadata: {} },
        create_time: at,
        update_time: null,
        content,
        status: 'finished_successfully',
        end_turn: role === 'assistant' ? true : null,
        weight: 1.0,
        metadata: role === 'assistant' ? { model_slug: 'gpt-4o', default_model_slug: 'gpt-4o', finish_details: { type: 'stop', stop_tokens: [200002] }, citations: [], request_id: hex(rand, 16) } : { request_id: hex(rand, 16) },
        recipient: 'all',
        channel: null,
      },
      parent,
      children: [] as string[],
    };
    (mapping[parent] as { children: string[] }).children.push(nodeId);
    // Now and then a regenerated answer: a sibling branch that is not followed.
    if (role === 'assistant' && rand() < 0.08) {
      const sibling = uuid(rand);
      mapping[sibling] = { ...(mapping[nodeId] as object), id: sibling, message: { ...((mapping[nodeId] as { message: object }).message), id: sibling }, children: [] };
      (mapping[parent] as { children: string[] }).children.push(sibling);
    }
    parent = nodeId;
  }
  return JSON.stringify({
    title: sentence(rand, 4),
    create_time: start,
    update_time: at,
    mapping,
    moderation_results: [],
    current_node: parent,
    plugin_ids: null,
    conversation_id: id,
    conversation_template_id: null,
    gizmo_id: null,
    is_archived: false,
    safe_urls: [],
    default_model_slug: 'gpt-4o',
    id,
  });
}

/** Writes `conversations.json` of about `bytes` bytes: one line. Returns the conversation count. */
async function writeConversations(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  out.write('[');
  let written = 1;
  let count = 0;
  while (written < bytes) {
    const text = (count > 0 ? ', ' : '') + conversation(count);
    count++;
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  }
  out.write(']');
  out.end();
  await once(out, 'finish');
  return count;
}

export async function runChatgptBench(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gleaner-bench-chatgpt-'));
  const session = await launchExtension(process.env.GLEANER_OUT_DIR ? { extensionDir: path.resolve(process.env.GLEANER_OUT_DIR, 'chrome-mv3') } : {});
  try {
    const file = path.join(dir, 'conversations.json');
    const conversations = await writeConversations(file, TARGET_BYTES);
    console.log(`bench chatgpt_file_mb: ${(statSync(file).size / 1024 / 1024).toFixed(1)} (${conversations} conversations, one line)`);
    await session.worker.evaluate('globalThis.__name = (fn) => fn');
    const page = await session.openExtensionPage('popup.html');
    const debug = await WorkerDebugger.attach(page, session.extensionId);
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    // Preview and commit timed apart, each figure printed as soon as it is known (a slow machine may stop the run early).
    await debug.send('HeapProfiler.collectGarbage');
    const previewHeap = debug.sampleHeap();
    const stagedId = await stageFromPath(page, file);
    const started = await session.call<ImportJobView>('import.start', { stagedId });
    const ready = await waitFor(session, started.id, ['ready']);
    const previewPeak = await previewHeap.stop();
    console.log(`bench chatgpt_preview_s: ${seconds(ready.createdAt, ready.timings?.previewed).toFixed(1)} (${ready.preview?.records} records)`);
    console.log(`bench chatgpt_heap_peak_preview_mb: ${mb(previewPeak)}`);
    const commitHeap = debug.sampleHeap();
    await session.call('import.confirm', { jobId: started.id, target: { newConnection: { accountName: 'Dana' } } });
    const progress = setInterval(() => {
      void session.call<ImportJobView>('import.get', { jobId: started.id }).then((job) => console.log(`  … ${job.recordsCommitted} records stored`), () => undefined);
    }, 60_000);
    const done = await waitFor(session, started.id, ['committed']).finally(() => clearInterval(progress));
    const commitPeak = await commitHeap.stop();
    const counts = done.receipt!.counts;
    const records = counts.parsed;
    const importSeconds = seconds(done.timings?.confirmed, done.timings?.committed);
    console.log(`bench chatgpt_records: ${records} (${counts.new} new, ${counts.skipped} nodes skipped, ${counts.failed} failed)`);
    console.log(`bench chatgpt_import_s: ${importSeconds.toFixed(1)}`);
    console.log(`bench chatgpt_import_records_per_s: ${Math.round(records / importSeconds)}`);
    console.log(`bench chatgpt_heap_peak_mb: ${mb(Math.max(previewPeak, commitPeak))} (preview ${mb(previewPeak)}, commit ${mb(commitPeak)}; goal < 150)`);
    const settings = await session.call<{ chunkRows: number }>('import.settings.get');
    const raw = await benchRawBulkPut(session, done.connectionId!, settings.chunkRows);
    console.log(`bench chatgpt_raw_bulkput_records_per_s: ${Math.round(raw.records / raw.seconds)}`);
    console.log(`bench chatgpt_import_ratio: ${(records / importSeconds / (raw.records / raw.seconds)).toFixed(2)}`);
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
