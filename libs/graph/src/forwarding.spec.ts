// The forwarding engine on hand-built facts, one kernel rule per case, then on real lab states (the
// topology fixtures). The same rules against the real kernel: apps/collector/src/forwarding-lab.spec.ts
// (`ip route get` on every lab shape, and routes no shape builds) and `npm run bench:forwarding`.
import type { Fact, FactOf, RouteValue } from '@netatlas/wire';
import { addr, fdb, link as anyLink, neigh, route as anyRoute } from './spec-support/facts.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Fib, forwardOn, straightTo, walk, type Branch, type WalkContext } from './forwarding.js';
import { addrKey, parsePrefix, type IpKey, type Prefix } from './topology-ip.js';
import { addressOwners, indexHost, indexHosts } from './topology.js';

// ------------------------------------------------------------------ helpers (spec-support/facts.ts, with links up and static routes)

const link = (ifname: string, kind: string, extra: Partial<FactOf<'link'>['value']> = {}): Fact => anyLink(ifname, kind, { flags: ['UP', 'LOWER_UP'], ...extra });
const route = (dst: string, gateway: string | null, dev: string | null, extra: Partial<RouteValue> = {}): Fact => anyRoute(dst, gateway, dev, { protocol: 'static', ...extra });
const multipath = (dst: string, hops: Array<[gateway: string, dev: string, flags?: string[]]>, extra: Partial<RouteValue> = {}): Fact =>
  route(dst, null, null, { scope: 'global', nexthops: hops.map(([gateway, dev, flags = []]) => ({ gateway, dev, weight: 1, flags })), ...extra });
/** what the kernel adds to table local for an address of the node */
const local = (address: string, dev: string, len = address.includes(':') ? 128 : 32): Fact =>
  route(`${address}/${len}`, null, dev, { table: 'local', type: 'local', protocol: 'kernel', scope: 'host' });

const p = (s: string): Prefix => {
  const x = parsePrefix(s, s.includes(':') ? 'inet6' : 'inet');
  if (!x) throw new Error(`not a prefix: ${s}`);
  return x;
};
const ip = (i: number) => `192.168.0.${i}`;
const mac = (i: number) => `0e:00:00:00:00:0${i}`;

/** A node i: eth0 (mac i) with 192.168.0.i/24 and its connected route, a default route via .254 (no node). */
const node = (i: number, extra: Fact[] = []): Fact[] => [
  link('eth0', 'device', { mac: mac(i) }),
  addr('eth0', ip(i), 24),
  local(ip(i), 'eth0'),
  route('192.168.0.0/24', null, 'eth0', { protocol: 'kernel' }),
  route('default', '192.168.0.254', 'eth0', { protocol: 'boot', scope: 'global' }),
  ...extra,
];

function ctxOf(state: Record<string, Fact[]>): WalkContext {
  const hosts = indexHosts(state);
  return { fibs: new Map(hosts.map((h) => [h.name, new Fib(h)])), owners: addressOwners(hosts) };
}
/** forwardOn on one node of a state */
function on(state: Record<string, Fact[]>, name: string, dst: string): Branch[] {
  const ctx = ctxOf(state);
  return forwardOn(ctx.fibs.get(name) as Fib, p(dst), ctx.owners);
}
/** the branches in one line each: `outcome drop|toNode via gw dev d [ecmp]` */
const brief = (bs: readonly Branch[]) =>
  bs.map((b) => `${b.outcome}${b.drop ? ` ${b.drop}` : ''}${b.toNode ? ` ${b.toNode}` : ''} ${b.gateway ? `via ${b.gateway} ` : ''}dev ${b.dev ?? '-'}${b.ecmp ? ' ecmp' : ''}`);
const routeOf = (bs: readonly Branch[]) => (bs[0]?.route ? `${bs[0].route.type} ${bs[0].route.dst} ${bs[0].route.table}` : null);

// ------------------------------------------------------------------ one node: which route

