// Expected state and findings on REAL node state. Healthy labs of each style (the topology fixtures,
// `npm run fixtures:topology`) give no finding; labs broken with the lab's own commands (`npm run
// fixtures:checks`: del-route, stop-bgp, remove-node, a wrong ipset member, MTUs, on kube-router,
// flannel and calico) give exactly the findings the fault explains. Then the same real states edited
// where the lab cannot go (wrong gateways, missing neighbor or fdb entries), small hand-built
// states for the awkward cases (covering routes, multipath, onlink via a VTEP, blackholes, Kubernetes
// podCIDRs and matching), and a 200-node run.
import { makeFact, type Fact, type Finding } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { checkNodes, evaluateChecks, expectedNodes, type KubernetesNodeInfo } from './checks.js';
import { deriveTopology } from './topology.js';
import { addr, edit, fdb, isMainRoute, kubeOf, labState, link, neigh, readFixture, route, withRoute, type LabNode, type State, type Style } from './spec-support/facts.js';

interface ChecksFixture {
  commands: string[];
  fault: Record<string, unknown>;
  lab: { style: Style; nodes: LabNode[] };
  before?: State;
  after: State;
}

const topology = labState;
const scenario = (id: string): ChecksFixture & { n: [LabNode, LabNode, LabNode] } => {
  const fx = readFixture<ChecksFixture>(`fixtures/checks/${id}.json`);
  return { ...fx, n: fx.lab.nodes as [LabNode, LabNode, LabNode] };
};

/** [type, node, peer, subject] of each finding: what a test says in one line */
const brief = (fs: readonly Finding[]) => fs.map((f) => [f.type, f.node, f.peer, f.subject]);

// ------------------------------------------------------------------ healthy labs

describe.each(['kube-router', 'calico', 'flannel'] as const)('a healthy %s lab', (style) => {
  const { state, lab } = topology(style);

  it('expects each node as it announces itself: node IP, pod range with its sources, VTEP', () => {
    const source = style === 'calico' ? { source: 'blackhole', detail: 'bird' } : { source: 'bridge', detail: style === 'flannel' ? 'cni0' : 'kube-bridge' };
    expect(expectedNodes(state)).toEqual(
      lab.map((n) => ({
        name: n.name,
        kubernetesName: null,
        collected: true,
        addresses: [n.underlayIp],
        podCidrs: [n.podCidr],
        ranges: [{ cidr: n.podCidr, family: 'inet', sources: [source] }],
        ignored: [],
        vtep: style === 'flannel' ? n.underlayIp : null,
        style,
        families: ['inet'],
      })),
    );
  });

  it('gives no finding, with or without Kubernetes', () => {
    expect(checkNodes(state)).toEqual([]);
    expect(checkNodes(state, { kubernetes: kubeOf(lab) })).toEqual([]);
    expect(checkNodes(state, { live: lab.map((n) => n.name) })).toEqual([]);
  });

  it('Kubernetes nodes named otherwise are matched by InternalIP and keep the collectors names', () => {
    const kubernetes = kubeOf(lab, (_, i) => `k8s-${i + 1}`);
    const nodes = expectedNodes(state, { kubernetes });
    expect(nodes.map((n) => [n.name, n.kubernetesName, n.collected, n.addresses, n.podCidrs])).toEqual(
      lab.map((n, i) => [n.name, `k8s-${i + 1}`, true, [n.underlayIp], [n.podCidr]]),
    );
    // Calico's IPAM ignores Node.spec.podCIDRs: its blocks are what is routed, and the podCIDRs are recorded as ignored
    expect(nodes.map((n) => n.ranges[0]?.sources[0]?.source)).toEqual(lab.map(() => (style === 'calico' ? 'blackhole' : 'kubernetes')));
    if (style === 'calico') expect(nodes.map((n) => n.ignored.map((i) => [i.cidr, i.source]))).toEqual(lab.map((n) => [[n.podCidr, 'kubernetes']]));
    expect(checkNodes(state, { kubernetes })).toEqual([]);
    // `live` may name nodes by their Kubernetes names
    expect(checkNodes(state, { kubernetes, live: kubernetes.map((k) => k.name) })).toEqual([]);
  });

  it('is deterministic: fact order, node order and input form do not matter', () => {
    const shuffled = new Map(
      Object.entries(state)
        .reverse()
        .map(([k, facts]) => [k, [...facts].reverse()] as const),
    );
    const [a, b] = lab as [LabNode, LabNode];
    const broken = edit(state, a.name, (fs) => fs.filter((f) => !isMainRoute(f, b.podCidr)));
    const brokenShuffled = new Map([...shuffled].map(([k]) => [k, [...(broken[k] ?? [])].reverse()] as const));
    expect(JSON.stringify(checkNodes(brokenShuffled))).toBe(JSON.stringify(checkNodes(broken)));
    expect(evaluateChecks(shuffled)).toEqual({ nodes: expectedNodes(state), findings: [], truncated: false });
  });

  it('builds at most maxFindings findings and says when there were more', () => {
    // every node loses its routes to every other node's pods
    let broken = state;
    for (const a of lab) broken = edit(broken, a.name, (fs) => fs.filter((f) => !lab.some((b) => b.name !== a.name && isMainRoute(f, b.podCidr))));
    const all = evaluateChecks(broken);
    expect(all.truncated).toBe(false);
    expect(all.findings.length).toBeGreaterThan(3);
    const capped = evaluateChecks(broken, { maxFindings: 3 });
    expect(capped.findings).toHaveLength(3);
    expect(capped.truncated).toBe(true);
    // a cap that every finding fits is no truncation, one less is
    expect(evaluateChecks(broken, { maxFindings: all.findings.length }).truncated).toBe(false);
    expect(evaluateChecks(broken, { maxFindings: all.findings.length - 1 })).toMatchObject({ truncated: true, findings: { length: all.findings.length - 1 } });
    // the ones built are built whole, as without the cap
    for (const f of capped.findings) expect(all.findings).toContainEqual(f);
    expect(capped.nodes).toEqual(all.nodes);
  });

  it('a route via another node that forwards it on delivers; one whose next node drops it is route-wrong-nexthop', () => {
    const [a, b, c] = lab as [LabNode, LabNode, LabNode];
    if (style === 'flannel') {
      // b's VTEP MAC forwarded to c's underlay address: c's vxlan device does not own the MAC and drops the frame
      const broken = edit(state, a.name, (fs) => fs.map((f) => (f.kind === 'fdb' && f.value.dev === 'flannel.1' && f.value.dst === b.underlayIp ? makeFact('fdb', { ...f.value, dst: c.underlayIp }) : f)));
      const found = checkNodes(broken);
      expect(brief(found)).toEqual([['route-wrong-nexthop', a.name, b.name, b.podCidr]]);
      expect(found[0]?.actual).toMatchObject({ dst: b.podCidr, nexthops: [{ node: c.name, problem: null }], path: [{ end: 'dropped', at: c.name, drop: 'wrong-vtep' }] });
      expect(found[0]?.message).toContain(`where ${c.name} drops it (the frame's MAC is not its own), not towards ${b.name}`);
      return;
    }
    // a sends b's pods to c, which routes them on to b: the kernel delivers them (one hop more)
    const viaC = edit(state, a.name, (fs) => withRoute(fs, b.podCidr, (r) => ({ ...r, gateway: c.underlayIp })));
    expect(checkNodes(viaC)).toEqual([]);
    // ... unless c has no route to them either: then they die on c, on its default route
    const broken = edit(viaC, c.name, (fs) => fs.filter((f) => !isMainRoute(f, b.podCidr)));
    const found = checkNodes(broken).filter((f) => f.node === a.name);
    expect(brief(found)).toEqual([['route-wrong-nexthop', a.name, b.name, b.podCidr]]);
    expect(found[0]?.actual).toMatchObject({ dst: b.podCidr, nexthops: [{ node: c.name, problem: null }], path: [{ end: 'left', at: c.name }] });
    expect(found[0]?.expected).toEqual({ dst: b.podCidr, via: [b.underlayIp], vtep: null });
    expect(found[0]?.message).toContain(`not towards ${b.name}`);
    // it depends on c, which it passed, and on c's own session to b, as much as on a, b and theirs
    expect(found[0]?.dependsOn).toEqual({ nodes: [a.name, c.name, b.name], sessions: [[a.name, b.name], [c.name, b.name]] });
  });
});

