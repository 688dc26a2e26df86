// Runs in a worker thread: the API's one copy of the current facts (current-state.ts). It reads
// them from Postgres itself (handing ~100k facts over from the API's thread took ~0.4 s there, and
// a 1M-fact state ~1 GB of the API's heap), keeps them current with every committed change, and
// answers from them: the expected-state checks, the topology of now, and — while browsers follow
// it — the topology's patches, re-deriving only the hosts that changed (IncrementalTopology). None
// of it holds up the API's event loop, where collectors wait for their acks.
import { deriveHostEdges, deriveTopology, IncrementalTopology, isEmptyTopologyPatch, topologyFormFor, type PodName, type RememberedOrigin } from '@netatlas/graph';
import { encodeTopologyPatch, factId, type Fact, type FactChange, type FactKind, type TopoEdge, type Topology, type TopologyForm, type TopologyPatch } from '@netatlas/wire/core';
import pg from 'pg';
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { readSocket } from '../db/read-socket.js';
import { streamStateJson } from '../db/repositories/history/state-stream.js';
import { checksFailed, runChecks, type ChecksRun, type KubeInput } from './checks-run.js';
import { applyToMirror, type FactMirror } from './fact-mirror.js';
import { HeapTrim } from './heap-trim.js';
import { CHECK_KINDS, drawn, held, TOPOLOGY_KINDS } from './state-kinds.js';

export type ToStateWorker =
  /** `compactFrom`: where the topology's form auto turns compact */
  | { type: 'load'; url: string; kinds: FactKind[]; compactFrom: number }
  | { type: 'changes'; changes: FactChange[] }
  /** keep the topology derived, for patches (while browsers follow it) */
  | { type: 'follow'; on: boolean }
  | { type: 'pods'; pods: Array<[string, PodName]> }
  | { type: 'derive' }
  /**
   * GET /api/topology: the answer's JSON, gzipped when the client takes it (`gzip`); now (`at`
   * null) from the facts held, at a past moment from the state then, read here from `url`
   */
  | { type: 'topology'; id: number; at: { at: string; url: string } | null; pods: Array<[string, PodName]> | null; form: TopologyForm | 'auto'; gzip: boolean }
  /** the full edges of some hosts (the compact form's on-demand part), now or at a past moment */
  | { type: 'edges'; id: number; at: { at: string; url: string } | null; hosts: string[] }
  | { type: 'evaluate'; id: number; live: string[]; kubernetes: KubeInput | null }
  /** the checks at a past moment, over the state then read here from `url` (each node with facts then taken as live) */
  | { type: 'evaluateAt'; id: number; at: { at: string; url: string } }
  | { type: 'count'; id: number };

export type FromStateWorker =
  | { type: 'loaded'; ms: number; nodes: number; facts: number }
  | { type: 'failed'; error: string }
  /** `asked`: the answer to 'derive' (else it came first in a topology's answer) */
  /** `bytes`: the patch's JSON (topology-bytes.ts), made here once for every browser; null: nothing changed */
  | { type: 'patch'; bytes: Uint8Array | null; ms: number; hosts: number; asked: boolean }
  /** `code`: the failed read's error code (the API tells a database that is down by it) */
  | { type: 'topology'; id: number; body: Uint8Array | null; gzip: boolean; form: TopologyForm; error: string | null; code?: string; ms: number }
  | { type: 'edges'; id: number; edges: TopoEdge[] | null; error: string | null; code?: string }
  | ({ type: 'evaluated'; id: number; code?: string } & ChecksRun)
  | { type: 'counted'; id: number; nodes: number; facts: number; heapUsedBytes: number }
  /** after each piece of work: the worker's V8 heap (what the facts and what is derived from them take) */
  | { type: 'memory'; heapUsedBytes: number; heapTotalBytes: number; collections: number; lastCollectionMs: number };

const facts: FactMirror = new Map();
let loaded = false;
let loading = false;
/** changes that came while the state was being read: applied on top of it, in order */
let heldChanges: FactChange[][] = [];
/** what each live node's daemon last originated (bgpOrigin), kept while its daemon is down */
const origins = new Map<string, RememberedOrigin[]>();
/** the topology kept derived while browsers follow it; null while none does */
let followed: IncrementalTopology | null = null;
let wantFollow = false;
let pods: Map<string, PodName> | undefined;
let compactFrom: number | undefined;
/** the pool that reads past moments' states (made on the first) */
let pastPool: pg.Pool | null = null;

