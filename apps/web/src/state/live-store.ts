// What the app knows of the live network: the current topology, every node's summary, the open
// alerts, and the stream of fact changes, node events and alert transitions, fanned out to the
// views. After every (re)subscription it re-fetches the topology and the nodes (applied as a patch,
// so nothing that did not change moves) and the open alerts, and, after a reconnect, asks
// /api/changes and /api/events for everything since the last change and event it saw, so no view
// misses what happened while the socket was down. A node's reader status and CNI style follow its
// `node` fact as it changes (the API writes /api/nodes from that fact in the same transaction).
import type { Alert, AlertState, AlertTransition, FactChange, NodeEvent, NodeStatus, NodeSummary, NodeValue, TopologyPatch } from '@netatlas/wire/core';
import type { LiveSource } from '../api/live-client.js';
import { ApiError, type RestClient } from '../api/rest-client.js';
import { Emitter } from './emitter.js';
import { applyPatchToMaps, diffTopologyMaps, emptyTopologyMaps, isEmptyTopologyPatch, topologyMaps, type TopologyMaps } from '@netatlas/graph';

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
  /**
   * `store.alerts` changed: live `transitions` (the ones that changed something, in order), or
   * `resync` after the open alerts were re-read (what happened while away is not in `transitions`:
   * a view that keeps resolved alerts re-reads its window)
   */
  alerts: (info: { transitions: AlertTransition[]; resync: boolean }) => void;
}

export type StoreRest = Pick<RestClient, 'topology' | 'nodes' | 'allChanges' | 'events' | 'alerts'>;

/** Alerts only move forward: pending → firing → resolved (a new instance gets a new id). */
export const ALERT_STATE_RANK: Readonly<Record<AlertState, number>> = { pending: 0, firing: 1, resolved: 2 };

/**
 * How far an alert's cause history has come: every regrouping closes the open spell or opens a new
 * one (under a root, out of it, under another), so a later version of one alert never has less.
 */
export function causesProgress(a: Pick<Alert, 'causes'>): number {
  const causes = a.causes ?? [];
  const last = causes.at(-1);
  return causes.length * 2 + (last !== undefined && last.to !== null ? 1 : 0);
}

/**
 * The further along of two versions of one alert: by state, then (a regrouping keeps the state)
 * by cause history; on a tie the second (the newer arrival).
 */
export function laterAlert(a: Alert | undefined, b: Alert): Alert {
  if (a === undefined) return b;
  const byState = ALERT_STATE_RANK[b.state] - ALERT_STATE_RANK[a.state];
  if (byState !== 0) return byState > 0 ? b : a;
  return causesProgress(b) >= causesProgress(a) ? b : a;
}

/** Whether two versions of an alert say the same (a repeated transition). */
export function sameAlert(a: Alert, b: Alert): boolean {
  return (
    a.id === b.id &&
    a.state === b.state &&
    a.firedAt === b.firedAt &&
    a.resolvedAt === b.resolvedAt &&
    a.rootId === b.rootId &&
    a.symptoms === b.symptoms &&
    a.summary === b.summary &&
    a.severity === b.severity &&
    causesProgress(a) === causesProgress(b) &&
    (a.causes ?? []).at(-1)?.rootId === (b.causes ?? []).at(-1)?.rootId
  );
}

/** The alert a transition carries, in the furthest state the transition and the alert itself say. */
export function transitionAlert(t: AlertTransition): Alert {
  return ALERT_STATE_RANK[t.to] > ALERT_STATE_RANK[t.alert.state] ? { ...t.alert, state: t.to } : t.alert;
}

export function countAlerts(alerts: Iterable<Alert>): { firing: number; pending: number } {
  let firing = 0;
  let pending = 0;
  for (const a of alerts) {
    if (a.state === 'firing') firing++;
    else if (a.state === 'pending') pending++;
  }
  return { firing, pending };
}

const RESOLVED_MEMORY = 5000;

/**
 * The open (pending and firing) alerts, kept current by live transitions and by snapshots from
 * /api/alerts. Safe against order: a transition that arrives after a later one of the same alert
 * changes nothing, a resolved alert never reopens, and a snapshot fetched while transitions arrive
 * keeps what the transitions said (they may be newer than the snapshot).
 */
export class OpenAlerts {
  private readonly open = new Map<string, Alert>();
  /** ids known resolved (the latest few thousand): a late pending or firing does not reopen one */
  private readonly resolved = new Set<string>();
  /** id → sequence number of the last live transition that touched it */
  private readonly touched = new Map<string, number>();
  private seq = 0;

