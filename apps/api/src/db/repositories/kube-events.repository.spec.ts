// The Kubernetes events' statements on a real database: node rows found by name (locked) or by a
// current address, pending rows created once, statuses moved, events recorded in order, and each
// node's last Kubernetes event; a transaction that fails leaves nothing behind.
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type MigratedDatabase } from '../../testing/postgres.js';
import { setupOnce } from '../../testing/setup.js';
import { KubeEventsRepository } from './kube-events.repository.js';

describe('KubeEventsRepository', () => {
  let database: MigratedDatabase;
  let pool: pg.Pool;
  let repository: KubeEventsRepository;

  setupOnce(async () => {
    database = await createMigratedDatabase('kube-events-repo', 4);
    pool = database.pool;
    repository = new KubeEventsRepository(pool);
  });

  afterAll(() => database?.close());

  const addNode = async (name: string, status: string) =>
    (await pool.query<{ id: number }>(`INSERT INTO nodes (name, status) VALUES ($1, $2) RETURNING id`, [name, status])).rows[0]!.id;
  const addr = (node: number, address: string, validTo: string | null) =>
    pool.query(`INSERT INTO facts (node_id, kind, key, value, valid_from, valid_to) VALUES ($1, 'addr', $2, $3, '2026-01-01T00:00:00Z', $4)`, [
      node,
      `eth0|${address}`,
      JSON.stringify({ address, dev: 'eth0' }),
      validTo,
    ]);

  it('finds a node by name (locked until the transaction ends) or by a current address', async () => {
    const a = await addNode('kube-a', 'connected');
    const b = await addNode('kube-b', 'connected');
    await addr(a, '172.20.0.11', '2026-01-02T00:00:00Z'); // no longer
    await addr(b, '172.20.0.11', null);
    await addr(a, '172.20.0.12', null);

    await repository.transaction(async (client) => {
      expect(await repository.lock(client, 'kube-a')).toEqual({ id: a, name: 'kube-a', status: 'connected' });
      expect(await repository.lock(client, 'nowhere')).toBeNull();
      // another transaction cannot lock the row meanwhile
      const other = await pool.connect();
      try {
        await other.query(`BEGIN; SET LOCAL lock_timeout = '200ms'`);
        await expect(other.query(`SELECT id FROM nodes WHERE name = 'kube-a' FOR NO KEY UPDATE`)).rejects.toMatchObject({ code: '55P03' });
        await other.query('ROLLBACK');
      } finally {
        other.release();
      }
      expect(await repository.nodeWithAddress(client, ['172.20.0.11'])).toBe('kube-b');
      expect(await repository.nodeWithAddress(client, ['10.9.9.9', '172.20.0.12', '172.20.0.11'])).toBe('kube-a');
      expect(await repository.nodeWithAddress(client, ['10.9.9.9'])).toBeNull();
    });
  });

  it('creates a pending row once, moves statuses, and records events in order', async () => {
    const created = await repository.transaction((client) => repository.insertPending(client, 'kube-new'));
    expect(created).toMatchObject({ name: 'kube-new', status: 'pending' });
    expect(await repository.transaction((client) => repository.insertPending(client, 'kube-new'))).toBeNull();
    const id = created!.id;

    const events = await repository.transaction(async (client) => {
      expect(await repository.lastK8sEvent(client, id)).toBeNull();
      const first = await repository.insertEvent(client, id, 'first_seen', { source: 'kubernetes' });
      const added = await repository.insertEvent(client, id, 'k8s_added', { k8sNode: 'kube-new' });
      expect(await repository.lastK8sEvent(client, id)).toBe('k8s_added');
      await repository.setStatus(client, id, 'left');
      const deleted = await repository.insertEvent(client, id, 'k8s_deleted', { k8sNode: 'kube-new' });
      expect(await repository.lastK8sEvent(client, id)).toBe('k8s_deleted');
      return [first, added, deleted];
    });
    expect(events.map((e) => [e.type, e.detail])).toEqual([
      ['first_seen', { source: 'kubernetes' }],
      ['k8s_added', { k8sNode: 'kube-new' }],
      ['k8s_deleted', { k8sNode: 'kube-new' }],
    ]);
    expect(typeof events[0]!.id).toBe('string');
    // clock_timestamp, not the transaction's now(): one transaction's events have distinct, rising times
    const times = await pool.query<{ ordered: boolean }>(
      `SELECT array_agg(at ORDER BY id) = array_agg(at ORDER BY at) AND count(DISTINCT at) = 3 AS ordered FROM node_events WHERE id = ANY($1::bigint[])`,
      [events.map((e) => e.id)],
    );
    expect(times.rows[0]!.ordered).toBe(true);
    const { rows } = await pool.query(`SELECT status FROM nodes WHERE id = $1`, [id]);
    expect(rows[0].status).toBe('left');
    await repository.transaction((client) => repository.setStatus(client, id, 'pending'));
    expect((await pool.query(`SELECT status FROM nodes WHERE id = $1`, [id])).rows[0].status).toBe('pending');
  });

  it('lists each node’s last Kubernetes event, with the Kubernetes name it recorded', async () => {
    const c = await addNode('kube-c', 'connected');
    const d = await addNode('kube-d', 'connected');
    const e = await addNode('kube-e', 'connected');
    await repository.transaction(async (client) => {
      await repository.insertEvent(client, c, 'k8s_added', { k8sNode: 'k8s-c' });
      await repository.insertEvent(client, d, 'k8s_added', {});
      await repository.insertEvent(client, d, 'k8s_deleted', {});
      await repository.insertEvent(client, d, 'connected', {}); // not a Kubernetes event
      await repository.insertEvent(client, e, 'connected', {});
    });
    const last = (await repository.lastK8sEvents()).filter((r) => [c, d, e].includes(r.nodeId));
    expect(last).toEqual([
      { nodeId: c, name: 'kube-c', type: 'k8s_added', k8sNode: 'k8s-c' },
      { nodeId: d, name: 'kube-d', type: 'k8s_deleted', k8sNode: null },
    ]);
  });

  it('rolls a failed transaction back', async () => {
    await expect(
      repository.transaction(async (client) => {
        await repository.insertPending(client, 'kube-rolled-back');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await pool.query(`SELECT 1 FROM nodes WHERE name = 'kube-rolled-back'`)).rowCount).toBe(0);
  });
});
