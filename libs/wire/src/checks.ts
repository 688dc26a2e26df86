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
  /** its pod CIDRs */
  podCidrs: string[];
  /** vxlan VTEP address (the tunnel's local underlay address), when the style tunnels */
  vtep: string | null;
  /**
   * where podCidrs came from: Kubernetes' Node.spec.podCIDRs, or what the node announces (its pod
   * bridge's subnet, Calico's IPAM blocks; also used for a Kubernetes node without podCIDRs, and for
   * Calico, whose IPAM does not use them)
   */
  source: 'kubernetes' | 'announced';
}

export interface ChecksResult {
  /** the moment evaluated (null: now) */
  at: string | null;
  nodes: ExpectedNode[];
  findings: Finding[];
}
