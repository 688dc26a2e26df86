// The incremental topology against the full derivation: random edits of the real lab snapshots
// (facts dropped and restored, values changed, addresses copied to another host so that their
// owner becomes ambiguous, hosts gone and back, Kubernetes pod names) and, after each round, the
// patch must take the previous topology to exactly deriveTopology of the new facts.
import { makeFact, type Fact, type Topology } from '@netatlas/wire';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IncrementalTopology } from './topology-incremental.js';
import { applyTopologyPatch, deriveTopology, diffTopology, type PodName } from './topology.js';

type Fixture = Record<string, Fact[]>;
const fixture = (style: string): Fixture =>
  JSON.parse(readFileSync(new URL(`./fixtures/topology/${style}.json`, import.meta.url), 'utf8')) as Fixture;

const STYLES = ['kube-router', 'calico', 'flannel'] as const;
/** every style's 3 nodes in one cluster as well: 9 hosts, three CNIs, overlapping addresses */
const CASES: Array<[string, Fixture]> = [
  ...STYLES.map((s): [string, Fixture] => [s, fixture(s)]),
  ['all three styles', Object.assign({}, ...STYLES.map(fixture)) as Fixture],
];

type Op =
  | { op: 'drop'; host: number; fact: number }
  | { op: 'restore'; host: number; fact: number }
  | { op: 'mutate'; host: number; fact: number; salt: number }
  | { op: 'copyAddr'; from: number; to: number; fact: number }
  | { op: 'removeHost'; host: number }
  | { op: 'restoreHost'; host: number }
  | { op: 'pods'; salt: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('drop' as const), host: fc.nat(8), fact: fc.nat(200) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('restore' as const), host: fc.nat(8), fact: fc.nat(200) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('mutate' as const), host: fc.nat(8), fact: fc.nat(200), salt: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('copyAddr' as const), from: fc.nat(8), to: fc.nat(8), fact: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeHost' as const), host: fc.nat(8) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restoreHost' as const), host: fc.nat(8) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('pods' as const), salt: fc.nat(1000) }) },
);

/** A change of a fact's value that the topology may draw: states, MTUs, gateways, lladdrs. */
function mutate(f: Fact, salt: number, underlay: readonly string[]): Fact {
  const pick = <T,>(xs: readonly T[]): T => xs[salt % xs.length]!;
  switch (f.kind) {
    case 'neigh':
      return makeFact('neigh', { ...f.value, state: [pick(['REACHABLE', 'STALE', 'FAILED', 'INCOMPLETE'])], lladdr: salt % 5 === 0 ? null : f.value.lladdr });
    case 'link':
      return makeFact('link', { ...f.value, mtu: pick([1450, 1480, 1500]), operstate: pick(['UP', 'DOWN']) });
    case 'route':
      return f.value.gateway === null ? f : makeFact('route', { ...f.value, gateway: pick(underlay) });
    case 'bgpSession':
      return makeFact('bgpSession', { ...f.value, state: pick(['established', 'active', 'idle'] as const) });
    case 'fdb':
      return makeFact('fdb', { ...f.value, dst: f.value.dst === null ? null : pick(underlay) });
    default:
      return f;
  }
}

/** The facts as the worker keeps them: host → fact id → fact. */
class State {
  readonly facts = new Map<string, Map<string, Fact>>();
  readonly names: string[];
  constructor(readonly original: Fixture) {
    this.names = Object.keys(original).sort();
    for (const [h, list] of Object.entries(original)) this.facts.set(h, new Map(list.map((f) => [`${f.kind}|${f.key}`, f])));
  }
  plain(): Map<string, Fact[]> {
    return new Map([...this.facts].filter(([, m]) => m.size > 0).map(([h, m]) => [h, [...m.values()]]));
  }
  underlay(): string[] {
    const out: string[] = [];
    for (const list of Object.values(this.original)) for (const f of list) if (f.kind === 'addr' && f.value.ifname === 'eth0' && f.value.family === 'inet') out.push(f.value.address);
    return out.sort();
  }
}

