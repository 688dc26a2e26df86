// COPY ... TO STDOUT (FORMAT binary) on a node-postgres client, rows handed over as offsets into
// the socket's own buffers: no Buffer, string or stream chunk per row. In the binary format a row is
// a 16-bit field count and each field as a 32-bit length (-1: NULL) and its bytes; a text field's
// bytes are its UTF-8 text, unescaped, so they can be copied into a response as they are. While the COPY runs, the
// connection's bytes come here instead of to pg's parser (as pg-copy-streams does it); at CopyDone
// or an ErrorResponse the rest goes back to pg, which then reports the command's end or its error.
// Postgres sends one CopyData message per row (and one for the header, one for the trailer); a
// message that is not one of those is refused rather than guessed at. For the state of 200 nodes
// (217k rows) this took the API's CPU from ~300 ms (pg-copy-streams and per-row Buffers) to ~100.
// https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-COPY
import type pg from 'pg';
import { othersAreWaiting, TURN_MS, YIELD_PAUSE_MS } from '../../../realtime/turns.js';
import { borrowing } from '../../read-socket.js';

export class CopyBinaryError extends Error {}

/** Times a COPY stopped reading to let ingest go first (see paced), for the tests. */
export const copyPacing = { pauses: 0 };

/**
 * A row as offsets into `buf`, valid only during the callback: field i is
 * `buf[starts[i], starts[i] + lengths[i])`, or NULL when `lengths[i]` is -1.
 */
export type RawRow = (buf: Buffer, starts: Int32Array, lengths: Int32Array, fields: number) => void;

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const COPY_DATA = 0x64; // d
const COPY_DONE = 0x63; // c
const ERROR = 0x45; // E

/** What node-postgres gives a submittable: its connection and that connection's socket. */
interface Connection {
  stream: NodeJS.ReadableStream & { listeners(event: 'data'): Array<(chunk: Buffer) => void> };
  query(text: string): void;
}

/** Runs a binary COPY ... TO STDOUT on `client`, calling `onRow` for each row; resolves with the row count. */
export function copyRows(client: pg.PoolClient | pg.Client, sql: string, onRow: RawRow): Promise<number> {
  return new Promise((resolve, reject) => {
    const query = new CopyRowsQuery(sql, onRow, resolve, reject);
    (client as unknown as { query(q: unknown): void }).query(query);
  });
}

class CopyRowsQuery {
  private connection: Connection | null = null;
  private pgHandler: ((chunk: Buffer) => void) | null = null;
  /** reads each chunk only during the call, copying what it keeps: a read pool socket lends it its own buffer (read-socket.ts) */
  private readonly onData = borrowing((chunk: Buffer) => this.data(chunk));
  /** the start of a message that the last chunk cut, and how many bytes it needs to be whole */
  private pieces: Buffer[] = [];
  private have = 0;
  private need = 0;
  private headerSeen = false;
  private ended = false;
  private rows = 0;
  private failure: unknown = null;
  /** when this turn of reading began (see paced) */
  private turnStart = performance.now();
  private readonly starts = new Int32Array(16);
  private readonly lengths = new Int32Array(16);

