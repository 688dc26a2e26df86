// Alerts (issue 6): the rules engine and GET /api/alerts. Notifications come from NotifyModule when
// it provides NOTIFIER; Kubernetes nodes from the global KubeWatcher.
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { DATABASE } from '../app-tokens.js';
import type { Database } from '../db/database.js';
import { AlertsRepository } from '../db/repositories/alerts.repository.js';
import { AlertEngine } from './alert-engine.js';
import { AlertsController } from './alerts.controller.js';

@Module({})
export class AlertsModule {
  /** `imports`: the modules that provide HistoryReader, the EventBus and (optionally) NOTIFIER */
  static register(imports: Array<Type<unknown> | DynamicModule>): DynamicModule {
    return {
      module: AlertsModule,
      imports,
      providers: [{ provide: AlertsRepository, useFactory: (db: Database) => new AlertsRepository(db.pool), inject: [DATABASE] }, AlertEngine],
      controllers: [AlertsController],
      exports: [AlertEngine],
    };
  }
}
