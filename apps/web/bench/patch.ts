// The live patches of the bench: what one batch interval of a busy cluster looks like to the
// browser. Each has (by default) 100 changes, counted as the entries of the TopologyPatch:
//   - pods scheduled: 4 new pods on each of 5 hosts (veth node, pod node, veth edge each: 60)
//   - pods deleted: 4 pods on each of 3 other hosts (36)
//   - a BGP session between two hosts drops to active in both directions, and each side withdraws
//     its route to the other (4); the next patch brings them back (4)
// with the fact changes behind them (link facts of the veths, the two bgpSession facts) as the
// `changes` batch that the API sends along. Hosts are spread over the cluster and differ every round.
import { makeFact, type FactChange, type LinkValue, type TopoEdge, type TopoNode, type TopologyPatch } from '@netatlas/wire';
import { syntheticHostName, syntheticPod } from '../src/testing/synthetic-topology.js';

export interface PatchWorld {
  readonly nodes: ReadonlyMap<string, TopoNode>;
  readonly edges: ReadonlyMap<string, TopoEdge>;
  readonly size: { hosts: number; podsPerHost: number };
}

export interface BenchPatch {
  patch: TopologyPatch;
  changes: FactChange[];
  /** entries of the patch */
  count: number;
  hosts: string[];
}

const ADD_HOSTS = 5;
const REMOVE_HOSTS = 3;
const PODS_PER_HOST = 4;

const vethLink = (ifname: string, index: number): LinkValue => ({
  ifname,
  ifindex: 1000 + index,
  kind: 'veth',
  mtu: 1500,
  mac: null,
  operstate: 'UP',
  flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
  master: 'kube-bridge',
  link: null,
  linkIndex: 2,
  linkNetnsId: 0,
  vxlan: null,
  ipip: null,
});

/** The patch of round `round` (0, 1, …) against the cluster as it is now. */
export function benchPatch(world: PatchWorld, round: number): BenchPatch {
  const { hosts } = world.size;
  const width = Math.max(3, String(hosts).length);
  const at = new Date().toISOString();
  const patch: TopologyPatch = { upsertNodes: [], removeNodes: [], upsertEdges: [], removeEdges: [] };
  const changes: FactChange[] = [];
  const touched: string[] = [];
  // hosts spread over the grid, different every round: a stride coprime with most cluster sizes
  const pick = (k: number) => ((round * (ADD_HOSTS + REMOVE_HOSTS + 2) + k) * 37) % hosts;
  const used = new Set<number>();
  const nextHost = (k: number): number => {
    let i = pick(k);
    while (used.has(i) && used.size < hosts) i = (i + 1) % hosts;
    used.add(i);
    return i + 1;
  };

  for (let k = 0; k < ADD_HOSTS && used.size < hosts; k++) {
    const index = nextHost(k);
    const host = syntheticHostName(index, width);
    touched.push(host);
    let added = 0;
    for (let p = world.size.podsPerHost; added < PODS_PER_HOST && p < 250; p++) {
      const { veth, pod, edge } = syntheticPod(host, index, p);
      if (world.nodes.has(veth.id)) continue;
      patch.upsertNodes.push(veth, pod);
      patch.upsertEdges.push(edge);
      changes.push({ node: host, kind: 'link', key: veth.label, at, op: 'add', before: null, after: vethLink(veth.label, p) });
      added++;
    }
  }
  for (let k = 0; k < REMOVE_HOSTS && used.size < hosts; k++) {
    const index = nextHost(ADD_HOSTS + k);
    const host = syntheticHostName(index, width);
    touched.push(host);
    let removed = 0;
    for (let p = 0; removed < PODS_PER_HOST && p < 250; p++) {
      const { veth, pod, edge } = syntheticPod(host, index, p);
      if (!world.nodes.has(veth.id)) continue;
      patch.removeNodes.push(veth.id, pod.id);
      patch.removeEdges.push(edge.id);
      changes.push({ node: host, kind: 'link', key: veth.label, at, op: 'remove', before: vethLink(veth.label, p), after: null });
      removed++;
    }
  }

  // one BGP session flaps: down in even rounds, back up in odd ones (the same pair)
  if (hosts >= 2) {
    const a = ((Math.floor(round / 2) * 53) % hosts) + 1;
    const b = (a % hosts) + 1;
    const [ha, hb] = [syntheticHostName(a, width), syntheticHostName(b, width)];
    const down = round % 2 === 0;
    const state = down ? 'active' : 'established';
    for (const [from, to] of [
      [ha, hb],
      [hb, ha],
    ] as const) {
      const bgp = findEdge(world, `bgp:host:${from}->host:${to}#`);
      if (!bgp) continue;
      touched.push(from);
      const d = bgp.data;
      patch.upsertEdges.push({ ...bgp, data: { ...d, state, since: at, prefixes: { received: down ? 0 : 1, accepted: down ? 0 : 1, sent: null } } });
      const session = (s: 'active' | 'established') =>
        makeFact('bgpSession', {
          daemon: 'gobgp',
          name: null,
          peerAddress: String(d['peerAddress']),
          peerAs: 64512,
          localAddress: String(d['localAddress']),
          localAs: 64512,
          state: s,
          since: at,
          prefixesReceived: s === 'established' ? 1 : 0,
          prefixesAccepted: s === 'established' ? 1 : 0,
          prefixesSent: null,
          lastError: null,
          holdTime: 90,
          keepalive: 30,
        });
      const after = session(state);
      changes.push({ node: from, kind: 'bgpSession', key: after.key, at, op: 'change', before: session(down ? 'established' : 'active').value, after: after.value });
      // the route to the peer's pod CIDR goes and comes back with the session
      const key = `${from}>${to}`;
      if (down) {
        const route = findEdge(world, `route:host:${from}->host:${to}#`);
        if (route) {
          withdrawn.set(key, route);
          patch.removeEdges.push(route.id);
        }
      } else {
        const route = withdrawn.get(key);
        withdrawn.delete(key);
        if (route) patch.upsertEdges.push(route);
      }
    }
  }

  const count = patch.upsertNodes.length + patch.removeNodes.length + patch.upsertEdges.length + patch.removeEdges.length;
  return { patch, changes, count, hosts: [...new Set(touched)] };
}

/** routes withdrawn by a session that went down, to restore when it comes back */
const withdrawn = new Map<string, TopoEdge>();

function findEdge(world: PatchWorld, idPrefix: string): TopoEdge | undefined {
  for (const [id, e] of world.edges) if (id.startsWith(idPrefix)) return e;
  return undefined;
}
