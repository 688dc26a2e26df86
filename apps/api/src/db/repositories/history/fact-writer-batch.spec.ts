// Deltas written in batches (fact-writer.ts, batcher.ts) against the real Postgres: the deltas of
// many nodes arriving together share transactions and give the same history as one at a time; in a
// batch, a duplicate, an out-of-order delta, an unknown node and a delta the database refuses each
// get their own answer, and nothing of the refused one is applied.
import { makeFact, type CniStyle, type DeltaMessage, type Fact, type ReaderStatus } from '@netatlas/wire';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../migrate.js';
import { route } from '../../../testing/facts.js';
import { createTestDatabase, type TestDatabase } from '../../../testing/postgres.js';
import { setupOnce } from '../../../testing/setup.js';
import { FactWriter, type IngestOutcome } from './fact-writer.js';
import { HistoryReader } from './history-reader.js';

const NODES = 30;
const EPOCH = 1_764_000_000_000;
const name = (i: number) => `bn-${String(i).padStart(2, '0')}`;
const delta = (seq: number, upserts: Fact[], deletes: Array<{ kind: Fact['kind']; key: string }> = []): DeltaMessage => ({
  epoch: EPOCH,
  seq,
  takenAt: new Date().toISOString(),
  upserts,
  deletes,
});
const byId = (facts: Fact[]) => [...facts].sort((a, b) => (a.kind + a.key < b.kind + b.key ? -1 : 1));

