// Watches Kubernetes Nodes, Pods (all namespaces) and Calico's IPAM block affinities with
// @kubernetes/client-node informers (resource-stream.ts) and keeps what netatlas needs of them in
// memory: nodes {name, InternalIPs, podCIDRs, Ready, labels}, pods {namespace/name, IPs, node, phase}
// and blocks {node, cidr, state}. Other parts of the API listen for changes (onNode, onPod,
// onBlockAffinity), match collector nodes to Kubernetes nodes (by name, else by InternalIP) and IPs
// to pods, and follow the source's health (health(), onHealth).
//
// Block affinities exist only where Calico keeps its IPAM in Kubernetes (its CRD,
// blockaffinities.crd.projectcalico.org): a cluster without the CRD answers 404, which is not a
// failure; blocks are then absent, and the CRD is looked for again every few minutes.
//
// Health: `syncing` until every informer listed once (block affinities: or found absent), then
// `synced`; `failing` while an informer fails (see ResourceStream.failing), with what fails per
// resource. Failures are retried for ever with back-off; what was last listed stays in memory
// meanwhile (health() says whether it is current).
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { KubernetesHealth, KubernetesHealthState } from '@netatlas/wire';
import { apiClient, buildKubeConfig, kubeServer, plainHttpWarning, type KubeClientOptions, type KubeClientSettings } from './kube-client.js';
import {
  bareIp,
  isActiveBlock,
  kubeBlockAffinityOf,
  kubeNodeOf,
  kubePodOf,
  type BlockAffinityObject,
  type KubeBlockAffinity,
  type KubeChange,
  type KubeCrdState,
  type KubeMode,
  type KubeNode,
  type KubePod,
  type KubeStatus,
} from './kube-types.js';
import { ResourceStream, type Log } from './resource-stream.js';

export { describeError } from './resource-stream.js';

export interface KubeWatcherOptions extends KubeClientOptions {
  /** the first retry after a failure; doubles up to maxBackoffMs (with ±20% jitter) */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** a watch open this long counts as recovered (failures reset) even without events */
  healthyAfterMs?: number;
  /** a list that has not answered after this long fails (default 60 s) */
  listTimeoutMs?: number;
  /** the server ends each watch after this many seconds, jittered up to twice as many (default 300) */
  watchTimeoutS?: number;
  /** a watch still open this long after its timeout lost its connection and is dropped (default 30 s) */
  watchGraceMs?: number;
  /** how often a cluster without Calico's block affinities CRD is asked again (default 5 min) */
  crdRecheckMs?: number;
  logger?: Log;
}

export type NodeListener = (change: KubeChange, node: KubeNode, previous: KubeNode | null) => void;
export type PodListener = (change: KubeChange, pod: KubePod, previous: KubePod | null) => void;
export type BlockAffinityListener = (change: KubeChange, block: KubeBlockAffinity, previous: KubeBlockAffinity | null) => void;
/** A successful list of the nodes: the first of this process, or a relist after 410 Gone (or a failed list). */
export type NodesListedListener = (nodes: KubeNode[], first: boolean) => void;
/** The health's state or error changed (not called for lastSyncAt alone, which moves while synced). */
export type HealthListener = (health: KubernetesHealth, previous: KubernetesHealth) => void;

const PHASE_RANK: Record<string, number> = { Running: 0, Pending: 1, Unknown: 2 };

/** Calico's IPAM block affinities: a cluster-scoped CRD. */
export const BLOCK_AFFINITIES = { group: 'crd.projectcalico.org', version: 'v1', plural: 'blockaffinities' } as const;

