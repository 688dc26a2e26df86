// One transaction on a pooled client: BEGIN, run, COMMIT, or ROLLBACK on error. A client whose
// ROLLBACK failed too (its server went away) is discarded instead of going back to the pool.
import type pg from 'pg';

export async function withTransaction<T>(pool: pg.Pool, run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await run(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
