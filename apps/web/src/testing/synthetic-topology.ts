// A synthetic cluster topology of any size, shaped like what deriveTopology gives for a
// kube-router cluster (hosts, kube-bridge, a veth and a pod per pod, one underlay subnet, an iBGP
// full mesh and a route to every other node's pod CIDR). For layout tests and for measuring the
// canvas at 200 × 50 (`#/topology?synthetic=200x50`). Sorted by id like the API's answer.
//
// `compact: true` gives the compact wire form (what the API sends past COMPACT_FROM_HOSTS hosts:
// libs/wire TopologyForm) generated directly, never building the N² mesh: no healthy host-to-host
// edges (established sessions, routes via the owner), each host node's `data.relations` counting
// them as libs/graph does, and the sessions that are down (`bgpDown`) kept as `bgp` edges. The
// pieces (a session's edge, a route's edge, a host's relations) are exported for the web bench's
// API double, which answers GET /api/topology/edges and sends the live patches of that form.
import { MISSING_LISTED } from '@netatlas/graph';
import type { HostRelations, TopoEdge, TopoNode, Topology } from '@netatlas/wire/core';

export interface SyntheticOptions {
  hosts: number;
  podsPerHost: number;
  /** full-mesh BGP sessions and routes between every pair of hosts (default true) */
  mesh?: boolean;
  /** host indexes (1-based) whose sessions are down */
  bgpDown?: readonly number[];
  /** the compact wire form: healthy host-to-host edges counted in `data.relations`, not listed (default false) */
  compact?: boolean;
}

/** The width of the host names' number (node001…, node1000…): every name of a cluster has the same, so name order is index order. */
export const syntheticNameWidth = (hosts: number): number => Math.max(3, String(hosts).length);
export const syntheticHostName = (i: number, width = 3): string => `node${String(i).padStart(width, '0')}`;
/** The host index (1-based) of a synthetic host name (NaN: not one). */
export const syntheticHostIndex = (name: string): number => (/^node\d+$/.test(name) ? Number(name.slice(4)) : NaN);
export const syntheticNodeIp = (i: number): string => `172.20.${Math.floor(i / 250)}.${(i % 250) + 2}`;
export const syntheticPodCidr = (i: number): string => `10.${200 + Math.floor(i / 256)}.${i % 256}.0/24`;
const podIp = (i: number, p: number): string => `10.${200 + Math.floor(i / 256)}.${i % 256}.${p + 2}`;
const SINCE = '2026-11-23T14:00:00.000Z';

export function syntheticPod(host: string, hostIndex: number, p: number): { veth: TopoNode; pod: TopoNode; edge: TopoEdge } {
  const ifname = `veth${String(hostIndex).padStart(4, '0')}${String(p).padStart(4, '0')}`;
  const vid = `veth:${host}/${ifname}`;
  const pid = `pod:${host}/${ifname}`;
  const ip = podIp(hostIndex, p);
  return {
    veth: { id: vid, type: 'veth', host, parent: `bridge:${host}/kube-bridge`, label: ifname, data: { ifname, mtu: 1500 } },
    pod: { id: pid, type: 'pod', host, parent: vid, label: ip, data: { ips: [ip], veth: ifname, bridge: 'kube-bridge' } },
    edge: { id: `veth:${vid}->${pid}`, type: 'veth', source: vid, target: pid, data: {} },
  };
}

/** The id of host `i`'s session to host `j`. */
export const syntheticBgpId = (i: number, j: number, width: number): string =>
  `bgp:host:${syntheticHostName(i, width)}->host:${syntheticHostName(j, width)}#gobgp|${syntheticNodeIp(j)}`;

/** Host `i`'s session to host `j` in `state` (established: one prefix received and accepted). */
export function syntheticBgpEdge(i: number, j: number, width: number, state: string, since = SINCE): TopoEdge {
  const up = state === 'established';
  return {
    id: syntheticBgpId(i, j, width),
    type: 'bgp',
    source: `host:${syntheticHostName(i, width)}`,
    target: `host:${syntheticHostName(j, width)}`,
    data: {
      daemon: 'gobgp',
      name: null,
      state,
      peerAddress: syntheticNodeIp(j),
      peerAs: 64512,
      localAddress: syntheticNodeIp(i),
      localAs: 64512,
      since,
      prefixes: { received: up ? 1 : 0, accepted: up ? 1 : 0, sent: null },
      lastError: null,
    },
  };
}

/** Host `i`'s route into host `j`'s pod CIDR, via `j` (healthy: left out of the compact form). */
export function syntheticRouteEdge(i: number, j: number, width: number): TopoEdge {
  const peer = syntheticHostName(j, width);
  return {
    id: `route:host:${syntheticHostName(i, width)}->host:${peer}#main|${syntheticPodCidr(j)}|${syntheticNodeIp(j)}|eth0`,
    type: 'route',
    source: `host:${syntheticHostName(i, width)}`,
    target: `host:${peer}`,
    data: {
      table: 'main',
      dst: syntheticPodCidr(j),
      gateway: syntheticNodeIp(j),
      dev: 'eth0',
      protocol: '17',
      metric: 0,
      dstHost: peer,
      nextHopHost: peer,
      vtep: null,
      nextHopMismatch: false,
    },
  };
}

