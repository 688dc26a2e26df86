// Whole-cluster reads split by node: the nodes are cut into chunks and up to `parallel` connections
// build them at once from one shared snapshot (pg_export_snapshot), so the answer is one consistent
// moment even for "now". Results are consumed in node-name (or id) order as soon as each is ready, while
// later chunks are still being built; at most `ahead` chunks wait, which bounds memory when the
// consumer (a slow HTTP client) is slower than Postgres.
import pg from 'pg';

export interface NodeChunkOptions {
  /** nodes per query (default 8), or a function of the number of nodes: small enough to start early, large enough to amortise */
  chunkNodes?: number | ((nodes: number) => number);
  /**
   * nodes in the first chunk (default: as many as in the others): the answer's first byte waits
   * for the first chunk, and a chunk of 128 nodes takes ~0.3–0.5 s at 1000 nodes
   */
  leadNodes?: number;
  /** connections building chunks (default 2, this machine's cores) */
  parallel?: number;
  /** chunks built ahead of the one being consumed, at most (default 2 × parallel) */
  ahead?: number;
  /** only these nodes (by name); default all */
  only?: readonly string[];
  /**
   * chunks of consecutive node ids, in id order, rather than in name order: a chunk is then one
   * range of the (node_id, validity) index, read by one bitmap scan (RANGE_READ_SETTINGS in every
   * transaction; chunkNodes defaults to rangeChunk)
   */
  idRanges?: boolean;
  /** aborted (the client left): the chunks being built are cancelled and the read rejects with the reason */
  signal?: AbortSignal;
}

export interface NodeRef {
  id: number;
  name: string;
}

/**
 * Runs `build` for every chunk of nodes (in name or id order) and hands each result to `consume` in the
 * same order. A rejection of either stops the rest and rejects.
 */
export async function forEachNodeChunk<T>(
  pool: pg.Pool,
  options: NodeChunkOptions,
  build: (client: pg.PoolClient, chunk: readonly NodeRef[]) => Promise<T>,
  consume: (result: T) => void | Promise<void>,
): Promise<void> {
  const parallel = Math.max(1, options.parallel ?? 2);
  const ahead = Math.max(1, options.ahead ?? 2 * parallel);
  const clients: pg.PoolClient[] = [];
  const broken = new Set<pg.PoolClient>();
  try {
    const lead = await pool.connect();
    clients.push(lead);
    await lead.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const order = options.idRanges ? 'id' : 'name';
    const nodes = options.only
      ? (await lead.query<NodeRef>(`SELECT id, name FROM nodes WHERE name = ANY($1::text[]) ORDER BY ${order}`, [options.only])).rows
      : (await lead.query<NodeRef>(`SELECT id, name FROM nodes ORDER BY ${order}`)).rows;
    const chunkOption = options.chunkNodes ?? (options.idRanges ? rangeChunk : 8);
    const size = typeof chunkOption === 'function' ? chunkOption(nodes.length) : chunkOption;
    const chunkNodes = Math.max(1, Math.floor(size));
    const chunks: NodeRef[][] = [];
    const leadNodes = Math.max(1, Math.min(chunkNodes, Math.floor(options.leadNodes ?? chunkNodes)));
    if (nodes.length > 0) chunks.push(nodes.slice(0, leadNodes));
    for (let i = leadNodes; i < nodes.length; i += chunkNodes) chunks.push(nodes.slice(i, i + chunkNodes));
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
    for (const c of clients) {
      await c.query('SET LOCAL random_page_cost = 1.1');
      if (options.idRanges) for (const setting of RANGE_READ_SETTINGS) await c.query(setting);
    }

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
          if (stopped && (error as { code?: string }).code === QUERY_CANCELED) chunkStats.cancelled += 1;
          settle[i]!.reject(error);
          stop(error);
        }
      }
    };
    const workers = Promise.all(clients.map(work));
    let cancelling: Promise<void> | null = null;
    const cancel = () => (cancelling ??= cancelBuilds(pool, clients));
    const abort = () => {
      stop(options.signal!.reason);
      void cancel();
    };
    if (options.signal?.aborted) abort();
    else options.signal?.addEventListener('abort', abort, { once: true });
    try {
      for (const result of results) {
        await consume(await result);
        consumed += 1;
        wakeAll();
      }
    } catch (error) {
      options.signal?.removeEventListener('abort', abort);
      stop(error);
      // the consumer failed or the client left: the chunks being built are cancelled, not read to
      // their end (a chunk of a 1000-node state is ~30 MB of COPY for nobody)
      await cancel();
      await workers.catch(() => undefined);
      throw options.signal?.aborted ? options.signal.reason : error;
    }
    options.signal?.removeEventListener('abort', abort);
    await workers;
    for (const c of clients) await c.query('COMMIT');
  } catch (error) {
    for (const c of clients) await c.query('ROLLBACK').catch(() => broken.add(c));
    throw error;
  } finally {
    // a connection whose ROLLBACK failed may still be in its transaction: it is closed, not reused
    for (const c of clients) c.release(broken.has(c));
  }
}