// ------------------------------------------------------------------ faulty labs

describe('faults captured from real labs', () => {
  it('kube-router, del-route on node1: exactly one route-missing, node1 -> node2', () => {
    const { after, n, fault } = scenario('kube-router-del-route');
    const [n1, n2] = n;
    expect(fault).toEqual({ node: n1.name, deleted: n2.podCidr });
    const found = checkNodes(after);
    expect(brief(found)).toEqual([['route-missing', n1.name, n2.name, n2.podCidr]]);
    expect(found[0]).toMatchObject({
      key: `route-missing|${n1.name}|${n2.name}|${n2.podCidr}`,
      message: `${n1.name} has no route to ${n2.podCidr} (${n2.name}'s pods)`,
      expected: { dst: n2.podCidr, via: [n2.underlayIp], vtep: null },
      // all it has is the default route, which does not count
      actual: { dst: 'default', note: 'only the default route', nexthops: [{ gateway: '172.20.0.1', node: null }] },
    });
    expect(checkNodes(after, { kubernetes: kubeOf(n) })).toEqual(found);
  });

  it('kube-router, del-route: a covering route counts when the packets it sends reach the node, not otherwise', () => {
    const { after, n } = scenario('kube-router-del-route');
    const [n1, n2, n3] = n;
    const aggregate = (gateway: string) =>
      edit(after, n1.name, (fs) => [
        ...fs,
        makeFact('route', { table: 'main', family: 'inet', dst: '10.233.0.0/16', type: 'unicast', protocol: 'static', scope: 'global', gateway, dev: 'eth0', prefsrc: null, metric: 0, tos: 0, flags: [], nexthops: [] }),
      ]);
    expect(checkNodes(aggregate(n2.underlayIp))).toEqual([]);
    // through node3, which routes node2's pods on: delivered
    expect(checkNodes(aggregate(n3.underlayIp))).toEqual([]);
    // through node3 when node3 has lost its route to them too: they fall to node3's default route
    const both = edit(aggregate(n3.underlayIp), n3.name, (fs) => fs.filter((f) => !isMainRoute(f, n2.podCidr)));
    const found = checkNodes(both).filter((f) => f.node === n1.name);
    expect(brief(found)).toEqual([['route-missing', n1.name, n2.name, n2.podCidr]]);
    expect(found[0]?.actual).toMatchObject({ dst: '10.233.0.0/16', nexthops: [{ gateway: n3.underlayIp, node: n3.name }] });
    expect(found[0]?.message).toContain('10.233.0.0/16 covers it');
  });

  it('kube-router, stop-bgp on node2: the others lose their route to its pods (node2 keeps its kernel routes)', () => {
    const { after, n } = scenario('kube-router-stop-bgp');
    const [n1, n2, n3] = n;
    // the lab's route agent, like kube-router, leaves a node's kernel routes alone when its GoBGP
    // stops: node2 still routes the others' pods, and the findings say just that
    expect(after[n2.name]?.some((f) => isMainRoute(f, n1.podCidr))).toBe(true);
    expect(brief(checkNodes(after))).toEqual([
      ['route-missing', n1.name, n2.name, n2.podCidr],
      ['route-missing', n3.name, n2.name, n2.podCidr],
    ]);
  });

  describe('kube-router, remove-node node3', () => {
    const { before, after, n } = scenario('kube-router-remove-node');
    const [n1, n2, n3] = n;
    const pre = before as State;

    it('healthy before, and the remaining nodes, after, give no finding with node3 gone', () => {
      expect(checkNodes(pre)).toEqual([]);
      expect(Object.keys(after).sort()).toEqual([n1.name, n2.name]);
      expect(checkNodes(after)).toEqual([]);
      // with node3's last facts still in the state but node3 no longer live: the same
      expect(checkNodes({ ...after, [n3.name]: pre[n3.name] ?? [] }, { live: [n1.name, n2.name] })).toEqual([]);
    });

    it("the pre-removal state checked with node3 no longer live: route-stale and ipset-extra, node3's", () => {
      const found = checkNodes(pre, { live: [n1.name, n2.name] });
      expect(brief(found)).toEqual([
        ['ipset-extra', n1.name, n3.name, `kube-router-node-ips ${n3.underlayIp}`],
        ['ipset-extra', n1.name, n3.name, `kube-router-pod-subnets ${n3.podCidr}`],
        ['ipset-extra', n2.name, n3.name, `kube-router-node-ips ${n3.underlayIp}`],
        ['ipset-extra', n2.name, n3.name, `kube-router-pod-subnets ${n3.podCidr}`],
        ['route-stale', n1.name, n3.name, n3.podCidr],
        ['route-stale', n2.name, n3.name, n3.podCidr],
      ]);
      const stale = found.find((f) => f.type === 'route-stale');
      expect(stale?.message).toBe(`${n1.name} still routes ${n3.podCidr} via ${n3.underlayIp} dev eth0 (${n3.name}): the pods of ${n3.name}, which is no longer in the cluster`);
      expect(stale?.actual).toMatchObject({ table: 'main', dst: n3.podCidr, protocol: '17', nexthops: [{ gateway: n3.underlayIp, node: n3.name }] });
      // Kubernetes without node3 says the same
      expect(checkNodes(pre, { kubernetes: kubeOf([n1, n2]) })).toEqual(found);
    });

    it("a remaining node's pre-removal state next to the others' current one: stale, even with node3's facts gone", () => {
      const found = checkNodes({ [n1.name]: pre[n1.name] ?? [], [n2.name]: after[n2.name] ?? [] });
      expect(brief(found)).toEqual([
        ['ipset-extra', n1.name, null, `kube-router-node-ips ${n3.underlayIp}`],
        ['ipset-extra', n1.name, null, `kube-router-pod-subnets ${n3.podCidr}`],
        // nobody knows whose 10.233.3.0/24 was, but it is a route into the pods' address space that no node holds
        ['route-stale', n1.name, null, n3.podCidr],
      ]);
      expect(found.at(-1)?.message).toContain('a pod CIDR no node of the cluster holds');
    });
  });

  it('kube-router, a member added by hand to kube-router-pod-subnets: ipset-extra; one removed: ipset-missing', () => {
    const { after, n, commands } = scenario('kube-router-ipset-extra');
    const [n1, , n3] = n;
    expect(commands.at(-1)).toBe(`ip netns exec ${n1.name} ipset add kube-router-pod-subnets 10.99.0.0/24`);
    const found = checkNodes(after);
    expect(brief(found)).toEqual([['ipset-extra', n1.name, null, 'kube-router-pod-subnets 10.99.0.0/24']]);
    expect(found[0]).toMatchObject({ expected: null, actual: { set: 'kube-router-pod-subnets', member: '10.99.0.0/24' } });
    const lacking = edit(after, n1.name, (fs) => fs.filter((f) => !(f.kind === 'ipsetMember' && f.value.element === n3.podCidr)));
    expect(brief(checkNodes(lacking))).toEqual([
      ['ipset-extra', n1.name, null, 'kube-router-pod-subnets 10.99.0.0/24'],
      ['ipset-missing', n1.name, n3.name, `kube-router-pod-subnets ${n3.podCidr}`],
    ]);
  });

  describe('flannel', () => {
    const { after, n, fault } = scenario('flannel-mtu');
    const [n1, n2, n3] = n;
    const veth1 = n1.pods[0]?.hostVeth ?? '';
    const veth2 = n2.pods[0]?.hostVeth ?? '';

    it("MTUs: node1's pod veth at 1500 over vxlan, node2's underlay lowered to 1400 under its flannel.1 and pods", () => {
      expect(fault).toEqual({ [n1.name]: { [veth1]: 1500 }, [n2.name]: { eth0: 1400 } });
      const found = checkNodes(after);
      expect(brief(found)).toEqual([
        ['mtu-mismatch', n1.name, null, veth1],
        ['mtu-mismatch', n2.name, null, 'flannel.1'],
        ['mtu-mismatch', n2.name, null, veth2],
      ]);
      const [pod1, tunnel2, pod2] = found;
      expect(pod1).toMatchObject({
        expected: { maxMtu: 1450, tunnel: { ifname: 'flannel.1', mtu: 1450 }, encapsulation: 'vxlan', overhead: 50 },
        actual: { ifname: veth1, mtu: 1500 },
        message: `${n1.name}: pod interface ${veth1} has MTU 1500, more than the 1450 flannel.1, the vxlan tunnel that carries its pods' traffic, allows`,
      });
      expect(tunnel2).toMatchObject({ expected: { maxMtu: 1350, lower: { ifname: 'eth0', mtu: 1400 }, encapsulation: 'vxlan', overhead: 50 }, actual: { ifname: 'flannel.1', mtu: 1450 } });
      expect(pod2).toMatchObject({ expected: { maxMtu: 1350 }, actual: { ifname: veth2, mtu: 1450 } });
      // routes are untouched by MTUs
      expect(found.some((f) => f.type.startsWith('route'))).toBe(false);
    });

    it('onlink via the VTEP: a missing neighbor or fdb entry breaks the route (route-wrong-nexthop)', () => {
      const vtepGw = n3.podCidr.replace(/\/24$/, ''); // 10.244.3.0, node3's flannel.1 address
      const noNeigh = edit(after, n1.name, (fs) => fs.filter((f) => !(f.kind === 'neigh' && f.value.dev === 'flannel.1' && f.value.address === vtepGw)));
      const a = checkNodes(noNeigh).filter((f) => f.type !== 'mtu-mismatch');
      expect(brief(a)).toEqual([['route-wrong-nexthop', n1.name, n3.name, n3.podCidr]]);
      expect(a[0]?.actual).toMatchObject({ nexthops: [{ gateway: vtepGw, dev: 'flannel.1', problem: 'no-neighbor' }] });
      expect(a[0]?.message).toContain('which has no neighbor entry for it');
      const noFdb = edit(after, n1.name, (fs) => fs.filter((f) => !(f.kind === 'fdb' && f.value.dev === 'flannel.1' && f.value.dst === n3.underlayIp)));
      const b = checkNodes(noFdb).filter((f) => f.type !== 'mtu-mismatch');
      expect(brief(b)).toEqual([['route-wrong-nexthop', n1.name, n3.name, n3.podCidr]]);
      expect(b[0]?.actual).toMatchObject({ nexthops: [{ problem: 'no-fdb' }] });
    });
  });

  describe('calico', () => {
    const { after, n, fault } = scenario('calico-del-route');
    const [n1, n2, n3] = n;

    it("del-route on node1 (before BIRD's next kernel scan puts it back): exactly one route-missing", () => {
      expect(fault).toMatchObject({ node: n1.name, deleted: n2.podCidr });
      expect(brief(checkNodes(after))).toEqual([['route-missing', n1.name, n2.name, n2.podCidr]]);
    });

    it("each node's own block as a BIRD blackhole is no finding; a blackhole for another node's block is", () => {
      for (const x of n) {
        const own = after[x.name]?.find((f) => isMainRoute(f, x.podCidr));
        expect(own?.value).toMatchObject({ type: 'blackhole', protocol: 'bird' });
      }
      // (a blackhole `proto bird` would be node3 claiming the block, as Calico's nodes claim theirs)
      const blackholed = edit(after, n3.name, (fs) => withRoute(fs, n2.podCidr, (r) => ({ ...r, type: 'blackhole', protocol: 'static', gateway: null, dev: null })));
      const found = checkNodes(blackholed);
      expect(brief(found)).toEqual([
        ['route-missing', n1.name, n2.name, n2.podCidr],
        ['route-wrong-nexthop', n3.name, n2.name, n2.podCidr],
      ]);
      expect(found[1]?.message).toBe(`${n3.name} routes ${n2.podCidr} (${n2.name}'s pods) as blackhole, not towards ${n2.name}`);
    });
  });
});

