// Runs in a worker thread: keeps a copy of every node's topology-relevant facts and the topology
// derived from them, re-deriving only the hosts that changed (IncrementalTopology), so that neither
// a patch nor the first full derivation (~0.5 s at 200 nodes) holds up the API's event loop, where
// collectors wait for their acks. It reads the current facts from Postgres itself: handing ~100k
// facts over from the API's thread took it ~0.4 s, and reading them there as long.
import { IncrementalTopology, isEmptyTopologyPatch, type PodName } from '@netatlas/graph';
import { factId, type Fact, type FactChange, type FactKind, type TopologyPatch } from '@netatlas/wire/core';
import pg from 'pg';
import { parentPort } from 'node:worker_threads';
import { streamStateJson } from '../db/repositories/history/state-stream.js';
import { applyToMirror, undoInMirror, type FactMirror } from './fact-mirror.js';
import { lowerThisThreadsPriority } from './worker-thread.js';

// background work: ingest and Postgres first on a busy machine
lowerThisThreadsPriority();

export type ToWorker =
  | { type: 'load'; url: string; kinds: FactKind[] }
  | { type: 'pods'; pods: Array<[string, PodName]> }
  | { type: 'changes'; changes: FactChange[] }
  | { type: 'derive' };

export type FromWorker =
  | { type: 'loaded'; ms: number; nodes: number }
  | { type: 'failed'; error: string }
  | { type: 'patch'; patch: TopologyPatch | null; ms: number; hosts: number };

const facts: FactMirror = new Map();
const topology = new IncrementalTopology((node) => facts.get(node)?.values());
let loaded = false;
/** changes that came while the state was being read: applied on top of it, in order */
let held: FactChange[][] = [];

async function load(url: string, kinds: FactKind[]): Promise<void> {
  const t0 = performance.now();
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'netatlas-api-topology', options: '-c jit=off' });
  pool.on('error', () => undefined);
  try {
    await streamStateJson(pool, null, kinds, (node, json) => {
      const list = JSON.parse(Buffer.concat(json).toString('utf8')) as Fact[];
      facts.set(node, new Map(list.map((f) => [factId(f), f])));
    });
  } finally {
    await pool.end().catch(() => undefined);
  }
  // The baseline is the state when the first browser subscribed, not when the read ended: that
  // browser fetched the topology over REST right after subscribing, so every change since must come
  // as a patch. The changes forwarded since are taken back from what was read (those the read did
  // not see yet included: taking one back gives the value it had), the baseline derived, and they
  // are applied again for the next patch.
  const since = held.flat();
  held = [];
  undoInMirror(facts, since);
  for (const node of facts.keys()) topology.touch(node);
  topology.patch();
  applyToMirror(facts, since);
  for (const c of since) topology.change(c.node, c.kind, c.before, c.after);
  loaded = true;
  parentPort?.postMessage({ type: 'loaded', ms: performance.now() - t0, nodes: facts.size } satisfies FromWorker);
}

parentPort?.on('message', (message: ToWorker) => {
  const t0 = performance.now();
  switch (message.type) {
    case 'load':
      load(message.url, message.kinds).catch((error: unknown) =>
        parentPort?.postMessage({ type: 'failed', error: (error as Error).message } satisfies FromWorker),
      );
      break;
    case 'pods':
      topology.setPods(new Map(message.pods));
      break;
    case 'changes':
      if (!loaded) {
        held.push(message.changes);
        break;
      }
      // a node whose facts all ended (it left) is no longer a host of the topology
      applyToMirror(facts, message.changes);
      for (const c of message.changes) topology.change(c.node, c.kind, c.before, c.after);
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
