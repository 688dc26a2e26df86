// Runs the alert rules (rules.ts) every NETATLAS_ALERT_EVAL_MS while anything changed or an alert is
// pending: the expected-state checks run over the current state (state/current-state.ts, in its
// worker thread); node statuses come from the node events; Kubernetes nodes, when watched, say which
// pod CIDR each node should be reached by.
import { Inject, Injectable, Logger, Optional, ServiceUnavailableException, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ChecksResult, ExpectedNode, FactChange, NodeEvent, NodeStatus } from '@netatlas/wire';
import { ALERT_CONFIG, type AlertConfig } from './alert-config.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { AlertsRepository } from '../db/repositories/alerts.repository.js';
import { HistoryReader } from '../db/repositories/history/history-reader.js';
import { KubeWatcher } from '../kube/kube-watcher.js';
import { EventBus } from '../realtime/event-bus.js';
import { NOTIFIER, type AlertNotifier } from '../notify/notice.js';
import { checksFailed, type ChecksRun, type KubeInput } from '../state/checks-run.js';
import { CurrentState } from '../state/current-state.js';
import { held } from '../state/state-kinds.js';
import { AlertStore } from './alert-store.js';
import { evaluateRules, type KubeSignal, type NodeSignal } from './rules.js';

/** the longest pause between two evaluations that the CPU budget may impose, unless an evaluation takes longer than half of it */
const MAX_BACKOFF_MS = 3000;

@Injectable()
export class AlertEngine implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('alerts');
  readonly store: AlertStore;
  private loaded = false;
  private loading: Promise<void> | null = null;
  private readonly nodes = new Map<string, NodeSignal>();
  /** nodes Kubernetes no longer has (deleted, or never had), since when (ms) */
  private readonly departed = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private evaluating = false;
  private dirty = true;
  private lastEval = Date.now();
  private lastError: string | null = null;
  /** how long the last evaluation took in the worker (ms) */
  lastCheckMs = 0;
  /** the last checks' result and the inputs it was run on (checkInputs().key) */
  private lastChecks: { key: string; result: ChecksRun } | null = null;
  /** evaluations that ran the checks, and those that reused the last result; the checks' time in all (tests, metrics, bench) */
  readonly evaluations = { checked: 0, reused: 0, checkMs: 0 };
  /** no evaluation starts before this (ms since epoch): the worker shares 2 cores with ingest */
  private notBefore = 0;

  constructor(
    @Inject(AlertsRepository) alerts: AlertsRepository,
    @Inject(HistoryReader) private readonly history: HistoryReader,
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(CurrentState) private readonly state: CurrentState,
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
  }

  /**
   * Every expected-state finding now (from the current state, with Kubernetes when watched) or at a
   * past moment (the state then, read in the current state's worker; each node with facts then taken as live, as announced).
   */
  async checks(at: Date | null): Promise<ChecksResult> {
    if (at) {
      // read and run in the current state's worker: at 1000 nodes a whole state parsed and every
      // pair of nodes walked, which held this event loop for seconds
      const result = await this.state.evaluateAt(at);
      if (result.error) throw new Error(`the expected-state checks failed: ${result.error}`);
      return { at: at.toISOString(), nodes: result.expected, findings: result.findings };
    }
    if (!(await this.ensureLoaded()) || !(await this.state.ready())) throw new ServiceUnavailableException('the current state cannot be loaded (is the database up?)');
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
    // (the current state keeps the facts; a change the checks read means they run again)
    if (changes.some((c) => held(c.kind, c.after ?? c.before))) this.dirty = true;
  }

  private onNodeEvent(event: NodeEvent, status: NodeStatus): void {
    const known = this.nodes.get(event.node);
    if (!known || known.status !== status) this.nodes.set(event.node, { name: event.node, status, since: Date.parse(event.at) || Date.now() });
    this.dirty = true;
  }

  /** The alerts as stored and the nodes' statuses, once (the facts are the current state's). */
  private async ensureLoaded(): Promise<boolean> {
    if (this.loaded) return true;
    this.loading ??= (async () => {
      if (!this.store.isLoaded) await this.store.load();
      for (const n of await this.history.nodes()) {
        if (!this.nodes.has(n.name)) this.nodes.set(n.name, { name: n.name, status: n.status, since: Date.parse(n.lastSeen) });
      }
      this.loaded = true;
    })().finally(() => {
      this.loading = null;
    });
    try {
      await this.loading;
      return true;
    } catch (error) {
      this.report(`cannot load the alerts and nodes for the alert rules: ${(error as Error).message}`, error);
      return false;
    }
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

  /** What the checks read besides the current facts: the live nodes and what Kubernetes says. */
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
    // a reload of the state (its worker failed, or the database was away) may find otherwise
    return { live, kubernetes, key: JSON.stringify([this.state.loads, live, kubernetes]) };
  }

  /** The Kubernetes source for the rules: null when off. */
  private kubeSignal(): KubeSignal | null {
    if (!this.kube || this.kube.mode === 'off') return null;
    const h = this.kube.health();
    return h.state === 'off' ? null : { state: h.state, error: h.error, server: this.kube.server, since: Date.parse(h.since) || Date.now() };
  }

  private async runChecks(inputs = this.checkInputs()): Promise<ChecksRun> {
    try {
      return await this.state.evaluate(inputs.live, inputs.kubernetes);
    } catch (error) {
      return checksFailed((error as Error).message);
    }
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
      if (!(await this.ensureLoaded()) || !(await this.state.ready())) return;
      const now = new Date();
      const inputs = this.checkInputs();
      let result: ChecksRun;
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
        this.evaluations.checkMs += result.ms;
        this.lastChecks = { key: inputs.key, result };
        // (said once per run of the checks, not again for every evaluation of the same findings)
        if (result.truncated) {
          this.report(`more than ${result.findings.length} expected-state findings: the checks stopped there, and the rules see those (is the cluster this broken, or are nodes missing from it?)`);
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
      // ~0.4 s, so the rules run every ~4 s there; on a small cluster every NETATLAS_ALERT_EVAL_MS),
      // capped at 3 s so that the next is not long delayed; but never less than twice the
      // evaluation, so an evaluation of seconds (5000 nodes: 6 s and more under load) takes at most
      // a third of a core rather than all of one while a herd of collectors resyncs
      const took = Date.now() - started;
      this.notBefore = Date.now() + Math.min(9 * took, Math.max(MAX_BACKOFF_MS, 2 * took));
    }
  }

  private report(message: string, error?: unknown): void {
    if (message === this.lastError) return;
    this.lastError = message;
    if (error && isDatabaseUnavailable(error)) this.log.warn(message);
    else this.log.error(message);
  }
}
