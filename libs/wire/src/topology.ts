// The derived topology (DESIGN.md step 6): what libs/graph computes from facts and the web draws.
// Types only (the elements' schemas are in topology-schemas.ts); the derivation lives in
// libs/graph/src/topology.ts.
//
// Ids are stable across derivations (they name the kernel object, never an attribute that changes
// with state), so a patch updates an element in place instead of removing and re-adding it:
//
//   host:<node>                  a cluster node
//   bridge:<node>/<ifname>       a Linux bridge (kube-bridge, cni0, docker0, …)
//   tunnel:<node>/<ifname>       vxlan, ipip, gre, … (flannel.1, tunl0, vxlan.calico)
//   veth:<node>/<ifname>         the host side of a pod's veth pair
//   pod:<node>/<veth ifname>     the pod behind it (its IPs are data: they are learned, and may come later)
//   subnet:<cidr>                an underlay L2 subnet shared by hosts (a star, not N² edges)
//   external:<ip>                a BGP peer or a route's next hop that is no known host
//   vtep:<ip>                    a VXLAN endpoint that is no known host
//
// Edges: `<type>:<source>-><target>`, plus `#<qualifier>` where several can join the same pair.

import type { z } from 'zod';
import type { TopoEdgeSchema, TopoEdgeTypeSchema, TopologyFormSchema, TopologySchema, TopoNodeSchema, TopoNodeTypeSchema } from './topology-schemas.js';

// The elements are declared once, as schemas (topology-schemas.ts); these are their types.

export type TopoNodeType = z.infer<typeof TopoNodeTypeSchema>;
export type TopoEdgeType = z.infer<typeof TopoEdgeTypeSchema>;

export type TopoNode = z.infer<typeof TopoNodeSchema>;

export type TopoEdge = z.infer<typeof TopoEdgeSchema>;

/**
 * The two wire forms. `full`: every edge. `compact` (what the API sends past COMPACT_FROM_HOSTS
 * hosts): the healthy edges between two hosts — an established BGP session, a route whose next hop
 * is the host owning the prefix, a tunnel to a known host — are left out and counted in each host
 * node's `data.relations` (HostRelations), so the topology grows with N, not N². Every other edge
 * (to externals, VTEPs and subnets, inside a host, and every problem) is kept. A host's full edges
 * come on demand: GET /api/topology/edges?hosts=….
 */
export type TopologyForm = z.infer<typeof TopologyFormSchema>;

/** Nodes and edges, each sorted by id: equal inputs give equal (deep-equal, JSON-identical) output. */
export type Topology = z.infer<typeof TopologySchema>;

/** What turns one topology into another: removals by id, then upserts (whole elements). */
export interface TopologyPatch {
  upsertNodes: TopoNode[];
  removeNodes: string[];
  upsertEdges: TopoEdge[];
  removeEdges: string[];
}

// ------------------------------------------------------------------ the data of each element

/** `data.relations` of a host node in the compact form: its edges to other hosts, counted. */
export interface HostRelations {
  routes: {
    /** route edges from this host (one per route and next hop), healthy or not */
    total: number;
    /** of them, via a host that does not own the prefix (each is also an edge) */
    mismatch: number;
    /** the other hosts with pod CIDRs this host has a route into */
    toHosts: number;
    /** the other hosts with pod CIDRs */
    of: number;
    /** the first MISSING_LISTED of the hosts it has no route into, by name */
    missing: string[];
    missingCount: number;
  };
  bgp: { total: number; established: number; pending: number; down: number };
  tunnels: { total: number; toHosts: number };
}

/** `data` of a `host` node */
export interface HostData {
  cniStyle: string;
  hostname: string | null;
  kernel: string | null;
  /** global addresses on the underlay interfaces, `ip/len` */
  nodeIps: string[];
  /** the node's pod CIDRs: its pod bridge's prefix (kube-router, flannel) or its blackhole blocks (calico) */
  podCidrs: string[];
}

/** `data` of a `route` edge: one per route (and per nexthop of a multipath route) */
export interface RouteEdgeData {
  table: string;
  dst: string;
  gateway: string | null;
  dev: string | null;
  protocol: string;
  metric: number;
  /** the host whose pod CIDR the route covers */
  dstHost: string;
  /**
   * the host the next hop leads to: the gateway's owner, the VTEP's owner (vxlan), or a
   * point-to-point tunnel's remote end; null when it is no known host (the edge then goes to an
   * `external:`/`vtep:` node, or, for a device route that leads nowhere known, to the dstHost)
   */
  nextHopHost: string | null;
  /** vxlan next hops: the VTEP the gateway's MAC is reached through (neighbor + fdb) */
  vtep: string | null;
  /** the next hop is not the host that owns the destination */
  nextHopMismatch: boolean;
  /** multipath routes only: this nexthop's weight */
  weight?: number | null;
}

/** `data` of a `bgp` edge: one per session, from the host that reports it */
export interface BgpEdgeData {
  daemon: string;
  name: string | null;
  state: string;
  peerAddress: string;
  peerAs: number | null;
  localAddress: string | null;
  localAs: number | null;
  since: string | null;
  prefixes: { received: number | null; accepted: number | null; sent: number | null };
  lastError: string | null;
}
