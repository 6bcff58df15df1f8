/** Loads X page fixtures into a DOM with the signed-in account's cookie (needs the happy-dom environment). */
import { twidCookie, X_PAGES, type XAccount, type XPageFixture } from '../../../fixtures/x';

export function loadXPage(name: XPageFixture, cookieOf: XAccount | null = X_PAGES[name].cookie): { doc: Document; url: URL } {
  const doc = new DOMParser().parseFromString(X_PAGES[name].build(), 'text/html');
  withCookie(doc, cookieOf ? `guest_id=v1%3A171; twid=${twidCookie(cookieOf)}; lang=en` : 'guest_id=v1%3A171; lang=en');
  return { doc, url: new URL(X_PAGES[name].url) };
}

/** A parsed document has no cookie jar; give it the cookies the browser would. */
export function withCookie(doc: Document, cookie: string): Document {
  Object.defineProperty(doc, 'cookie', { value: cookie, configurable: true });
  return doc;
}

export function idsOf(observations: { data: Record<string, unknown> }[]): string[] {
  return observations.map((o) => o.data.id as string).sort();
}
