// What the app knows of the live network: the current topology, every node's summary, and the
// stream of fact changes and node events, fanned out to the views. After every (re)subscription it
// re-fetches the topology and the nodes (applied as a patch, so nothing that did not change moves)
// and, after a reconnect, asks /api/changes and /api/events for everything since the last change and
// event it saw, so no view misses what happened while the socket was down.
import type { FactChange, NodeEvent, NodeStatus, NodeSummary, TopologyPatch } from '@netatlas/wire/core';
import type { LiveSource } from '../api/live-client.js';
import type { RestClient } from '../api/rest-client.js';
import { Emitter } from './emitter.js';
import { applyPatchToMaps, diffTopologyMaps, emptyTopologyMaps, isEmptyPatch, topologyMaps, type TopologyMaps } from './topology-maps.js';

export type LiveNodeEvent = NodeEvent & { status: NodeStatus };

export interface LiveStoreEvents {
  /** the live topology changed (already applied to `store.topology`) */
  topology: (patch: TopologyPatch) => void;
  /** fact changes, in commit order; `catchUp` when they come from /api/changes after a reconnect */
  changes: (changes: FactChange[], info: { catchUp: boolean }) => void;
  nodeEvent: (event: LiveNodeEvent | NodeEvent) => void;
  /** `store.nodes` changed */
  nodes: () => void;
  /** a (re)sync finished; `error` when it failed (it is retried) */
  synced: (info: { reconnect: boolean; error: string | null }) => void;
}

export type StoreRest = Pick<RestClient, 'topology' | 'nodes' | 'allChanges' | 'events'>;

const changeId = (c: FactChange): string => `${c.node}|${c.kind}|${c.key}|${c.at}`;

/** Remembers the changes seen at the latest moment, so a catch-up that starts 1 ms early repeats none. */
export class ChangeDeduper {
  private latestMs = -Infinity;
  private latest: string | null = null;
  private readonly recent = new Map<string, number>();

  get lastAt(): string | null {
    return this.latest;
  }

  /** The changes not seen before (and remembers them). */
  admit(changes: readonly FactChange[]): FactChange[] {
    const out: FactChange[] = [];
    for (const c of changes) {
      const id = changeId(c);
      if (this.recent.has(id)) continue;
      const ms = Date.parse(c.at);
      this.recent.set(id, ms);
      out.push(c);
      if (ms > this.latestMs) {
        this.latestMs = ms;
        this.latest = c.at;
      }
    }
    // keep only what a catch-up from (latest - 1 ms) can repeat
    if (this.recent.size > 1000) for (const [id, ms] of this.recent) if (ms < this.latestMs - 1) this.recent.delete(id);
    return out;
  }

  /** Where a catch-up starts: 1 ms before the latest change (changes of several nodes can share a millisecond). */
  catchUpFrom(fallback: string): string {
    return this.latestMs === -Infinity ? fallback : new Date(this.latestMs - 1).toISOString();
  }
}

