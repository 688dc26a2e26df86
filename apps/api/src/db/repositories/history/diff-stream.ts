// The net difference between the states at two moments, as JSON put together from the bytes
// Postgres sends (binary COPY, copy-out.ts; json-bytes.ts), node by node in name order. Parsing
// the values into objects and stringifying them again cost the API ~0.4 s of the hour-long diff at
// 200 nodes (44k changed facts, 15 MB). Three ways to find what differs (diffStrategy chooses):
//  - `versions`: the versions that begin or end inside the window, each side one range scan of the
//    valid_from or valid_to index, joined by hash; it costs the churn in the window, with no
//    per-fact lookups. The choice for every node.
//  - `states`: the versions valid at one moment and not the other (the GiST index), joined; it
//    costs about the size of the state, whatever the churn: the choice for one node, and for
//    windows whose churn is many times the state.
//  - `window`: the facts touched in the window, each looked up at both moments (a lateral index
//    lookup per fact). Never chosen; kept as the plain statement of what a diff is, which the
//    specs hold the other two to, byte for byte.
import pg from 'pg';
import { withTransaction } from '../../transaction.js';
import { copyRows, type RawRow } from './copy-out.js';
import { JsonBytes } from './json-bytes.js';
import { cancelBuilds, chunkStats, forEachNodeChunk, idRange, QUERY_CANCELED, type NodeChunkOptions, type NodeRef } from './node-chunks.js';
import { valuesDiffer } from './value-sql.js';

export type DiffStrategy = 'window' | 'states' | 'versions';

/**
 * Calls `write(node, json)` for every node with a difference between the states at `from` and at
 * `to` (either may be the later), in node name order; `json` is the UTF-8 text of the node's
 * `{ <kind>: { added: Fact[], removed: Fact[], changed: [{kind, key, before, after}] } }`, kinds
 * and each list in key order (bytewise). `node` limits it to one node. Once `signal` aborts (the
 * client left: every node is written only once the whole diff is built), the statements under way
 * are cancelled and the call rejects with its reason.
 */
export async function streamDiffJson(
  pool: pg.Pool,
  from: Date,
  to: Date,
  node: string | undefined,
  write: (node: string, json: Buffer) => void | Promise<void>,
  strategy?: DiffStrategy,
  signal?: AbortSignal,
): Promise<void> {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new Error('streamDiffJson: invalid date');
  const chosen = strategy ?? (await diffStrategy(pool, from, to, node));
  signal?.throwIfAborted();
  const byId = new Map<number, Buffer>();
  const names =
    chosen === 'states' ? await statesDiff(pool, from, to, node, byId, signal)
    : chosen === 'versions' ? await versionsDiff(pool, from, to, node, byId, signal)
    : await windowDiff(pool, from, to, node, byId, signal);
  const nodes = [...byId.keys()].map((id) => ({ id, name: names.get(id)! }));
  nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const n of nodes) await write(n.name, byId.get(n.id)!);
}

/** COPY's row fields for both ways: node id, kind, key, before and after value text (NULL: absent) */
const DIFF_COLUMNS = 5;
/** the rows of `select` (columns node_id, kind, key, before, after) in node, kind and key order, bytewise */
const ordered = (select: string) => `SELECT * FROM (${select}) d ORDER BY node_id, kind COLLATE "C", key COLLATE "C"`;

/**
 * The versions valid at one moment and not the other: what was valid at the earlier moment and
 * ended by the later, what began after the earlier and is valid at the later; each by one bitmap
 * scan of the GiST index over a range of node ids (as the state stream reads: a scan per node
 * revisits every heap page many times), joined by hash (a merge join sorted both sides by key
 * first, 0.1 s more of a 0.35 s chunk), chunks on parallel connections (node-chunks.ts).
 */
