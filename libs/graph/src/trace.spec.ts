// The path trace on the real lab states (topology fixtures captured from the lab: every pod pair
// of every style), then on hand-built faults, one verdict each. The kernel as the oracle for the
// same walks: apps/collector/src/trace-lab.spec.ts.
import { makeFact, type Fact, type FactOf, type RouteValue, type RuleValue } from '@netatlas/wire';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { indexHosts } from './topology.js';
import { findEndpoint, trace, traceState, type TraceState } from './trace.js';

type State = Record<string, Fact[]>;
interface LabNode { name: string; underlayIp: string; podCidr: string; pods: { ip: string; hostVeth: string }[] }
const read = <T>(path: string): T => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as T;
const AT = '2026-12-06T12:00:00.000Z';
const run = (state: TraceState, from: string, to: string) => trace(state, findEndpoint(state, from)!, findEndpoint(state, to)!, AT);

describe.each(['kube-router', 'calico', 'flannel'] as const)('trace on a real %s lab (topology fixture)', (style) => {
  const state = traceState(indexHosts(read<State>(`./fixtures/topology/${style}.json`)));
  const lab = read<{ status: { nodes: LabNode[] } }>(`./fixtures/topology/${style}.lab.json`).status.nodes;
  const pods = lab.flatMap((n) => n.pods.map((p) => ({ ...p, node: n })));

  it('finds every pod by its address, on its node, behind its interface', () => {
    for (const p of pods) {
      const e = findEndpoint(state, p.ip)!;
      expect(e).toMatchObject({ kind: 'pod', node: p.node.name, ip: p.ip });
      // a pod behind a bridge is found by its port when the bridge has learnt its MAC
      if (style === 'calico') expect(e.pod?.veth).toBe(p.hostVeth);
      expect(e.mtu).toBeGreaterThan(1000);
    }
    expect(findEndpoint(state, lab[0]!.name)).toMatchObject({ kind: 'node', ip: lab[0]!.underlayIp, node: lab[0]!.name });
    expect(findEndpoint(state, lab[1]!.underlayIp)).toMatchObject({ kind: 'ip', node: lab[1]!.name });
    expect(findEndpoint(state, 'no-such-thing')).toBeNull();
  });

  it('delivers every ordered pod pair on one branch, through the destination node, with the path MTU', () => {
    for (const a of pods) {
      for (const b of pods) {
        if (a === b) continue;
        const t = run(state, a.ip, b.ip);
        expect(t.verdict, `${a.ip} -> ${b.ip}: ${t.branches.map((x) => x.reason).join('; ')}`).toBe('delivered');
        expect(t.branches).toHaveLength(1);
        const nodes = t.branches[0]!.hops.map((h) => h.node);
        expect(nodes).toEqual(a.node === b.node ? [a.node.name] : [a.node.name, b.node.name]);
        const first = t.branches[0]!.hops[0]!;
        if (style === 'calico') expect(first.iif).toBe(a.hostVeth);
        if (a.node !== b.node) {
          expect(first).toMatchObject({ outcome: 'forward', toNode: b.node.name, encap: style === 'flannel' ? 'vxlan' : null });
          expect(first.facts.map((f) => f.kind)).toContain('route');
        }
        const last = t.branches[0]!.hops.at(-1)!;
        expect(last.outcome).toBe('local');
        // flannel's vxlan device carries 50 bytes less than the pods' veths
        if (style === 'flannel' && a.node !== b.node) expect(t.mtu).toBeLessThan(first.mtu! + 1);
        expect(t.mtu).toBeGreaterThan(1000);
      }
    }
  });

  it('a node to another node, and to an address outside the cluster (left at the default route)', () => {
    const [n1, n2] = lab;
    expect(run(state, n1!.name, n2!.underlayIp)).toMatchObject({ verdict: 'delivered', branches: [{ at: n2!.name }] });
    const out = run(state, n1!.name, '8.8.8.8');
    expect(out).toMatchObject({ verdict: 'failed', branches: [{ verdict: 'left', at: n1!.name }] });
    expect(out.branches[0]!.reason).toMatch(/route default .* hands it to/);
  });
});

// ------------------------------------------------------------------ faults, one verdict each

const base = { ifindex: 1, mtu: 1500, mac: null, operstate: 'UP', flags: ['UP', 'LOWER_UP'], master: null, link: null, linkIndex: null, linkNetnsId: null, vxlan: null, ipip: null };
const link = (ifname: string, kind: string, extra: Partial<FactOf<'link'>['value']> = {}): Fact => makeFact('link', { ...base, ifname, kind, ...extra });
const addr = (ifname: string, address: string, prefixLen: number): Fact =>
  makeFact('addr', { ifname, family: 'inet', address, prefixLen, scope: 'global', broadcast: null, label: null, flags: [] });
