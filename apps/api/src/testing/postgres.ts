// Test support: a fresh database per test file on the real PostgreSQL (ENVIRONMENT.md: CI runs on
// the same kind of machine, with PostgreSQL at 127.0.0.1:5432). When the server cannot be reached
// the tests fail with a message that says so; they never skip.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../db/migrate.js';

/** The server the API's tests use: NETATLAS_TEST_DATABASE_URL, else the machine's PostgreSQL. */
export const TEST_SERVER_URL =
  process.env['NETATLAS_TEST_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  name: string;
  /** the URL of the new database */
  url: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

/** The URL of `database` on the test server. */
export function testUrl(database: string): string {
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${TEST_SERVER_URL} (${(error as Error).message}). The API's tests need a ` +
        'real PostgreSQL: start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) ' +
        'or point NETATLAS_TEST_DATABASE_URL at one.',
      { cause: error },
    );
  }
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database with a random name (`netatlas_test_<label>_<random>`). */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `netatlas_test_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_${randomBytes(5).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  return {
    name,
    url: testUrl(name),
    drop: () =>
      withAdmin(async (client) => {
        // pg's Pool.end() resolves before its connections have closed; forcing the drop then sends a
        // FATAL to a client the pool no longer listens to, an uncaught error in whichever test file
        // ran it. So the connections get a moment to go (they are ending) before the rest is forced.
        for (let i = 0; i < 40; i++) {
          const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [name]);
          if (rows[0]!.n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      }),
  };
}

export interface MigratedDatabase extends TestDatabase {
  /** a pool on it (`max` connections) */
  pool: pg.Pool;
  /** Ends the pool and drops the database. */
  close(): Promise<void>;
}

/** A fresh database with every migration applied and a pool on it: a repository spec's setup. */
export async function createMigratedDatabase(label: string, max = 4): Promise<MigratedDatabase> {
  const database = await createTestDatabase(label);
  await migrate(database.url);
  const pool = new pg.Pool({ connectionString: database.url, max });
  return {
    ...database,
    pool,
    close: async () => {
      await pool.end();
      await database.drop();
    },
  };
}

/** Runs `run` with a client connected to `url`, closed afterwards. */
export async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
