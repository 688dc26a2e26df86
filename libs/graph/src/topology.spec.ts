// The topology derivation on REAL node state: snapshots the collector took of 3-node lab clusters
// of each style (`npm run fixtures:topology`), checked against the lab's own account of itself
// (<style>.lab.json: node IPs, pod CIDRs, pods with their IPs and veths, BGP sessions). Then the
// same snapshots with something broken (routes gone, a wrong gateway, a session down, a node
// missing), hand-made cases the lab cannot build, the patch property, and a 200-node run.
import { makeFact, type Fact, type FactOf, type RouteValue, type TopoEdge, type Topology } from '@netatlas/wire';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIp, formatPrefix, isGroupMac, mask, parseIp, parsePrefix } from './topology-ip.js';
import { addr, link, route } from './spec-support/facts.js';
import { applyTopologyPatch, deriveTopology, diffTopology, isEmptyTopologyPatch } from './topology.js';

type Style = 'kube-router' | 'calico' | 'flannel';
type Fixture = Record<string, Fact[]>;
interface LabNode {
  name: string;
  underlayIp: string;
  podCidr: string;
  bgpSessions: { peer: string; state: string }[];
  pods: { name: string; ip: string; hostVeth: string }[];
}
interface LabJson {
  status: { style: Style; underlay: { subnet: string }; nodes: LabNode[] };
}

const read = <T>(file: string): T => JSON.parse(readFileSync(new URL(`./fixtures/topology/${file}`, import.meta.url), 'utf8')) as T;
const fixture = (style: Style): Fixture => read<Fixture>(`${style}.json`);
const labOf = (style: Style): LabNode[] => read<LabJson>(`${style}.lab.json`).status.nodes;

const ofType = (t: Topology, type: string) => t.nodes.filter((n) => n.type === type);
const edgesOf = (t: Topology, type: TopoEdge['type']) => t.edges.filter((e) => e.type === type);
const node = (t: Topology, id: string) => t.nodes.find((n) => n.id === id);
const isRoute = (f: Fact): f is FactOf<'route'> => f.kind === 'route';

/** A copy of a fixture with one node's facts rewritten. */
function edit(fx: Fixture, nodeName: string, fn: (facts: Fact[]) => Fact[]): Fixture {
  const out = structuredClone(fx);
  out[nodeName] = fn(out[nodeName] ?? []);
  return out;
}
/** Replace a route fact's value (and so its key) in place. */
const withRoute = (facts: Fact[], dst: string, change: (r: RouteValue) => RouteValue): Fact[] =>
  facts.map((f) => (isRoute(f) && f.value.table === 'main' && f.value.dst === dst ? makeFact('route', change(f.value)) : f));

const POD_IP: Record<Style, (index: number) => RegExp> = {
  'kube-router': (i) => new RegExp(`^10\\.233\\.${i}\\.\\d+$`),
  flannel: (i) => new RegExp(`^10\\.244\\.${i}\\.\\d+$`),
  calico: () => /^10\.48\.\d+\.\d+$/,
};

