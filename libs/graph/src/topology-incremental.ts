// A live topology kept current by re-deriving only what changed (the API's current-state worker). Every
// host's part (topology.ts, deriveHostPart) depends on its own facts and on the topology context
// (who owns which address, pod CIDR and tunnel end). After a change, the touched hosts are indexed
// again; when the context they make is unchanged, only their parts are derived again, else every
// part is. The patch is the difference of the touched parts and of the shared nodes, so its cost
// follows the churn, not the size of the cluster; it equals diffTopology(before, after) of two full
// derivations (topology-incremental.spec.ts).
import type { Fact, TopoEdge, TopoNode, Topology, TopologyForm, TopologyPatch } from '@netatlas/wire/core';
import {
  assembleTopology,
  contextSignature,
  deriveHostPart,
  entriesOf,
  indexHost,
  newHostPartCache,
  sameForTopology,
  sharedNodes,
  topologyContext,
  topologyFormFor,
  type DeriveTopologyOptions,
  type Host,
  type HostPart,
  type HostPartCache,
  type PodName,
  type TopologyContext,
} from './topology.js';
import { jsonEqual } from './delta.js';

/** Where a host's facts come from: its current facts, or undefined when it has none (it is gone). */
export type HostFacts = (host: string) => Iterable<Fact> | undefined;

export interface IncrementalTopologyOptions extends Omit<DeriveTopologyOptions, 'compact'> {
  /** the wire form; `auto` (default): compact from COMPACT_FROM_HOSTS hosts on, decided again whenever the context changes */
  form?: TopologyForm | 'auto';
  /** where `auto` turns compact (default COMPACT_FROM_HOSTS) */
  compactFrom?: number;
}

export class IncrementalTopology {
  private readonly hosts = new Map<string, Host>();
  private readonly parts = new Map<string, HostPart>();
  private readonly touched = new Set<string>();
  private shared = new Map<string, TopoNode>();
  private context: TopologyContext | null = null;
  /** edges that hold while the context does (HostPartCache) */
  private cache: HostPartCache = newHostPartCache();
  private signature = '';
  private everything = true;
  private pods: ReadonlyMap<string, PodName> | undefined;
  private readonly podCidrs: ReadonlyMap<string, readonly string[]>;
  private readonly formOption: TopologyForm | 'auto';
  private readonly compactFrom: number | undefined;
  /** the form of the topology as it stands after the last patch() */
  form: TopologyForm = 'full';
  /** what the last patch() re-derived (touched hosts, or every host: the context changed) and where its time went, ms */
  lastWork: PatchWork = { hosts: 0, all: false, ms: { index: 0, context: 0, parts: 0, diff: 0, shared: 0 } };

  constructor(
    private readonly factsOf: HostFacts,
    options: IncrementalTopologyOptions = {},
  ) {
    this.formOption = options.form ?? 'auto';
    this.compactFrom = options.compactFrom;
    this.pods = options.pods;
    this.podCidrs = new Map(options.podCidrs ? entriesOf(options.podCidrs) : []);
  }

  /** The host's facts changed, or it appeared or went. */
  touch(host: string): void {
    this.touched.add(host);
  }

  /** A fact of the host changed from `before` to `after` (null: added or removed). */
  change(host: string, kind: Fact['kind'], before: Fact['value'] | null, after: Fact['value'] | null): void {
    if (before !== null && after !== null && sameForTopology(kind, before, after)) return;
    this.touched.add(host);
  }

  /**
   * Kubernetes' pods by IP changed: the hosts whose pods had or have one of the changed addresses
   * are derived again.
   */
  setPods(pods: ReadonlyMap<string, PodName>): void {
    const old = this.pods ?? new Map<string, PodName>();
    const changed = new Set<string>();
    for (const [ip, p] of pods) {
      const o = old.get(ip);
      if (!o || o.namespace !== p.namespace || o.name !== p.name) changed.add(ip);
    }
    for (const ip of old.keys()) if (!pods.has(ip)) changed.add(ip);
    this.pods = pods;
    if (changed.size === 0) return;
    for (const part of this.parts.values()) if (part.podIps.some((ip) => changed.has(ip))) this.touched.add(part.host);
  }

