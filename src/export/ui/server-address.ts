/** Checks the personal server's address as the owner types it, in their words (pure; the link itself re-checks with `normaliseOrigin`). */
import { isLoopbackHost, normaliseOrigin } from '../client';

/** What an address looks like, said under the field and in every refusal. */
export const ADDRESS_EXAMPLE = 'An address looks like https://pdpp.example.org, or http://127.0.0.1:7662 for a server on this computer.';

/**
 * Why `input` is not a server address, or undefined when it is one (or is
 * still empty). "pdpp server at home" is a description, not an address.
 */
export function serverAddressProblem(input: string): string | undefined {
  const trimmed = input.trim();
  if (!trimmed) return undefined;
  if (/\s/.test(trimmed)) return `“${trimmed.slice(0, 60)}” is not a web address: it has spaces in it. ${ADDRESS_EXAMPLE}`;
  let origin: string;
  try {
    origin = normaliseOrigin(trimmed);
  } catch (caught) {
    const message = (caught as Error).message;
    return /https:\/\//.test(message) && /plain http/.test(message) ? message : `That is not a web address. ${ADDRESS_EXAMPLE}`;
  }
  const url = new URL(origin);
  const named = url.hostname.includes('.') || url.hostname.includes(':') || isLoopbackHost(url.hostname);
  // A bare word ("pdpp") is only an address with a scheme or a port ("https://nas", "nas:7662").
  if (!named && !/^[a-z]+:\/\//i.test(trimmed) && !url.port) return `“${trimmed.slice(0, 60)}” is not a full address. ${ADDRESS_EXAMPLE}`;
  return undefined;
}