/** A host's facts the topology reads (the state also holds what only the checks read). */
function* drawnFacts(byId: Map<string, Fact>): Iterable<Fact> {
  for (const f of byId.values()) if (drawn(f.kind)) yield f;
}

/** A host's drawn facts; undefined for a node that has none (one with only what the checks read is no host) */
const factsOfHost = (node: string): Iterable<Fact> | undefined => {
  const byId = facts.get(node);
  if (byId) for (const f of byId.values()) if (drawn(f.kind)) return drawnFacts(byId);
  return undefined;
};

function post(message: FromStateWorker, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

/**
 * A REST answer's bytes, made here rather than on the API's thread: at 1000 nodes the compact
 * topology is ~40 MB of JSON (~4 MB gzipped, level 1), which would cost the API's event loop a
 * structured clone of ~150k objects and a JSON.stringify. Returned in a buffer of its own, so it
 * can be transferred, not copied.
 */
function encode(value: unknown, gzip: boolean): Uint8Array {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  const bytes = gzip ? gzipSync(json, { level: 1 }) : json;
  // small Buffers share a pool: transferring theirs would take the pool away from this thread
  return bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length ? bytes : new Uint8Array(bytes);
}

async function load(url: string, kinds: FactKind[]): Promise<void> {
  const t0 = performance.now();
  loading = true;
  heldChanges = [];
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'netatlas-api-state', options: '-c jit=off', stream: readSocket });
  pool.on('error', () => undefined);
  try {
    facts.clear();
    await streamStateJson(pool, null, kinds, (node, json) => {
      const list = JSON.parse(Buffer.concat(json).toString('utf8')) as Fact[];
      const byId = new Map<string, Fact>();
      for (const f of list) if (held(f.kind, f.value)) byId.set(factId(f), f);
      if (byId.size > 0) facts.set(node, byId);
    });
  } catch (error) {
    loading = false;
    heldChanges = [];
    facts.clear();
    post({ type: 'failed', error: (error as Error).message });
    return;
  } finally {
    await pool.end().catch(() => undefined);
  }
  // a change the read saw already sets what it holds again: applying it twice is harmless
  for (const changes of heldChanges) applyToMirror(facts, changes);
  heldChanges = [];
  loading = false;
  loaded = true;
  // followed since before the read ended: the browsers that asked know none of it, and some of what
  // was read came after they asked, so the first patch holds the whole topology
  if (wantFollow) startFollowing(false);
  let count = 0;
  for (const byId of facts.values()) count += byId.size;
  post({ type: 'loaded', ms: performance.now() - t0, nodes: facts.size, facts: count });
  postMemory();
}

/** `baseline`: the topology now is what the followers know (patches say what changed since); else the first patch is all of it */
function startFollowing(baseline: boolean): void {
  followed = new IncrementalTopology(factsOfHost, { pods, compactFrom });
  for (const node of facts.keys()) followed.touch(node);
  if (baseline) followed.patch();
}

function derive(): { patch: TopologyPatch | null; hosts: number } {
  if (!followed) return { patch: null, hosts: 0 };
  const patch = followed.patch();
  return { patch: isEmptyTopologyPatch(patch) ? null : patch, hosts: followed.lastWork.hosts };
}

/** Posts a derived patch as bytes, transferred (not copied) to the API's thread. */
function postPatch(patch: TopologyPatch | null, t0: number, hosts: number, asked: boolean): void {
  const bytes = patch ? encodeTopologyPatch(patch) : null;
  post({ type: 'patch', bytes, ms: performance.now() - t0, hosts, asked }, bytes ? [bytes.buffer as ArrayBuffer] : []);
}

/** Brings the followed topology up to the facts; its patch goes out first, so browsers stay in step. */
function catchUp(): void {
  if (!followed) return;
  const t0 = performance.now();
  const { patch, hosts } = derive();
  if (patch) postPatch(patch, t0, hosts, false);
}

/** Every host's drawn facts (for a derivation from scratch). */
function drawnInput(): Map<string, Fact[]> {
  const input = new Map<string, Fact[]>();
  for (const node of facts.keys()) {
    const drawnOnes = factsOfHost(node);
    if (drawnOnes) input.set(node, [...drawnOnes]);
  }
  return input;
}

