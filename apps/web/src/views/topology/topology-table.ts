// The table view of the topology: the same hosts, elements and edges as the canvas, as tables
// (search filters them too). Hosts rows carry data-testid="host-<name>"; each pod CIDR says where
// it is known from on hover (the checks' ranges).
import type { NodeStatus, TopoEdge, TopoNode } from '@netatlas/wire/core';
import { dataTable } from '../../ui/data-table.js';
import { hostRanges, podCidrsOf, type NodeRanges } from '../node-detail/ranges.js';
import { h } from '../../ui/dom.js';
import { sortRows, type Column } from '../../ui/table-model.js';
import type { TopologyScene } from './scene.js';
import type { SearchResult } from './search.js';

interface HostRow {
  name: string;
  node: TopoNode | null;
  status: NodeStatus | '';
  pods: number;
  bgp: string;
  bgpDown: number;
  routes: number;
  mark: string;
}

const list = (v: unknown): string => (Array.isArray(v) ? v.join(' ') : v === null || v === undefined ? '' : String(v));

const HOST_COLUMNS: Column<HostRow>[] = [
  { id: 'name', label: 'host', value: (r) => r.name },
  { id: 'status', label: 'status', value: (r) => r.status },
  { id: 'cni', label: 'CNI', value: (r) => list(r.node?.data['cniStyle']) },
  { id: 'ips', label: 'node IPs', value: (r) => list(r.node?.data['nodeIps']), compare: 'address' },
  { id: 'cidrs', label: 'pod CIDRs', value: (r) => list(r.node?.data['podCidrs']), compare: 'address' },
  { id: 'pods', label: 'pods', value: (r) => r.pods, numeric: true },
  { id: 'bgp', label: 'BGP established', value: (r) => r.bgp },
  { id: 'down', label: 'BGP down', value: (r) => r.bgpDown, numeric: true },
  { id: 'routes', label: 'node routes', value: (r) => r.routes, numeric: true },
  { id: 'mark', label: 'compare', value: (r) => r.mark },
];

const NODE_COLUMNS: Column<TopoNode>[] = [
  { id: 'type', label: 'type', value: (n) => n.type },
  { id: 'host', label: 'host', value: (n) => n.host ?? '' },
  { id: 'label', label: 'name', value: (n) => n.label, compare: 'address' },
  { id: 'parent', label: 'in', value: (n) => n.parent ?? '' },
  { id: 'ips', label: 'addresses', value: (n) => list(n.data['ips'] ?? n.data['address'] ?? n.data['cidr']), compare: 'address' },
];

const EDGE_COLUMNS: Column<TopoEdge>[] = [
  { id: 'type', label: 'type', value: (e) => e.type },
  { id: 'source', label: 'from', value: (e) => e.source },
  { id: 'target', label: 'to', value: (e) => e.target },
  { id: 'state', label: 'state / destination', value: (e) => list(e.data['state'] ?? e.data['dst'] ?? e.data['subnet'] ?? '') },
  { id: 'via', label: 'peer / via', value: (e) => list(e.data['peerAddress'] ?? e.data['gateway'] ?? e.data['dev'] ?? '') },
];

/** A host's pod CIDRs, each with its sources in a title (and the ranges only the checks hold, marked). */
export function rangeCell(podCidrs: readonly string[], known: NodeRanges | undefined): HTMLElement {
  const list = hostRanges(podCidrs, known);
  return h(
    'span',
    { class: 'ranges' },
    ...list.flatMap((r, i) => [
      i > 0 ? ' ' : null,
      h(
        'span',
        {
          class: `range${r.sources ? ' known' : ''}${r.inTopology ? '' : ' checks-only'}`,
          'data-testid': 'pod-range',
          'data-cidr': r.cidr,
          'data-sources': r.sources?.map((s) => s.source).join(' ') ?? '',
          title: r.inTopology ? r.text : `${r.text} (expected by the checks; not in the topology's host data)`,
        },
        r.cidr,
      ),
    ]),
  );
}

