/**
 * Receives every runtime message, checks who sent it, parses its payload with
 * zod and dispatches to a handler. Replies are `{ok, data}` or `{ok:false, error}`.
 */
import { browser, type Browser } from 'wxt/browser';
import { ZodError } from 'zod';
import { CONTENT_SCRIPT_MESSAGES, requestSchemas, type Envelope, type MessageType, type Reply } from '../messages/protocol';
import { ArtifactError } from '../artifacts/errors';
import type { Handlers } from './handlers';
import { RequestError } from './request-error';

function isEnvelope(message: unknown): message is Envelope {
  return typeof message === 'object' && message !== null && typeof (message as Envelope).type === 'string';
}

function failure(code: string, message: string): Reply<never> {
  return { ok: false, error: { code, message } };
}

/** True for the popup, dashboard and other pages of this extension. */
function fromExtensionPage(sender: Browser.runtime.MessageSender): boolean {
  const base = browser.runtime.getURL('/');
  return sender.id === browser.runtime.id && typeof sender.url === 'string' && sender.url.startsWith(base) && !sender.tab?.url?.startsWith('http');
}

export async function routeMessage(handlers: Handlers, message: unknown, sender: Browser.runtime.MessageSender): Promise<Reply<unknown>> {
  if (sender.id !== browser.runtime.id) return failure('forbidden', 'Message from another extension.');
  if (!isEnvelope(message) || !(message.type in requestSchemas)) return failure('unknown_message', 'Unknown message.');
  const type = message.type as MessageType;
  const fromContentScript = CONTENT_SCRIPT_MESSAGES.has(type);
  if (fromContentScript && !(sender.tab?.url && sender.frameId === 0)) return failure('forbidden', 'Captures come only from a page’s main frame.');
  if (!fromContentScript && !fromExtensionPage(sender)) return failure('forbidden', 'Only Gleaner’s own pages may ask for that.');
  try {
    const payload = requestSchemas[type].parse(message.payload ?? {});
    const handler = handlers[type] as (request: unknown, context: unknown) => Promise<unknown>;
    const data = await handler(payload, { senderTabUrl: sender.tab?.url ?? '', senderTabId: sender.tab?.id });
    return { ok: true, data };
  } catch (error) {
    if (error instanceof ZodError) return failure('invalid_request', 'The message was not in the expected shape.');
    if (error instanceof RequestError || error instanceof ArtifactError) return failure(error.code, error.message);
    // Never echo payloads or record contents into logs.
    console.error(`[gleaner] ${type} failed:`, error instanceof Error ? error.name : 'error');
    return failure('internal', 'Something went wrong inside Gleaner; nothing was changed. Try again.');
  }
}

export function setupMessageRouter(handlers: Handlers): void {
  browser.runtime.onMessage.addListener((message: unknown, sender: Browser.runtime.MessageSender) => routeMessage(handlers, message, sender));
}
