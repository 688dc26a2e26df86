// Applies prisma/migrations/<timestamp>_<name>/migration.sql in name order, each file in its own
// transaction together with its row in the tracking table, so a file is applied entirely or not at
// all. Prisma's migrate engine cannot be downloaded here (ENVIRONMENT.md), so the project applies
// its SQL itself. A session advisory lock serialises runners: two API instances starting at once, or
// `npm run db:migrate` beside a running API, apply each file exactly once.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/**
 * prisma/migrations: NETATLAS_MIGRATIONS_DIR, else the nearest `prisma/migrations` above this file
 * (the repository root from src/db under tsx or vitest, and from the bundle in dist/apps/api), else
 * `migrations` beside the bundle (the container image copies it there).
 */
export const DEFAULT_MIGRATIONS_DIR = findMigrationsDir();

function findMigrationsDir(): string {
  const configured = process.env['NETATLAS_MIGRATIONS_DIR'];
  if (configured) return configured;
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  return join(here, 'migrations');
}

/** The table that records applied migrations (Prisma's own is `_prisma_migrations`; this is not it). */
export const MIGRATIONS_TABLE = 'netatlas_migrations';

/** pg_advisory_lock key: any constant that no other code uses; this one spells "netatlas" in ASCII. */
const LOCK_KEY = 0x6e65_7461_746c_6173n;

const NAME_PATTERN = /^\d{14}_[a-z0-9_]+$/;

export interface Migration {
  /** the folder name, `<YYYYMMDDhhmmss>_<name>` */
  name: string;
  sql: string;
  /** sha256 of the SQL, recorded when applied; a file changed afterwards is an error */
  checksum: string;
}

export interface MigrateOptions {
  /** folder holding `<timestamp>_<name>/migration.sql` (default: prisma/migrations) */
  dir?: string;
  /** progress lines (default: none) */
  log?: (line: string) => void;
}

export interface MigrateResult {
  /** migrations applied by this run, in order */
  applied: string[];
  /** migrations that were already applied */
  alreadyApplied: string[];
  /** migrations recorded in the database but absent from the folder (a newer version ran here) */
  unknown: string[];
}

/** Reads the migrations folder, sorted by name. */
export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new Error(`cannot read the migrations folder ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    if (!NAME_PATTERN.test(name)) {
      throw new Error(`migration folder ${join(dir, name)} is not named <YYYYMMDDhhmmss>_<lower_case_name>`);
    }
    const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8');
    migrations.push({ name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

/**
 * Applies every pending migration to the database at `databaseUrl` (or through `client`, which must
 * not be in a transaction; it is left connected). Safe to run twice and concurrently.
 */
export async function migrate(database: string | pg.Client, options: MigrateOptions = {}): Promise<MigrateResult> {
  const log = options.log ?? (() => undefined);
  const migrations = await readMigrations(options.dir);
  const ownClient = typeof database === 'string';
  const client = ownClient ? new pg.Client({ connectionString: database, application_name: 'netatlas-migrate' }) : database;
  if (ownClient) await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY.toString()]);
    try {
      return await applyPending(client, migrations, log);
    } finally {
      // (a broken connection has released the lock already)
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY.toString()]).catch(() => undefined);
    }
  } finally {
    if (ownClient) await client.end();
  }
}

async function applyPending(
  client: pg.Client,
  migrations: Migration[],
  log: (line: string) => void,
): Promise<MigrateResult> {
  // Under the lock, so concurrent first runs do not race on creating it.
  await client.query(`
    CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
      name       TEXT        PRIMARY KEY,
      checksum   TEXT        NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
  const { rows } = await client.query<{ name: string; checksum: string }>(
    `SELECT name, checksum FROM ${MIGRATIONS_TABLE} ORDER BY name`,
  );
  const applied = new Map(rows.map((row) => [row.name, row.checksum]));

  const result: MigrateResult = { applied: [], alreadyApplied: [], unknown: [] };
  const known = new Set(migrations.map((migration) => migration.name));
  result.unknown = rows.map((row) => row.name).filter((name) => !known.has(name));
  for (const name of result.unknown) log(`warning: migration ${name} is recorded in the database but not in the migrations folder`);

  for (const migration of migrations) {
    const checksum = applied.get(migration.name);
    if (checksum !== undefined) {
      if (checksum !== migration.checksum) {
        throw new Error(
          `migration ${migration.name} was changed after it was applied (checksum ${checksum.slice(0, 12)}… in the ` +
            `database, ${migration.checksum.slice(0, 12)}… on disk): add a new migration instead of editing an applied one`,
        );
      }
      result.alreadyApplied.push(migration.name);
      continue;
    }
    log(`applying ${migration.name}`);
    await client.query('BEGIN');
    try {
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, checksum) VALUES ($1, $2)`, [
        migration.name,
        migration.checksum,
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new Error(`migration ${migration.name} failed and was rolled back: ${(error as Error).message}`, {
        cause: error,
      });
    }
    result.applied.push(migration.name);
  }
  if (result.applied.length === 0) log('database is up to date');
  return result;
}
