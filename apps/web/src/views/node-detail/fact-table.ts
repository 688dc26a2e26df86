// One node's facts as tables, one per kind: the columns of each kind, rows sorted and filtered,
// and each row marked when it changed recently (or in a compared range): added, changed, or
// removed (a removed fact stays as a struck-through row, so what went away is visible). Pure.
import type { Fact, FactChange, FactKind, FactValueOf } from '@netatlas/wire/core';
import { formatRoute, routeVia } from '../../format/route-text.js';
import { filterRows, sortRows, type Column, type SortState } from '../../ui/table-model.js';
import type { StateDiff } from '../../api/rest-client.js';

export type RowMark = 'added' | 'changed' | 'removed';

export interface FactRow<K extends FactKind = FactKind> {
  key: string;
  value: FactValueOf<K>;
  mark: RowMark | null;
  /** when it last changed (recent changes only) */
  changedAt: string | null;
}

/** The tables of the node detail, in this order; ipsets and their members side by side. */
export const FACT_TABLE_KINDS = ['link', 'addr', 'route', 'neigh', 'fdb', 'ipset', 'ipsetMember', 'bgpSession', 'ipvsService', 'cniAddr'] as const satisfies readonly FactKind[];
export type TableKind = (typeof FACT_TABLE_KINDS)[number];

export const KIND_TITLES: Record<TableKind, string> = {
  link: 'Interfaces',
  addr: 'Addresses',
  route: 'Routes',
  neigh: 'Neighbors',
  fdb: 'Bridge FDB',
  ipset: 'IP sets',
  ipsetMember: 'IP set members',
  bgpSession: 'BGP sessions',
  ipvsService: 'IPVS services',
  cniAddr: 'CNI records',
};

const list = (xs: readonly string[] | null | undefined): string => (xs ?? []).join(' ');

type Cols<K extends FactKind> = Column<FactRow<K>>[];
const col = <K extends FactKind>(id: string, label: string, value: (v: FactValueOf<K>) => string | number | null, extra: Partial<Column<FactRow<K>>> = {}): Column<FactRow<K>> => ({
  id,
  label,
  value: (r) => value(r.value),
  ...extra,
});

