// Fans committed changes out to browsers (DESIGN.md step 8): changes and node events are gathered
// and sent every batch interval, filtered by each subscriber's subscription; topology patches are
// derived in a worker thread from its copy of the current topology-relevant facts (which it reads
// from the database itself), kept only while someone subscribes to them.
import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  type AlertTransition,
  type FactChange,
  type FactKind,
  type LiveServerToClient,
  type LiveSubscription,
  type NodeEvent,
  type NodeStatus,
} from '@netatlas/wire';
import { API_CONFIG, DATABASE } from '../app-tokens.js';
import type { CoreConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { KubeWatcher } from '../kube/kube-watcher.js';
import { EventBus } from '../realtime/event-bus.js';
import { TopologyTracker } from './topology-tracker.js';

/** The kinds the topology is derived from (ipsets and IPVS services do not draw). */
export const TOPOLOGY_KINDS: readonly FactKind[] = ['link', 'addr', 'route', 'neigh', 'fdb', 'bgpSession', 'node'];

export interface LiveSubscriber {
  readonly id: string;
  subscription: LiveSubscription;
  emit<E extends keyof LiveServerToClient>(event: E, ...args: Parameters<LiveServerToClient[E]>): void;
}

@Injectable()
export class LiveHub implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('live');
  private readonly subscribers = new Map<string, LiveSubscriber>();
  private pendingChanges: FactChange[] = [];
  private pendingEvents: Array<NodeEvent & { status: NodeStatus }> = [];
  private timer: NodeJS.Timeout | null = null;
  /** the topology in its worker, while anyone wants topology patches */
  private tracker: TopologyTracker | null = null;
  private topologyDirty = false;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(API_CONFIG) private readonly config: CoreConfig,
    @Inject(EventBus) events: EventBus,
    @Optional() @Inject(KubeWatcher) private readonly kube: KubeWatcher | null = null,
  ) {
    // browsers follow what the bus carries
    events.onChanges((changes) => this.changes(changes));
    events.onNodeEvent((event, status) => this.nodeEvent(event, status));
    events.onAlerts((transitions) => this.alerts(transitions));
  }

  onModuleInit(): void {
    // pods come and go: the topology's pod labels follow (at most once per batch interval)
    this.kube?.onPod(() => {
      if (this.podsTimer) return;
      this.podsTimer = setTimeout(() => {
        this.podsTimer = null;
        this.sendPods();
      }, this.config.liveBatchMs);
      this.podsTimer.unref();
    });
  }

  private podsTimer: NodeJS.Timeout | null = null;

  private sendPods(): void {
    if (!this.tracker || !this.kube || this.kube.mode === 'off') return;
    this.tracker.pods([...this.kube.podNamesByIp()]);
    this.topologyDirty = true;
    if (this.subscribers.size) this.schedule();
  }

  onModuleDestroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.podsTimer) clearTimeout(this.podsTimer);
    this.tracker?.close();
    this.tracker = null;
  }

  subscribe(subscriber: LiveSubscriber): void {
    this.subscribers.set(subscriber.id, subscriber);
    if (subscriber.subscription.topology !== false) this.ensureTopology();
  }

  unsubscribe(id: string): void {
    this.subscribers.delete(id);
    if (![...this.subscribers.values()].some((s) => s.subscription.topology !== false)) {
      this.tracker?.close();
      this.tracker = null;
    }
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }



  /** Alert transitions go to every browser at once. */
  private alerts(transitions: readonly AlertTransition[]): void {
    if (transitions.length === 0) return;
    const batch = { at: new Date().toISOString(), transitions: [...transitions] };
    for (const s of this.subscribers.values()) s.emit('alerts', batch);
  }

  /** Committed changes, in commit order. */
  private changes(changes: readonly FactChange[]): void {
    if (changes.length === 0) return;
    if (this.tracker) this.forward(changes);
    if (this.subscribers.size === 0) return;
    for (const c of changes) this.pendingChanges.push(c);
    this.schedule();
  }

  private nodeEvent(event: NodeEvent, status: NodeStatus): void {
    if (this.subscribers.size === 0) return;
    this.pendingEvents.push({ ...event, status });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.config.liveBatchMs);
    this.timer.unref?.();
  }

  private flush(): void {
    const changes = this.pendingChanges;
    const events = this.pendingEvents;
    this.pendingChanges = [];
    this.pendingEvents = [];
    const at = new Date().toISOString();
    for (const s of this.subscribers.values()) {
      for (const event of events) s.emit('nodeEvent', event);
      const mine = filterChanges(changes, s.subscription);
      if (mine.length) s.emit('changes', { at, changes: mine });
    }
    if (this.topologyDirty) this.flushTopology();
  }

  private flushTopology(): void {
    if (!this.tracker) return;
    this.topologyDirty = false;
    this.tracker.derive();
  }

  private ensureTopology(): void {
    if (this.tracker) return;
    // the worker reads the current facts itself; the changes forwarded from now on are applied
    // on top of what it reads
    const tracker = new TopologyTracker(
      this.database.url,
      TOPOLOGY_KINDS,
      (patch) => {
        for (const s of this.subscribers.values()) if (s.subscription.topology !== false) s.emit('topology', patch);
      },
      (error) => {
        this.log.error(`topology worker failed: ${error.message}; patches are off until the next subscriber`);
        if (this.tracker === tracker) this.tracker = null;
        tracker.close();
      },
    );
    this.tracker = tracker;
    this.sendPods();
  }

  /** Topology-relevant changes go to the worker's copy. */
  private forward(changes: readonly FactChange[]): void {
    if (!this.tracker) return;
    const relevant = changes.filter((c) => TOPOLOGY_KINDS.includes(c.kind));
    if (!relevant.length) return;
    this.tracker.changes(relevant);
    this.topologyDirty = true;
    if (this.subscribers.size) this.schedule();
  }
}

function filterChanges(changes: readonly FactChange[], subscription: LiveSubscription): FactChange[] {
  const { kinds, nodes } = subscription;
  if (!kinds && !nodes) return changes as FactChange[];
  return changes.filter((c) => (!kinds || kinds.includes(c.kind)) && (!nodes || nodes.includes(c.node)));
}