function apply(s: State, op: Op, inc: IncrementalTopology, pods: Map<string, PodName>): void {
  const name = (i: number) => s.names[i % s.names.length]!;
  const put = (host: string, f: Fact) => {
    let m = s.facts.get(host);
    if (!m) s.facts.set(host, (m = new Map()));
    m.set(`${f.kind}|${f.key}`, f);
    inc.touch(host);
  };
  switch (op.op) {
    case 'drop': {
      const h = name(op.host);
      const m = s.facts.get(h);
      const ids = m ? [...m.keys()] : [];
      if (!ids.length) return;
      m!.delete(ids[op.fact % ids.length]!);
      inc.touch(h);
      return;
    }
    case 'restore': {
      const h = name(op.host);
      const list = s.original[h]!;
      put(h, list[op.fact % list.length]!);
      return;
    }
    case 'mutate': {
      const h = name(op.host);
      const m = s.facts.get(h);
      const list = m ? [...m.values()] : [];
      if (!list.length) return;
      const f = list[op.fact % list.length]!;
      const g = mutate(f, op.salt, s.underlay());
      if (g.key !== f.key) {
        m!.delete(`${f.kind}|${f.key}`);
        put(h, g);
      } else {
        // as the worker tells it: a change of one fact, which may leave the topology as it is
        m!.set(`${g.kind}|${g.key}`, g);
        inc.change(h, g.kind, f.value, g.value);
      }
      return;
    }
    case 'copyAddr': {
      const addrs = s.original[name(op.from)]!.filter((f) => f.kind === 'addr');
      if (addrs.length) put(name(op.to), addrs[op.fact % addrs.length]!);
      return;
    }
    case 'removeHost':
      s.facts.delete(name(op.host));
      inc.touch(name(op.host));
      return;
    case 'restoreHost':
      for (const f of s.original[name(op.host)]!) put(name(op.host), f);
      return;
    case 'pods': {
      // name some of the pods' addresses, rename or forget others
      const ips = deriveTopology(s.plain()).nodes.flatMap((n) => (n.type === 'pod' ? ((n.data['ips'] as string[]) ?? []) : []));
      ips.forEach((ip, i) => {
        const r = (op.salt + 7 * i) % 3;
        if (r === 0) pods.delete(ip);
        else pods.set(ip, { namespace: 'default', name: `pod-${(op.salt + i) % 4}` });
      });
      inc.setPods(new Map(pods));
      return;
    }
  }
}

describe.each(CASES)('IncrementalTopology on %s', (_, fx) => {
  it('its first patch is the whole topology', () => {
    const s = new State(fx);
    const inc = new IncrementalTopology((h) => s.facts.get(h)?.values());
    for (const h of s.names) inc.touch(h);
    const full = deriveTopology(s.plain());
    expect(applyTopologyPatch({ nodes: [], edges: [] }, inc.patch())).toEqual(full);
    expect(inc.topology()).toEqual(full);
    expect(inc.patch()).toEqual({ upsertNodes: [], removeNodes: [], upsertEdges: [], removeEdges: [] });
  });

  it('after any edits, each patch equals the difference of two full derivations', () => {
    fc.assert(
      fc.property(fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }), (rounds) => {
        const s = new State(fx);
        const pods = new Map<string, PodName>();
        const inc = new IncrementalTopology((h) => {
          const m = s.facts.get(h);
          return m && m.size > 0 ? m.values() : undefined;
        });
        for (const h of s.names) inc.touch(h);
        inc.patch();
        let before: Topology = deriveTopology(s.plain());
        for (const ops of rounds) {
          for (const op of ops) apply(s, op, inc, pods);
          const after = deriveTopology(s.plain(), { pods });
          const patch = inc.patch();
          expect(patch).toEqual(diffTopology(before, after));
          expect(applyTopologyPatch(before, patch)).toEqual(after);
          before = after;
        }
        expect(inc.topology()).toEqual(before);
      }),
      { numRuns: 150 },
    );
    // 150 runs of full derivations: ~3 s alone, 5.7 s beside the other suites on two cores
  }, 60_000);
});

describe('IncrementalTopology work', () => {
  it('re-derives only the touched hosts while addresses stay, and every host when an address moves', () => {
    const s = new State(fixture('kube-router'));
    const inc = new IncrementalTopology((h) => s.facts.get(h)?.values());
    for (const h of s.names) inc.touch(h);
    inc.patch();
    const [a, b] = s.names;
    const neighs = () => [...s.facts.get(a!)!.values()];
    const neigh = neighs().find((f) => f.kind === 'neigh' && f.value.dev === 'eth0' && f.value.state.includes('REACHABLE'))!;
    // REACHABLE -> STALE: still a usable neighbor, nothing to derive, nothing to patch
    apply(s, { op: 'mutate', host: 0, fact: neighs().indexOf(neigh), salt: 1 }, inc, new Map());
    expect(inc.patch()).toEqual({ upsertNodes: [], removeNodes: [], upsertEdges: [], removeEdges: [] });
    expect(inc.lastWork).toMatchObject({ hosts: 0, all: false });
    // STALE -> FAILED: the one host is derived again
    const stale = neighs().find((f) => f.key === neigh.key)!;
    apply(s, { op: 'mutate', host: 0, fact: neighs().indexOf(stale), salt: 2 }, inc, new Map());
    const patch = inc.patch();
    expect(inc.lastWork).toMatchObject({ hosts: 1, all: false });
    expect(patch).toEqual(diffTopology(deriveTopology(fixture('kube-router')), deriveTopology(s.plain())));
    const addrs = s.original[b!]!.filter((f) => f.kind === 'addr');
    const addr = addrs.find((f) => f.value.ifname === 'eth0' && f.value.family === 'inet')!;
    apply(s, { op: 'copyAddr', from: 1, to: 0, fact: addrs.indexOf(addr) }, inc, new Map());
    inc.patch();
    expect(inc.lastWork).toMatchObject({ hosts: 3, all: true });
  });
});
