import 'reflect-metadata';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { defaultVersion } from './app-version.js';
import { AppModule } from './app.module.js';

export interface CreateAppOptions {
  version?: string;
  /** Nest logger levels, or false to silence it (tests). */
  logger?: LogLevel[] | false;
}

/** Builds the API application (routes under /api) without listening. */
export async function createApp(options: CreateAppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.register({ version: options.version ?? defaultVersion() }), {
    logger: options.logger ?? ['log', 'warn', 'error'],
  });
  app.setGlobalPrefix('api');
  app.enableShutdownHooks();
  return app;
}
