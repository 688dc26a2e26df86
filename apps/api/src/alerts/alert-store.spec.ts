// The alert store against the real Postgres: the lifecycle (pending, firing after `for`, resolved),
// root-cause links, the notices per group, and a cluster-wide failure applied in a few statements.
import { ALERT_RULES, ALERT_TRANSITIONS, type AlertRule } from '@netatlas/wire';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../db/migrate.js';
import { AlertsRepository } from '../db/repositories/alerts.repository.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';
import { defaultAlertConfig } from './alert-config.js';
import { AlertStore } from './alert-store.js';
import { fingerprintOf, RULES, type Condition } from './rules.js';

const cond = (rule: AlertRule, labels: Record<string, string>, root: Condition | null = null): Condition => ({
  rule,
  severity: RULES[rule].severity,
  labels,
  fingerprint: fingerprintOf(rule, labels),
  summary: `${rule} ${JSON.stringify(labels)}`,
  rootFingerprint: root?.fingerprint ?? null,
});

describe('AlertStore', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const forMs = defaultAlertConfig().forMs;
  const window = (t: number) => ({ from: new Date(t - 1000).toISOString(), to: new Date(t).toISOString() });

  setupOnce(async () => {
    database = await createTestDatabase('alertstore');
    await migrate(database.url);
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('pending, firing after `for`, resolved; symptoms point at their root; one notice per group', async () => {
    const store = new AlertStore(new AlertsRepository(pool));
    await store.load();
    const t0 = Date.parse('2026-11-23T18:00:00Z');
    const root = cond('NodeUnreachable', { node: 'n3' });
    const a = cond('RouteLoss', { node: 'n1', peer: 'n3', prefix: '10.233.3.0/24' }, root);
    const b = cond('RouteLoss', { node: 'n2', peer: 'n3', prefix: '10.233.3.0/24' }, root);
    const lone = cond('MtuMismatch', { node: 'n1', interface: 'veth1' });

    const first = await store.apply([root, a, b, lone], new Date(t0), forMs, window(t0), null);
    // MtuMismatch has no `for`: pending and firing at once; the rest pending
    expect(first.transitions.map((t) => `${t.alert.rule}:${t.to}`).sort()).toEqual(
      ['MtuMismatch:firing', 'MtuMismatch:pending', 'NodeUnreachable:pending', 'RouteLoss:pending', 'RouteLoss:pending'].sort(),
    );
    expect(first.notices.map((n) => `${n.groupKey}:${n.status}:${n.alerts.length}`)).toEqual([`${lone.fingerprint}:firing:1`]);
    const rootId = store.openAlerts().find((x) => x.fingerprint === root.fingerprint)!.id;
    expect(store.openAlerts().filter((x) => x.rootId === rootId)).toHaveLength(2);
    expect(store.openAlerts().find((x) => x.id === rootId)!.symptoms).toBe(2);

    // 5 s later: still pending; 10 s: firing, one notice for the group with all three
    expect((await store.apply([root, a, b, lone], new Date(t0 + 5000), forMs, window(t0 + 5000), null)).transitions).toEqual([]);
    const fired = await store.apply([root, a, b, lone], new Date(t0 + 10_000), forMs, window(t0 + 10_000), null);
    expect(fired.transitions.map((t) => `${t.alert.rule}:${t.from}->${t.to}`).sort()).toEqual(
      ['NodeUnreachable:pending->firing', 'RouteLoss:pending->firing', 'RouteLoss:pending->firing'].sort(),
    );
    expect(fired.notices).toHaveLength(1);
    expect(fired.notices[0]).toMatchObject({ groupKey: root.fingerprint, status: 'firing' });
    expect(fired.notices[0]!.alerts.map((x) => x.rule)).toEqual(['NodeUnreachable', 'RouteLoss', 'RouteLoss']);

    // the condition clears: resolved, with the clearing window, and a resolved notice
    const cleared = await store.apply([lone], new Date(t0 + 20_000), forMs, window(t0 + 20_000), null);
    expect(cleared.transitions.map((t) => t.to)).toEqual(['resolved', 'resolved', 'resolved']);
    expect(cleared.notices).toHaveLength(1);
    expect(cleared.notices[0]).toMatchObject({ groupKey: root.fingerprint, status: 'resolved' });
    const stored = await store.query({ from: new Date(t0 - 1000), to: new Date(t0 + 30_000), limit: 100 });
    expect(stored.find((x) => x.fingerprint === a.fingerprint)).toMatchObject({
      state: 'resolved',
      firedAt: new Date(t0 + 10_000).toISOString(),
      resolvedAt: new Date(t0 + 20_000).toISOString(),
      clear: window(t0 + 20_000),
      cause: window(t0),
    });

    // a condition that clears before its `for`: resolved without ever firing, no notice
    const flap = cond('RouteLoss', { node: 'n1', peer: 'n2', prefix: '10.233.2.0/24' });
    await store.apply([lone, flap], new Date(t0 + 30_000), forMs, window(t0 + 30_000), null);
    const healed = await store.apply([lone], new Date(t0 + 31_000), forMs, window(t0 + 31_000), null);
    expect(healed.transitions.map((t) => `${t.from}->${t.to}`)).toEqual(['pending->resolved']);
    expect(healed.notices).toEqual([]);

    // a new store (an API restart) picks up the open ones
    const again = new AlertStore(new AlertsRepository(pool));
    await again.load();
    expect(again.openAlerts().map((x) => x.fingerprint)).toEqual([lone.fingerprint]);
  });

  it('a symptom whose root cause started later waits for it, and fires in the same notice as the root', async () => {
    const store = new AlertStore(new AlertsRepository(pool));
    await store.load();
    const t0 = Date.parse('2026-11-24T18:00:00Z');
    const root = cond('NodeUnreachable', { node: 'w3' });
    const lone = cond('RouteLoss', { node: 'w1', peer: 'w3', prefix: '10.240.3.0/24' });
    const symptom = cond('RouteLoss', { node: 'w1', peer: 'w3', prefix: '10.240.3.0/24' }, root);
    // the route loss is seen first, on its own; its root cause one evaluation later
    await store.apply([lone], new Date(t0), forMs, window(t0), null);
    await store.apply([root, symptom], new Date(t0 + 2000), forMs, window(t0 + 2000), null);
    // the symptom has held for its `for`, the root not yet: nothing fires
    expect((await store.apply([root, symptom], new Date(t0 + 10_000), forMs, window(t0 + 10_000), null)).transitions).toEqual([]);
    const fired = await store.apply([root, symptom], new Date(t0 + 12_000), forMs, window(t0 + 12_000), null);
    expect(fired.transitions.map((t) => `${t.alert.rule}:${t.from}->${t.to}`).sort()).toEqual(['NodeUnreachable:pending->firing', 'RouteLoss:pending->firing']);
    expect(fired.notices).toHaveLength(1);
    expect(fired.notices[0]!.alerts.map((x) => x.rule)).toEqual(['NodeUnreachable', 'RouteLoss']);
    await store.apply([], new Date(t0 + 20_000), forMs, window(t0 + 20_000), null);
  });

  it('a symptom whose root resolves keeps its cause history, stands alone, and joins the next root; each move is a regrouping for browsers, not a notice', async () => {
    const store = new AlertStore(new AlertsRepository(pool));
    await store.load();
    const t0 = Date.parse('2026-11-25T18:00:00Z');
    const at = (ms: number) => new Date(t0 + ms);
    const rr = cond('BgpDaemonDown', { node: 'rr', daemon: 'bird' });
    const peering = cond('BgpPeeringDown', { node: 'c1', peer: 'rr' });
    const labels = { node: 'c1', peer: 'c2', prefix: '10.241.2.0/24' };
    const underRr = cond('RouteLoss', labels, rr);
    await store.apply([rr, underRr], at(0), forMs, window(t0), null);
    await store.apply([rr, underRr], at(10_000), forMs, window(t0 + 10_000), null);
    const rrId = store.openAlerts().find((x) => x.fingerprint === rr.fingerprint)!.id;

    // the root resolves, the symptom still holds: it stands alone, and says what it was caused by until when
    const alone = await store.apply([cond('RouteLoss', labels)], at(20_000), forMs, window(t0 + 20_000), null);
    const symptom = store.openAlerts().find((x) => x.fingerprint === underRr.fingerprint)!;
    expect(symptom).toMatchObject({ state: 'firing', rootId: null });
    expect(symptom.causes).toEqual([{ rootId: rrId, rule: 'BgpDaemonDown', fingerprint: rr.fingerprint, summary: rr.summary, from: at(0).toISOString(), to: at(20_000).toISOString() }]);
    expect(alone.transitions.map((t) => `${t.alert.rule}:${t.from}->${t.to}`).sort()).toEqual(['BgpDaemonDown:firing->resolved', 'RouteLoss:firing->firing']);
    // the root's resolution is notified (with the symptom as it now is); the regrouping itself is not
    expect(alone.notices.map((n) => `${n.groupKey}:${n.status}`)).toEqual([`${rr.fingerprint}:resolved`]);

    // another cause appears on its path: it joins it; the root's count of symptoms moves too
    const next = await store.apply([peering, cond('RouteLoss', labels, peering)], at(25_000), forMs, window(t0 + 25_000), null);
    const peeringId = store.openAlerts().find((x) => x.fingerprint === peering.fingerprint)!.id;
    const moved = store.openAlerts().find((x) => x.fingerprint === underRr.fingerprint)!;
    expect(moved.rootId).toBe(peeringId);
    expect(moved.causes.map((c) => [c.rootId, c.to])).toEqual([[rrId, at(20_000).toISOString()], [peeringId, null]]);
    expect(next.transitions.map((t) => `${t.alert.rule}:${t.from}->${t.to}`).sort()).toEqual(['BgpPeeringDown:null->pending', 'RouteLoss:firing->firing']);
    expect(next.notices).toEqual([]);
    // the history is in Postgres too, closed when the symptom resolves (the peering fired meanwhile)
    await store.apply([peering, cond('RouteLoss', labels, peering)], at(35_000), forMs, window(t0 + 35_000), null);
    await store.apply([], at(40_000), forMs, window(t0 + 40_000), null);
    const [stored] = await store.query({ from: at(0), to: at(50_000), rule: 'RouteLoss', node: 'c1', limit: 10 });
    expect(stored?.causes.map((c) => [c.rule, c.from, c.to])).toEqual([
      ['BgpDaemonDown', at(0).toISOString(), at(20_000).toISOString()],
      ['BgpPeeringDown', at(25_000).toISOString(), at(40_000).toISOString()],
    ]);
  });

  it('a spell under a root that resolved without firing is no part of the history', async () => {
    const store = new AlertStore(new AlertsRepository(pool));
    await store.load();
    const t0 = Date.parse('2026-11-26T18:00:00Z');
    const at = (ms: number) => new Date(t0 + ms);
    // a session seen down an evaluation before the daemon's reader said the daemon is gone
    const peering = cond('BgpPeeringDown', { node: 'p1', peer: 'p2' });
    const daemon = cond('BgpDaemonDown', { node: 'p2', daemon: 'bird' });
    const labels = { node: 'p1', peer: 'p2', prefix: '10.242.2.0/24' };
    await store.apply([peering, cond('RouteLoss', labels, peering)], at(0), forMs, window(t0), null);
    await store.apply([daemon, cond('RouteLoss', labels, daemon)], at(1000), forMs, window(t0 + 1000), null);
    const daemonId = store.openAlerts().find((x) => x.fingerprint === daemon.fingerprint)!.id;
    expect(store.openAlerts().find((x) => x.rule === 'RouteLoss')!.causes.map((c) => [c.rootId, c.to])).toEqual([[daemonId, null]]);
    // the daemon's root fires, then resolves: that spell stays
    await store.apply([daemon, cond('RouteLoss', labels, daemon)], at(12_000), forMs, window(t0 + 12_000), null);
    await store.apply([cond('RouteLoss', labels)], at(20_000), forMs, window(t0 + 20_000), null);
    expect(store.openAlerts().find((x) => x.rule === 'RouteLoss')!.causes.map((c) => [c.rule, c.to])).toEqual([['BgpDaemonDown', at(20_000).toISOString()]]);
    await store.apply([], at(30_000), forMs, window(t0 + 30_000), null);
  });

  it('walks every transition of the alert lifecycle (ALERT_TRANSITIONS), and no other', async () => {
    const store = new AlertStore(new AlertsRepository(pool));
    const slow = Object.fromEntries(ALERT_RULES.map((r) => [r, 10_000])) as Record<AlertRule, number>;
    const seen = new Set<string>();
    const t0 = Date.parse('2026-11-24T09:00:00Z');
    const at = async (dt: number, conditions: Condition[]) => {
      const { transitions } = await store.apply(conditions, new Date(t0 + dt), slow, window(t0 + dt), null);
      for (const t of transitions) seen.add(`${t.from ?? 'new'} -> ${t.to}`);
      return transitions.map((t) => `${t.alert.fingerprint}: ${t.from ?? 'new'} -> ${t.to}`);
    };
    const root = cond('NodeUnreachable', { node: 'sm3' });
    const lone = cond('MtuMismatch', { node: 'sm1', interface: 'veth9' });
    const brief = cond('MtuMismatch', { node: 'sm2', interface: 'veth8' });
    const symptom = cond('RouteLoss', { node: 'sm1', peer: 'sm3', prefix: '10.233.30.0/24' }, root);
    const alone = cond('RouteLoss', { node: 'sm1', peer: 'sm3', prefix: '10.233.30.0/24' });
    // new -> pending (three conditions appear)
    expect(await at(0, [root, lone, brief])).toEqual([`${root.fingerprint}: new -> pending`, `${lone.fingerprint}: new -> pending`, `${brief.fingerprint}: new -> pending`]);
    // pending -> resolved (brief clears before its `for`)
    expect(await at(5_000, [root, lone])).toEqual([`${brief.fingerprint}: pending -> resolved`]);
    // pending -> firing (root and lone held for 10 s)
    expect(await at(10_000, [root, lone])).toEqual([`${root.fingerprint}: pending -> firing`, `${lone.fingerprint}: pending -> firing`]);
    // a symptom under the firing root: new -> pending, and the root's count changes (firing -> firing)
    expect(await at(11_000, [root, lone, symptom])).toEqual([`${symptom.fingerprint}: new -> pending`, `${root.fingerprint}: firing -> firing`]);
    // the symptom, still pending, stands alone (pending -> pending), the root's count again
    expect((await at(12_000, [root, lone, alone])).sort()).toEqual([`${root.fingerprint}: firing -> firing`, `${symptom.fingerprint}: pending -> pending`].sort());
    // firing -> resolved (lone clears), and the rest as they were
    expect(await at(13_000, [root, alone])).toEqual([`${lone.fingerprint}: firing -> resolved`]);
    const table = Object.entries(ALERT_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from} -> ${to}`));
    expect([...seen].sort()).toEqual(table.sort());
  });

  it('a cluster-wide failure (200 roots, 39,800 symptoms) is applied in one transaction, quickly', async () => {
    const store = new AlertStore(new AlertsRepository(pool));
    await store.load();
    const t0 = Date.parse('2026-11-23T19:00:00Z');
    const nodes = Array.from({ length: 200 }, (_, i) => `node${i}`);
    const roots = nodes.map((n) => cond('NodeUnreachable', { node: n }));
    const symptoms = nodes.flatMap((a, i) =>
      nodes.filter((b) => b !== a).map((b) => cond('RouteLoss', { node: a, peer: b, prefix: `10.${Math.floor(i / 250)}.${i % 250}.0/24` }, roots[nodes.indexOf(b)]!)),
    );
    const all = [...roots, ...symptoms, cond('MtuMismatch', { node: 'node0', interface: 'flannel.1' })];
    const openBefore = store.openAlerts().length;
    const started = performance.now();
    const first = await store.apply(all, new Date(t0), forMs, window(t0), null);
    const firstMs = performance.now() - started;
    const fired = await store.apply(all, new Date(t0 + 60_000), forMs, window(t0 + 60_000), null);
    const resolved = await store.apply([], new Date(t0 + 120_000), forMs, window(t0 + 120_000), null);
    const totalMs = performance.now() - started;
    process.stdout.write(`40,001 alerts: started in ${firstMs.toFixed(0)} ms; started, fired and resolved in ${totalMs.toFixed(0)} ms\n`);
    expect(first.transitions.filter((t) => t.to === 'pending')).toHaveLength(40_001);
    expect(fired.transitions.filter((t) => t.to === 'firing')).toHaveLength(40_000);
    expect(fired.notices).toHaveLength(200);
    expect(fired.notices.every((n) => n.alerts.length === 200)).toBe(true);
    // what was open before and is not among the conditions resolved with the first apply
    expect(first.transitions.filter((t) => t.to === 'resolved')).toHaveLength(openBefore);
    expect(resolved.transitions).toHaveLength(40_001);
    expect(store.openAlerts()).toEqual([]);
    expect(totalMs).toBeLessThan(30_000);
  }, 60_000);
});
