// What the SQL adds to the schema: the database guarantees one current version per fact and
// well-formed intervals, and the history queries can use their indexes.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';
import { migrate } from './migrate.js';

describe('facts as validity intervals', () => {
  let database: TestDatabase;
  let client: pg.Client;
  let node1: number;
  let node2: number;

  setupOnce(async () => {
    database = await createTestDatabase('facts');
    await migrate(database.url);
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ id: number }>(`INSERT INTO nodes (name) VALUES ('node1'), ('node2') RETURNING id`);
    [node1, node2] = rows.map((row) => row.id) as [number, number];
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  /** Runs `run` in a transaction that is rolled back, so the tests do not see each other's rows. */
  const rolledBack = async (run: () => Promise<void>) => {
    await client.query('BEGIN');
    try {
      await run();
    } finally {
      await client.query('ROLLBACK');
    }
  };
  const insert = (node: number, key: string, validFrom: string, validTo: string | null = null, value: unknown = { v: 1 }) =>
    client.query(`INSERT INTO facts (node_id, kind, key, value, valid_from, valid_to) VALUES ($1, 'route', $2, $3, $4, $5)`, [
      node,
      key,
      JSON.stringify(value),
      validFrom,
      validTo,
    ]);
  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e as { code?: string; constraint?: string },
    );
    expect(error, 'the statement must fail').not.toBeNull();
    return { code: error?.code, constraint: error?.constraint };
  };

  it('rejects a second current version of a fact (partial unique index)', async () => {
    await rolledBack(async () => {
      await insert(node1, 'main|10.0.0.0/24', '2026-11-01T00:00:00Z');
      await client.query('SAVEPOINT s');
      expect(await failure(insert(node1, 'main|10.0.0.0/24', '2026-11-01T01:00:00Z'))).toEqual({
        code: '23505',
        constraint: 'facts_current_key',
      });
      await client.query('ROLLBACK TO SAVEPOINT s');
      // closing the current version makes room for the next one; the same key on another node is another fact
      await client.query(`UPDATE facts SET valid_to = '2026-11-01T01:00:00Z' WHERE node_id = $1 AND valid_to IS NULL`, [node1]);
      await insert(node1, 'main|10.0.0.0/24', '2026-11-01T01:00:00Z');
      await insert(node2, 'main|10.0.0.0/24', '2026-11-01T00:00:00Z');
      // closed versions of one fact may be many
      await insert(node1, 'main|10.0.0.0/24', '2026-10-01T00:00:00Z', '2026-10-02T00:00:00Z');
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM facts WHERE key = 'main|10.0.0.0/24'`);
      expect(rows[0].n).toBe(4);
    });
  });

  it.each([
    ['ends where it starts', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z'],
    ['ends before it starts', '2026-11-01T00:00:00Z', '2026-10-31T23:59:59Z'],
  ])('rejects an interval that %s (CHECK)', async (_, from, to) => {
    await rolledBack(async () => {
      expect(await failure(insert(node1, 'main|10.1.0.0/24', from, to))).toEqual({ code: '23514', constraint: 'facts_valid_interval' });
    });
  });

  it('answers now, at T and between T1 and T2 through its indexes', async () => {
    await rolledBack(async () => {
      // one route changes at 01:00 and is deleted at 02:00; another appears at 01:30
      await insert(node1, 'a', '2026-11-01T00:00:00Z', '2026-11-01T01:00:00Z', { v: 1 });
      await insert(node1, 'a', '2026-11-01T01:00:00Z', '2026-11-01T02:00:00Z', { v: 2 });
      await insert(node1, 'b', '2026-11-01T01:30:00Z', null, { v: 3 });
      await insert(node2, 'a', '2026-11-01T00:00:00Z', null, { v: 9 });
      // and some history elsewhere, so that the planner's statistics look like a real table's
      await client.query(
        `INSERT INTO facts (node_id, kind, key, value, valid_from, valid_to)
         SELECT $1, 'neigh', 'k' || (i % 500), '{}', timestamptz '2026-10-01' + i * interval '1 minute',
                CASE WHEN i < 19500 THEN timestamptz '2026-10-01' + (i + 500) * interval '1 minute' END
           FROM generate_series(0, 19999) i`,
        [node2],
      );
      await client.query('ANALYZE facts');
      // what matters here is that the indexes fit the queries, not the planner's guess of the costs
      await client.query('SET LOCAL enable_seqscan = off');

      const query = async (sql: string, params: unknown[]) => {
        const plan = (await client.query(`EXPLAIN ${sql}`, params)).rows.map((row) => row['QUERY PLAN']).join('\n');
        const { rows } = await client.query(sql, params);
        return { plan, rows };
      };
      const atT = `SELECT key, value FROM facts WHERE node_id = $1 AND tstzrange(valid_from, valid_to, '[)') @> $2::timestamptz ORDER BY key`;
      const at = (t: string) => query(atT, [node1, t]);

      const before = await at('2026-10-31T00:00:00Z');
      expect(before.rows).toEqual([]);
      expect(before.plan).toContain('facts_node_validity');
      expect((await at('2026-11-01T00:00:00Z')).rows).toEqual([{ key: 'a', value: { v: 1 } }]);
      expect((await at('2026-11-01T00:59:59.999Z')).rows).toEqual([{ key: 'a', value: { v: 1 } }]);
      expect((await at('2026-11-01T01:00:00Z')).rows).toEqual([{ key: 'a', value: { v: 2 } }]);
      expect((await at('2026-11-01T01:45:00Z')).rows).toEqual([
        { key: 'a', value: { v: 2 } },
        { key: 'b', value: { v: 3 } },
      ]);
      expect((await at('2026-11-01T02:00:00Z')).rows).toEqual([{ key: 'b', value: { v: 3 } }]);

      const now = await query(`SELECT key, value FROM facts WHERE node_id = $1 AND valid_to IS NULL ORDER BY key`, [node1]);
      expect(now.rows).toEqual([{ key: 'b', value: { v: 3 } }]);
      expect(now.plan).toContain('facts_current_key');

      const changes = await query(
        `SELECT key, value, valid_from, valid_to FROM facts
          WHERE (valid_from >= $1 AND valid_from < $2) OR (valid_to >= $1 AND valid_to < $2) ORDER BY valid_from`,
        ['2026-11-01T00:30:00Z', '2026-11-01T01:45:00Z'],
      );
      expect(changes.rows.map((row) => row.value)).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);
      expect(changes.plan).toContain('facts_valid_from');
      expect(changes.plan).toContain('facts_valid_to');
    });
  });

  it('removes a node with its facts and events', async () => {
    await rolledBack(async () => {
      const { rows } = await client.query<{ id: number }>(`INSERT INTO nodes (name) VALUES ('gone') RETURNING id`);
      const id = rows[0]!.id;
      await insert(id, 'k', '2026-11-01T00:00:00Z');
      await client.query(`INSERT INTO node_events (node_id, type, detail) VALUES ($1, 'first_seen', '{"via": "collector"}')`, [id]);
      await client.query('DELETE FROM nodes WHERE id = $1', [id]);
      const left = await client.query(
        'SELECT (SELECT count(*) FROM facts WHERE node_id = $1)::int AS facts, (SELECT count(*) FROM node_events WHERE node_id = $1)::int AS events',
        [id],
      );
      expect(left.rows[0]).toEqual({ facts: 0, events: 0 });
    });
  });
});
