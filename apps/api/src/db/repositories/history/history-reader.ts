// Reads the history: now, at a moment, every change in a window, and the net difference between
// two moments. A fact version is valid over [valid_from, valid_to): the state at T holds the
// versions with valid_from <= T < valid_to, and a window (from, to] holds the changes recorded
// after `from` up to and including `to`, so that state(to) = state(from) + changes(from, to].
import type { CniStyle, Fact, FactChange, FactKind, NodeEvent, NodeSummary, ReaderStatus } from '@netatlas/wire';
import type pg from 'pg';
import { nodeEventOf, type NodeEventRow } from './rows.js';
import { streamDiffJson, type DiffStrategy } from './diff-stream.js';
import { streamStateJson } from './state-stream.js';
import { validAt } from './valid-at.js';

export interface ChangesQuery {
  from: Date;
  to: Date;
  node?: string;
  kind?: FactKind;
  limit: number;
  /** continue after this change (the `next` cursor of the previous page) */
  after?: ChangeCursor;
}

export interface ChangeCursor {
  at: string;
  nodeId: number;
  kind: string;
  key: string;
}

export interface ChangesPage {
  changes: FactChange[];
  /** pass as `after` for the next page; null on the last page */
  next: ChangeCursor | null;
}

export interface KindDiff {
  added: Fact[];
  removed: Fact[];
  changed: Array<{ kind: FactKind; key: string; before: Fact['value']; after: Fact['value'] }>;
}

/** node → kind → what differs */
export type StateDiff = Record<string, Partial<Record<FactKind, KindDiff>>>;

interface FactRow {
  node?: string;
  kind: FactKind;
  key: string;
  value: Fact['value'];
}

const asFact = (row: FactRow): Fact => ({ kind: row.kind, key: row.key, value: row.value }) as Fact;

export class HistoryReader {
  constructor(private readonly pool: pg.Pool) {}

  async nodes(): Promise<NodeSummary[]> {
    const { rows } = await this.pool.query<{
      name: string;
      status: NodeSummary['status'];
      first_seen: Date;
      last_seen: Date;
      cni_style: CniStyle | null;
      reader_status: Record<string, ReaderStatus>;
    }>(`SELECT name, status, first_seen, last_seen, cni_style, reader_status FROM nodes ORDER BY name`);
    return rows.map((row) => ({
      name: row.name,
      status: row.status,
      firstSeen: row.first_seen.toISOString(),
      lastSeen: row.last_seen.toISOString(),
      cniStyle: row.cni_style,
      readers: row.reader_status,
    }));
  }

