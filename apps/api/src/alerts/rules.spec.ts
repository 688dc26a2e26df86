// The rules as a pure function: which conditions hold, with which labels, and how symptoms group
// under the root cause that lies on their path. Each case is a cluster shape and a fault, with the
// expected roots and symptoms written out; the evidence comes from real-shaped facts through
// gatherEvidence (libs/graph), as the current state's worker computes it.
import { gatherEvidence } from '@netatlas/graph';
import { makeFact, type ExpectedNode, type Fact, type Finding, type FindingDependencies } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { evaluateRules, fingerprintOf, type NodeSignal, type RuleInput } from './rules.js';

const NOW = Date.parse('2026-11-23T18:00:00Z');
const names = ['n1', 'n2', 'n3', 'rr'];
const ip = (name: string) => `172.20.0.${10 + names.indexOf(name) + 1}`;
const cidr = (name: string) => `10.233.${names.indexOf(name) + 1}.0/24`;
const expected: ExpectedNode[] = names.map((name) => ({
  name,
  kubernetesName: null,
  collected: true,
  addresses: [ip(name)],
  podCidrs: [cidr(name)],
  ranges: [{ cidr: cidr(name), family: 'inet', sources: [{ source: 'bgp-origin', detail: 'bird' }] }],
  ignored: [],
  vtep: null,
  style: 'calico',
  families: ['inet'],
}));

type Readers = Record<string, { status: 'ok' | 'missing' | 'failed' | 'timeout'; error: string | null }>;
interface NodeShape {
  /** peers it has a BGP session to, and whether each is up */
  sessions?: Record<string, boolean>;
  eth0?: 'UP' | 'DOWN' | 'LOWERLAYERDOWN';
  readers?: Readers;
}
const link = (ifname: string, operstate: string): Fact =>
  makeFact('link', { ifname, ifindex: 2, kind: 'veth', mtu: 1500, mac: null, operstate, flags: operstate === 'UP' ? ['UP', 'LOWER_UP'] : ['NO-CARRIER', 'UP'], master: null, link: null, linkIndex: null, linkNetnsId: 0, vxlan: null, ipip: null });
/** A node's facts as the evidence reads them: node fact (readers), eth0 with its address, sessions. */
function facts(name: string, shape: NodeShape): Fact[] {
  return [
    makeFact('node', { hostname: name, kernel: '6.1', bootId: 'b', cniStyle: 'calico', readers: shape.readers ?? { bird: { status: 'ok', error: null } } }),
    makeFact('addr', { ifname: 'eth0', family: 'inet', address: ip(name), prefixLen: 24, scope: 'global', broadcast: null, label: null, flags: [] }),
    link('eth0', shape.eth0 ?? 'UP'),
    ...Object.entries(shape.sessions ?? {}).map(([peer, up]) =>
      makeFact('bgpSession', {
        daemon: 'bird', name: null, peerAddress: ip(peer), peerAs: 64512, localAddress: ip(name), localAs: 64512, state: up ? 'established' : 'active',
        since: '2026-11-23T17:59:50Z', prefixesReceived: null, prefixesAccepted: null, prefixesSent: null, lastError: null, holdTime: null, keepalive: null,
      }),
    ),
  ];
}
const mesh = (of: string, nodes = ['n1', 'n2', 'n3'], down: string[] = []): Record<string, boolean> =>
  Object.fromEntries(nodes.filter((n) => n !== of).map((n) => [n, !down.includes(n)]));

const loss = (node: string, peer: string, dependsOn: FindingDependencies = { nodes: [node, peer], sessions: [[node, peer]] }): Finding => ({
  type: 'route-missing', node, peer, subject: cidr(peer), key: `route-missing|${node}|${peer}|${cidr(peer)}`, message: `${node} has no route to ${cidr(peer)}`,
  expected: null, actual: null, dependsOn,
});
const viaRr = (node: string, peer: string) => loss(node, peer, { nodes: [node, 'rr', peer], sessions: [[node, 'rr'], ['rr', peer]] });
const nodes = (over: Record<string, Partial<NodeSignal>> = {}, which = ['n1', 'n2', 'n3']): NodeSignal[] =>
  which.map((name) => ({ name, status: 'connected', since: NOW - 60_000, ...over[name] }));

