import type { Alert, AlertTransition, FactChange, LiveEvents, NodeSummary, ReaderStatus, TopoNode, Topology, TopologyPatch } from '@netatlas/wire/core';
import { describe, expect, it, vi } from 'vitest';
import type { LiveSource } from '../api/live-client.js';
import { ApiError, type AlertsQuery, type ChangesQuery } from '../api/rest-client.js';
import { alert, calicoStopBgpAlerts, regrouped, regrouping, resolvedAlert, stopBgpAlerts, transition } from '../testing/alerts.js';
import { causesProgress, ChangeDeduper, countAlerts, laterAlert, LiveStore, OpenAlerts, type StoreRest } from './live-store.js';

const host = (name: string): TopoNode => ({ id: `host:${name}`, type: 'host', host: null, parent: null, label: name, data: {} });
const pod = (name: string, i: number): TopoNode => ({ id: `pod:${name}/veth${i}`, type: 'pod', host: name, parent: null, label: `10.0.0.${i}`, data: {} });
const summary = (name: string, status: NodeSummary['status'] = 'connected'): NodeSummary => ({
  name,
  status,
  firstSeen: '2026-11-23T14:00:00.000Z',
  lastSeen: '2026-11-23T14:00:00.000Z',
  cniStyle: 'kube-router',
  readers: {},
});
const change = (node: string, at: string, key = 'main|inet|10.233.2.0/24|0|0|eth0'): FactChange => ({ node, kind: 'route', key, at, op: 'remove', before: null, after: null });
/** The node fact of `node` changed: its bird reader's status and its style. */
const nodeChange = (node: string, at: string, bird: ReaderStatus['status'], cniStyle: NodeSummary['cniStyle']): FactChange => ({
  node,
  kind: 'node',
  key: 'node',
  at,
  op: 'change',
  before: null,
  after: { hostname: node, kernel: '6.1.0', bootId: 'b', cniStyle: cniStyle ?? 'unknown', readers: { bird: { status: bird, error: bird === 'ok' ? null : 'bird down' } } },
});

class FakeLive implements LiveSource {
  state = { status: 'live' as const, since: new Date(), attempts: 0, error: null };
  private handlers = new Map<string, ((x: never) => void)[]>();
  private synced: ((i: { reconnect: boolean; serverTime: string }) => void)[] = [];
  on<E extends keyof LiveEvents>(event: E, handler: LiveEvents[E]): () => void {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler as (x: never) => void]);
    return () => undefined;
  }
  onSynced(h: (i: { reconnect: boolean; serverTime: string }) => void) {
    this.synced.push(h);
    return () => undefined;
  }
  onState() {
    return () => undefined;
  }
  emit<E extends keyof LiveEvents>(event: E, payload: Parameters<LiveEvents[E]>[0]): void {
    for (const h of this.handlers.get(event) ?? []) h(payload as never);
  }
  sync(reconnect: boolean, serverTime = '2026-11-23T14:00:00.000Z'): void {
    for (const h of this.synced) h({ reconnect, serverTime });
  }
}

