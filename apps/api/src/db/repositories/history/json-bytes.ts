// JSON written as UTF-8 bytes into a growing buffer, from pieces that are already bytes: the text
// fields of a binary COPY row (copy-out.ts). Whole-cluster reads (the state, the diff) copy ~50 MB
// of fact values from Postgres into a response this way, never decoding, parsing or re-encoding
// them. Small pieces go byte by byte and constants with set(): Buffer#copy costs ~0.3 µs a call,
// which for 200k facts of six pieces each was most of the state stream's time.

const HEX = '0123456789abcdef';
// below this many bytes a copy is a loop (Buffer#copy makes a Uint8Array view per call); above it
// copy() wins: a loop for the ~200-byte fact values cost the state stream a third more
const RAW_LOOP_MAX = 32;

export class JsonBytes {
  private buf: Buffer;
  length = 0;

  /** `initial`: a size, or a buffer to write into (from a BufferPool) */
  constructor(initial: number | Buffer = 64 * 1024) {
    this.buf = typeof initial === 'number' ? Buffer.allocUnsafe(initial) : initial;
  }

  /** The whole buffer written into (it changes when the bytes outgrow it): to give back to a pool. */
  get backing(): Buffer {
    return this.buf;
  }

  /** Room for n more bytes. */
  room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.length++] = c;
  }

  /** A constant piece (a Buffer made once). */
  constant(piece: Buffer): void {
    this.room(piece.length);
    this.buf.set(piece, this.length);
    this.length += piece.length;
  }

  /** Bytes as they are: JSON text (a value's text from Postgres), or text known to need no escaping. */
  raw(src: Buffer, start: number, length: number): void {
    this.room(length);
    if (length < RAW_LOOP_MAX) {
      const b = this.buf;
      let o = this.length;
      for (let i = start, end = start + length; i < end; i++) b[o++] = src[i]!;
      this.length = o;
      return;
    }
    src.copy(this.buf, this.length, start, start + length);
    this.length += length;
  }

  /** UTF-8 text between JSON quotes: `"`, `\` and control characters escaped, the rest as it is. */
  string(src: Buffer, start: number, length: number): void {
    this.room(2 + 6 * length);
    const b = this.buf;
    let o = this.length;
    b[o++] = 0x22;
    for (let i = start, end = start + length; i < end; i++) {
      const c = src[i]!;
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c) b[o++] = c;
      else if (c === 0x22 || c === 0x5c) {
        b[o++] = 0x5c;
        b[o++] = c;
      } else {
        b[o++] = 0x5c;
        b[o++] = 0x75; // \u00XX
        b[o++] = 0x30;
        b[o++] = 0x30;
        b[o++] = HEX.charCodeAt(c >> 4);
        b[o++] = HEX.charCodeAt(c & 15);
      }
    }
    b[o++] = 0x22;
    this.length = o;
  }

  /** Another writer's bytes. */
  append(other: JsonBytes): void {
    this.raw(other.buf, 0, other.length);
  }

  /** The bytes written so far (a view: valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