describe.each(['kube-router', 'calico', 'flannel'] as const)('deriveTopology on a real %s lab', (style) => {
  const fx = fixture(style);
  const lab = labOf(style);
  const t = deriveTopology(fx);
  const byIp = new Map(lab.map((n) => [n.underlayIp, n]));

  it('the fixture is the 3-node lab it claims to be', () => {
    expect(Object.keys(fx).sort()).toEqual(lab.map((n) => n.name).sort());
    expect(lab).toHaveLength(3);
  });

  it('3 hosts with style, node IP and pod CIDR', () => {
    expect(ofType(t, 'host').map((h) => h.id)).toEqual(lab.map((n) => `host:${n.name}`).sort());
    for (const n of lab) {
      expect(node(t, `host:${n.name}`)?.data).toMatchObject({ cniStyle: style, nodeIps: [`${n.underlayIp}/24`], podCidrs: [n.podCidr] });
    }
  });

  it('2 pods per host, each behind its veth with the IP the lab gave it', () => {
    for (const [i, n] of lab.entries()) {
      const pods = ofType(t, 'pod').filter((p) => p.host === n.name);
      expect(pods).toHaveLength(2);
      const got = pods.map((p) => ({ veth: p.data['veth'], ips: p.data['ips'], parent: p.parent, label: p.label }));
      const want = n.pods.map((p) => ({ veth: p.hostVeth, ips: [p.ip], parent: `veth:${n.name}/${p.hostVeth}`, label: p.ip }));
      expect(got.sort((a, b) => String(a.veth).localeCompare(String(b.veth)))).toEqual(want.sort((a, b) => a.veth.localeCompare(b.veth)));
      for (const p of n.pods) expect(p.ip).toMatch(POD_IP[style](i + 1));
    }
    // the node's own uplink (the lab's eth0 is a veth into the underlay namespace) is no pod
    expect(t.nodes.some((x) => x.id.endsWith('/eth0'))).toBe(false);
    expect(edgesOf(t, 'veth')).toHaveLength(6);
  });

  it('pods carry their Kubernetes names when the pods by IP are given, and nothing else changes', () => {
    const pods = new Map(lab.flatMap((n) => n.pods.map((p) => [p.ip, { namespace: 'default', name: p.name }] as const)));
    // one IP nobody has: ignored
    pods.set('10.255.255.1', { namespace: 'default', name: 'ghost' });
    const named = deriveTopology(fx, { pods });
    for (const n of lab) {
      for (const p of n.pods) {
        const pod = node(named, `pod:${n.name}/${p.hostVeth}`)!;
        expect(pod.label).toBe(`default/${p.name}`);
        expect(pod.data['k8s']).toEqual({ namespace: 'default', name: p.name });
      }
    }
    expect(named.nodes.map((x) => x.id)).toEqual(t.nodes.map((x) => x.id));
    expect(named.edges).toEqual(t.edges);
  });

  it('bridges and tunnels', () => {
    const bridge = { 'kube-router': 'kube-bridge', flannel: 'cni0', calico: null }[style];
    for (const n of lab) {
      const bridges = ofType(t, 'bridge').filter((b) => b.host === n.name);
      const tunnels = ofType(t, 'tunnel').filter((b) => b.host === n.name);
      const veths = ofType(t, 'veth').filter((v) => v.host === n.name);
      expect(veths).toHaveLength(2);
      if (bridge) {
        expect(bridges.map((b) => b.label)).toEqual([bridge]);
        expect(bridges[0]?.data).toMatchObject({ podBridge: true, addresses: [n.podCidr.replace(/\.0\/24$/, '.1/24')] });
        for (const v of veths) expect(v.parent).toBe(`bridge:${n.name}/${bridge}`);
      } else {
        expect(bridges).toEqual([]);
        for (const v of veths) {
          expect(v.parent).toBe(`host:${n.name}`);
          expect(v.label).toMatch(/^cali[0-9a-f]{11}$/);
        }
      }
      if (style === 'flannel') {
        expect(tunnels.map((x) => x.id)).toEqual([`tunnel:${n.name}/flannel.1`]);
        expect(tunnels[0]?.data).toMatchObject({ kind: 'vxlan', vni: 1, local: n.underlayIp, port: 8472, mtu: 1450, dev: 'eth0' });
        expect(tunnels[0]?.parent).toBe(`host:${n.name}`);
      } else {
        expect(tunnels).toEqual([]); // this kernel has no ipip: the lab's calico routes natively
      }
    }
  });

  it('BGP peerings: one Established edge per session, to the host that owns the peer address', () => {
    const bgp = edgesOf(t, 'bgp');
    if (style === 'flannel') {
      expect(bgp).toEqual([]);
      return;
    }
    expect(bgp).toHaveLength(6);
    for (const n of lab) {
      const mine = bgp.filter((e) => e.source === `host:${n.name}`);
      expect(mine.map((e) => e.target).sort()).toEqual(n.bgpSessions.map((s) => `host:${byIp.get(s.peer)?.name}`).sort());
      for (const e of mine) {
        expect(e.data).toMatchObject({ daemon: style === 'calico' ? 'bird' : 'gobgp', state: 'established', peerAs: 64512, localAddress: n.underlayIp });
        expect(byIp.get(e.data['peerAddress'] as string)?.name).toBe(e.target.slice('host:'.length));
        expect((e.data['prefixes'] as { received: number }).received).toBe(1);
        expect(Date.parse(e.data['since'] as string)).not.toBeNaN();
      }
    }
    expect(ofType(t, 'external')).toEqual([]);
  });

  it("route edges: each host routes each other host's pod CIDR via that host", () => {
    const routes = edgesOf(t, 'route');
    expect(routes).toHaveLength(6);
    for (const a of lab) {
      for (const b of lab) {
        if (a === b) continue;
        const e = routes.filter((r) => r.source === `host:${a.name}` && r.target === `host:${b.name}`);
        expect(e, `${a.name} -> ${b.name}`).toHaveLength(1);
        const vtepIp = formatIp(mask(parsePrefix(b.podCidr)!.ip, 24));
        expect(e[0]?.data).toMatchObject({
          dst: b.podCidr,
          dstHost: b.name,
          nextHopHost: b.name,
          nextHopMismatch: false,
          ...(style === 'flannel'
            ? { gateway: vtepIp, dev: 'flannel.1', vtep: b.underlayIp }
            : { gateway: b.underlayIp, dev: 'eth0', protocol: style === 'calico' ? 'bird' : '17' }),
        });
      }
    }
  });

  it('tunnel edges: flannel.1 to every remote VTEP', () => {
    const tunnels = edgesOf(t, 'tunnel');
    if (style !== 'flannel') {
      expect(tunnels).toEqual([]);
      return;
    }
    expect(tunnels).toHaveLength(6);
    for (const a of lab) {
      const mine = tunnels.filter((e) => e.source === `tunnel:${a.name}/flannel.1`);
      expect(mine.map((e) => e.target).sort()).toEqual(lab.filter((b) => b !== a).map((b) => `host:${b.name}`).sort());
      for (const e of mine) {
        const b = lab.find((x) => `host:${x.name}` === e.target)!;
        expect(e.data).toMatchObject({ dst: b.underlayIp, vni: 1, port: 8472, remoteHost: b.name, remoteTunnel: `tunnel:${b.name}/flannel.1` });
      }
    }
    expect(ofType(t, 'vtep')).toEqual([]);
  });

  it('underlay: the 3 hosts around one subnet node', () => {
    expect(ofType(t, 'subnet').map((s) => s.id)).toEqual(['subnet:172.20.0.0/24']);
    expect(node(t, 'subnet:172.20.0.0/24')?.data['hosts']).toEqual(lab.map((n) => n.name).sort());
    const underlay = edgesOf(t, 'underlay');
    expect(underlay.map((e) => e.source).sort()).toEqual(lab.map((n) => `host:${n.name}`).sort());
    for (const e of underlay) expect(e.data).toMatchObject({ subnet: '172.20.0.0/24', ifnames: ['eth0'] });
  });

  it('is deterministic: fact order, host order and input form do not matter', () => {
    const shuffled = new Map(
      Object.entries(fx)
        .reverse()
        .map(([k, facts]) => [k, [...facts].reverse()] as const),
    );
    const again = deriveTopology(shuffled);
    expect(JSON.stringify(again)).toBe(JSON.stringify(t));
    expect(isEmptyTopologyPatch(diffTopology(t, again))).toBe(true);
    const ids = [...t.nodes, ...t.edges].map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(t.nodes.map((n) => n.id)).toEqual(t.nodes.map((n) => n.id).sort());
    // every edge joins nodes that exist, every parent exists
    const nodeIds = new Set(t.nodes.map((n) => n.id));
    for (const e of t.edges) expect([nodeIds.has(e.source), nodeIds.has(e.target)], e.id).toEqual([true, true]);
    for (const n of t.nodes) if (n.parent !== null) expect(nodeIds.has(n.parent), n.id).toBe(true);
  });

  it("removing a host's routes removes its route edges, and only those", () => {
    const [a] = lab as [LabNode];
    const without = deriveTopology(edit(fx, a.name, (fs) => fs.filter((f) => !(isRoute(f) && lab.some((b) => b !== a && b.podCidr === f.value.dst)))));
    const routes = edgesOf(without, 'route');
    expect(routes).toHaveLength(4);
    expect(routes.some((e) => e.source === `host:${a.name}`)).toBe(false);
    const patch = diffTopology(t, without);
    expect(patch.removeEdges).toEqual(edgesOf(t, 'route').filter((e) => e.source === `host:${a.name}`).map((e) => e.id));
    expect(patch.upsertEdges).toEqual([]);
    expect(applyTopologyPatch(t, patch)).toEqual(without);
  });

  it('a route via a host that does not own the destination is flagged nextHopMismatch', () => {
    const [a, b, c] = lab as [LabNode, LabNode, LabNode];
    const broken =
      style === 'flannel'
        ? // flannel: b's VTEP MAC now points at c's underlay IP, so b's pods are sent to c
          edit(fx, a.name, (fs) =>
            fs.map((f) => {
              if (f.kind !== 'fdb' || f.value.dev !== 'flannel.1' || f.value.dst !== b.underlayIp) return f;
              return makeFact('fdb', { ...f.value, dst: c.underlayIp });
            }),
          )
        : edit(fx, a.name, (fs) => withRoute(fs, b.podCidr, (r) => ({ ...r, gateway: c.underlayIp })));
    const edges = edgesOf(deriveTopology(broken), 'route').filter((e) => e.source === `host:${a.name}` && e.data['dstHost'] === b.name);
    expect(edges).toHaveLength(1);
    expect(edges[0]).toMatchObject({ target: `host:${c.name}`, data: { nextHopHost: c.name, nextHopMismatch: true, dst: b.podCidr } });
  });

  it('a route via an address no host owns goes to an external next hop, flagged', () => {
    const [a, b] = lab as [LabNode, LabNode];
    const gw = style === 'flannel' ? '10.244.99.0' : '172.20.0.99';
    const broken = edit(fx, a.name, (fs) => withRoute(fs, b.podCidr, (r) => ({ ...r, gateway: gw })));
    const got = deriveTopology(broken);
    const e = edgesOf(got, 'route').find((x) => x.source === `host:${a.name}` && x.data['dstHost'] === b.name);
    expect(e).toMatchObject({ target: `external:${gw}`, data: { nextHopHost: null, nextHopMismatch: true } });
    expect(node(got, `external:${gw}`)?.data).toMatchObject({ roles: ['next-hop'], seenBy: [a.name] });
  });

  it('a multipath route gives an edge per nexthop', () => {
    const [a, b, c] = lab as [LabNode, LabNode, LabNode];
    if (style === 'flannel') return; // onlink vxlan routes are single-path
    const broken = edit(fx, a.name, (fs) =>
      withRoute(fs, b.podCidr, (r) => ({
        ...r,
        gateway: null,
        dev: null,
        nexthops: [
          { gateway: b.underlayIp, dev: 'eth0', weight: 1, flags: [] },
          { gateway: c.underlayIp, dev: 'eth0', weight: 1, flags: [] },
        ],
      })),
    );
    const edges = edgesOf(deriveTopology(broken), 'route').filter((e) => e.source === `host:${a.name}` && e.data['dstHost'] === b.name);
    expect(edges.map((e) => [e.target, e.data['nextHopMismatch'], e.data['weight']])).toEqual([
      [`host:${b.name}`, false, 1],
      [`host:${c.name}`, true, 1],
    ]);
  });

  // flannel has no BGP sessions: this case exists for the BGP styles only
  if (style !== 'flannel') {
  it('a session that is not Established shows its state', () => {
    const [a, b] = lab as [LabNode, LabNode];
    const down = edit(fx, a.name, (fs) =>
      fs.map((f) => (f.kind === 'bgpSession' && f.value.peerAddress === b.underlayIp ? makeFact('bgpSession', { ...f.value, state: 'active', prefixesReceived: 0 }) : f)),
    );
    const got = deriveTopology(down);
    const e = edgesOf(got, 'bgp').find((x) => x.source === `host:${a.name}` && x.target === `host:${b.name}`);
    expect(e?.data).toMatchObject({ state: 'active', prefixes: { received: 0 } });
    const patch = diffTopology(t, got);
    expect(patch.upsertEdges.map((x) => x.id)).toEqual([e?.id]);
    expect([patch.removeEdges, patch.upsertNodes, patch.removeNodes]).toEqual([[], [], []]);
  });
  }

  it('a host missing from the input: its peers become external, routes to its pods unmatched', () => {
    const [a, , c] = lab as [LabNode, LabNode, LabNode];
    const partial: Fixture = { ...fx };
    delete partial[c.name];
    const got = deriveTopology(partial);
    expect(ofType(got, 'host')).toHaveLength(2);
    expect(got.nodes.some((n) => n.host === c.name)).toBe(false);
    expect(edgesOf(got, 'route')).toHaveLength(2); // a <-> b only: c's pod CIDR belongs to no known host
    if (style === 'flannel') {
      // the fdb entry towards c's VTEP now leads to an unknown VTEP
      expect(node(got, `vtep:${c.underlayIp}`)?.data).toMatchObject({ seenBy: lab.filter((n) => n !== c).map((n) => n.name) });
      expect(edgesOf(got, 'tunnel').find((e) => e.source === `tunnel:${a.name}/flannel.1` && e.data['dst'] === c.underlayIp)?.target).toBe(`vtep:${c.underlayIp}`);
      return;
    }
    const ext = node(got, `external:${c.underlayIp}`);
    expect(ext).toMatchObject({ type: 'external', label: `${c.underlayIp} (AS 64512)`, data: { roles: ['bgp-peer'], asns: [64512] } });
    const e = edgesOf(got, 'bgp').find((x) => x.source === `host:${a.name}` && x.data['peerAddress'] === c.underlayIp);
    expect(e?.target).toBe(`external:${c.underlayIp}`);
    expect(edgesOf(got, 'bgp').filter((x) => x.target.startsWith('external:'))).toHaveLength(2);
    // and the patch from the full topology says exactly that
    expect(applyTopologyPatch(t, diffTopology(t, got))).toEqual(got);
  });

  it('Kubernetes pod CIDRs, when given, replace the detected ones', () => {
    const [a] = lab as [LabNode];
    const got = deriveTopology(fx, { podCidrs: { [a.name]: ['10.250.0.0/16'] } });
    expect(node(got, `host:${a.name}`)?.data['podCidrs']).toEqual(['10.250.0.0/16']);
    // the other hosts' routes to a's detected CIDR no longer land in a's pod CIDR
    expect(edgesOf(got, 'route').filter((e) => e.target === `host:${a.name}`)).toHaveLength(0);
  });
});