// ------------------------------------------------------------------ hand-built

describe('hand-built states', () => {
  const ip = (i: number) => `192.168.0.${i}`;
  const cidr = (i: number) => `10.233.${i}.0/24`;

  /** A kube-router-style node i: eth0 192.168.0.i, kube-bridge 10.233.i.1/24, one pod veth, routes to `peers` via their IPs. */
  const kr = (i: number, peers: number[], extra: Fact[] = []): Fact[] => [
    link('eth0', 'device'),
    link('kube-bridge', 'bridge'),
    link(`veth${i}`, 'veth', { master: 'kube-bridge', linkNetnsId: 0 }),
    addr('eth0', ip(i), 24),
    addr('kube-bridge', `10.233.${i}.1`, 24),
    route(cidr(i), null, 'kube-bridge', { protocol: 'kernel' }),
    route('default', '192.168.0.254', 'eth0', { protocol: 'boot' }),
    ...peers.map((p) => route(cidr(p), ip(p), 'eth0')),
    ...extra,
  ];
  const without = (facts: Fact[], dst: string): Fact[] => facts.filter((f) => !isMainRoute(f, dst));

  it('a default route does not count; a covering route does when it leads to the right node', () => {
    const state = { a: without(kr(1, [2, 3]), cidr(2)), b: kr(2, [1, 3]), c: kr(3, [1, 2]) };
    expect(brief(checkNodes(state))).toEqual([['route-missing', 'a', 'b', cidr(2)]]);
    // 10.233.2.0/23 covers b's 10.233.2.0/24 (and c's 10.233.3.0/24, which a routes more specifically)
    state.a.push(route('10.233.2.0/23', ip(2), 'eth0', { protocol: 'static' }));
    expect(checkNodes(state)).toEqual([]);
  });

  it('multipath: every next hop must lead to the node', () => {
    const multipath = (hops: [string, string][]) =>
      route(cidr(2), null, null, { nexthops: hops.map(([gateway, dev]) => ({ gateway, dev, weight: 1, flags: [] })) });
    // b has two underlay addresses, one per NIC; a spreads b's pods over both
    const b = [...kr(2, [1, 3]), link('eth1', 'device'), addr('eth1', '192.168.1.2', 24)];
    const good = { a: [...without(kr(1, [3]), cidr(2)), link('eth1', 'device'), multipath([[ip(2), 'eth0'], ['192.168.1.2', 'eth1']])], b, c: kr(3, [1, 2]) };
    expect(checkNodes(good)).toEqual([]);
    // one branch through c, which routes b's pods on: still delivered
    const viaC = { ...good, a: [...kr(1, [3]), multipath([[ip(2), 'eth0'], [ip(3), 'eth0']])] };
    expect(checkNodes(viaC)).toEqual([]);
    // c without a route to b's pods: that branch dies on c's default route, the other still arrives
    const bad = { ...viaC, c: kr(3, [1]) };
    const found = checkNodes(bad).filter((f) => f.node === 'a');
    expect(brief(checkNodes(bad))).toEqual([['route-missing', 'c', 'b', cidr(2)], ['route-wrong-nexthop', 'a', 'b', cidr(2)]]);
    expect(found[0]?.actual).toMatchObject({ nexthops: [{ gateway: ip(2), node: 'b' }, { gateway: ip(3), node: 'c' }] });
    expect(found[0]?.actual?.['path']).toMatchObject([{ end: 'arrived', at: 'b' }, { end: 'left', at: 'c' }]);
    expect(found[0]?.message).toBe(`a routes ${cidr(2)} (b's pods) via ${ip(3)} dev eth0 (c), then on c via 192.168.0.254 dev eth0 (no known node), out of the nodes netatlas knows, not only towards b`);
  });

  it('the lowest metric wins among routes to the same prefix', () => {
    // c does not route b's pods, so only the route via b delivers them
    const state = { a: [...without(kr(1, [3]), cidr(2)), route(cidr(2), ip(2), 'eth0', { metric: 100 }), route(cidr(2), ip(3), 'eth0', { metric: 50 })], b: kr(2, [1, 3]), c: kr(3, [1]) };
    expect(brief(checkNodes(state))).toEqual([['route-missing', 'c', 'b', cidr(2)], ['route-wrong-nexthop', 'a', 'b', cidr(2)]]);
    expect(checkNodes({ ...state, a: [...without(kr(1, [3]), cidr(2)), route(cidr(2), ip(2), 'eth0', { metric: 50 }), route(cidr(2), ip(3), 'eth0', { metric: 100 })] }).map((f) => f.node)).toEqual(['c']);
  });

  it('flannel: onlink via the peer VTEP address, the neighbor giving its MAC and the fdb entry its underlay address', () => {
    const mac = (i: number) => `0e:00:00:00:00:0${i}`;
    const fl = (i: number, peers: number[], vtepOf: (p: number) => number = (p) => p): Fact[] => [
      link('eth0', 'device'),
      link('cni0', 'bridge', { mtu: 1450 }),
      link('flannel.1', 'vxlan', { mtu: 1450, mac: mac(i), vxlan: { id: 1, local: ip(i), remote: null, port: 8472, dev: 'eth0', learning: false } }),
      link(`veth${i}`, 'veth', { master: 'cni0', linkNetnsId: 0, mtu: 1450 }),
      addr('eth0', ip(i), 24),
      addr('cni0', `10.244.${i}.1`, 24),
      addr('flannel.1', `10.244.${i}.0`, 32),
      ...peers.flatMap((p) => [
        route(`10.244.${p}.0/24`, `10.244.${p}.0`, 'flannel.1', { protocol: 'boot', flags: ['onlink'] }),
        neigh('flannel.1', `10.244.${p}.0`, mac(p)),
        fdb('flannel.1', mac(p), ip(vtepOf(p))),
      ]),
    ];
    const state = { a: fl(1, [2, 3]), b: fl(2, [1, 3]), c: fl(3, [1, 2]) };
    expect(expectedNodes(state).map((n) => [n.name, n.vtep, n.podCidrs])).toEqual([
      ['a', ip(1), ['10.244.1.0/24']],
      ['b', ip(2), ['10.244.2.0/24']],
      ['c', ip(3), ['10.244.3.0/24']],
    ]);
    expect(checkNodes(state)).toEqual([]);
    // a's fdb sends b's VTEP MAC to c
    const found = checkNodes({ ...state, a: fl(1, [2, 3], (p) => (p === 2 ? 3 : p)) });
    expect(brief(found)).toEqual([['route-wrong-nexthop', 'a', 'b', '10.244.2.0/24']]);
    expect(found[0]?.actual).toMatchObject({ nexthops: [{ gateway: '10.244.2.0', dev: 'flannel.1', vtep: ip(3), node: 'c', problem: null }] });
    expect(found[0]?.expected).toEqual({ dst: '10.244.2.0/24', via: [ip(2)], vtep: ip(2) });
  });

  it("Calico: the node's own blocks as blackholes are its own, not findings", () => {
    const ca = (i: number, peers: number[]): Fact[] => [
      link('eth0', 'device'),
      link(`cali${i}`, 'veth', { linkNetnsId: 0 }),
      addr('eth0', ip(i), 24),
      route(`10.48.${i}.0/26`, null, null, { type: 'blackhole', protocol: 'bird' }),
      route(`10.48.${i}.1/32`, null, `cali${i}`, { protocol: 'boot' }),
      ...peers.map((p) => route(`10.48.${p}.0/26`, ip(p), 'eth0', { protocol: 'bird' })),
    ];
    const state = { a: ca(1, [2]), b: ca(2, [1]) };
    expect(expectedNodes(state).map((n) => n.podCidrs)).toEqual([['10.48.1.0/26'], ['10.48.2.0/26']]);
    expect(checkNodes(state)).toEqual([]);
  });

  describe('Kubernetes', () => {
    const kube = (name: string, i: number, podCidrs = [cidr(i)]): KubernetesNodeInfo => ({ name, addresses: [ip(i)], podCidrs });

    it('Calico: podCIDRs allocated that its IPAM ignores give no expectation; block affinities are what is expected, blackhole or not', () => {
      const ca = (i: number, peers: number[], blackhole = true): Fact[] => [
        link('eth0', 'device'),
        link(`cali${i}`, 'veth', { linkNetnsId: 0 }),
        addr('eth0', ip(i), 24),
        ...(blackhole ? [route(`10.48.${i}.0/26`, null, null, { type: 'blackhole', protocol: 'bird' })] : []),
        route(`10.48.${i}.1/32`, null, `cali${i}`, { protocol: 'boot' }),
        ...peers.map((p) => route(`10.48.${p}.0/26`, ip(p), 'eth0', { protocol: 'bird' })),
      ];
      // b's block has no blackhole: only its block affinity says it is b's
      const state = { a: ca(1, []), b: ca(2, [1], false) };
      const kubernetes = [kube('a', 1, ['10.244.1.0/24']), kube('b', 2, ['10.244.2.0/24'])];
      const blocks = [{ node: 'a', cidr: '10.48.1.0/26' }, { node: 'b', cidr: '10.48.2.0/26' }];
      const nodes = expectedNodes(state, { kubernetes, blocks });
      expect(nodes.map((n) => [n.name, n.ranges.map((r) => [r.cidr, r.sources.map((x) => x.source)]), n.ignored.map((x) => [x.cidr, x.source])])).toEqual([
        ['a', [['10.48.1.0/26', ['calico-ipam', 'blackhole']]], [['10.244.1.0/24', 'kubernetes']]],
        ['b', [['10.48.2.0/26', ['calico-ipam']]], [['10.244.2.0/24', 'kubernetes']]],
      ]);
      // a lacks a route to b's block: found, though b has no blackhole; nothing about the podCIDRs
      expect(brief(checkNodes(state, { kubernetes, blocks }))).toEqual([['route-missing', 'a', 'b', '10.48.2.0/26']]);
      // without the blocks, b's block is unknown (no blackhole, no daemon origin): nothing to expect, and still no podCIDR finding
      expect(brief(checkNodes(state, { kubernetes }))).toEqual([]);
    });

    it('what a daemon originates is a range (blackhole or not) and a route edge in the topology; a connected subnet it redistributes is not', () => {
      const origin = (prefix: string): Fact => makeFact('bgpOrigin', { daemon: 'frr', family: 'inet', prefix, nexthop: null });
      const ca = (i: number, peers: number[], extra: Fact[]): Fact[] => [
        link('eth0', 'device'),
        link(`cali${i}`, 'veth', { linkNetnsId: 0 }),
        addr('eth0', ip(i), 24),
        route(`10.48.${i}.1/32`, null, `cali${i}`, { protocol: 'boot' }),
        ...peers.map((p) => route(`10.48.${p}.0/26`, ip(p), 'eth0', { protocol: 'bgp' })),
        ...extra,
      ];
      // neither has a blackhole: their blocks are known from what FRR announces, as is the underlay it redistributes
      const state = { a: ca(1, [2], [origin('10.48.1.0/26'), origin('192.168.0.0/24')]), b: ca(2, [], [origin('10.48.2.0/26'), origin('192.168.0.0/24')]) };
      const nodes = expectedNodes(state);
      expect(nodes.map((n) => n.podCidrs)).toEqual([['10.48.1.0/26'], ['10.48.2.0/26']]);
      expect(nodes[0]?.ignored).toEqual([{ cidr: '192.168.0.0/24', source: 'bgp-origin', why: "holds the node's own address: a connected subnet frr redistributes, not pods" }]);
      expect(brief(checkNodes(state))).toEqual([['route-missing', 'b', 'a', '10.48.1.0/26']]);
      const edges = deriveTopology(state).edges.filter((e) => e.type === 'route').map((e) => [e.source, e.target]);
      expect(edges).toEqual([['host:a', 'host:b']]);
    });

    it("Node.spec.podCIDRs override a bridge's subnet", () => {
      const state = { a: kr(1, [2]), b: kr(2, [1]) };
      const kubernetes = [kube('a', 1), kube('b', 2, ['10.200.2.0/24'])];
      const nodes = expectedNodes(state, { kubernetes });
      expect(nodes.map((n) => [n.name, n.podCidrs, n.ranges.map((r) => r.sources.map((x) => x.source))])).toEqual([
        ['a', [cidr(1)], [['kubernetes', 'bridge']]],
        ['b', ['10.200.2.0/24'], [['kubernetes']]],
      ]);
      expect(nodes[1]?.ignored).toEqual([{ cidr: cidr(2), source: 'bridge', why: "not the node's: its Node.spec.podCIDRs are 10.200.2.0/24" }]);
      // a routes b's bridge subnet (to b, a live node: not stale), but Kubernetes gave b another CIDR: that one is missing
      expect(brief(checkNodes(state, { kubernetes }))).toEqual([['route-missing', 'a', 'b', '10.200.2.0/24']]);
      // a Kubernetes node without podCIDRs falls back to what its node announces
      expect(expectedNodes(state, { kubernetes: [kube('a', 1), kube('b', 2, [])] })[1]).toMatchObject({ podCidrs: [cidr(2)], ranges: [{ sources: [{ source: 'bridge' }] }] });
    });

    it('matching by InternalIP; a node without a collector is still routed to; a collector node Kubernetes lacks is no longer in the cluster', () => {
      // collectors a, b, x; Kubernetes nodes node-1 (a, by IP), b (by name), node-3 (no collector)
      const state = { a: kr(1, [2, 3, 9]), b: kr(2, [1]), x: kr(9, [1, 2]) };
      const kubernetes = [kube('node-1', 1), kube('b', 2), kube('node-3', 3)];
      expect(expectedNodes(state, { kubernetes }).map((n) => [n.name, n.kubernetesName, n.collected, n.podCidrs])).toEqual([
        ['a', 'node-1', true, [cidr(1)]],
        ['b', 'b', true, [cidr(2)]],
        ['node-3', 'node-3', false, [cidr(3)]],
      ]);
      expect(brief(checkNodes(state, { kubernetes }))).toEqual([
        ['route-missing', 'b', 'node-3', cidr(3)], // b has no route to the uncollected node's pods
        ['route-stale', 'a', 'x', cidr(9)], // x is no Kubernetes node: a's route to its pods is stale
      ]);
      // node-3 not live: nothing to route to it, and a's route to it is stale too
      expect(brief(checkNodes(state, { kubernetes, live: ['node-1', 'b'] }))).toEqual([
        ['route-stale', 'a', 'node-3', cidr(3)],
        ['route-stale', 'a', 'x', cidr(9)],
      ]);
    });
  });

  it('stale routes: into the pod address space, to another machine; not aggregates, local routes or other networks', () => {
    const state = {
      a: [
        ...kr(1, [2]),
        route('10.233.7.0/24', '192.168.0.7', 'eth0'), // a node that is gone, unknown to us
        route('10.233.0.0/16', '192.168.0.254', 'eth0', { protocol: 'static' }), // an aggregate over live CIDRs
        route('10.233.8.0/24', null, 'kube-bridge', { protocol: 'kernel' }), // local, not towards another machine
        route('172.30.0.0/16', '192.168.0.7', 'eth0', { protocol: 'static' }), // outside the pods' space
      ],
      b: kr(2, [1]),
    };
    const found = checkNodes(state);
    expect(brief(found)).toEqual([['route-stale', 'a', null, '10.233.7.0/24']]);
    expect(found[0]?.actual).toMatchObject({ dst: '10.233.7.0/24', nexthops: [{ gateway: '192.168.0.7', node: null }] });
  });

  it('IPv6 pod CIDRs and routes', () => {
    const v6 = (i: number, peer: number): Fact[] => [
      link('eth0', 'device'),
      link('kube-bridge', 'bridge'),
      addr('eth0', `2001:db8::${i}`, 64),
      addr('kube-bridge', `fd00:10:233:${i}::1`, 64),
      route(`fd00:10:233:${peer}::/64`, `2001:db8::${peer}`, 'eth0', { protocol: 'bgp', metric: 1024 }),
    ];
    expect(checkNodes({ a: v6(1, 2), b: v6(2, 1) })).toEqual([]);
    expect(brief(checkNodes({ a: v6(1, 2), b: v6(2, 2).filter((f) => f.kind !== 'route') }))).toEqual([['route-missing', 'b', 'a', 'fd00:10:233:1::/64']]);
  });

  it('MTUs: without encapsulation pods must fit the underlay; an ipip tunnel takes 20 bytes', () => {
    const narrow = (facts: Fact[]) => facts.map((f) => (f.kind === 'link' && f.value.ifname === 'eth0' ? makeFact('link', { ...f.value, mtu: 1400 }) : f));
    expect(checkNodes({ a: kr(1, [2]), b: kr(2, [1]) })).toEqual([]);
    const found = checkNodes({ a: narrow(kr(1, [2])), b: kr(2, [1]) });
    expect(brief(found)).toEqual([['mtu-mismatch', 'a', null, 'veth1']]);
    expect(found[0]?.expected).toEqual({ maxMtu: 1400, underlay: { ifname: 'eth0', mtu: 1400 }, encapsulation: null, overhead: 0, family: 'inet' });
    // Calico in IPIP mode: routes via tunl0 onlink; pods must leave room for the 20-byte outer header
    const ipip = (i: number, peer: number, tunlMtu: number, podMtu: number): Fact[] => [
      link('eth0', 'device'),
      link('tunl0', 'ipip', { mtu: tunlMtu, ipip: { local: null, remote: null } }),
      link(`cali${i}`, 'veth', { linkNetnsId: 0, mtu: podMtu }),
      addr('eth0', ip(i), 24),
      route(`10.48.${i}.0/26`, null, null, { type: 'blackhole', protocol: 'bird' }),
      route(`10.48.${peer}.0/26`, ip(peer), 'tunl0', { protocol: 'bird', flags: ['onlink'] }),
    ];
    expect(checkNodes({ a: ipip(1, 2, 1480, 1480), b: ipip(2, 1, 1480, 1480) })).toEqual([]);
    expect(brief(checkNodes({ a: ipip(1, 2, 1500, 1480), b: ipip(2, 1, 1480, 1500) }))).toEqual([
      ['mtu-mismatch', 'a', null, 'tunl0'],
      ['mtu-mismatch', 'b', null, 'cali2'],
    ]);
  });

  it('findings come sorted by key, keys unique and of the documented form', () => {
    const state = { a: without(kr(1, []), cidr(2)), b: without(kr(2, []), cidr(1)), c: kr(3, [1, 2]) };
    const found = checkNodes(state);
    const keys = found.map((f) => f.key);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(keys.length);
    for (const f of found) expect(f.key).toBe(`${f.type}|${f.node}|${f.peer ?? ''}|${f.subject}`);
    expect(keys).toEqual([
      `route-missing|a|b|${cidr(2)}`,
      `route-missing|a|c|${cidr(3)}`,
      `route-missing|b|a|${cidr(1)}`,
      `route-missing|b|c|${cidr(3)}`,
    ]);
  });
});

