// Watches Kubernetes Nodes and Pods (all namespaces) with @kubernetes/client-node informers and keeps
// what netatlas needs of them in memory: nodes {name, InternalIPs, podCIDRs, Ready, labels} and pods
// {namespace/name, IPs, node, phase}. Other parts of the API listen for changes (onNode, onPod), and
// match collector nodes to Kubernetes nodes (by name, else by InternalIP) and IPs to pods.
//
// The informer (client-node's ListWatch) lists, then watches from the list's resourceVersion, and
// keeps the last resourceVersion it saw (events and BOOKMARKs, which this watcher asks for). When a
// watch ends cleanly (the server's watch timeout) it watches again from there; when the server says
// 410 Gone it relists, and objects missing from the new list are reported deleted. When a list or a
// watch fails (a dropped connection, an unreachable or refusing server) the informer stops; this
// watcher starts it again after a back-off, and it resumes from the resourceVersion it holds, so
// nothing is relisted unless the server asks for it.
import { CoreV1Api, ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { buildKubeConfig, kubeServer, type KubeClientOptions, type KubeClientSettings } from './kube-client.js';
import { bareIp, kubeNodeOf, kubePodOf, type KubeChange, type KubeMode, type KubeNode, type KubePod, type KubeStatus } from './kube-types.js';

export interface KubeWatcherOptions extends KubeClientOptions {
  /** the first retry after a failure; doubles up to maxBackoffMs (with ±20% jitter) */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** a watch open this long counts as recovered (failures reset) even without events */
  healthyAfterMs?: number;
  logger?: Pick<Logger, 'log' | 'warn' | 'error' | 'debug'>;
}

export type NodeListener = (change: KubeChange, node: KubeNode, previous: KubeNode | null) => void;
export type PodListener = (change: KubeChange, pod: KubePod, previous: KubePod | null) => void;
/** A successful list of the nodes: the first of this process, or a relist after 410 Gone (or a failed list). */
export type NodesListedListener = (nodes: KubeNode[], first: boolean) => void;

type Log = NonNullable<KubeWatcherOptions['logger']>;

const PHASE_RANK: Record<string, number> = { Running: 0, Pending: 1, Unknown: 2 };

export class KubeWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  readonly mode: KubeMode;
  readonly server: string | null;
  private readonly kc: KubeConfig | null;
  private readonly log: Log;
  private nodeStream: ResourceStream<V1Node, KubeNode> | null = null;
  private podStream: ResourceStream<V1Pod, KubePod> | null = null;
  private readonly nodeListeners = new Set<NodeListener>();
  private readonly podListeners = new Set<PodListener>();
  private readonly listedListeners = new Set<NodesListedListener>();
  private readonly syncWaiters: Array<() => void> = [];
  /** InternalIP -> node name */
  private readonly nodeByIp = new Map<string, string>();
  /** pod IP -> pod keys (namespace/name); host-network pods are not indexed */
  private readonly podsByIp = new Map<string, Set<string>>();
  private started = false;
  private stopped = false;

  constructor(
    settings: KubeClientSettings,
    private readonly options: KubeWatcherOptions = {},
  ) {
    this.mode = settings.kubernetes;
    this.log = options.logger ?? new Logger('kubernetes');
    this.kc = buildKubeConfig(settings, options);
    this.server = kubeServer(this.kc);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Starts both informers (without waiting for them); nothing happens when Kubernetes is off. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (!this.kc) {
      this.log.log('Kubernetes is off (NETATLAS_KUBERNETES, KUBECONFIG): no Nodes or Pods are watched');
      return;
    }
    const kc = this.kc;
    const api = kc.makeApiClient(CoreV1Api);
    this.log.log(`watching Nodes and Pods at ${this.server} (${this.mode === 'in-cluster' ? 'in-cluster service account' : 'kubeconfig'})`);
    const settings = { backoffMs: this.options.backoffMs ?? 500, maxBackoffMs: this.options.maxBackoffMs ?? 30_000, healthyAfterMs: this.options.healthyAfterMs ?? 5000 };
    this.nodeStream = new ResourceStream<V1Node, KubeNode>({
      resource: 'nodes',
      kc,
      path: '/api/v1/nodes',
      list: () => api.listNode(),
      convert: kubeNodeOf,
      key: (n) => n.name,
      log: this.log,
      ...settings,
      onChange: (change, node, previous) => this.nodeChanged(change, node, previous),
      onListed: (nodes, first) => {
        for (const l of this.listedListeners) this.call(() => l(nodes, first));
        this.checkSynced();
      },
    });
    this.podStream = new ResourceStream<V1Pod, KubePod>({
      resource: 'pods',
      kc,
      path: '/api/v1/pods',
      list: () => api.listPodForAllNamespaces(),
      convert: kubePodOf,
      key: (p) => `${p.namespace}/${p.name}`,
      log: this.log,
      ...settings,
      onChange: (change, pod, previous) => this.podChanged(change, pod, previous),
      onListed: () => this.checkSynced(),
    });
    this.nodeStream.start();
    this.podStream.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.nodeStream?.stop(), this.podStream?.stop()]);
  }

  /** Both informers have listed at least once (it stays true while they recover from failures). */
  get synced(): boolean {
    return !!this.nodeStream?.listed && !!this.podStream?.listed;
  }

  /** The last failure of either informer while it has not recovered. */
  get error(): string | null {
    const errors = [this.nodeStream?.error, this.podStream?.error].filter((e): e is string => !!e);
    return errors.length ? errors.join('; ') : null;
  }

  /** Resolves once synced; rejects after `timeoutMs`, or at once when Kubernetes is off. */
  whenSynced(timeoutMs = 30_000): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (!this.kc) return Promise.reject(new Error('Kubernetes is off'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Kubernetes not synced after ${timeoutMs} ms${this.error ? `: ${this.error}` : ''}`)), timeoutMs);
      timer.unref?.();
      this.syncWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  status(): KubeStatus {
    return {
      mode: this.mode,
      server: this.server,
      synced: this.synced,
      error: this.error,
      resourceVersions: { nodes: this.nodeStream?.resourceVersion ?? '', pods: this.podStream?.resourceVersion ?? '' },
      nodes: this.nodes(),
      pods: this.pods(),
    };
  }

  /** Every node, by name. */
  nodes(): KubeNode[] {
    return [...(this.nodeStream?.items.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Every pod, by namespace and name. */
  pods(): KubePod[] {
    return [...(this.podStream?.items.values() ?? [])].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  node(name: string): KubeNode | null {
    return this.nodeStream?.items.get(name) ?? null;
  }

  /**
   * The Kubernetes node of a collector node: the one with the same name, else the one with an
   * InternalIP among `addresses` (plain IPs or CIDR notation).
   */
  k8sNodeFor(collectorNodeName: string, addresses: readonly string[] = []): KubeNode | null {
    const byName = this.node(collectorNodeName);
    if (byName) return byName;
    for (const address of addresses) {
      const name = this.nodeByIp.get(bareIp(address));
      if (name) return this.node(name);
    }
    return null;
  }

  /** The node whose InternalIP this is. */
  nodeByInternalIp(ip: string): KubeNode | null {
    const name = this.nodeByIp.get(bareIp(ip));
    return name ? this.node(name) : null;
  }

  /**
   * The pod that has this IP (host-network pods, whose IP is their node's, are not counted). When a
   * finished pod still holds an IP that a newer pod got, the running or pending one wins.
   */
  /** Every pod IP (host-network pods left out) with its pod's namespace and name: running pods win. */
  podNamesByIp(): Map<string, { namespace: string; name: string }> {
    const out = new Map<string, { namespace: string; name: string; running: boolean }>();
    for (const p of this.pods()) {
      if (p.hostNetwork) continue;
      const running = p.phase === 'Running';
      for (const ip of new Set([p.ip, ...p.ips].filter(Boolean))) {
        const seen = out.get(ip);
        if (!seen || (running && !seen.running)) out.set(ip, { namespace: p.namespace, name: p.name, running });
      }
    }
    return new Map([...out].map(([ip, { namespace, name }]) => [ip, { namespace, name }]));
  }

  podByIp(ip: string): KubePod | null {
    const keys = this.podsByIp.get(bareIp(ip));
    if (!keys || !this.podStream) return null;
    let best: KubePod | null = null;
    for (const key of keys) {
      const pod = this.podStream.items.get(key);
      if (!pod) continue;
      if (!best || (PHASE_RANK[pod.phase] ?? 3) < (PHASE_RANK[best.phase] ?? 3)) best = pod;
    }
    return best;
  }

  /** Listens to node changes (added also for every node of the first list); returns the unsubscribe. */
  onNode(listener: NodeListener): () => void {
    this.nodeListeners.add(listener);
    return () => this.nodeListeners.delete(listener);
  }

  onPod(listener: PodListener): () => void {
    this.podListeners.add(listener);
    return () => this.podListeners.delete(listener);
  }

  /** Listens to successful node lists (called after the list's objects were reported). */
  onNodesListed(listener: NodesListedListener): () => void {
    this.listedListeners.add(listener);
    return () => this.listedListeners.delete(listener);
  }

  // ---------------------------------------------------------------- internals

  private nodeChanged(change: KubeChange, node: KubeNode, previous: KubeNode | null): void {
    for (const ip of previous?.internalIPs ?? []) if (this.nodeByIp.get(bareIp(ip)) === node.name) this.nodeByIp.delete(bareIp(ip));
    if (change !== 'deleted') for (const ip of node.internalIPs) this.nodeByIp.set(bareIp(ip), node.name);
    for (const l of this.nodeListeners) this.call(() => l(change, node, previous));
  }

  private podChanged(change: KubeChange, pod: KubePod, previous: KubePod | null): void {
    const key = `${pod.namespace}/${pod.name}`;
    for (const ip of previous?.ips ?? []) {
      const set = this.podsByIp.get(bareIp(ip));
      set?.delete(key);
      if (set?.size === 0) this.podsByIp.delete(bareIp(ip));
    }
    if (change !== 'deleted' && !pod.hostNetwork) {
      for (const ip of pod.ips) {
        const set = this.podsByIp.get(bareIp(ip)) ?? new Set<string>();
        set.add(key);
        this.podsByIp.set(bareIp(ip), set);
      }
    }
    for (const l of this.podListeners) this.call(() => l(change, pod, previous));
  }

  private checkSynced(): void {
    if (!this.synced) return;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private call(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.log.error(`a Kubernetes listener failed: ${(error as Error).stack ?? String(error)}`);
    }
  }
}

interface StreamSettings<T extends KubernetesObject, R> {
  resource: 'nodes' | 'pods';
  kc: KubeConfig;
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  convert: (object: T) => R;
  key: (record: R) => string;
  log: Log;
  backoffMs: number;
  maxBackoffMs: number;
  healthyAfterMs: number;
  onChange: (change: KubeChange, record: R, previous: R | null) => void;
  onListed: (records: R[], first: boolean) => void;
}

/** One informer, its records, and its restarts. */
class ResourceStream<T extends KubernetesObject, R> {
  readonly items = new Map<string, R>();
  listed = false;
  error: string | null = null;
  private readonly informer: ListWatch<T>;
  private readonly watch: TrackingWatch;
  private lists = 0;
  /** failures since the informer last worked (a list, an event, or a watch open for a while) */
  private failures = 0;
  private lastLogged: string | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private healthyTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private pendingList: { records: R[]; first: boolean } | null = null;

  constructor(private readonly s: StreamSettings<T, R>) {
    this.watch = new TrackingWatch(s.kc, {
      starting: () => this.beforeWatch(),
      event: () => this.healthy(),
      connected: () => {
        if (this.healthyTimer) clearTimeout(this.healthyTimer);
        this.healthyTimer = setTimeout(() => this.healthy(), s.healthyAfterMs);
        this.healthyTimer.unref?.();
      },
      closed: () => {
        if (this.healthyTimer) clearTimeout(this.healthyTimer);
        this.healthyTimer = null;
      },
    });
    this.informer = new ListWatch<T>(s.path, this.watch, () => this.listOnce(), false);
    this.informer.on('add', (o) => this.upsert(o, 'added'));
    this.informer.on('update', (o) => this.upsert(o, 'modified'));
    this.informer.on('delete', (o) => {
      const record = s.convert(o);
      const key = s.key(record);
      const previous = this.items.get(key) ?? null;
      this.items.delete(key);
      s.onChange('deleted', record, previous);
    });
    this.informer.on('connect', () => {
      const rv = this.informer.latestResourceVersion();
      if (rv) s.log.debug?.(`${s.resource}: watching from resourceVersion ${rv}`);
      else if (this.lists > 0 && this.failures === 0) s.log.log(`${s.resource}: relisting (410 Gone: the server no longer has the history from our resourceVersion)`);
    });
    this.informer.on('error', (error) => this.failed(error));
  }

  get resourceVersion(): string {
    return this.informer.latestResourceVersion();
  }

  start(): void {
    this.informer.start().catch((error: unknown) => this.failed(error));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    this.watch.close();
    await this.informer.stop();
  }

  private async listOnce(): Promise<KubernetesListObject<T>> {
    const list = await this.s.list();
    if (this.stopped) throw new StoppedError();
    const first = this.lists === 0;
    this.lists++;
    this.s.log.log(`${this.s.resource}: ${first ? 'listed' : 'relisted'} ${list.items.length} at resourceVersion ${list.metadata?.resourceVersion ?? ''}`);
    this.healthy();
    // reported once the informer has taken the list in (it watches right after)
    this.pendingList = { records: list.items.map((o) => this.s.convert(o)), first };
    return list;
  }

  /** The informer has applied its list and starts watching. */
  private beforeWatch(): void {
    const pending = this.pendingList;
    if (!pending) return;
    this.pendingList = null;
    this.listed = true;
    this.s.onListed(pending.records, pending.first);
  }

  private upsert(object: T, change: 'added' | 'modified'): void {
    const record = this.s.convert(object);
    const key = this.s.key(record);
    const previous = this.items.get(key) ?? null;
    this.items.set(key, record);
    this.s.onChange(previous ? 'modified' : change, record, previous);
  }

  private healthy(): void {
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    this.healthyTimer = null;
    if (this.failures > 0) this.s.log.log(`${this.s.resource}: recovered after ${this.failures} failure(s)`);
    this.failures = 0;
    this.error = null;
    this.lastLogged = null;
  }

  private failed(error: unknown): void {
    if (this.stopped || error instanceof StoppedError) return;
    this.failures++;
    const message = describeError(error);
    this.error = message;
    const delay = Math.round(Math.min(this.s.maxBackoffMs, this.s.backoffMs * 2 ** (this.failures - 1)) * (0.8 + Math.random() * 0.4));
    const rv = this.informer.latestResourceVersion();
    const line = `${this.s.resource}: ${message}; ${rv ? `resuming from resourceVersion ${rv}` : 'listing again'} in ${delay} ms`;
    // the first failure of a streak, a different one, and every 10th are worth a warning; the rest is noise
    if (message !== this.lastLogged || this.failures % 10 === 0) {
      this.s.log.warn(this.failures > 1 ? `${line} (failure ${this.failures})` : line);
      this.lastLogged = message;
    } else {
      this.s.log.debug?.(line);
    }
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopped) this.start();
    }, delay);
    this.restartTimer.unref?.();
  }
}

class StoppedError extends Error {
  constructor() {
    super('stopped');
  }
}

/**
 * client-node's Watch, asking for BOOKMARKs (so a quiet watch still moves its resourceVersion on
 * and resumes without a relist), telling the stream when a watch is open, sees an event or ends,
 * and closing every open watch on stop (ListWatch.stop() misses one whose request is in flight).
 */
class TrackingWatch extends Watch {
  private readonly open = new Set<AbortController>();
  private closed = false;

  constructor(
    config: KubeConfig,
    private readonly hooks: { starting(): void; event(): void; connected(): void; closed(): void },
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.hooks.starting();
    if (this.closed) {
      done(new StoppedError());
      return new AbortController();
    }
    let controller: AbortController | null = null;
    let finished = false;
    controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      (phase, object, raw) => {
        this.hooks.event();
        callback(phase, object, raw);
      },
      (err) => {
        finished = true;
        if (controller) this.open.delete(controller);
        this.hooks.closed();
        done(err);
      },
    );
    if (this.closed) controller.abort();
    else if (!finished) {
      this.open.add(controller);
      this.hooks.connected();
    }
    return controller;
  }

  close(): void {
    this.closed = true;
    for (const c of this.open) c.abort();
    this.open.clear();
  }
}

/** A failure in one line: the HTTP status and the server's message when there is one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & { code?: unknown; statusCode?: unknown; body?: unknown };
  const status = typeof e.statusCode === 'number' ? e.statusCode : typeof e.code === 'number' ? e.code : null;
  if (status !== null) {
    let detail = e.message.split('\n')[0] ?? '';
    let body = e.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // not JSON
      }
    }
    if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') detail = (body as { message: string }).message;
    if (detail.startsWith('HTTP-Code:')) detail = '';
    return truncate(`HTTP ${status}${detail ? ` ${detail}` : ''}`);
  }
  return truncate(e.message.replace(/\s+/g, ' '));
}

const truncate = (s: string) => (s.length > 300 ? `${s.slice(0, 297)}...` : s);