describe('deriveTopology: pods without an IP, and the bridge side of it', () => {
  it('a pod whose MAC the bridge has forgotten still exists, labelled by its veth', () => {
    const fx = fixture('kube-router');
    const lab = labOf('kube-router');
    const [a] = lab as [LabNode];
    const aged = edit(fx, a.name, (fs) => fs.filter((f) => !(f.kind === 'fdb' && f.value.master !== null && f.value.state === null)));
    const t = deriveTopology(aged);
    const pods = ofType(t, 'pod').filter((p) => p.host === a.name);
    expect(pods.map((p) => [p.label, p.data['ips']])).toEqual(a.pods.map((p) => [p.hostVeth, []]).sort());
    expect(node(t, `bridge:${a.name}/kube-bridge`)?.data['unattributedIps']).toEqual(a.pods.map((p) => p.ip).sort());
  });

  it("the CNI's records name each pod's address without traffic; they also explain the bridge's neighbors", () => {
    const fx = fixture('kube-router');
    const [a] = labOf('kube-router') as [LabNode];
    const cni = (address: string, hostIfnames: string[], network = 'mynet', containerId = `c-${address}`): Fact =>
      makeFact('cniAddr', { network, address, prefixLen: 24, containerId, ifname: 'eth0', hostIfnames, netns: null, recordedBy: ['host-local', 'result'] });
    const aged = edit(fx, a.name, (fs) => [
      ...fs.filter((f) => !(f.kind === 'fdb' && f.value.master !== null && f.value.state === null)),
      ...a.pods.map((p) => cni(p.ip, ['kube-bridge', p.hostVeth])),
      // a second network's address on the first pod (outside the pod CIDR: not its pod IP), and an
      // allocation no cached result names a veth for (host-local alone): neither is drawn
      cni('192.168.77.5', ['br-second', a.pods[0]!.hostVeth], 'second', 'c-x'),
      cni('10.233.1.99', []),
    ]);
    const t = deriveTopology(aged);
    const pods = ofType(t, 'pod').filter((p) => p.host === a.name);
    expect(pods.map((p) => [p.data['veth'], p.label, p.data['ips'], p.data['ipSources']])).toEqual(
      a.pods.map((p) => [p.hostVeth, p.ip, [p.ip], ['cni']]).sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    expect(node(t, `bridge:${a.name}/kube-bridge`)?.data['unattributedIps']).toEqual([]);
    // with the fdb as captured too, both ways agree and both are named
    const both = deriveTopology(edit(fx, a.name, (fs) => [...fs, ...a.pods.map((p) => cni(p.ip, ['kube-bridge', p.hostVeth]))]));
    for (const p of ofType(both, 'pod').filter((x) => x.host === a.name)) expect(p.data['ipSources']).toEqual(['cni', 'fdb+neighbor']);
  });
});

describe('deriveTopology: cases the lab cannot build', () => {
  it("kube-router's IPIP overlay: device routes into point-to-point tunnels lead to the tunnel's remote end", () => {
    const host = (i: number, peer: number): Fact[] => [
      link('eth0', 'device'),
      link('kube-bridge', 'bridge'),
      link(`tun-${peer}`, 'ipip', { ipip: { local: `192.168.0.${i}`, remote: `192.168.0.${peer}` } }),
      addr('eth0', `192.168.0.${i}`, 24),
      addr('kube-bridge', `10.233.${i}.1`, 24),
      route(`10.233.${peer}.0/24`, null, `tun-${peer}`),
    ];
    const t = deriveTopology({ a: host(1, 2), b: host(2, 1) });
    expect(edgesOf(t, 'route').map((e) => [e.source, e.target, e.data['nextHopHost'], e.data['nextHopMismatch']])).toEqual([
      ['host:a', 'host:b', 'b', false],
      ['host:b', 'host:a', 'a', false],
    ]);
    expect(edgesOf(t, 'tunnel').map((e) => [e.source, e.target, e.data['remoteTunnel']])).toEqual([
      ['tunnel:a/tun-2', 'host:b', 'tunnel:b/tun-1'],
      ['tunnel:b/tun-1', 'host:a', 'tunnel:a/tun-2'],
    ]);
  });

  it('an address every node holds (service IPs) names no host; a veth-only bridge (docker0) is no underlay', () => {
    const host = (i: number): Fact[] => [
      link('eth0', 'device'),
      link('kube-dummy-if', 'dummy'),
      link('docker0', 'bridge'),
      addr('eth0', `192.168.0.${i}`, 24),
      addr('kube-dummy-if', '10.96.0.10', 32),
      addr('docker0', '172.17.0.1', 16),
      route('10.233.9.0/24', '10.96.0.10', 'eth0'),
    ];
    const t = deriveTopology({ a: host(1), b: host(2) }, { podCidrs: { c: ['10.233.9.0/24'] } });
    expect(ofType(t, 'subnet').map((x) => x.id)).toEqual(['subnet:192.168.0.0/24']);
    expect(node(t, 'host:a')?.data['nodeIps']).toEqual(['192.168.0.1/24']);
    // c is not in the input, so its override names nobody's CIDR; the routes go nowhere known
    expect(edgesOf(t, 'route')).toEqual([]);
    const withC = deriveTopology({ a: host(1), b: host(2), c: [link('eth0', 'device'), addr('eth0', '192.168.0.3', 24)] }, { podCidrs: { c: ['10.233.9.0/24'] } });
    expect(edgesOf(withC, 'route').map((e) => [e.source, e.target, e.data['nextHopMismatch']])).toEqual([
      ['host:a', 'external:10.96.0.10', true],
      ['host:b', 'external:10.96.0.10', true],
    ]);
  });
});

describe('topology patches', () => {
  const elem = <T extends string>(prefix: T) =>
    fc.record({
      id: fc.constantFrom(...['a', 'b', 'c', 'd', 'e', 'f'].map((x) => `${prefix}:${x}`)),
      data: fc.dictionary(fc.constantFrom('state', 'ips', 'mtu'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
      label: fc.constantFrom('x', 'y'),
    });
  const topoArb: fc.Arbitrary<Topology> = fc
    .record({ nodes: fc.array(elem('n'), { maxLength: 8 }), edges: fc.array(elem('e'), { maxLength: 8 }) })
    .map(({ nodes, edges }) => {
      const dedupe = <T extends { id: string }>(xs: T[]) => [...new Map(xs.map((x) => [x.id, x])).values()].sort((p, q) => (p.id < q.id ? -1 : 1));
      return {
        nodes: dedupe(nodes.map((n) => ({ id: n.id, type: 'host' as const, host: null, parent: null, label: n.label, data: n.data }))),
        edges: dedupe(edges.map((e) => ({ id: e.id, type: 'route' as const, source: 'n:a', target: 'n:b', data: e.data }))),
      };
    });

  it('apply(before, diff(before, after)) equals after', () => {
    fc.assert(
      fc.property(topoArb, topoArb, (before, after) => {
        expect(applyTopologyPatch(before, diffTopology(before, after))).toEqual(after);
        expect(isEmptyTopologyPatch(diffTopology(before, before))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('the same holds between real topologies with random facts removed', () => {
    const fx = fixture('calico');
    const names = Object.keys(fx);
    const variant = fc
      .array(fc.tuple(fc.constantFrom(...names), fc.nat(60)), { maxLength: 12 })
      .map((drops) => {
        const out = structuredClone(fx);
        for (const [n, i] of drops) out[n]?.splice(i % (out[n]?.length ?? 1), 1);
        return deriveTopology(out);
      });
    fc.assert(
      fc.property(variant, variant, (before, after) => {
        const patch = diffTopology(before, after);
        expect(applyTopologyPatch(before, patch)).toEqual(after);
        // a patch carries only what changed
        const old = new Map([...before.nodes, ...before.edges].map((x) => [x.id, JSON.stringify(x)]));
        for (const x of [...patch.upsertNodes, ...patch.upsertEdges]) expect(old.get(x.id)).not.toBe(JSON.stringify(x));
      }),
      { numRuns: 100 },
    );
  });
});

describe('IP helpers', () => {
  it('parses, masks and formats both families', () => {
    expect(formatPrefix(parseIp('10.233.1.1')!, 24)).toBe('10.233.1.0/24');
    expect(formatPrefix(parseIp('10.48.0.130')!, 26)).toBe('10.48.0.128/26');
    expect(formatIp(parseIp('fd00:0:0:0:0:0:0:1')!)).toBe('fd00::1');
    expect(formatIp(parseIp('2001:db8:0:1:0:0:0:0')!)).toBe('2001:db8:0:1::');
    expect(formatIp(parseIp('::ffff:10.0.0.1')!)).toBe('::ffff:a00:1');
    expect(formatPrefix(parseIp('fd00:10:244:1::5')!, 64)).toBe('fd00:10:244:1::/64');
    expect(parsePrefix('default', 'inet6')?.len).toBe(0);
    expect(parseIp('10.0.0')).toBeNull();
    expect(parseIp('1::2::3')).toBeNull();
    expect(parseIp('10.01.0.1')).toBeNull(); // leading zeros: octal to some parsers
    expect(['01:00:5e:00:00:16', '33:33:00:00:00:01', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00'].map(isGroupMac)).toEqual([true, true, true, true]);
    expect(['aa:d6:11:c2:26:75', '02:00:00:00:00:01', 'EE:EE:EE:EE:EE:EE'].map(isGroupMac)).toEqual([false, false, false]);
  });

  it('IPv6 pod CIDRs and routes work like IPv4 ones', () => {
    const link = (ifname: string, kind: string, extra: Partial<FactOf<'link'>['value']> = {}): Fact =>
      makeFact('link', { ifname, ifindex: 1, kind, mtu: 1500, mac: null, operstate: 'UP', flags: [], master: null, link: null, linkIndex: null, linkNetnsId: null, vxlan: null, ipip: null, ...extra });
    const addr = (ifname: string, address: string, prefixLen: number): Fact =>
      makeFact('addr', { ifname, family: 'inet6', address, prefixLen, scope: 'global', broadcast: null, label: null, flags: [] });
    const route = (dst: string, gateway: string): Fact =>
      makeFact('route', { table: 'main', family: 'inet6', dst, type: 'unicast', protocol: 'bgp', scope: 'global', gateway, dev: 'eth0', prefsrc: null, metric: 1024, tos: 0, flags: [], nexthops: [] });
    const host = (i: number, peer: number): Fact[] => [
      link('eth0', 'device'),
      link('kube-bridge', 'bridge'),
      addr('eth0', `2001:db8::${i}`, 64),
      addr('kube-bridge', `fd00:10:244:${i}::1`, 64),
      route(`fd00:10:244:${peer}::/64`, `2001:db8:0:0::${peer}`),
    ];
    const t = deriveTopology({ a: host(1, 2), b: host(2, 1) });
    expect(node(t, 'host:a')?.data).toMatchObject({ podCidrs: ['fd00:10:244:1::/64'], nodeIps: ['2001:db8::1/64'] });
    expect(edgesOf(t, 'route').map((e) => [e.source, e.target, e.data['nextHopMismatch']])).toEqual([
      ['host:a', 'host:b', false],
      ['host:b', 'host:a', false],
    ]);
    expect(ofType(t, 'subnet').map((s) => s.id)).toEqual(['subnet:2001:db8::/64']);
  });
});

// ------------------------------------------------------------------ 200 hosts

/** A kube-router-like cluster: `pods` pods per host, routes to every other host, and filler routes and neighbors. */
function syntheticCluster(hosts: number, routes: number, neighbors: number, pods: number): Map<string, Fact[]> {
  const ipOf = (i: number) => `172.16.${i >> 8}.${i & 255}`;
  const cidrOf = (i: number) => `10.${100 + (i >> 8)}.${i & 255}.0/24`;
  const podIp = (i: number, k: number) => `10.${100 + (i >> 8)}.${i & 255}.${k + 2}`;
  const base = { ifindex: 1, mtu: 1500, operstate: 'UP', flags: [], link: null, linkIndex: null, vxlan: null, ipip: null };
  const rt = (dst: string, gateway: string | null, dev: string, protocol = '17'): Fact =>
    makeFact('route', { table: 'main', family: 'inet', dst, type: 'unicast', protocol, scope: 'global', gateway, dev, prefsrc: null, metric: 0, tos: 0, flags: [], nexthops: [] });
  const neigh = (dev: string, address: string, lladdr: string): Fact =>
    makeFact('neigh', { dev, family: 'inet', address, lladdr, state: ['REACHABLE'], router: false, proxy: false });
  const mac = (i: number, k: number) => `02:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}:00:${k.toString(16).padStart(2, '0')}`;
  const out = new Map<string, Fact[]>();
  for (let i = 0; i < hosts; i++) {
    const facts: Fact[] = [
      makeFact('link', { ...base, ifname: 'eth0', kind: 'device', mac: mac(i, 255), master: null, linkNetnsId: null }),
      makeFact('link', { ...base, ifname: 'kube-bridge', kind: 'bridge', mac: mac(i, 254), master: null, linkNetnsId: null }),
      makeFact('addr', { ifname: 'eth0', family: 'inet', address: ipOf(i), prefixLen: 16, scope: 'global', broadcast: null, label: null, flags: [] }),
      makeFact('addr', { ifname: 'kube-bridge', family: 'inet', address: cidrOf(i).replace('.0/24', '.1'), prefixLen: 24, scope: 'global', broadcast: null, label: null, flags: [] }),
    ];
    for (let j = 0; j < hosts; j++) if (j !== i) facts.push(rt(cidrOf(j), ipOf(j), 'eth0'));
    for (let r = hosts - 1; r < routes; r++) facts.push(rt(`192.168.${r >> 8}.${r & 255}/32`, '172.16.255.1', 'eth0', 'static'));
    for (let k = 0; k < pods; k++) {
      const veth = `veth${i.toString(16).padStart(4, '0')}${k.toString(16).padStart(4, '0')}`;
      facts.push(makeFact('link', { ...base, ifname: veth, kind: 'veth', mac: mac(i, 100 + k), master: 'kube-bridge', linkNetnsId: k }));
      facts.push(makeFact('fdb', { dev: veth, mac: mac(i, 100 + k), master: 'kube-bridge', vlan: null, dst: null, vni: null, port: null, state: 'permanent', flags: [] }));
      facts.push(makeFact('fdb', { dev: veth, mac: mac(i, k), master: 'kube-bridge', vlan: null, dst: null, vni: null, port: null, state: null, flags: [] }));
      facts.push(neigh('kube-bridge', podIp(i, k), mac(i, k)));
    }
    for (let n = pods; n < neighbors; n++) facts.push(neigh('eth0', ipOf((i + n) % hosts), mac((i + n) % hosts, 255)));
    facts.push(makeFact('bgpSession', { daemon: 'gobgp', name: null, peerAddress: ipOf((i + 1) % hosts), peerAs: 64512, localAddress: ipOf(i), localAs: 64512, state: 'established', since: null, prefixesReceived: 1, prefixesAccepted: 1, prefixesSent: null, lastError: null, holdTime: 9, keepalive: 3 }));
    facts.push(makeFact('node', { hostname: `node${i}`, kernel: '6.1.0', bootId: 'b', cniStyle: 'kube-router', readers: {} }));
    out.set(`node${i}`, facts);
  }
  return out;
}

describe('scale', () => {
  it('200 hosts × (300 routes, 100 neighbors, 50 pods)', () => {
    const cluster = syntheticCluster(200, 300, 100, 50);
    const facts = [...cluster.values()].reduce((s, f) => s + f.length, 0);
    for (let i = 0; i < 3; i++) deriveTopology(cluster); // warm-up (JIT)
    const times: number[] = [];
    let t: Topology | undefined;
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      t = deriveTopology(cluster);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`deriveTopology: 200 hosts, ${facts} facts -> ${t?.nodes.length} nodes, ${t?.edges.length} edges; median ${times[3]?.toFixed(1)} ms (min ${times[0]?.toFixed(1)}, max ${times[6]?.toFixed(1)})`);
    expect(edgesOf(t!, 'route')).toHaveLength(200 * 199);
    expect(edgesOf(t!, 'route').every((e) => e.data['nextHopMismatch'] === false)).toBe(true);
    expect(ofType(t!, 'pod')).toHaveLength(200 * 50);
    expect(ofType(t!, 'pod').every((p) => (p.data['ips'] as string[]).length === 1)).toBe(true);
    expect(ofType(t!, 'subnet')).toHaveLength(1);
    expect(edgesOf(t!, 'underlay')).toHaveLength(200);
  }, 60_000); // no timing assertion: a loaded machine may be slow, never wrong
});