describe('the route a node uses', () => {
  const peers = { b: node(2), c: node(3) };

  it('longest prefix; a whole prefix takes the most specific route containing all of it', () => {
    const a = node(1, [route('10.1.0.0/16', ip(2), 'eth0'), route('10.1.2.0/24', ip(3), 'eth0')]);
    const state = { a, ...peers };
    expect(brief(on(state, 'a', '10.1.2.9'))).toEqual(['forward c via 192.168.0.3 dev eth0']);
    expect(brief(on(state, 'a', '10.1.3.9'))).toEqual(['forward b via 192.168.0.2 dev eth0']);
    expect(brief(on(state, 'a', '10.1.2.0/24'))).toEqual(['forward c via 192.168.0.3 dev eth0']);
    // 10.1.2.0/23 is not all inside 10.1.2.0/24: the /16 covers it
    expect(brief(on(state, 'a', '10.1.2.0/23'))).toEqual(['forward b via 192.168.0.2 dev eth0']);
    expect(routeOf(on(state, 'a', '172.16.0.1'))).toBe('unicast default main');
  });

  it('IPv4: local and main are one trie under the default rules (the longest prefix of both; local first at equal length)', () => {
    const a = node(1, [
      route('10.77.0.0/16', null, 'lo', { table: 'local', type: 'local', scope: 'host' }),
      route('10.77.1.0/24', ip(2), 'eth0'),
      route(`${ip(1)}/32`, ip(3), 'eth0'), // the same length as the local route of the node's own address
    ]);
    const state = { a, ...peers };
    expect(routeOf(on(state, 'a', '10.77.1.5'))).toBe('unicast 10.77.1.0/24 main');
    expect(brief(on(state, 'a', '10.77.2.5'))).toEqual(['local dev lo']);
    expect(routeOf(on(state, 'a', ip(1)))).toBe(`local ${ip(1)}/32 local`);
  });

  it('IPv6: the local table first, whatever main holds', () => {
    const a = node(1, [
      addr('eth0', 'fd00::1', 64),
      route('fd00::/64', null, 'eth0', { metric: 256 }),
      route('fd77::/64', null, 'lo', { table: 'local', type: 'local', scope: 'host' }),
      route('fd77::/80', 'fd00::2', 'eth0', { metric: 1024 }),
    ]);
    expect(brief(on({ a }, 'a', 'fd77::5'))).toEqual(['local dev lo']);
  });

  it('the lowest metric wins among routes to one prefix, in any fact order; tos routes are not used', () => {
    const hi = route('10.2.0.0/24', ip(2), 'eth0', { metric: 100 });
    const lo = route('10.2.0.0/24', ip(3), 'eth0', { metric: 50 });
    const tos = route('10.2.0.0/24', '192.168.0.9', 'eth0', { tos: 16 });
    for (const facts of [[hi, lo, tos], [tos, lo, hi]]) {
      expect(brief(on({ a: node(1, facts), ...peers }, 'a', '10.2.0.1'))).toEqual(['forward c via 192.168.0.3 dev eth0']);
    }
  });

  it('throw goes on to the next table; with nothing there, no route', () => {
    const a = node(1, [route('10.3.0.0/24', null, null, { type: 'throw' }), route('10.3.0.0/24', ip(2), 'eth0', { table: 'default' }), route('10.4.0.0/24', null, null, { type: 'throw' })]);
    expect(brief(on({ a, ...peers }, 'a', '10.3.0.1'))).toEqual(['forward b via 192.168.0.2 dev eth0']);
    expect(routeOf(on({ a, ...peers }, 'a', '10.3.0.1'))).toBe('unicast 10.3.0.0/24 default');
    // the throw in main hides the default route of main too
    expect(on({ a }, 'a', '10.4.0.1')).toMatchObject([{ route: null, outcome: 'drop', drop: 'no-route' }]);
  });

  it('blackhole, unreachable and prohibit drop with their reason; no route at all is no-route', () => {
    const a = [
      link('eth0', 'device'),
      addr('eth0', ip(1), 24),
      route('10.5.1.0/24', null, null, { type: 'blackhole' }),
      route('10.5.2.0/24', null, null, { type: 'unreachable' }),
      route('10.5.3.0/24', null, null, { type: 'prohibit' }),
    ];
    expect(on({ a }, 'a', '10.5.1.1')).toMatchObject([{ outcome: 'drop', drop: 'blackhole', route: { type: 'blackhole' } }]);
    expect(on({ a }, 'a', '10.5.2.1')).toMatchObject([{ outcome: 'drop', drop: 'unreachable' }]);
    expect(on({ a }, 'a', '10.5.3.1')).toMatchObject([{ outcome: 'drop', drop: 'prohibit' }]);
    expect(on({ a }, 'a', '10.5.4.1')).toMatchObject([{ route: null, outcome: 'drop', drop: 'no-route' }]);
  });
});

