/** Shared setup for the YouTube unit tests: a fixed clock, fixture pages in a DOM, the parser on fixture text. */
import { strToU8 } from 'fflate';
import type { StreamFile } from '../../../../src/artifacts/streaming';
import { ARTIFACT_LIMITS } from '../../../../src/artifacts/limits';
import { youtubeWatchHistoryParser } from '../../../../src/connectors/youtube/artifact';
import type { Clock } from '../../../../src/connectors/youtube/local-day';
import type { Observation } from '../../../../src/core/model';
import { createYoutubePageExtractor } from '../../../../src/connectors/youtube/page';
import { HISTORY_URL, historyPage, type PageOptions } from '../../../fixtures/youtube';

/** Thursday 2026-03-12, 15:00 UTC: 08:00 that Thursday in Los Angeles, 04:00 Friday the 13th in Auckland. */
export const NOW = new Date('2026-03-12T15:00:00Z');
export const LA = 'America/Los_Angeles';
export const AUCKLAND = 'Pacific/Auckland';

export function extractPage(options: PageOptions, clock: Clock) {
  const doc = new DOMParser().parseFromString(historyPage(options), 'text/html');
  return createYoutubePageExtractor(() => clock).extract(doc, new URL(HISTORY_URL));
}

export function streamFile(path: string, text: string, pieceSize = 257): StreamFile {
  const bytes = strToU8(text);
  return {
    path,
    sizeBytes: bytes.length,
    fingerprint: `size:${bytes.length}`,
    async *bytes() {
      for (let at = 0; at < bytes.length; at += pieceSize) yield bytes.subarray(at, at + pieceSize);
    },
  };
}

/** Runs the streamed parser to the end: every chunk's observations, summed counts, warnings and the summary. */
export async function parseStreamed(files: StreamFile[], chunkRows = 2) {
  const generator = youtubeWatchHistoryParser.parseChunks(files, { chunkRows, limits: ARTIFACT_LIMITS });
  const observations: Observation[] = [];
  const counts = { rowsRead: 0, skipped: 0, failed: 0, chunks: 0 };
  const warnings: { code: string; message: string }[] = [];
  for (;;) {
    const next = await generator.next();
    if (next.done) return { observations, counts, warnings, summary: next.value };
    counts.chunks++;
    counts.rowsRead += next.value.rowsRead;
    counts.skipped += next.value.skipped;
    counts.failed += next.value.failed;
    observations.push(...next.value.observations);
    warnings.push(...next.value.warnings);
  }
}
