// The whole cluster's state at a moment, streamed node by node as JSON that Postgres builds, chunk
// by chunk on parallel connections from one snapshot (node-chunks.ts). Each chunk is read with
// COPY ... (FORMAT binary), so the JSON arrives as bytes that go to the HTTP response as they are
// (copy-binary.ts): the API neither decodes, parses nor re-encodes the ~50 MB of a 200-node state.
import type { FactKind } from '@netatlas/wire';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { CopyBinaryReader } from './copy-binary.js';
import { forEachNodeChunk, type NodeChunkOptions } from './node-chunks.js';
import { validAtLiteral } from './valid-at.js';

export type StateStreamOptions = NodeChunkOptions;

/**
 * Calls `write(node, factsJson)` for every node with facts at `at` (null: now), in name order;
 * `factsJson` is the UTF-8 text of a JSON array of facts sorted by kind and key (code point order).
 * `write` may return a promise (back-pressure); a rejection stops the stream.
 */
export async function streamStateJson(
  pool: pg.Pool,
  at: Date | null,
  kinds: readonly FactKind[] | null,
  write: (node: string, facts: Buffer) => void | Promise<void>,
  options: StateStreamOptions = {},
): Promise<void> {
  const where = validAtLiteral(at, kinds);
  await forEachNodeChunk(
    pool,
    options,
    async (client, chunk) => {
      // per node, so each subquery is an index scan on (node_id, validity) or on the current facts;
      // concatenated rather than json_build_object (less time in Postgres), sorted in "C" order
      // (byte order: cheap, and the same whatever the database's collation). COPY takes no bind
      // parameters: the ids are integers, the moment and kinds are literals (valid-at.ts)
      const ids = chunk.map((n) => String(Math.trunc(n.id))).join(',');
      const sql = `COPY (
        SELECT n.id,
               (SELECT '[' || string_agg('{"kind":"' || f.kind || '","key":' || to_json(f.key)::text || ',"value":' || f.value::text || '}', ','
                                         ORDER BY f.kind COLLATE "C", f.key COLLATE "C") || ']'
                FROM facts f WHERE f.node_id = n.id AND ${where}) AS facts
        FROM unnest('{${ids}}'::int[]) WITH ORDINALITY AS n(id, ord)
        ORDER BY n.ord
      ) TO STDOUT (FORMAT binary)`;
      const reader = new CopyBinaryReader();
      const rows: Array<Array<Buffer | null>> = [];
      const stream = client.query(copyTo(sql));
      for await (const data of stream as AsyncIterable<Buffer>) for (const row of reader.push(data)) rows.push(row);
      reader.finish();
      if (rows.length !== chunk.length) throw new Error(`state stream: ${rows.length} rows for a chunk of ${chunk.length} nodes`);
      return rows.map((row, i) => ({ node: chunk[i]!.name, facts: row[1] ?? null }));
    },
    async (rows) => {
      for (const row of rows) if (row.facts !== null) await write(row.node, row.facts);
    },
  );
}
