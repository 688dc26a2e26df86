// docker-compose.yml: `docker-compose config` (Debian's docker-compose validates and resolves the file
// without an engine) with the settings of .env.example, then its services and env against the apps.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGetRoutes, appContract, type AppContract } from './apps.js';
import { flagsOf, inCI, readRepoFile, repoPath, ROOT } from './repo.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  network_mode?: string;
  cap_add?: string[];
  cap_drop?: string[];
  privileged?: boolean;
  pid?: string;
  read_only?: boolean;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

const probe = spawnSync('docker-compose', ['version'], { stdio: 'ignore' });
const hasCompose = !probe.error && probe.status === 0;
const MISSING = 'docker-compose is not installed: apt-get install docker-compose (Debian; .ci/run installs it)';
if (!hasCompose && !inCI) console.warn(`compose.spec.ts: skipped locally: ${MISSING}`);

const TOKEN = 'compose-test-token-0123456789';
const PASSWORD = 'compose-test-password';

/** .env.example's variables (empty ones included). */
function exampleVariables(): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of readRepoFile('.env.example').split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars.set(m[1]!, m[2]!);
  }
  return vars;
}

const work = mkdtempSync(join(tmpdir(), 'netatlas-compose-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `docker-compose config` with .env.example's settings, `overrides` on top; only PATH and HOME come from outside. */
function composeConfig(overrides: Record<string, string | null>): { status: number | null; stdout: string; stderr: string } {
  const vars = exampleVariables();
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) vars.delete(k);
    else vars.set(k, v);
  }
  const envFile = join(work, `env-${Math.random().toString(36).slice(2)}`);
  writeFileSync(envFile, [...vars].map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const run = spawnSync('docker-compose', ['--project-directory', ROOT, '-f', repoPath('docker-compose.yml'), '--env-file', envFile, 'config'], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe.runIf(hasCompose || inCI)('docker-compose.yml', () => {
  let services: Record<string, Service>;
  let config: { services: Record<string, Service>; volumes?: Record<string, unknown> };
  let contract: AppContract;

  beforeAll(async () => {
    if (!hasCompose) throw new Error(MISSING);
    contract = await appContract();
    const run = composeConfig({ NETATLAS_COLLECTOR_TOKEN: TOKEN, POSTGRES_PASSWORD: PASSWORD });
    if (run.status !== 0) throw new Error(`docker-compose config failed:\n${run.stderr}`);
    config = parse(run.stdout) as typeof config;
    services = config.services;
  });

  it('passes docker-compose config with .env.example filled in, and has Postgres, the API and a collector', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'collector', 'postgres']);
  });

  it('refuses to start without the collector token or the Postgres password, pointing at .env.example', () => {
    for (const missing of ['NETATLAS_COLLECTOR_TOKEN', 'POSTGRES_PASSWORD']) {
      const run = composeConfig({ NETATLAS_COLLECTOR_TOKEN: TOKEN, POSTGRES_PASSWORD: PASSWORD, [missing]: null });
      expect(run.status, missing).not.toBe(0);
      expect(run.stderr).toContain(`set ${missing} in .env (see .env.example)`);
    }
  });

  it('documents every variable it reads in .env.example, and nothing else there', () => {
    const compose = readRepoFile('docker-compose.yml');
    const used = new Set([...compose.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
    expect([...exampleVariables().keys()].sort()).toEqual([...used].sort());
    expect(readRepoFile('README.md')).toContain('.env.example');
  });

  it('builds the images from deploy/docker, named as the Kubernetes manifests name them', () => {
    expect(services['api']!.build).toEqual({ context: ROOT.replace(/\/$/, ''), dockerfile: 'deploy/docker/api.Dockerfile' });
    expect(services['collector']!.build).toEqual({ context: ROOT.replace(/\/$/, ''), dockerfile: 'deploy/docker/collector.Dockerfile' });
    expect(services['api']!.image).toMatch(/^netatlas\/api:/);
    expect(services['collector']!.image).toMatch(/^netatlas\/collector:/);
  });

  it('gives the API only variables it reads, and settings it accepts', () => {
    const env = services['api']!.environment!;
    expect(Object.keys(env).filter((name) => !contract.apiEnv.includes(name))).toEqual([]);
    // no shared collector token: the host's collector has a token of its own, for its node
    expect(contract.loadApiConfig(env)).toMatchObject({ host: '0.0.0.0', port: 3000, kubernetes: 'off', token: null });
  });

  it('says how to make the collector’s per-node token with the CLI the API image holds', () => {
    const compose = readRepoFile('docker-compose.yml');
    const cli = /docker-compose run --rm --no-deps api node (dist\/apps\/api\/token-cli\.js) create --node "\$\(hostname\)"/.exec(compose);
    expect(cli, 'the token command in docker-compose.yml').not.toBeNull();
    // the API image copies dist/apps/api, which the build bundles token-cli.ts into
    expect(readRepoFile('deploy/docker/api.Dockerfile')).toContain('COPY --from=build /src/dist/apps/api ./dist/apps/api');
    expect(readRepoFile('apps/api/project.json')).toContain('apps/api/src/token-cli.ts');
    expect(readRepoFile('.env.example')).toContain(cli![0]);
  });

  it('points the API at the compose Postgres, which keeps its data in a volume and is not published', () => {
    const url = new URL(services['api']!.environment!['DATABASE_URL']!);
    const pg = services['postgres']!;
    expect(url.hostname).toBe('postgres');
    expect(url.username).toBe(pg.environment!['POSTGRES_USER']);
    expect(url.password).toBe(PASSWORD);
    expect(pg.environment!['POSTGRES_PASSWORD']).toBe(PASSWORD);
    expect(url.pathname).toBe(`/${pg.environment!['POSTGRES_DB']}`);
    expect(pg.ports).toBeUndefined();
    expect(pg.volumes?.some((v) => v.startsWith('pgdata:/var/lib/postgresql/data'))).toBe(true);
    expect(config.volumes).toHaveProperty('pgdata');
    expect(services['api']!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  });

  it('publishes the API on 127.0.0.1 by default, where the host’s collector reaches it', () => {
    const api = services['api']!;
    expect(api.ports).toEqual([`127.0.0.1:3000:${api.environment!['PORT']}/tcp`]);
    const bound = composeConfig({ NETATLAS_COLLECTOR_TOKEN: TOKEN, POSTGRES_PASSWORD: PASSWORD, NETATLAS_BIND: '0.0.0.0', NETATLAS_PORT: '8080' });
    const moved = (parse(bound.stdout) as typeof config).services;
    expect(moved['api']!.ports).toEqual(['0.0.0.0:8080:3000/tcp']);
    expect(moved['collector']!.command).toEqual(['--api', 'http://127.0.0.1:8080']);
  });

  it('runs the collector in the host network with NET_ADMIN only, passing flags and env it reads', () => {
    const c = services['collector']!;
    expect(c.network_mode).toBe('host');
    expect(c.cap_drop).toEqual(['ALL']);
    expect(c.cap_add).toEqual(['NET_ADMIN']);
    expect(c.privileged ?? false).toBe(false);
    expect(c.pid).toBeUndefined();
    expect(c.read_only).toBe(true);
    expect(Object.keys(c.environment!).filter((name) => !contract.collectorEnv.includes(name))).toEqual([]);
    expect(flagsOf(c.command!).filter((f) => !contract.collectorFlags.includes(f))).toEqual([]);
    expect(c.environment!['NETATLAS_TOKEN']).toBe(TOKEN); // NETATLAS_COLLECTOR_TOKEN, this host's own
    expect(contract.parseCollectorArgs(c.command!, c.environment!)).toMatchObject({ api: 'http://127.0.0.1:3000', token: TOKEN });
    expect(c.depends_on).toEqual({ api: { condition: 'service_healthy' } });
  });

  it('health-checks every service; the API’s check asks a real readiness endpoint', () => {
    for (const name of ['postgres', 'api', 'collector']) expect(services[name]!.healthcheck?.test, name).toBeDefined();
    const test = services['api']!.healthcheck!.test.join(' ');
    const path = /127\.0\.0\.1:3000(\/[^'"]+)/.exec(test)?.[1];
    expect(path).toBe('/api/health/ready');
    expect(apiGetRoutes()).toContain(path);
    expect(services['collector']!.healthcheck!.test.join(' ')).toContain('/api/nodes');
    expect(apiGetRoutes()).toContain('/api/nodes');
    expect(services['api']!.cap_drop).toEqual(['ALL']);
    expect(services['api']!.read_only).toBe(true);
  });
});
