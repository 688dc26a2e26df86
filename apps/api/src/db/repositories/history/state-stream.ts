// The whole cluster's state at a moment, streamed node by node as JSON, chunk by chunk on parallel
// connections from one snapshot (node-chunks.ts). A chunk is a range of node ids, read by one
// bitmap scan of the (node_id, validity) index, so each heap page is visited once per chunk in
// physical order: a scan per node descends the GiST index 200 times and revisits every page a
// dozen times (a page holds the rows of many nodes), which with 128 MB of shared buffers cost
// 0.9 s against 0.15 s at 200 nodes and 6.6 M versions. The chunk is read with COPY ... (FORMAT
// binary): kind, key and value text arrive as raw bytes (copy-out.ts) and the JSON is put together
// here by copying them, so the API neither decodes, parses nor re-encodes the ~50 MB of a 200-node
// state; building it in Postgres with || cost more than reading the facts, and sorting each node's
// facts a third again. So nodes come in id order and a node's facts in the order they were read.
import type { FactKind } from '@netatlas/wire';
import type pg from 'pg';
import { BufferPool } from './buffer-pool.js';
import { copyRows } from './copy-out.js';
import { JsonBytes } from './json-bytes.js';
import { forEachNodeChunk, idRange, type NodeChunkOptions } from './node-chunks.js';
import { validAtLiteral } from './valid-at.js';

export type StateStreamOptions = NodeChunkOptions;

/** the nodes' JSON buffers, reused from read to read (at most 64 MB, kept 30 s) */
const nodeBuffers = new BufferPool(64 << 20, 30_000);

/**
 * Calls `write(node, factsJson, release)` for every node with facts at `at` (null: now), in node id
 * order; `factsJson`, its pieces joined, is the UTF-8 text of a JSON array of the node's facts, in
 * no particular order. A node's JSON comes in pieces of at most about a megabyte (see
 * JsonArrayBuilder). `write` may return a promise (back-pressure); a rejection stops the stream.
 * `release()`, called once nothing reads the pieces any more (a socket has written them), lets a
 * later read reuse their memory; a writer that never calls it keeps the bytes as long as it likes.
 */
export async function streamStateJson(
  pool: pg.Pool,
  at: Date | null,
  kinds: readonly FactKind[] | null,
  write: (node: string, facts: readonly Buffer[], release: () => void) => void | Promise<void>,
  options: StateStreamOptions = {},
): Promise<void> {
  const where = validAtLiteral(at, kinds);
  await forEachNodeChunk(
    pool,
    // a small first chunk: the first byte goes out without waiting for a whole range of nodes
    { leadNodes: STATE_LEAD_NODES, ...options, idRanges: true },
    async (client, chunk) => {
      // one range of node ids, one bitmap scan (see above); COPY takes no bind parameters: the ids are integers, the moment and kinds literals
      const [lo, hi] = idRange(chunk);
      const sql = `COPY (SELECT f.node_id, f.kind, f.key, f.value::text FROM facts f WHERE f.node_id BETWEEN ${lo} AND ${hi} AND ${where}) TO STDOUT (FORMAT binary)`;
      const index = new Map(chunk.map((n, i) => [n.id, i]));
      const builders: Array<JsonArrayBuilder | undefined> = new Array(chunk.length);
      const onRow = (buf: Buffer, starts: Int32Array, lengths: Int32Array, fields: number) => {
        if (fields !== 4 || lengths[0] !== 4) throw new Error('state stream: unexpected COPY row');
        const i = index.get(buf.readInt32BE(starts[0]!));
        if (i === undefined) return; // a node between lo and hi that was not asked for
        (builders[i] ??= new JsonArrayBuilder()).fact(buf, starts, lengths);
      };
      await copyRows(client, sql, onRow);
      return chunk.map((n, i) => ({ node: n.name, builder: builders[i] ?? null }));
    },
    async (rows) => {
      for (const { node, builder } of rows) if (builder !== null) await write(node, builder.finish(), builder.release);
    },
  );
}

/** nodes in the state's first chunk (at 1000 nodes: first byte 355–538 ms with 128, the chunk size) */
export const STATE_LEAD_NODES = 8;

const KIND = Buffer.from('{"kind":"');
const KEY = Buffer.from('","key":');
const VALUE = Buffer.from(',"value":');

/** the largest piece of a node's JSON: a bigger node's (117k facts: 31 MB) goes on in a new piece */
const PIECE_BYTES = 1 << 20;

/**
 * One node's facts as a JSON array, written from COPY fields (kind, key, value text). Its first
 * buffer starts at about the size of the last node's (a node's state is ~230 kB here): growing
 * from 64 kB by doubling allocated and copied twice as much, and the Buffers allocated drive V8's
 * external-memory garbage collections. Past PIECE_BYTES it does not grow but goes on in a new
 * piece: doubling a 31 MB node's buffer copied ~60 MB in blocks of up to 16 MB, and five readers
 * of a state with twenty such nodes held the event loop for 100–200 ms at a time.
 */
class JsonArrayBuilder {
  private static sizeHint = 64 * 1024;
  private readonly pieces: JsonBytes[] = [];
  private out = new JsonBytes(nodeBuffers.take(JsonArrayBuilder.sizeHint));
  private count = 0;
  private released = false;

  constructor() {
    this.out.byte(0x5b); // [
  }

  /** fields 1..3 of the row: kind (a FactKind: plain ASCII), key (any text), value (JSON text) */
  fact(src: Buffer, starts: Int32Array, lengths: Int32Array): void {
    const need = 32 + lengths[1]! + 6 * lengths[2]! + lengths[3]!;
    if (this.out.length + need > this.out.backing.length && this.out.backing.length >= PIECE_BYTES) {
      this.pieces.push(this.out);
      this.out = new JsonBytes(nodeBuffers.take(Math.max(PIECE_BYTES, need)));
    }
    const out = this.out;
    out.room(need);
    if (this.count++ > 0) out.byte(0x2c); // ,
    out.constant(KIND);
    out.raw(src, starts[1]!, lengths[1]!);
    out.constant(KEY);
    out.string(src, starts[2]!, lengths[2]!);
    out.constant(VALUE);
    out.raw(src, starts[3]!, lengths[3]!);
    out.byte(0x7d); // }
  }

  finish(): Buffer[] {
    this.out.byte(0x5d); // ]
    this.pieces.push(this.out);
    const first = this.pieces[0]!.length;
    JsonArrayBuilder.sizeHint = Math.min(PIECE_BYTES, Math.max(4096, Math.ceil(first * 1.1)));
    return this.pieces.map((p) => p.bytes());
  }

  /** the bytes of finish() are no longer read: the buffers go back to the pool (once) */
  readonly release = (): void => {
    if (this.released) return;
    this.released = true;
    for (const p of this.pieces) nodeBuffers.give(p.backing);
  };
}
