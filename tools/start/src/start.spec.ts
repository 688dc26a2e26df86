// test tier: e2e (the whole product: an embedded Postgres, the web app, a collector)
// The README's first command, as a newcomer runs it: no configuration, an embedded Postgres under a
// fresh data folder, the web app and a collector for this host, one URL printed; Ctrl-C stops all.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStartArgs } from './start.js';

const START = fileURLToPath(new URL('./start.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('parseStartArgs', () => {
  it('has sane defaults and checks its options', () => {
    expect(parseStartArgs([], {})).toMatchObject({ port: 3000, dataDir: 'data', lab: null, host: true, build: true });
    expect(parseStartArgs(['--lab', 'calico', '--port', '0', '--no-build'], {})).toMatchObject({ lab: 'calico', port: 0, build: false });
    expect(() => parseStartArgs(['--lab', 'weave'], {})).toThrow(/--lab must be one of kube-router, calico, flannel/);
    expect(() => parseStartArgs(['--port'], {})).toThrow(/--port needs a value/);
    expect(() => parseStartArgs(['--bogus'], {})).toThrow(/unknown option --bogus/);
    // with a lab, this host (no node of the lab's cluster) gets no collector, and cannot ask for one
    expect(parseStartArgs(['--lab', 'kube-router'], {})).toMatchObject({ lab: 'kube-router', host: false, labName: 'demo' });
    expect(() => parseStartArgs(['--lab', 'calico', '--host'], {})).toThrow(/this host is no node of the lab/);
  });
});

describe('npm start', () => {
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;
  const output: string[] = [];

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('brings up the API on an embedded Postgres, the web app and this host’s collector, and stops on Ctrl-C', async () => {
    for (const built of ['dist/apps/api/main.js', 'dist/apps/collector/main.js', 'dist/apps/web/index.html']) {
      expect(existsSync(join(ROOT, built)), `${built} (npx nx run-many -t build)`).toBe(true);
    }
    dataDir = await mkdtemp(join(tmpdir(), 'netatlas-start-'));
    await chmod(dataDir, 0o755); // as root, the embedded Postgres runs as `postgres`
    const env = { ...process.env };
    delete env['DATABASE_URL'];
    delete env['NETATLAS_TOKEN'];
    child = spawn(process.execPath, ['--import', 'tsx', START, '--port', '0', '--data-dir', dataDir, '--no-build'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let url: string | null = null;
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding('utf8').on('data', (d: string) => {
        output.push(d);
        const m = /ready: open (http:\/\/\S+?)\//.exec(d);
        if (m) url = m[1]!;
      });
    }
    const deadline = Date.now() + 120_000;
    while (!url) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not get ready:\n${output.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const base: string = url;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(output.join('')).toContain('DATABASE_URL is not set: starting an embedded Postgres');
    const health = (await (await fetch(`${base}/api/health`)).json()) as { status: string; database: { ok: boolean; embedded: boolean } };
    expect(health).toMatchObject({ status: 'ok', database: { ok: true, embedded: true } });
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    // this host's collector streams into it
    const name = hostname();
    await expect
      .poll(async () => ((await (await fetch(`${base}/api/nodes`)).json()) as { nodes: Array<{ name: string; status: string }> }).nodes.find((n) => n.name === name)?.status, {
        timeout: 60_000,
        interval: 500,
      })
      .toBe('connected');
    // `connected` comes with its hello; its snapshot is stored after
    const links = async () => ((await (await fetch(`${base}/api/nodes/${name}/facts?kind=link`)).json()) as { facts: Array<{ value: { ifname: string } }> }).facts.map((f) => f.value.ifname);
    await expect.poll(links, { timeout: 30_000, interval: 250 }).toContain('lo');
    expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(dataDir, 'token'))).toBe(true);

    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // nothing of it keeps running: the port is closed
    await expect(fetch(`${base}/api/health`)).rejects.toThrow();
  });
});
