// Fans out to browsers (DESIGN.md step 8): committed changes and node events, gathered and sent
// every batch interval and filtered by each subscriber's subscription; alert transitions at once;
// the topology's patches as the current state (state/current-state.ts) puts them on the event bus,
// which it does while anyone subscribes to them.
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  type AlertTransition,
  type FactChange,
  type LiveServerToClient,
  type LiveSubscription,
  type NodeEvent,
  type NodeStatus,
  type TopologyPatchBytes,
} from '@netatlas/wire';
import { API_CONFIG } from '../app-tokens.js';
import type { CoreConfig } from '../config.js';
import { EventBus } from '../realtime/event-bus.js';
import { CurrentState } from '../state/current-state.js';

export interface LiveSubscriber {
  readonly id: string;
  subscription: LiveSubscription;
  emit<E extends keyof LiveServerToClient>(event: E, ...args: Parameters<LiveServerToClient[E]>): void;
}

@Injectable()
export class LiveHub implements OnModuleDestroy {
  private readonly subscribers = new Map<string, LiveSubscriber>();
  private pendingChanges: FactChange[] = [];
  private pendingEvents: Array<NodeEvent & { status: NodeStatus }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(API_CONFIG) private readonly config: CoreConfig,
    @Inject(EventBus) events: EventBus,
    @Inject(CurrentState) private readonly state: CurrentState,
  ) {
    // browsers follow what the bus carries
    events.onChanges((changes) => this.changes(changes));
    events.onNodeEvent((event, status) => this.nodeEvent(event, status));
    events.onAlerts((transitions) => this.alerts(transitions));
    events.onTopologyPatch((patch) => this.topology(patch));
  }

  onModuleDestroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.state.follow(false);
  }

  subscribe(subscriber: LiveSubscriber): void {
    this.subscribers.set(subscriber.id, subscriber);
    if (subscriber.subscription.topology !== false) this.state.follow(true);
  }

  unsubscribe(id: string): void {
    this.subscribers.delete(id);
    if (![...this.subscribers.values()].some((s) => s.subscription.topology !== false)) this.state.follow(false);
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

  /** The topology's patches go to every browser that wants them, at once (the state paces them), as the worker made their bytes. */
  private topology(patch: TopologyPatchBytes): void {
    for (const s of this.subscribers.values()) if (s.subscription.topology !== false) s.emit('topology', patch);
  }

  /** Committed changes, in commit order. */
  private changes(changes: readonly FactChange[]): void {
    if (changes.length === 0) return;
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
  }
}

function filterChanges(changes: readonly FactChange[], subscription: LiveSubscription): FactChange[] {
  const { kinds, nodes } = subscription;
  if (!kinds && !nodes) return changes as FactChange[];
  return changes.filter((c) => (!kinds || kinds.includes(c.kind)) && (!nodes || nodes.includes(c.node)));
}
