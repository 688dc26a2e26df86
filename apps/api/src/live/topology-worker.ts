// Runs in a worker thread: keeps a copy of every node's topology-relevant facts and the topology
// derived from them, re-deriving only the hosts that changed (IncrementalTopology), so that neither
// a patch nor the first full derivation (~0.5 s at 200 nodes) holds up the API's event loop, where
// collectors wait for their acks.
import { IncrementalTopology, isEmptyTopologyPatch, type PodName } from '@netatlas/graph';
import type { Fact, FactChange, TopologyPatch } from '@netatlas/wire/core';
import { parentPort } from 'node:worker_threads';
import { applyToMirror, loadMirror, type FactMirror } from './fact-mirror.js';

export type ToWorker =
  | { type: 'load'; state: Array<[string, Fact[]]> }
  | { type: 'pods'; pods: Array<[string, PodName]> }
  | { type: 'changes'; changes: FactChange[] }
  | { type: 'derive' };

export type FromWorker =
  | { type: 'loaded'; ms: number }
  | { type: 'patch'; patch: TopologyPatch | null; ms: number; hosts: number };

const facts: FactMirror = new Map();
const topology = new IncrementalTopology((node) => facts.get(node)?.values());
let loaded = false;

parentPort?.on('message', (message: ToWorker) => {
  const t0 = performance.now();
  switch (message.type) {
    case 'load':
      loadMirror(facts, message.state);
      for (const node of facts.keys()) topology.touch(node);
      topology.patch(); // the baseline: browsers load the whole topology over REST
      loaded = true;
      parentPort?.postMessage({ type: 'loaded', ms: performance.now() - t0 } satisfies FromWorker);
      break;
    case 'pods':
      topology.setPods(new Map(message.pods));
      break;
    case 'changes':
      // a node whose facts all ended (it left) is no longer a host of the topology
      applyToMirror(facts, message.changes);
      for (const c of message.changes) topology.touch(c.node);
      break;
    case 'derive': {
      const patch = loaded ? topology.patch() : null;
      parentPort?.postMessage({
        type: 'patch',
        patch: patch && !isEmptyTopologyPatch(patch) ? patch : null,
        ms: performance.now() - t0,
        hosts: topology.lastWork.hosts,
      } satisfies FromWorker);
      break;
    }
  }
});