/** Chunk builds cut short because their consumer failed (tests). */
export const chunkStats = { cancelled: 0 };
/** SQLSTATE of a statement cancelled (pg_cancel_backend) */
export const QUERY_CANCELED = '57014';

/**
 * Cancels what the connections are running (pg_cancel_backend); a connection that is between
 * statements ignores it. Sent on a connection of its own, not one of the pool's: the read may hold
 * them all (the state worker's pool has two), and waiting for one would wait for this very read.
 */
/**
 * Cancels the statement each of `clients` runs (pg_cancel_backend, sent on a connection of its own:
 * a pool held whole by the read itself would have the cancel wait for the read it cancels).
 */
export async function cancelBuilds(pool: pg.Pool, clients: readonly pg.PoolClient[]): Promise<void> {
  const pids = clients.map((c) => (c as unknown as { processID: number | null }).processID).filter((pid): pid is number => typeof pid === 'number');
  if (pids.length === 0) return;
  const { max: _max, ...config } = pool.options;
  const canceller = new pg.Client({ ...config, application_name: 'netatlas-api-cancel', connectionTimeoutMillis: 2000 });
  canceller.on('error', () => undefined);
  try {
    await canceller.connect();
    await canceller.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  } catch {
    // the builds then run to their end, as before
  } finally {
    await canceller.end().catch(() => undefined);
  }
}

/**
 * Nodes per id-range chunk of the whole-cluster reads: half the cluster (one chunk per connection),
 * 1 to 128. A chunk's bitmap scan visits every heap page holding a row of its nodes, and a page
 * holds rows of a dozen nodes or more, so larger chunks visit fewer pages in all (at 200 nodes, the
 * state at a moment of the churn: 4 chunks 0.37-0.42 s, 2 chunks 0.34-0.39 s, 1 chunk 0.58-0.64 s
 * on one connection), as long as their bitmaps stay exact (RANGE_READ_SETTINGS); 128 bounds the
 * memory a chunk holds (~30 MB of JSON).
 */
/** The first and last node id of an id-range chunk, as integers to write into SQL. */
export function idRange(chunk: readonly NodeRef[]): [number, number] {
  return [Math.trunc(chunk[0]!.id), Math.trunc(chunk.at(-1)!.id)];
}

export const rangeChunk = (nodes: number): number => Math.min(128, Math.max(1, Math.ceil(nodes / 2)));

/**
 * Settings for a transaction of range chunks: bitmap scans rather than the planner's per-row index
 * scans, and room for exact bitmaps (a lossy bitmap rechecks every row of every page: with the
 * default 4 MB, 100 nodes' state at a moment took 0.8 s instead of 0.35 s).
 */
export const RANGE_READ_SETTINGS = ['SET LOCAL enable_indexscan = off', "SET LOCAL work_mem = '64MB'"];
