// Whole-cluster reads split by node: the nodes are cut into chunks and up to `parallel` connections
// build them at once from one shared snapshot (pg_export_snapshot), so the answer is one consistent
// moment even for "now". Results are consumed in node-name order as soon as each is ready, while
// later chunks are still being built; at most `ahead` chunks wait, which bounds memory when the
// consumer (a slow HTTP client) is slower than Postgres.
import type pg from 'pg';

export interface NodeChunkOptions {
  /** nodes per query (default 8): small enough to start early, large enough to amortise */
  chunkNodes?: number;
  /** connections building chunks (default 2, this machine's cores) */
  parallel?: number;
  /** chunks built ahead of the one being consumed, at most (default 2 × parallel) */
  ahead?: number;
  /** only these nodes (by name); default all */
  only?: readonly string[];
}

export interface NodeRef {
  id: number;
  name: string;
}

/**
 * Runs `build` for every chunk of nodes (in name order) and hands each result to `consume` in the
 * same order. A rejection of either stops the rest and rejects.
 */
export async function forEachNodeChunk<T>(
  pool: pg.Pool,
  options: NodeChunkOptions,
  build: (client: pg.PoolClient, chunk: readonly NodeRef[]) => Promise<T>,
  consume: (result: T) => void | Promise<void>,
): Promise<void> {
  const chunkNodes = Math.max(1, options.chunkNodes ?? 8);
  const parallel = Math.max(1, options.parallel ?? 2);
  const ahead = Math.max(1, options.ahead ?? 2 * parallel);
  const clients: pg.PoolClient[] = [];
  try {
    const lead = await pool.connect();
    clients.push(lead);
    await lead.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const nodes = options.only
      ? (await lead.query<NodeRef>('SELECT id, name FROM nodes WHERE name = ANY($1::text[]) ORDER BY name', [options.only])).rows
      : (await lead.query<NodeRef>('SELECT id, name FROM nodes ORDER BY name')).rows;
    const chunks: NodeRef[][] = [];
    for (let i = 0; i < nodes.length; i += chunkNodes) chunks.push(nodes.slice(i, i + chunkNodes));
    if (chunks.length > 1 && parallel > 1) {
      const snapshot = (await lead.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
      for (let i = 1; i < Math.min(parallel, chunks.length); i++) {
        const helper = await pool.connect();
        clients.push(helper);
        await helper.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        await helper.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "''")}'`);
      }
    }
    // the GiST index beats a sequential scan by far for state at T, but the planner only sees it
    // so at an SSD-like page cost (apps/api/bench/history-indexes.sql)
    for (const c of clients) await c.query('SET LOCAL random_page_cost = 1.1');

    const settle: Array<{ resolve: (result: T) => void; reject: (error: unknown) => void }> = [];
    const results = chunks.map(() => {
      const p = new Promise<T>((resolve, reject) => settle.push({ resolve, reject }));
      p.catch(() => undefined);
      return p;
    });
    let next = 0;
    let consumed = 0;
    let stopped = false;
    let wake: (() => void)[] = [];
    const wakeAll = () => {
      const waiting = wake;
      wake = [];
      for (const w of waiting) w();
    };
    const stop = (error: unknown) => {
      stopped = true;
      for (let j = next; j < chunks.length; j++) settle[j]!.reject(error);
      next = chunks.length;
      wakeAll();
    };
    const work = async (client: pg.PoolClient) => {
      while (!stopped && next < chunks.length) {
        if (next >= consumed + ahead) {
          await new Promise<void>((resolve) => wake.push(resolve));
          continue;
        }
        const i = next++;
        try {
          settle[i]!.resolve(await build(client, chunks[i]!));
        } catch (error) {
          settle[i]!.reject(error);
          stop(error);
        }
      }
    };
    const workers = Promise.all(clients.map(work));
    try {
      for (const result of results) {
        await consume(await result);
        consumed += 1;
        wakeAll();
      }
    } catch (error) {
      stop(error);
      await workers.catch(() => undefined);
      throw error;
    }
    await workers;
    for (const c of clients) await c.query('COMMIT');
  } catch (error) {
    for (const c of clients) await c.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    for (const c of clients) c.release();
  }
}

/** `$n::int[], $m::text[]` parameters of a chunk, for `unnest(...) WITH ORDINALITY`. */
export function chunkParams(params: unknown[], chunk: readonly NodeRef[]): string {
  params.push(chunk.map((n) => n.id), chunk.map((n) => n.name));
  return `unnest($${params.length - 1}::int[], $${params.length}::text[]) WITH ORDINALITY AS n(id, name, ord)`;
}