  /**
   * Every edge that starts at the named hosts or their elements, in the full form, as of the last
   * patch() (the compact form's on-demand part: GET /api/topology/edges); sorted by id.
   */
  fullEdges(names: Iterable<string>): TopoEdge[] {
    if (this.context === null) return [];
    const out: TopoEdge[] = [];
    for (const name of new Set(names)) {
      const h = this.hosts.get(name);
      if (h) for (const e of deriveHostPart(h, this.context, { pods: this.pods }).edges) out.push(e);
    }
    return out.sort(byId);
  }

  /** The whole topology as it stands after the last patch(). */
  topology(): Topology {
    return assembleTopology([...this.parts.keys()].sort(cmp).map((h) => this.parts.get(h)!));
  }

  /** What changed since the last call (the first call: the whole topology as upserts). */
  patch(): TopologyPatch {
    const ms = { index: 0, context: 0, parts: 0, diff: 0, shared: 0 };
    let t = now();
    const lap = (what: keyof typeof ms) => {
      const t1 = now();
      ms[what] += t1 - t;
      t = t1;
    };
    for (const name of this.touched) {
      const facts = this.factsOf(name);
      if (facts === undefined) this.hosts.delete(name);
      else this.hosts.set(name, indexHost(name, facts, this.podCidrs.get(name)));
    }
    lap('index');
    const hosts = [...this.hosts.values()].sort((a, b) => cmp(a.name, b.name));
    // the same signature makes the same context: the parts of untouched hosts still hold
    const signature = contextSignature(hosts);
    const contextChanged = this.context === null || signature !== this.signature;
    if (contextChanged) {
      this.context = topologyContext(hosts);
      this.cache = newHostPartCache();
      // the host count only changes with the context, so the form switches on a full re-derivation
      this.form = this.formOption === 'auto' ? topologyFormFor(hosts.length, this.compactFrom) : this.formOption;
    }
    const context = this.context!;
    this.signature = signature;
    const all = this.everything || contextChanged;
    this.everything = false;
    lap('context');

    const upsertNodes: TopoNode[] = [];
    const upsertEdges: TopoEdge[] = [];
    const removeNodes: string[] = [];
    const removeEdges: string[] = [];
    const options = { pods: this.pods, compact: this.form === 'compact' };
    const redo = all ? new Set([...this.parts.keys(), ...this.hosts.keys()]) : this.touched;
    for (const name of redo) {
      const h = this.hosts.get(name);
      const before = this.parts.get(name);
      const after = h ? deriveHostPart(h, context, options, this.cache) : undefined;
      lap('parts');
      if (after) this.parts.set(name, after);
      else this.parts.delete(name);
      diffSorted(before?.nodes ?? [], after?.nodes ?? [], upsertNodes, removeNodes);
      diffSorted(before?.edges ?? [], after?.edges ?? [], upsertEdges, removeEdges);
      lap('diff');
    }
    const redone = redo.size;
    this.touched.clear();

    // the shared nodes depend on every part, but cheaply: a few per host
    const shared = new Map(sharedNodes(this.parts.values()).map((n) => [n.id, n]));
    for (const [id, n] of shared) {
      const o = this.shared.get(id);
      if (!o || !jsonEqual(o, n)) upsertNodes.push(n);
    }
    for (const id of this.shared.keys()) if (!shared.has(id)) removeNodes.push(id);
    this.shared = shared;
    lap('shared');
    this.lastWork = { hosts: redone, all, ms };

    return {
      upsertNodes: upsertNodes.sort(byId),
      removeNodes: removeNodes.sort(cmp),
      upsertEdges: upsertEdges.sort(byId),
      removeEdges: removeEdges.sort(cmp),
    };
  }
}

export interface PatchWork {
  hosts: number;
  all: boolean;
  ms: { index: number; context: number; parts: number; diff: number; shared: number };
}

// the lib is built without DOM or Node types; both have performance.now()
const clock = (globalThis as { performance?: { now(): number } }).performance ?? Date;
const now = (): number => clock.now();
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byId = (a: { id: string }, b: { id: string }): number => cmp(a.id, b.id);

/** Merge two id-sorted lists: what is new or different goes to `upserts`, what is gone to `removes`. */
function diffSorted<T extends { id: string }>(before: readonly T[], after: readonly T[], upserts: T[], removes: string[]): void {
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const b = before[i];
    const a = after[j];
    if (a === undefined || (b !== undefined && b.id < a.id)) {
      removes.push(b!.id);
      i++;
    } else if (b === undefined || a.id < b.id) {
      upserts.push(a);
      j++;
    } else {
      if (!jsonEqual(b, a)) upserts.push(a);
      i++;
      j++;
    }
  }
}
