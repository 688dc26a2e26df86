// A node with many routes written straight into the history by SQL (generate_series: 150k rows in
// seconds, where snapshots through the API would take far longer), for the tests of large reads.
import type pg from 'pg';

export interface BigNode {
  name: string;
  /** routes 10.<octet>.x.y/32, numbered from 0 */
  routes: number;
  octet: number;
  /** characters of filler in each value (a value is ~60 bytes beside it) */
  note: number;
  /** when its facts begin (default the database's now) */
  validFrom?: Date;
}

/** Runs `fn` while the node exists; the node and its facts are deleted after, whatever happens. */
export async function withBigNode<T>(pool: pg.Pool, node: BigNode, fn: () => Promise<T>): Promise<T> {
  const { rows } = await pool.query<{ id: number }>(`INSERT INTO nodes (name) VALUES ($1) RETURNING id`, [node.name]);
  const id = rows[0]!.id;
  try {
    const dst = `'10.${node.octet}.' || (i >> 8) || '.' || (i & 255) || '/32'`;
    await pool.query(
      `INSERT INTO facts (node_id, kind, key, value, valid_from)
       SELECT $1, 'route', 'main|' || ${dst}, jsonb_build_object('dst', ${dst}, 'dev', 'eth0', 'table', 'main', 'note', repeat('x', $2)), COALESCE($3::timestamptz, now())
       FROM generate_series(0, $4 - 1) AS i`,
      [id, node.note, node.validFrom ?? null, node.routes],
    );
    return await fn();
  } finally {
    await pool.query(`DELETE FROM facts WHERE node_id = $1`, [id]);
    await pool.query(`DELETE FROM nodes WHERE id = $1`, [id]);
  }
}