export const COLUMNS: { [K in TableKind]: Cols<K> } = {
  link: [
    col('ifname', 'name', (v) => v.ifname),
    col('kind', 'kind', (v) => v.kind),
    col('state', 'state', (v) => v.operstate),
    col('mtu', 'mtu', (v) => v.mtu, { numeric: true }),
    col('mac', 'MAC', (v) => v.mac),
    col('master', 'master', (v) => v.master),
    col('peer', 'link', (v) => v.link ?? (v.linkNetnsId !== null ? `netns ${v.linkNetnsId} if ${v.linkIndex ?? '?'}` : null)),
    col('vxlan', 'vxlan', (v) => (v.vxlan ? `id ${v.vxlan.id} local ${v.vxlan.local ?? '-'} dev ${v.vxlan.dev ?? '-'} port ${v.vxlan.port ?? '-'}` : null)),
    col('flags', 'flags', (v) => list(v.flags)),
  ],
  addr: [
    col('ifname', 'device', (v) => v.ifname),
    col('family', 'family', (v) => v.family),
    col('address', 'address', (v) => `${v.address}/${v.prefixLen}`, { compare: 'address' }),
    col('scope', 'scope', (v) => v.scope),
    col('flags', 'flags', (v) => list(v.flags)),
  ],
  route: [
    col('table', 'table', (v) => v.table),
    col('dst', 'destination', (v) => v.dst, { compare: 'address' }),
    col('type', 'type', (v) => v.type),
    col('via', 'via', (v) => routeVia(v), { compare: 'address' }),
    col('dev', 'dev', (v) => v.dev ?? (v.nexthops.length ? list(v.nexthops.map((n) => n.dev ?? '')) : null)),
    col('proto', 'proto', (v) => v.protocol),
    col('scope', 'scope', (v) => v.scope),
    col('metric', 'metric', (v) => v.metric, { numeric: true }),
    col('src', 'src', (v) => v.prefsrc, { compare: 'address' }),
    col('text', 'ip route', (v) => formatRoute(v)),
  ],
  neigh: [
    col('dev', 'device', (v) => v.dev),
    col('address', 'address', (v) => v.address, { compare: 'address' }),
    col('lladdr', 'MAC', (v) => v.lladdr),
    col('state', 'state', (v) => list(v.state)),
    col('flags', 'flags', (v) => [v.router ? 'router' : '', v.proxy ? 'proxy' : ''].filter(Boolean).join(' ')),
  ],
  fdb: [
    col('dev', 'device', (v) => v.dev),
    col('mac', 'MAC', (v) => v.mac),
    col('master', 'master', (v) => v.master),
    col('vlan', 'vlan', (v) => v.vlan, { numeric: true }),
    col('dst', 'dst (VTEP)', (v) => v.dst, { compare: 'address' }),
    col('vni', 'vni', (v) => v.vni, { numeric: true }),
    col('state', 'state', (v) => v.state),
    col('flags', 'flags', (v) => list(v.flags)),
  ],
  ipset: [
    col('name', 'name', (v) => v.name),
    col('type', 'type', (v) => v.type),
    col('family', 'family', (v) => v.family),
    col('header', 'options', (v) => Object.entries(v.header).map(([k, x]) => (x === true ? k : `${k} ${String(x)}`)).join(' ')),
  ],
  ipsetMember: [
    col('set', 'set', (v) => v.set),
    col('element', 'element', (v) => v.element, { compare: 'address' }),
    col('timeout', 'timeout', (v) => v.timeout, { numeric: true }),
    col('comment', 'comment', (v) => v.comment),
  ],
  bgpSession: [
    col('daemon', 'daemon', (v) => v.daemon),
    col('name', 'name', (v) => v.name),
    col('peer', 'peer', (v) => v.peerAddress, { compare: 'address' }),
    col('peerAs', 'peer AS', (v) => v.peerAs, { numeric: true }),
    col('local', 'local', (v) => (v.localAddress ? `${v.localAddress}${v.localAs !== null ? ` AS ${v.localAs}` : ''}` : null), { compare: 'address' }),
    col('state', 'state', (v) => v.state),
    col('since', 'since', (v) => v.since),
    col('received', 'received', (v) => v.prefixesReceived, { numeric: true }),
    col('accepted', 'accepted', (v) => v.prefixesAccepted, { numeric: true }),
    col('sent', 'sent', (v) => v.prefixesSent, { numeric: true }),
    col('error', 'last error', (v) => v.lastError),
  ],
  ipvsService: [
    col('service', 'service', (v) => (v.fwmark !== null ? `fwmark ${v.fwmark}` : `${v.protocol} ${v.address ?? ''}:${v.port ?? ''}`), { compare: 'address' }),
    col('scheduler', 'scheduler', (v) => v.scheduler),
    col('persistent', 'persistent', (v) => v.persistent, { numeric: true }),
    col('real', 'real servers', (v) => v.realServers.map((r) => `${r.address}:${r.port} ${r.forward} w${r.weight}`).join(', ')),
  ],
  cniAddr: [
    col('address', 'address', (v) => (v.prefixLen === null ? v.address : `${v.address}/${v.prefixLen}`), { compare: 'address' }),
    col('network', 'network', (v) => v.network),
    col('container', 'container', (v) => v.containerId.slice(0, 12)),
    col('ifname', 'interface', (v) => v.ifname),
    col('host', 'host side', (v) => list(v.hostIfnames)),
    col('recorded', 'recorded by', (v) => list(v.recordedBy)),
  ],
};

/** Default sort per kind: how `ip` lists them, roughly. */
export const DEFAULT_SORT: Record<TableKind, SortState> = {
  link: { column: 'ifname', dir: 'asc' },
  addr: { column: 'ifname', dir: 'asc' },
  route: { column: 'dst', dir: 'asc' },
  neigh: { column: 'address', dir: 'asc' },
  fdb: { column: 'dev', dir: 'asc' },
  ipset: { column: 'name', dir: 'asc' },
  ipsetMember: { column: 'set', dir: 'asc' },
  bgpSession: { column: 'peer', dir: 'asc' },
  ipvsService: { column: 'service', dir: 'asc' },
  cniAddr: { column: 'address', dir: 'asc' },
};

