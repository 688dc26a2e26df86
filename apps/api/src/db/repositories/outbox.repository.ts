// The notification outbox (table notification_outbox): rows written in the alerts engine's
// transaction, then claimed, delivered, retried or given up by the sender (notify/outbox.ts says
// the rules: per receiver in id order, at least once). Each statement here is one short step, so
// no transaction is open while a request is in flight.
import type pg from 'pg';

/** A row taken for one delivery attempt. */
export interface ClaimedNotification {
  id: string;
  receiver: string;
  payload: unknown;
  /** attempts so far, this one included */
  attempts: number;
}

type Client = pg.Pool | pg.PoolClient | pg.Client;

export class OutboxRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** The status (firing, resolved) of the last notice of group `groupKey` queued for `receiver`, in `client`'s transaction. */
  async lastStatus(client: Client, receiver: string, groupKey: string): Promise<string | null> {
    const { rows } = await client.query<{ status: string }>(
      `SELECT payload->>'status' AS status FROM notification_outbox
       WHERE receiver = $1 AND payload->>'groupKey' = $2 ORDER BY id DESC LIMIT 1`,
      [receiver, groupKey],
    );
    return rows[0]?.status ?? null;
  }

  /**
   * Queues one row per receiver, `payloads[i]` (JSON text) for `receivers[i]`, in `client`'s
   * transaction. One statement; unnest keeps the receivers' order, so ids follow it.
   */
  async insert(client: Client, receivers: readonly string[], payloads: readonly string[]): Promise<void> {
    await client.query(
      `INSERT INTO notification_outbox (receiver, payload)
       SELECT r, p::jsonb FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(r, p, i) ORDER BY i`,
      [receivers, payloads],
    );
  }

  /**
   * Claims the first undelivered row of each of `receivers`, if it is due, for `leaseMs` (it is due
   * again after that, should the sender die mid-request). The head of each receiver's queue is
   * chosen first and only then locked (SKIP LOCKED), so a row that another sender holds is skipped
   * without taking the one after it: ordering holds even with several API processes on one database.
   */
  async claim(receivers: readonly string[], leaseMs: number): Promise<ClaimedNotification[]> {
    const { rows } = await this.pool.query<ClaimedNotification>(
      `WITH heads AS (
         SELECT DISTINCT ON (receiver) id FROM notification_outbox
         WHERE delivered_at IS NULL AND receiver = ANY($1::text[])
         ORDER BY receiver, id
       ), due AS (
         SELECT o.id FROM notification_outbox o JOIN heads USING (id)
         WHERE o.delivered_at IS NULL AND o.next_attempt_at <= clock_timestamp()
         FOR UPDATE OF o SKIP LOCKED
       )
       UPDATE notification_outbox o
       SET attempts = o.attempts + 1, next_attempt_at = clock_timestamp() + make_interval(secs => $2::double precision / 1000)
       FROM due WHERE o.id = due.id
       RETURNING o.id::text AS id, o.receiver, o.payload, o.attempts`,
      [receivers, leaseMs],
    );
    return rows;
  }

  /** Gives claimed rows back undelivered, due now, their attempt not counted. */
  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE notification_outbox SET attempts = attempts - 1, next_attempt_at = clock_timestamp() WHERE id = ANY($1::bigint[]) AND delivered_at IS NULL`,
      [ids],
    );
  }

  /** The receiver has the row. */
  async markDelivered(id: string): Promise<void> {
    await this.pool.query(`UPDATE notification_outbox SET delivered_at = clock_timestamp(), last_error = NULL WHERE id = $1`, [id]);
  }

  /** The receiver refused the row for good: finished, with its error, never sent again. */
  async markRefused(id: string, error: string): Promise<void> {
    await this.pool.query(`UPDATE notification_outbox SET delivered_at = clock_timestamp(), last_error = $2 WHERE id = $1`, [id, error]);
  }

  /** An attempt failed: the row is due again `delayMs` from now, with its error. */
  async retryLater(id: string, error: string, delayMs: number): Promise<void> {
    await this.pool.query(
      `UPDATE notification_outbox SET last_error = $2, next_attempt_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
       WHERE id = $1 AND delivered_at IS NULL`,
      [id, error, delayMs],
    );
  }

  /** Deletes the rows delivered before `cutoff`; the number deleted. */
  async deleteDeliveredBefore(cutoff: Date): Promise<number> {
    const { rowCount } = await this.pool.query(`DELETE FROM notification_outbox WHERE delivered_at < $1`, [cutoff]);
    return rowCount ?? 0;
  }

  /** Undelivered rows of receivers other than `receivers`, counted per receiver. */
  async waitingForOthers(receivers: readonly string[]): Promise<Array<{ receiver: string; n: number }>> {
    const { rows } = await this.pool.query<{ receiver: string; n: string }>(
      `SELECT receiver, count(*)::text AS n FROM notification_outbox WHERE delivered_at IS NULL AND NOT (receiver = ANY($1::text[])) GROUP BY receiver`,
      [receivers],
    );
    return rows.map((r) => ({ receiver: r.receiver, n: Number(r.n) }));
  }
}
