// The expected-state answer (GET /api/checks): the one declaration of its shape; checks.ts infers the
// types (and holds the finding types and range sources).
import { z } from 'zod';
import { CniStyleSchema, FamilySchema, instant } from './fact.js';
import { FINDING_TYPES, RANGE_SOURCES } from './checks.js';

export const FindingTypeSchema = z.enum(FINDING_TYPES);
export const RangeSourceSchema = z.enum(RANGE_SOURCES);

export const FindingDependenciesSchema = z.strictObject({
  /** in the order a cause is looked for: the node itself, nodes in between, the far end */
  nodes: z.array(z.string()),
  /** BGP sessions the route travels over, as [node, peer] in path order */
  sessions: z.array(z.tuple([z.string(), z.string()])),
});

export const FindingSchema = z.strictObject({
  type: FindingTypeSchema,
  /** the node where the problem is (the collector's node name) */
  node: z.string(),
  /**
   * the other node concerned: whose pods cannot be reached, whose stale route or ipset member it is
   * (null when no known node accounts for it, and for mtu-mismatch)
   */
  peer: z.string().nullable(),
  /**
   * what the finding is about: the pod CIDR (route-missing, route-wrong-nexthop), the route's
   * destination (route-stale), `set member` (ipset-*), the interface (mtu-mismatch)
   */
  subject: z.string(),
  /** stable identity across evaluations: `type|node|peer|subject`, an empty peer when null */
  key: z.string(),
  /** one line for people: "node1 has no route to 10.233.3.0/24 (node3's pods)" */
  message: z.string(),
  /** what should be there (route gateway/dev/vtep, member, MTU limit), or null */
  expected: z.record(z.string(), z.unknown()).nullable(),
  /** what is there, or null */
  actual: z.record(z.string(), z.unknown()).nullable(),
  /**
   * What the thing judged depends on, so that a root cause can claim it only where it explains it:
   * the nodes whose health matters (the node itself, the destination, a route reflector between
   * them) and the BGP sessions the route was learned over (pairs of node names, each once).
   */
  dependsOn: FindingDependenciesSchema,
});

/** A pod range of a node and every source that names it. */
export const PodRangeSchema = z.strictObject({
  cidr: z.string(),
  family: FamilySchema,
  /** most trusted first; `detail` names the daemon, device or object (`bird`, `cni0`, `Node.spec.podCIDRs`) */
  sources: z.array(z.strictObject({ source: RangeSourceSchema, detail: z.string() })),
});

/** A range a source names that the checks do not use, and why. */
export const IgnoredRangeSchema = z.strictObject({
  cidr: z.string(),
  source: RangeSourceSchema,
  why: z.string(),
});

/** What a node is expected to announce and be reached by, and where that came from. */
export const ExpectedNodeSchema = z.strictObject({
  /** the collector's node name when a collector's node matches, else the Kubernetes node's name */
  name: z.string(),
  /** the Kubernetes node this is (matched by name, else by InternalIP), null without Kubernetes */
  kubernetesName: z.string().nullable(),
  /** whether the node's own facts are known (without them, only routes towards it can be checked) */
  collected: z.boolean(),
  /** the node's underlay (InternalIP) addresses */
  addresses: z.array(z.string()),
  /** its pod ranges (the CIDRs of `ranges`) */
  podCidrs: z.array(z.string()),
  /** its pod ranges with where each is known from */
  ranges: z.array(PodRangeSchema),
  /** ranges a source names that are not used (Calico ignores Node.spec.podCIDRs, an aggregate …) */
  ignored: z.array(IgnoredRangeSchema),
  /** vxlan VTEP address (the tunnel's local underlay address), when the style tunnels */
  vtep: z.string().nullable(),
  /** the CNI style the node shows (its collector's, else detected from its facts) */
  style: CniStyleSchema,
  /** the address families the node speaks (a global address of it); expectations are per family */
  families: z.array(FamilySchema),
});

/** GET /api/checks */
export const ChecksResultSchema = z.strictObject({
  /** the moment evaluated (null: now) */
  at: instant().nullable(),
  nodes: z.array(ExpectedNodeSchema),
  findings: z.array(FindingSchema),
});
