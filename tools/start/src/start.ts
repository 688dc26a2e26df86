// `npm start`: the whole product on one machine with no configuration. Builds what is missing,
// starts the API (embedded Postgres under the data folder unless DATABASE_URL is set) serving the
// web app, a collector for this host, and optionally a 3-node lab with a collector per lab node,
// then prints the URL. Ctrl-C (the terminal's whole group), or SIGINT, SIGTERM or SIGHUP to this
// process or to npm, stops everything it started, in order: the collectors, then the API (which
// records their disconnects, then stops its embedded Postgres), then the lab.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killGroupsNow, stopGroup } from './processes.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const API_BUNDLE = join(ROOT, 'dist/apps/api/main.js');
const COLLECTOR_BUNDLE = join(ROOT, 'dist/apps/collector/main.js');
const WEB_DIR = join(ROOT, 'dist/apps/web');
const LAB_CLI = join(ROOT, 'tools/lab/src/cli.ts');
const LAB_STYLES = ['kube-router', 'calico', 'flannel'] as const;

export const USAGE = `usage: npm start -- [options]

Starts the netatlas API (serving the web app), a collector for this host, and prints the URL.

  --port N            HTTP port (default: PORT or 3000)
  --data-dir DIR      where the embedded Postgres and the generated token live (default: data)
  --lab STYLE         build a 3-node lab (${LAB_STYLES.join(', ')}) and a collector per lab node instead
                      of this host's (needs root and the lab's Debian packages; without them it says
                      what is missing and goes on with this host alone)
  --lab-name NAME     the lab's name (default: demo); the lab is taken down on exit
  --no-host           no collector for this host (the default with --lab: this host is no node of
                      the lab's cluster, and netatlas would judge it as one; --host with --lab is
                      refused for that reason)
  --no-build          do not build (dist/ must exist)
  -h, --help          this text

Environment: DATABASE_URL, HOST, NETATLAS_TOKEN and the API's other variables (README) pass through.`;

export interface StartArgs {
  port: number;
  dataDir: string;
  lab: (typeof LAB_STYLES)[number] | null;
  labName: string;
  /** a collector for this host: by default only without --lab */
  host: boolean;
  build: boolean;
  help: boolean;
}

export function parseStartArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): StartArgs {
  const args: StartArgs = {
    port: Number(env['PORT'] ?? 3000),
    dataDir: env['NETATLAS_DATA_DIR'] ?? 'data',
    lab: null,
    labName: 'demo',
    host: true,
    build: true,
    help: false,
  };
  let hostAsked = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--port') args.port = Number(value());
    else if (a === '--data-dir') args.dataDir = value();
    else if (a === '--lab') {
      const style = value();
      if (!(LAB_STYLES as readonly string[]).includes(style)) throw new Error(`--lab must be one of ${LAB_STYLES.join(', ')}, got ${style}`);
      args.lab = style as StartArgs['lab'];
    } else if (a === '--lab-name') args.labName = value();
    else if (a === '--no-host') args.host = false;
    else if (a === '--host') hostAsked = true;
    else if (a === '--no-build') args.build = false;
    else if (a === '-h' || a === '--help') args.help = true;
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error(`--port must be 0–65535, got ${args.port}`);
  if (args.lab !== null) {
    // this host is not a node of the lab's cluster: its routes, ipsets and MTUs judged against the
    // lab's would be false alerts (one cluster is all netatlas knows for now)
    if (hostAsked) throw new Error('--host with --lab: this host is no node of the lab, and its collector would be judged as one of its nodes; run them as two netatlas instances');
    args.host = false;
  } else if (hostAsked) args.host = true;
  return args;
}

const log = (line: string) => process.stdout.write(`netatlas: ${line}\n`);

/** Child output, line by line, with a prefix; the last lines are kept for error messages. */
function pipe(child: ChildProcess, prefix: string, onLine?: (line: string) => void): string[] {
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream?.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        recent.push(line);
        if (recent.length > 30) recent.shift();
        process.stdout.write(`[${prefix}] ${line}\n`);
        onLine?.(line);
      }
    });
  }
  return recent;
}

