// The whole cluster's state at a moment, streamed node by node as JSON that Postgres builds, chunk
// by chunk on parallel connections from one snapshot (node-chunks.ts).
import type { FactKind } from '@netatlas/wire';
import type pg from 'pg';
import { chunkParams, forEachNodeChunk, type NodeChunkOptions } from './node-chunks.js';
import { validAt } from './valid-at.js';

export type StateStreamOptions = NodeChunkOptions;

/**
 * Calls `write(node, factsJson)` for every node with facts at `at` (null: now), in name order.
 * `write` may return a promise (back-pressure); a rejection stops the stream.
 */
export async function streamStateJson(
  pool: pg.Pool,
  at: Date | null,
  kinds: readonly FactKind[] | null,
  write: (node: string, facts: string) => void | Promise<void>,
  options: StateStreamOptions = {},
): Promise<void> {
  await forEachNodeChunk(
    pool,
    options,
    async (client, chunk) => {
      const params: unknown[] = [];
      const nodes = chunkParams(params, chunk);
      const where = validAt(params, at, kinds);
      // per node, so each subquery is an index scan on (node_id, validity) or on the current
      // facts; concatenated rather than json_build_object: less time in Postgres, and compact
      const { rows } = await client.query<{ node: string; facts: string | null }>(
        `SELECT n.name AS node,
                (SELECT '[' || string_agg('{"kind":"' || f.kind || '","key":' || to_json(f.key)::text || ',"value":' || f.value::text || '}', ','
                                          ORDER BY f.kind, f.key) || ']'
                 FROM facts f WHERE f.node_id = n.id AND ${where}) AS facts
         FROM ${nodes}
         ORDER BY n.ord`,
        params,
      );
      return rows;
    },
    async (rows) => {
      for (const row of rows) if (row.facts !== null) await write(row.node, row.facts);
    },
  );
}
