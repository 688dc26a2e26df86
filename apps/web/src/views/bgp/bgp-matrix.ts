// The whole cluster's BGP sessions as a matrix: a row per node, a column per peer address (named
// after the node that owns it, when one does), a cell per session with its state, how long it has
// been in it, and its prefix counts. Sessions of several daemons (BIRD, GoBGP, FRR) between the same
// pair share a cell, which shows the worst state. A node that has left the cluster (its status
// `left`) and reports no sessions gets no row: an empty row reads as a node without BGP, which is a
// fault, while the node is simply gone. It keeps a row, marked departed, while it still reports
// sessions, and a column, marked departed, while other nodes still peer with its address (a
// leftover neighbour in their configuration, worth seeing). Pure.
import type { BgpSessionValue, BgpState, Fact } from '@netatlas/wire/core';
import { compareAddressText, naturalCompare } from '../../addresses/ip.js';
import { bgpStateClass } from '@netatlas/graph';
import type { BgpColour } from '../topology/level-of-detail.js';

export interface BgpCell {
  node: string;
  peerAddress: string;
  /** the node that owns the peer address, or null (an external peer) */
  peerHost: string | null;
  /** one per daemon, by daemon name */
  sessions: BgpSessionValue[];
  /** the worst state of its sessions */
  state: BgpState;
  colour: BgpColour;
  /** when the worst session entered its state (ISO), if the daemon says */
  since: string | null;
  prefixes: { received: number | null; accepted: number | null; sent: number | null };
  daemons: string[];
}

export interface BgpColumn {
  peerAddress: string;
  host: string | null;
  label: string;
  /** the node owning the address has left the cluster */
  departed: boolean;
}

export interface BgpRow {
  node: string;
  sessions: number;
  established: number;
  /** the node has left the cluster (and still reports sessions) */
  departed: boolean;
}

export interface BgpMatrix {
  rows: BgpRow[];
  columns: BgpColumn[];
  /** by cellKey(node, peerAddress) */
  cells: Map<string, BgpCell>;
  totals: { sessions: number; established: number; byState: Partial<Record<BgpState, number>> };
  /** cells not established, worst first */
  problems: BgpCell[];
}

export const cellKey = (node: string, peerAddress: string): string => `${node}|${peerAddress}`;

const STATE_RANK: Record<BgpState, number> = { idle: 0, active: 1, connect: 2, opensent: 3, openconfirm: 4, established: 5 };

export type SessionsByNode = ReadonlyMap<string, readonly BgpSessionValue[]> | Readonly<Record<string, readonly BgpSessionValue[]>>;

function entriesOf(s: SessionsByNode): [string, readonly BgpSessionValue[]][] {
  return s instanceof Map ? [...(s as ReadonlyMap<string, readonly BgpSessionValue[]>)] : Object.entries(s as Record<string, readonly BgpSessionValue[]>);
}

/** The sessions in each node's facts (from /api/state?kind=bgpSession or a fact store). */
export function sessionsFromFacts(state: Readonly<Record<string, readonly Fact[]>>): Map<string, BgpSessionValue[]> {
  const out = new Map<string, BgpSessionValue[]>();
  for (const [node, facts] of Object.entries(state)) {
    out.set(
      node,
      facts.filter((f): f is Extract<Fact, { kind: 'bgpSession' }> => f.kind === 'bgpSession').map((f) => f.value),
    );
  }
  return out;
}

/**
 * Which node owns an address: the local addresses of its own sessions, and any node IPs given
 * (`ip` or `ip/len`). An address claimed by two nodes is nobody's.
 */
export function addressOwners(sessions: SessionsByNode, nodeIps: ReadonlyMap<string, readonly string[]> = new Map()): Map<string, string> {
  const owners = new Map<string, string | null>();
  const claim = (address: string, node: string) => {
    const a = address.split('/')[0] ?? address;
    const o = owners.get(a);
    owners.set(a, o === undefined || o === node ? node : null);
  };
  for (const [node, list] of entriesOf(sessions)) for (const s of list) if (s.localAddress) claim(s.localAddress, node);
  for (const [node, ips] of nodeIps) for (const ip of ips) claim(ip, node);
  return new Map([...owners].filter((e): e is [string, string] => e[1] !== null));
}

const sum = (xs: (number | null)[]): number | null => (xs.every((x) => x === null) ? null : xs.reduce<number>((a, x) => a + (x ?? 0), 0));

