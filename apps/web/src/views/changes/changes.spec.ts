// The Changes view model on what a real lab produced: 3 kube-router nodes came up, then node3 was
// removed (its route withdrawn from node1 and node2). Plus hand-made cases for what a 3-node lab
// cannot show (a changed route, multipath, the local table, a leave seen after its withdrawals).
import type { Fact, FactChange, NodeEvent, RouteValue } from '@netatlas/wire/core';
import { makeFact } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import type { StateDiff } from '../../api/rest-client.js';
import { formatRoute } from '../../format/route-text.js';
import { labCapture } from '../../testing/fixtures.js';
import { clusterConvergenceMs, diffText, routeDiffByNode } from './route-diff.js';
import { buildTimeline, defaultSelection, describeItem, rangeWindow, routeBursts, selectionWindow, type EventItem } from './timeline.js';

const route = (over: Partial<RouteValue>): RouteValue => ({
  table: 'main',
  family: 'inet',
  dst: '10.233.3.0/24',
  type: 'unicast',
  protocol: '17',
  scope: 'global',
  gateway: '172.20.0.13',
  dev: 'eth0',
  prefsrc: null,
  metric: 0,
  tos: 0,
  flags: [],
  nexthops: [],
  ...over,
});
const routeChange = (node: string, at: string, op: FactChange['op'], before: RouteValue | null, after: RouteValue | null): FactChange => ({
  node,
  kind: 'route',
  key: makeFact('route', (after ?? before)!).key,
  at,
  op,
  before,
  after,
});

describe('route diff of a real node removal', () => {
  const cap = labCapture();
  const removal = cap.routeChanges.changes.filter((c) => c.at >= '2026-11-23T15:04:00');

  it('the capture holds the removal: node3’s pod route withdrawn on node1 and node2', () => {
    expect(removal.map((c) => [c.node, c.op, (c.before as RouteValue).dst]).sort()).toEqual([
      ['wdev-node1', 'remove', '10.233.3.0/24'],
      ['wdev-node2', 'remove', '10.233.3.0/24'],
    ]);
  });

  it('groups the diff into per-node - lines, as `ip route` prints them, leaving other kinds out', () => {
    const t0 = new Date(removal[0]!.at);
    const diffs = routeDiffByNode(cap.diffAroundRemoval.nodes, { exclude: ['wdev-node3'], changes: removal, t0 });
    expect(diffs.map((d) => d.node)).toEqual(['wdev-node1', 'wdev-node2']);
    for (const d of diffs) {
      expect(d.added).toBe(0);
      expect(d.removed).toBe(1);
      expect(d.lines).toEqual([{ sign: '-', text: '10.233.3.0/24 via 172.20.0.13 dev eth0 proto 17', dst: '10.233.3.0/24', key: 'main|inet|10.233.3.0/24|0|0|eth0' }]);
      expect(diffText(d)).toBe('- 10.233.3.0/24 via 172.20.0.13 dev eth0 proto 17');
    }
    // the first node to withdraw converged at t0, the other some milliseconds later (18 ms in the capture)
    const first = removal[0]!;
    const second = removal[1]!;
    const byNode = new Map(diffs.map((d) => [d.node, d]));
    expect(byNode.get(first.node)!.convergenceMs).toBe(0);
    expect(byNode.get(second.node)!.convergenceMs).toBe(Date.parse(second.at) - Date.parse(first.at));
    expect(byNode.get(second.node)!.convergenceMs).toBeGreaterThan(0);
    expect(byNode.get(second.node)!.lastChangeAt).toBe(second.at);
    expect(clusterConvergenceMs(diffs)).toBe(Date.parse(second.at) - Date.parse(first.at));
  });

  it('lists nodes without a change too, after those with one', () => {
    const diffs = routeDiffByNode(cap.diffAroundRemoval.nodes, { nodes: ['wdev-node1', 'wdev-node2', 'wdev-node3', 'wdev-node4'] });
    expect(diffs.map((d) => [d.node, d.lines.length])).toEqual([
      ['wdev-node1', 1],
      ['wdev-node2', 1],
      ['wdev-node3', 0],
      ['wdev-node4', 0],
    ]);
    expect(diffs[3]!.convergenceMs).toBeNull();
  });

  it('the timeline: the nodes joining, the initial routes as one burst, the removal as another', () => {
    const items = buildTimeline(cap.events.events, cap.routeChanges.changes);
    const bursts = items.filter((i) => i.kind === 'routes');
    expect(bursts).toHaveLength(2);
    expect(bursts[0]).toMatchObject({ removed: 2, added: 0, nodes: ['wdev-node1', 'wdev-node2'] });
    expect(describeItem(bursts[0]!)).toBe('route changes −2 on 2 nodes (wdev-node1, wdev-node2)');
    expect(bursts[1]!.nodes).toEqual(['wdev-node1', 'wdev-node2', 'wdev-node3']);
    expect(items.filter((i) => i.kind === 'event').map((i) => (i as EventItem).role)).toEqual(['join', 'join', 'join', 'join', 'join', 'join']);
    // newest first; with nothing chosen, the removal is what the screen shows
    expect(items[0]).toBe(bursts[0]);
    expect(defaultSelection(items)).toBe(bursts[0]);
  });

  it('a burst’s window covers its changes exactly, and its diff is the removal', () => {
    const bursts = routeBursts(cap.routeChanges.changes);
    const removalBurst = bursts[bursts.length - 1]!;
    const w = selectionWindow(removalBurst, bursts, { now: new Date('2026-11-23T16:00:00Z') });
    expect(w.from.getTime()).toBe(Date.parse(removal[0]!.at) - 1);
    expect(w.to.getTime()).toBe(Date.parse(removal[1]!.at) + 1);
    expect(w.t0.toISOString()).toBe(removal[0]!.at);
  });
});