/** The topology now in `form`: the followed one when it is in that form, else derived once. */
function topologyNow(podList: Array<[string, PodName]> | null, form: TopologyForm | 'auto'): { topology: Topology; form: TopologyForm } {
  const podMap = podList ? new Map(podList) : undefined;
  if (followed) {
    if (podMap) {
      pods = podMap;
      followed.setPods(podMap);
    }
    catchUp();
    if (form === 'auto' || form === followed.form) return { topology: followed.topology(), form: followed.form };
  }
  const input = drawnInput();
  const chosen = form === 'auto' ? topologyFormFor(input.size, compactFrom) : form;
  return { topology: deriveTopology(input, { pods: podMap, compact: chosen === 'compact' }), form: chosen };
}

/**
 * Every host's drawn facts at a past moment, read here (so neither the parse of ~0.6 M facts nor
 * the derivation at 1000 nodes holds the API's event loop): nodes in name order, each node's facts
 * in kind and key order, as the history's state reads give them.
 */
function drawnInputAt(url: string, at: Date): Promise<Map<string, Fact[]>> {
  return stateAt(url, at, TOPOLOGY_KINDS, () => true);
}

/** The facts of `kinds` that `keep` keeps at a past moment, as drawnInputAt orders them. */
async function stateAt(url: string, at: Date, kinds: readonly FactKind[], keep: (f: Fact) => boolean): Promise<Map<string, Fact[]>> {
  if (!pastPool) {
    // whole reads: sockets that read into a buffer each, reused (read-socket.ts)
    pastPool = new pg.Pool({ connectionString: url, max: 2, idleTimeoutMillis: 10_000, application_name: 'netatlas-api-state', options: '-c jit=off', stream: readSocket });
    pastPool.on('error', () => undefined);
  }
  const byNode = new Map<string, Fact[]>();
  await streamStateJson(pastPool, at, kinds, (node, json) => {
    const list = (JSON.parse(Buffer.concat(json).toString('utf8')) as Fact[]).filter(keep);
    if (list.length > 0) byNode.set(node, list.sort(byKindAndKey));
  });
  return new Map([...byNode].sort(([a], [b]) => (a < b ? -1 : 1)));
}

const byKindAndKey = (a: Fact, b: Fact) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** The error and its code (a database that is down is told by it, db/errors.ts). */
const failure = (error: unknown) => ({ error: (error as Error).stack ?? String(error), code: typeof (error as { code?: unknown }).code === 'string' ? ((error as { code: string }).code) : undefined });

async function topologyAt(message: Extract<ToStateWorker, { type: 'topology' }>, url: string, at: Date): Promise<void> {
  try {
    const input = await drawnInputAt(url, at);
    const t0 = performance.now();
    const form = message.form === 'auto' ? topologyFormFor(input.size, compactFrom) : message.form;
    const body = encode({ at: at.toISOString(), form, ...deriveTopology(input, { compact: form === 'compact' }) }, message.gzip);
    post({ type: 'topology', id: message.id, body, gzip: message.gzip, form, error: null, ms: performance.now() - t0 }, [body.buffer as ArrayBuffer]);
  } catch (error) {
    post({ type: 'topology', id: message.id, body: null, gzip: false, form: 'full', ...failure(error), ms: 0 });
  }
}

async function edgesAt(message: Extract<ToStateWorker, { type: 'edges' }>, url: string, at: Date): Promise<void> {
  try {
    post({ type: 'edges', id: message.id, edges: deriveHostEdges(await drawnInputAt(url, at), message.hosts), error: null });
  } catch (error) {
    post({ type: 'edges', id: message.id, edges: null, ...failure(error) });
  }
}

async function evaluateAt(message: Extract<ToStateWorker, { type: 'evaluateAt' }>): Promise<void> {
  try {
    const state = await stateAt(message.at.url, new Date(message.at.at), CHECK_KINDS, (f) => held(f.kind, f.value));
    // no daemon's origins remembered: a past moment is judged by its own facts
    post({ type: 'evaluated', id: message.id, ...runChecks(state, [...state.keys()], null, new Map()) });
  } catch (error) {
    const { error: text, code } = failure(error);
    post({ type: 'evaluated', id: message.id, ...checksFailed(text), code });
  }
}

