/** x.com as its owner browses it, served from fixtures, signed in by the `twid` cookie X sets. */
import type { Page } from 'playwright-core';
import { twidCookie, X_PAGES, type XAccount, type XPageFixture } from '../../fixtures/x';
import type { ExtensionSession } from '../support/extension';

/** Signs the browser in as `account` (replacing any other X sign-in). */
export async function signInToX(session: ExtensionSession, account: XAccount): Promise<void> {
  await session.context.clearCookies({ domain: '.x.com' });
  await session.context.addCookies([{ name: 'twid', value: twidCookie(account), domain: '.x.com', path: '/', secure: true, sameSite: 'None' }]);
}

/** Serves one fixture page at its real URL, signed in as the fixture's account, and opens it; resolves once its capture landed. */
export async function browseX(session: ExtensionSession, fixture: XPageFixture): Promise<Page> {
  const page = X_PAGES[fixture];
  await signInToX(session, page.cookie);
  session.servePage(page.url, page.build());
  return session.visit(page.url);
}

/** Opens a page that must not be captured (someone else's profile) and waits a while. */
export async function browseXExpectingNothing(session: ExtensionSession, fixture: XPageFixture): Promise<Page> {
  const page = X_PAGES[fixture];
  await signInToX(session, page.cookie);
  session.servePage(page.url, page.build());
  return session.visitExpectingNoCapture(page.url);
}
