// A JSON answer sent as bytes made elsewhere (the state worker), gzipped when the client takes it:
// the compact topology of a big cluster is tens of MB of JSON and compresses ~10×.

/** The part of Express' response a JSON body needs. */
export interface JsonTarget {
  status(code: number): JsonTarget;
  type(contentType: string): JsonTarget;
  setHeader(name: string, value: string): void;
  end(chunk: Buffer): void;
}

/** Sends JSON bytes (gzipped already when `gzipped`). */
export function sendJsonBytes(res: JsonTarget, body: Buffer, gzipped: boolean): void {
  res.status(200).type('application/json; charset=utf-8');
  res.setHeader('Vary', 'Accept-Encoding');
  if (gzipped) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', String(body.length));
  res.end(body);
}
