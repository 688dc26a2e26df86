// Reads PostgreSQL's binary COPY format (COPY ... TO STDOUT (FORMAT binary)) as it streams in:
// a fixed header, then per row a 16-bit field count and each field as a 32-bit length (-1: NULL)
// and its bytes, then a -1 count. A text field's bytes are its UTF-8 text, unescaped, so JSON that
// Postgres builds reaches the HTTP response as bytes the API never decodes or re-encodes (for the
// state at a moment that is ~50 MB at 200 nodes; decoding it in the pg driver cost ~300 ms of CPU).
// https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** signature, flags (int32), header extension length (int32) */
const HEADER = SIGNATURE.length + 8;

export class CopyBinaryError extends Error {}

/** Splits a binary COPY stream into rows of fields (Buffers; null for NULL). */
export class CopyBinaryReader {
  /** received and not yet taken, in pieces: a row of 250 kB arrives in many, joined once */
  private pieces: Buffer[] = [];
  private have = 0;
  /** bytes needed before the next row (or the header) can be taken */
  private need = HEADER;
  private headerDone = false;
  private ended = false;

  /** Feeds the next chunk; returns the rows it completed. */
  push(chunk: Buffer): Array<Array<Buffer | null>> {
    const rows: Array<Array<Buffer | null>> = [];
    if (chunk.length === 0) return rows;
    if (this.ended) throw new CopyBinaryError('data after the end of the COPY stream');
    this.pieces.push(chunk);
    this.have += chunk.length;
    if (this.have < this.need) return rows;
    const buf = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, this.have);
    let at = 0;
    if (!this.headerDone) {
      if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new CopyBinaryError('not a binary COPY stream (bad signature)');
      const extension = buf.readUInt32BE(SIGNATURE.length + 4);
      if (buf.length < HEADER + extension) return this.keep(buf, 0, HEADER + extension, rows);
      at = HEADER + extension;
      this.headerDone = true;
    }
    let need = 2;
    for (;;) {
      if (this.ended) {
        if (at < buf.length) throw new CopyBinaryError('data after the end of the COPY stream');
        need = 0;
        break;
      }
      if (buf.length - at < 2) {
        need = 2;
        break;
      }
      const count = buf.readInt16BE(at);
      if (count === -1) {
        this.ended = true;
        at += 2;
        continue;
      }
      // the whole row must be here before any of it is taken
      let p = at + 2;
      let complete = true;
      for (let i = 0; i < count; i++) {
        if (buf.length - p < 4) {
          complete = false;
          need = p + 4 - at;
          break;
        }
        const len = buf.readInt32BE(p);
        p += 4 + Math.max(0, len);
        if (p > buf.length) {
          complete = false;
          need = p - at;
          break;
        }
      }
      if (!complete) break;
      const row: Array<Buffer | null> = [];
      p = at + 2;
      for (let i = 0; i < count; i++) {
        const len = buf.readInt32BE(p);
        p += 4;
        if (len < 0) row.push(null);
        else {
          row.push(buf.subarray(p, p + len));
          p += len;
        }
      }
      rows.push(row);
      at = p;
    }
    return this.keep(buf, at, need, rows);
  }

  /** Throws unless the stream ended with its trailer and nothing is left over. */
  finish(): void {
    if (!this.ended || this.have > 0) throw new CopyBinaryError('the COPY stream ended early');
  }

  /** Keeps the unfinished tail (a copy, so a big chunk is not held by a small remainder). */
  private keep(buf: Buffer, at: number, need: number, rows: Array<Array<Buffer | null>>): Array<Array<Buffer | null>> {
    const tail = at >= buf.length ? null : Buffer.from(buf.subarray(at));
    this.pieces = tail ? [tail] : [];
    this.have = tail?.length ?? 0;
    this.need = need;
    return rows;
  }
}
