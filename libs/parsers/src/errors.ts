/**
 * A tool printed something a parser cannot read. The collector reports the reader as
 * `unparseable` with this message; nothing of that output becomes a fact.
 */
export class ParseError extends Error {
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${message}`, options);
    this.name = 'ParseError';
  }
}