// ------------------------------------------------------------------ one node: where the next hops lead

describe('next hops', () => {
  const peers = { b: node(2), c: node(3) };

  it('multipath: every branch, each marked ecmp', () => {
    const a = node(1, [multipath('10.6.0.0/24', [[ip(2), 'eth0'], [ip(3), 'eth0']])]);
    expect(brief(on({ a, ...peers }, 'a', '10.6.0.1'))).toEqual(['forward b via 192.168.0.2 dev eth0 ecmp', 'forward c via 192.168.0.3 dev eth0 ecmp']);
    // a single-path route is no ECMP
    expect(on({ a: node(1), ...peers }, 'a', '10.6.0.1').map((b) => b.ecmp)).toEqual([false]);
  });

  it("multipath: a dead next hop (its device is down) is never picked, the others carry everything; a linkdown one is, and loses what it gets", () => {
    const a = node(1, [
      link('eth1', 'device', { operstate: 'DOWN', flags: ['BROADCAST'] }),
      link('eth2', 'veth', { operstate: 'LOWERLAYERDOWN', flags: ['NO-CARRIER', 'UP'] }),
      multipath('10.7.0.0/24', [[ip(2), 'eth0'], ['192.168.1.2', 'eth1', ['dead', 'linkdown']]]),
      multipath('10.8.0.0/24', [[ip(2), 'eth0'], ['192.168.2.2', 'eth2', ['linkdown']]]),
      multipath('10.9.0.0/24', [['192.168.1.2', 'eth1', ['dead', 'linkdown']], ['192.168.1.3', 'eth1', ['dead', 'linkdown']]]),
    ]);
    const state = { a, ...peers };
    expect(brief(on(state, 'a', '10.7.0.1'))).toEqual(['forward b via 192.168.0.2 dev eth0']);
    expect(brief(on(state, 'a', '10.8.0.1'))).toEqual(['forward b via 192.168.0.2 dev eth0 ecmp', 'drop link-down via 192.168.2.2 dev eth2 ecmp']);
    // every next hop dead: nothing carries it
    expect(brief(on(state, 'a', '10.9.0.1'))).toEqual(['drop link-down via 192.168.1.2 dev eth1 ecmp', 'drop link-down via 192.168.1.3 dev eth1 ecmp']);
    // and straightTo agrees: the live next hop leads straight to b
    const ctx = ctxOf(state);
    expect(straightTo(ctx, ctx.fibs.get('a') as Fib, p('10.7.0.0/24'), 'b')?.dst).toBe('10.7.0.0/24');
    expect(straightTo(ctx, ctx.fibs.get('a') as Fib, p('10.8.0.0/24'), 'b')).toBeNull();
  });

  it('a route flagged linkdown, or a device that is down or without carrier, sends into a dead link; UNKNOWN with LOWER_UP carries', () => {
    const a = node(1, [
      link('eth1', 'device', { operstate: 'DOWN', flags: ['BROADCAST'] }),
      link('tun0', 'tun', { operstate: 'UNKNOWN', flags: ['UP', 'LOWER_UP'] }),
      link('tun1', 'tun', { operstate: 'UNKNOWN', flags: ['NO-CARRIER', 'UP'] }),
      route('10.10.0.0/24', ip(2), 'eth0', { flags: ['linkdown'] }),
      route('10.11.0.0/24', '192.168.1.2', 'eth1'),
      route('10.12.0.0/24', null, 'tun0'),
      route('10.13.0.0/24', null, 'tun1'),
    ]);
    expect(on({ a, ...peers }, 'a', '10.10.0.1')).toMatchObject([{ outcome: 'drop', drop: 'link-down' }]);
    expect(on({ a, ...peers }, 'a', '10.11.0.1')).toMatchObject([{ outcome: 'drop', drop: 'link-down' }]);
    expect(on({ a, ...peers }, 'a', '10.12.0.1')).toMatchObject([{ outcome: 'forward', toAddress: '10.12.0.1', toNode: null }]);
    expect(on({ a, ...peers }, 'a', '10.13.0.1')).toMatchObject([{ outcome: 'drop', drop: 'link-down' }]);
  });

  it("the gateway's neighbor entry FAILED or INCOMPLETE: not reachable; STALE or none yet: it is", () => {
    const a = (state: string[] | null) => node(1, [route('10.14.0.0/24', ip(2), 'eth0'), ...(state ? [neigh('eth0', ip(2), state.includes('FAILED') || state.includes('INCOMPLETE') ? null : mac(2), { state })] : [])]);
    for (const bad of [['FAILED'], ['INCOMPLETE']]) {
      expect(on({ a: a(bad), ...peers }, 'a', '10.14.0.1')).toMatchObject([{ outcome: 'drop', drop: 'neighbor-failed', neighbor: { state: bad } }]);
    }
    expect(on({ a: a(['STALE']), ...peers }, 'a', '10.14.0.1')).toMatchObject([{ outcome: 'forward', toNode: 'b', neighbor: { state: ['STALE'] } }]);
    expect(on({ a: a(null), ...peers }, 'a', '10.14.0.1')).toMatchObject([{ outcome: 'forward', toNode: 'b', neighbor: null }]);
    // on the link itself (no gateway): the destination's own entry
    const onLink = node(1, [neigh('eth0', ip(3), null, { state: ['FAILED'] })]);
    expect(on({ a: onLink, ...peers }, 'a', ip(3))).toMatchObject([{ outcome: 'drop', drop: 'neighbor-failed' }]);
    expect(on({ a: onLink, ...peers }, 'a', ip(2))).toMatchObject([{ outcome: 'forward', toAddress: ip(2), toNode: 'b' }]);
  });

  it('a default route to a router netatlas does not know: forwarded to no known node, and the walk leaves', () => {
    const state = { a: node(1), ...peers };
    expect(on(state, 'a', '8.8.8.8')).toMatchObject([{ outcome: 'forward', gateway: '192.168.0.254', toAddress: '192.168.0.254', toNode: null }]);
    expect(walk(ctxOf(state), 'a', p('8.8.8.8/32'), 'b')).toMatchObject({ arrived: false, branches: [{ end: 'left', at: 'a' }] });
  });
});

