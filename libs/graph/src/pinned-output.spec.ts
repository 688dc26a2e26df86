// The whole output of deriveHostPart and evaluateChecks, pinned on real lab states (the topology and
// checks fixtures) and on edits of them that reach the rarer branches (multipath, external next
// hops, metric/tos qualifiers, sessions down, forgotten MACs, a VTEP without neighbor or fdb entry,
// IPIP, IPv6, Kubernetes matching by InternalIP, nodes no longer live). The other specs check what
// the output means; this one checks that it stays the same, to the byte and in its order, while
// the code that makes it is reorganised (issue 17: long functions split into named steps).
//
// The pinned texts are fixtures/pinned/*.jsonl, one JSON line per node, edge, finding or part
// field. After a change of output that is meant, `npx vitest run libs/graph/src/pinned-output.spec.ts -u`
// rewrites them, and their diff shows what changed.
import { makeFact, type Fact, type FactOf } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { evaluateChecks, type CheckNodesOptions, type KubernetesPodInfo } from './checks.js';
import { addr, edit, kubeOf, labState, link, neigh as permanentNeigh, readFixture, route, withRoute, type LabNode, type State } from './spec-support/facts.js';
import { deriveHostPart, indexHosts, newHostPartCache, topologyContext, type DeriveTopologyOptions, type HostPart } from './topology.js';

const scenario = (id: string) => readFixture<{ lab: { nodes: LabNode[] }; before?: State; after: State }>(`fixtures/checks/${id}.json`);

const kubePodsOf = (lab: readonly LabNode[]): KubernetesPodInfo[] =>
  lab.flatMap((n) => n.pods.map((p, i) => ({ namespace: 'default', name: p.name ?? `pod-${i}`, node: n.name, ips: [p.ip], hostNetwork: false, phase: 'Running' })));
const podNamesOf = (lab: readonly LabNode[]): DeriveTopologyOptions['pods'] =>
  new Map(lab.flatMap((n) => n.pods.map((p, i) => [p.ip, { namespace: 'default', name: p.name ?? `pod-${i}` }] as const)));

// ------------------------------------------------------------------ what is pinned

const line = (tag: string, x: unknown): string => `${tag} ${JSON.stringify(x)}`;

/** A part as text, every field in the order the part holds it (Maps and Sets in insertion order). */
function partText(p: HostPart): string[] {
  return [
    line('host', p.host),
    ...p.nodes.map((n) => line('node', n)),
    ...p.edges.map((e) => line('edge', e)),
    ...[...p.externals].map(([address, x]) => line('external', [address, [...x.roles], [...x.asns]])),
    line('vteps', [...p.vteps]),
    line('subnets', [...p.subnets]),
    line('podIps', p.podIps),
  ];
}

/**
 * Every host's part, derived without a cache; derived twice more with one (filling it, then from
 * it), each must equal the uncached part.
 */
function topologyText(state: State, options: DeriveTopologyOptions = {}): string {
  const hosts = indexHosts(state, options.podCidrs);
  const context = topologyContext(hosts);
  const parts = hosts.map((h) => deriveHostPart(h, context, options));
  const cache = newHostPartCache();
  for (let round = 0; round < 2; round++) {
    const cached = hosts.map((h) => deriveHostPart(h, context, options, cache));
    expect(cached.map(partText)).toEqual(parts.map(partText));
  }
  return `${parts.flatMap(partText).join('\n')}\n`;
}

function checksText(state: State, options: CheckNodesOptions = {}): string {
  const { nodes, findings } = evaluateChecks(state, options);
  return `${[...nodes.map((n) => line('node', n)), ...findings.map((f) => line('finding', f))].join('\n')}\n`;
}

// ------------------------------------------------------------------ the cases

interface Case {
  name: string;
  state: State;
  topology?: DeriveTopologyOptions;
  checks?: CheckNodesOptions[];
}

