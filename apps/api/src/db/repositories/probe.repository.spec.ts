// The probe's statements on a real database: the ping answers (and fails on a database that does
// not), and the metrics snapshot counts what the tables hold: open and recently resolved alerts,
// every node, current BGP sessions by state, undelivered notifications by receiver.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type MigratedDatabase } from '../../testing/postgres.js';
import { setupOnce } from '../../testing/setup.js';
import { ProbeRepository } from './probe.repository.js';

describe('ProbeRepository', () => {
  let database: MigratedDatabase;
  let pool: pg.Pool;
  let probe: ProbeRepository;

  setupOnce(async () => {
    database = await createMigratedDatabase('probe-repo', 2);
    pool = database.pool;
    probe = new ProbeRepository(pool);
  });

  afterAll(() => database?.close());

  it('pings the database, and fails where there is none', async () => {
    await expect(probe.ping()).resolves.toBeUndefined();
    const nowhere = new pg.Pool({ connectionString: 'postgresql://postgres@127.0.0.1:1/nowhere', max: 1 });
    try {
      await expect(new ProbeRepository(nowhere).ping()).rejects.toThrow();
    } finally {
      await nowhere.end();
    }
  });

  it('on an empty database: five empty sets', async () => {
    expect(await probe.metricsSnapshot()).toEqual({ open: [], resolved: [], nodes: [], bgp: [], outbox: [] });
  });

  it('counts alerts, nodes, BGP sessions and the outbox', async () => {
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO nodes (name, status, last_seen) VALUES ('n1', 'connected', now() - interval '10 seconds'), ('n2', 'lost', now() - interval '1 hour') RETURNING id`,
    );
    const [n1, n2] = rows.map((r) => r.id);
    const session = (node: number, key: string, state: string | null, validTo: string | null) =>
      pool.query(`INSERT INTO facts (node_id, kind, key, value, valid_from, valid_to) VALUES ($1, 'bgpSession', $2, $3, '2026-01-01T00:00:00Z', $4)`, [
        node,
        key,
        JSON.stringify(state === null ? {} : { state }),
        validTo,
      ]);
    await session(n1!, 'a', 'established', null);
    await session(n1!, 'b', 'established', null);
    await session(n1!, 'c', 'idle', null);
    await session(n1!, 'd', 'established', '2026-01-02T00:00:00Z'); // ended: not counted
    await session(n2!, 'a', null, null);
    const alert = (fingerprint: string, rule: string, state: string, resolvedAt: string | null) =>
      pool.query(`INSERT INTO alerts (fingerprint, rule, severity, summary, state, starts_at, resolved_at) VALUES ($1, $2, 'critical', '', $3, now(), $4)`, [
        fingerprint,
        rule,
        state,
        resolvedAt,
      ]);
    await alert('f1', 'NodeUnreachable', 'firing', null);
    await alert('f2', 'NodeUnreachable', 'firing', null);
    await alert('f3', 'NodeUnreachable', 'pending', null);
    await alert('f4', 'RouteLoss', 'resolved', new Date(Date.now() - 60_000).toISOString());
    await alert('f5', 'RouteLoss', 'resolved', new Date(Date.now() - 2 * 3600_000).toISOString()); // over an hour ago
    await pool.query(
      `INSERT INTO notification_outbox (receiver, payload, created_at, delivered_at) VALUES
         ('hook', '{}', now() - interval '30 seconds', NULL), ('hook', '{}', now(), NULL), ('hook', '{}', now(), now()), ('other', '{}', now(), now())`,
    );

    const s = await probe.metricsSnapshot();
    expect(s.open).toEqual([
      { rule: 'NodeUnreachable', severity: 'critical', state: 'firing', n: 2 },
      { rule: 'NodeUnreachable', severity: 'critical', state: 'pending', n: 1 },
    ]);
    expect(s.resolved).toEqual([{ rule: 'RouteLoss', severity: 'critical', n: 1 }]);
    expect(s.nodes.map((n) => [n.name, n.status])).toEqual([
      ['n1', 'connected'],
      ['n2', 'lost'],
    ]);
    expect(s.nodes[0]!.age).toBeGreaterThanOrEqual(10);
    expect(s.nodes[0]!.age).toBeLessThan(60);
    expect(s.nodes[1]!.age).toBeGreaterThanOrEqual(3600);
    expect(Math.abs(s.nodes[0]!.last_seen - (Date.now() / 1000 - s.nodes[0]!.age))).toBeLessThan(5);
    expect(s.bgp).toEqual([
      { name: 'n1', state: 'established', n: 2 },
      { name: 'n1', state: 'idle', n: 1 },
      { name: 'n2', state: null, n: 1 },
    ]);
    expect(s.outbox).toHaveLength(1);
    expect(s.outbox[0]).toMatchObject({ receiver: 'hook', n: 2 });
    expect(s.outbox[0]!.oldest).toBeGreaterThanOrEqual(30);
    expect(s.outbox[0]!.oldest).toBeLessThan(90);
  });
});
