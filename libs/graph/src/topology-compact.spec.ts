// The compact form (TopologyForm) against the full one, on the captured labs and on generated
// clusters past COMPACT_FROM_HOSTS hosts: the compact topology must be the full topology without
// its healthy host-to-host edges, each host's `relations` must count exactly the edges of the full
// form, the on-demand edges must be the full form's edges of the asked hosts, and the incremental
// topology must switch form as the cluster grows and shrinks with patches that still add up.
import { makeFact, type Fact, type HostRelations, type RouteEdgeData, type TopoEdge, type Topology } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { addr, edit, labState, link, route, type State, type Style } from './spec-support/facts.js';
import { IncrementalTopology } from './topology-incremental.js';
import { applyTopologyPatch, COMPACT_FROM_HOSTS, deriveHostEdges, deriveTopology, MISSING_LISTED } from './topology.js';

const STYLES: Style[] = ['kube-router', 'calico', 'flannel'];
const hostOfId = (id: string) => (id.startsWith('host:') ? id.slice(5) : null);

/** Healthy host-to-host edges: what the compact form counts instead of listing. */
function healthyBetweenHosts(e: TopoEdge): boolean {
  if (hostOfId(e.target) === null) return false;
  if (e.type === 'bgp') return e.data['state'] === 'established';
  if (e.type === 'route') return (e.data as unknown as RouteEdgeData).nextHopMismatch === false;
  return e.type === 'tunnel';
}

/** The host an edge starts at (its source is the host or one of its elements). */
function sourceHost(full: Topology, e: TopoEdge): string | null {
  return hostOfId(e.source) ?? full.nodes.find((n) => n.id === e.source)?.host ?? null;
}

/** What `relations` must say, counted from the full form's edges and host nodes (written apart from the derivation). */
function expectedRelations(full: Topology, host: string): HostRelations {
  const r: HostRelations = {
    routes: { total: 0, mismatch: 0, toHosts: 0, of: 0, missing: [], missingCount: 0 },
    bgp: { total: 0, established: 0, pending: 0, down: 0 },
    tunnels: { total: 0, toHosts: 0 },
  };
  const reached = new Set<string>();
  const tunnelHosts = new Set<string>();
  for (const e of full.edges) {
    if (sourceHost(full, e) !== host) continue;
    if (e.type === 'route') {
      const d = e.data as unknown as RouteEdgeData;
      r.routes.total++;
      if (d.nextHopMismatch) r.routes.mismatch++;
      reached.add(d.dstHost);
    } else if (e.type === 'bgp') {
      r.bgp.total++;
      const s = e.data['state'];
      if (s === 'established') r.bgp.established++;
      else if (s === 'connect' || s === 'opensent' || s === 'openconfirm') r.bgp.pending++;
      else r.bgp.down++;
    } else if (e.type === 'tunnel') {
      r.tunnels.total++;
      const t = hostOfId(e.target);
      if (t !== null) tunnelHosts.add(t);
    }
  }
  const podHosts = full.nodes
    .filter((n) => n.type === 'host' && (n.data['podCidrs'] as string[]).length > 0)
    .map((n) => n.label)
    .sort();
  const others = podHosts.filter((n) => n !== host);
  r.routes.of = others.length;
  r.routes.toHosts = reached.size;
  const missing = others.filter((n) => !reached.has(n));
  r.routes.missing = missing.slice(0, MISSING_LISTED);
  r.routes.missingCount = missing.length;
  r.tunnels.toHosts = tunnelHosts.size;
  return r;
}

/** Checks the compact form of `input` against its full form. */
function expectCompactOf(input: State): { full: Topology; compact: Topology } {
  const full = deriveTopology(input);
  const compact = deriveTopology(input, { compact: true });
  expect(compact.edges).toEqual(full.edges.filter((e) => !healthyBetweenHosts(e)));
  expect(compact.nodes.map((n) => n.id)).toEqual(full.nodes.map((n) => n.id));
  for (const [i, n] of compact.nodes.entries()) {
    if (n.type !== 'host') {
      expect(n).toEqual(full.nodes[i]);
      continue;
    }
    const { relations, ...rest } = n.data;
    expect({ ...n, data: rest }).toEqual(full.nodes[i]);
    expect(relations, n.id).toEqual(expectedRelations(full, n.label));
  }
  return { full, compact };
}

