/** Loads Reddit page fixtures into a DOM and runs the extractor (needs the happy-dom environment). */
import type { PageCapture } from '../../../../src/connectors/types';
import { redditPageExtractor } from '../../../../src/connectors/reddit/page';
import { expectations, readRedditFixture, type RedditPageFixture } from '../../../fixtures/reddit';

export function loadPage(name: RedditPageFixture, url?: string): { doc: Document; url: URL } {
  const doc = new DOMParser().parseFromString(readRedditFixture(name), 'text/html');
  return { doc, url: new URL(url ?? expectations.pages[name].url) };
}

export function extract(name: RedditPageFixture, url?: string): PageCapture {
  const { doc, url: u } = loadPage(name, url);
  return redditPageExtractor.extract(doc, u);
}

export function byId(capture: { observations: { stream: string; data: Record<string, unknown> }[] }, id: string): Record<string, unknown> {
  const hit = capture.observations.find((o) => o.data.id === id);
  if (!hit) throw new Error(`no observation ${id}`);
  return hit.data;
}