// ------------------------------------------------------------------ 200 nodes

/** A kube-router-like cluster: every node routes every other's pod CIDR, fills its ipsets, and has filler routes up to `routes`. */
function syntheticCluster(nodes: number, routes: number, pods: number): Map<string, Fact[]> {
  const ipOf = (i: number) => `172.16.${i >> 8}.${i & 255}`;
  const cidrOf = (i: number) => `10.${100 + (i >> 8)}.${i & 255}.0/24`;
  const base = { ifindex: 1, mtu: 1500, operstate: 'UP', flags: [], link: null, linkIndex: null, vxlan: null, ipip: null, mac: null };
  const rt = (dst: string, gateway: string | null, dev: string, protocol = '17'): Fact =>
    makeFact('route', { table: 'main', family: 'inet', dst, type: 'unicast', protocol, scope: 'global', gateway, dev, prefsrc: null, metric: 0, tos: 0, flags: [], nexthops: [] });
  const out = new Map<string, Fact[]>();
  for (let i = 0; i < nodes; i++) {
    const facts: Fact[] = [
      makeFact('link', { ...base, ifname: 'eth0', kind: 'device', master: null, linkNetnsId: null }),
      makeFact('link', { ...base, ifname: 'kube-bridge', kind: 'bridge', master: null, linkNetnsId: null }),
      makeFact('addr', { ifname: 'eth0', family: 'inet', address: ipOf(i), prefixLen: 16, scope: 'global', broadcast: null, label: null, flags: [] }),
      makeFact('addr', { ifname: 'kube-bridge', family: 'inet', address: cidrOf(i).replace('.0/24', '.1'), prefixLen: 24, scope: 'global', broadcast: null, label: null, flags: [] }),
      makeFact('ipset', { name: 'kube-router-pod-subnets', type: 'hash:net', family: 'inet', header: {} }),
      makeFact('ipset', { name: 'kube-router-node-ips', type: 'hash:ip', family: 'inet', header: {} }),
      rt(cidrOf(i), null, 'kube-bridge', 'kernel'),
      rt('default', '172.16.255.254', 'eth0', 'boot'),
    ];
    for (let j = 0; j < nodes; j++) {
      if (j !== i) facts.push(rt(cidrOf(j), ipOf(j), 'eth0'));
      facts.push(makeFact('ipsetMember', { set: 'kube-router-pod-subnets', element: cidrOf(j), timeout: 0, comment: null }));
      facts.push(makeFact('ipsetMember', { set: 'kube-router-node-ips', element: ipOf(j), timeout: 0, comment: null }));
    }
    for (let r = nodes + 1; r < routes; r++) facts.push(rt(`192.168.${r >> 8}.${r & 255}/32`, '172.16.255.1', 'eth0', 'static'));
    for (let k = 0; k < pods; k++) facts.push(makeFact('link', { ...base, ifname: `veth${i}p${k}`, kind: 'veth', master: 'kube-bridge', linkNetnsId: k }));
    out.set(`node${i}`, facts);
  }
  return out;
}

