// Prometheus metrics at GET /metrics (README "Metrics").
import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { DATABASE } from '../app-tokens.js';
import type { Database } from '../db/database.js';
import { ProbeRepository } from '../db/repositories/probe.repository.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Module({})
export class MetricsModule {
  /** `ingest`: the module that exports IngestService (its counters); Notifier comes from the global NotifyModule. */
  static register(ingest: Type<unknown>): DynamicModule {
    return {
      module: MetricsModule,
      imports: [ingest],
      providers: [{ provide: ProbeRepository, useFactory: (db: Database) => new ProbeRepository(db.probePool), inject: [DATABASE] }, MetricsService],
      controllers: [MetricsController],
    };
  }
}