// ------------------------------------------------------------------ a generated cluster

const BIRD = { daemon: 'bird', name: null, peerAs: 64512, localAs: 64512, since: null, prefixesReceived: 1, prefixesAccepted: 1, prefixesSent: 1, lastError: null, holdTime: 90, keepalive: 30 } as const;

/** `n` calico-like hosts in a full BGP mesh, each routing every other host's /24 via its node IP. */
function meshCluster(n: number): State {
  const name = (i: number) => `node-${String(i).padStart(4, '0')}`;
  const ip = (i: number) => `10.1.${i >> 8}.${i & 255}`;
  const cidr = (i: number) => `10.244.${i}.0/24`;
  const state: State = {};
  for (let i = 0; i < n; i++) {
    const facts: Fact[] = [link('eth0', 'veth'), addr('eth0', ip(i), 16), route(cidr(i), null, null, { type: 'blackhole', protocol: 'bird', scope: 'global' })];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      facts.push(route(cidr(j), ip(j), 'eth0', { protocol: 'bird' }));
      facts.push(makeFact('bgpSession', { ...BIRD, peerAddress: ip(j), localAddress: ip(i), state: 'established' }));
    }
    state[name(i)] = facts;
  }
  return state;
}

describe('compact topology', () => {
  for (const style of STYLES) {
    it(`${style} lab: the full form without its healthy host-to-host edges, counted in each host's relations`, () => {
      const { full, compact } = expectCompactOf(labState(style).state);
      // the lab is healthy: the compact form leaves out something on every style
      expect(compact.edges.length).toBeLessThan(full.edges.length);
    });
  }

  it('all three labs in one cluster (overlapping addresses, mixed CNIs)', () => {
    expectCompactOf(Object.assign({}, ...STYLES.map((s) => labState(s).state)) as State);
  });

  it('problems stay edges: a session down, a route via the wrong host, a missing route', () => {
    const { state, lab } = labState('kube-router');
    const [a, b, c] = lab;
    let broken = edit(state, a!.name, (facts) =>
      facts.map((f) => (f.kind === 'bgpSession' && f.value.peerAddress === b!.underlayIp ? makeFact('bgpSession', { ...f.value, state: 'active' }) : f)),
    );
    // a reaches b's pods through c, and has no route to c's pods at all
    broken = edit(broken, a!.name, (facts) =>
      facts
        .filter((f) => !(f.kind === 'route' && f.value.table === 'main' && f.value.dst === c!.podCidr))
        .map((f) => (f.kind === 'route' && f.value.table === 'main' && f.value.dst === b!.podCidr ? makeFact('route', { ...f.value, gateway: c!.underlayIp }) : f)),
    );
    const { compact } = expectCompactOf(broken);
    const host = compact.nodes.find((n) => n.id === `host:${a!.name}`)!;
    const rel = host.data['relations'] as HostRelations;
    expect(rel.bgp.down).toBe(1);
    expect(rel.routes.mismatch).toBe(1);
    expect(rel.routes).toMatchObject({ toHosts: 1, of: 2, missing: [c!.name], missingCount: 1 });
    const fromA = compact.edges.filter((e) => e.source === `host:${a!.name}` && (e.type === 'bgp' || e.type === 'route'));
    expect(fromA.map((e) => [e.type, e.target])).toEqual(
      expect.arrayContaining([
        ['bgp', `host:${b!.name}`],
        ['route', `host:${c!.name}`],
      ]),
    );
  });

  it(`a ${COMPACT_FROM_HOSTS + 9}-host mesh: N host-to-host edges instead of N², and the relations say all is well`, () => {
    const n = COMPACT_FROM_HOSTS + 9;
    const { full, compact } = expectCompactOf(meshCluster(n));
    expect(full.edges.filter((e) => e.type === 'route' || e.type === 'bgp')).toHaveLength(2 * n * (n - 1));
    expect(compact.edges.filter((e) => e.type === 'route' || e.type === 'bgp')).toHaveLength(0);
    for (const h of compact.nodes.filter((x) => x.type === 'host')) {
      expect(h.data['relations']).toMatchObject({ routes: { toHosts: n - 1, of: n - 1, missingCount: 0 }, bgp: { total: n - 1, established: n - 1 } });
    }
  });

  it('more missing routes than are listed: the first few by name, and how many', () => {
    const n = 30;
    const state = edit(meshCluster(n), 'node-0000', (facts) => facts.filter((f) => f.kind !== 'route' || f.value.type === 'blackhole'));
    const { compact } = expectCompactOf(state);
    const rel = compact.nodes.find((x) => x.id === 'host:node-0000')!.data['relations'] as HostRelations;
    expect(rel.routes.missing).toHaveLength(MISSING_LISTED);
    expect(rel.routes.missingCount).toBe(n - 1);
  });

  it("the on-demand edges of some hosts are the full form's edges that start at them", () => {
    for (const style of STYLES) {
      const { state, lab } = labState(style);
      const full = deriveTopology(state);
      const asked = [lab[0]!.name, lab[2]!.name];
      expect(deriveHostEdges(state, asked)).toEqual(full.edges.filter((e) => asked.includes(sourceHost(full, e) ?? '')));
    }
  });
});