/** The collectors' token: NETATLAS_TOKEN, else one generated once and kept in the data folder. */
async function token(dataDir: string): Promise<string> {
  if (process.env['NETATLAS_TOKEN']) return process.env['NETATLAS_TOKEN'];
  const file = join(dataDir, 'token');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(dataDir, { recursive: true });
  const generated = randomBytes(24).toString('base64url');
  await writeFile(file, generated + '\n', { mode: 0o600 });
  return generated;
}

function labMissing(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  for (const [cmd, pkg] of [['ip', 'iproute2'], ['ipset', 'ipset'], ['bird', 'bird2'], ['birdc', 'bird2'], ['gobgpd', 'gobgpd'], ['gobgp', 'gobgpd']]) {
    if (!['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(`${d}/${cmd}`))) missing.push(`${cmd} (Debian package ${pkg})`);
  }
  return missing;
}

/** How long each child gets to exit on SIGTERM before its process group is killed. */
export const STOP_GRACE_MS = 10_000;
/** How long the API gets to record the collectors' disconnects once they have exited. */
const DISCONNECT_RECORD_MS = 5_000;

/** The lab's CLI, in a process group of its own (a Ctrl-C during `up` does not cut it short). */
function runLab(args: string[], running?: (child: ChildProcess) => void): Promise<{ ok: boolean; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', LAB_CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running?.(child);
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', (error) => (output += error.message));
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ ok: code === 0, output: output.trim() });
    });
  });
}

