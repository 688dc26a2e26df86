// Fact values are json, compared as text and, where the text differs, as jsonb (value-sql.ts),
// against the real Postgres: the same value in another text (jsonb's, as the migration to json
// left the older versions) is no change to ingest and no difference to a diff; a value jsonb
// refuses is not stored.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../migrate.js';
import { route } from '../../../testing/facts.js';
import { createTestDatabase, type TestDatabase } from '../../../testing/postgres.js';
import { setupOnce } from '../../../testing/setup.js';
import { FactWriter, type IngestOutcome } from './fact-writer.js';
import { HistoryReader } from './history-reader.js';
import { valuesDiffer } from './value-sql.js';

const EPOCH = 1_764_000_000_000;
const changesOf = (o: IngestOutcome) => (o.kind === 'applied' ? o.changes : null);

describe('fact values as json', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let writer: FactWriter;
  let reader: HistoryReader;

  setupOnce(async () => {
    database = await createTestDatabase('valuesql');
    await migrate(database.url);
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    writer = new FactWriter(pool);
    reader = new HistoryReader(pool);
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('valuesDiffer: text first, then JSON', async () => {
    const cases: Array<[string | null, string | null, boolean]> = [
      ['{"a":1,"b":[1,2]}', '{"a":1,"b":[1,2]}', false],
      ['{"a":1,"b":[1,2]}', '{"b": [1, 2], "a": 1}', false], // jsonb's text of the same value
      ['{"b": [1, 2], "a": 1}', '{"a":1,"b":[1,2]}', false], // (either side)
      ['{"a":1,"b":"x y"}', '{"b":"x y","a":1}', false], // another key order, the same length
      ['{"a":1,"b":"xy"}', '{"b":"xy","a":1}', false], // another key order, no space at all
      ['{"a":1,"b":"xy"}', '{"a":1,"b":"yx"}', true], // the same length, another value
      ['{"a":1,"b":"xy"}', '{"a":1,"b":"xyz"}', true], // another length, no space: not the same
      ['{"a":"1 2"}', '{"a":"1  2"}', true], // spaces inside strings are the value's
      ['{"a":1.5}', '{"a": 1.50}', false], // jsonb's numbers compare by value
      ['{"a":1,"b":[1,2]}', '{"a":1,"b":[2,1]}', true],
      ['{"a":1}', '{"a":"1"}', true],
      ['{"a":null}', '{}', true],
      [null, '{"a":1}', true],
      ['{"a":1}', null, true],
      [null, null, false],
    ];
    const { rows } = await pool.query<{ i: number; differ: boolean }>(
      `SELECT i::int, ${valuesDiffer('a', 'b')} AS differ FROM unnest($1::json[], $2::json[]) WITH ORDINALITY AS t(a, b, i) ORDER BY i`,
      [cases.map((c) => c[0]), cases.map((c) => c[1])],
    );
    expect(rows.map((r) => r.differ)).toEqual(cases.map((c) => c[2]));
  });

  it('a stored value in jsonb text is the same value to a snapshot, a delta and a diff', async () => {
    const node = 'vs-1';
    const kept = route('10.0.0.0/24');
    const changed = route('10.0.1.0/24');
    await writer.hello(node, { epoch: EPOCH, bootId: 'boot', readers: {} });
    await writer.applySnapshot(node, { epoch: EPOCH, seq: 1, takenAt: new Date().toISOString(), facts: [kept, changed], readers: {} }, 'unknown');
    const before = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    // the text the migration gives: jsonb's (fields by length, then bytes; spaces)
    await pool.query(`UPDATE facts SET value = value::jsonb::json WHERE valid_to IS NULL`);
    const stored = (await pool.query<{ text: string }>(`SELECT value::text AS text FROM facts WHERE key = $1`, [kept.key])).rows[0]!.text;
    expect(stored).not.toBe(JSON.stringify(kept.value));
    expect(JSON.parse(stored)).toEqual(kept.value);

    const resync = await writer.applySnapshot(node, { epoch: EPOCH + 1, seq: 1, takenAt: new Date().toISOString(), facts: [kept, changed], readers: {} }, 'unknown');
    expect(changesOf(resync)).toEqual([]);
    const same = await writer.applyDelta(node, { epoch: EPOCH + 1, seq: 2, takenAt: new Date().toISOString(), upserts: [kept], deletes: [] });
    expect(changesOf(same)).toEqual([]);
    const other = route('10.0.1.0/24', '172.20.0.99');
    const moved = await writer.applyDelta(node, { epoch: EPOCH + 1, seq: 3, takenAt: new Date().toISOString(), upserts: [other], deletes: [] });
    expect(changesOf(moved)?.map((c) => [c.op, c.key])).toEqual([['change', other.key]]);

    // a version that differs from the one before only in its text: no difference between the two moments
    await pool.query(
      `WITH closed AS (UPDATE facts SET valid_to = now() WHERE key = $1 AND valid_to IS NULL RETURNING node_id, kind, key, value, valid_to)
       INSERT INTO facts (node_id, kind, key, value, valid_from) SELECT node_id, kind, key, $2::json, valid_to FROM closed`,
      [kept.key, JSON.stringify(kept.value)],
    );
    expect(Number((await pool.query(`SELECT count(*) AS n FROM facts WHERE key = $1`, [kept.key])).rows[0].n)).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const after = new Date();
    for (const strategy of ['window', 'states'] as const) {
      const diff = await reader.diff(before, after, undefined, strategy);
      expect(diff, strategy).toEqual({ [node]: { route: { added: [], removed: [], changed: [{ kind: 'route', key: other.key, before: changed.value, after: other.value }] } } });
    }
  });

  it('a value jsonb refuses (\\u0000 in a string) is not stored', async () => {
    const { rows } = await pool.query<{ id: number }>(`SELECT id FROM nodes LIMIT 1`);
    await expect(
      pool.query(`INSERT INTO facts (node_id, kind, key, value) VALUES ($1, 'route', 'x', '{"gateway":"bad\\u0000"}'::json)`, [rows[0]!.id]),
    ).rejects.toThrow(/unicode|\\u0000/i);
  });
});