async function statesDiff(pool: pg.Pool, from: Date, to: Date, node: string | undefined, out: Map<number, Buffer>, signal?: AbortSignal): Promise<Map<number, string>> {
  return chunkedDiff(pool, from, to, node, out, { signal }, ['SET LOCAL enable_mergejoin = off'], (loAt, hiAt, nodes) => ({
    before: `${nodes} AND tstzrange(f.valid_from, f.valid_to, '[)') @> ${loAt}
                -- ended by the later moment (valid_to <= hi), as an index condition
                AND tstzrange(f.valid_from, f.valid_to, '[)') &< tstzrange(${hiAt}, ${hiAt}, '[]')`,
    after: `${nodes} AND tstzrange(f.valid_from, f.valid_to, '[)') @> ${hiAt}
                -- began after the earlier moment (valid_from > lo), as an index condition
                AND tstzrange(f.valid_from, f.valid_to, '[)') &> tstzrange(${loAt}, NULL, '()')`,
  }));
}

/**
 * A diff put together chunk by chunk of node ids (node-chunks.ts: parallel connections from one
 * snapshot): in each, the versions `sides` selects as valid at the earlier moment only (`before`)
 * and at the later only (`after`), joined by key, those whose values differ.
 */
async function chunkedDiff(
  pool: pg.Pool,
  from: Date,
  to: Date,
  node: string | undefined,
  out: Map<number, Buffer>,
  chunking: Pick<NodeChunkOptions, 'chunkNodes' | 'parallel' | 'signal'>,
  settings: readonly string[],
  sides: (loAt: string, hiAt: string, nodes: string) => { before: string; after: string },
): Promise<Map<number, string>> {
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  const values = from <= to ? 'a.value::text AS before, b.value::text AS after' : 'b.value::text AS before, a.value::text AS after';
  const names = new Map<number, string>();
  await forEachNodeChunk(
    pool,
    { only: node === undefined ? undefined : [node], idRanges: true, ...chunking },
    async (client, chunk) => {
      for (const n of chunk) names.set(n.id, n.name);
      for (const setting of settings) await client.query(setting);
      const [first, last] = idRange(chunk);
      const where = sides(`${literal(lo)}::timestamptz`, `${literal(hi)}::timestamptz`, `f.node_id BETWEEN ${first} AND ${last}`);
      const sql = `COPY (${ordered(`
        SELECT coalesce(a.node_id, b.node_id) AS node_id, coalesce(a.kind, b.kind) AS kind, coalesce(a.key, b.key) AS key, ${values}
        FROM (SELECT node_id, kind, key, value FROM facts f WHERE ${where.before}) a
        FULL JOIN (SELECT node_id, kind, key, value FROM facts f WHERE ${where.after}) b
          ON a.node_id = b.node_id AND a.kind = b.kind AND a.key = b.key
        WHERE ${valuesDiffer('a.value', 'b.value')}`)}) TO STDOUT (FORMAT binary)`;
      const asked = new Set(chunk.map((n) => n.id));
      const builder = new DiffJsonBuilder((id, json) => {
        if (asked.has(id)) out.set(id, json); // a node in the id range that was not asked for is left out
      });
      await copyRows(client, sql, builder.onRow);
      builder.finish();
    },
    () => undefined,
  );
  return names;
}

