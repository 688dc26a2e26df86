// Hellos written in batches (fact-writer.ts helloMany) against the real Postgres: the hellos of many
// nodes arriving together share transactions and each gets the answer it would get alone — a node
// seen for the first time created with its first_seen and connected events in that order, a hello
// whose epoch goes back refused without touching its node, a stream position from beyond the
// clock replaced — and nothing of a refused hello is written.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../migrate.js';
import { createTestDatabase, type TestDatabase } from '../../../testing/postgres.js';
import { setupOnce } from '../../../testing/setup.js';
import { FactWriter } from './fact-writer.js';

const NODES = 40;
const EPOCH = 1_764_000_000_000;
const name = (i: number) => `hn-${String(i).padStart(2, '0')}`;
const readers = { links: { status: 'ok' as const, error: null } };

describe('FactWriter hello batches', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let writer: FactWriter;
  const row = async (node: string) =>
    (await pool.query<{ status: string; boot_id: string; acked_epoch: string | null; acked_seq: string | null; reader_status: unknown }>(`SELECT status, boot_id, acked_epoch, acked_seq, reader_status FROM nodes WHERE name = $1`, [node])).rows[0];
  const eventsOf = async (node: string) =>
    (await pool.query<{ type: string }>(`SELECT e.type FROM node_events e JOIN nodes n ON n.id = e.node_id WHERE n.name = $1 ORDER BY e.id`, [node])).rows.map((r) => r.type);

  setupOnce(async () => {
    database = await createTestDatabase('hellobatch');
    await migrate(database.url);
    pool = new pg.Pool({ connectionString: database.url, max: 6 });
    writer = new FactWriter(pool);
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('new nodes at once: fewer transactions than hellos, each created with first_seen then connected', async () => {
    const before = { ...writer.helloStats };
    const outcomes = await Promise.all(Array.from({ length: NODES }, (_, i) => writer.hello(name(i), { epoch: EPOCH, bootId: `boot-${i}`, readers })));
    expect(writer.helloStats.hellos - before.hellos).toBe(NODES);
    expect(writer.helloStats.batches - before.batches).toBeLessThan(NODES / 4);
    outcomes.forEach((o, i) => {
      expect(o.error).toBeNull();
      expect(o.replacedFutureEpoch).toBeNull();
      expect(o.node).toMatchObject({ name: name(i), status: 'connected', acked_epoch: null });
      expect(o.events.map((e) => [e.node, e.type])).toEqual([
        [name(i), 'first_seen'],
        [name(i), 'connected'],
      ]);
      expect(Number(o.events[0]!.id)).toBeLessThan(Number(o.events[1]!.id));
      expect(o.events[1]!.detail).toEqual({ epoch: EPOCH, bootId: `boot-${i}` });
    });
    for (let i = 0; i < NODES; i++) {
      expect(await row(name(i))).toMatchObject({ status: 'connected', boot_id: `boot-${i}`, reader_status: readers });
      expect(await eventsOf(name(i))).toEqual(['first_seen', 'connected']);
    }
  });

  it('in one batch, a hello whose epoch goes back is refused alone and writes nothing; a stream from beyond the clock is replaced', async () => {
    // node 0 acknowledged a stream at EPOCH + 10; node 1's last stream is from far ahead of the clock
    await writer.applySnapshot(name(0), { epoch: EPOCH, seq: 1, takenAt: new Date().toISOString(), facts: [], readers }, 'unknown');
    await pool.query(`UPDATE nodes SET acked_epoch = $2, acked_seq = 7 WHERE name = $1`, [name(0), EPOCH + 10]);
    const future = Date.now() + 365 * 86_400_000;
    await pool.query(`UPDATE nodes SET acked_epoch = $2, acked_seq = 7 WHERE name = $1`, [name(1), future]);
    const before = await row(name(0));
    const eventsBefore = await eventsOf(name(0));
    const outcomes = await Promise.all(
      Array.from({ length: NODES }, (_, i) => writer.hello(name(i), { epoch: i === 0 ? EPOCH + 5 : EPOCH + 20, bootId: `boot2-${i}`, readers })),
    );
    expect(outcomes[0]!.error).toMatch(/^epoch \d+ is older than the last stream of node hn-00 \(epoch \d+\)/);
    expect(outcomes[0]!.events).toEqual([]);
    expect(await row(name(0))).toEqual(before);
    expect(await eventsOf(name(0))).toEqual(eventsBefore);
    expect(outcomes[1]).toMatchObject({ error: null, replacedFutureEpoch: future, node: { acked_epoch: String(EPOCH + 20), acked_seq: '0' } });
    expect(outcomes[1]!.events.map((e) => e.detail)).toEqual([{ epoch: EPOCH + 20, bootId: 'boot2-1', replacedFutureEpoch: future }]);
    for (let i = 2; i < NODES; i++) {
      expect(outcomes[i]).toMatchObject({ error: null, replacedFutureEpoch: null, node: { acked_epoch: null } });
      expect(outcomes[i]!.events.map((e) => e.type)).toEqual(['connected']);
      expect(await row(name(i))).toMatchObject({ boot_id: `boot2-${i}` });
    }
  });

  it('alone, a hello answers as in a batch', async () => {
    const alone = await writer.hello('hn-alone', { epoch: EPOCH, bootId: 'b', readers: {} });
    expect(alone).toMatchObject({ error: null, replacedFutureEpoch: null, node: { name: 'hn-alone', status: 'connected' } });
    expect(alone.events.map((e) => e.type)).toEqual(['first_seen', 'connected']);
    const again = await writer.hello('hn-alone', { epoch: EPOCH + 1, bootId: 'b2', readers: {} });
    expect(again.events.map((e) => e.type)).toEqual(['connected']);
  });
});
