/** Loads Netflix fixtures for the unit tests. */
import type { StreamFile } from '../../../../src/artifacts/streaming';
import { ARTIFACT_LIMITS } from '../../../../src/artifacts/limits';
import type { ParsedChunk, ParseSummary, ChunkedArtifactParser } from '../../../../src/artifacts/streaming';
import type { Observation } from '../../../../src/core/model';
import { readNetflixFixture, VIEWING_PAGE_URL, type NetflixPageFixture } from '../../../fixtures/netflix';

export function loadPage(name: NetflixPageFixture, url = VIEWING_PAGE_URL): { doc: Document; url: URL } {
  const doc = new DOMParser().parseFromString(readNetflixFixture(name), 'text/html');
  return { doc, url: new URL(url) };
}

/** Presses "Show more" the way the page does: the template's rows appended to the list. */
export function showMore(doc: Document): void {
  const template = doc.getElementById('more-rows') as HTMLTemplateElement | null;
  if (!template) throw new Error('no more rows');
  const holder = doc.createElement('div');
  holder.innerHTML = template.innerHTML;
  doc.querySelector('ul.retable')!.append(...Array.from(holder.children));
  template.remove();
}

/** A file of bytes, delivered in pieces of `piece` bytes (to cross every boundary). */
export function streamFile(path: string, bytes: Uint8Array | string, piece = 7): StreamFile {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return {
    path,
    sizeBytes: data.length,
    fingerprint: `size:${data.length}`,
    async *bytes() {
      for (let at = 0; at < data.length; at += piece) yield data.subarray(at, at + piece);
    },
  };
}

export interface Drained {
  observations: Observation[];
  chunks: ParsedChunk[];
  summary: ParseSummary;
}

export async function drain(parser: ChunkedArtifactParser, files: StreamFile[], chunkRows = 3): Promise<Drained> {
  const generator = parser.parseChunks(files, { chunkRows, limits: ARTIFACT_LIMITS });
  const chunks: ParsedChunk[] = [];
  for (;;) {
    const step = await generator.next();
    if (step.done) return { observations: chunks.flatMap((chunk) => chunk.observations), chunks, summary: step.value };
    chunks.push(step.value);
  }
}

export const titleDay = (observations: Observation[]) => observations.map((o) => [o.data.title, o.data.watched_on]);
