// The Changes timeline: node lifecycle events and route changes (clustered into bursts), newest
// first, and the window of time whose route diff a selected item shows. Pure.
import type { FactChange, NodeEvent, NodeEventType, RouteValue } from '@netatlas/wire/core';
import { naturalCompare } from '../../addresses/ip.js';

export const JOIN_TYPES: ReadonlySet<NodeEventType> = new Set(['first_seen', 'connected', 'k8s_added']);
export const LEAVE_TYPES: ReadonlySet<NodeEventType> = new Set(['disconnected', 'lost', 'k8s_deleted', 'left']);

export interface EventItem {
  kind: 'event';
  id: string;
  at: string;
  node: string;
  type: NodeEventType;
  role: 'join' | 'leave' | 'other';
  event: NodeEvent;
}

export interface RouteBurstItem {
  kind: 'routes';
  id: string;
  /** first and last change */
  at: string;
  until: string;
  nodes: string[];
  added: number;
  removed: number;
  changed: number;
  count: number;
}

export type TimelineItem = EventItem | RouteBurstItem;

/** Route changes closer than this belong to one burst. */
export const BURST_GAP_MS = 5000;

const isLocal = (c: FactChange): boolean => ((c.after ?? c.before) as RouteValue | null)?.table === 'local';

/** Route changes (the local table left out) in bursts: runs where no gap exceeds `gapMs`. Oldest first. */
export function routeBursts(changes: readonly FactChange[], gapMs = BURST_GAP_MS): RouteBurstItem[] {
  const routes = changes.filter((c) => c.kind === 'route' && !isLocal(c)).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const out: RouteBurstItem[] = [];
  let cur: (RouteBurstItem & { nodeSet: Set<string>; lastMs: number }) | null = null;
  for (const c of routes) {
    const ms = Date.parse(c.at);
    if (!cur || ms - cur.lastMs > gapMs) {
      if (cur) out.push(finish(cur));
      cur = { kind: 'routes', id: `routes:${c.at}`, at: c.at, until: c.at, nodes: [], added: 0, removed: 0, changed: 0, count: 0, nodeSet: new Set(), lastMs: ms };
    }
    cur.until = c.at;
    cur.lastMs = ms;
    cur.count++;
    cur.nodeSet.add(c.node);
    if (c.op === 'add') cur.added++;
    else if (c.op === 'remove') cur.removed++;
    else cur.changed++;
  }
  if (cur) out.push(finish(cur));
  return out;
}

function finish(b: RouteBurstItem & { nodeSet: Set<string>; lastMs: number }): RouteBurstItem {
  const { nodeSet, lastMs: _lastMs, ...rest } = b;
  return { ...rest, nodes: [...nodeSet].sort(naturalCompare) };
}

export function eventItem(e: NodeEvent): EventItem {
  return { kind: 'event', id: `event:${e.id}`, at: e.at, node: e.node, type: e.type, role: JOIN_TYPES.has(e.type) ? 'join' : LEAVE_TYPES.has(e.type) ? 'leave' : 'other', event: e };
}

/** Events and route bursts, newest first (an event before the burst it caused when they tie). */
export function buildTimeline(events: readonly NodeEvent[], changes: readonly FactChange[], gapMs = BURST_GAP_MS): TimelineItem[] {
  const items: TimelineItem[] = [...events.map(eventItem), ...routeBursts(changes, gapMs)];
  return items.sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || (a.kind === b.kind ? naturalCompare(b.id, a.id) : a.kind === 'routes' ? -1 : 1));
}

/**
 * What to show when nothing is chosen: the newest burst of route changes (what a person looking at
 * the screen after something happened wants to see), else the newest join or leave. Collector
 * reconnects (an API restart reconnects every node) change no route and would hide it.
 */
export function defaultSelection(items: readonly TimelineItem[]): TimelineItem | null {
  return items.find((i) => i.kind === 'routes') ?? items.find((i) => i.kind === 'event' && i.role !== 'other') ?? null;
}

