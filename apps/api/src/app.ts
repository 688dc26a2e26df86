import 'reflect-metadata';
import { type LogLevel, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createRequire } from 'node:module';
import { AppModule } from './app.module.js';
import { HttpErrorsFilter } from './http/errors.filter.js';
import type { ApiConfig } from './settings.js';
import type { Database } from './db/database.js';

export interface CreateAppOptions {
  version: string;
  config: ApiConfig;
  database: Database;
  /** Nest logger levels, or false to silence it (tests). */
  logger?: LogLevel[] | false;
}

/** Builds the API application (routes under /api but /metrics, socket.io on the same server) without listening. */
export async function createApp(options: CreateAppOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register({ version: options.version, config: options.config, database: options.database }),
    {
      logger: options.logger ?? ['log', 'warn', 'error'],
      // at close, after every module has stopped, the connections still open are cut: a browser's
      // socket.io client that reconnected (by long polling) while the API was stopping held its
      // poll open and kept the HTTP server from closing, for minutes (a test's stop hung)
      forceCloseConnections: true,
    },
  );
  // GET /metrics stays at the root, where Prometheus scrapes by default
  app.setGlobalPrefix('api', { exclude: [{ path: 'metrics', method: RequestMethod.GET }] });
  app.useGlobalFilters(new HttpErrorsFilter(app.getHttpAdapter()));
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  // Swagger UI's static files for /api/docs
  const swaggerUi = createRequire(import.meta.url)('swagger-ui-dist') as { getAbsoluteFSPath(): string };
  app.useStaticAssets(swaggerUi.getAbsoluteFSPath(), { prefix: '/api/docs/assets/', index: false });
  if (options.config.webDir) app.useStaticAssets(options.config.webDir, { index: 'index.html' });
  return app;
}
