// The path trace (GET /api/trace): how a packet from A to B travels through the nodes' forwarding
// state at one moment, branch by branch (ECMP), hop by hop, with the verdict of each branch and the
// facts that decided it. libs/graph/src/trace.ts computes it; the API, the web and the CLI read it.
import type { FactKind, NeighValue, RouteValue, RuleValue } from './fact.js';

/** The fact kinds a trace reads: a change of one of them on a node of a path can change the path. */
export const TRACE_FACT_KINDS = ['link', 'addr', 'route', 'neigh', 'fdb', 'rule', 'sysctl', 'ipvsService', 'node'] as const satisfies readonly FactKind[];

/** Why a branch dies on a node (the forwarding engine's, libs/graph/src/forwarding.ts). */
export const DROP_REASONS = [
  /** no route of any table contains the destination */
  'no-route',
  'blackhole',
  'unreachable',
  'prohibit',
  /** the route's device (or its next hop) is down: `linkdown` / `dead` */
  'link-down',
  /** the gateway's neighbor entry is FAILED or INCOMPLETE */
  'neighbor-failed',
  /** vxlan: no neighbor entry gives the gateway's MAC, and the device does not flood */
  'no-neighbor',
  /** vxlan: the gateway's MAC has no fdb entry (no VTEP), and the device does not flood */
  'no-fdb',
  /** vxlan / tunnel: the remote end itself has no route over the underlay */
  'no-underlay-route',
  /** vxlan: the frame reached a VTEP whose node does not own its destination MAC, and drops it */
  'wrong-vtep',
  /** the interface it came in on does not forward (net.ipv4.conf.<if>.forwarding / net.ipv6.conf.all.forwarding 0) */
  'forwarding-off',
  /** reverse-path filtering (rp_filter) refuses its source on the interface it came in on */
  'rp-filter',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** How a branch ends: delivered, or one of DROP_REASONS, or how the walk ended. */
export const TRACE_VERDICTS = [
  /** reached the destination's node and was delivered there (its pod's interface, or its own address) */
  'delivered',
  /** delivered, but the smallest MTU on the way is below the endpoints' (full-size packets do not pass) */
  'mtu',
  /** delivered on a node other than the destination's */
  'delivered-elsewhere',
  ...DROP_REASONS,
  /** came back to a node it had passed (the TTL runs out) */
  'loop',
  /** handed to a machine netatlas holds no facts of (a router, a node without collector) */
  'left',
  /** the source's node has no facts at that moment */
  'unknown-node',
] as const;
export type TraceVerdict = (typeof TRACE_VERDICTS)[number];

/** A fact a hop's decision read: with `node`, what GET /api/nodes/{node}/facts?kind= returns. */
export interface TraceFactRef {
  kind: FactKind;
  key: string;
}

/** One node's decision on one branch. */
export interface TraceHop {
  node: string;
  /** the device the packet came in on (null where it starts on the node itself) */
  iif: string | null;
  /** the route that decided (null: no route) and its table */
  route: RouteValue | null;
  /** the policy rule that chose the table, where the node's rules are not the kernel's defaults */
  rule: RuleValue | null;
  /** the next hop taken (multipath: this branch's) */
  gateway: string | null;
  /** the device it leaves on */
  dev: string | null;
  /** one of several live next hops the kernel spreads packets over */
  ecmp: boolean;
  /** forward: handed on; local: delivered here; drop: dies here */
  outcome: 'forward' | 'local' | 'drop';
  /** forward: the node it is handed to (null: none netatlas knows) and the address it is sent to */
  toNode: string | null;
  toAddress: string | null;
  /** the encapsulation it leaves in (vxlan: to VTEP `toAddress`) */
  encap: 'vxlan' | 'tunnel' | null;
  /** the neighbor entry read (the gateway's, or the destination's on the link) */
  neighbor: NeighValue | null;
  /** the MTU of the device it leaves on (or is delivered through) */
  mtu: number | null;
  facts: TraceFactRef[];
}

export interface TraceBranch {
  /**
   * To a service IP the source's node balances with IPVS: the service and the real server this
   * branch goes to (one branch per real server, DNAT on the source's node); null otherwise
   */
  service: { protocol: string; address: string; port: number | null; realServer: string; realPort: number } | null;
  verdict: TraceVerdict;
  /** the node where it ended */
  at: string;
  /** one line saying why, naming the fact that decided */
  reason: string;
  hops: TraceHop[];
  /** the smallest MTU on the way (null: none known) */
  mtu: number | null;
}

export interface TraceEndpoint {
  /** what was asked for */
  query: string;
  kind: 'pod' | 'node' | 'ip';
  /** the address (a node's: its first underlay address) */
  ip: string | null;
  /** the node holding it (null: none at that moment) */
  node: string | null;
  /** a pod: its host-side interface, and its name where Kubernetes says */
  pod: { veth: string | null; namespace: string | null; name: string | null } | null;
  /** the MTU of its interface (a pod's veth, a node's underlay device) */
  mtu: number | null;
}

export interface TraceResult {
  /** the moment traced */
  at: string;
  from: TraceEndpoint;
  to: TraceEndpoint;
  /** every branch delivered, some did, or none */
  verdict: 'delivered' | 'partly' | 'failed';
  branches: TraceBranch[];
  /** the smallest MTU over the delivered branches */
  mtu: number | null;
}

/** Which hop changed between two traces (GET /api/trace/compare). */
export interface TraceComparison {
  before: TraceResult;
  after: TraceResult;
  /** the first hop (branch 0's, by index) whose decision differs, null when the paths are the same */
  changedAt: { node: string; hop: number; before: TraceHop | null; after: TraceHop | null } | null;
  /** the fact changes between the two moments on the nodes of either path that touch the facts they read */
  changes: Array<{ node: string; kind: FactKind; key: string; at: string; op: 'add' | 'change' | 'remove' }>;
}


/** Where an address lived over a window (GET /api/addresses/{ip}/history). */
export interface AddressHistory {
  ip: string;
  from: string;
  to: string;
  entries: AddressHistoryEntry[];
}

export interface AddressHistoryEntry {
  node: string;
  /** the node's interface it was on, or that led to it (a pod's veth, a pod bridge) */
  interface: string;
  /**
   * address: assigned to the interface (the node's own); pod-route: a host route into a pod's
   * interface (Calico's per-pod /32); neighbor: resolved behind a pod bridge (kube-router, flannel)
   */
  via: 'address' | 'pod-route' | 'neighbor';
  /** the MAC the neighbor entry gave (neighbor only; the last one seen) */
  mac: string | null;
  /** first and last seen (null: still there at `to`) */
  firstSeen: string;
  lastSeen: string | null;
  /** the pod Kubernetes names with this address now, when watched */
  pod: { namespace: string; name: string } | null;
}
