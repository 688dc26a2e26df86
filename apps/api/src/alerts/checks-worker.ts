// Runs in a worker thread: keeps a copy of every node's facts that the expected-state checks read,
// and evaluates them on request (libs/graph checks.ts), so a check of the whole cluster never holds
// up the API's event loop, where collectors wait for their acks.
import { evaluateChecks } from '@netatlas/graph';
import type { BgpSessionValue, ExpectedNode, Fact, FactChange, Finding } from '@netatlas/wire/core';
import { parentPort } from 'node:worker_threads';
import { applyToMirror, loadMirror, type FactMirror } from '../live/fact-mirror.js';
// (runs at normal priority, unlike the topology worker: its evaluations decide when alerts fire,
// and are held to a tenth of a core by the alert engine already)

export interface KubeNodeInput {
  name: string;
  addresses: string[];
  podCidrs: string[];
}

export interface SessionSignal {
  node: string;
  daemon: BgpSessionValue['daemon'];
  peerAddress: string;
  state: BgpSessionValue['state'];
}

/** A node's interface holding one of its underlay (node) addresses, when it is not up. */
export interface UplinkSignal {
  node: string;
  ifname: string;
  operstate: string;
}

export type ToChecksWorker =
  | { type: 'load'; state: Array<[string, Fact[]]> }
  | { type: 'changes'; changes: FactChange[] }
  | { type: 'evaluate'; id: number; live: string[]; kubernetes: KubeNodeInput[] | null };

export type FromChecksWorker =
  | { type: 'loaded'; ms: number }
  | {
      type: 'evaluated';
      id: number;
      ms: number;
      findings: Finding[];
      /** how many there were before MAX_FINDINGS cut them */
      totalFindings: number;
      expected: ExpectedNode[];
      sessions: SessionSignal[];
      uplinksDown: UplinkSignal[];
      error: string | null;
    };

const facts: FactMirror = new Map();

/**
 * At most this many findings cross to the API's thread per evaluation: a badly broken (or badly
 * simulated) 1000-node cluster has ~N x (N-1) of them, and the API must keep serving ingest.
 */
export const MAX_FINDINGS = 50_000;

parentPort?.on('message', (message: ToChecksWorker) => {
  const t0 = performance.now();
  switch (message.type) {
    case 'load':
      loadMirror(facts, message.state);
      parentPort?.postMessage({ type: 'loaded', ms: performance.now() - t0 } satisfies FromChecksWorker);
      break;
    case 'changes':
      applyToMirror(facts, message.changes);
      break;
    case 'evaluate': {
      const state = new Map<string, Fact[]>();
      const sessions: SessionSignal[] = [];
      for (const [node, byId] of facts) {
        const list = [...byId.values()];
        state.set(node, list);
        // only the sessions that are down cross to the API's thread: a cluster has N x (N-1) of them
        for (const f of list) {
          if (f.kind === 'bgpSession' && f.value.state !== 'established') sessions.push({ node, daemon: f.value.daemon, peerAddress: f.value.peerAddress, state: f.value.state });
        }
      }
      let findings: Finding[] = [];
      let expected: ExpectedNode[] = [];
      let error: string | null = null;
      try {
        const options = { live: message.live, ...(message.kubernetes ? { kubernetes: message.kubernetes } : {}) };
        ({ nodes: expected, findings } = evaluateChecks(state, options));
      } catch (e) {
        error = (e as Error).stack ?? String(e);
      }
      const uplinksDown = downUplinks(state, expected);
      const totalFindings = findings.length;
      if (findings.length > MAX_FINDINGS) findings = findings.slice(0, MAX_FINDINGS);
      parentPort?.postMessage({
        type: 'evaluated',
        id: message.id,
        ms: performance.now() - t0,
        findings,
        totalFindings,
        expected,
        sessions,
        uplinksDown,
        error,
      } satisfies FromChecksWorker);
      break;
    }
  }
});

/**
 * The interfaces that hold a node's own underlay addresses and are not up (a pulled cable, a
 * downed switch port): the node is cut off at once, long before its BGP peers' hold timers tell.
 */
export function downUplinks(state: ReadonlyMap<string, readonly Fact[]>, expected: readonly ExpectedNode[]): UplinkSignal[] {
  const out: UplinkSignal[] = [];
  for (const e of expected) {
    const facts = state.get(e.name);
    if (!facts) continue;
    const mine = new Set(e.addresses.map((a) => a.split('/')[0]!));
    const devices = new Set<string>();
    for (const f of facts) if (f.kind === 'addr' && mine.has(f.value.address)) devices.add(f.value.ifname);
    for (const f of facts) {
      if (f.kind !== 'link' || !devices.has(f.value.ifname)) continue;
      const up = f.value.operstate === 'UP' || (f.value.operstate === 'UNKNOWN' && f.value.flags.includes('LOWER_UP'));
      if (!up) out.push({ node: e.name, ifname: f.value.ifname, operstate: f.value.operstate });
    }
  }
  return out;
}