describe('incremental topology, form auto', () => {
  const facts = (s: State) => (h: string) => s[h];

  it(`switches to compact at ${COMPACT_FROM_HOSTS} hosts and back, its patches adding up to each form's derivation`, () => {
    const big = meshCluster(COMPACT_FROM_HOSTS);
    const small: State = { ...big };
    delete small[Object.keys(big).sort().at(-1)!];
    // the small cluster's facts still route to the missing host's CIDR: nobody owns it, so no edge
    let current: State = small;
    const inc = new IncrementalTopology((h) => facts(current)(h));
    for (const h of Object.keys(big)) inc.touch(h);
    let shown: Topology = applyTopologyPatch({ nodes: [], edges: [] }, inc.patch());
    expect(inc.form).toBe('full');
    expect(shown).toEqual(deriveTopology(small));

    current = big;
    inc.touch(Object.keys(big).sort().at(-1)!);
    shown = applyTopologyPatch(shown, inc.patch());
    expect(inc.form).toBe('compact');
    expect(shown).toEqual(deriveTopology(big, { compact: true }));
    expect(inc.topology()).toEqual(shown);
    const asked = ['node-0003'];
    expect(inc.fullEdges(asked)).toEqual(deriveHostEdges(big, asked));

    // a session goes down: one patch, the host's relations and the session's edge
    const changed = edit(big, 'node-0003', (fs) => fs.map((f) => (f.kind === 'bgpSession' && f.value.peerAddress === '10.1.0.4' ? makeFact('bgpSession', { ...f.value, state: 'idle' }) : f)));
    current = changed;
    inc.touch('node-0003');
    const patch = inc.patch();
    expect(patch.upsertNodes.map((x) => x.id)).toEqual(['host:node-0003']);
    expect(patch.upsertEdges.map((x) => x.type)).toEqual(['bgp']);
    shown = applyTopologyPatch(shown, patch);
    expect(shown).toEqual(deriveTopology(changed, { compact: true }));

    current = small;
    inc.touch(Object.keys(big).sort().at(-1)!);
    inc.touch('node-0003');
    shown = applyTopologyPatch(shown, inc.patch());
    expect(inc.form).toBe('full');
    expect(shown).toEqual(deriveTopology(small));
  });

  it('a fixed form is kept whatever the size', () => {
    const s = labState('calico').state;
    const inc = new IncrementalTopology((h) => s[h], { form: 'compact' });
    for (const h of Object.keys(s)) inc.touch(h);
    expect(applyTopologyPatch({ nodes: [], edges: [] }, inc.patch())).toEqual(deriveTopology(s, { compact: true }));
    expect(inc.form).toBe('compact');
  });
});
