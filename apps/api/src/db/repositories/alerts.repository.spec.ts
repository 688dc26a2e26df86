// The alerts' statements on a real database: new alerts pending or firing with their root and
// causes, updates that fire and regroup (saying which fired now and which moved), resolution, the
// open ones, acknowledgement of open alerts only, and the alerts of a window with their filters and
// counts of symptoms; a failed transaction writes nothing.
import type { AlertCause } from '@netatlas/wire';
import type pg from 'pg';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type MigratedDatabase } from '../../testing/postgres.js';
import { setupOnce } from '../../testing/setup.js';
import { AlertsRepository, type NewAlert } from './alerts.repository.js';

const T0 = new Date('2026-11-23T18:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const win = (s: number) => ({ from: at(s - 1).toISOString(), to: at(s).toISOString() });

function alert(fingerprint: string, over: Partial<NewAlert> = {}): NewAlert {
  return { fingerprint, rule: 'RouteLoss', severity: 'warning', labels: { node: 'n1', peer: 'n3' }, summary: fingerprint, firing: false, rootId: null, causes: [], ...over };
}

describe('AlertsRepository', () => {
  let database: MigratedDatabase;
  let pool: pg.Pool;
  let alerts: AlertsRepository;

  setupOnce(async () => {
    database = await createMigratedDatabase('alerts-repo', 4);
    pool = database.pool;
    alerts = new AlertsRepository(pool);
  });

  beforeEach(async () => {
    await pool?.query('TRUNCATE alerts');
  });

  afterAll(() => database?.close());

  it('inserts, fires, regroups, resolves; the open ones are those not resolved', async () => {
    const [root] = await alerts.transaction((c) => alerts.insert(c, [alert('root', { rule: 'NodeUnreachable', severity: 'critical', labels: { node: 'n3' } })], at(0), win(0)));
    expect(root).toMatchObject({ fingerprint: 'root', rule: 'NodeUnreachable', state: 'pending', fired_at: null, root_id: null, cause: win(0), causes: [] });
    expect(root!.starts_at).toEqual(at(0));
    expect(typeof root!.id).toBe('string');

    const cause: AlertCause = { rootId: root!.id, rule: 'NodeUnreachable', fingerprint: 'root', summary: 'root', from: at(0).toISOString(), to: null };
    const symptoms = await alerts.transaction((c) =>
      alerts.insert(c, [alert('s1', { rootId: root!.id, causes: [cause] }), alert('mtu', { rule: 'MtuMismatch', firing: true, labels: { node: 'n2' } })], at(0), win(0)),
    );
    expect(symptoms.map((r) => [r.fingerprint, r.state, r.root_id, r.fired_at])).toEqual([
      ['s1', 'pending', root!.id, null],
      ['mtu', 'firing', null, at(0)],
    ]);
    expect(symptoms[0]!.causes).toEqual([cause]);
    expect(symptoms[0]!.labels).toEqual({ node: 'n1', peer: 'n3' });

    // the root fires; the symptom leaves it with a new summary
    const updated = await alerts.transaction((c) =>
      alerts.update(
        c,
        [
          { id: root!.id, fire: true, rootId: null, summary: 'root', causes: [], oldRootId: null },
          { id: symptoms[0]!.id, fire: false, rootId: null, summary: 's1 alone', causes: [{ ...cause, to: at(10).toISOString() }], oldRootId: root!.id },
        ],
        at(10),
      ),
    );
    const byFingerprint = new Map(updated.map((r) => [r.fingerprint, r]));
    expect(byFingerprint.get('root')).toMatchObject({ state: 'firing', fired_at: at(10), fired_now: true, moved: false });
    expect(byFingerprint.get('s1')).toMatchObject({ state: 'pending', fired_at: null, root_id: null, summary: 's1 alone', fired_now: false, moved: true });
    expect(byFingerprint.get('s1')!.causes).toEqual([{ ...cause, to: at(10).toISOString() }]);

    expect((await alerts.open()).map((r) => r.fingerprint).sort()).toEqual(['mtu', 'root', 's1']);
    const resolved = await alerts.transaction((c) => alerts.resolve(c, [{ id: symptoms[1]!.id, causes: [] }], at(20), win(20)));
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ fingerprint: 'mtu', state: 'resolved', resolved_at: at(20), clear: win(20), cause: win(0) });
    expect((await alerts.open()).map((r) => r.fingerprint).sort()).toEqual(['root', 's1']);
  });

  it('acknowledges an open alert only, with its count of symptoms', async () => {
    const [root] = await alerts.transaction((c) => alerts.insert(c, [alert('ack-root', { labels: { node: 'n7' } })], at(100), win(100)));
    await alerts.transaction((c) => alerts.insert(c, [alert('ack-a', { rootId: root!.id }), alert('ack-b', { rootId: root!.id })], at(100), win(100)));
    const acked = await alerts.acknowledge(root!.id, 'ops');
    expect(acked).toMatchObject({ fingerprint: 'ack-root', acknowledged_by: 'ops' });
    expect(acked!.acknowledged_at).toBeInstanceOf(Date);
    expect(Number(acked!.symptoms)).toBe(2);
    await alerts.transaction((c) => alerts.resolve(c, [{ id: root!.id, causes: [] }], at(110), win(110)));
    expect(await alerts.acknowledge(root!.id, 'ops')).toBeNull();
    expect(await alerts.acknowledge('987654', 'ops')).toBeNull();
  });

  it('lists the alerts open at some moment of a window, newest first, filtered by state, rule and node or peer', async () => {
    const base = 1000;
    const put = (fingerprint: string, s: number, over: Partial<NewAlert> = {}) => alerts.transaction((c) => alerts.insert(c, [alert(fingerprint, over)], at(base + s), win(base + s)));
    const [early] = await put('q-early', 0, { labels: { node: 'q1' } });
    await alerts.transaction((c) => alerts.resolve(c, [{ id: early!.id, causes: [] }], at(base + 10), win(base + 10)));
    const [mid] = await put('q-mid', 20, { rule: 'NodeUnreachable', labels: { node: 'q2' } });
    await put('q-sym', 25, { rootId: mid!.id, labels: { node: 'q3', peer: 'q2' } });
    await put('q-late', 40, { labels: { node: 'q4' } });
    const fingerprints = async (q: Partial<Parameters<AlertsRepository['query']>[0]>) =>
      (await alerts.query({ from: at(base), to: at(base + 100), limit: 100, ...q })).map((r) => r.fingerprint);

    expect(await fingerprints({})).toEqual(['q-late', 'q-sym', 'q-mid', 'q-early']);
    expect(await fingerprints({ from: at(base + 15), to: at(base + 30) })).toEqual(['q-sym', 'q-mid']); // q-early resolved before, q-late started after
    expect(await fingerprints({ limit: 2 })).toEqual(['q-late', 'q-sym']);
    expect(await fingerprints({ state: 'resolved' })).toEqual(['q-early']);
    expect(await fingerprints({ rule: 'NodeUnreachable' })).toEqual(['q-mid']);
    expect(await fingerprints({ node: 'q2' })).toEqual(['q-sym', 'q-mid']); // as node, and as peer
    const rows = await alerts.query({ from: at(base), to: at(base + 100), limit: 100, node: 'q2' });
    expect(rows.map((r) => Number(r.symptoms))).toEqual([0, 1]);
  });

  it('writes nothing from a transaction that fails', async () => {
    await expect(
      alerts.transaction(async (c) => {
        await alerts.insert(c, [alert('rolled-back')], at(2000), win(2000));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await pool.query(`SELECT 1 FROM alerts WHERE fingerprint = 'rolled-back'`)).rowCount).toBe(0);
  });
});