describe('event windows', () => {
  const leave: NodeEvent = { id: '42', node: 'node3', type: 'disconnected', at: '2026-11-23T15:04:20.000Z', detail: {} };
  const changes = [
    // a graceful leave: peers withdraw before its collector goes away
    routeChange('node1', '2026-11-23T15:04:19.208Z', 'remove', route({}), null),
    routeChange('node2', '2026-11-23T15:04:19.226Z', 'remove', route({}), null),
  ];

  it('with nothing chosen, the newest burst is shown even when reconnects came after it', () => {
    const reconnect: NodeEvent = { id: '43', node: 'node1', type: 'connected', at: '2026-11-23T15:10:00.000Z', detail: {} };
    const items = buildTimeline([leave, reconnect], changes);
    expect(items[0]!.id).toBe('event:43');
    expect(defaultSelection(items)!.kind).toBe('routes');
    expect(defaultSelection(buildTimeline([leave, reconnect], []))!.id).toBe('event:43');
  });

  it('starts before the event, measures convergence from the first withdrawal, and never ends after now', () => {
    const items = buildTimeline([leave], changes);
    const ev = items.find((i) => i.kind === 'event')!;
    expect(ev.kind === 'event' && ev.role).toBe('leave');
    const now = new Date('2026-11-23T15:04:30Z');
    const w = selectionWindow(ev, routeBursts(changes), { now });
    // from the withdrawal that led up to the leave
    expect(w.from.toISOString()).toBe('2026-11-23T15:04:19.207Z');
    expect(w.to).toEqual(now);
    expect(w.t0.toISOString()).toBe('2026-11-23T15:04:19.208Z');
    const later = selectionWindow(ev, routeBursts(changes), { now: new Date('2026-11-23T18:00:00Z') });
    expect(later.to.toISOString()).toBe('2026-11-23T15:05:50.000Z');
  });

  it('reaches back over the bursts leading up to it, not over earlier unrelated ones', () => {
    const history = [
      // a join 25 s before: not the leave's doing
      routeChange('node1', '2026-11-23T15:03:55.000Z', 'add', null, route({})),
      // a stop and start of BGP 12 and 8 s before: a chain of its own, more than 5 s before the withdrawal
      routeChange('node1', '2026-11-23T15:04:08.000Z', 'remove', route({ dst: '10.5.0.0/24' }), null),
      routeChange('node1', '2026-11-23T15:04:12.500Z', 'add', null, route({ dst: '10.5.0.0/24' })),
      ...changes,
    ];
    const bursts = routeBursts(history);
    const ev = buildTimeline([leave], history).find((i) => i.kind === 'event')!;
    const w = selectionWindow(ev, bursts, { now: new Date('2026-11-23T18:00:00Z') });
    expect(w.from.toISOString()).toBe('2026-11-23T15:04:19.207Z');
    // the withdrawal came in steps less than 5 s apart: all of them belong to the leave
    const stepwise = [routeChange('node1', '2026-11-23T15:04:15.000Z', 'remove', route({ dst: '10.6.0.0/24' }), null), ...changes];
    expect(selectionWindow(ev, routeBursts(stepwise, 1000), { now: new Date('2026-11-23T18:00:00Z') }).from.toISOString()).toBe('2026-11-23T15:04:14.999Z');
    // nothing before the event: the window starts at it
    const none = buildTimeline([leave], []).find((i) => i.kind === 'event')!;
    expect(selectionWindow(none, [], { now: new Date('2026-11-23T18:00:00Z') }).from.toISOString()).toBe('2026-11-23T15:04:19.999Z');
  });

  it('stretches to the end of a burst that starts inside it', () => {
    const long = [
      routeChange('node1', '2026-11-23T15:05:45.000Z', 'remove', route({}), null),
      ...Array.from({ length: 5 }, (_, i) => routeChange('node2', `2026-11-23T15:05:5${i}.000Z`, 'add', null, route({ dst: `10.9.${i}.0/24` }))),
    ];
    const ev = buildTimeline([leave], long).find((i) => i.kind === 'event')!;
    const w = selectionWindow(ev, routeBursts(long), { now: new Date('2026-11-23T18:00:00Z') });
    expect(w.to.toISOString()).toBe('2026-11-23T15:05:54.001Z');
  });

  it('a compare range is used as is, convergence from its first route change', () => {
    const from = new Date('2026-11-23T15:00:00Z');
    const to = new Date('2026-11-23T15:10:00Z');
    expect(rangeWindow(from, to, routeBursts(changes))).toEqual({ from, to, t0: new Date('2026-11-23T15:04:19.208Z') });
    expect(rangeWindow(from, to, []).t0).toEqual(from);
  });
});

