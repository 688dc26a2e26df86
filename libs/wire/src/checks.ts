// Expected state (DESIGN.md step 7): what every node's routes and kube-router ipsets should hold,
// given the cluster's live nodes, and the findings where they do not. Derived in libs/graph
// (checks.ts), served by the API at GET /api/checks and turned into alerts.

export const FINDING_TYPES = [
  /** A has no route to B's pod CIDR while B is alive */
  'route-missing',
  /** A routes B's pod CIDR, but not towards B (wrong gateway, device or VTEP) */
  'route-wrong-nexthop',
  /** A routes a pod CIDR of a node that is not (or no longer) in the cluster */
  'route-stale',
  /** a kube-router ipset lacks a member the cluster says it should hold */
  'ipset-missing',
  /** a kube-router ipset holds a member the cluster does not account for */
  'ipset-extra',
  /** a pod or tunnel MTU larger than the underlay allows once encapsulated */
  'mtu-mismatch',
  /** a node does not deliver a pod of its own: the pod's /32 (or the bridge's subnet route) is gone */
  'pod-route-missing',
  /** a pod on a bridge-style node has an address outside every pod bridge's subnet */
  'pod-address-outside-range',
] as const;
export type FindingType = (typeof FINDING_TYPES)[number];

export interface Finding {
  type: FindingType;
  /** the node where the problem is (the collector's node name) */
  node: string;
  /**
   * the other node concerned: whose pods cannot be reached, whose stale route or ipset member it is
   * (null when no known node accounts for it, and for mtu-mismatch)
   */
  peer: string | null;
  /**
   * what the finding is about: the pod CIDR (route-missing, route-wrong-nexthop), the route's
   * destination (route-stale), `set member` (ipset-*), the interface (mtu-mismatch)
   */
  subject: string;
  /** stable identity across evaluations: `type|node|peer|subject`, an empty peer when null */
  key: string;
  /** one line for people: "node1 has no route to 10.233.3.0/24 (node3's pods)" */
  message: string;
  /** what should be there (route gateway/dev/vtep, member, MTU limit), or null */
  expected: Record<string, unknown> | null;
  /** what is there, or null */
  actual: Record<string, unknown> | null;
  /**
   * What the thing judged depends on, so that a root cause can claim it only where it explains it:
   * the nodes whose health matters (the node itself, the destination, a route reflector between
   * them) and the BGP sessions the route was learned over (pairs of node names, each once).
   */
  dependsOn: FindingDependencies;
}

export interface FindingDependencies {
  /** in the order a cause is looked for: the node itself, nodes in between, the far end */
  nodes: string[];
  /** BGP sessions the route travels over, as [node, peer] in path order */
  sessions: Array<[string, string]>;
}

/** Where a pod range of a node is known from, most trusted first. */
export const RANGE_SOURCES = [
  /** Kubernetes Node.spec.podCIDRs (kube-router, flannel and other CNIs that use them; not Calico) */
  'kubernetes',
  /** Calico IPAM block affinities (blockaffinities.crd.projectcalico.org) for the node */
  'calico-ipam',
  /** what the node's BGP daemon originates (bgpOrigin facts) */
  'bgp-origin',
  /** a blackhole route for the block (Calico installs its blocks so) */
  'blackhole',
  /** the subnet of the node's pod bridge (kube-bridge, cni0) */
  'bridge',
] as const;
export type RangeSource = (typeof RANGE_SOURCES)[number];

/** A pod range of a node and every source that names it. */
export interface PodRange {
  cidr: string;
  family: 'inet' | 'inet6';
  /** most trusted first; `detail` names the daemon, device or object (`bird`, `cni0`, `Node.spec.podCIDRs`) */
  sources: Array<{ source: RangeSource; detail: string }>;
}

/** A range a source names that the checks do not use, and why. */
export interface IgnoredRange {
  cidr: string;
  source: RangeSource;
  why: string;
}

/** What a node is expected to announce and be reached by, and where that came from. */
export interface ExpectedNode {
  /** the collector's node name when a collector's node matches, else the Kubernetes node's name */
  name: string;
  /** the Kubernetes node this is (matched by name, else by InternalIP), null without Kubernetes */
  kubernetesName: string | null;
  /** whether the node's own facts are known (without them, only routes towards it can be checked) */
  collected: boolean;
  /** the node's underlay (InternalIP) addresses */
  addresses: string[];
  /** its pod ranges (the CIDRs of `ranges`) */
  podCidrs: string[];
  /** its pod ranges with where each is known from */
  ranges: PodRange[];
  /** ranges a source names that are not used (Calico ignores Node.spec.podCIDRs, an aggregate …) */
  ignored: IgnoredRange[];
  /** vxlan VTEP address (the tunnel's local underlay address), when the style tunnels */
  vtep: string | null;
  /** the CNI style the node shows (its collector's, else detected from its facts) */
  style: 'kube-router' | 'calico' | 'flannel' | 'unknown';
  /** the address families the node speaks (a global address of it); expectations are per family */
  families: Array<'inet' | 'inet6'>;
}

export interface ChecksResult {
  /** the moment evaluated (null: now) */
  at: string | null;
  nodes: ExpectedNode[];
  findings: Finding[];
}