export class LiveStore extends Emitter<LiveStoreEvents> {
  readonly topology: TopologyMaps = emptyTopologyMaps();
  readonly nodes = new Map<string, NodeSummary>();
  /** true once the first sync has loaded the topology and nodes */
  ready = false;
  private syncing = false;
  private heldPatches: TopologyPatch[] = [];
  private readonly dedupe = new ChangeDeduper();
  private readonly seenEvents = new Set<string>();
  private lastEventAt: string | null = null;
  /** the server's time of the first subscription: where a catch-up starts when no change was seen */
  private firstSyncAt: string | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private nodesRefresh: ReturnType<typeof setTimeout> | null = null;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly rest: StoreRest,
    private readonly live: LiveSource,
    private readonly options: { retryMs?: number } = {},
  ) {
    super();
    this.unsubscribe.push(
      live.onSynced((info) => void this.sync(info.reconnect, info.serverTime)),
      live.on('topology', (patch) => this.onPatch(patch)),
      live.on('changes', (batch) => this.onChanges(batch.changes, false)),
      live.on('nodeEvent', (event) => this.onNodeEvent(event)),
    );
  }

  close(): void {
    for (const u of this.unsubscribe) u();
    if (this.retry) clearTimeout(this.retry);
    if (this.nodesRefresh) clearTimeout(this.nodesRefresh);
  }

  /** The time of the last change seen (ISO), or null. */
  get lastChangeAt(): string | null {
    return this.dedupe.lastAt;
  }

  async sync(reconnect: boolean, serverTime: string): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.firstSyncAt ??= serverTime;
    this.syncing = true;
    try {
      const catchUpFrom = reconnect ? this.dedupe.catchUpFrom(this.firstSyncAt) : null;
      const eventsFrom = reconnect ? (this.lastEventAt ?? this.firstSyncAt) : null;
      const [topology, nodes, missed, events] = await Promise.all([
        this.rest.topology(),
        this.rest.nodes(),
        catchUpFrom === null ? null : this.rest.allChanges({ from: catchUpFrom }),
        eventsFrom === null ? null : this.rest.events({ from: eventsFrom }),
      ]);
      // the topology as fetched, then the patches that came while fetching, in order: they were
      // computed from the API's live copy, and any element they hold that is older than the fetch
      // is superseded by a later patch
      const patch = diffTopologyMaps(this.topology, topologyMaps(topology));
      applyPatchToMaps(this.topology, patch);
      this.replaceNodes(nodes);
      this.ready = true;
      this.syncing = false;
      if (!isEmptyPatch(patch) || !reconnect) this.emit('topology', patch);
      const held = this.heldPatches;
      this.heldPatches = [];
      for (const p of held) this.onPatch(p);
      this.emit('nodes');
      if (missed) this.onChanges(missed.changes, true);
      for (const e of events?.events ?? []) this.onNodeEvent(e);
      this.emit('synced', { reconnect, error: null });
    } catch (error) {
      this.syncing = false;
      const held = this.heldPatches;
      this.heldPatches = [];
      for (const p of held) this.onPatch(p);
      this.emit('synced', { reconnect, error: (error as Error).message });
      // try again while the socket stays up (a fresh subscription syncs anyway)
      this.retry = setTimeout(() => {
        if (this.live.state.status === 'live') void this.sync(reconnect, serverTime);
      }, this.options.retryMs ?? 2000);
    }
  }

  private onPatch(patch: TopologyPatch): void {
    if (this.syncing) {
      this.heldPatches.push(patch);
      return;
    }
    applyPatchToMaps(this.topology, patch);
    this.emit('topology', patch);
  }

  private onChanges(changes: readonly FactChange[], catchUp: boolean): void {
    const fresh = this.dedupe.admit(changes);
    if (fresh.length > 0) this.emit('changes', fresh, { catchUp });
  }

  private onNodeEvent(event: LiveNodeEvent | NodeEvent): void {
    if (this.seenEvents.has(event.id)) return;
    this.seenEvents.add(event.id);
    if (this.seenEvents.size > 5000) this.seenEvents.delete(this.seenEvents.values().next().value as string);
    if (this.lastEventAt === null || Date.parse(event.at) > Date.parse(this.lastEventAt)) this.lastEventAt = event.at;
    const known = this.nodes.get(event.node);
    if (known && 'status' in event) {
      this.nodes.set(event.node, { ...known, status: event.status, lastSeen: event.at > known.lastSeen ? event.at : known.lastSeen });
      this.emit('nodes');
    } else if (!known) {
      this.refreshNodesSoon();
    }
    this.emit('nodeEvent', event);
  }

  private replaceNodes(nodes: readonly NodeSummary[]): void {
    this.nodes.clear();
    for (const n of nodes) this.nodes.set(n.name, n);
  }

  /** Re-reads /api/nodes (debounced): a node the store did not know announced itself. */
  refreshNodesSoon(delayMs = 300): void {
    if (this.nodesRefresh) return;
    this.nodesRefresh = setTimeout(() => {
      this.nodesRefresh = null;
      this.rest
        .nodes()
        .then((nodes) => {
          this.replaceNodes(nodes);
          this.emit('nodes');
        })
        .catch(() => undefined);
    }, delayMs);
  }
}