// ------------------------------------------------------------------ local delivery

describe('local delivery', () => {
  it("the node's own address (table local), and IPv6's subnet-router anycast", () => {
    const a = node(1, [addr('eth0', 'fd00::1', 64), route('fd00::/64', null, 'eth0', { metric: 256 }), local('fd00::1', 'eth0'), route('fd00::/128', null, 'eth0', { table: 'local', type: 'anycast', scope: 'global' })]);
    expect(on({ a }, 'a', ip(1))).toMatchObject([{ outcome: 'local', dev: 'eth0', route: { type: 'local', table: 'local' } }]);
    expect(on({ a }, 'a', 'fd00::1')).toMatchObject([{ outcome: 'local' }]);
    expect(on({ a }, 'a', 'fd00::')).toMatchObject([{ outcome: 'local', route: { type: 'anycast' } }]);
    expect(on({ a }, 'a', 'fd00::2')).toMatchObject([{ outcome: 'forward', toAddress: 'fd00::2', toNode: null }]);
  });

  it("a pod's veth (Calico's /32) and a pod bridge deliver to the node's own pods", () => {
    const calico = node(1, [link('cali1', 'veth', { linkNetnsId: 0 }), route('10.48.1.5/32', null, 'cali1'), route('10.48.1.0/26', null, null, { type: 'blackhole', protocol: 'bird' })]);
    expect(on({ a: calico }, 'a', '10.48.1.5')).toMatchObject([{ outcome: 'local', dev: 'cali1', toNode: null }]);
    expect(on({ a: calico }, 'a', '10.48.1.6')).toMatchObject([{ outcome: 'drop', drop: 'blackhole' }]);
    const bridge = node(1, [link('cni0', 'bridge'), link('veth1', 'veth', { master: 'cni0', linkNetnsId: 0 }), addr('cni0', '10.244.1.1', 24), route('10.244.1.0/24', null, 'cni0', { protocol: 'kernel' })]);
    expect(on({ a: bridge }, 'a', '10.244.1.7')).toMatchObject([{ outcome: 'local', dev: 'cni0' }]);
    expect(on({ a: bridge }, 'a', '10.244.1.0/24')).toMatchObject([{ outcome: 'local', dev: 'cni0' }]);
  });
});