describe('FactWriter delta batches', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let writer: FactWriter;
  let reader: HistoryReader;
  /** what each node should hold, kept by the test */
  const expected = new Map<string, Map<string, Fact>>();

  setupOnce(async () => {
    database = await createTestDatabase('factbatch');
    await migrate(database.url);
    pool = new pg.Pool({ connectionString: database.url, max: 6 });
    writer = new FactWriter(pool);
    reader = new HistoryReader(pool);
    for (let i = 0; i < NODES; i++) {
      await writer.hello(name(i), { epoch: EPOCH, bootId: 'boot', readers: {} });
      const facts = [route(`10.${i}.0.0/24`), route(`10.${i}.1.0/24`)];
      await writer.applySnapshot(name(i), { epoch: EPOCH, seq: 1, takenAt: new Date().toISOString(), facts, readers: {} }, 'unknown');
      expected.set(name(i), new Map(facts.map((f) => [f.key, f])));
    }
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('many nodes at once: fewer transactions than deltas, each outcome and the history as if one by one', async () => {
    const before = { ...writer.batchStats };
    // each node streams 5 deltas in order (the ingest service waits for each); the nodes run at once
    const outcomes = await Promise.all(
      Array.from({ length: NODES }, async (_, i) => {
        const mine: IngestOutcome[] = [];
        const state = expected.get(name(i))!;
        for (let seq = 2; seq <= 6; seq++) {
          const changed = route(`10.${i}.0.0/24`, `172.20.0.${seq}`);
          const added = route(`10.${i}.${seq}.0/24`);
          const gone = seq === 4 ? [{ kind: 'route' as const, key: route(`10.${i}.1.0/24`).key }] : [];
          mine.push(await writer.applyDelta(name(i), delta(seq, [changed, added], gone)));
          state.set(changed.key, changed);
          state.set(added.key, added);
          for (const g of gone) state.delete(g.key);
        }
        return mine;
      }),
    );
    const batches = writer.batchStats.batches - before.batches;
    expect(writer.batchStats.deltas - before.deltas).toBe(NODES * 5);
    expect(batches).toBeLessThan(NODES * 5);
    for (const [i, mine] of outcomes.entries()) {
      expect(mine.map((o) => o.kind)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
      const ops = mine.map((o) => (o.kind === 'applied' ? o.changes.map((c) => `${c.node} ${c.op} ${c.key.split('|')[2]}`).sort() : []));
      expect(ops[2]).toEqual([`${name(i)} add 10.${i}.4.0/24`, `${name(i)} change 10.${i}.0.0/24`, `${name(i)} remove 10.${i}.1.0/24`].sort());
    }
    const state = await reader.state(null);
    for (const [node, facts] of expected) expect(byId(state.get(node) ?? []), node).toEqual(byId([...facts.values()]));
  });

  it('in one batch, a duplicate, an out-of-order delta, an unknown node and a refused delta each get their own answer', async () => {
    const good = route('10.0.200.0/24');
    // a value is stored only if jsonb takes it (facts_value_jsonb), which refuses \u0000 in a string: a delta that passes the schema and fails in the database
    const refused = route('10.3.200.0/24', 'bad\u0000gateway');
    const results = await Promise.allSettled([
      writer.applyDelta(name(0), delta(7, [good])),
      writer.applyDelta(name(1), delta(3, [route('10.1.250.0/24')])),
      writer.applyDelta(name(2), delta(99, [route('10.2.250.0/24')])),
      writer.applyDelta('nobody', delta(2, [route('10.9.0.0/24')])),
      writer.applyDelta(name(3), delta(7, [route('10.3.201.0/24'), refused])),
      writer.applyDelta(name(4), delta(7, [], [{ kind: 'route', key: route('10.4.2.0/24').key }])),
    ]);
    const [a, dup, ooo, unknown, bad, del] = results;
    expect(a).toMatchObject({ status: 'fulfilled', value: { kind: 'applied' } });
    expect(dup).toMatchObject({ status: 'fulfilled', value: { kind: 'duplicate' } });
    expect(ooo).toMatchObject({ status: 'fulfilled', value: { kind: 'out-of-order', expected: 'seq 7 of epoch 1764000000000' } });
    expect(unknown.status).toBe('rejected');
    expect(String((unknown as PromiseRejectedResult).reason)).toContain('node nobody is unknown');
    expect(bad.status).toBe('rejected');
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/unicode|\\u0000/i);
    expect(del).toMatchObject({ status: 'fulfilled', value: { kind: 'applied', changes: [{ op: 'remove' }] } });
    const state = await reader.state(null);
    expect(state.get(name(0))?.some((f) => f.key === good.key)).toBe(true);
    // nothing of the refused delta, and its node's stream did not move: seq 7 is still the next
    expect(state.get(name(3))?.some((f) => f.key.includes('10.3.20'))).toBe(false);
    expect(await writer.applyDelta(name(3), delta(7, [route('10.3.202.0/24')]))).toMatchObject({ kind: 'applied' });
  });

  it("a delta's node fact sets the node's reader status and CNI style, in a batch and when the batch is retried delta by delta", async () => {
    const nodeFact = (i: number, bird: ReaderStatus, cniStyle: CniStyle) =>
      makeFact('node', { hostname: name(i), kernel: '6.1.0', bootId: 'boot', cniStyle, readers: { links: { status: 'ok', error: null }, bird } });
    const down: ReaderStatus = { status: 'failed', error: 'birdc: connection refused' };
    const up: ReaderStatus = { status: 'ok', error: null };
    const row = async (i: number) => (await reader.nodes()).find((n) => n.name === name(i));
    // the first two deltas are written at once, alone; the rest wait and share a batch (batcher.ts)
    const fillers = (seq: number) => [writer.applyDelta(name(20), delta(seq, [route('10.20.9.0/24', `172.20.1.${seq}`)])), writer.applyDelta(name(21), delta(seq, [route('10.21.9.0/24', `172.20.1.${seq}`)]))];
    // a batch with a delta the database refuses: the others are written alone (apply())
    const retried = await Promise.allSettled([
      ...fillers(7),
      writer.applyDelta(name(10), delta(7, [nodeFact(10, down, 'calico')])),
      writer.applyDelta(name(11), delta(7, [route('10.11.9.0/24'), nodeFact(11, up, 'flannel')])),
      writer.applyDelta(name(12), delta(7, [route('10.12.9.0/24', 'bad\u0000gateway'), nodeFact(12, down, 'calico')])),
      writer.applyDelta(name(13), delta(7, [route('10.13.9.0/24')])),
    ]);
    expect(retried.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await row(10)).toMatchObject({ cniStyle: 'calico', readers: { bird: down } });
    expect(await row(11)).toMatchObject({ cniStyle: 'flannel', readers: { bird: up } });
    // refused: nothing of it, its node as the snapshot left it; without a node fact: unchanged
    expect(await row(12)).toMatchObject({ cniStyle: 'unknown', readers: {} });
    expect(await row(13)).toMatchObject({ cniStyle: 'unknown', readers: {} });

    const before = writer.batchStats.batches;
    const batched = await Promise.all([
      ...fillers(8),
      writer.applyDelta(name(10), delta(8, [nodeFact(10, up, 'calico')])),
      writer.applyDelta(name(11), delta(8, [route('10.11.8.0/24')])),
      writer.applyDelta(name(13), delta(8, [nodeFact(13, down, 'kube-router')])),
    ]);
    expect(batched.map((o) => o.kind)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    expect(writer.batchStats.batches - before).toBeLessThan(5);
    expect(await row(10)).toMatchObject({ cniStyle: 'calico', readers: { bird: up } });
    expect(await row(11)).toMatchObject({ cniStyle: 'flannel', readers: { bird: up } });
    expect(await row(13)).toMatchObject({ cniStyle: 'kube-router', readers: { bird: down } });
  });
});