  get size(): number {
    return this.open.size;
  }

  list(): Alert[] {
    return [...this.open.values()];
  }

  get(id: string): Alert | undefined {
    return this.open.get(id);
  }

  counts(): { firing: number; pending: number } {
    return countAlerts(this.open.values());
  }

  /** How many open alerts name this one as their root cause now. */
  symptomsOf(id: string): number {
    let n = 0;
    for (const a of this.open.values()) if (a.rootId === id) n++;
    return n;
  }

  /** Applies live transitions; returns those that changed something. */
  apply(transitions: readonly AlertTransition[]): AlertTransition[] {
    const applied: AlertTransition[] = [];
    for (const t of transitions) {
      const alert = transitionAlert(t);
      if (this.resolved.has(alert.id)) continue;
      const seq = ++this.seq;
      if (alert.state === 'resolved') {
        this.open.delete(alert.id);
        this.touched.delete(alert.id);
        this.remember(alert.id);
        applied.push(t);
        continue;
      }
      const prev = this.open.get(alert.id);
      if (laterAlert(prev, alert) !== alert || (prev && sameAlert(prev, alert))) continue;
      this.open.set(alert.id, alert);
      this.touched.set(alert.id, seq);
      applied.push(t);
    }
    return applied;
  }

  /** Where a snapshot starts: pass it to `replace` with the snapshot fetched after it. */
  mark(): number {
    return this.seq;
  }

  /**
   * Replaces the open alerts with a snapshot of them fetched after `mark()`. An alert a live
   * transition touched since the mark keeps its live version (unless the snapshot is further
   * along); an open alert the snapshot lacks and no transition touched since was resolved meanwhile.
   * Returns whether anything changed.
   */
  replace(snapshot: readonly Alert[], mark: number): boolean {
    const next = new Map<string, Alert>();
    for (const a of snapshot) {
      if (a.state === 'resolved') {
        this.remember(a.id);
        continue;
      }
      if (this.resolved.has(a.id)) continue;
      // the same alert can be in the snapshot twice (firing and pending are asked for apart)
      const snap = laterAlert(next.get(a.id), a);
      const cur = this.open.get(a.id);
      next.set(a.id, cur && (this.touched.get(a.id) ?? -1) > mark ? laterAlert(snap, cur) : snap);
    }
    for (const [id, cur] of this.open) {
      if (next.has(id)) continue;
      if ((this.touched.get(id) ?? -1) > mark) next.set(id, cur);
      else this.remember(id);
    }
    let changed = next.size !== this.open.size;
    for (const [id, a] of next) if (this.open.get(id) !== a) changed = true;
    this.open.clear();
    for (const [id, a] of next) this.open.set(id, a);
    for (const [id, seq] of this.touched) if (seq <= mark || !this.open.has(id)) this.touched.delete(id);
    return changed;
  }

  private remember(id: string): void {
    this.resolved.delete(id);
    this.resolved.add(id);
    if (this.resolved.size > RESOLVED_MEMORY) this.resolved.delete(this.resolved.values().next().value as string);
  }
}

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

/** A node's summary with the reader status and CNI style of its node fact. */
function withReport(n: NodeSummary, value: NodeValue): NodeSummary {
  return { ...n, readers: value.readers, cniStyle: value.cniStyle };
}

