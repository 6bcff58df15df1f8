/** Amazon as the owner browses it, served from fixtures at www.amazon.com. */
import type { Page } from 'playwright-core';
import { expectations, readAmazonFixture, type AmazonPageFixture } from '../../fixtures/amazon';
import type { ExtensionSession } from '../support/extension';

/** Serves one fixture at its real URL and opens it; resolves once the capture has landed. */
export async function browseAmazon(session: ExtensionSession, fixture: AmazonPageFixture): Promise<Page> {
  const { url } = expectations.pages[fixture];
  session.servePage(url, readAmazonFixture(fixture));
  return session.visit(url);
}
