// The retention statements on a real database: ended versions before the cutoff go, at most `limit`
// at a time; current versions and anything ended after the cutoff stay; old events go.
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type MigratedDatabase } from '../../testing/postgres.js';
import { setupOnce } from '../../testing/setup.js';
import { RetentionRepository } from './retention.repository.js';

describe('RetentionRepository', () => {
  let database: MigratedDatabase;
  let pool: pg.Pool;
  let repository: RetentionRepository;
  let node: number;

  setupOnce(async () => {
    database = await createMigratedDatabase('retention-repo', 2);
    pool = database.pool;
    repository = new RetentionRepository(pool);
    const { rows } = await pool.query<{ id: number }>(`INSERT INTO nodes (name) VALUES ('r1') RETURNING id`);
    node = rows[0]!.id;
  });

  afterAll(() => database?.close());

  const fact = (key: string, from: string, to: string | null) =>
    pool.query(`INSERT INTO facts (node_id, kind, key, value, valid_from, valid_to) VALUES ($1, 'route', $2, '{}', $3, $4)`, [node, key, from, to]);
  const keys = async () => (await pool.query<{ key: string }>(`SELECT key FROM facts ORDER BY key`)).rows.map((r) => r.key);

  it('deletes ended versions before the cutoff in batches of `limit`, never a current one', async () => {
    await fact('a', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z');
    await fact('b', '2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z');
    await fact('c', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00Z');
    await fact('d', '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'); // ended after the cutoff
    await fact('e', '2025-01-01T00:00:00Z', null); // current, older than everything
    const cutoff = new Date('2026-02-01T00:00:00Z');

    expect(await repository.deleteEndedFacts(cutoff, 2)).toBe(2);
    expect(await repository.deleteEndedFacts(cutoff, 2)).toBe(1);
    expect(await repository.deleteEndedFacts(cutoff, 2)).toBe(0);
    expect(await keys()).toEqual(['d', 'e']);
  });

  it('deletes the events before the cutoff', async () => {
    await pool.query(`INSERT INTO node_events (node_id, type, at) VALUES ($1, 'connected', '2026-01-02T00:00:00Z'), ($1, 'connected', '2026-03-02T00:00:00Z')`, [node]);
    expect(await repository.deleteEventsBefore(new Date('2026-02-01T00:00:00Z'))).toBe(1);
    expect(await repository.deleteEventsBefore(new Date('2026-02-01T00:00:00Z'))).toBe(0);
    const { rows } = await pool.query<{ at: Date }>(`SELECT at FROM node_events`);
    expect(rows.map((r) => r.at.toISOString())).toEqual(['2026-03-02T00:00:00.000Z']);
  });
});