/** The facts touched in the window, each looked up at both moments (one query, one transaction). */
async function windowDiff(pool: pg.Pool, from: Date, to: Date, node: string | undefined, out: Map<number, Buffer>, signal?: AbortSignal): Promise<Map<number, string>> {
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  const fromAt = `${literal(from)}::timestamptz`;
  const toAt = `${literal(to)}::timestamptz`;
  const loAt = `${literal(lo)}::timestamptz`;
  const hiAt = `${literal(hi)}::timestamptz`;
  const nodeFilter = node === undefined ? '' : `AND node_id = (SELECT id FROM nodes WHERE name = ${literal(node)})`;
  // the version valid at a moment: the latest that began by then, if it had not ended
  const at = (moment: string) => `LEFT JOIN LATERAL (
      SELECT CASE WHEN v.valid_to IS NULL OR v.valid_to > ${moment} THEN v.value END AS value FROM facts v
      WHERE v.node_id = t.node_id AND v.kind = t.kind AND v.key = t.key AND v.valid_from <= ${moment}
      ORDER BY v.valid_from DESC LIMIT 1)`;
  const sql = `COPY (${ordered(`
    WITH touched AS (
      SELECT node_id, kind, key FROM facts WHERE valid_from > ${loAt} AND valid_from <= ${hiAt} ${nodeFilter}
      UNION
      SELECT node_id, kind, key FROM facts WHERE valid_to > ${loAt} AND valid_to <= ${hiAt} ${nodeFilter}
    )
    SELECT t.node_id, t.kind, t.key, a.value::text AS before, b.value::text AS after
    FROM touched t ${at(fromAt)} a ON true ${at(toAt)} b ON true
    WHERE ${valuesDiffer('a.value', 'b.value')}`)}) TO STDOUT (FORMAT binary)`;
  return withTransaction(
    pool,
    async (client) => {
      // an SSD-like page cost: the planner then walks the indexes (apps/api/bench/history-indexes.sql)
      await client.query('SET LOCAL random_page_cost = 1.1');
      const builder = new DiffJsonBuilder((id, json) => out.set(id, json));
      // the client left: the COPY is cancelled rather than read to its end for nobody
      const abort = () => void cancelBuilds(pool, [client]);
      signal?.throwIfAborted(); // (a signal already aborted would never call `abort`)
      signal?.addEventListener('abort', abort, { once: true });
      try {
        await copyRows(client, sql, builder.onRow);
      } catch (error) {
        if (signal?.aborted && (error as { code?: string }).code === QUERY_CANCELED) {
          chunkStats.cancelled += 1;
          throw signal.reason;
        }
        throw error;
      } finally {
        signal?.removeEventListener('abort', abort);
      }
      builder.finish();
      if (out.size === 0) return new Map<number, string>();
      const { rows } = await client.query<NodeRef>('SELECT id, name FROM nodes WHERE id = ANY($1::int[])', [[...out.keys()]]);
      return new Map(rows.map((r) => [r.id, r.name]));
    },
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  );
}

/**
 * The window's boundary versions, joined: the version valid at the earlier moment that ended by the
 * later (valid_to in the window, valid_from not), and the version valid at the later moment that
 * began after the earlier (valid_from in the window, valid_to after it or none); a fact has at most
 * one of each. Each side is one range scan of facts_valid_from or facts_valid_to. The nodes in two
 * halves of ids on two connections from one snapshot (node-chunks.ts): each scans the whole
 * window's index entries but joins, compares and sorts only its half (the hour at 1000 nodes on a
 * quiet machine: 1.55–1.72 s against 1.96–2.24 s in one query, the two whole states 2.13–2.46 s).
 * (With the other column in those btrees, so that only the versions valid at one end reach the
 * heap, the hour took 1.68 s instead of 1.73 s with every page cached: not worth 16 bytes a version.)
 */
async function versionsDiff(pool: pg.Pool, from: Date, to: Date, node: string | undefined, out: Map<number, Buffer>, signal?: AbortSignal): Promise<Map<number, string>> {
  return chunkedDiff(
    pool,
    from,
    to,
    node,
    out,
    // two halves: every chunk scans the window's whole index range
    { chunkNodes: (n) => Math.ceil(n / 2), parallel: 2, signal },
    // the hash of one side and the sort of the answer in memory (~50 MB each per half for the hour
    // at 1000 nodes; spilled to disk they cost +1 s); whole reads run one at a time (WHOLE_READS).
    // Range scans of the window's btrees, not the bitmaps of a node range's read; a merge join
    // sorts both sides first; JIT compiling the plan cost more than it saved.
    ["SET LOCAL work_mem = '128MB'", 'SET LOCAL enable_indexscan = on', 'SET LOCAL enable_mergejoin = off', 'SET LOCAL jit = off'],
    (loAt, hiAt, nodes) => ({
      before: `f.valid_to > ${loAt} AND f.valid_to <= ${hiAt} AND f.valid_from <= ${loAt} AND ${nodes}`,
      after: `f.valid_from > ${loAt} AND f.valid_from <= ${hiAt} AND (f.valid_to IS NULL OR f.valid_to > ${hiAt}) AND ${nodes}`,
    }),
  );
}

/**
 * `states` for one node (its versions through the GiST index: bounded by its state, however long
 * the window); otherwise `versions`, unless the window holds more than STATES_FROM times as many
 * versions as the state has facts (planner estimates): an index entry costs far less than a heap
 * fetch, but not nothing.
 */