export interface DiffWindow {
  from: Date;
  to: Date;
  /** where convergence is measured from: the event, or the first route change if that came first */
  t0: Date;
}

export interface WindowOptions {
  /** how far before an event its routes may change (a graceful leave withdraws first) */
  beforeMs?: number;
  /** route bursts before an event belong to it while each is at most this far from the next */
  chainGapMs?: number;
  /** how long after an event its routes may still change */
  afterMs?: number;
  now: Date;
}

export const EVENT_BEFORE_MS = 30_000;
export const EVENT_AFTER_MS = 90_000;

/**
 * The window an item's route diff covers. An event: from the first of the route bursts that lead
 * up to it (each within `chainGapMs` of the next, the last within it of the event: a graceful leave
 * withdraws first), at most `beforeMs` back, to `afterMs` after it (stretched to the end of a burst
 * that starts inside), never past now. Earlier, unrelated changes stay out, so they do not cancel
 * or add to what the event caused. A burst: its first change to its last, a millisecond either
 * side (the diff is over (from, to]).
 */
export function selectionWindow(item: TimelineItem, bursts: readonly RouteBurstItem[], o: WindowOptions): DiffWindow {
  const now = o.now.getTime();
  if (item.kind === 'routes') {
    const first = Date.parse(item.at);
    return { from: new Date(first - 1), to: new Date(Math.min(now, Date.parse(item.until) + 1)), t0: new Date(first) };
  }
  const at = Date.parse(item.at);
  const earliest = at - (o.beforeMs ?? EVENT_BEFORE_MS);
  const gap = o.chainGapMs ?? BURST_GAP_MS;
  let from = at - 1;
  for (const b of [...bursts].sort((x, y) => Date.parse(y.at) - Date.parse(x.at))) {
    const start = Date.parse(b.at);
    const end = Date.parse(b.until);
    if (start > at) continue;
    if (start < earliest || end < from + 1 - gap) break;
    from = Math.min(from, start - 1);
  }
  let to = at + (o.afterMs ?? EVENT_AFTER_MS);
  let firstChange = Infinity;
  for (const b of bursts) {
    const start = Date.parse(b.at);
    const end = Date.parse(b.until);
    if (start >= from && start <= to) {
      to = Math.max(to, end + 1);
      firstChange = Math.min(firstChange, start);
    } else if (end >= from && end <= to) {
      firstChange = Math.min(firstChange, Math.max(start, from));
    }
  }
  return { from: new Date(from), to: new Date(Math.min(now, to)), t0: new Date(Math.min(at, firstChange)) };
}

/** The window of a compare range: as given, convergence from the first route change in it. */
export function rangeWindow(from: Date, to: Date, bursts: readonly RouteBurstItem[]): DiffWindow {
  const first = bursts.map((b) => Date.parse(b.at)).filter((ms) => ms > from.getTime() && ms <= to.getTime());
  return { from, to, t0: new Date(first.length ? Math.min(...first) : from.getTime()) };
}

/** What a timeline item says in one line. */
export function describeItem(item: TimelineItem): string {
  if (item.kind === 'routes') {
    const parts = [item.added ? `+${item.added}` : '', item.removed ? `−${item.removed}` : '', item.changed ? `~${item.changed}` : ''].filter(Boolean).join(' ');
    const nodes = item.nodes.length <= 3 ? item.nodes.join(', ') : `${item.nodes.slice(0, 3).join(', ')} and ${item.nodes.length - 3} more`;
    return `route changes ${parts} on ${item.nodes.length} node${item.nodes.length === 1 ? '' : 's'} (${nodes})`;
  }
  const words: Record<NodeEventType, string> = {
    first_seen: 'joined (first seen)',
    connected: 'collector connected',
    disconnected: 'collector disconnected',
    lost: 'collector lost',
    resynced: 'resynced',
    gap: 'gap in its history',
    k8s_added: 'added to Kubernetes',
    k8s_deleted: 'deleted from Kubernetes',
    left: 'left the cluster',
  };
  return `${item.node} ${words[item.type] ?? item.type}`;
}