function labCases(): Case[] {
  const cases: Case[] = [];
  for (const style of ['kube-router', 'calico', 'flannel'] as const) {
    const { state, lab } = labState(style);
    cases.push({
      name: style,
      state,
      topology: { pods: podNamesOf(lab) },
      checks: [{}, { kubernetes: kubeOf(lab, (_, i) => `k8s-${i}`), pods: kubePodsOf(lab) }],
    });
  }
  for (const id of ['calico-del-route', 'flannel-mtu', 'kube-router-del-route', 'kube-router-ipset-extra', 'kube-router-stop-bgp']) {
    cases.push({ name: id, state: scenario(id).after, checks: [{}] });
  }
  const removed = scenario('kube-router-remove-node');
  const [n1, n2] = removed.lab.nodes as [LabNode, LabNode, LabNode];
  cases.push({ name: 'kube-router-remove-node', state: removed.before as State, checks: [{}, { live: [n1.name, n2.name] }, { kubernetes: kubeOf([n1, n2]) }] });
  return cases;
}

/** The kube-router lab edited: multipath with an external hop and qualifiers, a session down, MACs forgotten. */
function kubeRouterEdits(): Case {
  const { state, lab } = labState('kube-router');
  const [a, b, c] = lab as [LabNode, LabNode, LabNode];
  let s = edit(state, a.name, (fs) =>
    withRoute(fs, b.podCidr, (r) => ({
      ...r,
      gateway: null,
      dev: null,
      metric: 10,
      tos: 4,
      nexthops: [
        { gateway: b.underlayIp, dev: 'eth0', weight: 1, flags: [] },
        { gateway: c.underlayIp, dev: 'eth0', weight: 2, flags: [] },
        { gateway: '172.20.0.99', dev: 'eth0', weight: 1, flags: [] },
      ],
    })),
  );
  s = edit(s, a.name, (fs) => withRoute(fs, c.podCidr, (r) => ({ ...r, gateway: '172.20.0.98' })));
  s = edit(s, b.name, (fs) => fs.map((f) => (f.kind === 'bgpSession' ? makeFact('bgpSession', { ...f.value, state: 'active', prefixesReceived: 0 }) : f)));
  s = edit(s, c.name, (fs) => fs.filter((f) => !(f.kind === 'fdb' && f.value.master !== null && f.value.state === null)));
  return { name: 'kube-router-edited', state: s, topology: { podCidrs: { [c.name]: [c.podCidr, 'fd00:10:233:3::/64'] } }, checks: [{}, { live: [a.name, b.name] }] };
}

/** The flannel lab edited: node1 without the neighbor of node2's VTEP, node3 without the fdb entry of node1's. */
function flannelEdits(): Case {
  const { state, lab } = labState('flannel');
  const [a, b, c] = lab as [LabNode, LabNode, LabNode];
  const vtepGw = (n: LabNode) => n.podCidr.replace(/\/24$/, '');
  let s = edit(state, a.name, (fs) => fs.filter((f) => !(f.kind === 'neigh' && f.value.dev === 'flannel.1' && f.value.address === vtepGw(b))));
  s = edit(s, c.name, (fs) => fs.filter((f) => !(f.kind === 'fdb' && f.value.dev === 'flannel.1' && f.value.dst === a.underlayIp)));
  return { name: 'flannel-edited', state: s, checks: [{}] };
}

/** The calico lab edited: node3 blackholes node2's block, node1 routes node3's block via a gateway nobody holds. */
function calicoEdits(): Case {
  const { state, lab } = labState('calico');
  const [a, b, c] = lab as [LabNode, LabNode, LabNode];
  const blockOf = (n: LabNode, facts: readonly Fact[]) =>
    facts.find((f): f is FactOf<'route'> => f.kind === 'route' && f.value.type === 'unicast' && f.value.gateway === n.underlayIp)?.value.dst ?? n.podCidr;
  let s = edit(state, c.name, (fs) => withRoute(fs, blockOf(b, fs), (r) => ({ ...r, type: 'blackhole', protocol: 'static', gateway: null, dev: null })));
  s = edit(s, a.name, (fs) => withRoute(fs, blockOf(c, fs), (r) => ({ ...r, gateway: '172.20.0.97' })));
  const blocks = lab.map((n) => ({ node: n.name, cidr: blockOf(n, state[a.name] ?? []) }));
  return {
    name: 'calico-edited',
    state: s,
    checks: [{}, { kubernetes: kubeOf(lab), blocks: [...blocks, { node: c.name, cidr: '10.48.9.0/26' }], lastOrigins: new Map([[b.name, [{ daemon: 'bird', prefix: '10.48.8.0/26' }]]]) }],
  };
}