export class KubeWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  readonly mode: KubeMode;
  readonly server: string | null;
  private readonly kc: KubeConfig | null;
  private readonly log: Log;
  private nodeStream: ResourceStream<V1Node, KubeNode> | null = null;
  private podStream: ResourceStream<V1Pod, KubePod> | null = null;
  private blockStream: ResourceStream<BlockAffinityObject, KubeBlockAffinity> | null = null;
  private readonly nodeListeners = new Set<NodeListener>();
  private readonly podListeners = new Set<PodListener>();
  private readonly blockListeners = new Set<BlockAffinityListener>();
  private readonly listedListeners = new Set<NodesListedListener>();
  private readonly healthListeners = new Set<HealthListener>();
  private readonly syncWaiters: Array<() => void> = [];
  /** InternalIP -> node name */
  private readonly nodeByIp = new Map<string, string>();
  /** pod IP -> pod keys (namespace/name); host-network pods are not indexed */
  private readonly podsByIp = new Map<string, Set<string>>();
  private started = false;
  private stopped = false;
  private state: { state: KubernetesHealthState; error: string | null; since: Date };
  /** when the source last stopped being synced (while synced, health() says now) */
  private lastSync: Date | null = null;

  constructor(
    settings: KubeClientSettings,
    private readonly options: KubeWatcherOptions = {},
  ) {
    this.mode = settings.kubernetes;
    this.log = options.logger ?? new Logger('kubernetes');
    this.kc = buildKubeConfig(settings, options);
    this.server = kubeServer(this.kc);
    this.state = { state: this.kc ? 'syncing' : 'off', error: null, since: new Date() };
  }

  /** The connection's configuration (null: Kubernetes is off), for the other Kubernetes clients of the API. */
  get kubeConfig(): KubeConfig | null {
    return this.kc;
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Starts the informers (without waiting for them); nothing happens when Kubernetes is off. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (!this.kc) {
      this.log.log('Kubernetes is off (NETATLAS_KUBERNETES, KUBECONFIG): no Nodes or Pods are watched');
      return;
    }
    const kc = this.kc;
    const o = this.options;
    const core = apiClient(kc, CoreV1Api, o.listTimeoutMs ?? 60_000);
    const custom = apiClient(kc, CustomObjectsApi, o.listTimeoutMs ?? 60_000);
    this.log.log(
      `watching Nodes, Pods and Calico block affinities at ${this.server} (${this.mode === 'in-cluster' ? 'in-cluster service account' : 'kubeconfig'})`,
    );
    const warning = plainHttpWarning(kc);
    if (warning) this.log.warn(warning);
    const settings = {
      kc,
      log: this.log,
      backoffMs: o.backoffMs ?? 500,
      maxBackoffMs: o.maxBackoffMs ?? 30_000,
      healthyAfterMs: o.healthyAfterMs ?? 5000,
      watchTimeoutS: o.watchTimeoutS ?? 300,
      watchGraceMs: o.watchGraceMs ?? 30_000,
      onState: () => this.updateHealth(),
    };
    this.nodeStream = new ResourceStream<V1Node, KubeNode>({
      ...settings,
      resource: 'nodes',
      path: '/api/v1/nodes',
      list: () => core.listNode(),
      convert: kubeNodeOf,
      key: (n) => n.name,
      onChange: (change, node, previous) => this.nodeChanged(change, node, previous),
      onListed: (nodes, first) => {
        for (const l of this.listedListeners) this.call(() => l(nodes, first));
      },
    });
    this.podStream = new ResourceStream<V1Pod, KubePod>({
      ...settings,
      resource: 'pods',
      path: '/api/v1/pods',
      list: () => core.listPodForAllNamespaces(),
      convert: kubePodOf,
      key: (p) => `${p.namespace}/${p.name}`,
      onChange: (change, pod, previous) => this.podChanged(change, pod, previous),
      onListed: () => undefined,
    });
    const { group, version, plural } = BLOCK_AFFINITIES;
    this.blockStream = new ResourceStream<BlockAffinityObject, KubeBlockAffinity>({
      ...settings,
      resource: plural,
      path: `/apis/${group}/${version}/${plural}`,
      list: async () => (await custom.listClusterCustomObject({ group, version, plural })) as KubernetesListObject<BlockAffinityObject>,
      convert: kubeBlockAffinityOf,
      key: (b) => b.name,
      optional: { recheckMs: o.crdRecheckMs ?? 300_000 },
      onChange: (change, block, previous) => {
        for (const l of this.blockListeners) this.call(() => l(change, block, previous));
      },
      onListed: () => undefined,
    });
    for (const stream of this.streams()) stream.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.streams().map((s) => s.stop()));
  }

  /** Every informer has listed at least once (it stays true while they recover from failures). */
  get synced(): boolean {
    const streams = this.streams();
    return streams.length > 0 && streams.every((s) => s.ready);
  }

  /** The current failure of each informer that has not recovered, by resource. */
  get error(): string | null {
    const errors = this.streamEntries()
      .filter(([, s]) => s.error)
      .map(([name, s]) => `${name}: ${s.error}`);
    return errors.length ? errors.join('; ') : null;
  }

  /**
   * The source's health: `off` (not configured), `syncing` (not yet listed everything), `synced`, or
   * `failing` (what fails in `error`). `since`: when this state began; `lastSyncAt`: now while
   * synced, else when it was last synced (null if never).
   */
  health(): KubernetesHealth {
    const { state, error, since } = this.state;
    const lastSyncAt = state === 'synced' ? new Date() : this.lastSync;
    return { state, error, since: since.toISOString(), lastSyncAt: lastSyncAt?.toISOString() ?? null };
  }

  /** Listens to changes of the health's state or error; returns the unsubscribe. */
  onHealth(listener: HealthListener): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
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
      health: this.health(),
      resourceVersions: {
        nodes: this.nodeStream?.resourceVersion ?? '',
        pods: this.podStream?.resourceVersion ?? '',
        blockaffinities: this.blockStream?.resourceVersion ?? '',
      },
      nodes: this.nodes(),
      pods: this.pods(),
      blockAffinitiesCrd: this.blockAffinitiesCrd,
      blockAffinities: this.allBlockAffinities(),
    };
  }

  /** Whether the cluster serves Calico's block affinities: unknown until asked (or while failing to). */
  get blockAffinitiesCrd(): KubeCrdState {
    if (this.blockStream?.absent) return 'absent';
    return this.blockStream?.listed ? 'installed' : 'unknown';
  }

  /**
   * The Calico IPAM blocks each node holds now: confirmed, not being deleted, host affinities; by
   * node, then CIDR. Empty when the cluster has no block affinities (no Calico, or Calico with its
   * own etcd), before the first list, and when Kubernetes is off.
   */
  blockAffinities(): KubeBlockAffinity[] {
    return this.allBlockAffinities().filter(isActiveBlock);
  }

  /** Every block affinity held, whatever its state, by node then CIDR. */
  allBlockAffinities(): KubeBlockAffinity[] {
    return [...(this.blockStream?.items.values() ?? [])].sort((a, b) => a.node.localeCompare(b.node) || a.cidr.localeCompare(b.cidr) || a.name.localeCompare(b.name));
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

  /**
   * Listens to block affinity changes, whatever their state (added also for every block of the first
   * list; deleted for every block held when the CRD turns out to be gone); returns the unsubscribe.
   */
  onBlockAffinity(listener: BlockAffinityListener): () => void {
    this.blockListeners.add(listener);
    return () => this.blockListeners.delete(listener);
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

  private streams(): Array<ResourceStream<never, unknown>> {
    return this.streamEntries().map(([, s]) => s);
  }

  private streamEntries(): Array<[string, ResourceStream<never, unknown>]> {
    const all: Array<[string, ResourceStream<never, unknown> | null]> = [
      ['nodes', this.nodeStream as ResourceStream<never, unknown> | null],
      ['pods', this.podStream as ResourceStream<never, unknown> | null],
      ['blockaffinities', this.blockStream as ResourceStream<never, unknown> | null],
    ];
    return all.filter((e): e is [string, ResourceStream<never, unknown>] => e[1] !== null);
  }

  /** Recomputes the health after any informer's state moved; tells listeners when it changed. */
  private updateHealth(): void {
    if (!this.kc || this.stopped) return;
    const streams = this.streamEntries();
    const failing = streams.filter(([, s]) => s.failing);
    const state: KubernetesHealthState = failing.length ? 'failing' : this.synced ? 'synced' : 'syncing';
    const error = failing.length ? failing.map(([name, s]) => `${name}: ${s.error}`).join('; ') : null;
    const before = this.state;
    if (state === before.state && error === before.error) return;
    const previous = this.health();
    const now = new Date();
    if (before.state === 'synced' && state !== 'synced') this.lastSync = now;
    if (state === 'synced') this.lastSync = now;
    this.state = { state, error, since: state === before.state ? before.since : now };
    if (state !== before.state) {
      if (state === 'synced') {
        const blocks = this.blockAffinitiesCrd === 'absent' ? 'no block affinities CRD' : `${this.blockAffinities().length} active Calico blocks`;
        this.log.log(`Kubernetes synced: ${this.nodes().length} nodes, ${this.pods().length} pods, ${blocks}`);
      } else if (state === 'failing') {
        this.log.warn(`Kubernetes is failing: ${error} (retrying; what was last listed is kept)`);
      }
    }
    if (this.synced) for (const resolve of this.syncWaiters.splice(0)) resolve();
    const health = this.health();
    for (const l of this.healthListeners) this.call(() => l(health, previous));
  }

  private call(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.log.error(`a Kubernetes listener failed: ${(error as Error).stack ?? String(error)}`);
    }
  }
}
