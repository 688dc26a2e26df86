import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, withClient } from '../testing/postgres.js';
import { MIGRATIONS_TABLE, migrate, readMigrations } from './migrate.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

describe('SQL migrations runner', () => {
  const databases: TestDatabase[] = [];
  const scratch: string[] = [];
  let all: string[];

  const freshDatabase = async (label: string) => {
    const database = await createTestDatabase(label);
    databases.push(database);
    return database;
  };
  /** A migrations folder of our own: { '20260101000000_a': 'SQL', … } */
  const migrationsDir = async (files: Record<string, string>) => {
    const dir = await mkdtemp(join(tmpdir(), 'netatlas-migrations-'));
    scratch.push(dir);
    for (const [name, sql] of Object.entries(files)) {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'migration.sql'), sql);
    }
    return dir;
  };
  const tables = (url: string) =>
    withClient(url, async (client) =>
      (await client.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map(
        (row) => row.tablename,
      ),
    );

  beforeAll(async () => {
    all = (await readMigrations()).map((migration) => migration.name);
  });

  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
    await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('finds the project migrations in prisma/migrations, in order', () => {
    expect(all.length).toBeGreaterThan(0);
    expect(all).toEqual([...all].sort());
    expect(all[0]).toMatch(/^\d{14}_init$/);
  });

  it('applies every migration to an empty database, and nothing on a second run', async () => {
    const database = await freshDatabase('migrate');
    expect(await migrate(database.url)).toEqual({ applied: all, alreadyApplied: [], unknown: [] });
    expect(await tables(database.url)).toEqual(['alert_silences', 'alerts', 'api_tokens', 'collector_tokens', 'facts', MIGRATIONS_TABLE, 'node_events', 'nodes', 'notification_outbox', 'viewer_sessions']);

    expect(await migrate(database.url)).toEqual({ applied: [], alreadyApplied: all, unknown: [] });
    const recorded = await withClient(database.url, async (client) =>
      (await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY name`)).rows.map((row) => row.name),
    );
    expect(recorded).toEqual(all);
  });

  it('applies each migration exactly once when several runs start at the same time', async () => {
    const database = await freshDatabase('concurrent');
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(database.url)));
    expect(results.flatMap((result) => result.applied)).toEqual(all);
    for (const result of results) {
      expect(result.unknown).toEqual([]);
      expect([...result.applied, ...result.alreadyApplied].sort()).toEqual(all);
    }
    expect(await tables(database.url)).toContain('facts');
  });

  it('rolls a failing migration back entirely and applies it once fixed', async () => {
    const database = await freshDatabase('rollback');
    const dir = await migrationsDir({
      '20260101000000_first': 'CREATE TABLE first_table (id int);',
      '20260102000000_second': 'CREATE TABLE second_table (id int);\nSELECT 1 / 0;',
    });
    await expect(migrate(database.url, { dir })).rejects.toThrow(/20260102000000_second failed and was rolled back: division by zero/);
    expect(await tables(database.url)).toEqual(['first_table', MIGRATIONS_TABLE]);

    await writeFile(join(dir, '20260102000000_second', 'migration.sql'), 'CREATE TABLE second_table (id int);');
    expect(await migrate(database.url, { dir })).toEqual({
      applied: ['20260102000000_second'],
      alreadyApplied: ['20260101000000_first'],
      unknown: [],
    });
    expect(await tables(database.url)).toEqual(['first_table', MIGRATIONS_TABLE, 'second_table']);
  });

  it('refuses to go on when an applied migration was edited, and reports migrations it does not know', async () => {
    const database = await freshDatabase('edited');
    const dir = await migrationsDir({ '20260101000000_first': 'CREATE TABLE first_table (id int);' });
    await migrate(database.url, { dir });

    await writeFile(join(dir, '20260101000000_first', 'migration.sql'), 'CREATE TABLE first_table (id bigint);');
    await expect(migrate(database.url, { dir })).rejects.toThrow(/20260101000000_first was changed after it was applied/);

    const other = await migrationsDir({});
    const lines: string[] = [];
    expect(await migrate(database.url, { dir: other, log: (line) => lines.push(line) })).toEqual({
      applied: [],
      alreadyApplied: [],
      unknown: ['20260101000000_first'],
    });
    expect(lines.join('\n')).toMatch(/20260101000000_first is recorded in the database but not in the migrations folder/);
  });

  it('rejects a migration folder that is not named <timestamp>_<name>', async () => {
    const database = await freshDatabase('badname');
    const dir = await migrationsDir({ 'init': 'SELECT 1;' });
    await expect(migrate(database.url, { dir })).rejects.toThrow(/is not named <YYYYMMDDhhmmss>_<lower_case_name>/);
  });

  describe('npm run db:migrate (migrate-cli.ts)', () => {
    const cli = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'apps/api/src/db/migrate-cli.ts'], {
        cwd: repoRoot,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const baseEnv = () => {
      const env = { ...process.env };
      delete env['DATABASE_URL'];
      return env;
    };

    it('says clearly that DATABASE_URL is required', () => {
      const run = cli(baseEnv());
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/db:migrate: DATABASE_URL is not set/);
    });

    it('migrates the database at DATABASE_URL', async () => {
      const database = await freshDatabase('cli');
      const run = cli({ ...baseEnv(), DATABASE_URL: database.url });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`applying ${all[0]}`);
      expect(run.stdout).toContain(`${all.length} applied, 0 already applied`);
      expect(await tables(database.url)).toContain('facts');
    });
  });
});
