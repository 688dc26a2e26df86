// The streamed diff against the real Postgres, checked against a diff computed here from the rows
// inserted: every way of finding it (window, states, versions) gives the same JSON, byte for byte, in both
// directions (from later than to), for one node or all, with nodes in name order, kinds and keys in
// bytewise order, and awkward keys and values (quotes, backslashes, control characters,
// non-ASCII, a removed fact of a node that has nothing left) carried as valid JSON. A diff whose
// signal aborts (its client left) has its statements cancelled, by every strategy.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../testing/postgres.js';
import { setupOnce } from '../../../testing/setup.js';
import { withBigNode } from '../../../testing/big-node.js';
import { streamDiffJson, type DiffStrategy } from './diff-stream.js';
import { chunkStats } from './node-chunks.js';

type Value = Record<string, unknown>;
interface Version {
  node: string;
  kind: string;
  key: string;
  value: Value;
  from: Date;
  to: Date | null;
}

const t0 = new Date('2026-11-23T09:00:00Z');
const t1 = new Date('2026-11-23T10:00:00Z');
const t2 = new Date('2026-11-23T11:00:00Z');
const t3 = new Date('2026-11-23T12:00:00Z');
const AWKWARD = ['plain', 'quote"d', 'back\\slash', 'new\nline', 'tab\there', 'bell\u0007', 'ünï cødé ✓', '𝄞 clef', 'slash/ok', ''];

/** The diff as this test expects it, from the versions themselves. */
function expected(versions: Version[], from: Date, to: Date, only?: string): Record<string, Record<string, { added: unknown[]; removed: unknown[]; changed: unknown[] }>> {
  const at = (moment: Date) => {
    const m = new Map<string, Version>();
    for (const v of versions) if (v.from <= moment && (v.to === null || v.to > moment)) m.set(`${v.node}\0${v.kind}\0${v.key}`, v);
    return m;
  };
  const a = at(from);
  const b = at(to);
  const ids = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  const out: ReturnType<typeof expected> = {};
  for (const id of ids) {
    const [node, kind, key] = id.split('\0') as [string, string, string];
    if (only !== undefined && node !== only) continue;
    const before = a.get(id)?.value;
    const after = b.get(id)?.value;
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    const d = ((out[node] ??= {})[kind] ??= { added: [], removed: [], changed: [] });
    if (before === undefined) d.added.push({ kind, key, value: after });
    else if (after === undefined) d.removed.push({ kind, key, value: before });
    else d.changed.push({ kind, key, before, after });
  }
  return out;
}

