// The topology view's model: the topology (as maps), its elements grouped by host, the layout,
// per-host counts for collapsed boxes, compare marks and hidden hosts. No DOM: the canvas painter
// and the table read it, tests drive it. A patch relays out only the hosts it touches.
//
// In the compact wire form (big clusters) a host's healthy edges to other hosts are left out and
// counted in its node's `data.relations`: its stats come from those counts. The full edges of the
// hosts in focus are fetched on demand and merged in as *focus edges* (setFocusEdges): drawn and
// listed, never counted, and dropped again when their host leaves focus.
import type { HostRelations, TopoEdge, TopoNode, Topology, TopologyPatch } from '@netatlas/wire/core';
import { applyPatchToMaps, bgpStateClass, diffTopologyMaps, emptyTopologyMaps, topologyMaps, type TopologyMaps } from '@netatlas/graph';
import { hostNameOf, layoutTopology, type HostEntry, type LayoutInput, type Rect, type TopologyLayout } from './layout.js';
import { planFocusMerge } from './focus-edges.js';

export type Mark = 'added' | 'removed' | 'changed';

export interface HostStats {
  pods: number;
  bgpTotal: number;
  bgpEstablished: number;
  /** sessions neither established nor on their way up */
  bgpDown: number;
  routes: number;
  /** routes whose next hop is not the host that owns the prefix */
  routeMismatch: number;
  /** compact hosts only (the key is absent otherwise): the other hosts with pod CIDRs its routes reach */
  routeCoverage?: RouteCoverage;
}

export interface RouteCoverage {
  toHosts: number;
  of: number;
  /** the first few hosts it has no route into, by name */
  missing: readonly string[];
  missingCount: number;
}

/** A compact host node's relations (null: a full-form host, or not a host). */
export function hostRelations(n: TopoNode | null | undefined): HostRelations | null {
  if (!n || n.type !== 'host') return null;
  const r = n.data['relations'] as Partial<HostRelations> | null | undefined;
  return r && typeof r === 'object' && r.bgp && r.routes ? (r as HostRelations) : null;
}

