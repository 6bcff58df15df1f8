/** Loads Amazon page fixtures into a DOM (needs the happy-dom environment). */
import { expectations, readAmazonFixture, type AmazonPageFixture } from '../../../fixtures/amazon';

export function loadPage(name: AmazonPageFixture, url?: string): { doc: Document; url: URL } {
  const doc = new DOMParser().parseFromString(readAmazonFixture(name), 'text/html');
  return { doc, url: new URL(url ?? expectations.pages[name].url) };
}

export function ids(observations: { stream: string; data: Record<string, unknown> }[], stream = 'orders'): unknown[] {
  return observations.filter((o) => o.stream === stream).map((o) => (stream === 'orders' ? o.data.id : o.data.item_key));
}

export function find(
  observations: { stream: string; data: Record<string, unknown> }[],
  stream: string,
  pred: (d: Record<string, unknown>) => boolean,
): Record<string, unknown> {
  const hit = observations.find((o) => o.stream === stream && pred(o.data));
  if (!hit) throw new Error(`no ${stream} observation matched`);
  return hit.data;
}

/** Runs `fn` with the process in time zone `zone` (Node applies a changed TZ at once), then puts the zone back. */
export function withTimeZone<T>(zone: string, fn: () => T): T {
  const before = process.env.TZ;
  process.env.TZ = zone;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
}
