// Expected state (DESIGN.md step 7): what every node's routes and kube-router ipsets should hold,
// given the cluster's live nodes, and the findings where they do not. Derived in libs/graph
// (checks.ts), served by the API at GET /api/checks and turned into alerts. The answer's shapes are
// declared once, as schemas (checks-schemas.ts); the types here are theirs.
import type { z } from 'zod';
import type { ChecksResultSchema, ExpectedNodeSchema, FindingDependenciesSchema, FindingSchema, IgnoredRangeSchema, PodRangeSchema } from './checks-schemas.js';

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

export type Finding = z.infer<typeof FindingSchema>;

export type FindingDependencies = z.infer<typeof FindingDependenciesSchema>;

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
export type PodRange = z.infer<typeof PodRangeSchema>;

/** A range a source names that the checks do not use, and why. */
export type IgnoredRange = z.infer<typeof IgnoredRangeSchema>;

/** What a node is expected to announce and be reached by, and where that came from. */
export type ExpectedNode = z.infer<typeof ExpectedNodeSchema>;

/** GET /api/checks */
export type ChecksResult = z.infer<typeof ChecksResultSchema>;
