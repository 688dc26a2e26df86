// The facts a root cause is claimed on (DESIGN.md step 7: "alerts name a cause with its
// evidence"): per node, whether its BGP daemons answer (its collector's reader status), whether
// the interfaces holding its node addresses are up, and what the other nodes' BGP sessions to it
// say. Pure: read from the same facts the checks read.
import type { BgpSessionValue, ExpectedNode, Fact, ReaderStatus } from '@netatlas/wire/core';
import { addrKey, type IpKey } from './topology-ip.js';

export const DAEMON_READERS = ['bird', 'gobgp', 'frr'] as const;
export type DaemonReader = (typeof DAEMON_READERS)[number];

/** A BGP daemon reader of a node and what it says. */
export interface DaemonSignal {
  daemon: DaemonReader;
  status: ReaderStatus['status'];
  error: string | null;
}

/** A node's interface holding one of its underlay (node) addresses, when it is not up. */
export interface UplinkSignal {
  ifname: string;
  operstate: string;
}

/** A BGP session as the rules see it, with the node it goes to. */
export interface SessionSignal {
  node: string;
  daemon: BgpSessionValue['daemon'];
  peerAddress: string;
  /** the node holding peerAddress, null when none does */
  peerNode: string | null;
  state: BgpSessionValue['state'];
  since: string | null;
  /** what the peer's own session to this node says: established, down, or null when it reports none */
  peerSide: 'established' | 'down' | null;
}

export interface NodeEvidence {
  node: string;
  /** the node's BGP daemon readers (those it reports; none without a node fact) */
  daemons: DaemonSignal[];
  /** its underlay interfaces that are not up */
  uplinksDown: UplinkSignal[];
  /** the other nodes' sessions to it: established, and not */
  sessionsToIt: { established: number; down: number; downBy: string[] };
  /** its own sessions: established, and not */
  ownSessions: { established: number; down: number };
}

export interface ClusterEvidence {
  nodes: NodeEvidence[];
  /** every session that is not established (a cluster has N x (N-1) sessions; only these cross) */
  sessionsDown: SessionSignal[];
}

const AMBIGUOUS = '\u0000ambiguous';

const up = (operstate: string, flags: readonly string[]): boolean => operstate === 'UP' || (operstate === 'UNKNOWN' && flags.includes('LOWER_UP'));

/** Evidence for every node of `expected` that has facts in `state`. */
export function gatherEvidence(state: ReadonlyMap<string, readonly Fact[]>, expected: readonly ExpectedNode[]): ClusterEvidence {
  // who holds an address: the node's addresses as expected (Kubernetes' InternalIPs, else its
  // underlay), and every global address on its own interfaces (a dual-stack node whose Kubernetes
  // Node lists only its IPv4 address still holds its IPv6 one, its BGP peers' IPv6 sessions' end)
  const owner = new Map<IpKey, string>();
  const claim = (k: IpKey | null, name: string) => {
    if (k === null) return;
    const o = owner.get(k);
    owner.set(k, o === undefined || o === name ? name : AMBIGUOUS);
  };
  for (const e of expected) for (const a of e.addresses) claim(addrKey(a.split('/')[0] ?? a), e.name);
  for (const e of expected) {
    for (const f of state.get(e.name) ?? []) {
      if (f.kind === 'addr' && f.value.scope === 'global') claim(addrKey(f.value.address), e.name);
    }
  }
  const toIt = new Map<string, { established: number; down: number; downBy: string[] }>();
  const sessionsDown: SessionSignal[] = [];
  /** `node|peer` of every session a node reports, and whether it is established */
  const sides = new Map<string, boolean>();
  const nodes: NodeEvidence[] = [];
  for (const e of expected) {
    const facts = state.get(e.name);
    if (!facts) continue;
    const mine = new Set(e.addresses.map((a) => a.split('/')[0] ?? a));
    const devices = new Set<string>();
    const daemons: DaemonSignal[] = [];
    const uplinksDown: UplinkSignal[] = [];
    const own = { established: 0, down: 0 };
    for (const f of facts) {
      if (f.kind === 'addr' && mine.has(f.value.address)) devices.add(f.value.ifname);
      else if (f.kind === 'node') {
        for (const d of DAEMON_READERS) {
          const r = f.value.readers[d];
          if (r) daemons.push({ daemon: d, status: r.status, error: r.error });
        }
      } else if (f.kind === 'bgpSession') {
        const k = addrKey(f.value.peerAddress);
        const o = k === null ? undefined : owner.get(k);
        const peerNode = o === undefined || o === AMBIGUOUS ? null : o;
        const established = f.value.state === 'established';
        if (peerNode !== null) sides.set(`${e.name}|${peerNode}`, established || (sides.get(`${e.name}|${peerNode}`) ?? false));
        if (established) own.established++;
        else {
          own.down++;
          sessionsDown.push({ node: e.name, daemon: f.value.daemon, peerAddress: f.value.peerAddress, peerNode, state: f.value.state, since: f.value.since, peerSide: null });
        }
        if (peerNode !== null && peerNode !== e.name) {
          let t = toIt.get(peerNode);
          if (!t) toIt.set(peerNode, (t = { established: 0, down: 0, downBy: [] }));
          if (established) t.established++;
          else {
            t.down++;
            t.downBy.push(e.name);
          }
        }
      }
    }
    for (const f of facts) {
      if (f.kind === 'link' && devices.has(f.value.ifname) && !up(f.value.operstate, f.value.flags)) uplinksDown.push({ ifname: f.value.ifname, operstate: f.value.operstate });
    }
    nodes.push({ node: e.name, daemons, uplinksDown, sessionsToIt: { established: 0, down: 0, downBy: [] }, ownSessions: own });
  }
  for (const n of nodes) {
    const t = toIt.get(n.node);
    if (t) n.sessionsToIt = { ...t, downBy: [...new Set(t.downBy)].sort() };
  }
  for (const s of sessionsDown) {
    if (s.peerNode === null) continue;
    const other = sides.get(`${s.peerNode}|${s.node}`);
    s.peerSide = other === undefined ? null : other ? 'established' : 'down';
  }
  return { nodes, sessionsDown };
}
