// The lost-node watchdog never waits on a row lock nor overlaps itself (issue 15, finding 4): a
// node whose row a long write holds is skipped (it is being written to, so not lost), and every
// other quiet node is still marked lost on time.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';

describe('the lost-node watchdog', () => {
  let t: TestApi;
  let locker: pg.Client | null = null;

  setupOnce(async () => {
    t = await startTestApi('watchdog', { lostAfterMs: 1500, heartbeatMs: 500 });
  });

  afterAll(async () => {
    await locker?.end();
    await t?.close();
  });

  const status = async (node: string) => (await t.get<{ nodes: Array<{ name: string; status: string }> }>('/api/nodes')).body.nodes.find((n) => n.name === node)?.status;

  it('skips a node whose row is locked and marks the other quiet nodes lost', async () => {
    for (const node of ['w1', 'w2']) {
      const c = await FakeCollector.connect(t.url, node);
      await c.snapshot([route('10.1.0.0/24')]);
      // gone without a word (no disconnect recorded yet would not matter: both are quiet)
      c.close();
    }
    locker = new pg.Client({ connectionString: t.database.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`SELECT id FROM nodes WHERE name = 'w1' FOR UPDATE`);

    await expect.poll(() => status('w2'), { timeout: 8000, interval: 200 }).toBe('lost');
    expect(await status('w1')).not.toBe('lost');
    // and nothing of the API's waits on the lock
    const waiting = await locker.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = 'netatlas-api' AND wait_event_type = 'Lock'`,
    );
    expect(waiting.rows[0]?.n).toBe('0');

    await locker.query('ROLLBACK');
    await expect.poll(() => status('w1'), { timeout: 8000, interval: 200 }).toBe('lost');
  }, 30_000);
});
