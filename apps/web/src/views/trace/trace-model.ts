// The Trace view's model: a TraceResult (GET /api/trace, computed by libs/graph's simulator) as
// what the page shows — a row per hop with the branch's failing hop marked, the hosts and pods to
// outline on the topology, the nodes whose changes can alter the answer — and the endpoints the
// inputs suggest. Pure: no DOM, no requests.
import { podId } from '@netatlas/graph';
import { TRACE_FACT_KINDS, type FactChange, type FactKind, type TopoNode, type TraceBranch, type TraceComparison, type TraceEndpoint, type TraceHop, type TraceResult, type TraceVerdict } from '@netatlas/wire/core';
import { formatRoute } from '../../format/route-text.js';
import type { AppRoute } from '../../state/route.js';
import type { TimeSelection } from '../../state/time-control.js';

/** The route parameters of the endpoints (`from` and `to` are the time control's). */
export const SRC_PARAM = 'src';
export const DST_PARAM = 'dst';

export const VERDICT_TITLES: Readonly<Record<TraceVerdict, string>> = {
  delivered: 'delivered',
  mtu: 'delivered, MTU too small',
  'delivered-elsewhere': 'delivered on the wrong node',
  'no-route': 'no route',
  blackhole: 'blackhole',
  unreachable: 'unreachable',
  prohibit: 'prohibited',
  'link-down': 'link down',
  'neighbor-failed': 'neighbor failed',
  'no-neighbor': 'no neighbor',
  'no-fdb': 'no fdb entry',
  'no-underlay-route': 'no underlay route',
  'wrong-vtep': 'wrong VTEP',
  'forwarding-off': 'forwarding off',
  'rp-filter': 'refused by rp_filter',
  loop: 'loop',
  left: 'left the cluster',
  'unknown-node': 'unknown node',
};

export const RESULT_TITLES: Readonly<Record<TraceResult['verdict'], string>> = {
  delivered: 'Delivered',
  partly: 'Partly delivered',
  failed: 'Not delivered',
};

/** A branch got there (the simulator counts a delivery below the endpoints' MTU as one too). */
export const branchDelivered = (b: Pick<TraceBranch, 'verdict'>): boolean => b.verdict === 'delivered' || b.verdict === 'mtu';

/** One hop as a table row. */
export interface HopRow {
  /** its place in the branch, from 0 */
  index: number;
  node: string;
  iif: string | null;
  route: { dst: string; table: string; protocol: string; type: string; text: string } | null;
  gateway: string | null;
  dev: string | null;
  /** `REACHABLE 0e:00:00:00:00:09` */
  neighbor: string | null;
  /** `vxlan → 172.20.0.12` */
  encap: string | null;
  mtu: number | null;
  outcome: TraceHop['outcome'];
  /** where it goes next: `→ node2 (172.20.0.12)`, `→ 172.20.0.1`, `delivered`, `dropped` */
  next: string;
  /** one of several live next hops */
  ecmp: boolean;
  /** where a branch that did not deliver ended: drawn red, with its reason */
  failed: boolean;
  /** the branch's reason, on its failing row */
  reason: string | null;
  /** comparing: the first hop whose decision differs from the earlier moment's */
  changed: boolean;
  /** the facts its decision read, `route main|inet|10.48.0.64/26|0|0|eth0` */
  facts: string[];
}

export interface BranchView {
  index: number;
  verdict: TraceVerdict;
  delivered: boolean;
  /** the node where it ended */
  at: string;
  reason: string;
  /** one of several branches (ECMP) */
  ecmp: boolean;
  mtu: number | null;
  rows: HopRow[];
}

function nextOf(h: TraceHop): string {
  if (h.outcome === 'local') return 'delivered';
  if (h.outcome === 'drop') return 'dropped';
  if (h.toNode !== null) return `→ ${h.toNode}${h.toAddress !== null ? ` (${h.toAddress})` : ''}`;
  return `→ ${h.toAddress ?? '?'}`;
}