// ------------------------------------------------------------------ vxlan and tunnels

describe('vxlan (flannel)', () => {
  const vx = (i: number, extra: Partial<NonNullable<FactOf<'link'>['value']['vxlan']>> = {}) =>
    link('flannel.1', 'vxlan', { mac: `0e:00:00:00:01:0${i}`, mtu: 1450, operstate: 'UNKNOWN', vxlan: { id: 1, local: ip(i), remote: null, port: 8472, dev: 'eth0', learning: false, ...extra } });
  const vmac = (i: number) => `0e:00:00:00:01:0${i}`;
  /** flannel node i: VTEP 10.244.i.0 on flannel.1, a route, neighbor and fdb entry per peer */
  const fl = (i: number, peers: number[], extra: Fact[] = [], opts: { neighbors?: boolean; fdbs?: boolean; vtep?: (p: number) => string } = {}): Fact[] =>
    node(i, [
      vx(i),
      addr('flannel.1', `10.244.${i}.0`, 32),
      local(`10.244.${i}.0`, 'flannel.1'),
      ...peers.flatMap((q) => [
        route(`10.244.${q}.0/24`, `10.244.${q}.0`, 'flannel.1', { protocol: 'boot', scope: 'global', flags: ['onlink'] }),
        ...(opts.neighbors === false ? [] : [neigh('flannel.1', `10.244.${q}.0`, vmac(q))]),
        ...(opts.fdbs === false ? [] : [fdb('flannel.1', vmac(q), opts.vtep?.(q) ?? ip(q))]),
      ]),
      ...extra,
    ]);
  const healthy = () => ({ a: fl(1, [2, 3]), b: fl(2, [1, 3]), c: fl(3, [1, 2]) });

  it('neighbor gives the MAC, the fdb entry the VTEP: encapsulated to the node that owns it', () => {
    expect(on(healthy(), 'a', '10.244.2.9')).toMatchObject([
      { outcome: 'forward', gateway: '10.244.2.0', dev: 'flannel.1', encap: 'vxlan', innerMac: vmac(2), toAddress: ip(2), toNode: 'b', neighbor: { lladdr: vmac(2) } },
    ]);
    expect(walk(ctxOf(healthy()), 'a', p('10.244.2.0/24'), 'b')).toMatchObject({ arrived: true });
  });

  it('no neighbor entry: no-neighbor; a MAC without fdb entry: no-fdb', () => {
    expect(on({ ...healthy(), a: fl(1, [2, 3], [], { neighbors: false }) }, 'a', '10.244.2.9')).toMatchObject([{ outcome: 'drop', drop: 'no-neighbor' }]);
    expect(on({ ...healthy(), a: fl(1, [2, 3], [], { fdbs: false }) }, 'a', '10.244.2.9')).toMatchObject([{ outcome: 'drop', drop: 'no-fdb', neighbor: { lladdr: vmac(2) } }]);
    // a FAILED neighbor gives no MAC either
    const failed = fl(1, [2, 3], [neigh('flannel.1', '10.244.2.0', null, { state: ['FAILED'] })], { neighbors: false });
    expect(on({ ...healthy(), a: failed }, 'a', '10.244.2.9')).toMatchObject([{ outcome: 'drop', drop: 'no-neighbor' }]);
  });

  it('frames the device cannot place flood: to its all-zero fdb entries, or to its remote', () => {
    const zeros = fl(1, [2, 3], [fdb('flannel.1', '00:00:00:00:00:00', ip(3)), fdb('flannel.1', '00:00:00:00:00:00', ip(2))], { fdbs: false });
    expect(on({ ...healthy(), a: zeros }, 'a', '10.244.2.9')).toMatchObject([{ outcome: 'forward', encap: 'vxlan', toAddress: ip(2), toNode: 'b' }]);
    const remote = [...fl(1, [2, 3], [], { fdbs: false }).filter((f) => !(f.kind === 'link' && f.value.ifname === 'flannel.1')), vx(1, { remote: ip(2) })];
    expect(on({ ...healthy(), a: remote }, 'a', '10.244.2.9')).toMatchObject([{ outcome: 'forward', encap: 'vxlan', toAddress: ip(2), toNode: 'b' }]);
  });

  it("the VTEP's own underlay route missing, or over a link that is down", () => {
    // the VTEP is in no subnet of the node and there is no default route
    const far = fl(1, [2], [], { vtep: () => '10.0.0.2' }).filter((f) => !(f.kind === 'route' && f.value.dst === 'default'));
    expect(on({ a: far, b: fl(2, [1]) }, 'a', '10.244.2.9')).toMatchObject([{ outcome: 'drop', drop: 'no-underlay-route' }]);
    const down = fl(1, [2]).map((f) => (f.kind === 'link' && f.value.ifname === 'eth0' ? link('eth0', 'device', { mac: mac(1), operstate: 'DOWN', flags: ['BROADCAST'] }) : f));
    expect(on({ a: down, b: fl(2, [1]) }, 'a', '10.244.2.9')).toMatchObject([{ outcome: 'drop', drop: 'link-down' }]);
  });

  it('a frame sent to a VTEP whose node does not own its MAC is dropped there (wrong-vtep), also when that node is the target', () => {
    // a's fdb sends b's MAC to c
    const state = { ...healthy(), a: fl(1, [2, 3], [], { vtep: (q) => (q === 2 ? ip(3) : ip(q)) }) };
    expect(on(state, 'a', '10.244.2.9')).toMatchObject([{ outcome: 'forward', toNode: 'c', innerMac: vmac(2) }]);
    expect(walk(ctxOf(state), 'a', p('10.244.2.0/24'), 'b')).toMatchObject({ arrived: false, branches: [{ end: 'dropped', at: 'c', drop: 'wrong-vtep' }] });
    // c's MAC to b: b receives a frame that is not its own
    const swapped = { ...healthy(), a: fl(1, [2, 3], [], { vtep: (q) => (q === 3 ? ip(2) : ip(q)) }) };
    expect(walk(ctxOf(swapped), 'a', p('10.244.3.0/24'), 'b')).toMatchObject({ arrived: false, branches: [{ end: 'dropped', at: 'b', drop: 'wrong-vtep' }] });
  });
});

