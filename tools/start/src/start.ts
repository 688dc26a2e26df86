// `npm start`: the whole product on one machine with no configuration. Builds what is missing,
// starts the API (embedded Postgres under the data folder unless DATABASE_URL is set) serving the
// web app, a collector for this host, and optionally a 3-node lab with a collector per lab node,
// then prints the URL. Ctrl-C stops everything it started.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

function runLab(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', LAB_CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
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
  const children: ChildProcess[] = [];
  let labUp = false;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    for (const child of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      }
    }
    if (labUp) {
      log(`taking lab ${args.labName} down`);
      runLab(['down', '--name', args.labName]);
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const secret = await token(dataDir);
  const env = { ...process.env, NETATLAS_TOKEN: secret, NETATLAS_DATA_DIR: dataDir, NETATLAS_WEB_DIR: WEB_DIR, PORT: String(args.port) };
  let url: string | null = null;
  const api = spawn(process.execPath, [API_BUNDLE], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(api);
  const apiLines = pipe(api, 'api', (line) => {
    const m = /listening on (http:\/\/\S+?)\s/.exec(line);
    if (m) url = m[1]!;
  });
  const deadline = Date.now() + 120_000;
  while (!url) {
    if (api.exitCode !== null) {
      log(`the API exited (code ${api.exitCode}):\n${apiLines.join('\n')}`);
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
  api.on('exit', (code) => {
    if (!stopping) {
      log(`the API exited unexpectedly (code ${code})`);
      void stop(1);
    }
  });

  const collector = (name: string, extra: string[]) => {
    const child = spawn(process.execPath, ['--max-semi-space-size=2', '--optimize-for-size', COLLECTOR_BUNDLE, '--api', apiUrl, ...extra], {
      cwd: ROOT,
      env: { ...process.env, NETATLAS_TOKEN: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    pipe(child, name);
  };
  if (args.host) collector('collector', []);

  if (args.lab) {
    const missing = labMissing();
    if (missing.length) {
      log(`no lab: it needs ${missing.join(', ')}; going on with this host alone`);
      collector('collector', []);
    } else {
      log(`building a 3-node ${args.lab} lab "${args.labName}" (about 10–20 s)…`);
      runLab(['down', '--name', args.labName]);
      const up = runLab(['up', '--name', args.labName, '--style', args.lab, '--nodes', '3', '--pods', '2']);
      if (!up.ok) {
        log(`the lab did not come up; going on with this host alone:\n${up.output}`);
        runLab(['down', '--name', args.labName]);
        collector('collector', []);
      } else {
        labUp = true;
        const status = JSON.parse(runLab(['status', '--json', '--name', args.labName]).output) as {
          nodes: Array<{ namespace: string; collectorArgs: string[] }>;
        };
        for (const n of status.nodes) {
          // the flags that read the node's BGP daemon, as the lab hands them out
          const extra = ['--netns', n.namespace, '--node-name', n.namespace, ...n.collectorArgs];
          collector(n.namespace, extra);
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