const route = (dst: string, gateway: string | null, dev: string | null, extra: Partial<RouteValue> = {}): Fact =>
  makeFact('route', { table: 'main', family: 'inet', dst, type: 'unicast', protocol: 'static', scope: gateway ? 'global' : 'link', gateway, dev, prefsrc: null, metric: 0, tos: 0, flags: [], nexthops: [], ...extra });
const local = (address: string, dev: string): Fact => route(`${address}/32`, null, dev, { table: 'local', type: 'local', protocol: 'kernel', scope: 'host' });
const neigh = (dev: string, address: string, state: string[]): Fact => makeFact('neigh', { dev, family: 'inet', address, lladdr: state.includes('FAILED') ? null : '0e:00:00:00:00:09', state, router: false, proxy: false });
/** node i: eth0 192.168.0.i, a pod 10.20.i.2 behind veth cali-i, routes to the other pods' /24 via their node */
const node = (i: number, extra: Fact[] = [], mtu = 1500): Fact[] => [
  link('eth0', 'device', { mtu }),
  addr('eth0', `192.168.0.${i}`, 24),
  local(`192.168.0.${i}`, 'eth0'),
  route('192.168.0.0/24', null, 'eth0', { protocol: 'kernel' }),
  link(`cali${i}`, 'veth', { linkNetnsId: 1, mtu: 1500 }),
  route(`10.20.${i}.2/32`, null, `cali${i}`),
  ...extra,
];
const pair = (a: Fact[], b: Fact[]) => traceState(indexHosts({ a: node(1, a), b: node(2, b) }));
const viaB = route('10.20.2.0/24', '192.168.0.2', 'eth0', { protocol: 'bird' });