describe('streamDiffJson', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const versions: Version[] = [];

  setupOnce(async () => {
    database = await createTestDatabase('diffstream');
    await migrate(database.url);
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    // node ids in the opposite order of their names, so that name order is not id order
    const names = ['node-e', 'node-d', 'node-c', 'node-b', 'node-a'];
    for (const [n, node] of names.entries()) {
      AWKWARD.forEach((key, k) => {
        const kind = k % 3 === 0 ? 'route' : k % 3 === 1 ? 'neigh' : 'addr';
        const v = (x: number) => ({ dev: `eth${x}`, note: `${key} → ${x}`, n: x });
        // (n + k) % 4 picks the fact's story: unchanged; changed at t1.5; removed at t1.5; added at t1.5
        switch ((n + k) % 4) {
          case 0:
            versions.push({ node, kind, key, value: v(0), from: t0, to: null });
            break;
          case 1:
            versions.push({ node, kind, key, value: v(1), from: t0, to: new Date(t1.getTime() + 1800_000) });
            versions.push({ node, kind, key, value: v(2), from: new Date(t1.getTime() + 1800_000), to: null });
            break;
          case 2:
            versions.push({ node, kind, key, value: v(3), from: t0, to: new Date(t1.getTime() + 1800_000) });
            break;
          case 3:
            versions.push({ node, kind, key, value: v(4), from: new Date(t1.getTime() + 1800_000), to: null });
            break;
        }
      });
    }
    // a fact that changed and changed back inside the window is no difference
    versions.push({ node: 'node-a', kind: 'link', key: 'flap', value: { up: true }, from: t0, to: new Date(t1.getTime() + 600_000) });
    versions.push({ node: 'node-a', kind: 'link', key: 'flap', value: { up: false }, from: new Date(t1.getTime() + 600_000), to: new Date(t1.getTime() + 900_000) });
    versions.push({ node: 'node-a', kind: 'link', key: 'flap', value: { up: true }, from: new Date(t1.getTime() + 900_000), to: null });
    // changes exactly at the window's ends: the version valid at a moment is the one that began then
    versions.push({ node: 'node-b', kind: 'link', key: 'at-t1', value: { mtu: 1 }, from: t0, to: t1 });
    versions.push({ node: 'node-b', kind: 'link', key: 'at-t1', value: { mtu: 2 }, from: t1, to: null });
    versions.push({ node: 'node-b', kind: 'link', key: 'at-t2', value: { mtu: 1 }, from: t0, to: t2 });
    versions.push({ node: 'node-b', kind: 'link', key: 'at-t2', value: { mtu: 2 }, from: t2, to: null });
    // a fact that came and went inside the window is no difference
    versions.push({ node: 'node-c', kind: 'link', key: 'brief', value: { up: true }, from: new Date(t1.getTime() + 600_000), to: new Date(t1.getTime() + 1200_000) });
    const ids = new Map<string, number>();
    for (const name of names) ids.set(name, (await pool.query<{ id: number }>(`INSERT INTO nodes (name) VALUES ($1) RETURNING id`, [name])).rows[0]!.id);
    for (const v of versions) {
      await pool.query(`INSERT INTO facts (node_id, kind, key, value, valid_from, valid_to) VALUES ($1, $2, $3, $4, $5, $6)`, [
        ids.get(v.node), v.kind, v.key, JSON.stringify(v.value), v.from, v.to,
      ]);
    }
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  const collect = async (from: Date, to: Date, strategy: DiffStrategy, node?: string) => {
    const names: string[] = [];
    const raw: Buffer[] = [];
    await streamDiffJson(pool, from, to, node, (name, json) => {
      names.push(name);
      raw.push(Buffer.from(json));
    }, strategy);
    return { names, raw, parsed: Object.fromEntries(names.map((n, i) => [n, JSON.parse(raw[i]!.toString('utf8')) as unknown])) };
  };

  const windows: Array<[string, Date, Date]> = [
    ['across the changes', t1, t2],
    ['backwards', t2, t1],
    ['from before anything', new Date(t0.getTime() - 1), t3],
    ['inside a quiet stretch', t2, t3],
  ];

  for (const [what, from, to] of windows) {
    it(`equals the expected diff ${what}, by every strategy, byte for byte`, async () => {
      const byWindow = await collect(from, to, 'window');
      expect(byWindow.parsed).toEqual(expected(versions, from, to));
      expect(byWindow.names).toEqual([...byWindow.names].sort());
      for (const strategy of ['states', 'versions'] as const) {
        const other = await collect(from, to, strategy);
        expect(Buffer.concat(other.raw).equals(Buffer.concat(byWindow.raw)), strategy).toBe(true);
        expect(other.names).toEqual(byWindow.names);
      }
    });
  }

  it('keeps the key order of the expected diff (kinds, then keys bytewise)', async () => {
    const { parsed } = await collect(t1, t2, 'states');
    const want = expected(versions, t1, t2);
    // (the lists are compared by key: this is about their order, not their values)
    const order = (kinds: object) =>
      Object.entries(kinds as Record<string, Record<string, Array<{ key: string }>>>).map(([kind, d]) => [kind, Object.entries(d).map(([list, items]) => [list, items.map((i) => i.key)])]);
    expect(Object.keys(parsed)).toEqual(Object.keys(want));
    for (const [node, kinds] of Object.entries(want)) expect(order(parsed[node] as object)).toEqual(order(kinds));
  });

  it('one node only, and a node that does not exist', async () => {
    for (const strategy of ['window', 'states', 'versions'] as const) {
      const one = await collect(t1, t2, strategy, 'node-c');
      expect(one.names).toEqual(['node-c']);
      expect(one.parsed).toEqual(expected(versions, t1, t2, 'node-c'));
      expect((await collect(t1, t2, strategy, 'no-such-node')).names).toEqual([]);
    }
  });

  it('cancels what is being built once its signal aborts, by every strategy, and the pool goes on', async () => {
    const t4 = new Date(t3.getTime() + 3600_000);
    const t5 = new Date(t3.getTime() + 7200_000);
    // 150k routes that begin inside the window (t3, t5]: a diff of seconds, cut short at 150 ms
    await withBigNode(pool, { name: 'node-huge', routes: 150_000, octet: 95, note: 100, validFrom: t4 }, async () => {
      for (const strategy of ['window', 'states', 'versions'] as const) {
        const before = chunkStats.cancelled;
        const left = new AbortController();
        const reason = new Error('the client went away');
        setTimeout(() => left.abort(reason), 150);
        const t0 = performance.now();
        await expect(streamDiffJson(pool, t3, t5, undefined, () => undefined, strategy, left.signal), strategy).rejects.toBe(reason);
        expect(chunkStats.cancelled - before, `${strategy}: statements cancelled (${Math.round(performance.now() - t0)} ms)`).toBeGreaterThanOrEqual(1);
      }
      let added = 0;
      await streamDiffJson(pool, t3, t5, 'node-huge', (_, json) => void (added = (JSON.parse(json.toString('utf8')) as { route: { added: unknown[] } }).route.added.length), 'window');
      expect(added, 'a whole diff after').toBe(150_000);
    });
  }, 120_000);

  it('refuses an invalid moment', async () => {
    await expect(streamDiffJson(pool, new Date(NaN), t2, undefined, () => undefined)).rejects.toThrow(/invalid date/);
  });
});
