// The path trace (GET /api/trace): how a packet from A to B travels through the nodes' forwarding
// state at one moment, branch by branch (ECMP), hop by hop, with the verdict of each branch and the
// facts that decided it. libs/graph/src/trace.ts computes it; the API, the web and the CLI read it.
import type { z } from 'zod';
import type { FactKind } from './fact.js';
import type {
  AddressHistoryEntrySchema,
  AddressHistorySchema,
  TraceBranchSchema,
  TraceComparisonSchema,
  TraceEndpointSchema,
  TraceFactRefSchema,
  TraceHopSchema,
  TraceResultSchema,
} from './trace-schemas.js';

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

// The answers are declared once, as schemas (trace-schemas.ts); these are their types.

/** A fact a hop's decision read: with `node`, what GET /api/nodes/{node}/facts?kind= returns. */
export type TraceFactRef = z.infer<typeof TraceFactRefSchema>;

/** One node's decision on one branch. */
export type TraceHop = z.infer<typeof TraceHopSchema>;

export type TraceBranch = z.infer<typeof TraceBranchSchema>;

export type TraceEndpoint = z.infer<typeof TraceEndpointSchema>;

export type TraceResult = z.infer<typeof TraceResultSchema>;

/** Which hop changed between two traces (GET /api/trace/compare). */
export type TraceComparison = z.infer<typeof TraceComparisonSchema>;

/** Where an address lived over a window (GET /api/addresses/{ip}/history). */
export type AddressHistory = z.infer<typeof AddressHistorySchema>;

export type AddressHistoryEntry = z.infer<typeof AddressHistoryEntrySchema>;
