// Retention deletes ended history older than the cutoff and never a current version.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../settings.js';
import { createDatabase, type Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { HistoryReader } from '../db/repositories/history/history-reader.js';
import { RetentionRepository } from '../db/repositories/retention.repository.js';
import { route } from '../testing/facts.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';
import { RetentionService } from './retention.service.js';

describe('retention', () => {
  let database: TestDatabase;
  let db: Database;

  setupOnce(async () => {
    database = await createTestDatabase('retention');
    await migrate(database.url);
    db = createDatabase({ url: database.url });
  });

  afterAll(async () => {
    await db?.disconnect();
    await database?.drop();
  });

  it('deletes versions that ended before the cutoff and old events, keeps current state however old', async () => {
    const { rows } = await db.pool.query<{ id: number }>(`INSERT INTO nodes (name) VALUES ('r1') RETURNING id`);
    const node = rows[0]!.id;
    const old = route('10.0.0.0/24');
    const kept = route('10.0.1.0/24');
    const insert = (key: string, value: unknown, from: string, to: string | null) =>
      db.pool.query(`INSERT INTO facts (node_id, kind, key, value, valid_from, valid_to) VALUES ($1, 'route', $2, $3, $4, $5)`, [
        node,
        key,
        JSON.stringify(value),
        from,
        to,
      ]);
    await insert(old.key, old.value, '2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z'); // ended long ago
    await insert(kept.key, kept.value, '2026-01-01T00:00:00Z', '2026-11-20T00:00:00Z'); // ended inside the window
    await insert(kept.key, { ...kept.value, gateway: '172.20.0.99' }, '2026-11-20T00:00:00Z', null); // current, started inside
    await insert(route('10.0.2.0/24').key, route('10.0.2.0/24').value, '2025-06-01T00:00:00Z', null); // current, very old
    await db.pool.query(`INSERT INTO node_events (node_id, type, at) VALUES ($1, 'connected', '2026-01-02T00:00:00Z'), ($1, 'connected', '2026-11-21T00:00:00Z')`, [node]);

    const retention = new RetentionService(new RetentionRepository(db.pool), { ...loadConfig({}), retentionDays: 30 });
    const cutoff = new Date('2026-10-24T00:00:00Z');
    const history = new HistoryReader(db.pool);
    const stateInWindow = await history.nodeFacts('r1', new Date('2026-11-01T00:00:00Z'), null);
    const now = await history.nodeFacts('r1', null, null);

    expect(await retention.prune(cutoff)).toEqual({ facts: 1, events: 1 });
    expect(await history.nodeFacts('r1', new Date('2026-11-01T00:00:00Z'), null)).toEqual(stateInWindow);
    expect(await history.nodeFacts('r1', null, null)).toEqual(now);
    expect(now).toHaveLength(2);
    expect(await retention.prune(cutoff)).toEqual({ facts: 0, events: 0 });
  });
});