/** The full edges of `hosts` now. */
function edgesNow(hosts: string[]): TopoEdge[] {
  if (followed) {
    catchUp();
    return followed.fullEdges(hosts);
  }
  return deriveHostEdges(drawnInput(), hosts, { pods });
}

function checks(live: string[], kubernetes: KubeInput | null): ChecksRun {
  const state = new Map<string, Fact[]>();
  for (const [node, byId] of facts) state.set(node, [...byId.values()]);
  return runChecks(state, live, kubernetes, origins);
}

parentPort?.on('message', (message: ToStateWorker) => {
  handle(message);
  if (message.type !== 'changes' && message.type !== 'pods' && message.type !== 'follow' && message.type !== 'load') postMemory();
});

/** (bench:api --retained: the heap is collected before each figure, so it is what the state retains) */
const MEASURE_RETAINED = process.env['NETATLAS_STATE_RETAINED'] === '1';
const trim = new HeapTrim();

function postMemory(): void {
  if (MEASURE_RETAINED) trim.collect();
  else trim.afterWork();
  const heap = getHeapStatistics();
  post({ type: 'memory', heapUsedBytes: heap.used_heap_size, heapTotalBytes: heap.total_heap_size, collections: trim.stats.collections, lastCollectionMs: trim.stats.lastMs });
}

function handle(message: ToStateWorker): void {
  const t0 = performance.now();
  switch (message.type) {
    case 'load':
      compactFrom = message.compactFrom;
      if (!loading) void load(message.url, message.kinds);
      break;
    case 'changes':
      if (loading) heldChanges.push(message.changes);
      if (!loaded) break; // (before a load: the load reads them)
      // a node whose facts all ended (it left) is no longer a host of the topology
      applyToMirror(facts, message.changes);
      if (followed) for (const c of message.changes) if (drawn(c.kind)) followed.change(c.node, c.kind, c.before, c.after);
      break;
    case 'follow':
      wantFollow = message.on;
      if (!message.on) followed = null;
      else if (loaded && !followed) startFollowing(true);
      break;
    case 'pods':
      pods = new Map(message.pods);
      followed?.setPods(pods);
      break;
    case 'derive': {
      const { patch, hosts } = derive();
      postPatch(patch, t0, hosts, true);
      break;
    }
    case 'topology': {
      if (message.at !== null) {
        void topologyAt(message, message.at.url, new Date(message.at.at));
        break;
      }
      if (!loaded) {
        post({ type: 'topology', id: message.id, body: null, gzip: false, form: 'full', error: 'the current state is not loaded', ms: 0 });
        break;
      }
      try {
        const { topology, form } = topologyNow(message.pods, message.form);
        const body = encode({ at: null, form, ...topology }, message.gzip);
        post({ type: 'topology', id: message.id, body, gzip: message.gzip, form, error: null, ms: performance.now() - t0 }, [body.buffer as ArrayBuffer]);
      } catch (error) {
        post({ type: 'topology', id: message.id, body: null, gzip: false, form: 'full', error: (error as Error).stack ?? String(error), ms: performance.now() - t0 });
      }
      break;
    }
    case 'edges': {
      if (message.at !== null) {
        void edgesAt(message, message.at.url, new Date(message.at.at));
        break;
      }
      if (!loaded) {
        post({ type: 'edges', id: message.id, edges: null, error: 'the current state is not loaded' });
        break;
      }
      try {
        post({ type: 'edges', id: message.id, edges: edgesNow(message.hosts), error: null });
      } catch (error) {
        post({ type: 'edges', id: message.id, edges: null, error: (error as Error).stack ?? String(error) });
      }
      break;
    }
    case 'evaluate':
      if (!loaded) post({ type: 'evaluated', id: message.id, ...checksFailed('the current state is not loaded') });
      else post({ type: 'evaluated', id: message.id, ...checks(message.live, message.kubernetes) });
      break;
    case 'evaluateAt':
      void evaluateAt(message);
      break;
    case 'count': {
      let count = 0;
      for (const byId of facts.values()) count += byId.size;
      post({ type: 'counted', id: message.id, nodes: facts.size, facts: count, heapUsedBytes: getHeapStatistics().used_heap_size });
      break;
    }
  }
}
