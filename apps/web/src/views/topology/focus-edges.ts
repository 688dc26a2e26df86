// Focus edges: in the compact wire form a host's healthy edges to other hosts are left out, so the
// full edges of the hosts in focus (hovered, selected, on a trace, found) are fetched
// (GET /api/topology/edges) and merged into the scene while they stay in focus. This module decides
// what to fetch, keeps the answers per host, and says what to merge and drop; no DOM, so the rules
// are tested apart from the view. The view feeds it focus, live patches and time changes.
import type { TopoEdge, TopologyEdgesResponse, TopologyPatch } from '@netatlas/wire/core';

/** Hosts whose fetched edges are kept: hovering back to one of the last few is instant. */
export const FOCUS_CACHE_HOSTS = 16;
/** Focus changes settle this long before a fetch (a pointer crossing hosts asks for none of them). */
export const FOCUS_FETCH_DELAY_MS = 150;
/** After a failed fetch (an API without the endpoint, or down), patches do not ask again before this. */
export const FOCUS_RETRY_MS = 5000;

const sameEdge = (a: TopoEdge, b: TopoEdge): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * What turns the merged focus edges into the wanted ones: ids the topology holds are never merged
 * (the topology wins), merged ones no longer wanted are dropped, changed ones replaced.
 */
export function planFocusMerge(
  merged: ReadonlyMap<string, TopoEdge>,
  wanted: ReadonlyMap<string, TopoEdge>,
  inTopology: (id: string) => boolean,
): { add: TopoEdge[]; drop: string[] } {
  const add: TopoEdge[] = [];
  const drop: string[] = [];
  for (const id of merged.keys()) if (!wanted.has(id) || inTopology(id)) drop.push(id);
  for (const [id, e] of wanted) {
    if (inTopology(id)) continue;
    const had = merged.get(id);
    if (!had || !sameEdge(had, e)) add.push(e);
  }
  return { add, drop };
}

interface Entry {
  edges: Map<string, TopoEdge>;
  /** its host node changed since: shown until the new answer comes, and fetched again */
  stale: boolean;
}