/** `a, b, c and 4 more` (empty: none missing). */
export function missingHostsText(c: Pick<RouteCoverage, 'missing' | 'missingCount'>): string {
  const more = c.missingCount - c.missing.length;
  return c.missing.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

export interface TopologySummary {
  hosts: number;
  pods: number;
  bgpSessions: number;
  bgpEstablished: number;
  routes: number;
}

const hostFromId = (id: string): string | null => (id.startsWith('host:') ? id.slice(5) : null);

/** Both topologies in one, each element marked added, removed or changed from `from` to `to`. */
export function compareTopologies(from: TopologyMaps, to: TopologyMaps): { union: TopologyMaps; marks: Map<string, Mark> } {
  const union: TopologyMaps = { nodes: new Map(to.nodes), edges: new Map(to.edges) };
  const marks = new Map<string, Mark>();
  const patch = diffTopologyMaps(from, to);
  for (const n of patch.upsertNodes) marks.set(n.id, from.nodes.has(n.id) ? 'changed' : 'added');
  for (const e of patch.upsertEdges) marks.set(e.id, from.edges.has(e.id) ? 'changed' : 'added');
  for (const id of patch.removeNodes) {
    union.nodes.set(id, from.nodes.get(id)!);
    marks.set(id, 'removed');
  }
  for (const id of patch.removeEdges) {
    union.edges.set(id, from.edges.get(id)!);
    marks.set(id, 'removed');
  }
  return { union, marks };
}

export class TopologyScene {
  readonly maps: TopologyMaps = emptyTopologyMaps();
  private readonly hostIndex = new Map<string, { node: TopoNode | null; members: Map<string, TopoNode> }>();
  private readonly outerNodes = new Map<string, TopoNode>();
  /** host name → ids of the edges that start at it or at one of its elements */
  private readonly edgesFrom = new Map<string, Set<string>>();
  /** host name → ids of the edges that end at it or at one of its elements */
  private readonly edgesTo = new Map<string, Set<string>>();
  /** focus edges merged into `maps.edges` (not part of the topology): id → edge */
  private readonly focusOnly = new Map<string, TopoEdge>();
  private readonly focusIndexed = new Map<string, { from: string | null; to: string | null }>();
  layout: TopologyLayout = layoutTopology({ hosts: new Map(), outer: new Map() });
  readonly stats = new Map<string, HostStats>();
  slotToHost = new Map<number, string>();
  marks = new Map<string, Mark>();
  private hidden = new Set<string>();
  /** bumped on every change: painters cache by it */
  version = 0;

  /** Applies a patch: only the hosts it touches are laid out again. */
  applyPatch(patch: TopologyPatch): { dirtyHosts: Set<string> } {
    const dirtyLayout = new Set<string>();
    const dirtyStats = new Set<string>();
    let outerChanged = false;
    // the topology wins over a focus edge of the same id: it becomes (or goes as) a topology edge
    // (no list of every id made: a big first patch has hundreds of thousands)
    if (this.focusOnly.size > 0) {
      for (const id of patch.removeEdges) if (this.focusOnly.delete(id)) this.unindexEdge(id);
      for (const e of patch.upsertEdges) if (this.focusOnly.delete(e.id)) this.unindexEdge(e.id);
    }
    const touchNode = (n: TopoNode) => {
      const h = hostNameOf(n);
      if (h === null) outerChanged = true;
      else {
        dirtyLayout.add(h);
        dirtyStats.add(h);
      }
    };
    for (const id of patch.removeNodes) {
      const n = this.maps.nodes.get(id);
      if (n) {
        touchNode(n);
        this.unindexNode(n);
      }
    }
    for (const id of patch.removeEdges) {
      const e = this.maps.edges.get(id);
      if (e) {
        const h = this.edgeHost(e);
        if (h !== null) {
          this.edgesFrom.get(h)?.delete(id);
          dirtyStats.add(h);
        }
        const t = this.hostOf(e.target);
        if (t !== null) this.edgesTo.get(t)?.delete(id);
      }
    }
    for (const n of patch.upsertNodes) {
      const old = this.maps.nodes.get(n.id);
      if (old) this.unindexNode(old);
      touchNode(n);
    }
    applyPatchToMaps(this.maps, patch);
    for (const n of patch.upsertNodes) this.indexNode(n);
    for (const e of patch.upsertEdges) {
      const t = this.hostOf(e.target);
      if (t !== null) {
        let to = this.edgesTo.get(t);
        if (!to) this.edgesTo.set(t, (to = new Set()));
        to.add(e.id);
      }
      const h = this.edgeHost(e);
      if (h === null) continue;
      let set = this.edgesFrom.get(h);
      if (!set) this.edgesFrom.set(h, (set = new Set()));
      set.add(e.id);
      dirtyStats.add(h);
    }
    for (const h of dirtyLayout) {
      const entry = this.hostIndex.get(h);
      if (entry && entry.node === null && entry.members.size === 0) this.hostIndex.delete(h);
    }
    if (dirtyLayout.size > 0 || outerChanged) this.relayout(dirtyLayout);
    for (const h of dirtyStats) this.computeStats(h);
    this.version++;
    return { dirtyHosts: dirtyLayout };
  }

  /** Shows another topology: applied as the difference from the current one, so unchanged hosts stay put. */
  setTopology(t: Topology | TopologyMaps, marks: Map<string, Mark> = new Map()): TopologyPatch {
    // focus edges belong to the topology shown: out first, so the difference is the topologies'
    this.setFocusEdges([]);
    const target = Array.isArray(t.nodes) ? topologyMaps(t as Topology) : (t as TopologyMaps);
    const patch = diffTopologyMaps(this.maps, target);
    this.marks = marks;
    this.applyPatch(patch);
    return patch;
  }

  /**
   * Makes `edges` the merged focus edges: those not merged yet are added (unless the topology has
   * the id: it wins), those no longer asked for dropped. Stats are left alone. True when it changed.
   */
  setFocusEdges(edges: Iterable<TopoEdge>): boolean {
    const wanted = new Map<string, TopoEdge>();
    for (const e of edges) wanted.set(e.id, e);
    const plan = planFocusMerge(this.focusOnly, wanted, (id) => this.maps.edges.has(id) && !this.focusOnly.has(id));
    if (plan.drop.length === 0 && plan.add.length === 0) return false;
    for (const id of plan.drop) {
      this.unindexEdge(id);
      this.maps.edges.delete(id);
      this.focusOnly.delete(id);
    }
    for (const e of plan.add) {
      this.unindexEdge(e.id);
      this.maps.edges.set(e.id, e);
      this.focusOnly.set(e.id, e);
      this.indexEdge(e);
    }
    this.version++;
    return true;
  }

  /** A merged focus edge (not part of the topology: not counted, not listed in the tables). */
  isFocusEdge(id: string): boolean {
    return this.focusOnly.has(id);
  }

  /** A host sent in the compact form: its healthy edges to other hosts come only on demand. */
  isCompactHost(name: string): boolean {
    return hostRelations(this.hostIndex.get(name)?.node) !== null;
  }

  /** Hosts left out of the picture (nodes that left the cluster); their cells stay free. */
  setHidden(names: Iterable<string>): void {
    const next = new Set(names);
    const changed = new Set([...next].filter((n) => !this.hidden.has(n)).concat([...this.hidden].filter((n) => !next.has(n))));
    if (changed.size === 0) return;
    this.hidden = next;
    this.relayout(changed);
    this.version++;
  }

  isHidden(host: string | null): boolean {
    return host !== null && this.hidden.has(host);
  }

  /** Lays out again: the given hosts, or (no argument) everything from scratch, compacting holes. */
  relayout(dirtyHosts?: ReadonlySet<string>): void {
    const hosts = new Map<string, HostEntry>();
    for (const [name, entry] of this.hostIndex) if (!this.hidden.has(name)) hosts.set(name, entry);
    const input: LayoutInput = { hosts, outer: this.outerNodes };
    this.layout = dirtyHosts ? layoutTopology(input, { previous: this.layout, dirtyHosts }) : layoutTopology(input);
    this.slotToHost = new Map([...this.layout.hostSlots].map(([name, slot]) => [slot, name]));
    if (!dirtyHosts) this.version++;
  }

  hostEntry(name: string): HostEntry | undefined {
    return this.hostIndex.get(name);
  }

  /** Where an element is drawn, or undefined (hidden, or not laid out). */
  rectOf(id: string): Rect | undefined {
    const h = hostFromId(id);
    if (h !== null) return this.layout.hosts.get(h)?.box;
    const n = this.maps.nodes.get(id);
    if (!n) return undefined;
    if (n.host !== null) return this.layout.hosts.get(n.host)?.items.get(id);
    return this.layout.outer.get(id);
  }

  /** The host an element belongs to (a host's own name for a host). */
  hostOf(id: string): string | null {
    const h = hostFromId(id);
    if (h !== null) return h;
    return this.maps.nodes.get(id)?.host ?? null;
  }

  /** The ids of edges that start at a host or its elements. */
  edgesOfHost(name: string): ReadonlySet<string> {
    return this.edgesFrom.get(name) ?? new Set();
  }

  /** The edges of a given type that start or end at a host (or its elements). */
  edgesTouching(name: string, type: TopoEdge['type']): TopoEdge[] {
    const out: TopoEdge[] = [];
    const seen = new Set<string>();
    for (const set of [this.edgesFrom.get(name), this.edgesTo.get(name)]) {
      for (const id of set ?? []) {
        if (seen.has(id)) continue;
        seen.add(id);
        const e = this.maps.edges.get(id);
        if (e && e.type === type) out.push(e);
      }
    }
    return out;
  }

  /** What is drawn: hosts not hidden, elements not marked removed. */
  summary(): TopologySummary {
    const s: TopologySummary = { hosts: 0, pods: 0, bgpSessions: 0, bgpEstablished: 0, routes: 0 };
    for (const [name, entry] of this.hostIndex) {
      if (this.hidden.has(name) || (entry.node && this.marks.get(entry.node.id) === 'removed')) continue;
      s.hosts++;
      for (const n of entry.members.values()) if (n.type === 'pod' && this.marks.get(n.id) !== 'removed') s.pods++;
      const rel = hostRelations(entry.node);
      if (rel) {
        s.bgpSessions += rel.bgp.total;
        s.bgpEstablished += rel.bgp.established;
        s.routes += rel.routes.total;
        continue;
      }
      for (const id of this.edgesFrom.get(name) ?? []) {
        if (this.marks.get(id) === 'removed' || this.focusOnly.has(id)) continue;
        const e = this.maps.edges.get(id);
        if (!e) continue;
        if (e.type === 'bgp') {
          s.bgpSessions++;
          if (e.data['state'] === 'established') s.bgpEstablished++;
        } else if (e.type === 'route') s.routes++;
      }
    }
    return s;
  }

  private indexNode(n: TopoNode): void {
    const h = hostNameOf(n);
    if (h === null) {
      this.outerNodes.set(n.id, n);
      return;
    }
    let e = this.hostIndex.get(h);
    if (!e) this.hostIndex.set(h, (e = { node: null, members: new Map() }));
    if (n.type === 'host') e.node = n;
    else e.members.set(n.id, n);
  }

  private unindexNode(n: TopoNode): void {
    const h = hostNameOf(n);
    if (h === null) {
      this.outerNodes.delete(n.id);
      return;
    }
    const e = this.hostIndex.get(h);
    if (!e) return;
    if (n.type === 'host') e.node = null;
    else e.members.delete(n.id);
  }

  /** Indexes a focus edge by its hosts, remembered so it leaves the index even after its nodes went. */
  private indexEdge(e: TopoEdge): void {
    const at = { from: this.edgeHost(e), to: this.hostOf(e.target) };
    this.focusIndexed.set(e.id, at);
    for (const [index, h] of [
      [this.edgesFrom, at.from],
      [this.edgesTo, at.to],
    ] as const) {
      if (h === null) continue;
      let set = index.get(h);
      if (!set) index.set(h, (set = new Set()));
      set.add(e.id);
    }
  }

  private unindexEdge(id: string): void {
    const at = this.focusIndexed.get(id);
    if (!at) return;
    this.focusIndexed.delete(id);
    if (at.from !== null) this.edgesFrom.get(at.from)?.delete(id);
    if (at.to !== null) this.edgesTo.get(at.to)?.delete(id);
  }

  private edgeHost(e: TopoEdge): string | null {
    return hostFromId(e.source) ?? this.maps.nodes.get(e.source)?.host ?? null;
  }

  private computeStats(name: string): void {
    const entry = this.hostIndex.get(name);
    if (!entry) {
      this.stats.delete(name);
      return;
    }
    const s: HostStats = { pods: 0, bgpTotal: 0, bgpEstablished: 0, bgpDown: 0, routes: 0, routeMismatch: 0 };
    for (const n of entry.members.values()) if (n.type === 'pod') s.pods++;
    const rel = hostRelations(entry.node);
    if (rel) {
      // compact: the healthy edges are not here to count (and focus edges never count)
      s.bgpTotal = rel.bgp.total;
      s.bgpEstablished = rel.bgp.established;
      s.bgpDown = rel.bgp.down;
      s.routes = rel.routes.total;
      s.routeMismatch = rel.routes.mismatch;
      const { toHosts, of, missing, missingCount } = rel.routes;
      s.routeCoverage = { toHosts, of, missing, missingCount };
      this.stats.set(name, s);
      return;
    }
    for (const id of this.edgesFrom.get(name) ?? []) {
      if (this.focusOnly.has(id)) continue;
      const e = this.maps.edges.get(id);
      if (!e) continue;
      if (e.type === 'bgp') {
        s.bgpTotal++;
        const c = bgpStateClass(e.data['state']);
        if (c === 'established') s.bgpEstablished++;
        else if (c === 'down') s.bgpDown++;
      } else if (e.type === 'route') {
        s.routes++;
        if (e.data['nextHopMismatch'] === true) s.routeMismatch++;
      }
    }
    this.stats.set(name, s);
  }
}