describe('trace verdicts', () => {
  it('delivered, with the facts that decided each hop', () => {
    const t = run(pair([viaB], []), '10.20.1.2', '10.20.2.2');
    expect(t).toMatchObject({ verdict: 'delivered', mtu: 1500, branches: [{ verdict: 'delivered', at: 'b', reason: 'delivered on b through cali2' }] });
    expect(t.branches[0]!.hops[0]).toMatchObject({ node: 'a', iif: 'cali1', gateway: '192.168.0.2', dev: 'eth0', toNode: 'b' });
    expect(t.branches[0]!.hops[0]!.facts).toEqual([
      { kind: 'route', key: 'main|inet|10.20.2.0/24|0|0|eth0' },
      { kind: 'link', key: 'eth0' },
    ]);
    expect(t.branches[0]!.hops[1]).toMatchObject({ node: 'b', iif: 'eth0', dev: 'cali2', outcome: 'local' });
  });

  it('no route, blackhole, a failed neighbor, a loop', () => {
    expect(run(pair([], []), '10.20.1.2', '10.20.2.2').branches[0]).toMatchObject({ verdict: 'no-route', at: 'a', reason: 'no route on a contains 10.20.2.2 (tables local, main, default)' });
    const bh = run(pair([route('10.20.2.0/24', null, null, { type: 'blackhole', protocol: 'bird' })], []), '10.20.1.2', '10.20.2.2');
    expect(bh.branches[0]).toMatchObject({ verdict: 'blackhole', reason: 'route 10.20.2.0/24 (table main, bird) on a is a blackhole' });
    const failed = run(pair([viaB, neigh('eth0', '192.168.0.2', ['FAILED'])], []), '10.20.1.2', '10.20.2.2');
    expect(failed.branches[0]).toMatchObject({ verdict: 'neighbor-failed', at: 'a' });
    expect(failed.branches[0]!.hops[0]!.facts).toContainEqual({ kind: 'neigh', key: 'eth0|192.168.0.2' });
    // b sends a's pods back to a, a sends them to b
    const loop = run(pair([route('10.20.9.0/24', '192.168.0.2', 'eth0')], [route('10.20.9.0/24', '192.168.0.1', 'eth0')]), 'a', '10.20.9.5');
    expect(loop.branches[0]).toMatchObject({ verdict: 'loop', at: 'a' });
  });

  it('ECMP: one branch per live next hop, each marked, each with its verdict', () => {
    const three = traceState(indexHosts({
      a: node(1, [route('10.20.9.0/24', null, null, { scope: 'global', nexthops: [{ gateway: '192.168.0.2', dev: 'eth0', weight: 1, flags: [] }, { gateway: '192.168.0.3', dev: 'eth0', weight: 1, flags: [] }] })]),
      b: node(2, [route('10.20.9.0/24', null, 'eth0', { type: 'blackhole' })]),
      c: node(3, [link('cali9', 'veth', { linkNetnsId: 1 }), route('10.20.9.5/32', null, 'cali9')]),
    }));
    const t = run(three, 'a', '10.20.9.5');
    expect(t.verdict).toBe('partly');
    expect(t.branches.map((b) => [b.verdict, b.at, b.hops[0]!.ecmp])).toEqual([['blackhole', 'b', true], ['delivered', 'c', true]]);
  });

  it('mtu: delivered through a link smaller than the endpoints', () => {
    const small = traceState(indexHosts({ a: node(1, [viaB], 1400), b: node(2) }));
    const t = run(small, '10.20.1.2', '10.20.2.2');
    expect(t.branches[0]).toMatchObject({ verdict: 'mtu', mtu: 1400 });
    expect(t.branches[0]!.reason).toBe("delivered on b, but the path's smallest MTU 1400 is below the endpoints' 1500");
    expect(t.verdict).toBe('delivered');
  });

  it('unknown node: a source no facts hold', () => {
    const s = pair([viaB], []);
    const t = trace(s, { query: 'ghost', kind: 'node', ip: null, node: 'ghost', pod: null, mtu: null }, findEndpoint(s, '10.20.2.2')!, AT);
    expect(t).toMatchObject({ verdict: 'failed', branches: [{ verdict: 'unknown-node', at: 'ghost' }] });
  });

  describe('policy rules and the receiving interface', () => {
    const rule = (priority: number, extra: Partial<RuleValue>): Fact =>
      makeFact('rule', {
        family: 'inet', priority, not: false, src: null, dst: null, tos: 0, fwmark: null, fwmask: null, iif: null, iifDetached: false, oif: null, oifDetached: false,
        uidRange: null, ipproto: null, sport: null, dport: null, tunId: null, realms: null, l3mdev: false, action: 'lookup', table: 'main', goto: null, unresolved: false,
        suppressPrefixLength: null, suppressIfGroup: null, protocol: 'kernel', other: {}, ...extra,
      });
    const defaults = [rule(0, { table: 'local' }), rule(32766, { table: 'main' }), rule(32767, { table: 'default' })];
    const sysctl = (name: string, forwarding: number, rpFilter: number): Fact => makeFact('sysctl', { name, ipv4: { forwarding, rpFilter, proxyArp: 0 }, ipv6: null });

    it("a rule for the pod's source sends it to another table; the node's own packets keep to main", () => {
      const s = pair([viaB, ...defaults, rule(100, { src: '10.20.1.2/32', table: '100', protocol: 'unspec' }), route('10.20.2.0/24', null, null, { table: '100', type: 'blackhole' })], []);
      const t = run(s, '10.20.1.2', '10.20.2.2');
      expect(t.branches[0]).toMatchObject({ verdict: 'blackhole', reason: 'rule 100 then route 10.20.2.0/24 (table 100, static) on a is a blackhole' });
      expect(t.branches[0]!.hops[0]!.rule).toMatchObject({ priority: 100, table: '100' });
      expect(t.branches[0]!.hops[0]!.facts[0]).toEqual({ kind: 'rule', key: expect.stringMatching(/^inet\|100\|from 10\.20\.1\.2/) });
      expect(run(s, 'a', '10.20.2.2')).toMatchObject({ verdict: 'delivered', branches: [{ hops: [{ rule: { priority: 32766 } }, {}] }] });
    });

    it("a rule's own verdict, a rule for packets from another interface, and the kernel's defaults alone change nothing", () => {
      const refuse = pair([viaB, ...defaults, rule(50, { dst: '10.20.2.0/24', action: 'unreachable', table: null })], []);
      expect(run(refuse, '10.20.1.2', '10.20.2.2').branches[0]).toMatchObject({ verdict: 'unreachable', hops: [{ route: { table: 'rule 50' } }] });
      const other = pair([viaB, ...defaults, rule(50, { iif: 'eth9', action: 'blackhole', table: null })], []);
      expect(run(other, '10.20.1.2', '10.20.2.2').verdict).toBe('delivered');
      const plain = run(pair([viaB, ...defaults], []), '10.20.1.2', '10.20.2.2');
      expect(plain.verdict).toBe('delivered');
      expect(plain.branches[0]!.hops[0]!.rule).toBeNull();
    });

    it('goto skips the rules between; suppress_prefixlength 0 ignores a default route and the lookup goes on', () => {
      const s = pair([
        viaB, ...defaults,
        rule(10, { action: 'goto', goto: 200, table: null }),
        rule(100, { action: 'blackhole', table: null }), // jumped over
        rule(200, { table: '200', suppressPrefixLength: 0 }),
        route('default', null, null, { table: '200', type: 'blackhole' }), // suppressed: the lookup goes on to main
      ], []);
      const t = run(s, '10.20.1.2', '10.20.2.2');
      expect(t).toMatchObject({ verdict: 'delivered', branches: [{ hops: [{ rule: { priority: 32766 } }, {}] }] });
    });

    it('forwarding off on the interface it comes in on: dropped there, with the sysctl that decided', () => {
      const t = run(pair([viaB], [sysctl('all', 1, 0), sysctl('eth0', 0, 0)]), '10.20.1.2', '10.20.2.2');
      expect(t.branches[0]).toMatchObject({ verdict: 'forwarding-off', at: 'b', reason: 'b does not forward what comes in on eth0 (its forwarding sysctl is 0)' });
      expect(t.branches[0]!.hops[1]!.facts).toEqual(expect.arrayContaining([{ kind: 'sysctl', key: 'all' }, { kind: 'sysctl', key: 'eth0' }]));
      // to b's own address it is not forwarded: delivered
      expect(run(pair([viaB], [sysctl('all', 1, 0), sysctl('eth0', 0, 0)]), '10.20.1.2', '192.168.0.2').verdict).toBe('delivered');
    });

    it('strict rp_filter refuses a source whose route back leaves by another interface; loose takes any route back', () => {
      // b reaches a's pods through eth1, not eth0 where they come in
      const back = [link('eth1', 'device'), route('10.20.1.0/24', '192.168.1.1', 'eth1')];
      const strict = run(pair([viaB], [...back, sysctl('all', 1, 1), sysctl('eth0', 1, 1)]), '10.20.1.2', '10.20.2.2');
      expect(strict.branches[0]).toMatchObject({ verdict: 'rp-filter', at: 'b' });
      expect(strict.branches[0]!.reason).toBe("b's rp_filter refuses source 10.20.1.2 on eth0: its route back to it does not leave there");
      expect(run(pair([viaB], [...back, sysctl('all', 1, 2), sysctl('eth0', 1, 2)]), '10.20.1.2', '10.20.2.2').verdict).toBe('delivered');
      // no route back at all: loose refuses too
      expect(run(pair([viaB], [sysctl('all', 1, 2)]), '10.20.1.2', '10.20.2.2').branches[0]).toMatchObject({ verdict: 'rp-filter' });
    });
  });

  it('to a service IP the source node balances with IPVS: a branch per real server with weight, DNAT named in each', () => {
    const svc = (realServers: Array<[string, number]>): Fact =>
      makeFact('ipvsService', { protocol: 'tcp', address: '10.96.0.10', port: 80, fwmark: null, scheduler: 'rr', flags: [], persistent: null, realServers: realServers.map(([address, weight]) => ({ address, port: 8080, forward: 'masq', weight })) });
    const s = traceState(indexHosts({ a: node(1, [viaB, svc([['10.20.2.2', 1], ['10.20.1.2', 1], ['10.20.2.9', 0]])]), b: node(2) }));
    const t = run(s, '10.20.1.2', '10.96.0.10');
    expect(t.verdict).toBe('delivered');
    expect(t.branches.map((b) => [b.service?.realServer, b.verdict, b.at])).toEqual([['10.20.2.2', 'delivered', 'b'], ['10.20.1.2', 'delivered', 'a']]);
    expect(t.branches[0]!.reason).toBe('IPVS on a sends 10.96.0.10:80 to 10.20.2.2:8080; delivered on b through cali2');
    expect(t.branches[0]!.hops[0]!.facts[0]).toEqual({ kind: 'ipvsService', key: 'tcp|10.96.0.10|80' });
    const none = run(traceState(indexHosts({ a: node(1, [svc([['10.20.2.2', 0]])]), b: node(2) })), '10.20.1.2', '10.96.0.10');
    expect(none.branches).toEqual([expect.objectContaining({ verdict: 'no-route', at: 'a', reason: 'IPVS service tcp 10.96.0.10:80 on a has no real server with a weight' })]);
  });
});