/** The fetched edges per host, the most recently used last; at most `capacity` hosts. */
export class FocusEdgeCache {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly capacity = FOCUS_CACHE_HOSTS) {}

  get size(): number {
    return this.entries.size;
  }

  has(host: string): boolean {
    return this.entries.has(host);
  }

  /** Cached and not stale: nothing to fetch. */
  isFresh(host: string): boolean {
    return this.entries.get(host)?.stale === false;
  }

  edgesOf(host: string): Iterable<TopoEdge> {
    return this.entries.get(host)?.edges.values() ?? [];
  }

  /** Marks hosts as just used (so they are evicted last). */
  touch(hosts: Iterable<string>): void {
    for (const h of hosts) {
      const e = this.entries.get(h);
      if (!e) continue;
      this.entries.delete(h);
      this.entries.set(h, e);
    }
  }

  /**
   * Stores an answer: each asked host gets the edges that start at it (none: an empty entry, so it
   * is not asked again). The least recently used hosts beyond capacity go, but never those just
   * stored or in `keep` (the focus).
   */
  put(asked: readonly string[], edges: readonly TopoEdge[], hostOf: (id: string) => string | null, keep: ReadonlySet<string> = new Set()): void {
    const fresh = new Map<string, Entry>(asked.map((h) => [h, { edges: new Map(), stale: false }]));
    for (const e of edges) {
      const h = hostOf(e.source);
      const entry = (h !== null ? fresh.get(h) : undefined) ?? (asked.length === 1 ? fresh.get(asked[0]!) : undefined);
      entry?.edges.set(e.id, e);
    }
    for (const [h, entry] of fresh) {
      this.entries.delete(h);
      this.entries.set(h, entry);
    }
    for (const h of [...this.entries.keys()]) {
      if (this.entries.size <= this.capacity) break;
      if (!keep.has(h) && !fresh.has(h)) this.entries.delete(h);
    }
  }

  /**
   * A live patch: its edges win over fetched ones of the same id (dropped from every host), a host
   * whose node changed is fetched again (its relations moved), a host removed is forgotten.
   * Returns whether anything cached changed.
   */
  applyPatch(patch: TopologyPatch): boolean {
    if (this.entries.size === 0) return false;
    let changed = false;
    const ids = [...patch.removeEdges, ...patch.upsertEdges.map((e) => e.id)];
    if (ids.length > 0) {
      for (const entry of this.entries.values()) for (const id of ids) changed = entry.edges.delete(id) || changed;
    }
    for (const id of patch.removeNodes) if (id.startsWith('host:')) changed = this.entries.delete(id.slice(5)) || changed;
    for (const n of patch.upsertNodes) {
      const entry = n.id.startsWith('host:') ? this.entries.get(n.id.slice(5)) : undefined;
      if (entry && !entry.stale) {
        entry.stale = true;
        changed = true;
      }
    }
    return changed;
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * The compact hosts of a focus (in its order: what matters most first) whose edges are worth
 * having, at most `limit` of them: a search that finds every host does not fetch the whole mesh.
 */
export function focusCompactHosts(focus: Iterable<string>, isCompact: (host: string) => boolean, limit = FOCUS_CACHE_HOSTS): string[] {
  const out: string[] = [];
  for (const h of new Set(focus)) {
    if (out.length >= limit) break;
    if (isCompact(h)) out.push(h);
  }
  return out;
}

/** Of those hosts, the ones to ask for: not cached (or stale), not being fetched already. Sorted. */
export function hostsToFetch(hosts: Iterable<string>, cache: FocusEdgeCache, inFlight: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  for (const h of hosts) if (!cache.isFresh(h) && !inFlight.has(h)) out.push(h);
  return out.sort();
}

/** The edges to merge: the cached edges of those hosts (stale ones too, until their new answer). */
export function wantedFocusEdges(hosts: Iterable<string>, cache: FocusEdgeCache): Map<string, TopoEdge> {
  const out = new Map<string, TopoEdge>();
  for (const h of hosts) for (const e of cache.edgesOf(h)) out.set(e.id, e);
  return out;
}

/** What the loader merges into (the scene). */
export interface FocusTarget {
  isCompactHost(name: string): boolean;
  hostOf(id: string): string | null;
  setFocusEdges(edges: Iterable<TopoEdge>): boolean;
}

export type FetchFocusEdges = (hosts: string[], at: string | null, signal: AbortSignal) => Promise<TopologyEdgesResponse>;

export interface FocusEdgeLoaderOptions {
  target: FocusTarget;
  fetch: FetchFocusEdges;
  /** the merged edges changed: draw again */
  onChange: () => void;
  delayMs?: number;
  capacity?: number;
}

/**
 * Keeps the scene's focus edges in step with the focus: cached ones merged at once, missing ones
 * fetched once the focus settles, one request at a time; a time change or a new topology starts over.
 */
export class FocusEdgeLoader {
  private readonly cache: FocusEdgeCache;
  private readonly delayMs: number;
  private focus: string[] = [];
  private focusKey = '';
  private at: string | null = null;
  private enabled = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: { hosts: Set<string>; controller: AbortController; patched: Set<string>; changed: TopologyPatch } | null = null;
  /** Date.now() before which no fetch starts (after a failure) */
  private quietUntil = 0;

  constructor(private readonly options: FocusEdgeLoaderOptions) {
    this.cache = new FocusEdgeCache(options.capacity ?? FOCUS_CACHE_HOSTS);
    this.delayMs = options.delayMs ?? FOCUS_FETCH_DELAY_MS;
  }

  /** Another topology (a time change, a compare, a synthetic one): nothing fetched before holds. */
  reset(at: string | null, enabled: boolean): void {
    this.at = at;
    this.enabled = enabled;
    this.cache.clear();
    this.inFlight?.controller.abort();
    this.inFlight = null;
    this.quietUntil = 0;
    this.cancelTimer();
    if (this.sync()) this.options.onChange();
    this.schedule();
  }

  /** The hosts in focus, what matters most first (hovered, selected, traced, found). */
  setFocus(hosts: Iterable<string>): void {
    const list = [...new Set(hosts)];
    const key = list.join('\u0000');
    if (key === this.focusKey) return;
    this.focus = list;
    this.focusKey = key;
    if (this.sync()) this.options.onChange();
    this.schedule();
  }

  /** A live patch, after the scene applied it. */
  applyPatch(patch: TopologyPatch): void {
    const f = this.inFlight;
    if (f) {
      // an answer on its way predates this patch: its edges of these ids lose, its changed hosts are asked again
      for (const id of patch.removeEdges) f.patched.add(id);
      for (const e of patch.upsertEdges) f.patched.add(e.id);
      f.changed.upsertNodes.push(...patch.upsertNodes.filter((n) => n.id.startsWith('host:')));
      f.changed.removeNodes.push(...patch.removeNodes.filter((id) => id.startsWith('host:')));
    }
    this.cache.applyPatch(patch);
    // the scene already let the patch win; this merges what a host now compact had cached
    if (this.sync()) this.options.onChange();
    this.schedule();
  }

  destroy(): void {
    this.enabled = false;
    this.cancelTimer();
    this.inFlight?.controller.abort();
    this.inFlight = null;
  }

  /** For tests and the canvas' measurement attributes. */
  get pending(): { inFlight: string[]; scheduled: boolean } {
    return { inFlight: [...(this.inFlight?.hosts ?? [])], scheduled: this.timer !== null };
  }

  private hosts(): string[] {
    return this.enabled ? focusCompactHosts(this.focus, (h) => this.options.target.isCompactHost(h), this.cache.capacity) : [];
  }

  /** Merges the cached edges of the compact hosts in focus, drops the rest. */
  private sync(): boolean {
    const hosts = this.hosts();
    this.cache.touch(hosts);
    return this.options.target.setFocusEdges(wantedFocusEdges(hosts, this.cache).values());
  }

  private schedule(): void {
    this.cancelTimer();
    if (this.inFlight || hostsToFetch(this.hosts(), this.cache).length === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.run();
      },
      Math.max(this.delayMs, this.quietUntil - Date.now()),
    );
  }

  private cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async run(): Promise<void> {
    if (this.inFlight) return;
    const hosts = hostsToFetch(this.hosts(), this.cache);
    if (hosts.length === 0) return;
    const flight = { hosts: new Set(hosts), controller: new AbortController(), patched: new Set<string>(), changed: { upsertNodes: [], removeNodes: [], upsertEdges: [], removeEdges: [] } as TopologyPatch };
    this.inFlight = flight;
    try {
      const answer = await this.options.fetch(hosts, this.at, flight.controller.signal);
      if (this.inFlight !== flight) return;
      const edges = answer.edges.filter((e) => !flight.patched.has(e.id));
      const keep = new Set(this.hosts());
      this.cache.put(hosts, edges, (id) => this.options.target.hostOf(id), keep);
      // hosts whose node changed while asking: their answer is shown, and asked again; hosts gone: forgotten
      this.cache.applyPatch(flight.changed);
    } catch {
      // aborted (a reset: nothing to do), or failed: the compact counts still show; tried again later
      if (this.inFlight !== flight) return;
      this.inFlight = null;
      this.quietUntil = Date.now() + FOCUS_RETRY_MS;
      return;
    }
    this.inFlight = null;
    if (this.sync()) this.options.onChange();
    this.schedule();
  }
}
