// Prometheus metrics at GET /metrics (README "Metrics").
import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Module({})
export class MetricsModule {
  /** `ingest`: the module that exports IngestService (its counters); Notifier comes from the global NotifyModule. */
  static register(ingest: Type<unknown>): DynamicModule {
    return { module: MetricsModule, imports: [ingest], providers: [MetricsService], controllers: [MetricsController] };
  }
}