export interface RowMarks {
  /** kind → key → mark and time */
  byKind: Map<FactKind, Map<string, { mark: RowMark; at: string | null; before: Fact['value'] | null }>>;
}

/**
 * Marks from changes (newest wins per fact): a fact added in the window is `added` even if it
 * changed after, one removed is `removed` (and keeps its last value to show), else `changed`.
 */
export function marksFromChanges(changes: readonly FactChange[]): RowMarks {
  const byKind: RowMarks['byKind'] = new Map();
  const sorted = [...changes].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  for (const c of sorted) {
    let m = byKind.get(c.kind);
    if (!m) byKind.set(c.kind, (m = new Map()));
    const prev = m.get(c.key);
    let mark: RowMark;
    if (c.op === 'remove') mark = 'removed';
    else if (c.op === 'add') mark = prev?.mark === 'removed' ? 'changed' : 'added';
    else mark = prev?.mark === 'added' ? 'added' : 'changed';
    m.set(c.key, { mark, at: c.at, before: c.op === 'remove' ? c.before : (prev?.before ?? c.before) });
  }
  return { byKind };
}

/** Marks from a node's diff between two moments. */
export function marksFromDiff(diff: StateDiff[string] | undefined): RowMarks {
  const byKind: RowMarks['byKind'] = new Map();
  for (const [kind, d] of Object.entries(diff ?? {}) as [FactKind, NonNullable<StateDiff[string][FactKind]>][]) {
    const m = new Map<string, { mark: RowMark; at: string | null; before: Fact['value'] | null }>();
    for (const f of d.added) m.set(f.key, { mark: 'added', at: null, before: null });
    for (const c of d.changed) m.set(c.key, { mark: 'changed', at: null, before: c.before });
    for (const f of d.removed) m.set(f.key, { mark: 'removed', at: null, before: f.value });
    byKind.set(kind, m);
  }
  return { byKind };
}

export interface FactTable<K extends TableKind = TableKind> {
  kind: K;
  title: string;
  columns: Cols<K>;
  rows: FactRow<K>[];
  /** rows before filtering (removed ones included) */
  total: number;
  marked: number;
}

/**
 * A kind's table: the facts, plus the removed ones that marks remember, filtered, then sorted;
 * marked rows first when `markedFirst`.
 */
export function buildFactTable<K extends TableKind>(
  kind: K,
  facts: readonly Fact[],
  options: { sort?: SortState | null; filter?: string; marks?: RowMarks; markedFirst?: boolean } = {},
): FactTable<K> {
  const marks = options.marks?.byKind.get(kind);
  const rows: FactRow<K>[] = [];
  const present = new Set<string>();
  for (const f of facts) {
    if (f.kind !== kind) continue;
    present.add(f.key);
    const m = marks?.get(f.key);
    // a fact that is here is not removed (it came back)
    const mark = m ? (m.mark === 'removed' ? 'changed' : m.mark) : null;
    rows.push({ key: f.key, value: f.value as FactValueOf<K>, mark, changedAt: m?.at ?? null });
  }
  for (const [key, m] of marks ?? []) {
    if (m.mark !== 'removed' || present.has(key) || m.before === null) continue;
    rows.push({ key, value: m.before as FactValueOf<K>, mark: 'removed', changedAt: m.at });
  }
  const columns = COLUMNS[kind] as Cols<K>;
  const filtered = filterRows(rows, columns, options.filter ?? '');
  let sorted = sortRows(filtered, columns, options.sort === undefined ? DEFAULT_SORT[kind] : options.sort);
  if (options.markedFirst) sorted = [...sorted.filter((r) => r.mark !== null), ...sorted.filter((r) => r.mark === null)];
  return { kind, title: KIND_TITLES[kind], columns, rows: sorted, total: rows.length, marked: rows.filter((r) => r.mark !== null).length };
}