export function buildBgpMatrix(
  sessions: SessionsByNode,
  options: { nodes?: Iterable<string>; owners?: ReadonlyMap<string, string>; departed?: ReadonlySet<string> } = {},
): BgpMatrix {
  const owners = options.owners ?? addressOwners(sessions);
  const departed = options.departed ?? new Set<string>();
  const rowNames = new Set([...(options.nodes ?? [])].filter((n) => !departed.has(n)));
  const grouped = new Map<string, BgpSessionValue[]>();
  const peerSet = new Set<string>();
  for (const [node, list] of entriesOf(sessions)) {
    if (list.length === 0 && departed.has(node)) continue;
    rowNames.add(node);
    for (const s of list) {
      peerSet.add(s.peerAddress);
      const k = cellKey(node, s.peerAddress);
      const g = grouped.get(k);
      if (g) g.push(s);
      else grouped.set(k, [s]);
    }
  }

  const cells = new Map<string, BgpCell>();
  const totals: BgpMatrix['totals'] = { sessions: 0, established: 0, byState: {} };
  const perRow = new Map<string, BgpRow>();
  for (const name of rowNames) perRow.set(name, { node: name, sessions: 0, established: 0, departed: departed.has(name) });
  for (const [k, list] of grouped) {
    const sep = k.lastIndexOf('|');
    const node = k.slice(0, sep);
    const peerAddress = k.slice(sep + 1);
    const sorted = [...list].sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state] || naturalCompare(a.daemon, b.daemon));
    const worst = sorted[0]!;
    cells.set(k, {
      node,
      peerAddress,
      peerHost: owners.get(peerAddress) ?? null,
      sessions: [...list].sort((a, b) => naturalCompare(a.daemon, b.daemon)),
      state: worst.state,
      colour: bgpStateClass(worst.state),
      since: worst.since,
      prefixes: {
        received: sum(list.map((s) => s.prefixesReceived)),
        accepted: sum(list.map((s) => s.prefixesAccepted)),
        sent: sum(list.map((s) => s.prefixesSent)),
      },
      daemons: [...new Set(list.map((s) => s.daemon))].sort(),
    });
    const row = perRow.get(node)!;
    for (const s of list) {
      totals.sessions++;
      row.sessions++;
      totals.byState[s.state] = (totals.byState[s.state] ?? 0) + 1;
      if (s.state === 'established') {
        totals.established++;
        row.established++;
      }
    }
  }

  // columns: peers that are nodes, in node order (the matrix reads like a node × node grid), then external peers
  const columns: BgpColumn[] = [...peerSet]
    .map((a) => {
      const host = owners.get(a) ?? null;
      return { peerAddress: a, host, label: host ?? a, departed: host !== null && departed.has(host) };
    })
    .sort((a, b) => {
      if ((a.host === null) !== (b.host === null)) return a.host === null ? 1 : -1;
      return (a.host !== null && b.host !== null ? naturalCompare(a.host, b.host) : 0) || compareAddressText(a.peerAddress, b.peerAddress);
    });
  const rows = [...perRow.values()].sort((a, b) => naturalCompare(a.node, b.node));
  const problems = [...cells.values()]
    .filter((c) => c.state !== 'established')
    .sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state] || naturalCompare(a.node, b.node) || compareAddressText(a.peerAddress, b.peerAddress));
  return { rows, columns, cells, totals, problems };
}

/** Cells whose state differs between two matrices (compare mode): key → [before, after]. */
export function changedCells(before: BgpMatrix, after: BgpMatrix): Map<string, [BgpState | null, BgpState | null]> {
  const out = new Map<string, [BgpState | null, BgpState | null]>();
  for (const [k, c] of after.cells) {
    const b = before.cells.get(k);
    if (!b || b.state !== c.state) out.set(k, [b?.state ?? null, c.state]);
  }
  for (const [k, c] of before.cells) if (!after.cells.has(k)) out.set(k, [c.state, null]);
  return out;
}

/** Prefix counts in a few characters: `↓1 ✓1 ↑1`, leaving out what the daemon does not say. */
export function formatPrefixes(p: BgpCell['prefixes']): string {
  return [p.received !== null ? `↓${p.received}` : '', p.accepted !== null ? `✓${p.accepted}` : '', p.sent !== null ? `↑${p.sent}` : ''].filter(Boolean).join(' ');
}
