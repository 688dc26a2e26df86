// The API's modules, one per capability. Configuration, the database and the version are made
// before Nest starts (start.ts) and provided globally by CoreModule.
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { API_CONFIG, DATABASE } from './app-tokens.js';
import { APP_VERSION } from './app-version.js';
import type { ApiConfig } from './settings.js';
import { ALERT_CONFIG } from './alerts/alert-config.js';
import { AUTH_CONFIG } from './auth/auth-config.js';
import { NOTIFY_CONFIG } from './notify/notify-config.js';
import type { Database } from './db/database.js';
import { HealthController } from './health/health.controller.js';
import { HealthService } from './health/health.service.js';
import { FactWriter } from './db/repositories/history/fact-writer.js';
import { CollectorTokensRepository } from './db/repositories/collector-tokens.repository.js';
import { ProbeRepository } from './db/repositories/probe.repository.js';
import { RetentionRepository } from './db/repositories/retention.repository.js';
import { HistoryReader } from './db/repositories/history/history-reader.js';
import { DocsController } from './docs/docs.controller.js';
import { HistoryController } from './http/history.controller.js';
import { IngestGateway } from './ingest/ingest.gateway.js';
import { IngestService } from './ingest/ingest.service.js';
import { AlertsModule } from './alerts/alerts.module.js';
import { AuthModule } from './auth/auth.module.js';
import { KubeModule } from './kube/kube.module.js';
import { LiveHub } from './live/live-hub.js';
import { CurrentState } from './state/current-state.js';
import { EventBus } from './realtime/event-bus.js';
import { LiveGateway } from './live/live.gateway.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { NotifyModule } from './notify/notify.module.js';
import { SocketServer } from './realtime/socket-server.js';
import { RetentionService } from './retention/retention.service.js';
import { TraceModule } from './trace/trace.module.js';

export interface AppModuleOptions {
  version: string;
  config: ApiConfig;
  database: Database;
}

@Module({ providers: [SocketServer, EventBus], exports: [SocketServer, EventBus] })
class RealtimeModule {}

/** The current state (one copy of the current facts, in a worker thread) and what it answers. */
@Module({ imports: [RealtimeModule], providers: [CurrentState], exports: [CurrentState] })
class StateModule {}

@Module({
  imports: [StateModule],
  providers: [
    { provide: FactWriter, useFactory: (db: Database) => new FactWriter(db.pool), inject: [DATABASE] },
    { provide: HistoryReader, useFactory: (db: Database) => new HistoryReader(db.readPool), inject: [DATABASE] },
    { provide: CollectorTokensRepository, useFactory: (db: Database) => new CollectorTokensRepository(db.prisma), inject: [DATABASE] },
  ],
  controllers: [HistoryController],
  exports: [FactWriter, HistoryReader, CollectorTokensRepository],
})
class HistoryModule {}

@Module({ imports: [HistoryModule, RealtimeModule, StateModule], providers: [LiveHub, LiveGateway], exports: [LiveHub] })
class LiveModule {}

@Module({ imports: [HistoryModule, RealtimeModule], providers: [IngestService, IngestGateway], exports: [IngestService] })
export class IngestModule {}

@Module({
  providers: [{ provide: ProbeRepository, useFactory: (db: Database) => new ProbeRepository(db.probePool), inject: [DATABASE] }, HealthService],
  controllers: [HealthController, DocsController],
})
class HealthModule {}

@Module({
  providers: [{ provide: RetentionRepository, useFactory: (db: Database) => new RetentionRepository(db.pool), inject: [DATABASE] }, RetentionService],
  exports: [RetentionService],
})
class RetentionModule {}

@Module({})
export class AppModule {
  static register(options: AppModuleOptions): DynamicModule {
    @Global()
    @Module({
      providers: [
        { provide: APP_VERSION, useValue: options.version },
        { provide: API_CONFIG, useValue: options.config },
        // each module's own settings, under its token
        { provide: ALERT_CONFIG, useValue: options.config.alerts },
        { provide: NOTIFY_CONFIG, useValue: options.config.notify },
        { provide: AUTH_CONFIG, useValue: options.config.auth },
        { provide: DATABASE, useValue: options.database },
      ],
      exports: [APP_VERSION, API_CONFIG, ALERT_CONFIG, NOTIFY_CONFIG, AUTH_CONFIG, DATABASE],
    })
    class CoreModule {}
    return {
      module: AppModule,
      imports: [CoreModule, AuthModule, RealtimeModule, StateModule, HistoryModule, LiveModule, IngestModule, HealthModule, RetentionModule, KubeModule.register(RealtimeModule),
        AlertsModule.register([HistoryModule, RealtimeModule, StateModule]),
        NotifyModule, MetricsModule.register(IngestModule), TraceModule.register(HistoryModule)],
    };
  }
}
