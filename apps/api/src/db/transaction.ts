// Transactions on pooled clients. A client whose ROLLBACK failed too (its server went away) is
// discarded instead of going back to the pool.
import type pg from 'pg';

/**
 * Runs `run` on a pooled client that opens and commits its transaction itself (the delta batches
 * put BEGIN and COMMIT into their multi-statement queries, saving round trips); on an error the
 * transaction is rolled back.
 */
export async function withOwnTransaction<T>(pool: pg.Pool, run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    return await run(client);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** One transaction on a pooled client: BEGIN, run, COMMIT, or ROLLBACK on error. */
export function withTransaction<T>(pool: pg.Pool, run: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  return withOwnTransaction(pool, async (client) => {
    await client.query(begin);
    const result = await run(client);
    await client.query('COMMIT');
    return result;
  });
}
