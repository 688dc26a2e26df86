// The route diff an event caused, per node, as `+`/`-` lines in `ip route` form (what an engineer
// gets by diffing `ip route` before and after by hand), with the time each node took to converge:
// its last route change in the window, measured from the start of the disturbance. Pure.
import type { FactChange, RouteValue } from '@netatlas/wire/core';
import type { StateDiff } from '../../api/rest-client.js';
import { formatRoute } from '../../format/route-text.js';
import { compareAddressText, naturalCompare } from '../../addresses/ip.js';

export interface RouteLine {
  sign: '+' | '-';
  text: string;
  /** the route's destination (for sorting) */
  dst: string;
  key: string;
}

export interface NodeRouteDiff {
  node: string;
  lines: RouteLine[];
  added: number;
  removed: number;
  changed: number;
  /** the node's first and last route change in the window (ISO), null when it had none */
  firstChangeAt: string | null;
  lastChangeAt: string | null;
  /** lastChangeAt − t0, in ms; null when the node had no route change */
  convergenceMs: number | null;
}

export interface RouteDiffOptions {
  /** nodes to list even without a change (every other node of the cluster): "no change" is news too */
  nodes?: Iterable<string>;
  /** nodes left out (the node that joined or left) */
  exclude?: Iterable<string>;
  /** the `local` table (the node's own addresses) is left out unless asked for */
  includeLocalTable?: boolean;
  /** the window's route changes, for convergence times */
  changes?: readonly FactChange[];
  /** the start of the disturbance convergence is measured from */
  t0?: Date;
}

const keep = (r: RouteValue, includeLocal: boolean) => includeLocal || r.table !== 'local';

function lineOrder(a: RouteLine, b: RouteLine): number {
  return compareAddressText(a.dst, b.dst) || naturalCompare(a.key, b.key) || (a.sign === b.sign ? 0 : a.sign === '-' ? -1 : 1);
}

export function routeDiffByNode(diff: StateDiff, options: RouteDiffOptions = {}): NodeRouteDiff[] {
  const includeLocal = options.includeLocalTable ?? false;
  const exclude = new Set(options.exclude ?? []);
  const names = new Set([...Object.keys(diff), ...(options.nodes ?? [])]);
  const byNode = new Map<string, { first: number; last: number; firstAt: string; lastAt: string }>();
  for (const c of options.changes ?? []) {
    if (c.kind !== 'route') continue;
    const v = (c.after ?? c.before) as RouteValue | null;
    if (v && !keep(v, includeLocal)) continue;
    const ms = Date.parse(c.at);
    const cur = byNode.get(c.node);
    if (!cur) byNode.set(c.node, { first: ms, last: ms, firstAt: c.at, lastAt: c.at });
    else {
      if (ms < cur.first) Object.assign(cur, { first: ms, firstAt: c.at });
      if (ms > cur.last) Object.assign(cur, { last: ms, lastAt: c.at });
    }
  }
  const out: NodeRouteDiff[] = [];
  for (const node of names) {
    if (exclude.has(node)) continue;
    const d = diff[node]?.route;
    const lines: RouteLine[] = [];
    let added = 0;
    let removed = 0;
    let changed = 0;
    for (const f of d?.added ?? []) {
      const r = f.value as RouteValue;
      if (!keep(r, includeLocal)) continue;
      added++;
      lines.push({ sign: '+', text: formatRoute(r), dst: r.dst, key: f.key });
    }
    for (const f of d?.removed ?? []) {
      const r = f.value as RouteValue;
      if (!keep(r, includeLocal)) continue;
      removed++;
      lines.push({ sign: '-', text: formatRoute(r), dst: r.dst, key: f.key });
    }
    for (const c of d?.changed ?? []) {
      const before = c.before as RouteValue;
      const after = c.after as RouteValue;
      if (!keep(after, includeLocal)) continue;
      changed++;
      lines.push({ sign: '-', text: formatRoute(before), dst: before.dst, key: c.key }, { sign: '+', text: formatRoute(after), dst: after.dst, key: c.key });
    }
    lines.sort(lineOrder);
    const times = byNode.get(node);
    out.push({
      node,
      lines,
      added,
      removed,
      changed,
      firstChangeAt: times?.firstAt ?? null,
      lastChangeAt: times?.lastAt ?? null,
      convergenceMs: times && options.t0 ? times.last - options.t0.getTime() : null,
    });
  }
  // nodes with changes first (most lines first would reorder as they converge: by name instead)
  return out.sort((a, b) => Number(b.lines.length > 0) - Number(a.lines.length > 0) || naturalCompare(a.node, b.node));
}

/** The whole cluster's convergence: the slowest node's (null when no node changed). */
export function clusterConvergenceMs(diffs: readonly NodeRouteDiff[]): number | null {
  const xs = diffs.map((d) => d.convergenceMs).filter((x): x is number => x !== null);
  return xs.length ? Math.max(...xs) : null;
}

/** A node's lines as text, `+ …` / `- …`, one per line (for copying). */
export function diffText(d: NodeRouteDiff): string {
  return d.lines.map((l) => `${l.sign} ${l.text}`).join('\n');
}
