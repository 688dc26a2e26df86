// Runs in a worker thread: keeps a copy of every node's facts that the expected-state checks read,
// and evaluates them on request (libs/graph checks.ts), so a check of the whole cluster never holds
// up the API's event loop, where collectors wait for their acks.
import { DAEMON_READERS, evaluateChecks, gatherEvidence, type BlockAffinityInfo, type ClusterEvidence, type KubernetesNodeInfo, type KubernetesPodInfo, type RememberedOrigin } from '@netatlas/graph';
import type { ExpectedNode, Fact, FactChange, Finding } from '@netatlas/wire/core';
import { parentPort } from 'node:worker_threads';
import { addToMirror, applyToMirror, loadMirror, type FactMirror } from '../live/fact-mirror.js';
// (runs at normal priority, unlike the topology worker: its evaluations decide when alerts fire,
// and are held to a tenth of a core by the alert engine already)

/** What Kubernetes says, when it is watched and synced. */
export interface KubeInput {
  nodes: KubernetesNodeInfo[];
  pods: KubernetesPodInfo[];
  blocks: BlockAffinityInfo[];
}

export type ToChecksWorker =
  /** the current state in parts (a whole 1M-fact state in one message held the API's thread for 0.2 s); `first` clears the mirror */
  | { type: 'load'; state: Array<[string, Fact[]]>; first: boolean }
  | { type: 'changes'; changes: FactChange[] }
  | { type: 'evaluate'; id: number; live: string[]; kubernetes: KubeInput | null };

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
      evidence: ClusterEvidence;
      error: string | null;
    };

const facts: FactMirror = new Map();

/** what each live node's daemon last originated (bgpOrigin), kept while its daemon is down */
const originMemory = new Map<string, RememberedOrigin[]>();

/**
 * The prefixes of nodes whose daemon stopped answering, as they last announced them: the daemon's
 * facts go with it, but its peers must still be seen losing its ranges (a node whose block has no
 * blackhole is known only from what it announced).
 */
export function rememberOrigins(state: ReadonlyMap<string, readonly Fact[]>, live: readonly string[], memory: Map<string, RememberedOrigin[]>): Map<string, RememberedOrigin[]> {
  const out = new Map<string, RememberedOrigin[]>();
  const alive = new Set(live);
  for (const node of [...memory.keys()]) if (!alive.has(node)) memory.delete(node);
  for (const [node, list] of state) {
    if (!alive.has(node)) continue;
    const origins: RememberedOrigin[] = [];
    let down = false;
    let ok = false;
    for (const f of list) {
      if (f.kind === 'bgpOrigin') origins.push({ daemon: f.value.daemon, prefix: f.value.prefix });
      else if (f.kind === 'node') {
        for (const d of DAEMON_READERS) {
          const st = f.value.readers[d]?.status;
          if (st === 'failed' || st === 'timeout') down = true;
          if (st === 'ok') ok = true;
        }
      }
    }
    if (origins.length > 0) memory.set(node, origins);
    else if (down) {
      const last = memory.get(node);
      if (last) out.set(node, last);
    } else if (ok) memory.delete(node); // it answers and originates nothing: it announces nothing
  }
  return out;
}

/**
 * At most this many findings cross to the API's thread per evaluation: a badly broken (or badly
 * simulated) 1000-node cluster has ~N x (N-1) of them, and the API must keep serving ingest.
 */
export const MAX_FINDINGS = 50_000;

parentPort?.on('message', (message: ToChecksWorker) => {
  const t0 = performance.now();
  switch (message.type) {
    case 'load':
      if (message.first) loadMirror(facts, []);
      addToMirror(facts, message.state);
      parentPort?.postMessage({ type: 'loaded', ms: performance.now() - t0 } satisfies FromChecksWorker);
      break;
    case 'changes':
      applyToMirror(facts, message.changes);
      break;
    case 'evaluate': {
      const state = new Map<string, Fact[]>();
      for (const [node, byId] of facts) state.set(node, [...byId.values()]);
      let findings: Finding[] = [];
      let expected: ExpectedNode[] = [];
      let evidence: ClusterEvidence = { nodes: [], sessionsDown: [] };
      let error: string | null = null;
      try {
        const k = message.kubernetes;
        const lastOrigins = rememberOrigins(state, message.live, originMemory);
        const options = { live: message.live, lastOrigins, ...(k ? { kubernetes: k.nodes, pods: k.pods, blocks: k.blocks } : {}) };
        ({ nodes: expected, findings } = evaluateChecks(state, options));
        evidence = gatherEvidence(state, expected);
      } catch (e) {
        error = (e as Error).stack ?? String(e);
      }
      const totalFindings = findings.length;
      if (findings.length > MAX_FINDINGS) findings = findings.slice(0, MAX_FINDINGS);
      parentPort?.postMessage({ type: 'evaluated', id: message.id, ms: performance.now() - t0, findings, totalFindings, expected, evidence, error } satisfies FromChecksWorker);
      break;
    }
  }
});