describe('route lines', () => {
  const diff = (node: string, d: NonNullable<StateDiff[string]['route']>): StateDiff => ({ [node]: { route: d } });
  const fact = (v: RouteValue): Fact => makeFact('route', v);

  it('a changed route is - before, + after; lines sorted by destination numerically', () => {
    const before = route({ dst: '10.233.10.0/24', gateway: '172.20.0.20' });
    const after = route({ dst: '10.233.10.0/24', gateway: '172.20.0.21' });
    const d = routeDiffByNode(
      diff('n1', {
        added: [fact(route({ dst: '10.233.9.0/24', gateway: '172.20.0.19' }))],
        removed: [fact(route({ dst: '10.233.2.0/24', gateway: '172.20.0.12' }))],
        changed: [{ kind: 'route', key: fact(after).key, before, after }],
      }),
    )[0]!;
    expect(d.lines.map((l) => `${l.sign} ${l.text}`)).toEqual([
      '- 10.233.2.0/24 via 172.20.0.12 dev eth0 proto 17',
      '+ 10.233.9.0/24 via 172.20.0.19 dev eth0 proto 17',
      '- 10.233.10.0/24 via 172.20.0.20 dev eth0 proto 17',
      '+ 10.233.10.0/24 via 172.20.0.21 dev eth0 proto 17',
    ]);
    expect([d.added, d.removed, d.changed]).toEqual([1, 1, 1]);
  });

  it('leaves the local table out unless asked', () => {
    const local = route({ table: 'local', type: 'local', dst: '10.233.1.1/32', gateway: null, dev: 'kube-bridge', protocol: 'kernel', scope: 'host', prefsrc: '10.233.1.1' });
    const d = diff('n1', { added: [fact(local)], removed: [], changed: [] });
    expect(routeDiffByNode(d)[0]!.lines).toEqual([]);
    expect(routeDiffByNode(d, { includeLocalTable: true })[0]!.lines[0]!.text).toBe('local 10.233.1.1/32 dev kube-bridge table local proto kernel scope host src 10.233.1.1');
  });

  it('formats blackhole, multipath, metric and onlink routes like ip route', () => {
    expect(formatRoute(route({ type: 'blackhole', dst: '10.48.0.64/26', gateway: null, dev: null, protocol: 'bird' }))).toBe('blackhole 10.48.0.64/26 proto bird');
    expect(formatRoute(route({ dst: '10.244.2.0/24', gateway: '10.244.2.0', dev: 'flannel.1', protocol: 'boot', flags: ['onlink'] }))).toBe('10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
    expect(
      formatRoute(
        route({
          dst: '10.48.0.128/26',
          gateway: null,
          dev: null,
          protocol: 'bird',
          metric: 32,
          nexthops: [
            { gateway: '172.20.0.12', dev: 'eth0', weight: 1, flags: [] },
            { gateway: '172.20.0.13', dev: 'eth0', weight: 1, flags: [] },
          ],
        }),
      ),
    ).toBe('10.48.0.128/26 proto bird metric 32 nexthop via 172.20.0.12 dev eth0 weight 1 nexthop via 172.20.0.13 dev eth0 weight 1');
  });
});