export class LiveStore extends Emitter<LiveStoreEvents> {
  readonly topology: TopologyMaps = emptyTopologyMaps();
  readonly nodes = new Map<string, NodeSummary>();
  /** the open alerts (pending and firing) */
  readonly alerts = new OpenAlerts();
  /** true once the first sync has loaded the topology and nodes */
  ready = false;
  /** true once the open alerts were loaded; `alertsError` says why they could not be */
  alertsReady = false;
  alertsError: string | null = null;
  private alertsRetry: ReturnType<typeof setTimeout> | null = null;
  private alertsToken = 0;
  private syncing = false;
  private heldPatches: TopologyPatch[] = [];
  private readonly dedupe = new ChangeDeduper();
  /** each node's newest `node` fact seen live or in a catch-up, with when it was committed */
  private readonly nodeFacts = new Map<string, { at: number; value: NodeValue }>();
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
      live.onSynced((info) => {
        void this.sync(info.reconnect, info.serverTime);
        void this.syncAlerts();
      }),
      live.on('topology', (patch) => this.onPatch(patch)),
      live.on('changes', (batch) => this.onChanges(batch.changes, false)),
      live.on('nodeEvent', (event) => this.onNodeEvent(event)),
      live.on('alerts', (batch) => this.onAlerts(batch.transitions)),
    );
  }

  close(): void {
    for (const u of this.unsubscribe) u();
    if (this.retry) clearTimeout(this.retry);
    if (this.alertsRetry) clearTimeout(this.alertsRetry);
    this.alertsToken++;
    if (this.nodesRefresh) clearTimeout(this.nodesRefresh);
  }

  /** The time of the last change seen (ISO), or null. */
  get lastChangeAt(): string | null {
    return this.dedupe.lastAt;
  }

  /**
   * Runs once the subscription is acknowledged, never alongside it: a topology the API read before
   * the subscription took hold would miss the patches made in between, and neither its answer nor
   * the patches say which they follow (no sequence number). Asking earlier would save the
   * subscribe's round trip and the socket's handshake (~0.15 s, bench:web) at that risk.
   */
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
      // (into an empty store the topology is the patch: no maps to build and compare, ~0.5 s at 5000 hosts)
      const empty = this.topology.nodes.size === 0 && this.topology.edges.size === 0;
      const patch: TopologyPatch = empty
        ? { upsertNodes: topology.nodes, removeNodes: [], upsertEdges: topology.edges, removeEdges: [] }
        : diffTopologyMaps(this.topology, topologyMaps(topology));
      applyPatchToMaps(this.topology, patch);
      this.replaceNodes(nodes);
      this.ready = true;
      this.syncing = false;
      if (!isEmptyTopologyPatch(patch) || !reconnect) this.emit('topology', patch);
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

  /**
   * Re-reads the open alerts (pending and firing, whenever they started) and merges them with the
   * transitions that arrive meanwhile. Apart from the topology's sync: an API without alerts (404)
   * does not hold the rest up, and is not asked again until the next subscription.
   */
  async syncAlerts(): Promise<void> {
    if (this.alertsRetry) clearTimeout(this.alertsRetry);
    this.alertsRetry = null;
    const token = ++this.alertsToken;
    const mark = this.alerts.mark();
    try {
      const [firing, pending] = await Promise.all([this.rest.alerts({ state: 'firing', limit: 10_000 }), this.rest.alerts({ state: 'pending', limit: 10_000 })]);
      if (token !== this.alertsToken) return;
      this.alerts.replace([...firing.alerts, ...pending.alerts], mark);
      this.alertsReady = true;
      this.alertsError = null;
      this.emit('alerts', { transitions: [], resync: true });
    } catch (error) {
      if (token !== this.alertsToken) return;
      this.alertsError = (error as Error).message;
      this.emit('alerts', { transitions: [], resync: true });
      if (error instanceof ApiError && error.status === 404) return;
      this.alertsRetry = setTimeout(() => {
        if (this.live.state.status === 'live') void this.syncAlerts();
      }, this.options.retryMs ?? 2000);
    }
  }

  private onAlerts(transitions: readonly AlertTransition[]): void {
    const applied = this.alerts.apply(transitions);
    if (applied.length > 0) this.emit('alerts', { transitions: applied, resync: false });
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
    if (fresh.length === 0) return;
    this.onNodeFacts(fresh);
    this.emit('changes', fresh, { catchUp });
  }

  /**
   * Node facts that changed: the node's summary takes their readers and style. Only a fact newer
   * than the one held counts (a catch-up repeats older ones); a removal (the node left) keeps the
   * last report, as /api/nodes does.
   */
  private onNodeFacts(changes: readonly FactChange[]): void {
    let changed = false;
    for (const c of changes) {
      if (c.kind !== 'node' || c.after === null) continue;
      const at = Date.parse(c.at);
      if (at <= (this.nodeFacts.get(c.node)?.at ?? -Infinity)) continue;
      const value = c.after as NodeValue;
      this.nodeFacts.set(c.node, { at, value });
      const known = this.nodes.get(c.node);
      if (!known) {
        this.refreshNodesSoon();
        continue;
      }
      this.nodes.set(c.node, withReport(known, value));
      changed = true;
    }
    if (changed) this.emit('nodes');
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

  /**
   * Nodes as /api/nodes answered. A node fact committed after the row was read (later than the
   * row's lastSeen, which every committed message of the node advances) is newer than the answer.
   */
  private replaceNodes(nodes: readonly NodeSummary[]): void {
    this.nodes.clear();
    for (const n of nodes) {
      const fact = this.nodeFacts.get(n.name);
      this.nodes.set(n.name, fact && fact.at > Date.parse(n.lastSeen) ? withReport(n, fact.value) : n);
    }
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