describe('point-to-point tunnels', () => {
  const tunl = (remote: string | null) => link('tunl0', 'ipip', { mtu: 1480, operstate: 'UNKNOWN', flags: ['UP', 'LOWER_UP'], ipip: { local: null, remote } });

  it('ipip with a remote: the outer destination is the remote end', () => {
    const a = node(1, [tunl(ip(2)), route('10.48.2.0/26', null, 'tunl0')]);
    expect(on({ a, b: node(2) }, 'a', '10.48.2.1')).toMatchObject([{ outcome: 'forward', encap: 'tunnel', toAddress: ip(2), toNode: 'b', gateway: null }]);
  });

  it("Calico's `via <node> dev tunl0 onlink`: the gateway is the outer destination; without an underlay route to it, no-underlay-route", () => {
    const a = node(1, [tunl(null), route('10.48.2.0/26', ip(2), 'tunl0', { flags: ['onlink'], protocol: 'bird' })]);
    expect(on({ a, b: node(2) }, 'a', '10.48.2.1')).toMatchObject([{ outcome: 'forward', encap: 'tunnel', gateway: ip(2), toAddress: ip(2), toNode: 'b' }]);
    expect(walk(ctxOf({ a, b: node(2) }), 'a', p('10.48.2.0/26'), 'b')).toMatchObject({ arrived: true });
    const far = node(1, [tunl(null), route('10.48.3.0/26', '10.0.0.3', 'tunl0', { flags: ['onlink'] })]).filter((f) => !(f.kind === 'route' && f.value.dst === 'default'));
    expect(on({ a: far }, 'a', '10.48.3.1')).toMatchObject([{ outcome: 'drop', drop: 'no-underlay-route', encap: 'tunnel' }]);
  });
});

// ------------------------------------------------------------------ across nodes

