// Starting the API: configuration, the database (DATABASE_URL, or an embedded Postgres under the
// data folder), migrations, then Nest with REST and socket.io on one port.
import type { LogLevel } from '@nestjs/common';
import { join } from 'node:path';
import { createApp } from './app.js';
import { defaultVersion } from './app-version.js';
import type { ApiConfig } from './config.js';
import { createDatabase, type Database } from './db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres.js';
import { migrate } from './db/migrate.js';
import { redactUrl } from './db/url.js';
import type { NestExpressApplication } from '@nestjs/platform-express';

export interface RunningApi {
  app: NestExpressApplication;
  url: string;
  database: Database;
  embedded: EmbeddedPostgres | null;
  close(): Promise<void>;
}

export interface StartOptions {
  version?: string;
  logger?: LogLevel[] | false;
  /** progress lines before Nest's logger is up (default: stderr) */
  log?: (line: string) => void;
}

export async function startApi(config: ApiConfig, options: StartOptions = {}): Promise<RunningApi> {
  const log = options.log ?? ((line: string) => process.stderr.write(`netatlas-api: ${line}\n`));
  let embedded: EmbeddedPostgres | null = null;
  let url = config.databaseUrl;
  if (!url) {
    const dataDir = join(config.dataDir, 'postgres');
    log(`DATABASE_URL is not set: starting an embedded Postgres in ${dataDir}`);
    embedded = await startEmbeddedPostgres({ dataDir });
    url = embedded.url;
    log(`embedded Postgres ${embedded.created ? 'created' : 'reused'} in ${embedded.dataDir}, listening on 127.0.0.1:${embedded.port}`);
  }
  const database = createDatabase({ url });
  try {
    await database.connect();
    const result = await migrate(url, { log });
    log(`database ${redactUrl(url)}: ${result.applied.length} migration(s) applied, ${result.alreadyApplied.length} already there`);
    const app = await createApp({ version: options.version ?? defaultVersion(), config, database, logger: options.logger });
    await app.listen(config.port, config.host);
    if (!isLoopback(config.host)) {
      // said at every start until viewers log in (OIDC and roles are not built yet)
      log(
        `warning: listening on ${config.host}: browsers and scripts are not authenticated, so anyone who reaches this address reads ` +
          'the whole network map and its history; keep it on loopback or behind an authenticating proxy' +
          (config.metricsToken === null ? ', and set NETATLAS_METRICS_TOKEN for /metrics' : ''),
      );
    }
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    let closed = false;
    return {
      app,
      url: `http://${host}:${port}`,
      database,
      embedded,
      async close() {
        if (closed) return;
        closed = true;
        await app.close();
        await database.disconnect();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await database.disconnect().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
