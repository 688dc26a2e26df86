// The current state: the one home of "now" in the API (issue 17). The facts of every node live once,
// in a worker thread (state-worker.ts) that reads them from Postgres and follows every committed
// change from the event bus. The alert engine's checks, GET /api/topology (now) and the live
// topology patches all read from it; the patches go out on the event bus, which LiveHub fans out to
// browsers.
import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { PodName } from '@netatlas/graph';
import type { FactChange, TopoEdge, TopologyForm } from '@netatlas/wire';
import type { Worker } from 'node:worker_threads';
import { API_CONFIG, DATABASE } from '../app-tokens.js';
import type { CoreConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { KubeWatcher } from '../kube/kube-watcher.js';
import { EventBus } from '../realtime/event-bus.js';
import type { ChecksRun, KubeInput } from './checks-run.js';
import { CHECK_KINDS, drawn, held } from './state-kinds.js';
import type { FromStateWorker, ToStateWorker } from './state-worker.js';
import { ChangePoster, startWorkerThread } from './worker-thread.js';

type Answer = Extract<FromStateWorker, { id: number }>;

/** The current state cannot be read (the database is down, or the worker failed): the caller answers 503. */
export class StateUnavailable extends Error {}

/** A read in the worker that failed, as an error with the driver's code (db/errors.ts tells a database that is down by it). */
function readFailure(message: string | null, code: string | undefined): Error {
  const error = new Error(message ?? 'the read failed');
  if (code) (error as Error & { code?: string }).code = code;
  return error;
}

@Injectable()
export class CurrentState implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('state');
  private worker: Worker | null = null;
  private loaded = false;
  private loading: Promise<void> | null = null;
  private readonly poster = new ChangePoster<FactChange>((changes) => this.worker?.postMessage({ type: 'changes', changes } satisfies ToStateWorker));
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (m: Answer) => void; reject: (e: Error) => void }>();
  private settle: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private closed = false;
  /** times the state was (re)loaded: a reload may change what the checks find */
  loads = 0;
  /** the facts the last load read, and how long it took */
  lastLoad = { facts: 0, nodes: 0, ms: 0 };

  // the topology's patches, while browsers follow them
  private following = false;
  private deriving = false;
  private again = false;
  /** no derivation starts before this (ms since epoch) */
  private notBefore = 0;
  private deriveTimer: NodeJS.Timeout | null = null;
  private podsTimer: NodeJS.Timeout | null = null;
  /** how long the last derivation of a patch took in the worker */
  lastPatchMs = 0;
  /** the worker's V8 heap after its last piece of work (bytes), its largest, and the collections heap-trim.ts made */
  workerHeap = { used: 0, total: 0, peakUsed: 0, collections: 0, lastCollectionMs: 0 };

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(API_CONFIG) private readonly config: CoreConfig,
    @Inject(EventBus) private readonly events: EventBus,
    @Optional() @Inject(KubeWatcher) private readonly kube: KubeWatcher | null = null,
  ) {}

  onModuleInit(): void {
    this.events.onChanges((changes) => this.onChanges(changes));
    // pods come and go: the followed topology's pod labels follow (at most once per batch interval)
    this.kube?.onPod(() => {
      if (!this.following || this.podsTimer) return;
      this.podsTimer = setTimeout(() => {
        this.podsTimer = null;
        this.sendPods();
        this.deriveSoon();
      }, this.config.liveBatchMs);
      this.podsTimer.unref();
    });
  }

  onModuleDestroy(): void {
    this.closed = true;
    if (this.deriveTimer) clearTimeout(this.deriveTimer);
    if (this.podsTimer) clearTimeout(this.podsTimer);
    this.stopWorker(new StateUnavailable('the API is stopping'));
  }

  /** Loads the state if it is not (starting the worker); false when it cannot be (logged once per cause). */
  async ready(): Promise<boolean> {
    if (this.loaded) return true;
    if (this.closed) return false;
    this.loading ??= new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      const worker = (this.worker ??= this.startWorker());
      worker.postMessage({ type: 'load', url: this.database.url, kinds: [...CHECK_KINDS], compactFrom: this.config.topologyCompactFrom } satisfies ToStateWorker);
      if (this.following) this.post({ type: 'follow', on: true });
    }).finally(() => {
      this.loading = null;
      this.settle = null;
    });
    try {
      await this.loading;
      return true;
    } catch (error) {
      this.report(`cannot load the current state: ${(error as Error).message}`);
      return false;
    }
  }

  /** The expected-state checks over the current facts. */
  async evaluate(live: string[], kubernetes: KubeInput | null): Promise<ChecksRun> {
    const m = await this.ask((id) => ({ type: 'evaluate', id, live, kubernetes }));
    if (m.type !== 'evaluated') throw new Error(`the state worker answered ${m.type} to evaluate`);
    return m;
  }

  /**
   * The checks at a past moment, over the state then (read in the worker, like topologyBodyAt),
   * each node with facts then taken as live. A read that fails rejects with the driver's code.
   */
  async evaluateAt(at: Date): Promise<ChecksRun> {
    const m = await this.askWorker((id) => ({ type: 'evaluateAt', id, at: { at: at.toISOString(), url: this.database.url } }));
    if (m.type !== 'evaluated') throw new Error(`the state worker answered ${m.type} to evaluateAt`);
    if (m.code) throw readFailure(m.error, m.code);
    return m;
  }

  /**
   * GET /api/topology's answer now (TopologyResponse) as JSON bytes, gzipped when `gzip`: the topology in
   * `form` (default auto: TopologyForm), pods named from `pods` (Kubernetes, by IP) when given.
   */
  async topologyBody(pods: ReadonlyMap<string, PodName> | null, form: TopologyForm | 'auto', gzip: boolean): Promise<{ body: Buffer; gzip: boolean; form: TopologyForm }> {
    const m = await this.ask((id) => ({ type: 'topology', id, at: null, pods: pods ? [...pods] : null, form, gzip }));
    if (m.type !== 'topology') throw new Error(`the state worker answered ${m.type} to topology`);
    if (!m.body) throw new StateUnavailable(m.error ?? 'no topology');
    return { body: Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength), gzip: m.gzip, form: m.form };
  }

  /**
   * The same answer at a past moment: the worker reads the state then and derives it (pods by IP:
   * Kubernetes' names are of now). Needs no loaded state, only the database; a read that fails
   * rejects with the driver's error code, so a database that is down is a 503 like any read's.
   */
  async topologyBodyAt(at: Date, form: TopologyForm | 'auto', gzip: boolean): Promise<{ body: Buffer; gzip: boolean; form: TopologyForm }> {
    const m = await this.askWorker((id) => ({ type: 'topology', id, at: { at: at.toISOString(), url: this.database.url }, pods: null, form, gzip }));
    if (m.type !== 'topology') throw new Error(`the state worker answered ${m.type} to topology`);
    if (!m.body) throw readFailure(m.error, m.code);
    return { body: Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength), gzip: m.gzip, form: m.form };
  }

  /** Every edge (full form) that starts at the named hosts or their elements, now (`at` null) or at a past moment, sorted by id. */
  async edges(hosts: string[], at: Date | null = null): Promise<TopoEdge[]> {
    const m = at
      ? await this.askWorker((id) => ({ type: 'edges', id, at: { at: at.toISOString(), url: this.database.url }, hosts }))
      : await this.ask((id) => ({ type: 'edges', id, at: null, hosts }));
    if (m.type !== 'edges') throw new Error(`the state worker answered ${m.type} to edges`);
    if (!m.edges) throw at ? readFailure(m.error, m.code) : new StateUnavailable(m.error ?? 'no edges');
    return m.edges;
  }

  /** How many nodes and facts the worker holds now (the one copy), and its V8 heap in use. */
  async count(): Promise<{ nodes: number; facts: number; heapUsedBytes: number }> {
    const m = await this.ask((id) => ({ type: 'count', id }));
    if (m.type !== 'counted') throw new Error(`the state worker answered ${m.type} to count`);
    return { nodes: m.nodes, facts: m.facts, heapUsedBytes: m.heapUsedBytes };
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /**
   * Keeps the topology derived and its patches coming on the event bus (on), or stops (off: the
   * derived topology is dropped; the facts stay).
   */
  follow(on: boolean): void {
    if (on === this.following) return;
    this.following = on;
    if (!on) {
      if (this.deriveTimer) clearTimeout(this.deriveTimer);
      this.deriveTimer = null;
      this.post({ type: 'follow', on: false });
      return;
    }
    this.sendPods();
    this.post({ type: 'follow', on: true });
    void this.ready().then((ok) => ok && this.deriveSoon());
  }

  /** Facts the state holds go to the worker, a chunk per turn. */
  private onChanges(changes: readonly FactChange[]): void {
    if (!this.worker) return; // not loaded: the load reads them
    const mine = changes.filter((c) => held(c.kind, c.after ?? c.before));
    if (!mine.length) return;
    this.poster.add(mine);
    if (this.following && mine.some((c) => drawn(c.kind))) this.deriveSoon();
  }

  private sendPods(): void {
    if (!this.kube || this.kube.mode === 'off') return;
    this.post({ type: 'pods', pods: [...this.kube.podNamesByIp()] });
  }

  /** A patch after the next batch interval; while one is being derived, one more follows it (never a queue). */
  private deriveSoon(): void {
    if (!this.following || this.deriveTimer) return;
    if (this.deriving) {
      this.again = true;
      return;
    }
    const wait = Math.max(this.config.liveBatchMs, this.notBefore - Date.now());
    this.deriveTimer = setTimeout(() => {
      this.deriveTimer = null;
      if (!this.following || !this.loaded) return;
      this.deriving = true;
      this.post({ type: 'derive' });
    }, wait);
    this.deriveTimer.unref();
  }

  private onPatch(m: Extract<FromStateWorker, { type: 'patch' }>): void {
    this.lastPatchMs = m.ms;
    if (m.bytes && this.following) this.events.topologyPatch(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
  }

  private async ask(message: (id: number) => ToStateWorker): Promise<Answer> {
    if (!(await this.ready()) || !this.worker) throw new StateUnavailable('the current state cannot be loaded (is the database up?)');
    return this.askWorker(message);
  }

  /** A question about a past moment: the worker reads it from the database itself, loaded or not. */
  private askWorker(message: (id: number) => ToStateWorker): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      if (this.closed) return reject(new StateUnavailable('the API is stopping'));
      this.worker ??= this.startWorker();
      const id = ++this.nextId;
      this.waiting.set(id, { resolve, reject });
      this.post(message(id));
    });
  }

  private post(message: ToStateWorker): void {
    // anything but changes goes after the changes queued before it, in order
    this.poster.after(() => this.worker?.postMessage(message));
  }

  private startWorker(): Worker {
    const worker = startWorkerThread(import.meta.url, 'state-worker');
    worker.unref();
    worker.on('message', (m: FromStateWorker) => {
      switch (m.type) {
        case 'loaded':
          this.loaded = true;
          this.loads += 1;
          this.lastLoad = { facts: m.facts, nodes: m.nodes, ms: m.ms };
          this.lastError = null;
          this.log.log(`current state loaded: ${m.facts} facts of ${m.nodes} nodes in ${Math.round(m.ms)} ms`);
          this.settle?.resolve();
          return;
        case 'failed':
          this.settle?.reject(new StateUnavailable(m.error));
          return;
        case 'memory':
          this.workerHeap = {
            used: m.heapUsedBytes,
            total: m.heapTotalBytes,
            peakUsed: Math.max(this.workerHeap.peakUsed, m.heapUsedBytes),
            collections: m.collections,
            lastCollectionMs: m.lastCollectionMs,
          };
          return;
        case 'patch':
          if (m.asked && this.deriving) {
            this.deriving = false;
            // the worker shares 2 cores with ingest and Postgres: idle 4x as long as a derivation took
            this.notBefore = Date.now() + 4 * m.ms;
            if (this.again) {
              this.again = false;
              this.deriveSoon();
            }
          }
          this.onPatch(m);
          return;
        default:
          this.waiting.get(m.id)?.resolve(m);
          this.waiting.delete(m.id);
      }
    });
    worker.on('error', (error) => {
      if (this.closed) return;
      this.log.error(`state worker failed: ${error.stack ?? error.message}; it is started again on the next read`);
      this.stopWorker(error);
    });
    return worker;
  }

  private stopWorker(error: Error): void {
    const worker = this.worker;
    this.worker = null;
    this.loaded = false;
    this.deriving = false;
    this.settle?.reject(error);
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
    void worker?.terminate();
  }

  private lastError: string | null = null;

  private report(message: string): void {
    if (message === this.lastError) return;
    this.lastError = message;
    this.log.warn(message);
  }
}