describe('scale', () => {
  it('200 nodes × 300 routes (and ipsets of 200 members)', () => {
    const cluster = syntheticCluster(200, 300, 20);
    const facts = [...cluster.values()].reduce((s, f) => s + f.length, 0);
    for (let i = 0; i < 3; i++) checkNodes(cluster); // warm-up (JIT)
    const times: number[] = [];
    let found: Finding[] = [];
    for (let i = 0; i < 9; i++) {
      const t0 = performance.now();
      found = checkNodes(cluster);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`checkNodes: 200 nodes, ${facts} facts, ${200 * 199} node pairs; median ${times[4]?.toFixed(1)} ms (min ${times[0]?.toFixed(1)}, max ${times[8]?.toFixed(1)})`);
    expect(found).toEqual([]);
    expect(times[4]).toBeLessThan(1000); // generous: a loaded machine may be slow, never wrong
    // and at that size the faults are still found, exactly: a route deleted on node0, node9 gone
    const node0 = cluster.get('node0') ?? [];
    cluster.set('node0', node0.filter((f) => !isMainRoute(f, '10.100.7.0/24')));
    const others = [...cluster.keys()].filter((n) => n !== 'node9');
    const want = [
      ['route-missing', 'node0', 'node7', '10.100.7.0/24'],
      ...others.flatMap((n) => [
        ['ipset-extra', n, 'node9', 'kube-router-node-ips 172.16.0.9'],
        ['ipset-extra', n, 'node9', 'kube-router-pod-subnets 10.100.9.0/24'],
        ['route-stale', n, 'node9', '10.100.9.0/24'],
      ]),
    ];
    const byKey = (x: (string | null)[], y: (string | null)[]) => (x.join('|') < y.join('|') ? -1 : 1);
    expect(brief(checkNodes(cluster, { live: others }))).toEqual(want.sort(byKey));
  }, 60_000);
});
