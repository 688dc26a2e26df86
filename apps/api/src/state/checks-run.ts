// One run of the expected-state checks over the current facts (libs/graph checks.ts), as the state
// worker does it: with what daemons last originated remembered across their outages, and the
// findings capped before they cross to the API's thread.
import { DAEMON_READERS, evaluateChecks, gatherEvidence, type BlockAffinityInfo, type ClusterEvidence, type KubernetesNodeInfo, type KubernetesPodInfo, type RememberedOrigin } from '@netatlas/graph';
import type { ExpectedNode, Fact, Finding } from '@netatlas/wire/core';

/** What Kubernetes says, when it is watched and synced. */
export interface KubeInput {
  nodes: KubernetesNodeInfo[];
  pods: KubernetesPodInfo[];
  blocks: BlockAffinityInfo[];
}

export interface ChecksRun {
  ms: number;
  findings: Finding[];
  /** whether there were more than MAX_FINDINGS (the checks stopped there) */
  truncated: boolean;
  expected: ExpectedNode[];
  evidence: ClusterEvidence;
  error: string | null;
}

/** A run of the checks that could not be made: no findings, and why. */
export function checksFailed(error: string): ChecksRun {
  return { ms: 0, findings: [], truncated: false, expected: [], evidence: { nodes: [], sessionsDown: [] }, error };
}

/**
 * At most this many findings are built per evaluation, and cross to the API's thread: a badly
 * broken (or badly simulated) 1000-node cluster has ~N x (N-1) of them (the API bench's fleet 2.4
 * million: 20 s of building them in the worker, while the topology's patches waited), and the API
 * must keep serving ingest. The alert rules take them on the API's thread: with 50,000 an
 * evaluation every ~4 s held the event loop up to ~0.7 s (delta ack p99 609 ms at 1000 nodes).
 */
export const MAX_FINDINGS = 10_000;

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

/** The checks over `state` (every node's current facts), `live` the nodes that still report. */
export function runChecks(state: ReadonlyMap<string, Fact[]>, live: string[], kubernetes: KubeInput | null, origins: Map<string, RememberedOrigin[]>): ChecksRun {
  const t0 = performance.now();
  let findings: Finding[] = [];
  let truncated = false;
  let expected: ExpectedNode[] = [];
  let evidence: ClusterEvidence = { nodes: [], sessionsDown: [] };
  let error: string | null = null;
  try {
    const lastOrigins = rememberOrigins(state, live, origins);
    const options = { live, lastOrigins, maxFindings: MAX_FINDINGS, ...(kubernetes ? { kubernetes: kubernetes.nodes, pods: kubernetes.pods, blocks: kubernetes.blocks } : {}) };
    ({ nodes: expected, findings, truncated } = evaluateChecks(state, options));
    evidence = gatherEvidence(state, expected);
  } catch (e) {
    error = (e as Error).stack ?? String(e);
  }
  return { ms: performance.now() - t0, findings, truncated, expected, evidence, error };
}