/**
 * Host `i`'s `data.relations` in the compact form, as libs/graph counts them for this cluster: with
 * the mesh, a session to every other host, established unless the peer is in `downPeers` (host
 * indexes in ascending, i.e. name, order), and a route (via its owner) into the pod CIDR of each
 * host it has an established session with; without the mesh, no session and no route. Every host
 * has a pod CIDR, so a route is expected into each of the others.
 */
export function syntheticRelations(i: number, hosts: number, width: number, mesh: boolean, downPeers: readonly number[]): HostRelations {
  const others = Math.max(0, hosts - 1);
  if (!mesh) {
    const missing: string[] = [];
    for (let j = 1; j <= hosts && missing.length < MISSING_LISTED; j++) if (j !== i) missing.push(syntheticHostName(j, width));
    return {
      routes: { total: 0, mismatch: 0, toHosts: 0, of: others, missing, missingCount: others },
      bgp: { total: 0, established: 0, pending: 0, down: 0 },
      tunnels: { total: 0, toHosts: 0 },
    };
  }
  const established = others - downPeers.length;
  return {
    routes: {
      total: established,
      mismatch: 0,
      toHosts: established,
      of: others,
      missing: downPeers.slice(0, MISSING_LISTED).map((j) => syntheticHostName(j, width)),
      missingCount: downPeers.length,
    },
    bgp: { total: others, established, pending: 0, down: downPeers.length },
    tunnels: { total: 0, toHosts: 0 },
  };
}

/** Host `i`'s relations in the synthetic cluster: its sessions are down when it or its peer is in `down`. */
export function syntheticHostRelations(i: number, hosts: number, width: number, mesh: boolean, down: ReadonlySet<number>): HostRelations {
  return syntheticRelations(i, hosts, width, mesh, mesh ? downPeersOf(i, hosts, down) : []);
}

/** The peers (ascending) whose session with host `i` is down: every other host when `i` is down, else the down ones. */
function downPeersOf(i: number, hosts: number, down: ReadonlySet<number>): number[] {
  const out: number[] = [];
  if (down.has(i)) {
    for (let j = 1; j <= hosts; j++) if (j !== i) out.push(j);
    return out;
  }
  for (const j of down) if (j !== i && j >= 1 && j <= hosts) out.push(j);
  return out.sort((a, b) => a - b);
}

export function syntheticTopology(options: SyntheticOptions): Topology {
  const { hosts, podsPerHost } = options;
  const mesh = options.mesh ?? true;
  const compact = options.compact ?? false;
  const down = new Set(options.bgpDown ?? []);
  const width = syntheticNameWidth(hosts);
  // by kind, each in id order as made (host by host, pod by pod): concatenated in the order of their
  // ids' prefixes they need no more than the final sort's check (5000 × 50 in seconds)
  const bridges: TopoNode[] = [];
  const hostNodes: TopoNode[] = [];
  const pods: TopoNode[] = [];
  const veths: TopoNode[] = [];
  const bgp: TopoEdge[] = [];
  const routes: TopoEdge[] = [];
  const underlay: TopoEdge[] = [];
  const vethEdges: TopoEdge[] = [];
  const subnet = 'subnet:172.20.0.0/16';
  for (let i = 1; i <= hosts; i++) {
    const name = syntheticHostName(i, width);
    const hid = `host:${name}`;
    const data: Record<string, unknown> = {
      cniStyle: 'kube-router',
      hostname: name,
      kernel: '6.1.0',
      nodeIps: [`${syntheticNodeIp(i)}/16`],
      podCidrs: [syntheticPodCidr(i)],
    };
    if (compact) data['relations'] = syntheticHostRelations(i, hosts, width, mesh, down);
    hostNodes.push({ id: hid, type: 'host', host: null, parent: null, label: name, data });
    bridges.push({ id: `bridge:${name}/kube-bridge`, type: 'bridge', host: name, parent: hid, label: 'kube-bridge', data: { ifname: 'kube-bridge' } });
    for (let p = 0; p < podsPerHost; p++) {
      const { veth, pod, edge } = syntheticPod(name, i, p);
      veths.push(veth);
      pods.push(pod);
      vethEdges.push(edge);
    }
    underlay.push({ id: `underlay:${hid}->${subnet}`, type: 'underlay', source: hid, target: subnet, data: { subnet: '172.20.0.0/16' } });
    if (!mesh) continue;
    if (compact) {
      // only the problem edges: the sessions that are down (their routes are withdrawn)
      for (const j of downPeersOf(i, hosts, down)) bgp.push(syntheticBgpEdge(i, j, width, 'active'));
      continue;
    }
    for (let j = 1; j <= hosts; j++) {
      if (j === i) continue;
      const state = down.has(i) || down.has(j) ? 'active' : 'established';
      bgp.push(syntheticBgpEdge(i, j, width, state));
      if (state === 'established') routes.push(syntheticRouteEdge(i, j, width));
    }
  }
  const subnetNode: TopoNode = { id: subnet, type: 'subnet', host: null, parent: null, label: '172.20.0.0/16', data: { cidr: '172.20.0.0/16', family: 'inet' } };
  const nodes = [...bridges, ...hostNodes, ...pods, subnetNode, ...veths];
  const edges = [...bgp, ...routes, ...underlay, ...vethEdges];
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return { nodes: nodes.sort(byId), edges: edges.sort(byId) };
}
