/**
 * The Netflix account-export parser alone, in Node: a generated
 * ViewingActivity.csv of 50,000 and 200,000 rows (two profiles, 1 in 20 rows a
 * trailer), streamed in 64 KB pieces as the runner feeds it, in 1,000-row chunks.
 * Prints rows per second and the live heap peak above the start (after a GC every 20th chunk),
 * to show the parse is fast and its memory flat in file size.
 * Run: `NODE_OPTIONS=--expose-gc npx tsx scripts/bench/netflix-parse.ts`
 */
import { ARTIFACT_LIMITS } from '../../src/artifacts/limits';
import type { StreamFile } from '../../src/artifacts/streaming';
import { netflixViewingActivityParser } from '../../src/connectors/netflix/artifact';

const HEADER = 'Profile Name,Start Time,Duration,Attributes,Title,Supplemental Video Type,Device Type,Bookmark,Latest Bookmark,Country\r\n';

function line(i: number): string {
  const profile = i < 0 ? '' : i % 3 === 0 ? 'Sam O.' : 'Dana';
  const at = new Date(Date.UTC(2016, 0, 1) + i * 37 * 60_000).toISOString().replace('T', ' ').slice(0, 19);
  const extra = i % 20 === 0 ? 'TRAILER' : '';
  return `${profile},${at},0:${String(i % 60).padStart(2, '0')}:12,,"Show ${i % 500}: Season ${i % 7}: Episode ${i} (Episode ${i % 12})",${extra},Samsung 2019 UHD TV,0:10:00,0:10:00,US (United States)\r\n`;
}

function generated(rows: number): StreamFile {
  const encoder = new TextEncoder();
  return {
    path: 'CONTENT_INTERACTION/ViewingActivity.csv',
    sizeBytes: 0,
    fingerprint: 'bench',
    async *bytes() {
      let text = HEADER;
      for (let i = 0; i < rows; i++) {
        text += line(i);
        if (text.length >= 64 * 1024) {
          yield encoder.encode(text);
          text = '';
        }
      }
      if (text) yield encoder.encode(text);
    },
  };
}

if (typeof (globalThis as { gc?: unknown }).gc !== 'function') throw new Error('Run with NODE_OPTIONS=--expose-gc, so the heap is measured live.');

async function run(rows: number): Promise<{ rows: number; seconds: number; rowsPerSecond: number; heapPeakMb: number; records: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  let records = 0;
  const started = performance.now();
  let chunks = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  for await (const chunk of netflixViewingActivityParser.parseChunks([generated(rows)], { chunkRows: 1000, limits: ARTIFACT_LIMITS })) {
    records += chunk.observations.length;
    // Live heap, every 20th chunk while that chunk is still held (the runner holds one at a time).
    if (++chunks % 20 === 0) {
      gc?.();
      peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { rows, seconds: Number(seconds.toFixed(2)), rowsPerSecond: Math.round(rows / seconds), heapPeakMb: Number((peak / 1024 / 1024).toFixed(1)), records };
}

const small = await run(50_000);
const large = await run(200_000);
console.log(JSON.stringify({ small, large, heapRatio: Number((large.heapPeakMb / small.heapPeakMb).toFixed(2)) }, null, 2));