  constructor(
    readonly text: string,
    private readonly onRow: RawRow,
    private readonly resolve: (rows: number) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  // ---- node-postgres' submittable interface
  submit(connection: Connection): void {
    this.connection = connection;
    const listeners = connection.stream.listeners('data');
    if (listeners.length !== 1) throw new Error(`copyRows: the connection has ${listeners.length} data listeners, expected pg's one`);
    this.pgHandler = listeners[0]!;
    connection.stream.removeListener('data', this.pgHandler);
    connection.stream.on('data', this.onData);
    connection.query(this.text);
  }

  /** pg forgets the query after an error (no ReadyForQuery reaches it): settle now */
  handleError(error: unknown): void {
    this.reject(error);
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    if (this.failure) this.reject(this.failure);
    else if (!this.ended) this.reject(new CopyBinaryError('the COPY stream ended early'));
    else this.resolve(this.rows);
  }

  // ---- the bytes of the connection while the COPY runs
  private data(chunk: Buffer): void {
    this.take1(chunk);
    this.paced();
  }

  /**
   * A whole-cluster read yields to ingest as long work does (realtime/turns.ts): after a turn of
   * TURN_MS the connection is not read until the event loop has gone round once (other sockets,
   * timers), or, while collectors' deltas are being written, for YIELD_PAUSE_MS; Postgres, its
   * send buffer full, waits too. Five readers of a 300k-fact state, read flat out, took the cores
   * from the deltas' transactions (ack p99 3–4× its baseline); and without the yield when no delta
   * was under way yet, one round of the loop read up to 32 chunks of each connection (libuv's batch)
   * and held the loop for 70–110 ms (a delta that came meanwhile could not be seen waiting).
   */
  private paced(): void {
    const now = performance.now();
    if (now - this.turnStart < TURN_MS) return;
    if (this.ended || this.failure) return;
    const stream = this.connection!.stream;
    stream.pause();
    const resume = () => {
      stream.resume();
      this.turnStart = performance.now();
    };
    if (othersAreWaiting()) {
      copyPacing.pauses += 1;
      setTimeout(resume, YIELD_PAUSE_MS);
    } else setImmediate(resume);
  }

  private take1(chunk: Buffer): void {
    let at = 0;
    // a message the last chunk cut: only its own bytes are joined (joining the whole next chunk
    // copied nearly every byte of a large COPY once more)
    while (this.have > 0) {
      const want = this.need - this.have;
      if (chunk.length - at < want) {
        this.pieces.push(Buffer.from(chunk.subarray(at))); // a copy: the chunk may be the socket's buffer, read into again
        this.have += chunk.length - at;
        return;
      }
      this.pieces.push(chunk.subarray(at, at + want));
      at += want;
      this.have += want;
      const joined = Buffer.concat(this.pieces, this.have);
      if (this.need === 5) {
        // only the type and length were cut: now the whole message's length is known
        this.need = 1 + joined.readUInt32BE(1);
        if (this.need > 5) {
          this.pieces = [joined];
          continue;
        }
      }
      this.pieces = [];
      this.have = 0;
      if (this.messages(joined, 0) < 0) {
        // the COPY ended in that message: the rest is pg's
        if (at < chunk.length) this.pgHandler!(Buffer.from(chunk.subarray(at))); // pg's parser may keep it: a copy
        return;
      }
    }
    if (at < chunk.length) this.take(at === 0 ? chunk : chunk.subarray(at));
  }

  private take(buf: Buffer): void {
    const used = this.messages(buf, 0);
    if (used < 0 || used === buf.length) return;
    const tail = Buffer.from(buf.subarray(used));
    this.pieces = [tail];
    this.have = tail.length;
    this.need = tail.length < 5 ? 5 : 1 + tail.readUInt32BE(1);
  }

  /** Takes the whole messages in buf from `at`; returns where the first incomplete one starts, or -1 once pg has the connection back. */
  private messages(buf: Buffer, at: number): number {
    while (buf.length - at >= 5) {
      const code = buf[at]!;
      const len = buf.readUInt32BE(at + 1);
      const end = at + 1 + len;
      if (code === ERROR) return this.giveBack(buf, at);
      if (end > buf.length) break;
      if (code === COPY_DATA) this.payload(buf, at + 5, end);
      else if (code === COPY_DONE) return this.giveBack(buf, end);
      // CopyOutResponse, notices, parameter status: nothing to do
      at = end;
    }
    return at;
  }

  /** One CopyData payload: the header, one row, or the trailer. */
  private payload(buf: Buffer, start: number, end: number): void {
    if (this.failure) return;
    try {
      let p = start;
      if (!this.headerSeen) {
        if (end - p < SIGNATURE.length + 8 || !buf.subarray(p, p + SIGNATURE.length).equals(SIGNATURE)) throw new CopyBinaryError('not a binary COPY stream (bad signature)');
        p += SIGNATURE.length + 8 + buf.readUInt32BE(p + SIGNATURE.length + 4);
        this.headerSeen = true;
        if (p === end) return;
      }
      const count = buf.readInt16BE(p);
      if (count === -1) {
        if (p + 2 !== end) throw new CopyBinaryError('data after the end of the COPY stream');
        this.ended = true;
        return;
      }
      if (count > this.starts.length || count < 0) throw new CopyBinaryError(`a COPY row of ${count} fields`);
      p += 2;
      for (let i = 0; i < count; i++) {
        const len = buf.readInt32BE(p);
        this.starts[i] = p + 4;
        this.lengths[i] = len;
        p += 4 + Math.max(0, len);
      }
      if (p !== end) throw new CopyBinaryError('a CopyData message that is not one row');
      this.rows += 1;
      this.onRow(buf, this.starts, this.lengths, count);
    } catch (error) {
      this.failure = error;
    }
  }

  /** pg reads the rest of the connection from here on (CommandComplete, ReadyForQuery, or an error). */
  private giveBack(buf: Buffer, from: number): -1 {
    const connection = this.connection!;
    connection.stream.removeListener('data', this.onData);
    connection.stream.on('data', this.pgHandler!);
    if (from < buf.length) this.pgHandler!(Buffer.from(buf.subarray(from))); // pg's parser may keep it: a copy
    return -1;
  }
}
