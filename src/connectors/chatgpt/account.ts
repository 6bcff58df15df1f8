/**
 * Whose conversations these are. ChatGPT's pages do not name the account in
 * their markup; the page itself asks its own origin's session endpoint
 * (`/api/auth/session`), whose `user.id` (`user-…`) is the account, the same
 * id the export's `user.json` carries. The content script asks the same
 * endpoint once (same origin, the page's own cookies) and keeps only the id and
 * email: never the access token the reply also holds, and nothing is logged.
 * No id, no hint: the background then stores nothing.
 */
import type { AccountHint } from '../../core/model';
import type { PageExtractor } from '../types';

export const SESSION_PATH = '/api/auth/session';
const USER_ID_RE = /^user-[A-Za-z0-9]{6,64}$/;

/** The account of a ChatGPT user id (`user-…`), with its email as the label when known. */
export function chatgptAccountHint(userId: unknown, email: unknown, evidence: string): AccountHint | undefined {
  if (typeof userId !== 'string' || !USER_ID_RE.test(userId)) return undefined;
  const mail = typeof email === 'string' && /^[^\s@]{1,100}@[^\s@]{1,100}$/.test(email) ? email : undefined;
  return { key: `chatgpt.com|${userId}`, label: `${mail ?? userId} on ChatGPT`, evidence };
}

/** The account in a session reply (`{ user: { id, email }, accessToken, … }`); reads nothing else. */
export function accountFromSession(body: unknown): AccountHint | undefined {
  const user = body && typeof body === 'object' ? (body as { user?: unknown }).user : undefined;
  if (!user || typeof user !== 'object') return undefined;
  const { id, email } = user as { id?: unknown; email?: unknown };
  return chatgptAccountHint(id, email, 'signed-in session on chatgpt.com');
}

/** Asks the page's own session endpoint once; undefined when signed out or unreachable. */
export async function lookupSessionAccount(fetcher: typeof fetch = fetch): Promise<AccountHint | undefined> {
  try {
    const reply = await fetcher(SESSION_PATH, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (!reply.ok) return undefined;
    return accountFromSession(await reply.json());
  } catch {
    return undefined;
  }
}

/** The pure extractor, with the account found by the small injected lookup added to each capture. */
export function withAccount(extractor: PageExtractor, accountHint: AccountHint | undefined): PageExtractor {
  return {
    matches: (url) => extractor.matches(url),
    extract: (doc, url) => ({ ...extractor.extract(doc, url), accountHint }),
  };
}