/** Hand-built: IPIP tunnels between two nodes, IPv6 pods on a third, a docker0 and a service IP everywhere. */
function handBuilt(): Case {
  const neigh = (dev: string, address: string, lladdr: string) => permanentNeigh(dev, address, lladdr, { state: ['REACHABLE'] });
  const ipipHost = (i: number, peer: number): Fact[] => [
    link('eth0', 'device'),
    link('kube-bridge', 'bridge'),
    link('docker0', 'bridge'),
    link('kube-dummy-if', 'dummy'),
    link(`veth${i}`, 'veth', { master: 'kube-bridge', linkNetnsId: 0, mtu: 1480 }),
    link(`tun-${peer}`, 'ipip', { mtu: 1500, ipip: { local: `192.168.0.${i}`, remote: `192.168.0.${peer}` } }),
    addr('eth0', `192.168.0.${i}`, 24),
    addr('kube-bridge', `10.233.${i}.1`, 24),
    addr('docker0', '172.17.0.1', 16),
    addr('kube-dummy-if', '10.96.0.10', 32),
    neigh('kube-bridge', `10.233.${i}.5`, `0a:00:00:00:0${i}:05`),
    route(`10.233.${i}.0/24`, null, 'kube-bridge', { protocol: 'kernel' }),
    route(`10.233.${peer}.0/24`, null, `tun-${peer}`),
    route('10.233.9.0/24', '10.96.0.10', 'eth0'),
  ];
  const v6Host = (i: number, peer: number): Fact[] => [
    link('eth0', 'device'),
    link(`cali${i}`, 'veth', { linkNetnsId: 0 }),
    addr('eth0', `2001:db8::${i}`, 64),
    route(`fd00:10:233:${i}::/64`, null, null, { type: 'blackhole', protocol: 'bird' }),
    route(`fd00:10:233:${i}::5/128`, null, `cali${i}`),
    neigh(`cali${i}`, `fd00:10:233:${i}::5`, `ee:ee:ee:ee:ee:0${i}`),
    route(`fd00:10:233:${peer}::/64`, `2001:db8::${peer}`, 'eth0', { protocol: 'bird' }),
  ];
  return {
    name: 'hand-built',
    state: { a: ipipHost(1, 2), b: ipipHost(2, 1), c: v6Host(3, 4), d: v6Host(4, 3) },
    topology: { podCidrs: { e: ['10.233.9.0/24'] } },
    checks: [
      {},
      {
        pods: [
          { namespace: 'default', name: 'stray', node: 'a', ips: ['10.250.0.5', '10.233.1.5'], hostNetwork: false, phase: 'Running' },
          { namespace: 'default', name: 'pending', node: 'a', ips: ['10.250.0.6'], hostNetwork: false, phase: 'Pending' },
          { namespace: 'kube-system', name: 'proxy', node: 'b', ips: ['192.168.0.2'], hostNetwork: true, phase: 'Running' },
          { namespace: 'default', name: 'v6', node: 'c', ips: ['fd00:10:233:3::77'], hostNetwork: false, phase: null },
        ],
      },
    ],
  };
}

const CASES: Case[] = [...labCases(), kubeRouterEdits(), flannelEdits(), calicoEdits(), handBuilt()];

describe.each(CASES)('pinned output: $name', (c) => {
  it('deriveHostPart, every host', async () => {
    await expect(topologyText(c.state, c.topology)).toMatchFileSnapshot(`./fixtures/pinned/${c.name}.topology.jsonl`);
  });
  it('evaluateChecks', async () => {
    const text = (c.checks ?? [{}]).map((o) => `# ${JSON.stringify(o, (_, v: unknown) => (v instanceof Map ? [...v] : v))}\n${checksText(c.state, o)}`).join('');
    await expect(text).toMatchFileSnapshot(`./fixtures/pinned/${c.name}.checks.jsonl`);
  });
});