/** The nodes among `names` that the API still lists as connected (null: it did not answer). */
async function stillConnected(apiUrl: string, names: readonly string[]): Promise<string[] | null> {
  try {
    const res = await fetch(`${apiUrl}/api/nodes`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return null;
    const body = (await res.json()) as { nodes: Array<{ name: string; status: string }> };
    return body.nodes.filter((n) => names.includes(n.name) && n.status === 'connected').map((n) => n.name);
  } catch {
    return null;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let args: StartArgs;
  try {
    args = parseStartArgs(argv);
  } catch (error) {
    process.stderr.write(`netatlas: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const dataDir = resolve(args.dataDir);
  if (args.build) {
    log('building api, web and collector (cached when nothing changed)…');
    const r = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', 'api', 'web', 'collector', '--output-style=static'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) {
      log('the build failed (see above)');
      return 1;
    }
  }
  for (const [what, path] of [['API', API_BUNDLE], ['collector', COLLECTOR_BUNDLE], ['web app', join(WEB_DIR, 'index.html')]] as const) {
    if (!existsSync(path)) {
      log(`the ${what} is not built (${path} is missing): run without --no-build`);
      return 1;
    }
  }
  const api: { child: ChildProcess | null; url: string | null } = { child: null, url: null };
  const collectors: Array<{ child: ChildProcess; node: string }> = [];
  const all: ChildProcess[] = [];
  const lab: { touched: boolean; command: ChildProcess | null } = { touched: false, command: null };
  let stopping = false;
  /** what main awaits once a signal came: stop() ends the process */
  const stopped = new Promise<number>(() => undefined);
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    // 1. the collectors: each closes its connection, and the API records the disconnect
    await Promise.all(collectors.map(({ child }) => stopGroup(child, STOP_GRACE_MS)));
    // 2. the API, once it has recorded them (it stops its embedded Postgres as it exits)
    if (api.child && api.url && collectors.length > 0 && api.child.exitCode === null) {
      const nodes = collectors.map((c) => c.node);
      const until = Date.now() + DISCONNECT_RECORD_MS;
      let left = await stillConnected(api.url, nodes);
      while (left !== null && left.length > 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        left = await stillConnected(api.url, nodes);
      }
      if (left === null || left.length > 0) log(`the API did not record the disconnect of ${left?.join(', ') ?? 'its collectors'} within ${DISCONNECT_RECORD_MS / 1000} s`);
    }
    if (api.child) {
      const outcome = await stopGroup(api.child, STOP_GRACE_MS);
      if (!outcome.graceful) log(`the API did not stop within ${STOP_GRACE_MS / 1000} s: killed`);
    }
    // 3. the lab, even half built
    if (lab.touched) {
      if (lab.command) await stopGroup(lab.command, STOP_GRACE_MS);
      log(`taking lab ${args.labName} down`);
      const down = await runLab(['down', '--name', args.labName]);
      if (!down.ok) log(`lab down failed:\n${down.output}`);
    }
    log('stopped');
    process.exit(code);
  };
  // npm forwards SIGINT and SIGTERM to its script, which `exec` makes this process; a terminal's
  // Ctrl-C reaches both npm and this process (not the children, in groups of their own): once is enough
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));
  // whatever ends this process otherwise, no child outlives it
  process.on('exit', () => killGroupsNow(all));

  const secret = await token(dataDir);
  const env = { ...process.env, NETATLAS_TOKEN: secret, NETATLAS_DATA_DIR: dataDir, NETATLAS_WEB_DIR: WEB_DIR, PORT: String(args.port) };
  let url: string | null = null;
  const apiChild = spawn(process.execPath, [API_BUNDLE], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  api.child = apiChild;
  all.push(apiChild);
  const apiLines = pipe(apiChild, 'api', (line) => {
    const m = /listening on (http:\/\/\S+?)\s/.exec(line);
    if (m) url = m[1]!;
  });
  const deadline = Date.now() + 120_000;
  while (!url) {
    if (stopping) return stopped;
    if (apiChild.exitCode !== null) {
      log(`the API exited (code ${apiChild.exitCode}):\n${apiLines.join('\n')}`);
      await stop(1);
      return 1;
    }
    if (Date.now() > deadline) {
      log('the API did not start within 120 s');
      await stop(1);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const apiUrl: string = url;
  api.url = apiUrl;
  apiChild.on('exit', (code) => {
    if (!stopping) {
      log(`the API exited unexpectedly (code ${code})`);
      void stop(1);
    }
  });

  /** a collector for `node` (this host, or a lab node read through `--netns`) */
  const collector = (name: string, node: string, extra: string[]) => {
    if (stopping) return;
    const child = spawn(process.execPath, ['--max-semi-space-size=2', '--optimize-for-size', COLLECTOR_BUNDLE, '--api', apiUrl, ...extra], {
      cwd: ROOT,
      env: { ...process.env, NETATLAS_TOKEN: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    collectors.push({ child, node });
    all.push(child);
    pipe(child, name);
  };
  if (args.host) collector('collector', hostname(), []);

  if (args.lab) {
    const missing = labMissing();
    if (missing.length) {
      log(`no lab: it needs ${missing.join(', ')}; going on with this host alone`);
      collector('collector', hostname(), []);
    } else {
      log(`building a 3-node ${args.lab} lab "${args.labName}" (about 10–20 s)…`);
      lab.touched = true;
      await runLab(['down', '--name', args.labName], (c) => (lab.command = c));
      if (stopping) return stopped;
      const up = await runLab(['up', '--name', args.labName, '--style', args.lab, '--nodes', '3', '--pods', '2'], (c) => (lab.command = c));
      lab.command = null;
      if (stopping) return stopped;
      if (!up.ok) {
        log(`the lab did not come up; going on with this host alone:\n${up.output}`);
        await runLab(['down', '--name', args.labName]);
        lab.touched = false;
        collector('collector', hostname(), []);
      } else {
        const status = JSON.parse((await runLab(['status', '--json', '--name', args.labName])).output) as {
          nodes: Array<{ namespace: string; collectorArgs: string[] }>;
        };
        for (const n of status.nodes) {
          // the flags that read the node's BGP daemon, as the lab hands them out
          const extra = ['--netns', n.namespace, '--node-name', n.namespace, ...n.collectorArgs];
          collector(n.namespace, n.namespace, extra);
        }
        log(`lab "${args.labName}": ${status.nodes.map((n) => n.namespace).join(', ')}; no collector for this host, which is no node of the lab`);
        const fault = args.lab === 'flannel' ? 'link-down node2' : 'stop-bgp node2';
        const undo = args.lab === 'flannel' ? 'link-up node2' : 'start-bgp node2';
        log(`try: npm run lab -- ${fault} --name ${args.labName}   (then ${undo}, status, remove-node node3 …: npm run lab -- --help)`);
      }
    }
  }
  log(`ready: open ${apiUrl}/ (API docs at ${apiUrl}/api/docs; Ctrl-C stops everything)`);
  await new Promise(() => undefined);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`netatlas: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
