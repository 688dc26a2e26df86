// Kubernetes awareness (DESIGN.md "Kubernetes"): the Node and Pod informers (KubeWatcher, global so
// that any module can match collector nodes and pod IPs), node lifecycle events in the history, and
// GET /api/kubernetes. With NETATLAS_KUBERNETES resolving to off, nothing connects anywhere.
import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { API_CONFIG, DATABASE } from '../app-tokens.js';
import type { CoreConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { KubeEventsRepository } from '../db/repositories/kube-events.repository.js';
import { EventBus } from '../realtime/event-bus.js';
import { KubeEventWriter } from './kube-event-writer.js';
import { KubeNodeEvents } from './kube-node-events.js';
import { KubeWatcher } from './kube-watcher.js';
import { KubeController } from './kube.controller.js';

@Module({})
export class KubeModule {
  /** `events`: the module that provides the EventBus (node events go out on it). */
  static register(events: Type<unknown>): DynamicModule {
    return {
      module: KubeModule,
      global: true,
      imports: [events],
      providers: [
        { provide: KubeWatcher, useFactory: (config: CoreConfig) => new KubeWatcher(config), inject: [API_CONFIG] },
        { provide: KubeEventsRepository, useFactory: (db: Database) => new KubeEventsRepository(db.pool), inject: [DATABASE] },
        { provide: KubeEventWriter, useFactory: (repository: KubeEventsRepository) => new KubeEventWriter(repository), inject: [KubeEventsRepository] },
        {
          provide: KubeNodeEvents,
          useFactory: (watcher: KubeWatcher, writer: KubeEventWriter, events: EventBus) => new KubeNodeEvents(watcher, writer, events),
          inject: [KubeWatcher, KubeEventWriter, EventBus],
        },
      ],
      controllers: [KubeController],
      exports: [KubeWatcher],
    };
  }
}
