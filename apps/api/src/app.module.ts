import { type DynamicModule, Module } from '@nestjs/common';
import { APP_VERSION } from './app-version.js';
import { HealthController } from './health/health.controller.js';
import { HealthService } from './health/health.service.js';

export interface AppModuleOptions {
  version: string;
}

@Module({})
export class AppModule {
  static register(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController],
      providers: [{ provide: APP_VERSION, useValue: options.version }, HealthService],
    };
  }
}
