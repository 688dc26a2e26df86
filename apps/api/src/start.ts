// Starting the API: configuration, the database (DATABASE_URL, or an embedded Postgres under the
// data folder), migrations, then Nest with REST and socket.io on one port.
import type { LogLevel } from '@nestjs/common';
import { join } from 'node:path';
import { createApp } from './app.js';
import { defaultVersion } from './app-version.js';
import { isLoopback } from './auth/auth-config.js';
import type { ApiConfig } from './settings.js';
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
    log(`viewers: ${describeViewers(config)}`);
    if (config.auth.sessionSecretGenerated && (config.auth.oidc || !isLoopback(config.host))) {
      log('NETATLAS_SESSION_SECRET is not set: sessions are signed with a random key and end when the API restarts (set it, the same on every replica)');
    }
    if (!isLoopback(config.host) && config.metricsToken === null) log('GET /metrics answers viewers only; set NETATLAS_METRICS_TOKEN for Prometheus');
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

/** One line for the start-up log: who gets in. */
function describeViewers(config: ApiConfig): string {
  const a = config.auth;
  const ways = ['API tokens'];
  if (a.oidc) ways.unshift(`OpenID Connect (${a.oidc.issuer})`);
  if (a.proxy) ways.push(`a trusted proxy's ${a.proxy.userHeader} header`);
  const anonymous = a.anonymous ? `anyone who reaches ${config.host} as ${a.anonymous}${a.anonymousByDefault ? ' (the loopback default: nothing configured)' : ''}` : null;
  return [anonymous, `signed in through ${ways.join(', ')}`].filter(Boolean).join('; else ');
}