  async nodeExists(name: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`SELECT 1 FROM nodes WHERE name = $1`, [name]);
    return (rowCount ?? 0) > 0;
  }

  /** One node's facts now (at = null) or at a moment, optionally of some kinds only. */
  async nodeFacts(name: string, at: Date | null, kinds: readonly FactKind[] | null): Promise<Fact[]> {
    const params: unknown[] = [name];
    const where = validAt(params, at, kinds);
    const { rows } = await this.pool.query<FactRow>(
      `SELECT f.kind, f.key, f.value FROM facts f JOIN nodes n ON n.id = f.node_id
       WHERE n.name = $1 AND ${where} ORDER BY f.kind, f.key`,
      params,
    );
    return rows.map(asFact);
  }

  /** Every node's facts now or at a moment: node name → facts (nodes without facts are absent). */
  async state(at: Date | null, kinds: readonly FactKind[] | null = null, nodes: readonly string[] | null = null): Promise<Map<string, Fact[]>> {
    const params: unknown[] = [];
    let where = validAt(params, at, kinds);
    if (nodes) {
      params.push(nodes);
      where += ` AND n.name = ANY($${params.length}::text[])`;
    }
    const rows = await this.readOnly((client) =>
      client.query<FactRow & { node: string }>(
        `SELECT n.name AS node, f.kind, f.key, f.value FROM facts f JOIN nodes n ON n.id = f.node_id WHERE ${where}`,
        params,
      ),
    );
    const out = new Map<string, Fact[]>();
    for (const row of rows) {
      let list = out.get(row.node);
      if (!list) out.set(row.node, (list = []));
      list.push(asFact(row));
    }
    for (const list of out.values()) list.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /**
   * Every node's facts of one kind at a moment (or now), read through the (node, kind, key, valid
   * from) index node by node rather than through every fact valid then: a few rows a node (the
   * path trace's map of who holds which address) where the whole state is hundreds of thousands.
   */
  async kindAt(at: Date | null, kind: FactKind): Promise<Map<string, Fact[]>> {
    const rows = await this.readOnly((client) =>
      client.query<FactRow & { node: string }>(
        `SELECT n.name AS node, f.kind, f.key, f.value FROM nodes n
           JOIN LATERAL (SELECT kind, key, value FROM facts f
                          WHERE f.node_id = n.id AND f.kind = $1
                            AND ${at ? 'f.valid_from <= $2 AND (f.valid_to IS NULL OR f.valid_to > $2)' : 'f.valid_to IS NULL'}) f ON true`,
        at ? [kind, at] : [kind],
      ),
    );
    const out = new Map<string, Fact[]>();
    for (const row of rows) {
      let list = out.get(row.node);
      if (!list) out.set(row.node, (list = []));
      list.push(asFact(row));
    }
    return out;
  }

  /**
   * Every node's facts now or at a moment as JSON (UTF-8 bytes in pieces), one array per node, in node id
   * order, handed to `write` as each is ready (state-stream.ts): the JSON is put together from the
   * bytes Postgres sends, never parsed nor re-serialised.
   */
  streamState(
    at: Date | null,
    kinds: readonly FactKind[] | null,
    write: (node: string, facts: readonly Buffer[], release: () => void) => void | Promise<void>,
    signal?: AbortSignal,
  ): Promise<void> {
    return streamStateJson(this.pool, at, kinds, write, { signal });
  }

  /**
   * Every change in (from, to], ordered by time, node id, kind and key. A version that began where
   * another of the same fact ended is a change of it; a version that ended with no successor is a
   * removal. Each half walks its time index in order and stops after a page, so a page costs the
   * same in a window of a minute or of a month.
   */
  async changes(query: ChangesQuery): Promise<ChangesPage> {
    const params: unknown[] = [query.from, query.to];
    const filters: string[] = [];
    if (query.node) {
      params.push(query.node);
      filters.push(`f.node_id = (SELECT id FROM nodes WHERE name = $${params.length})`);
    }
    if (query.kind) {
      params.push(query.kind);
      filters.push(`f.kind = $${params.length}`);
    }
    const where = filters.map((f) => ` AND ${f}`).join('');
    let afterBegin = '';
    let afterEnd = '';
    if (query.after) {
      params.push(query.after.at, query.after.nodeId, query.after.kind, query.after.key);
      const p = params.length;
      const cursor = `($${p - 3}::timestamptz, $${p - 2}::int, $${p - 1}::text, $${p}::text)`;
      afterBegin = ` AND f.valid_from >= $${p - 3}::timestamptz AND (f.valid_from, f.node_id, f.kind, f.key) > ${cursor}`;
      afterEnd = ` AND f.valid_to >= $${p - 3}::timestamptz AND (f.valid_to, f.node_id, f.kind, f.key) > ${cursor}`;
    }
    params.push(query.limit + 1);
    const limit = `$${params.length}`;
    const { rows } = await this.pool.query<{
      node: string;
      node_id: number;
      kind: FactKind;
      key: string;
      at: Date;
      before: Fact['value'] | null;
      after: Fact['value'] | null;
    }>(
      `SELECT n.name AS node, c.node_id, c.kind, c.key, c.at,
              CASE WHEN c.removal THEN c.value ELSE prev.value END AS before,
              CASE WHEN c.removal THEN NULL ELSE c.value END AS after
       FROM (
         (SELECT f.node_id, f.kind, f.key, f.valid_from AS at, f.value, false AS removal FROM facts f
          WHERE f.valid_from > $1 AND f.valid_from <= $2${where}${afterBegin}
          ORDER BY f.valid_from, f.node_id, f.kind, f.key LIMIT ${limit})
         UNION ALL
         (SELECT f.node_id, f.kind, f.key, f.valid_to, f.value, true FROM facts f
          WHERE f.valid_to > $1 AND f.valid_to <= $2${where}${afterEnd}
            AND NOT EXISTS (SELECT 1 FROM facts nx WHERE nx.node_id = f.node_id AND nx.kind = f.kind AND nx.key = f.key AND nx.valid_from = f.valid_to)
          ORDER BY f.valid_to, f.node_id, f.kind, f.key LIMIT ${limit})
       ) c
       JOIN nodes n ON n.id = c.node_id
       -- the version this one replaced: the fact's latest one before it, if it ended right here
       LEFT JOIN LATERAL (
         SELECT p.value, p.valid_to FROM facts p
         WHERE NOT c.removal AND p.node_id = c.node_id AND p.kind = c.kind AND p.key = c.key AND p.valid_from < c.at
         ORDER BY p.valid_from DESC LIMIT 1
       ) prev0 ON true
       LEFT JOIN LATERAL (SELECT prev0.value WHERE prev0.valid_to = c.at) prev ON true
       ORDER BY c.at, c.node_id, c.kind, c.key
       LIMIT ${limit}`,
      params,
    );
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    const changes: FactChange[] = page.map((row) => ({
      node: row.node,
      kind: row.kind,
      key: row.key,
      at: row.at.toISOString(),
      op: row.before === null ? 'add' : row.after === null ? 'remove' : 'change',
      before: row.before,
      after: row.after,
    }));
    const last = page.at(-1);
    return {
      changes,
      next: more && last ? { at: last.at.toISOString(), nodeId: last.node_id, kind: last.kind, key: last.key } : null,
    };
  }

  /**
   * The net difference between the states at `from` and at `to`, per node and kind, as JSON for
   * each node in name order, handed to `write` (diff-stream.ts: put together from the bytes
   * Postgres sends). `strategy` forces one of the ways of finding it (tests compare them).
   */
  streamDiff(from: Date, to: Date, node: string | undefined, write: (node: string, json: Buffer) => void | Promise<void>, strategy?: DiffStrategy, signal?: AbortSignal): Promise<void> {
    return streamDiffJson(this.pool, from, to, node, write, strategy, signal);
  }

  /** The same difference as objects. */
  async diff(from: Date, to: Date, node?: string, strategy?: DiffStrategy): Promise<StateDiff> {
    const out: StateDiff = {};
    await this.streamDiff(from, to, node, (name, json) => void (out[name] = JSON.parse(json.toString('utf8')) as StateDiff[string]), strategy);
    return out;
  }

  /**
   * Runs a read in its own read-only transaction at an SSD-like page cost: the GiST index beats a
   * sequential scan by 5x for state at T, but the planner only sees it so at random_page_cost 1.1
   * (apps/api/bench/history-indexes.sql).
   */
  private async readOnly<R extends pg.QueryResultRow>(run: (client: pg.PoolClient) => Promise<pg.QueryResult<R>>): Promise<R[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      await client.query('SET LOCAL random_page_cost = 1.1');
      const { rows } = await run(client);
      await client.query('COMMIT');
      return rows;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Node lifecycle events in [from, to], oldest first. */
  async events(from: Date, to: Date, node?: string, limit = 10_000): Promise<NodeEvent[]> {
    const params: unknown[] = [from, to, limit];
    let nodeFilter = '';
    if (node) {
      params.push(node);
      nodeFilter = 'AND n.name = $4';
    }
    const { rows } = await this.pool.query<NodeEventRow & { node: string }>(
      `SELECT e.id, e.type, e.at, e.detail, n.name AS node FROM node_events e JOIN nodes n ON n.id = e.node_id
       WHERE e.at >= $1 AND e.at <= $2 ${nodeFilter} ORDER BY e.at, e.id LIMIT $3`,
      params,
    );
    return rows.map((row) => nodeEventOf(row, row.node));
  }
}