function hopRow(h: TraceHop, index: number, failedReason: string | null, changed: boolean): HopRow {
  const r = h.route;
  return {
    index,
    node: h.node,
    iif: h.iif,
    route: r ? { dst: r.dst, table: r.table, protocol: r.protocol, type: r.type, text: formatRoute(r) } : null,
    gateway: h.gateway,
    dev: h.dev,
    neighbor: h.neighbor ? [h.neighbor.state.join(','), h.neighbor.lladdr].filter(Boolean).join(' ') : null,
    encap: h.encap ? `${h.encap}${h.toAddress !== null ? ` → ${h.toAddress}` : ''}` : null,
    mtu: h.mtu,
    outcome: h.outcome,
    next: nextOf(h),
    ecmp: h.ecmp,
    failed: failedReason !== null,
    reason: failedReason,
    changed,
    facts: h.facts.map((f) => `${f.kind} ${f.key}`),
  };
}

/**
 * Every branch with its hops as rows. The last hop of a branch that did not deliver is where it
 * failed. `changedHop` (comparing): the hop of branch 0 whose decision changed.
 */
export function branchViews(result: TraceResult, changedHop: number | null = null): BranchView[] {
  const several = result.branches.length > 1;
  return result.branches.map((b, bi) => {
    const delivered = branchDelivered(b);
    const last = b.hops.length - 1;
    return {
      index: bi,
      verdict: b.verdict,
      delivered,
      at: b.at,
      reason: b.reason,
      ecmp: several || b.hops.some((h) => h.ecmp),
      mtu: b.mtu,
      rows: b.hops.map((h, i) => hopRow(h, i, !delivered && i === last ? b.reason : null, bi === 0 && i === changedHop)),
    };
  });
}

/** How an endpoint reads: `pod default/web (10.48.0.65) on node1`, `node node2 (172.20.0.12)`. */
export function endpointText(e: TraceEndpoint): string {
  const where = e.node !== null ? ` on ${e.node}` : ' (no node holds it)';
  switch (e.kind) {
    case 'pod': {
      const name = e.pod?.namespace && e.pod.name ? `${e.pod.namespace}/${e.pod.name} ` : '';
      return `pod ${name}${e.ip ?? e.query}${where}`;
    }
    case 'node':
      return `node ${e.node ?? e.query}${e.ip !== null ? ` (${e.ip})` : ''}`;
    case 'ip':
      return `${e.ip ?? e.query}${where}`;
  }
}

/** The nodes a trace passed or names: a change of their forwarding facts may change the answer. */
export function pathNodes(...results: readonly (TraceResult | null | undefined)[]): Set<string> {
  const out = new Set<string>();
  for (const r of results) {
    if (!r) continue;
    for (const e of [r.from, r.to]) if (e.node !== null) out.add(e.node);
    for (const b of r.branches) {
      out.add(b.at);
      for (const h of b.hops) {
        out.add(h.node);
        if (h.toNode !== null) out.add(h.toNode);
      }
    }
  }
  return out;
}

/** The fact kinds the simulator decides by (what the API reads for a trace, less the node's own fact). */
const FORWARDING_KINDS: ReadonlySet<FactKind> = new Set<FactKind>(TRACE_FACT_KINDS);

/** A live batch touches the path: a forwarding fact of one of its nodes changed. */
export function touchesPath(changes: readonly Pick<FactChange, 'node' | 'kind'>[], nodes: ReadonlySet<string>): boolean {
  return changes.some((c) => nodes.has(c.node) && FORWARDING_KINDS.has(c.kind));
}

/** What the topology outlines for a trace. */
export interface PathHighlight {
  /** the hosts and the endpoint pods on the path (topology ids) */
  ids: Set<string>;
  /** the hosts where a branch that did not deliver ended */
  failed: Set<string>;
  /** host names on the path (their edges are drawn) */
  hosts: Set<string>;
  /** each hand-over from host to host (topology ids) */
  links: { source: string; target: string }[];
}

const hostId = (node: string): string => `host:${node}`;

function endpointIds(e: TraceEndpoint): string[] {
  if (e.node === null) return [];
  return e.pod?.veth ? [hostId(e.node), podId(e.node, e.pod.veth)] : [hostId(e.node)];
}