describe('walk', () => {
  // a routes 10.20.3.0/24 via b; b routes it via c; c holds it on its pod bridge
  const bridge = (i: number) => [
    link('kube-bridge', 'bridge'),
    link(`veth${i}`, 'veth', { master: 'kube-bridge', linkNetnsId: 0 }),
    addr('kube-bridge', `10.20.${i}.1`, 24),
    local(`10.20.${i}.1`, 'kube-bridge'),
    route(`10.20.${i}.0/24`, null, 'kube-bridge', { protocol: 'kernel' }),
  ];
  const three = () => ({
    a: node(1, [...bridge(1), route('10.20.3.0/24', ip(2), 'eth0')]),
    b: node(2, [...bridge(2), route('10.20.3.0/24', ip(3), 'eth0')]),
    c: node(3, bridge(3)),
  });

  it('across 3 nodes: through the transit node to the target; without a target, delivered on it', () => {
    const ctx = ctxOf(three());
    const r = walk(ctx, 'a', p('10.20.3.0/24'), 'c');
    expect(r).toMatchObject({ arrived: true, branches: [{ end: 'arrived', at: 'c' }] });
    expect(r.branches[0]?.steps.map((s) => [s.node, s.branch.toNode])).toEqual([['a', 'b'], ['b', 'c']]);
    expect(walk(ctx, 'a', p('10.20.3.7/32'))).toMatchObject({ arrived: false, branches: [{ end: 'delivered-elsewhere', at: 'c' }] });
    // b's own pods: b delivers them, not c
    const state = three();
    state.a.push(route('10.20.2.0/24', ip(2), 'eth0'));
    expect(walk(ctxOf(state), 'a', p('10.20.2.0/24'), 'c')).toMatchObject({ branches: [{ end: 'delivered-elsewhere', at: 'b' }] });
  });

  it('a receiving node whose uplink is down: lost there, the target too; a transit node whose uplink is down likewise', () => {
    const down = (facts: Fact[], i: number) => facts.map((f) => (f.kind === 'link' && f.value.ifname === 'eth0' ? link('eth0', 'device', { mac: mac(i), operstate: 'DOWN', flags: ['BROADCAST'] }) : f));
    const state = three();
    const targetDown = { ...state, c: down(state.c, 3) };
    expect(walk(ctxOf(targetDown), 'a', p('10.20.3.0/24'), 'c')).toMatchObject({ arrived: false, branches: [{ end: 'dropped', at: 'c', drop: 'link-down' }] });
    const transitDown = { ...state, b: down(state.b, 2) };
    expect(walk(ctxOf(transitDown), 'a', p('10.20.3.0/24'), 'c')).toMatchObject({ arrived: false, branches: [{ end: 'dropped', at: 'b', drop: 'link-down' }] });
    // straightTo says no as well when the target's address is on a link that is down
    const direct = { ...targetDown, a: node(1, [route('10.20.3.0/24', ip(3), 'eth0')]) };
    const ctx = ctxOf(direct);
    expect(straightTo(ctx, ctx.fibs.get('a') as Fib, p('10.20.3.0/24'), 'c')).toBeNull();
    expect(straightTo(ctxOf(three()), ctxOf(three()).fibs.get('b') as Fib, p('10.20.3.0/24'), 'c')?.gateway).toBe(ip(3));
  });

  it('dropped on the way, left to a router, a loop', () => {
    const state = three();
    // b drops it
    const blackholed = { ...state, b: node(2, [route('10.20.3.0/24', null, null, { type: 'blackhole' })]) };
    expect(walk(ctxOf(blackholed), 'a', p('10.20.3.0/24'), 'c')).toMatchObject({ branches: [{ end: 'dropped', at: 'b', drop: 'blackhole' }] });
    // b has no route: its default route leads out of the known nodes
    expect(walk(ctxOf({ ...state, b: node(2) }), 'a', p('10.20.3.0/24'), 'c')).toMatchObject({ branches: [{ end: 'left', at: 'b' }] });
    // b sends it back to a
    const loop = { ...state, b: node(2, [route('10.20.3.0/24', ip(1), 'eth0')]) };
    const r = walk(ctxOf(loop), 'a', p('10.20.3.0/24'), 'c');
    expect(r).toMatchObject({ arrived: false, branches: [{ end: 'loop', at: 'a' }] });
    expect(r.branches[0]?.steps.map((s) => s.node)).toEqual(['a', 'b']);
  });

  it('multipath across nodes: each branch walked; one through a transit node that drops it spoils the arrival', () => {
    const state = { ...three(), a: node(1, [multipath('10.20.3.0/24', [[ip(2), 'eth0'], [ip(3), 'eth0']])]) };
    expect(walk(ctxOf(state), 'a', p('10.20.3.0/24'), 'c')).toMatchObject({ arrived: true, branches: [{ end: 'arrived' }, { end: 'arrived' }] });
    const bad = { ...state, b: node(2, [route('10.20.3.0/24', null, null, { type: 'unreachable' })]) };
    expect(walk(ctxOf(bad), 'a', p('10.20.3.0/24'), 'c')).toMatchObject({ arrived: false, branches: [{ end: 'dropped', at: 'b', drop: 'unreachable' }, { end: 'arrived', at: 'c' }] });
  });

  it('a node without facts (no collector) is the end: arrived when it is the target, else left', () => {
    const state = { a: node(1, [route('10.20.3.0/24', ip(3), 'eth0')]) };
    const ctx: WalkContext = { ...ctxOf(state), owners: new Map([...ctxOf(state).owners, [addrKey(ip(3)) as IpKey, 'c']]) };
    expect(walk(ctx, 'a', p('10.20.3.0/24'), 'c')).toMatchObject({ arrived: true });
    expect(walk(ctx, 'a', p('10.20.3.0/24'), 'x')).toMatchObject({ arrived: false, branches: [{ end: 'left', at: 'c' }] });
  });
});

