// A topology held as maps by id, so that a live patch costs its own size (the API's arrays sorted by
// id would be re-sorted on every patch): the browser's live store and topology scene hold it so.
// The same patches as topology.ts's diffTopology / applyTopologyPatch, on maps; its spec holds the
// two to the same results.
import type { TopoEdge, TopoNode, Topology, TopologyPatch } from '@netatlas/wire/core';

export interface TopologyMaps {
  nodes: Map<string, TopoNode>;
  edges: Map<string, TopoEdge>;
}

export function emptyTopologyMaps(): TopologyMaps {
  return { nodes: new Map(), edges: new Map() };
}

export function topologyMaps(t: Topology): TopologyMaps {
  return { nodes: new Map(t.nodes.map((n) => [n.id, n])), edges: new Map(t.edges.map((e) => [e.id, e])) };
}

export function applyPatchToMaps(m: TopologyMaps, p: TopologyPatch): void {
  for (const id of p.removeNodes) m.nodes.delete(id);
  for (const id of p.removeEdges) m.edges.delete(id);
  for (const n of p.upsertNodes) m.nodes.set(n.id, n);
  for (const e of p.upsertEdges) m.edges.set(e.id, e);
}

const same = (a: unknown, b: unknown): boolean => a === b || (a !== undefined && JSON.stringify(a) === JSON.stringify(b));

/** What turns `from` into `to`: like diffTopology, but on maps, and equal objects cost nothing. */
export function diffTopologyMaps(from: TopologyMaps, to: TopologyMaps): TopologyPatch {
  const patch: TopologyPatch = { upsertNodes: [], removeNodes: [], upsertEdges: [], removeEdges: [] };
  for (const [id, n] of to.nodes) if (!same(from.nodes.get(id), n)) patch.upsertNodes.push(n);
  for (const id of from.nodes.keys()) if (!to.nodes.has(id)) patch.removeNodes.push(id);
  for (const [id, e] of to.edges) if (!same(from.edges.get(id), e)) patch.upsertEdges.push(e);
  for (const id of from.edges.keys()) if (!to.edges.has(id)) patch.removeEdges.push(id);
  return patch;
}
