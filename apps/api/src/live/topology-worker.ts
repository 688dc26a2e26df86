// Runs in a worker thread: keeps a copy of every node's topology-relevant facts and derives the
// topology and its patches there, so that a recompute (100–400 ms at 200 nodes) never holds up the
// API's event loop, where collectors wait for their acks.
import { deriveTopology, diffTopology, isEmptyTopologyPatch, type PodName } from '@netatlas/graph';
import type { Fact, FactChange, Topology, TopologyPatch } from '@netatlas/wire/core';
import { parentPort } from 'node:worker_threads';
import { applyToMirror, loadMirror, type FactMirror } from './fact-mirror.js';

export type ToWorker =
  | { type: 'load'; state: Array<[string, Fact[]]> }
  | { type: 'pods'; pods: Array<[string, PodName]> }
  | { type: 'changes'; changes: FactChange[] }
  | { type: 'derive' };

export type FromWorker =
  | { type: 'loaded'; ms: number }
  | { type: 'patch'; patch: TopologyPatch | null; ms: number };

const facts: FactMirror = new Map();
let topology: Topology | null = null;
/** Kubernetes pods by IP, when Kubernetes is watched: pods are labelled with their names */
let pods = new Map<string, PodName>();

function current(): Map<string, Fact[]> {
  const out = new Map<string, Fact[]>();
  for (const [node, byId] of facts) out.set(node, [...byId.values()]);
  return out;
}

parentPort?.on('message', (message: ToWorker) => {
  const t0 = performance.now();
  switch (message.type) {
    case 'load':
      loadMirror(facts, message.state);
      topology = deriveTopology(current(), { pods });
      parentPort?.postMessage({ type: 'loaded', ms: performance.now() - t0 } satisfies FromWorker);
      break;
    case 'pods':
      pods = new Map(message.pods);
      break;
    case 'changes':
      // a node whose facts all ended (it left) is no longer a host of the topology
      applyToMirror(facts, message.changes);
      break;
    case 'derive': {
      const next = deriveTopology(current(), { pods });
      const patch = topology ? diffTopology(topology, next) : null;
      topology = next;
      parentPort?.postMessage({ type: 'patch', patch: patch && !isEmptyTopologyPatch(patch) ? patch : null, ms: performance.now() - t0 } satisfies FromWorker);
      break;
    }
  }
});
