// The database: node-postgres pools (writes, history reads, probes) on which the repositories
// (db/repositories/) run all of the API's SQL, and the Prisma client generated from
// prisma/schema.prisma, opened on the write pool through @prisma/adapter-pg (Prisma 7 has no
// query-engine binary; the adapter is required). The API sends no query through the client: only
// database.spec.ts does, checking that it works on the migrated schema.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { readSocket } from './read-socket.js';
import { redactUrl } from './url.js';

export interface DatabaseOptions {
  /** postgresql://user:password@host:port/database */
  url: string;
  /** pool size (default 10): ingest, alerts and everything else that writes */
  max?: number;
  /** the read pool's size (default 10): REST reads of the history, apart from ingest */
  readMax?: number;
  /** shown in pg_stat_activity (default netatlas-api) */
  applicationName?: string;
}

export interface Database {
  /** the connection URL (worker threads open their own connections with it) */
  readonly url: string;
  readonly pool: pg.Pool;
  /**
   * REST reads of the history: apart, so that readers can never starve ingest of connections; a
   * transaction idle for 60 s or a statement running 5 min is ended by the server
   */
  readonly readPool: pg.Pool;
  /** two connections for /api/health and /metrics, which answer within their deadline whatever the others do */
  readonly probePool: pg.Pool;
  readonly prisma: PrismaClient;
  /** Opens a first connection, so that a wrong URL or an unreachable server fails here. */
  connect(): Promise<void>;
  /** Closes the Prisma client and every pooled connection. */
  disconnect(): Promise<void>;
}

export function createDatabase(options: DatabaseOptions): Database {
  const name = options.applicationName ?? 'netatlas-api';
  // JIT compilation costs more than it saves on these short index-driven queries (measured:
  // 0.9 s of a 12.7 s diff over a busy hour)
  const pool = openPool(options.url, options.max ?? 10, name, '-c jit=off');
  // its sockets read into a buffer each, reused: whole reads bring hundreds of MB (read-socket.ts)
  const readPool = openPool(options.url, options.readMax ?? 10, `${name}-read`, '-c jit=off -c idle_in_transaction_session_timeout=60s -c statement_timeout=300s', readSocket);
  const probePool = openPool(options.url, 2, `${name}-probe`, '-c jit=off -c statement_timeout=5s');
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  let closed = false;
  return {
    url: options.url,
    pool,
    readPool,
    probePool,
    prisma,
    async connect() {
      try {
        await pool.query('SELECT 1');
      } catch (error) {
        throw new Error(`cannot connect to the database at ${redactUrl(options.url)}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      await prisma.$connect();
    },
    async disconnect() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect();
      await Promise.all([pool.end(), readPool.end(), probePool.end()]);
    },
  };
}

function openPool(url: string, max: number, applicationName: string, options: string, stream?: typeof readSocket): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, application_name: applicationName, options, ...(stream ? { stream } : {}) });
  // An idle client losing its connection (server restart) emits 'error' on the pool; without a
  // listener that would crash the process. The next query gets a fresh connection.
  pool.on('error', () => undefined);
  // A checked-out client whose server goes away emits 'error' too, with no pool listener attached
  // then: the query in flight is rejected anyway, so keep the event from crashing the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** `promise`, or a rejection once `ms` have passed without its answer. */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined); // answered after the deadline: nobody waits for it any more
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
