import { deriveTopology, findEndpoint, indexHosts, trace, traceState } from '@netatlas/graph';
import type { Fact, RouteValue, TopoNode, TraceComparison, TraceHop, TraceResult } from '@netatlas/wire/core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIVE } from '../../state/time-control.js';
import {
  branchViews,
  changedHopIndex,
  endpointText,
  hopSummary,
  pathHighlight,
  pathNodes,
  sortedChanges,
  topologyTraceRoute,
  touchesPath,
  traceEndpointOf,
  traceRoute,
  traceSuggestions,
} from './trace-model.js';

/** Facts of a real 3-node Calico lab as libs/graph captured them, and the lab's own description. */
const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../../../../../libs/graph/src/fixtures/topology/${name}`, import.meta.url), 'utf8')) as T;
const facts = read<Record<string, Fact[]>>('calico.json');
interface LabNode { name: string; underlayIp: string; podCidr: string; pods: { ip: string; hostVeth: string }[] }
const lab = read<{ status: { nodes: LabNode[] } }>('calico.lab.json').status.nodes;
const [n1, n2, n3] = [lab[0]!, lab[1]!, lab[2]!];
const [podA, podB] = [n1.pods[0]!, n2.pods[0]!];
const AT = '2026-12-06T12:00:00.000Z';

/** The simulator's answer on these facts (what GET /api/trace answers for them). */
function traced(state: Record<string, Fact[]>, from: string, to: string): TraceResult {
  const s = traceState(indexHosts(state));
  return trace(s, findEndpoint(s, from)!, findEndpoint(s, to)!, AT);
}

/** The lab without node 1's route to node 2's pod block (BIRD withdrew it). */
function withoutRouteToN2(): Record<string, Fact[]> {
  return { ...facts, [n1.name]: facts[n1.name]!.filter((f) => !(f.kind === 'route' && (f.value as RouteValue).dst === n2.podCidr)) };
}

describe('a trace as table rows', () => {
  it('pod to pod on another node: one branch, a row per node, the route that decided, delivered on the last', () => {
    const [b, ...rest] = branchViews(traced(facts, podA.ip, podB.ip));
    expect(rest).toEqual([]);
    expect(b).toMatchObject({ index: 0, verdict: 'delivered', delivered: true, at: n2.name, ecmp: false });
    expect(b!.rows.map((r) => [r.node, r.iif, r.dev, r.outcome, r.failed])).toEqual([
      [n1.name, podA.hostVeth, 'eth0', 'forward', false],
      [n2.name, 'eth0', podB.hostVeth, 'local', false],
    ]);
    expect(b!.rows[0]).toMatchObject({ route: { dst: n2.podCidr, table: 'main', protocol: 'bird', type: 'unicast' }, gateway: n2.underlayIp, next: `→ ${n2.name} (${n2.underlayIp})`, reason: null });
    expect(b!.rows[0]!.route!.text).toContain(`${n2.podCidr} via ${n2.underlayIp} dev eth0 proto bird`);
    expect(b!.rows[0]!.facts[0]).toMatch(/^route main\|inet\|10\.48\.0\.128\/26\|/);
    expect(b!.rows[1]!.next).toBe('delivered');
    expect(b!.rows.every((r) => r.mtu !== null && r.mtu > 1000)).toBe(true);
  });

  it('the route withdrawn: the first node is where it fails, red with the reason the simulator gives', () => {
    const r = traced(withoutRouteToN2(), podA.ip, podB.ip);
    expect(r.verdict).toBe('failed');
    const [b] = branchViews(r);
    expect(b!.delivered).toBe(false);
    expect(b!.at).toBe(n1.name);
    const last = b!.rows.at(-1)!;
    expect(last).toMatchObject({ node: n1.name, failed: true, reason: r.branches[0]!.reason });
    expect(b!.rows.slice(0, -1).some((x) => x.failed)).toBe(false);
  });

  it('ECMP: every branch marked, each hop says it is one of several next hops, the failing branch has its red hop', () => {
    const views = branchViews(ECMP);
    expect(views.map((v) => [v.verdict, v.ecmp, v.delivered, v.rows.map((r) => r.failed)])).toEqual([
      ['blackhole', true, false, [false, true]],
      ['delivered', true, true, [false, false]],
    ]);
    expect(views[0]!.rows[0]!.ecmp).toBe(true);
    expect(views[0]!.rows[1]).toMatchObject({ node: 'b', reason: 'route 10.20.9.0/24 (table main, static) on b is a blackhole', route: { type: 'blackhole' } });
  });

  it('a neighbor and a vxlan hop read as state and VTEP', () => {
    const [b] = branchViews(result([[hop('a', { encap: 'vxlan', toAddress: '172.20.0.12', toNode: 'b', neighbor: { dev: 'flannel.1', family: 'inet', address: '10.244.2.0', lladdr: '0e:00:00:00:00:09', state: ['PERMANENT'], router: false, proxy: false } })]]));
    expect(b!.rows[0]).toMatchObject({ encap: 'vxlan → 172.20.0.12', neighbor: 'PERMANENT 0e:00:00:00:00:09', next: '→ b (172.20.0.12)' });
  });

  it('comparing: the hop that changed is marked on the later trace', () => {
    const views = branchViews(traced(withoutRouteToN2(), podA.ip, podB.ip), 0);
    expect(views[0]!.rows.map((r) => r.changed)).toEqual([true]);
  });
});

describe('endpoints', () => {
  it('read as what they are', () => {
    const r = traced(facts, podA.ip, n2.name);
    expect(endpointText(r.from)).toBe(`pod ${podA.ip} on ${n1.name}`);
    expect(endpointText(r.to)).toBe(`node ${n2.name} (${n2.underlayIp})`);
    expect(endpointText({ ...r.from, pod: { veth: podA.hostVeth, namespace: 'default', name: 'web' } })).toBe(`pod default/web ${podA.ip} on ${n1.name}`);
    expect(endpointText({ query: '8.8.8.8', kind: 'ip', ip: '8.8.8.8', node: null, pod: null, mtu: null })).toBe('8.8.8.8 (no node holds it)');
  });

  it('suggestions: the nodes, then every pod by IP (and by Kubernetes name where known), from the topology', () => {
    const topo = deriveTopology(facts);
    const s = traceSuggestions(topo.nodes);
    expect(s.slice(0, 3).map((x) => x.value)).toEqual([n1.name, n2.name, n3.name]);
    expect(s[0]!.label).toBe(`node ${n1.underlayIp}/24`);
    const pods = lab.flatMap((n) => n.pods.map((p) => p.ip));
    expect(s.slice(3).map((x) => x.value).sort()).toEqual([...pods].sort());
    expect(s.find((x) => x.value === podA.ip)!.label).toBe(`pod ${podA.hostVeth} on ${n1.name}`);
    const named: TopoNode = { id: 'pod:x/veth1', type: 'pod', host: 'x', parent: null, label: 'default/web', data: { ips: ['10.0.0.5'], veth: 'veth1', k8s: { namespace: 'default', name: 'web' } } };
    expect(traceSuggestions([named])).toEqual([
      { value: '10.0.0.5', label: 'pod default/web on x' },
      { value: 'default/web', label: 'pod on x (10.0.0.5)' },
    ]);
  });

  it('"trace from here": a pod by its IP, a host by its name, nothing else', () => {
    const topo = deriveTopology(facts);
    const pod = topo.nodes.find((n) => n.type === 'pod' && n.id.endsWith(podA.hostVeth))!;
    expect(traceEndpointOf(pod)).toBe(podA.ip);
    expect(traceEndpointOf(topo.nodes.find((n) => n.id === `host:${n1.name}`)!)).toBe(n1.name);
    expect(traceEndpointOf(topo.nodes.find((n) => n.type === 'veth')!)).toBeNull();
    expect(traceRoute(LIVE, podA.ip)).toEqual({ view: 'trace', node: null, time: LIVE, params: new Map([['src', podA.ip]]) });
    expect(topologyTraceRoute(LIVE, 'a', 'b').params).toEqual(new Map([['src', 'a'], ['dst', 'b']]));
  });
});

describe('the path on the topology', () => {
  it('outlines the hosts and the endpoint pods, with ids the topology has, and the hand-over between hosts', () => {
    const hl = pathHighlight(traced(facts, podA.ip, podB.ip));
    const ids = new Set(deriveTopology(facts).nodes.map((n) => n.id));
    expect([...hl.ids].sort()).toEqual([`host:${n1.name}`, `host:${n2.name}`, `pod:${n1.name}/${podA.hostVeth}`, `pod:${n2.name}/${podB.hostVeth}`]);
    for (const id of hl.ids) expect(ids.has(id), id).toBe(true);
    expect(hl.failed).toEqual(new Set());
    expect(hl.hosts).toEqual(new Set([n1.name, n2.name]));
    expect(hl.links).toEqual([{ source: `host:${n1.name}`, target: `host:${n2.name}` }]);
  });

  it('the host where a branch failed is red; the destination stays outlined', () => {
    const hl = pathHighlight(traced(withoutRouteToN2(), podA.ip, podB.ip));
    expect(hl.failed).toEqual(new Set([`host:${n1.name}`]));
    expect(hl.ids.has(`pod:${n2.name}/${podB.hostVeth}`)).toBe(true);
    expect(hl.links).toEqual([]);
    const ecmp = pathHighlight(ECMP);
    expect(ecmp.failed).toEqual(new Set(['host:b']));
    expect(ecmp.links).toEqual([{ source: 'host:a', target: 'host:b' }, { source: 'host:a', target: 'host:c' }]);
  });
});

describe('following the path live', () => {
  it("the path's nodes, and which changes touch them", () => {
    const nodes = pathNodes(traced(withoutRouteToN2(), podA.ip, podB.ip));
    // where it failed, and the destination's node (its pod's route, its block)
    expect(nodes).toEqual(new Set([n1.name, n2.name]));
    expect(touchesPath([{ node: n1.name, kind: 'route' }], nodes)).toBe(true);
    expect(touchesPath([{ node: n2.name, kind: 'neigh' }], nodes)).toBe(true);
    expect(touchesPath([{ node: n3.name, kind: 'route' }], nodes)).toBe(false);
    // a BGP session is not what forwarding reads: its routes are
    expect(touchesPath([{ node: n1.name, kind: 'bgpSession' }], nodes)).toBe(false);
    // a policy rule or a forwarding sysctl changes the path as a route does
    expect(touchesPath([{ node: n1.name, kind: 'rule' }], nodes)).toBe(true);
    expect(touchesPath([{ node: n2.name, kind: 'sysctl' }], nodes)).toBe(true);
    expect(pathNodes(ECMP, null)).toEqual(new Set(['a', 'b', 'c']));
  });
});

describe('comparing', () => {
  const before = traced(facts, podA.ip, podB.ip);
  const after = traced(withoutRouteToN2(), podA.ip, podB.ip);
  const cmp: TraceComparison = {
    before,
    after,
    changedAt: { node: n1.name, hop: 0, before: before.branches[0]!.hops[0]!, after: after.branches[0]!.hops[0]! },
    changes: [
      { node: n1.name, kind: 'route', key: 'b', at: '2026-12-06T12:00:02.000Z', op: 'remove' },
      { node: n1.name, kind: 'route', key: 'a', at: '2026-12-06T12:00:01.000Z', op: 'add' },
    ],
  };

  it('the hop that changed, each side in a line, the changes oldest first', () => {
    expect(changedHopIndex(cmp)).toBe(0);
    expect(changedHopIndex({ ...cmp, changedAt: null })).toBeNull();
    // the route as `ip route` prints it, then where it goes
    const before = hopSummary(cmp.changedAt!.before);
    expect(before.startsWith(`${n2.podCidr} via ${n2.underlayIp} dev eth0 proto bird`), before).toBe(true);
    expect(before.endsWith(` → ${n2.name} (${n2.underlayIp})`), before).toBe(true);
    expect(hopSummary(cmp.changedAt!.after)).not.toContain(n2.podCidr);
    expect(hopSummary(null)).toBe('no hop');
    expect(sortedChanges(cmp).map((c) => c.key)).toEqual(['a', 'b']);
  });
});

// ------------------------------------------------------------------ a hand-built ECMP answer

function hop(node: string, o: Partial<TraceHop> = {}): TraceHop {
  return { node, iif: null, route: null, rule: null, gateway: null, dev: 'eth0', ecmp: false, outcome: 'forward', toNode: null, toAddress: null, encap: null, neighbor: null, mtu: 1500, facts: [], ...o };
}

function route(dst: string, type = 'unicast'): RouteValue {
  return { table: 'main', family: 'inet', dst, type, protocol: 'static', scope: 'global', gateway: null, dev: null, prefsrc: null, metric: 0, tos: 0, flags: [], nexthops: [] };
}

function result(branches: TraceHop[][], verdicts: TraceResult['branches'][0]['verdict'][] = branches.map(() => 'delivered')): TraceResult {
  const e = (node: string, ip: string) => ({ query: ip, kind: 'ip' as const, ip, node, pod: null, mtu: 1500 });
  return {
    at: AT,
    from: e('a', '192.168.0.1'),
    to: e('c', '10.20.9.5'),
    verdict: verdicts.every((v) => v === 'delivered') ? 'delivered' : verdicts.some((v) => v === 'delivered') ? 'partly' : 'failed',
    branches: branches.map((hops, i) => ({ service: null, verdict: verdicts[i]!, at: hops.at(-1)!.node, reason: verdicts[i] === 'delivered' ? `delivered on ${hops.at(-1)!.node}` : `route 10.20.9.0/24 (table main, static) on ${hops.at(-1)!.node} is a blackhole`, hops, mtu: 1500 })),
    mtu: 1500,
  };
}

/** a spreads 10.20.9.0/24 over b (a blackhole there) and c (delivered): as libs/graph's spec builds it */
const ECMP = result(
  [
    [hop('a', { route: route('10.20.9.0/24'), gateway: '192.168.0.2', ecmp: true, toNode: 'b', toAddress: '192.168.0.2' }), hop('b', { iif: 'eth0', route: route('10.20.9.0/24', 'blackhole'), dev: null, outcome: 'drop' })],
    [hop('a', { route: route('10.20.9.0/24'), gateway: '192.168.0.3', ecmp: true, toNode: 'c', toAddress: '192.168.0.3' }), hop('c', { iif: 'eth0', dev: 'cali9', outcome: 'local' })],
  ],
  ['blackhole', 'delivered'],
);
