// Runs the alert rules (rules.ts) every NETATLAS_ALERT_EVAL_MS while anything changed or an alert is
// pending: the expected-state checks run in a worker thread over its own copy of the current facts
// (checks-worker.ts), fed with every commit; node statuses come from the node events; Kubernetes
// nodes, when watched, say which pod CIDR each node should be reached by.
import { Inject, Injectable, Logger, Optional, ServiceUnavailableException, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { evaluateChecks, KUBE_ROUTER_NODE_IPS, KUBE_ROUTER_POD_SUBNETS } from '@netatlas/graph';
import type { ChecksResult, ExpectedNode, Fact, FactChange, FactKind, NodeEvent, NodeStatus } from '@netatlas/wire';
import type { Worker } from 'node:worker_threads';
import { ALERT_CONFIG, type AlertConfig } from './alert-config.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { AlertsRepository } from '../db/repositories/alerts.repository.js';
import { HistoryReader } from '../db/repositories/history/history-reader.js';
import { KubeWatcher } from '../kube/kube-watcher.js';
import { EventBus } from '../realtime/event-bus.js';
import { nextPacedTurn } from '../realtime/turns.js';
import { ChangePoster, startWorkerThread } from '../live/worker-thread.js';
import { NOTIFIER, type AlertNotifier } from '../notify/notice.js';
import { AlertStore } from './alert-store.js';
import type { FromChecksWorker, KubeInput, ToChecksWorker } from './checks-worker.js';
import { evaluateRules, type KubeSignal, type NodeSignal } from './rules.js';

/** What the checks read: what the topology reads, plus kube-router's ipsets and the daemons' origins. */
export const CHECK_KINDS: readonly FactKind[] = ['link', 'addr', 'route', 'neigh', 'fdb', 'bgpSession', 'bgpOrigin', 'node', 'ipset', 'ipsetMember'];

/** the longest pause between two evaluations that the CPU budget may impose */
const MAX_BACKOFF_MS = 3000;
/** facts a part of the state sent to the checks worker holds, at most (see postState) */
const LOAD_PART = 5000;

const CHECKED_SETS = new Set([KUBE_ROUTER_POD_SUBNETS, KUBE_ROUTER_NODE_IPS]);

/**
 * Whether a fact matters to the checks: of the ipsets only kube-router's two that the expected
 * state covers (a node's service sets hold hundreds of churning members the checks never read).
 */
function checked(kind: FactKind, value: unknown): boolean {
  if (!CHECK_KINDS.includes(kind)) return false;
  if (kind !== 'ipset' && kind !== 'ipsetMember') return true;
  const v = value as { set?: string; name?: string } | null;
  const name = (kind === 'ipset' ? v?.name : v?.set) ?? '';
  return CHECKED_SETS.has(name.startsWith('inet6:') ? name.slice('inet6:'.length) : name);
}

@Injectable()
export class AlertEngine implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('alerts');
  readonly store: AlertStore;
  private worker: Worker | null = null;
  private loaded = false;
  private readonly changePoster = new ChangePoster<FactChange>((changes) => this.post({ type: 'changes', changes }));
  private loading: Promise<void> | null = null;
  private held: FactChange[] = [];
  private readonly nodes = new Map<string, NodeSignal>();
  /** nodes Kubernetes no longer has (deleted, or never had), since when (ms) */
  private readonly departed = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private evaluating = false;
  private dirty = true;
  private lastEval = Date.now();
  private nextId = 0;
  private readonly waiting = new Map<number, (m: Extract<FromChecksWorker, { type: 'evaluated' }>) => void>();
  private lastError: string | null = null;
  /** how long the last evaluation took in the worker (ms) */
  lastCheckMs = 0;
  /** the last checks' result and the inputs it was run on (checkInputs().key) */
  private lastChecks: { key: string; result: Extract<FromChecksWorker, { type: 'evaluated' }> } | null = null;
  /** evaluations that ran the checks, and those that reused the last result (tests, metrics) */
  readonly evaluations = { checked: 0, reused: 0 };
  /** no evaluation starts before this (ms since epoch): the worker shares 2 cores with ingest */
  private notBefore = 0;

  constructor(
    @Inject(AlertsRepository) alerts: AlertsRepository,
    @Inject(HistoryReader) private readonly history: HistoryReader,
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(ALERT_CONFIG) private readonly settings: AlertConfig,
    @Optional() @Inject(KubeWatcher) private readonly kube: KubeWatcher | null,
    @Optional() @Inject(NOTIFIER) private readonly notifier: AlertNotifier | null,
  ) {
    this.store = new AlertStore(alerts);
  }

  onModuleInit(): void {
    this.events.onChanges((changes) => this.onChanges(changes));
    this.events.onNodeEvent((event, status) => this.onNodeEvent(event, status));
    this.kube?.onNode((change, node) => {
      if (change === 'deleted') this.departed.set(node.name, Date.now());
      this.dirty = true;
    });
    // pods (their addresses are what each node must deliver), Calico's blocks and the source's health
    this.kube?.onPod(() => {
      this.dirty = true;
    });
    this.kube?.onBlockAffinity(() => {
      this.dirty = true;
    });
    this.kube?.onHealth(() => {
      this.dirty = true;
    });
    this.timer = setInterval(() => void this.tick(), this.settings.evalMs);
    this.timer.unref();
    void this.tick();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    void this.worker?.terminate();
    this.worker = null;
  }

  /**
   * Every expected-state finding now (from the worker's copy, with Kubernetes when watched) or at a
   * past moment (from the history, each node with facts then taken as live, as announced).
   */
  async checks(at: Date | null): Promise<ChecksResult> {
    if (at) {
      const state = await this.history.state(at, CHECK_KINDS);
      const { nodes, findings } = evaluateChecks(state, { live: [...state.keys()] });
      return { at: at.toISOString(), nodes, findings };
    }
    if (!(await this.ensureLoaded())) throw new ServiceUnavailableException('the current state cannot be loaded (is the database up?)');
    const result = await this.runChecks();
    if (result.error) throw new Error(`the expected-state checks failed: ${result.error}`);
    return { at: null, nodes: result.expected, findings: result.findings };
  }

  /** Runs one evaluation now (tests and the first tick). */
  async evaluateNow(): Promise<void> {
    this.dirty = true;
    await this.tick();
  }

  private onChanges(changes: readonly FactChange[]): void {
    const relevant = changes.filter((c) => checked(c.kind, c.after ?? c.before));
    if (!relevant.length) return;
    if (!this.loaded) for (const c of relevant) this.held.push(c); // (a spread of 100k+ overflows the stack)
    else this.changePoster.add(relevant);
    this.dirty = true;
  }

  private onNodeEvent(event: NodeEvent, status: NodeStatus): void {
    const known = this.nodes.get(event.node);
    if (!known || known.status !== status) this.nodes.set(event.node, { name: event.node, status, since: Date.parse(event.at) || Date.now() });
    this.dirty = true;
  }

  private async ensureLoaded(): Promise<boolean> {
    if (this.loaded) return true;
    this.loading ??= (async () => {
      this.held = [];
      if (!this.store.isLoaded) await this.store.load();
      for (const n of await this.history.nodes()) {
        if (!this.nodes.has(n.name)) this.nodes.set(n.name, { name: n.name, status: n.status, since: Date.parse(n.lastSeen) });
      }
      const state = await this.history.state(null, CHECK_KINDS);
      this.worker ??= this.startWorker();
      await this.postState(state);
      // the changes that came meanwhile, after the state and a thousand at a time
      this.changePoster.add(this.held);
      this.held = [];
      this.lastChecks = null;
      this.loaded = true;
    })().finally(() => {
      this.loading = null;
    });
    try {
      await this.loading;
      return true;
    } catch (error) {
      this.report(`cannot load the current state for the alert rules: ${(error as Error).message}`, error);
      return false;
    }
  }

  private startWorker(): Worker {
    const worker = startWorkerThread(import.meta.url, 'checks-worker');
    worker.unref();
    worker.on('message', (m: FromChecksWorker) => {
      if (m.type !== 'evaluated') return;
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
    worker.on('error', (error) => {
      this.log.error(`checks worker failed: ${error.message}; restarting it`);
      this.worker = null;
      this.loaded = false;
      this.lastChecks = null;
      for (const resolve of this.waiting.values()) resolve({ type: 'evaluated', id: -1, ms: 0, findings: [], totalFindings: 0, expected: [], evidence: { nodes: [], sessionsDown: [] }, error: error.message });
      this.waiting.clear();
    });
    return worker;
  }

  /**
   * The state to the worker in parts of at most LOAD_PART facts, one paced turn apart: a 1M-fact
   * state as one message was cloned in one 0.2 s block of the API's thread, with every
   * collector's ack waiting behind it.
   */
  private async postState(state: ReadonlyMap<string, readonly Fact[]>): Promise<void> {
    let part: Array<[string, Fact[]]> = [];
    let size = 0;
    let first = true;
    const send = async () => {
      this.post({ type: 'load', state: part, first });
      first = false;
      part = [];
      size = 0;
      await new Promise<void>((resolve) => nextPacedTurn(resolve));
    };
    for (const [node, all] of state) {
      const facts = all.filter((f) => checked(f.kind, f.value));
      if (facts.length === 0) part.push([node, []]);
      for (let i = 0; i < facts.length; i += LOAD_PART) {
        const slice = facts.slice(i, i + LOAD_PART);
        part.push([node, slice]);
        size += slice.length;
        if (size >= LOAD_PART) await send();
      }
    }
    if (part.length > 0 || first) await send();
  }

  private post(message: ToChecksWorker): void {
    // anything but changes goes after the changes queued before it, in order
    if (message.type !== 'changes') this.changePoster.after(() => this.worker?.postMessage(message));
    else this.worker?.postMessage(message);
  }

  /**
   * The nodes as the rules see them: with Kubernetes watched, a node it does not have (deleted, or
   * never there) has left the cluster, whatever its collector still says.
   */
  private nodeSignals(expected: readonly ExpectedNode[], now: number): NodeSignal[] {
    if (!(this.kube && this.kube.mode !== 'off' && this.kube.synced)) return [...this.nodes.values()];
    const members = new Set(expected.filter((e) => e.kubernetesName !== null).map((e) => e.name));
    return [...this.nodes.values()].map((n) => {
      if (members.has(n.name)) {
        this.departed.delete(n.name);
        return n;
      }
      if (!this.departed.has(n.name)) this.departed.set(n.name, now);
      return n.status === 'left' ? n : { ...n, status: 'left' as const, since: this.departed.get(n.name)! };
    });
  }

  /** What the checks read besides the worker's facts: the live nodes and what Kubernetes says. */
  private checkInputs(): { live: string[]; kubernetes: KubeInput | null; key: string } {
    const live = [...this.nodes.values()].filter((n) => n.status !== 'left' && !this.departed.has(n.name)).map((n) => n.name);
    const kube = this.kube;
    const kubernetes: KubeInput | null =
      kube && kube.mode !== 'off' && kube.synced
        ? {
            nodes: kube.nodes().map((n) => ({ name: n.name, addresses: n.internalIPs, podCidrs: n.podCIDRs })),
            pods: kube
              .pods()
              .filter((p) => !p.hostNetwork && p.phase === 'Running' && p.node !== '' && p.ips.length > 0)
              .map((p) => ({ namespace: p.namespace, name: p.name, node: p.node, ips: p.ips, hostNetwork: false, phase: p.phase }))
              .sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1)),
            blocks: kube.blockAffinities().map((b) => ({ node: b.node, cidr: b.cidr })),
          }
        : null;
    return { live, kubernetes, key: JSON.stringify([live, kubernetes]) };
  }

  /** The Kubernetes source for the rules: null when off. */
  private kubeSignal(): KubeSignal | null {
    if (!this.kube || this.kube.mode === 'off') return null;
    const h = this.kube.health();
    return h.state === 'off' ? null : { state: h.state, error: h.error, server: this.kube.server, since: Date.parse(h.since) || Date.now() };
  }

  private runChecks(inputs = this.checkInputs()): Promise<Extract<FromChecksWorker, { type: 'evaluated' }>> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.post({ type: 'evaluate', id, live: inputs.live, kubernetes: inputs.kubernetes });
    });
  }

  private async tick(): Promise<void> {
    if (this.evaluating) return;
    const pending = this.store.hasPending();
    const leftRecently = [...this.nodes.values()].some((n) => n.status === 'left' && Date.now() - n.since < this.settings.nodeLeftShowMs + 5000);
    if (!this.dirty && !pending && !leftRecently && this.loaded) return;
    if (Date.now() < this.notBefore) return;
    this.evaluating = true;
    const started = Date.now();
    try {
      if (!(await this.ensureLoaded())) return;
      const now = new Date();
      const inputs = this.checkInputs();
      let result: Extract<FromChecksWorker, { type: 'evaluated' }>;
      if (!this.dirty && this.lastChecks?.key === inputs.key) {
        // nothing the checks read has changed since the last run (only pending alerts or a
        // departed node's display time move on): the same findings, without the worker. Re-running
        // them kept a fifth of a core busy on an idle 200-node cluster with pending alerts.
        result = this.lastChecks.result;
        this.evaluations.reused += 1;
      } else {
        this.evaluations.checked += 1;
        this.dirty = false;
        this.lastChecks = null;
        result = await this.runChecks(inputs);
        if (result.error) {
          this.report(`the expected-state checks failed: ${result.error}`);
          this.dirty = true;
          return;
        }
        this.lastCheckMs = result.ms;
        this.lastChecks = { key: inputs.key, result };
        // (said once per run of the checks, not again for every evaluation of the same findings)
        if (result.totalFindings > result.findings.length) {
          this.report(`${result.totalFindings} expected-state findings; the rules see the first ${result.findings.length} (is the cluster this broken, or are nodes missing from it?)`);
        }
      }
      const conditions = evaluateRules({
        now: now.getTime(),
        nodes: this.nodeSignals(result.expected, now.getTime()),
        findings: result.findings,
        expected: result.expected,
        evidence: result.evidence,
        kubernetes: this.kubeSignal(),
        nodeLeftShowMs: this.settings.nodeLeftShowMs,
      });
      // the changes that caused (or cleared) what is new came since the previous evaluation
      const window = { from: new Date(this.lastEval - 2000).toISOString(), to: now.toISOString() };
      const notifier = this.notifier;
      const { transitions } = await this.store.apply(
        conditions,
        now,
        this.settings.forMs,
        window,
        notifier ? (client, notice) => notifier.enqueue(client, notice) : null,
      );
      this.lastEval = now.getTime();
      this.lastError = null;
      if (transitions.length) {
        for (const t of transitions) if (t.to !== 'pending' && t.from !== t.to) this.log.log(`${t.to}: ${t.alert.fingerprint}: ${t.alert.summary}`);
        this.events.alerts(transitions);
        notifier?.kick();
      }
    } catch (error) {
      this.dirty = true;
      this.report(`alert evaluation failed: ${(error as Error).message}`, error);
    } finally {
      this.evaluating = false;
      // at most a tenth of a core: idle nine times as long as the evaluation took (ingest and
      // Postgres share this 2-core machine; at 200 nodes under heavy churn an evaluation takes
      // ~0.4 s, so the rules run every ~4 s there; on a small cluster every NETATLAS_ALERT_EVAL_MS)
      // (capped, so that one slow evaluation never delays the next by more than 3 s)
      this.notBefore = Date.now() + Math.min(MAX_BACKOFF_MS, 9 * (Date.now() - started));
    }
  }

  private report(message: string, error?: unknown): void {
    if (message === this.lastError) return;
    this.lastError = message;
    if (error && isDatabaseUnavailable(error)) this.log.warn(message);
    else this.log.error(message);
  }
}
