// The path trace's answers (GET /api/trace, /api/trace/compare, /api/addresses/{ip}/history): the
// one declaration of their shape; trace.ts infers the types (and holds the verdicts and drop reasons).
import { z } from 'zod';
import { FactKindSchema, instant, NeighValueSchema, RouteValueSchema, RuleValueSchema } from './fact.js';
import { TRACE_VERDICTS } from './trace.js';

export const TraceVerdictSchema = z.enum(TRACE_VERDICTS);

/** A fact a hop's decision read: with `node`, what GET /api/nodes/{node}/facts?kind= returns. */
export const TraceFactRefSchema = z.strictObject({
  kind: FactKindSchema,
  key: z.string(),
});

/** One node's decision on one branch. */
export const TraceHopSchema = z.strictObject({
  node: z.string(),
  /** the device the packet came in on (null where it starts on the node itself) */
  iif: z.string().nullable(),
  /** the route that decided (null: no route) and its table */
  route: RouteValueSchema.nullable(),
  /** the policy rule that chose the table, where the node's rules are not the kernel's defaults */
  rule: RuleValueSchema.nullable(),
  /** the next hop taken (multipath: this branch's) */
  gateway: z.string().nullable(),
  /** the device it leaves on */
  dev: z.string().nullable(),
  /** one of several live next hops the kernel spreads packets over */
  ecmp: z.boolean(),
  /** forward: handed on; local: delivered here; drop: dies here */
  outcome: z.enum(['forward', 'local', 'drop']),
  /** forward: the node it is handed to (null: none netatlas knows) and the address it is sent to */
  toNode: z.string().nullable(),
  toAddress: z.string().nullable(),
  /** the encapsulation it leaves in (vxlan: to VTEP `toAddress`) */
  encap: z.enum(['vxlan', 'tunnel']).nullable(),
  /** the neighbor entry read (the gateway's, or the destination's on the link) */
  neighbor: NeighValueSchema.nullable(),
  /** the MTU of the device it leaves on (or is delivered through) */
  mtu: z.number().nullable(),
  facts: z.array(TraceFactRefSchema),
});

export const TraceBranchSchema = z.strictObject({
  /**
   * To a service IP the source's node balances with IPVS: the service and the real server this
   * branch goes to (one branch per real server, DNAT on the source's node); null otherwise
   */
  service: z
    .strictObject({ protocol: z.string(), address: z.string(), port: z.number().nullable(), realServer: z.string(), realPort: z.number() })
    .nullable(),
  verdict: TraceVerdictSchema,
  /** the node where it ended */
  at: z.string(),
  /** one line saying why, naming the fact that decided */
  reason: z.string(),
  hops: z.array(TraceHopSchema),
  /** the smallest MTU on the way (null: none known) */
  mtu: z.number().nullable(),
});

export const TraceEndpointSchema = z.strictObject({
  /** what was asked for */
  query: z.string(),
  kind: z.enum(['pod', 'node', 'ip']),
  /** the address (a node's: its first underlay address) */
  ip: z.string().nullable(),
  /** the node holding it (null: none at that moment) */
  node: z.string().nullable(),
  /** a pod: its host-side interface, and its name where Kubernetes says */
  pod: z.strictObject({ veth: z.string().nullable(), namespace: z.string().nullable(), name: z.string().nullable() }).nullable(),
  /** the MTU of its interface (a pod's veth, a node's underlay device) */
  mtu: z.number().nullable(),
});

/** GET /api/trace */
export const TraceResultSchema = z.strictObject({
  /** the moment traced */
  at: instant(),
  from: TraceEndpointSchema,
  to: TraceEndpointSchema,
  /** every branch delivered, some did, or none */
  verdict: z.enum(['delivered', 'partly', 'failed']),
  branches: z.array(TraceBranchSchema),
  /** the smallest MTU over the delivered branches */
  mtu: z.number().nullable(),
});

/** GET /api/trace/compare: which hop changed between two traces */
export const TraceComparisonSchema = z.strictObject({
  before: TraceResultSchema,
  after: TraceResultSchema,
  /** the first hop (branch 0's, by index) whose decision differs, null when the paths are the same */
  changedAt: z
    .strictObject({ node: z.string(), hop: z.number(), before: TraceHopSchema.nullable(), after: TraceHopSchema.nullable() })
    .nullable(),
  /** the fact changes between the two moments on the nodes of either path that touch the facts they read */
  changes: z.array(
    z.strictObject({ node: z.string(), kind: FactKindSchema, key: z.string(), at: instant(), op: z.enum(['add', 'change', 'remove']) }),
  ),
});

export const AddressHistoryEntrySchema = z.strictObject({
  node: z.string(),
  /** the node's interface it was on, or that led to it (a pod's veth, a pod bridge) */
  interface: z.string(),
  /**
   * address: assigned to the interface (the node's own); pod-route: a host route into a pod's
   * interface (Calico's per-pod /32); neighbor: resolved behind a pod bridge (kube-router, flannel)
   */
  via: z.enum(['address', 'pod-route', 'neighbor']),
  /** the MAC the neighbor entry gave (neighbor only; the last one seen) */
  mac: z.string().nullable(),
  /** first and last seen (null: still there at `to`) */
  firstSeen: instant(),
  lastSeen: instant().nullable(),
  /** the pod Kubernetes names with this address now, when watched */
  pod: z.strictObject({ namespace: z.string(), name: z.string() }).nullable(),
});

/** GET /api/addresses/{ip}/history: where an address lived over a window */
export const AddressHistorySchema = z.strictObject({
  ip: z.string(),
  from: instant(),
  to: instant(),
  entries: z.array(AddressHistoryEntrySchema),
});