export function pathHighlight(result: TraceResult): PathHighlight {
  const out: PathHighlight = { ids: new Set(), failed: new Set(), hosts: new Set(), links: [] };
  for (const e of [result.from, result.to]) for (const id of endpointIds(e)) out.ids.add(id);
  const seen = new Set<string>();
  for (const b of result.branches) {
    for (const h of b.hops) {
      out.hosts.add(h.node);
      out.ids.add(hostId(h.node));
      if (h.outcome !== 'forward' || h.toNode === null) continue;
      const key = `${h.node}\u0000${h.toNode}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.links.push({ source: hostId(h.node), target: hostId(h.toNode) });
    }
    if (!branchDelivered(b)) out.failed.add(hostId(b.at));
  }
  for (const id of out.ids) if (id.startsWith('host:')) out.hosts.add(id.slice(5));
  return out;
}

/** Comparing: which hop of the later trace's first branch changed (null: the path is the same). */
export function changedHopIndex(c: TraceComparison): number | null {
  if (!c.changedAt) return null;
  return c.changedAt.after ? c.changedAt.hop : null;
}

/** The comparison's fact changes, oldest first. */
export function sortedChanges(c: TraceComparison): TraceComparison['changes'] {
  return [...c.changes].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

/** One hop's decision in a few words, for the compare summary: `route 10.48.0.64/26 via 172.20.0.12 dev eth0 proto bird → node2`. */
export function hopSummary(h: TraceHop | null): string {
  if (!h) return 'no hop';
  const route = h.route ? formatRoute(h.route) : 'no route';
  return `${route} ${nextOf(h)}`;
}

export interface TraceSuggestion {
  /** what goes into the field */
  value: string;
  /** what it is */
  label: string;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The endpoints the UI knows: node names, pod IPs, and pods' Kubernetes names where known. */
export function traceSuggestions(nodes: Iterable<TopoNode>): TraceSuggestion[] {
  const hosts: TraceSuggestion[] = [];
  const pods: (TraceSuggestion & { host: string })[] = [];
  for (const n of nodes) {
    if (n.type === 'host') {
      hosts.push({ value: n.label, label: `node ${strings(n.data['nodeIps']).join(' ')}`.trim() });
    } else if (n.type === 'pod' && n.host !== null) {
      const k8s = n.data['k8s'] as { namespace?: unknown; name?: unknown } | undefined;
      const name = k8s && typeof k8s.namespace === 'string' && typeof k8s.name === 'string' ? `${k8s.namespace}/${k8s.name}` : null;
      const veth = typeof n.data['veth'] === 'string' ? n.data['veth'] : '';
      const ips = strings(n.data['ips']);
      for (const ip of ips) pods.push({ host: n.host, value: ip, label: `pod ${name ?? veth} on ${n.host}` });
      if (name !== null) pods.push({ host: n.host, value: name, label: `pod on ${n.host}${ips.length ? ` (${ips.join(' ')})` : ''}` });
    }
  }
  hosts.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  pods.sort((a, b) => (a.host !== b.host ? (a.host < b.host ? -1 : 1) : a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return [...hosts, ...pods.map(({ value, label }) => ({ value, label }))];
}

/** What "trace from here" fills in for a topology element: a pod's first IP, a host's name. */
export function traceEndpointOf(n: TopoNode): string | null {
  if (n.type === 'host') return n.label;
  if (n.type === 'pod') return strings(n.data['ips'])[0] ?? null;
  return null;
}

/** The Trace view for these endpoints, at the time given. */
export function traceRoute(time: TimeSelection, src: string, dst: string | null = null): AppRoute {
  const params = new Map([[SRC_PARAM, src]]);
  if (dst !== null && dst !== '') params.set(DST_PARAM, dst);
  return { view: 'trace', node: null, time, params };
}

/** The topology with this trace's path outlined. */
export function topologyTraceRoute(time: TimeSelection, src: string, dst: string): AppRoute {
  return { view: 'topology', node: null, time, params: new Map([[SRC_PARAM, src], [DST_PARAM, dst]]) };
}
