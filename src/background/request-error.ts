/** A refusal a handler answers with: a stable `code` for automation and a sentence the owner can read. */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}
