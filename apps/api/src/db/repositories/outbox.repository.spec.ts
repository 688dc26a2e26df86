// The outbox statements on a real database: rows queued in a transaction in the receivers' order,
// the last status of a group, claims of each receiver's head only (a locked head is skipped, never
// overtaken), leases, release, retries, delivered and refused rows, pruning, and the count of rows
// left for receivers no longer configured.
import type pg from 'pg';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type MigratedDatabase } from '../../testing/postgres.js';
import { setupOnce } from '../../testing/setup.js';
import { OutboxRepository } from './outbox.repository.js';

interface Row {
  id: string;
  receiver: string;
  attempts: number;
  last_error: string | null;
  delivered: boolean;
  due: boolean;
}

describe('OutboxRepository', () => {
  let database: MigratedDatabase;
  let pool: pg.Pool;
  let outbox: OutboxRepository;

  setupOnce(async () => {
    database = await createMigratedDatabase('outbox-repo', 4);
    pool = database.pool;
    outbox = new OutboxRepository(pool);
  });

  beforeEach(async () => {
    await pool?.query('TRUNCATE notification_outbox RESTART IDENTITY');
  });

  afterAll(() => database?.close());

  const rows = async () =>
    (
      await pool.query<Row>(
        `SELECT id::text, receiver, attempts, last_error, delivered_at IS NOT NULL AS delivered, next_attempt_at <= clock_timestamp() AS due
         FROM notification_outbox ORDER BY id`,
      )
    ).rows;
  const body = (groupKey: string, status: string, n = 0) => JSON.stringify({ groupKey, status, n });

  /** Queues in one transaction, as the alerts engine does. */
  const queue = async (receivers: string[], payloads: string[]) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await outbox.insert(client, receivers, payloads);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  };

  it('queues rows in the receivers’ order, inside the caller’s transaction, and knows a group’s last status per receiver', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await outbox.insert(client, ['b', 'a', 'b'], [body('g1', 'firing'), body('g1', 'firing'), body('g1', 'resolved')]);
      expect(await outbox.lastStatus(client, 'b', 'g1')).toBe('resolved');
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await rows()).toEqual([]);

    await queue(['b', 'a', 'b'], [body('g1', 'firing'), body('g1', 'firing'), body('g2', 'resolved')]);
    expect((await rows()).map((r) => r.receiver)).toEqual(['b', 'a', 'b']);
    expect(await outbox.lastStatus(pool, 'b', 'g1')).toBe('firing');
    expect(await outbox.lastStatus(pool, 'b', 'g2')).toBe('resolved');
    expect(await outbox.lastStatus(pool, 'a', 'g2')).toBeNull();
    expect(await outbox.lastStatus(pool, 'c', 'g1')).toBeNull();
  });

  it('claims the head of each receiver once per lease; release gives it back; delivered moves on to the next', async () => {
    await queue(['a', 'a', 'b', 'c'], [body('g', 'firing', 1), body('g', 'firing', 2), body('g', 'firing', 3), body('g', 'firing', 4)]);
    const first = await outbox.claim(['a', 'b'], 60_000);
    expect(first.map((r) => [r.id, r.receiver, r.attempts, (r.payload as { n: number }).n]).sort()).toEqual([
      ['1', 'a', 1, 1],
      ['3', 'b', 1, 3],
    ]);
    // leased: neither the heads nor the rows behind them
    expect(await outbox.claim(['a', 'b'], 60_000)).toEqual([]);

    await outbox.release(['1', '3']);
    await outbox.release([]);
    expect((await rows()).slice(0, 3).map((r) => [r.attempts, r.due])).toEqual([
      [0, true],
      [0, true],
      [0, true],
    ]);
    const again = await outbox.claim(['a'], 60_000);
    expect(again.map((r) => [r.id, r.attempts])).toEqual([['1', 1]]);

    await outbox.markDelivered('1');
    const next = await outbox.claim(['a'], 60_000);
    expect(next.map((r) => [r.id, r.attempts])).toEqual([['2', 1]]);
    expect((await rows())[0]).toMatchObject({ delivered: true, last_error: null });
  });

  it('skips a head another sender holds without taking the row behind it', async () => {
    await queue(['a', 'a'], [body('g', 'firing'), body('g', 'resolved')]);
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT id FROM notification_outbox WHERE id = 1 FOR UPDATE`);
      expect(await outbox.claim(['a'], 60_000)).toEqual([]);
      await other.query('ROLLBACK');
    } finally {
      other.release();
    }
    expect((await outbox.claim(['a'], 60_000)).map((r) => r.id)).toEqual(['1']);
  });

  it('retries later with the error, finishes a refused row with it', async () => {
    await queue(['a', 'b'], [body('g', 'firing'), body('g', 'firing')]);
    await outbox.claim(['a', 'b'], 60_000);
    await outbox.retryLater('1', 'HTTP 503', 60_000);
    await outbox.markRefused('2', 'HTTP 400: bad body');
    expect(await rows()).toEqual([
      { id: '1', receiver: 'a', attempts: 1, last_error: 'HTTP 503', delivered: false, due: false },
      { id: '2', receiver: 'b', attempts: 1, last_error: 'HTTP 400: bad body', delivered: true, due: false },
    ]);
    expect(await outbox.claim(['a', 'b'], 60_000)).toEqual([]);
    await outbox.retryLater('1', 'HTTP 502', 0);
    expect((await outbox.claim(['a', 'b'], 60_000)).map((r) => [r.id, r.attempts])).toEqual([['1', 2]]);
    // a delivered row is not put back by a late retry
    await outbox.retryLater('2', 'late', 0);
    expect((await rows())[1]).toMatchObject({ last_error: 'HTTP 400: bad body', delivered: true });
  });

  it('deletes delivered rows before the cutoff; counts the rows of receivers not configured', async () => {
    await queue(['a', 'a', 'b', 'old', 'old'], [body('g', 'firing'), body('g', 'firing'), body('g', 'firing'), body('g', 'firing'), body('g', 'firing')]);
    await pool.query(`UPDATE notification_outbox SET delivered_at = now() - interval '40 days' WHERE id = 1`);
    await pool.query(`UPDATE notification_outbox SET delivered_at = now() WHERE id = 2`);
    expect(await outbox.deleteDeliveredBefore(new Date(Date.now() - 30 * 86400_000))).toBe(1);
    expect(await outbox.deleteDeliveredBefore(new Date(Date.now() - 30 * 86400_000))).toBe(0);
    expect((await rows()).map((r) => r.id)).toEqual(['2', '3', '4', '5']);
    expect((await outbox.waitingForOthers(['a'])).sort((x, y) => x.receiver.localeCompare(y.receiver))).toEqual([
      { receiver: 'b', n: 1 },
      { receiver: 'old', n: 2 },
    ]);
    expect(await outbox.waitingForOthers(['a', 'b', 'old'])).toEqual([]);
  });
});