export function topologyTables(
  scene: TopologyScene,
  search: SearchResult,
  status: ReadonlyMap<string, NodeStatus>,
  ranges: ReadonlyMap<string, NodeRanges>,
  openNode: (name: string) => void,
): HTMLElement {
  const matchHosts = search.kind === 'empty' ? null : search.hosts;
  const hosts: HostRow[] = [];
  for (const name of scene.layout.hosts.keys()) {
    if (matchHosts && !matchHosts.has(name)) continue;
    const st = scene.stats.get(name);
    const node = scene.hostEntry(name)?.node ?? null;
    hosts.push({
      name,
      node,
      status: status.get(name) ?? '',
      pods: st?.pods ?? 0,
      bgp: st ? `${st.bgpEstablished}/${st.bgpTotal}` : '',
      bgpDown: st?.bgpDown ?? 0,
      routes: st?.routes ?? 0,
      mark: scene.marks.get(`host:${name}`) ?? '',
    });
  }
  const matchIds = search.kind === 'empty' ? null : new Set(search.ids);
  const nodes: TopoNode[] = [];
  for (const n of scene.maps.nodes.values()) {
    if (n.type === 'host' || scene.isHidden(scene.hostOf(n.id))) continue;
    if (matchIds && !matchIds.has(n.id)) continue;
    nodes.push(n);
  }
  const edges: TopoEdge[] = [];
  for (const e of scene.maps.edges.values()) {
    // focus edges come and go with the pointer: the table lists the topology itself
    if (e.type === 'veth' || scene.isFocusEdge(e.id)) continue;
    const s = scene.hostOf(e.source);
    const t = scene.hostOf(e.target);
    if (scene.isHidden(s) || scene.isHidden(t)) continue;
    if (matchHosts && !(s !== null && matchHosts.has(s)) && !(t !== null && matchHosts.has(t))) continue;
    edges.push(e);
  }
  return h(
    'div',
    null,
    h('h3', null, `Hosts (${hosts.length})`),
    dataTable({
      columns: HOST_COLUMNS,
      rows: sortRows(hosts, HOST_COLUMNS, { column: 'name', dir: 'asc' }),
      sort: { column: 'name', dir: 'asc' },
      testid: 'topology-hosts-table',
      rowAttrs: (r) => ({ 'data-testid': `host-${r.name}`, 'data-status': r.status, 'data-pods': String(r.pods), class: r.mark ? `mark-${r.mark}` : undefined }),
      renderCell: (r, c) =>
        c.id === 'name'
          ? h('a', { href: `#/nodes/${encodeURIComponent(r.name)}`, onclick: (e: MouseEvent) => (e.preventDefault(), openNode(r.name)) }, r.name)
          : c.id === 'cidrs'
            ? rangeCell(podCidrsOf(r.node?.data), ranges.get(r.name))
            : null,
    }),
    h('h3', null, `Elements (${nodes.length})`),
    dataTable({
      columns: NODE_COLUMNS,
      rows: sortRows(nodes, NODE_COLUMNS, { column: 'host', dir: 'asc' }),
      sort: { column: 'host', dir: 'asc' },
      limit: 1000,
      testid: 'topology-elements-table',
      rowAttrs: (n) => ({ 'data-id': n.id, class: scene.marks.has(n.id) ? `mark-${scene.marks.get(n.id)}` : undefined }),
    }),
    h('h3', null, `Edges (${edges.length})`),
    dataTable({
      columns: EDGE_COLUMNS,
      rows: sortRows(edges, EDGE_COLUMNS, { column: 'type', dir: 'asc' }),
      sort: { column: 'type', dir: 'asc' },
      limit: 1000,
      testid: 'topology-edges-table',
      rowAttrs: (e) => ({ 'data-id': e.id, 'data-state': typeof e.data['state'] === 'string' ? e.data['state'] : undefined, class: scene.marks.has(e.id) ? `mark-${scene.marks.get(e.id)}` : undefined }),
    }),
  );
}
