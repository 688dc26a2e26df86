// The compact wire form of a full topology, as the API sends it past 40 hosts (libs/wire
// TopologyForm): the healthy host-to-host edges left out and counted in each host's
// `data.relations`. For specs; the API derives its own (libs/graph), this mirrors its rules.
import type { HostRelations, TopoEdge, TopoNode, Topology } from '@netatlas/wire/core';

/** The first this many hosts a host has no route into are named (MISSING_LISTED in libs/graph). */
export const MISSING_LISTED = 8;

const hostOfId = (id: string, nodes: ReadonlyMap<string, TopoNode>): string | null => (id.startsWith('host:') ? id.slice(5) : (nodes.get(id)?.host ?? null));

/** Left out of the compact form: an established session, a route via the owner, a tunnel, each to a host. */
export function omittedWhenCompact(e: TopoEdge): boolean {
  if (!e.target.startsWith('host:')) return false;
  if (e.type === 'bgp') return e.data['state'] === 'established';
  if (e.type === 'route') return e.data['nextHopMismatch'] === false;
  return e.type === 'tunnel';
}

export function compactTopology(t: Topology): Topology {
  const nodes = new Map(t.nodes.map((n) => [n.id, n]));
  const hosts = t.nodes.filter((n) => n.type === 'host');
  const podHosts = hosts.filter((n) => Array.isArray(n.data['podCidrs']) && (n.data['podCidrs'] as unknown[]).length > 0).map((n) => n.id.slice(5));
  const rel = new Map<string, HostRelations & { routeHosts: Set<string>; tunnelHosts: Set<string> }>();
  for (const n of hosts) {
    rel.set(n.id.slice(5), {
      routes: { total: 0, mismatch: 0, toHosts: 0, of: 0, missing: [], missingCount: 0 },
      bgp: { total: 0, established: 0, pending: 0, down: 0 },
      tunnels: { total: 0, toHosts: 0 },
      routeHosts: new Set(),
      tunnelHosts: new Set(),
    });
  }
  for (const e of t.edges) {
    const h = hostOfId(e.source, nodes);
    const r = h === null ? undefined : rel.get(h);
    if (!r) continue;
    if (e.type === 'bgp') {
      const s = e.data['state'];
      r.bgp.total++;
      if (s === 'established') r.bgp.established++;
      else if (s === 'connect' || s === 'opensent' || s === 'openconfirm') r.bgp.pending++;
      else r.bgp.down++;
    } else if (e.type === 'route') {
      r.routes.total++;
      if (e.data['nextHopMismatch'] === true) r.routes.mismatch++;
      const dst = e.data['dstHost'];
      if (typeof dst === 'string' && dst !== h && podHosts.includes(dst)) r.routeHosts.add(dst);
    } else if (e.type === 'tunnel') {
      r.tunnels.total++;
      if (e.target.startsWith('host:')) r.tunnelHosts.add(e.target.slice(5));
    }
  }
  const outNodes = t.nodes.map((n) => {
    const r = n.type === 'host' ? rel.get(n.id.slice(5)) : undefined;
    if (!r) return n;
    const name = n.id.slice(5);
    const { routeHosts, tunnelHosts, ...relations } = r;
    relations.routes.of = podHosts.filter((p) => p !== name).length;
    relations.routes.toHosts = routeHosts.size;
    relations.tunnels.toHosts = tunnelHosts.size;
    for (const p of podHosts) {
      if (p === name || routeHosts.has(p)) continue;
      if (relations.routes.missing.length < MISSING_LISTED) relations.routes.missing.push(p);
      relations.routes.missingCount++;
    }
    return { ...n, data: { ...n.data, relations } };
  });
  return { nodes: outNodes, edges: t.edges.filter((e) => !omittedWhenCompact(e)) };
}

/** What GET /api/topology/edges answers for some hosts of the full topology: their edges, by id. */
export function fullEdgesOf(t: Topology, hosts: readonly string[]): TopoEdge[] {
  const nodes = new Map(t.nodes.map((n) => [n.id, n]));
  const asked = new Set(hosts);
  return t.edges.filter((e) => asked.has(hostOfId(e.source, nodes) ?? '')).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
