// The path trace and address history (issue 16): GET /api/trace, /api/trace/compare,
// /api/addresses/{ip}/history. Kubernetes (pod names) from the global KubeWatcher when watched.
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { DATABASE } from '../app-tokens.js';
import type { Database } from '../db/database.js';
import { AddressHistoryRepository } from '../db/repositories/address-history.repository.js';
import { TraceController } from './trace.controller.js';
import { TraceService } from './trace.service.js';

@Module({})
export class TraceModule {
  /** `history`: the module that provides HistoryReader */
  static register(history: Type<unknown> | DynamicModule): DynamicModule {
    return {
      module: TraceModule,
      imports: [history],
      providers: [TraceService, { provide: AddressHistoryRepository, useFactory: (db: Database) => new AddressHistoryRepository(db.readPool), inject: [DATABASE] }],
      controllers: [TraceController],
    };
  }
}
