/** Reddit as the owner browses it, served from fixtures at old.reddit.com and www.reddit.com. */
import type { Page } from 'playwright-core';
import { expectations, readRedditFixture, type RedditPageFixture } from '../../fixtures/reddit';
import type { ExtensionSession } from '../support/extension';

/** Serves one fixture at its real URL and opens it; resolves once the capture has landed. */
export async function browseReddit(session: ExtensionSession, fixture: RedditPageFixture): Promise<Page> {
  const { url } = expectations.pages[fixture];
  session.servePage(url, readRedditFixture(fixture));
  return session.visit(url);
}

/** Opens a fixture page that must not be captured (someone else's listing); waits long enough for a capture to have landed. */
export async function browseRedditExpectingNothing(session: ExtensionSession, fixture: RedditPageFixture): Promise<Page> {
  const { url } = expectations.pages[fixture];
  session.servePage(url, readRedditFixture(fixture));
  return session.visitExpectingNoCapture(url);
}

/** The four listings most people have, as Dana opens them. */
export const DANA_LISTINGS: RedditPageFixture[] = ['old-submitted-dana.html', 'old-comments-dana.html', 'old-saved-dana.html', 'old-upvoted-dana.html'];
