/** Typed `send()` for extension pages and content scripts. */
import { browser } from 'wxt/browser';
import type { Handlers } from '../background/handlers';
import type { MessageType, Reply, RequestOf } from './protocol';

export type ResponseOf<T extends MessageType> = Awaited<ReturnType<Handlers[T]>>;

export class MessageError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MessageError';
  }
}

export async function send<T extends MessageType>(type: T, payload: RequestOf<T>): Promise<ResponseOf<T>> {
  const reply = (await browser.runtime.sendMessage({ type, payload })) as Reply<ResponseOf<T>> | undefined;
  if (!reply) throw new MessageError('no_reply', 'Gleaner’s background did not answer.');
  if (!reply.ok) throw new MessageError(reply.error.code, reply.error.message);
  return reply.data;
}