function fakeRest(topologies: Topology[]) {
  let n = 0;
  const changesCalls: Omit<ChangesQuery, 'after'>[] = [];
  const eventsCalls: unknown[] = [];
  let release: (() => void) | null = null;
  let hold = false;
  const rest: StoreRest = {
    topology: vi.fn(async () => {
      if (hold) await new Promise<void>((r) => (release = r));
      return { at: null, ...topologies[Math.min(n++, topologies.length - 1)]! };
    }),
    nodes: vi.fn(async () => [summary('a'), summary('b')]),
    allChanges: vi.fn(async (q: Omit<ChangesQuery, 'after'>) => {
      changesCalls.push(q);
      return {
        changes: [change('a', '2026-11-23T14:00:05.000Z'), change('b', '2026-11-23T14:00:07.000Z')],
        to: '2026-11-23T14:01:00.000Z',
        truncated: false,
      };
    }),
    events: vi.fn(async (q?: unknown) => {
      eventsCalls.push(q);
      return { from: '', to: '', events: [] };
    }),
    alerts: vi.fn(async () => ({ from: '', to: '', alerts: [] })),
  } as unknown as StoreRest;
  return { rest, changesCalls, eventsCalls, holdNext: () => (hold = true), release: () => release?.() };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('LiveStore', () => {
  it('loads the topology and nodes on the first subscription and applies live patches', async () => {
    const { rest } = fakeRest([{ nodes: [host('a'), host('b')], edges: [] }]);
    const live = new FakeLive();
    const store = new LiveStore(rest, live);
    const patches: TopologyPatch[] = [];
    store.on('topology', (p) => patches.push(p));
    live.sync(false);
    await flush();
    expect(store.ready).toBe(true);
    expect([...store.topology.nodes.keys()]).toEqual(['host:a', 'host:b']);
    expect([...store.nodes.keys()]).toEqual(['a', 'b']);
    live.emit('topology', { upsertNodes: [pod('a', 1)], removeNodes: ['host:b'], upsertEdges: [], removeEdges: [] });
    expect([...store.topology.nodes.keys()].sort()).toEqual(['host:a', 'pod:a/veth1']);
    expect(patches).toHaveLength(2);
  });

  it('holds patches that arrive while the topology is being fetched and applies them after it', async () => {
    const { rest, holdNext, release } = fakeRest([{ nodes: [host('a')], edges: [] }]);
    holdNext();
    const live = new FakeLive();
    const store = new LiveStore(rest, live);
    live.sync(false);
    live.emit('topology', { upsertNodes: [host('c')], removeNodes: [], upsertEdges: [], removeEdges: [] });
    expect(store.topology.nodes.size).toBe(0);
    release();
    await flush();
    await flush();
    expect([...store.topology.nodes.keys()].sort()).toEqual(['host:a', 'host:c']);
  });

  it('after a reconnect: re-fetches the topology as a patch and catches up on changes since the last one seen', async () => {
    const { rest, changesCalls, eventsCalls } = fakeRest([
      { nodes: [host('a'), host('b')], edges: [] },
      { nodes: [host('a'), pod('a', 1)], edges: [] },
    ]);
    const live = new FakeLive();
    const store = new LiveStore(rest, live);
    live.sync(false, '2026-11-23T14:00:00.000Z');
    await flush();
    live.emit('changes', { at: '2026-11-23T14:00:05.100Z', changes: [change('a', '2026-11-23T14:00:05.000Z')] });
    expect(store.lastChangeAt).toBe('2026-11-23T14:00:05.000Z');

    const patches: TopologyPatch[] = [];
    const delivered: FactChange[][] = [];
    store.on('topology', (p) => patches.push(p));
    store.on('changes', (c, info) => {
      expect(info.catchUp).toBe(true);
      delivered.push(c);
    });
    live.sync(true);
    await flush();
    // 1 ms early (changes of several nodes can share a millisecond), without repeating what was seen
    expect(changesCalls).toEqual([{ from: '2026-11-23T14:00:04.999Z' }]);
    expect(delivered).toEqual([[change('b', '2026-11-23T14:00:07.000Z')]]);
    expect(eventsCalls).toHaveLength(1);
    expect(patches).toEqual([{ upsertNodes: [pod('a', 1)], removeNodes: ['host:b'], upsertEdges: [], removeEdges: [] }]);
    expect(store.lastChangeAt).toBe('2026-11-23T14:00:07.000Z');
  });

  it('updates a node status from live node events', async () => {
    const { rest } = fakeRest([{ nodes: [], edges: [] }]);
    const live = new FakeLive();
    const store = new LiveStore(rest, live);
    live.sync(false);
    await flush();
    live.emit('nodeEvent', { id: '7', node: 'b', type: 'lost', at: '2026-11-23T14:02:00.000Z', detail: {}, status: 'lost' });
    expect(store.nodes.get('b')?.status).toBe('lost');
  });

  it("takes a node's reader status and CNI style from its node fact as it changes, newest first", async () => {
    const { rest } = fakeRest([{ nodes: [], edges: [] }]);
    const live = new FakeLive();
    const store = new LiveStore(rest, live);
    live.sync(false);
    await flush();
    let emitted = 0;
    store.on('nodes', () => emitted++);
    live.emit('changes', { at: '2026-11-23T14:02:00.100Z', changes: [nodeChange('b', '2026-11-23T14:02:00.000Z', 'failed', 'calico')] });
    expect(store.nodes.get('b')).toMatchObject({ cniStyle: 'calico', readers: { bird: { status: 'failed', error: 'bird down' } } });
    expect(emitted).toBe(1);
    // an older report (a catch-up repeats what came before) changes nothing; a removal (the node
    // left) keeps the last report, as /api/nodes does
    live.emit('changes', {
      at: '2026-11-23T14:02:01.000Z',
      changes: [nodeChange('b', '2026-11-23T14:01:00.000Z', 'ok', 'kube-router'), { ...nodeChange('b', '2026-11-23T14:02:00.500Z', 'ok', 'calico'), op: 'remove', after: null }],
    });
    expect(store.nodes.get('b')?.readers['bird']?.status).toBe('failed');
    expect(emitted).toBe(1);
  });

  it('keeps a node fact that came while /api/nodes was read when the answer is older than it', async () => {
    const { rest } = fakeRest([{ nodes: [], edges: [] }]);
    let answer: (nodes: NodeSummary[]) => void = () => undefined;
    rest.nodes = vi.fn(() => new Promise<NodeSummary[]>((r) => (answer = r)));
    const live = new FakeLive();
    const store = new LiveStore(rest, live);
    live.sync(false);
    // committed after the row was read (the row's lastSeen is older): it stays
    live.emit('changes', { at: '2026-11-23T14:02:00.100Z', changes: [nodeChange('a', '2026-11-23T14:02:00.000Z', 'failed', 'calico')] });
    // committed before: the answer holds it or something newer
    live.emit('changes', { at: '2026-11-23T14:02:00.100Z', changes: [nodeChange('b', '2026-11-23T14:01:00.000Z', 'failed', 'calico')] });
    answer([summary('a'), { ...summary('b'), lastSeen: '2026-11-23T14:01:30.000Z' }]);
    await flush();
    expect(store.nodes.get('a')?.readers['bird']?.status).toBe('failed');
    expect(store.nodes.get('b')?.readers).toEqual({});
  });
});

describe('ChangeDeduper', () => {
  it('admits each change once and starts a catch-up 1 ms before the latest', () => {
    const d = new ChangeDeduper();
    expect(d.catchUpFrom('2026-11-23T14:00:00.000Z')).toBe('2026-11-23T14:00:00.000Z');
    expect(d.admit([change('a', '2026-11-23T14:00:01.000Z'), change('a', '2026-11-23T14:00:01.000Z')])).toHaveLength(1);
    expect(d.admit([change('a', '2026-11-23T14:00:01.000Z'), change('b', '2026-11-23T14:00:01.000Z')])).toHaveLength(1);
    expect(d.catchUpFrom('')).toBe('2026-11-23T14:00:00.999Z');
  });
});

const open = (o: OpenAlerts) =>
  o
    .list()
    .map((a) => `${a.id}:${a.state}`)
    .sort();

describe('OpenAlerts', () => {
  const pending = alert({ id: '40', rule: 'RouteLoss', labels: { node: 'n1', peer: 'n2' }, state: 'pending' });
  const firing: Alert = { ...pending, state: 'firing', firedAt: '2026-11-23T15:00:30.000Z' };
  const resolved = resolvedAlert(firing, '2026-11-23T15:02:00.000Z');

  it('pending → firing → resolved: open while pending and firing, gone once resolved', () => {
    const o = new OpenAlerts();
    expect(o.apply([transition(pending, null, 'pending')])).toHaveLength(1);
    expect(open(o)).toEqual(['40:pending']);
    expect(o.counts()).toEqual({ firing: 0, pending: 1 });
    o.apply([transition(firing, 'pending', 'firing')]);
    expect(open(o)).toEqual(['40:firing']);
    expect(o.counts()).toEqual({ firing: 1, pending: 0 });
    o.apply([transition(resolved, 'firing', 'resolved')]);
    expect(open(o)).toEqual([]);
  });

  it('out of order: a late pending changes nothing, and a resolved alert never reopens', () => {
    const o = new OpenAlerts();
    o.apply([transition(firing, 'pending', 'firing')]);
    expect(o.apply([transition(pending, null, 'pending')])).toEqual([]);
    expect(open(o)).toEqual(['40:firing']);
    o.apply([transition(resolved, 'firing', 'resolved')]);
    expect(o.apply([transition(firing, 'pending', 'firing')])).toEqual([]);
    expect(open(o)).toEqual([]);
    // resolved before anything else was seen: it does not open either
    const p = new OpenAlerts();
    p.apply([transition(resolved, 'firing', 'resolved'), transition(pending, null, 'pending'), transition(firing, 'pending', 'firing')]);
    expect(open(p)).toEqual([]);
  });

  it('a snapshot replaces the open alerts; what resolved meanwhile goes', () => {
    const o = new OpenAlerts();
    o.apply(stopBgpAlerts().map((a) => transition(a, null, a.state)));
    expect(o.size).toBe(8);
    const mark = o.mark();
    const now = stopBgpAlerts().filter((a) => a.id !== '30' && a.state !== 'resolved');
    expect(o.replace(now, mark)).toBe(true);
    expect(o.get('30')).toBeUndefined();
    expect(o.size).toBe(7);
    expect(o.symptomsOf('10')).toBe(4);
    expect(o.replace(now, o.mark())).toBe(false);
  });

  it('transitions that arrive while a snapshot is on its way win over it', () => {
    const o = new OpenAlerts();
    o.apply([transition(pending, null, 'pending')]);
    const mark = o.mark();
    // during the fetch: 40 fires, 41 opens, 42 (in the snapshot, open when it was read) resolves
    const other = alert({ id: '41', rule: 'StaleRoute', state: 'pending' });
    const gone = alert({ id: '42', rule: 'BgpSessionDown' });
    o.apply([transition(firing, 'pending', 'firing'), transition(other, null, 'pending'), transition(resolvedAlert(gone, '2026-11-23T15:01:00.000Z'), 'firing', 'resolved')]);
    // the snapshot was read before all that
    o.replace([pending, gone], mark);
    expect(open(o)).toEqual(['40:firing', '41:pending']);
  });

  it('the same alert twice in a snapshot (firing and pending are asked apart) keeps the later state', () => {
    const o = new OpenAlerts();
    o.replace([firing, pending], o.mark());
    expect(open(o)).toEqual(['40:firing']);
  });

  it('a regrouping (the same state) moves an open alert in place and is passed on; a repeated or older one is not', () => {
    const [root, symptom] = calicoStopBgpAlerts() as [Alert, Alert];
    const o = new OpenAlerts();
    o.apply([transition(root, null, 'firing'), transition(symptom, null, 'firing')]);
    expect(o.symptomsOf(root.id)).toBe(1);
    const out = regrouped(symptom, null, '2026-11-23T15:05:02.000Z');
    expect(o.apply([regrouping(out)])).toHaveLength(1);
    expect(o.get(symptom.id)).toMatchObject({ state: 'firing', rootId: null });
    expect(o.symptomsOf(root.id)).toBe(0);
    expect(o.apply([regrouping(out)])).toEqual([]);
    expect(o.apply([regrouping(symptom)])).toEqual([]);
    // a root whose count changed: passed on too
    expect(o.apply([regrouping({ ...root, symptoms: 0 })])).toHaveLength(1);
  });

  it('versions of one alert in the same state are ordered by their cause history', () => {
    const [root, symptom] = calicoStopBgpAlerts() as [Alert, Alert];
    const out = regrouped(symptom, null, '2026-11-23T15:05:02.000Z');
    const back = regrouped(out, root, '2026-11-23T15:06:00.000Z');
    expect([symptom, out, back].map(causesProgress)).toEqual([2, 3, 4]);
    expect(laterAlert(out, symptom)).toBe(out);
    expect(laterAlert(out, back)).toBe(back);
    expect(laterAlert(back, { ...out, state: 'resolved' }).state).toBe('resolved');
  });

  it('counts for the badge', () => {
    expect(countAlerts(stopBgpAlerts())).toEqual({ firing: 6, pending: 2 });
  });
});

describe('LiveStore alerts', () => {
  function alertsRest(answers: (q: AlertsQuery) => Alert[] | Error) {
    const { rest } = fakeRest([{ nodes: [], edges: [] }]);
    const calls: AlertsQuery[] = [];
    rest.alerts = vi.fn(async (q: AlertsQuery = {}) => {
      calls.push(q);
      const a = answers(q);
      if (a instanceof Error) throw a;
      return { from: '', to: '', alerts: a };
    }) as unknown as StoreRest['alerts'];
    return { rest, calls };
  }

  it('loads the open alerts at the start, applies live transitions, and fans them out', async () => {
    const all = stopBgpAlerts();
    const { rest, calls } = alertsRest((q) => all.filter((a) => a.state === q.state));
    const live = new FakeLive();
    const store = new LiveStore(rest, live);
    const seen: { transitions: AlertTransition[]; resync: boolean }[] = [];
    store.on('alerts', (info) => seen.push(info));
    live.sync(false);
    await flush();
    expect(calls.map((q) => q.state).sort()).toEqual(['firing', 'pending']);
    expect(store.alertsReady).toBe(true);
    expect(store.alerts.counts()).toEqual({ firing: 6, pending: 2 });
    expect(seen).toEqual([{ transitions: [], resync: true }]);

    const t = transition({ ...all.find((a) => a.id === '14')!, firedAt: '2026-11-23T15:00:35.000Z' }, 'pending', 'firing');
    live.emit('alerts', { at: t.at, transitions: [t] });
    expect(store.alerts.counts()).toEqual({ firing: 7, pending: 1 });
    expect(seen[1]).toEqual({ transitions: [t], resync: false });
    // the same transition again changes nothing and is not fanned out
    live.emit('alerts', { at: t.at, transitions: [t] });
    expect(seen).toHaveLength(2);
    store.close();
  });

  it('after a reconnect, re-reads them: what resolved while away is gone', async () => {
    let all = stopBgpAlerts();
    const { rest } = alertsRest((q) => all.filter((a) => a.state === q.state));
    const live = new FakeLive();
    const store = new LiveStore(rest, live);
    live.sync(false);
    await flush();
    expect(store.alerts.get('10')?.state).toBe('firing');
    all = all.map((a) => (a.id === '10' || a.rootId === '10' ? resolvedAlert(a, '2026-11-23T15:05:00.000Z') : a));
    live.sync(true);
    await flush();
    expect(store.alerts.get('10')).toBeUndefined();
    expect(store.alerts.counts()).toEqual({ firing: 2, pending: 1 });
    store.close();
  });

  it('an API without alerts (404) holds nothing up and is not asked again until the next subscription', async () => {
    vi.useFakeTimers();
    try {
      const { rest, calls } = alertsRest(() => new ApiError(404, 'Cannot GET /api/alerts', '/api/alerts'));
      const live = new FakeLive();
      const store = new LiveStore(rest, live, { retryMs: 100 });
      live.sync(false);
      await vi.advanceTimersByTimeAsync(1000);
      expect(store.ready).toBe(true);
      expect(store.alertsReady).toBe(false);
      expect(store.alertsError).toBe('Cannot GET /api/alerts');
      expect(calls).toHaveLength(2);
      store.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('other failures are retried while the socket is up', async () => {
    vi.useFakeTimers();
    try {
      let fail = true;
      const { rest } = alertsRest((q) => (fail ? new ApiError(503, 'database down', '/api/alerts') : stopBgpAlerts().filter((a) => a.state === q.state)));
      const live = new FakeLive();
      const store = new LiveStore(rest, live, { retryMs: 100 });
      live.sync(false);
      await vi.advanceTimersByTimeAsync(10);
      expect(store.alertsError).toBe('database down');
      fail = false;
      await vi.advanceTimersByTimeAsync(200);
      expect(store.alertsReady).toBe(true);
      expect(store.alerts.size).toBe(8);
      store.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
