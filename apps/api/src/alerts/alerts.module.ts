// Alerts (issue 6): the rules engine and GET /api/alerts. Notifications come from NotifyModule when
// it provides NOTIFIER; Kubernetes nodes from the global KubeWatcher.
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { AlertEngine } from './alert-engine.js';
import { AlertsController } from './alerts.controller.js';

@Module({})
export class AlertsModule {
  /** `imports`: the modules that provide HistoryReader, the EventBus and (optionally) NOTIFIER */
  static register(imports: Array<Type<unknown> | DynamicModule>): DynamicModule {
    return { module: AlertsModule, imports, providers: [AlertEngine], controllers: [AlertsController], exports: [AlertEngine] };
  }
}
