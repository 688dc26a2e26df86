// The live patches of the bench: what one batch interval of a busy cluster looks like to the
// browser. Each has (by default) 100 changes, counted as the entries of the TopologyPatch:
//   - pods scheduled: 4 new pods on each of 5 hosts (veth node, pod node, veth edge each: 60)
//   - pods deleted: 4 pods on each of 3 other hosts (36)
//   - a BGP session between two hosts drops to active in both directions, and each side withdraws
//     its route to the other (4); the next patch brings them back (4). In the compact form, as the
//     API sends it: going down upserts the two (now problem) `bgp` edges and the two host nodes
//     with their new `data.relations` (a session down, a route fewer: no route edges in that
//     form); coming back removes those edges and upserts the host nodes again (4 each way)
// with the fact changes behind them (link facts of the veths, the two bgpSession facts) as the
// `changes` batch that the API sends along. Hosts are spread over the cluster and differ every round.
import { makeFact, type FactChange, type LinkValue, type TopoEdge, type TopologyForm, type TopoNode, type TopologyPatch } from '@netatlas/wire';
import {
  syntheticBgpEdge,
  syntheticBgpId,
  syntheticHostIndex,
  syntheticHostName,
  syntheticNameWidth,
  syntheticNodeIp,
  syntheticPod,
  syntheticRelations,
} from '../src/testing/synthetic-topology.js';

export interface PatchWorld {
  readonly nodes: ReadonlyMap<string, TopoNode>;
  readonly edges: ReadonlyMap<string, TopoEdge>;
  readonly size: { hosts: number; podsPerHost: number; mesh: boolean };
  /** the form the topology is held (and patched) in */
  readonly form: TopologyForm;
  /** the held edges that start at these hosts or their elements */
  heldEdgesOf(hosts: Iterable<string>): TopoEdge[];
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
  const width = syntheticNameWidth(hosts);
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
  if (hosts >= 2 && world.size.mesh) {
    const a = ((Math.floor(round / 2) * 53) % hosts) + 1;
    const b = (a % hosts) + 1;
    const down = round % 2 === 0;
    const flap = world.form === 'compact' ? flapCompact(world, patch, a, b, down, at) : flapFull(world, patch, a, b, down, at);
    for (const [from, to] of flap) {
      touched.push(from);
      changes.push(sessionChange(from, syntheticHostIndex(from), syntheticHostIndex(to), down, at));
    }
  }

  const count = patch.upsertNodes.length + patch.removeNodes.length + patch.upsertEdges.length + patch.removeEdges.length;
  return { patch, changes, count, hosts: [...new Set(touched)] };
}

/** routes withdrawn by a session that went down, to restore when it comes back */
const withdrawn = new Map<string, TopoEdge>();

/**
 * The full form: each side's `bgp` edge changes state; its route to the other goes (and comes back
 * with the session). Returns the sessions that changed, [from, to].
 */
function flapFull(world: PatchWorld, patch: TopologyPatch, a: number, b: number, down: boolean, at: string): Array<[string, string]> {
  const width = syntheticNameWidth(world.size.hosts);
  const [ha, hb] = [syntheticHostName(a, width), syntheticHostName(b, width)];
  const held = world.heldEdgesOf([ha, hb]);
  const find = (idPrefix: string) => held.find((e) => e.id.startsWith(idPrefix));
  const state = down ? 'active' : 'established';
  const out: Array<[string, string]> = [];
  for (const [from, to] of [
    [ha, hb],
    [hb, ha],
  ] as const) {
    const bgp = find(`bgp:host:${from}->host:${to}#`);
    if (!bgp) continue;
    out.push([from, to]);
    patch.upsertEdges.push({ ...bgp, data: { ...bgp.data, state, since: at, prefixes: { received: down ? 0 : 1, accepted: down ? 0 : 1, sent: null } } });
    // the route to the peer's pod CIDR goes and comes back with the session
    const key = `${from}>${to}`;
    if (down) {
      const route = find(`route:host:${from}->host:${to}#`);
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
  return out;
}

/**
 * The compact form, as the API derives it: a session that is down is a problem edge, listed; one
 * that is established is not, and neither is its route: each side's host node carries the counts
 * (`data.relations`), which change with it. Returns the sessions that changed, [from, to].
 */
function flapCompact(world: PatchWorld, patch: TopologyPatch, a: number, b: number, down: boolean, at: string): Array<[string, string]> {
  const { hosts, mesh } = world.size;
  const width = syntheticNameWidth(hosts);
  const out: Array<[string, string]> = [];
  for (const [i, j] of [
    [a, b],
    [b, a],
  ] as const) {
    const from = syntheticHostName(i, width);
    const node = world.nodes.get(`host:${from}`);
    if (!node) continue;
    // the peers it has no established session with now: its held sessions (problem edges)
    const downPeers = new Set<number>();
    for (const e of world.heldEdgesOf([from])) {
      if (e.type === 'bgp' && e.source === node.id && e.target.startsWith('host:') && e.data['state'] !== 'established') downPeers.add(syntheticHostIndex(e.target.slice(5)));
    }
    const id = syntheticBgpId(i, j, width);
    if (down === downPeers.has(j)) continue; // already so
    if (down) {
      downPeers.add(j);
      patch.upsertEdges.push(syntheticBgpEdge(i, j, width, 'active', at));
    } else {
      downPeers.delete(j);
      patch.removeEdges.push(id);
    }
    const relations = syntheticRelations(i, hosts, width, mesh, [...downPeers].sort((x, y) => x - y));
    patch.upsertNodes.push({ ...node, data: { ...node.data, relations } });
    out.push([from, syntheticHostName(j, width)]);
  }
  return out;
}

/** The bgpSession fact change behind a flap, on host `from` (index `i`) for its session to `j`. */
function sessionChange(from: string, i: number, j: number, down: boolean, at: string): FactChange {
  const session = (s: 'active' | 'established') =>
    makeFact('bgpSession', {
      daemon: 'gobgp',
      name: null,
      peerAddress: syntheticNodeIp(j),
      peerAs: 64512,
      localAddress: syntheticNodeIp(i),
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
  const after = session(down ? 'active' : 'established');
  return { node: from, kind: 'bgpSession', key: after.key, at, op: 'change', before: session(down ? 'established' : 'active').value, after: after.value };
}
