// The streamed state against the real Postgres: chunks built on two connections come out in name
// order, equal the one-query state at any moment (a node's facts in any order), carry awkward keys
// and values byte for byte as valid JSON, and are one consistent moment even while the facts
// change underneath.
import type { Fact } from '@netatlas/wire';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../testing/postgres.js';
import { route } from '../../../testing/facts.js';
import { setupOnce } from '../../../testing/setup.js';
import { withBigNode } from '../../../testing/big-node.js';
import { HistoryReader } from './history-reader.js';
import { chunkStats } from './node-chunks.js';
import { streamStateJson } from './state-stream.js';

const NODES = 11;

describe('streamStateJson', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let reader: HistoryReader;
  const t1 = new Date('2026-11-23T10:00:00Z');
  const t2 = new Date('2026-11-23T11:00:00Z');

  setupOnce(async () => {
    database = await createTestDatabase('statestream');
    await migrate(database.url);
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    reader = new HistoryReader(pool);
    // node-00 … node-10 (node-07 has no facts at all); every node has routes from t1, some end at t2
    for (let i = 0; i < NODES; i++) {
      const { rows } = await pool.query<{ id: number }>(`INSERT INTO nodes (name) VALUES ($1) RETURNING id`, [`node-${String(i).padStart(2, '0')}`]);
      if (i === 7) continue;
      for (let r = 0; r < 5; r++) {
        const f = route(`10.${i}.${r}.0/24`);
        const ends = r < 2 ? t2 : null;
        await pool.query(`INSERT INTO facts (node_id, kind, key, value, valid_from, valid_to) VALUES ($1, $2, $3, $4, $5, $6)`, [
          rows[0]!.id, f.kind, f.key, JSON.stringify(f.value), t1, ends,
        ]);
      }
    }
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  const byId = (a: Fact, b: Fact) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const collect = async (
    at: Date | null,
    options: Parameters<typeof streamStateJson>[4],
    during?: (node: string) => Promise<void>,
    kinds: Parameters<typeof streamStateJson>[2] = null,
  ) => {
    const out: Array<[string, Fact[]]> = [];
    await streamStateJson(pool, at, kinds, async (node, facts) => {
      out.push([node, (JSON.parse(Buffer.concat(facts).toString('utf8')) as Fact[]).sort(byId)]);
      await during?.(node);
    }, options);
    return out;
  };

  it('equals the one-query state now and at past moments, in id order, whatever the chunking', async () => {
    for (const at of [null, new Date(t1.getTime() + 1000), new Date(t2.getTime() + 1000), new Date(t1.getTime() - 1000)]) {
      const expected = [...(await reader.state(at))];
      for (const options of [{ chunkNodes: 1, parallel: 2 }, { chunkNodes: 3, parallel: 3 }, { chunkNodes: 100, parallel: 1 }, { chunkNodes: 1, parallel: 2, ahead: 1 }, { chunkNodes: 4, leadNodes: 1, parallel: 2 }]) {
        expect(await collect(at, options), `${at?.toISOString() ?? 'now'} ${JSON.stringify(options)}`).toEqual(expected);
      }
    }
    expect((await collect(null, { chunkNodes: 2 })).map(([n]) => n)).not.toContain('node-07');
  });

  it('carries awkward keys and values as valid JSON, and filters kinds', async () => {
    const keys = ['quote " here', 'back\\slash', 'tab\tnew\nline', 'ctl \u0001\u001f', 'ünï ✓ 𝄞', ''];
    const { rows } = await pool.query<{ id: number }>(`SELECT id FROM nodes WHERE name = 'node-03'`);
    for (const [i, key] of keys.entries()) {
      await pool.query(`INSERT INTO facts (node_id, kind, key, value, valid_from) VALUES ($1, 'link', $2, $3, $4)`, [
        rows[0]!.id, key, JSON.stringify({ ifname: key, note: `"${key}" \\ ${i}`, n: i, ok: true, none: null }), t1,
      ]);
    }
    for (const at of [null, new Date(t1.getTime() + 1000)]) {
      const expected = [...(await reader.state(at))];
      const got = await collect(at, { chunkNodes: 2, parallel: 2 });
      expect(got).toEqual(expected);
      const links = got.find(([n]) => n === 'node-03')![1].filter((f) => f.kind === 'link');
      expect(links.map((f) => f.key).sort()).toEqual([...keys].sort());
      expect(await collect(at, { chunkNodes: 3 }, undefined, ['link'])).toEqual([...(await reader.state(at, ['link']))]);
      expect(await collect(at, { chunkNodes: 3 }, undefined, [])).toEqual([]);
    }
    await pool.query(`DELETE FROM facts WHERE kind = 'link'`);
  });

  it('is one moment: a change committed while the stream is being written is not in it', async () => {
    const before = await collect(null, { chunkNodes: 1, parallel: 2 });
    const first = before[0]![0];
    const extra = route('10.250.0.0/24');
    let wrote = false;
    // at most 2 chunks ahead of the writer: the later nodes are read after the change
    const during = await collect(null, { chunkNodes: 1, parallel: 2, ahead: 2 }, async (node) => {
      if (wrote) return;
      wrote = true;
      // after the first node is out: every other node loses its facts and gets one new one
      await pool.query(`UPDATE facts SET valid_to = now() WHERE valid_to IS NULL AND node_id <> (SELECT id FROM nodes WHERE name = $1)`, [first]);
      await pool.query(`INSERT INTO facts (node_id, kind, key, value, valid_from) SELECT id, $2, $3, $4, now() FROM nodes WHERE name <> $1`, [
        first, extra.kind, extra.key, JSON.stringify(extra.value),
      ]);
      expect(node).toBe(first);
    });
    expect(during).toEqual(before);
    const after = await collect(null, { chunkNodes: 1, parallel: 2 });
    expect(after.slice(1).every(([, facts]) => facts.length === 1 && facts[0]!.key === extra.key)).toBe(true);
    expect(after).toHaveLength(NODES);
  });

  it('hands a node larger than a piece over in pieces of about a megabyte that join to its facts', async () => {
    // 12k routes with ~100-byte values: ~2.3 MB of JSON
    await withBigNode(pool, { name: 'node-big', routes: 12_000, octet: 99, note: 40, validFrom: t1 }, async () => {
      const pieces: number[] = [];
      let facts: Fact[] = [];
      await streamStateJson(pool, null, null, (node, json) => {
        if (node !== 'node-big') return;
        pieces.push(...json.map((b) => b.length));
        facts = JSON.parse(Buffer.concat(json).toString('utf8')) as Fact[];
      });
      expect(facts).toHaveLength(12_000);
      expect(new Set(facts.map((f) => f.key)).size).toBe(12_000);
      expect(pieces.length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...pieces)).toBeLessThanOrEqual(1 << 20);
    });
  });

  it('a consumer that fails (its client left) cuts the chunk being built short rather than reading it to its end', async () => {
    // 150k routes, ~30 MB of COPY: being read on the second connection when the first node's JSON fails
    await withBigNode(pool, { name: 'node-huge', routes: 150_000, octet: 98, note: 100, validFrom: t1 }, async () => {
      const before = chunkStats.cancelled;
      // the first chunk is node-00 alone, the second every other node, the huge one among them; on
      // a pool of two (as the state worker's), both held by the read: the cancel needs neither
      const two = new pg.Pool({ connectionString: database.url, max: 2 });
      try {
        await expect(
          streamStateJson(two, null, null, () => {
            throw new Error('the client went away');
          }, { leadNodes: 1, chunkNodes: 100, parallel: 2 }),
        ).rejects.toThrow('the client went away');
        expect(two.totalCount - two.idleCount).toBe(0);
      } finally {
        await two.end();
      }
      expect(chunkStats.cancelled - before, 'the second chunk was cancelled').toBe(1);
      // the client leaves (the signal) while the huge chunk is read: it is cancelled at once, not
      // when its bytes would have been written
      const left = new AbortController();
      await expect(
        streamStateJson(pool, null, null, () => left.abort(new Error('the client left')), { leadNodes: 1, chunkNodes: 100, parallel: 2, signal: left.signal }),
      ).rejects.toThrow('the client left');
      expect(chunkStats.cancelled - before, 'cancelled by the signal').toBe(2);
      expect(pool.totalCount - pool.idleCount).toBe(0);
      // the connections go on: a whole read after it
      const out = await collect(null, {});
      expect(out.find(([n]) => n === 'node-huge')?.[1]).toHaveLength(150_000);
    });
  }, 60_000);

  it('a failing query rejects the stream and returns its connections', async () => {
    await expect(
      streamStateJson(pool, null, null, () => {
        throw new Error('the client went away');
      }, { chunkNodes: 1, parallel: 2 }),
    ).rejects.toThrow('the client went away');
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });
});
