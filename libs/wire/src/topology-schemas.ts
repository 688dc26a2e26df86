// The derived topology's elements as the API sends them (GET /api/topology, /api/topology/edges,
// the live patches): the one declaration of their shape; topology.ts infers the types. An element's
// `data` depends on its type (HostData, RouteEdgeData, BgpEdgeData in topology.ts, and more) and is
// loose here as it is in the type: the API does not promise its fields.
import { z } from 'zod';

export const TOPO_NODE_TYPES = ['host', 'bridge', 'tunnel', 'veth', 'pod', 'vtep', 'subnet', 'external'] as const;
export const TopoNodeTypeSchema = z.enum(TOPO_NODE_TYPES);

export const TOPO_EDGE_TYPES = ['veth', 'underlay', 'bgp', 'route', 'tunnel'] as const;
export const TopoEdgeTypeSchema = z.enum(TOPO_EDGE_TYPES);

export const TopoNodeSchema = z.strictObject({
  /** stable: see the id formats in topology.ts */
  id: z.string(),
  type: TopoNodeTypeSchema,
  /** the host (cluster node name) this element belongs to; null for hosts, subnets, externals and VTEPs */
  host: z.string().nullable(),
  /** the element it sits in, for the hierarchical layout (host → bridge/tunnel → veth → pod) */
  parent: z.string().nullable(),
  label: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export const TopoEdgeSchema = z.strictObject({
  /** stable: `<type>:<source>-><target>` (with `#<qualifier>` where several can exist) */
  id: z.string(),
  type: TopoEdgeTypeSchema,
  source: z.string(),
  target: z.string(),
  data: z.record(z.string(), z.unknown()),
});

/** `full`: every edge; `compact`: the healthy edges between hosts counted in each host's `data.relations` (TopologyForm in topology.ts). */
export const TopologyFormSchema = z.enum(['full', 'compact']);

/** Nodes and edges, each sorted by id. */
export const TopologySchema = z.strictObject({
  nodes: z.array(TopoNodeSchema),
  edges: z.array(TopoEdgeSchema),
});