export async function diffStrategy(pool: pg.Pool, from: Date, to: Date, node?: string): Promise<DiffStrategy> {
  if (node !== undefined) return 'states';
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  const estimate = async (sql: string, params: unknown[]) => {
    const { rows } = await pool.query<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    return rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0;
  };
  const churn = await estimate(`SELECT 1 FROM facts WHERE valid_from > $1 AND valid_from <= $2`, [lo, hi]);
  const state = await estimate(`SELECT 1 FROM facts WHERE valid_to IS NULL`, []);
  return churn > STATES_FROM * state ? 'states' : 'versions';
}

/** versions in the window per fact of the state past which reading two whole states is cheaper */
export const STATES_FROM = 20;

// COPY takes no bind parameters: moments go in as ISO 8601 literals, names escaped
const literal = (v: Date | string) => pg.escapeLiteral(typeof v === 'string' ? v : v.toISOString());

const ADDED = Buffer.from('"added":[');
const REMOVED = Buffer.from('],"removed":[');
const CHANGED = Buffer.from('],"changed":[');
const KIND = Buffer.from('{"kind":"');
const KEY = Buffer.from('","key":');
const VALUE = Buffer.from(',"value":');
const BEFORE = Buffer.from(',"before":');
const AFTER = Buffer.from(',"after":');

/**
 * Rows (node id, kind, key, before, after) sorted by node, kind and key into one JSON object per
 * node: `{"<kind>":{"added":[…],"removed":[…],"changed":[…]},…}`.
 */
class DiffJsonBuilder {
  private nodeId = -1;
  private kind = '';
  private node = new JsonBytes();
  private readonly sections = [new JsonBytes(), new JsonBytes(), new JsonBytes()] as const;
  private kinds = 0;

  constructor(private readonly done: (nodeId: number, json: Buffer) => void) {}

  readonly onRow: RawRow = (buf, starts, lengths, fields) => {
    if (fields !== DIFF_COLUMNS || lengths[0] !== 4 || lengths[1]! < 0 || lengths[2]! < 0) throw new Error('diff stream: unexpected COPY row');
    const nodeId = buf.readInt32BE(starts[0]!);
    const kind = buf.toString('latin1', starts[1]!, starts[1]! + lengths[1]!);
    if (nodeId !== this.nodeId) {
      this.endNode();
      this.nodeId = nodeId;
      this.kind = kind;
    } else if (kind !== this.kind) {
      this.endKind();
      this.kind = kind;
    }
    const before = lengths[3]! >= 0;
    const after = lengths[4]! >= 0;
    const section = this.sections[before && after ? 2 : before ? 1 : 0];
    if (section.length > 0) section.byte(0x2c); // ,
    section.constant(KIND);
    section.raw(buf, starts[1]!, lengths[1]!); // a FactKind: plain ASCII
    section.constant(KEY);
    section.string(buf, starts[2]!, lengths[2]!);
    if (before && after) {
      section.constant(BEFORE);
      section.raw(buf, starts[3]!, lengths[3]!);
      section.constant(AFTER);
      section.raw(buf, starts[4]!, lengths[4]!);
    } else {
      section.constant(VALUE);
      const f = before ? 3 : 4;
      section.raw(buf, starts[f]!, lengths[f]!);
    }
    section.byte(0x7d); // }
  };

  finish(): void {
    this.endNode();
    this.nodeId = -1;
  }

  private endKind(): void {
    const [added, removed, changed] = this.sections;
    if (added.length + removed.length + changed.length === 0) return;
    const n = this.node;
    n.byte(this.kinds++ === 0 ? 0x7b : 0x2c); // { or ,
    n.string(Buffer.from(this.kind, 'latin1'), 0, this.kind.length);
    n.byte(0x3a); // :
    n.byte(0x7b);
    n.constant(ADDED);
    n.append(added);
    n.constant(REMOVED);
    n.append(removed);
    n.constant(CHANGED);
    n.append(changed);
    n.byte(0x5d); // ]
    n.byte(0x7d);
    for (const s of this.sections) s.length = 0;
  }

  private endNode(): void {
    if (this.nodeId < 0) return;
    this.endKind();
    if (this.kinds > 0) {
      this.node.byte(0x7d);
      this.done(this.nodeId, Buffer.from(this.node.bytes()));
    }
    this.node.length = 0;
    this.kinds = 0;
  }
}