// ------------------------------------------------------------------ real lab states

describe.each(['kube-router', 'calico', 'flannel'] as const)('a real %s lab (topology fixture)', (style) => {
  type State = Record<string, Fact[]>;
  interface LabNode { name: string; underlayIp: string; podCidr: string; pods: { ip: string; hostVeth: string }[] }
  const read = <T>(path: string): T => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as T;
  const state = read<State>(`./fixtures/topology/${style}.json`);
  const lab = read<{ status: { nodes: LabNode[] } }>(`./fixtures/topology/${style}.lab.json`).status.nodes;

  it("every node delivers every other node's pod range to that node, and its own pods to their interfaces", () => {
    const ctx = ctxOf(state);
    for (const a of lab) {
      const fib = ctx.fibs.get(a.name) as Fib;
      for (const b of lab) {
        if (b === a) continue;
        expect(walk(ctx, a.name, p(b.podCidr), b.name), `${a.name} -> ${b.podCidr}`).toMatchObject({ arrived: true });
        for (const pod of b.pods) expect(walk(ctx, a.name, p(pod.ip)), `${a.name} -> ${pod.ip}`).toMatchObject({ branches: [{ end: 'delivered-elsewhere', at: b.name }] });
        const [first] = forwardOn(fib, p(b.podCidr), ctx.owners);
        expect(first).toMatchObject(style === 'flannel' ? { encap: 'vxlan', toAddress: b.underlayIp, toNode: b.name } : { encap: null, gateway: b.underlayIp, toNode: b.name });
      }
      for (const pod of a.pods) expect(forwardOn(fib, p(pod.ip), ctx.owners)).toMatchObject([{ outcome: 'local', dev: style === 'calico' ? pod.hostVeth : style === 'flannel' ? 'cni0' : 'kube-bridge' }]);
      expect(forwardOn(fib, p(a.underlayIp), ctx.owners)).toMatchObject([{ outcome: 'local', route: { type: 'local' } }]);
      expect(forwardOn(fib, p('8.8.8.8'), ctx.owners)).toMatchObject([{ outcome: 'forward', toNode: null, route: { dst: 'default' } }]);
    }
  });

  it('indexes the same host the same way however its facts are ordered', () => {
    const [name, facts] = Object.entries(state)[0] as [string, Fact[]];
    const fwd = new Fib(indexHost(name, facts));
    const rev = new Fib(indexHost(name, [...facts].reverse()));
    for (const b of lab) expect(rev.lookup(p(b.podCidr))).toEqual(fwd.lookup(p(b.podCidr)));
  });
});
