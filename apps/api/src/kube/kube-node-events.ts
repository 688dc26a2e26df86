// Turns the watcher's node changes into history events (KubeEventWriter) and sends them to browsers.
// Writes run one at a time in the order the changes came, so an add followed by a delete is recorded
// in that order; a write that fails (the database is down) is retried with back-off, in place,
// holding the ones behind it. Writes are idempotent, so a retry never records twice.
import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { EventBus } from '../realtime/event-bus.js';
import type { KubeEventWriter, RecordedEvent } from './kube-event-writer.js';
import type { KubeWatcher } from './kube-watcher.js';

export interface KubeNodeEventsOptions {
  retryMs?: number;
  maxRetryMs?: number;
  logger?: Pick<Logger, 'log' | 'warn'>;
}

type Task = { what: string; run: () => Promise<RecordedEvent[]> };

export class KubeNodeEvents implements OnModuleInit, OnModuleDestroy {
  private readonly log: Pick<Logger, 'log' | 'warn'>;
  private readonly tasks: Task[] = [];
  private running = false;
  private stopped = false;
  private unsubscribe: Array<() => void> = [];
  private wake: (() => void) | null = null;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly watcher: KubeWatcher,
    private readonly writer: KubeEventWriter,
    private readonly events: Pick<EventBus, 'nodeEvent'>,
    private readonly options: KubeNodeEventsOptions = {},
  ) {
    this.log = options.logger ?? new Logger('kubernetes');
  }

  onModuleInit(): void {
    this.unsubscribe.push(
      this.watcher.onNode((change, node) => {
        if (change === 'added') this.enqueue({ what: `k8s_added of ${node.name}`, run: () => this.writer.added(node) });
        else if (change === 'deleted') this.enqueue({ what: `k8s_deleted of ${node.name}`, run: () => this.writer.deleted(node) });
      }),
      this.watcher.onNodesListed((nodes, first) => {
        if (first) this.enqueue({ what: 'nodes deleted while the API was not watching', run: () => this.writer.absent(nodes.map((n) => n.name)) });
      }),
    );
  }

  onModuleDestroy(): void {
    this.stopped = true;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.wake?.();
  }

  /** Resolves when every queued write is done (tests). */
  idle(): Promise<void> {
    if (!this.running && this.tasks.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(task: Task): void {
    if (this.stopped) return;
    this.tasks.push(task);
    if (!this.running) void this.pump();
  }

  private async pump(): Promise<void> {
    this.running = true;
    let failures = 0;
    while (this.tasks.length && !this.stopped) {
      const task = this.tasks[0]!;
      try {
        const recorded = await task.run();
        this.tasks.shift();
        if (failures > 0) this.log.log(`recording Kubernetes node events works again after ${failures} failure(s)`);
        failures = 0;
        for (const r of recorded) this.events.nodeEvent(r.event, r.status);
      } catch (error) {
        failures++;
        const delay = Math.min(this.options.maxRetryMs ?? 30_000, (this.options.retryMs ?? 1000) * 2 ** (failures - 1));
        if (failures === 1 || failures % 10 === 0) {
          this.log.warn(`cannot record the ${task.what}: ${(error as Error).message}; retrying in ${delay} ms (${this.tasks.length - 1} more waiting)`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          timer.unref?.();
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
    this.running = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