function input(shapes: Record<string, NodeShape>, over: Partial<RuleInput> = {}): RuleInput {
  const state = new Map(Object.entries(shapes).map(([n, s]) => [n, facts(n, s)]));
  const exp = expected.filter((e) => e.name in shapes);
  return { now: NOW, nodes: nodes({}, Object.keys(shapes)), findings: [], expected: exp, evidence: gatherEvidence(state, exp), nodeLeftShowMs: 600_000, ...over };
}
const rules = (i: RuleInput) => evaluateRules(i).map((c) => `${c.fingerprint}${c.rootFingerprint ? ` < ${c.rootFingerprint}` : ''}`).sort();
const healthyMesh = () => ({ n1: { sessions: mesh('n1') }, n2: { sessions: mesh('n2') }, n3: { sessions: mesh('n3') } });

describe('alert rules', () => {
  it('a healthy cluster: nothing', () => {
    expect(rules(input(healthyMesh()))).toEqual([]);
  });

  it('one missing route (del-route): RouteLoss for exactly that pair, alone', () => {
    expect(rules(input(healthyMesh(), { findings: [loss('n1', 'n3')] }))).toEqual(['RouteLoss{node=n1,peer=n3,prefix=10.233.3.0/24}']);
  });

  it("a stopped BIRD (its reader says the socket is gone): BgpDaemonDown, with the peers' sessions and routes to it under it", () => {
    const shapes = {
      n1: { sessions: mesh('n1', undefined, ['n3']) },
      n2: { sessions: mesh('n2', undefined, ['n3']) },
      // its reader failed and, the daemon gone, reports no sessions
      n3: { readers: { bird: { status: 'failed' as const, error: 'BIRD control socket /run/bird.ctl: no such file — is BIRD running?' } } },
    };
    const root = fingerprintOf('BgpDaemonDown', { daemon: 'bird', node: 'n3' });
    const out = input(shapes, { findings: [loss('n1', 'n3'), loss('n2', 'n3')] });
    expect(rules(out)).toEqual(
      [
        root,
        `BgpSessionDown{daemon=bird,node=n1,peer=n3} < ${root}`,
        `BgpSessionDown{daemon=bird,node=n2,peer=n3} < ${root}`,
        `RouteLoss{node=n1,peer=n3,prefix=10.233.3.0/24} < ${root}`,
        `RouteLoss{node=n2,peer=n3,prefix=10.233.3.0/24} < ${root}`,
      ].sort(),
    );
    // the node answers: nothing claims it is unreachable, and the summary says what the evidence is
    expect(rules(out).some((r) => r.startsWith('NodeUnreachable'))).toBe(false);
    expect(evaluateRules(out).find((c) => c.rule === 'BgpDaemonDown')?.summary).toBe(
      'n3: its BGP daemon is down — its bird reader is failed: BIRD control socket /run/bird.ctl: no such file — is BIRD running?',
    );
  });

  it("the route reflector's BIRD stopped: the clients' routes to each other hang on it, never on their destinations", () => {
    const clients = ['n1', 'n2', 'n3'];
    const shapes: Record<string, NodeShape> = {
      ...Object.fromEntries(clients.map((c) => [c, { sessions: { rr: false } }])),
      rr: { readers: { bird: { status: 'failed', error: 'BIRD stopped answering at /run/bird.ctl' } } },
    };
    const findings = clients.flatMap((a) => clients.filter((b) => b !== a).map((b) => viaRr(a, b)));
    const root = fingerprintOf('BgpDaemonDown', { daemon: 'bird', node: 'rr' });
    const out = rules(input(shapes, { findings, nodes: nodes({}, [...clients, 'rr']) }));
    expect(out.filter((r) => !r.includes(' < '))).toEqual([root]);
    expect(out.filter((r) => r.startsWith('RouteLoss'))).toHaveLength(6);
    expect(out.every((r) => r === root || r.endsWith(`< ${root}`))).toBe(true);
  });

  it("another node's uplink down: UnderlayDown on that node at once; the others' losses hang on it, no healthy node is blamed", () => {
    const shapes = {
      n1: { sessions: mesh('n1', undefined, ['n2']) },
      n2: { sessions: mesh('n2', undefined, ['n1', 'n3']), eth0: 'LOWERLAYERDOWN' as const },
      n3: { sessions: mesh('n3', undefined, ['n2']) },
    };
    const root = fingerprintOf('UnderlayDown', { interface: 'eth0', node: 'n2' });
    expect(rules(input({ ...shapes, n1: { sessions: mesh('n1') }, n3: { sessions: mesh('n3') }, n2: { sessions: mesh('n2'), eth0: 'LOWERLAYERDOWN' } }))).toEqual([root]);
    const findings = [loss('n1', 'n2'), loss('n3', 'n2'), loss('n2', 'n1'), loss('n2', 'n3')];
    const out = rules(input(shapes, { findings }));
    expect(out.filter((r) => !r.includes(' < '))).toEqual([root]);
    expect(out).toHaveLength(1 + 4 + 4); // the root, 4 sessions down, 4 route losses
    expect(evaluateRules(input(shapes)).find((c) => c.rule === 'UnderlayDown')?.summary).toBe("n2: its underlay interface eth0 is LOWERLAYERDOWN (it holds the node's address)");
  });

  it('one session cut between two healthy nodes: BgpPeeringDown for the pair, its two sides and both route losses under it', () => {
    const shapes = { n1: { sessions: mesh('n1', undefined, ['n2']) }, n2: { sessions: mesh('n2', undefined, ['n1']) }, n3: { sessions: mesh('n3') } };
    const root = fingerprintOf('BgpPeeringDown', { node: 'n1', peer: 'n2' });
    expect(rules(input(shapes, { findings: [loss('n1', 'n2'), loss('n2', 'n1')] }))).toEqual(
      [
        root,
        `BgpSessionDown{daemon=bird,node=n1,peer=n2} < ${root}`,
        `BgpSessionDown{daemon=bird,node=n2,peer=n1} < ${root}`,
        `RouteLoss{node=n1,peer=n2,prefix=10.233.2.0/24} < ${root}`,
        `RouteLoss{node=n2,peer=n1,prefix=10.233.1.0/24} < ${root}`,
      ].sort(),
    );
    // a route loss between other nodes does not join it
    expect(rules(input(shapes, { findings: [loss('n3', 'n1', { nodes: ['n3', 'n1'], sessions: [] })] }))).toContain('RouteLoss{node=n3,peer=n1,prefix=10.233.1.0/24}');
  });

  it("the moment a daemon stops, before its reader tells: its peers see the sessions down, it still says established — no peering is blamed", () => {
    const shapes = { n1: { sessions: mesh('n1', undefined, ['n3']) }, n2: { sessions: mesh('n2', undefined, ['n3']) }, n3: { sessions: mesh('n3') } };
    expect(rules(input(shapes))).toEqual(['BgpSessionDown{daemon=bird,node=n1,peer=n3}', 'BgpSessionDown{daemon=bird,node=n2,peer=n3}']);
    // a moment later both ends agree (a firewall cut): then it is the peering
    expect(rules(input({ ...shapes, n3: { sessions: mesh('n3', undefined, ['n1']) }, n2: { sessions: mesh('n2') } }))).toContain('BgpPeeringDown{node=n1,peer=n3}');
  });

  it('a daemon just restarted, none of its sessions up yet: no peering is blamed (its BGP as a whole is not up); a single-peer client cut from its reflector is a peering', () => {
    const shapes = { n1: { sessions: mesh('n1', undefined, ['n2']) }, n2: { sessions: mesh('n2', undefined, ['n1', 'n3']) }, n3: { sessions: mesh('n3', undefined, ['n2']) } };
    expect(rules(input(shapes)).filter((r) => r.startsWith('BgpPeeringDown'))).toEqual([]);
    const rr = { n1: { sessions: { rr: false } }, rr: { sessions: { n1: false, n2: true, n3: true } }, n2: { sessions: { rr: true } }, n3: { sessions: { rr: true } } };
    expect(rules(input(rr, { nodes: nodes({}, ['n1', 'n2', 'n3', 'rr']) })).filter((r) => r.startsWith('BgpPeeringDown'))).toEqual(['BgpPeeringDown{node=n1,peer=rr}']);
  });

  it('a lost collector alone is CollectorLost, nothing else; with its peers losing it too, NodeUnreachable with CollectorLost under it', () => {
    const lost = nodes({ n3: { status: 'lost', since: NOW - 5000 } });
    expect(rules(input(healthyMesh(), { nodes: lost }))).toEqual(['CollectorLost{node=n3}']);
    // its own (frozen) view counts for nothing
    expect(rules(input(healthyMesh(), { nodes: lost, findings: [loss('n3', 'n1')] }))).toEqual(['CollectorLost{node=n3}']);
    const dead = { n1: { sessions: mesh('n1', undefined, ['n3']) }, n2: { sessions: mesh('n2', undefined, ['n3']) }, n3: { sessions: mesh('n3') } };
    const root = fingerprintOf('NodeUnreachable', { node: 'n3' });
    const i = input(dead, { nodes: lost, findings: [loss('n1', 'n3'), loss('n2', 'n3')] });
    expect(rules(i)).toEqual(
      [
        root,
        `BgpSessionDown{daemon=bird,node=n1,peer=n3} < ${root}`,
        `BgpSessionDown{daemon=bird,node=n2,peer=n3} < ${root}`,
        `CollectorLost{node=n3} < ${root}`,
        `RouteLoss{node=n1,peer=n3,prefix=10.233.3.0/24} < ${root}`,
        `RouteLoss{node=n2,peer=n3,prefix=10.233.3.0/24} < ${root}`,
      ].sort(),
    );
    expect(evaluateRules(i).find((c) => c.rule === 'NodeUnreachable')?.summary).toBe(
      'n3 is unreachable: its collector is lost (since 2026-11-23T17:59:55Z) and 2 of 2 BGP session(s) to it are down (n1, n2)',
    );
    // one peer still established with it: no claim
    const half = { ...dead, n2: { sessions: mesh('n2') } };
    expect(rules(input(half, { nodes: lost })).some((r) => r.startsWith('NodeUnreachable'))).toBe(false);
  });

  it('a node whose daemon no reader sees (collector started after it died), peers all down on it: BgpDaemonDown, said so', () => {
    const shapes = { n1: { sessions: mesh('n1', undefined, ['n3']) }, n2: { sessions: mesh('n2', undefined, ['n3']) }, n3: { readers: { bird: { status: 'missing' as const, error: 'no BIRD control socket' } } } };
    const out = evaluateRules(input(shapes));
    expect(out.find((c) => c.rule === 'BgpDaemonDown')?.summary).toBe('n3: its BGP daemon is down — no BGP daemon answers on it and all 2 session(s) to it are down (n1, n2)');
    // ... but not when its uplink is down: that explains the sessions
    expect(evaluateRules(input({ ...shapes, n3: { ...shapes.n3, eth0: 'DOWN' } })).map((c) => c.rule)).not.toContain('BgpDaemonDown');
  });

  it('a node that left: NodeLeft for a while, no RouteLoss towards it, and routes kept to it are stale', () => {
    const left = nodes({ n3: { status: 'left', since: NOW - 1000 } });
    const stale: Finding = { ...loss('n1', 'n3'), type: 'route-stale', key: 'route-stale|n1|n3|10.233.3.0/24' };
    expect(rules(input(healthyMesh(), { nodes: left, findings: [loss('n1', 'n3'), stale] }))).toEqual(['NodeLeft{node=n3}', 'StaleRoute{node=n1,peer=n3,prefix=10.233.3.0/24}']);
    expect(rules(input(healthyMesh(), { nodes: nodes({ n3: { status: 'left', since: NOW - 700_000 } }) }))).toEqual([]);
  });

  it("ipset drift is one alert per node and set; MTU findings one per interface; a pod's lost /32 is PodRouteMissing", () => {
    const f = (type: Finding['type'], node: string, subject: string): Finding => ({ type, node, peer: null, subject, key: `${type}|${node}||${subject}`, message: subject, expected: null, actual: null, dependsOn: { nodes: [node], sessions: [] } });
    const findings = [f('ipset-extra', 'n1', 'kube-router-pod-subnets 10.99.0.0/24'), f('ipset-missing', 'n1', 'kube-router-pod-subnets 10.233.3.0/24'), f('mtu-mismatch', 'n2', 'veth1'), f('pod-route-missing', 'n3', '10.233.3.5')];
    const out = evaluateRules(input(healthyMesh(), { findings }));
    expect(out.map((c) => c.fingerprint).sort()).toEqual(['IpsetDrift{node=n1,set=kube-router-pod-subnets}', 'MtuMismatch{interface=veth1,node=n2}', 'PodRouteMissing{node=n3,pod=10.233.3.5}']);
    expect(out.find((c) => c.rule === 'IpsetDrift')!.summary).toContain('lacks 1 and has 1 unexpected');
  });

  it('a Kubernetes source that fails is an alert naming the server and the error', () => {
    const out = evaluateRules(input(healthyMesh(), { kubernetes: { state: 'failing', error: 'nodes: HTTP 401 Unauthorized', server: 'https://k8s:6443', since: NOW - 1000 } }));
    expect(out.map((c) => [c.fingerprint, c.summary])).toEqual([
      ['KubernetesUnavailable{}', 'the Kubernetes API at https://k8s:6443 cannot be synced: nodes: HTTP 401 Unauthorized (expected routes rest on what the nodes announce meanwhile)'],
    ]);
    expect(evaluateRules(input(healthyMesh(), { kubernetes: { state: 'syncing', error: null, server: null, since: NOW - 5000 } }))).toEqual([]);
    // a first sync that never ends is as good as failing
    expect(evaluateRules(input(healthyMesh(), { kubernetes: { state: 'syncing', error: null, server: null, since: NOW - 90_000 } })).map((c) => c.summary)).toEqual([
      'the Kubernetes API cannot be synced: still not synced after 90 s (expected routes rest on what the nodes announce meanwhile)',
    ]);
  });
});
