// deploy/docker/*.Dockerfile, linted. hadolint is in neither registry these machines reach (npm,
// Debian), so: dockerfile-utils (npm; the Dockerfile validator behind VS Code's Docker support) for
// syntax and instruction arguments, plus the hadolint rules that matter here, written out (their
// hadolint numbers in the test names), plus checks against the apps and the build context.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { validate } from 'dockerfile-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiGetRoutes, appContract, type AppContract } from './apps.js';
import { buildContext, dockerignore } from './context.js';
import { copyParts, parseDockerfile, stageEnv, startCommand, type Dockerfile, type Instruction } from './dockerfile.js';
import { readRepoFile, repoPath, ROOT } from './repo.js';

const FILES = { api: 'deploy/docker/api.Dockerfile', collector: 'deploy/docker/collector.Dockerfile' } as const;
const text = { api: readRepoFile(FILES.api), collector: readRepoFile(FILES.collector) };
const parsed: Record<keyof typeof FILES, Dockerfile> = { api: parseDockerfile(text.api), collector: parseDockerfile(text.collector) };
const apps = Object.keys(FILES) as Array<keyof typeof FILES>;

/** Debian package of each tool the collector's readers and watcher run (`cat` reads /proc files with --netns). */
const TOOL_PACKAGES: Record<string, string> = {
  ip: 'iproute2',
  bridge: 'iproute2',
  ipset: 'ipset',
  birdc: 'bird2',
  gobgp: 'gobgpd',
  vtysh: 'frr',
  ipvsadm: 'ipvsadm',
  cat: 'coreutils',
  grep: 'grep',
};
/** in every Debian image: Essential packages */
const ESSENTIAL = new Set(['coreutils', 'grep']);

function runs(d: Dockerfile): Instruction[] {
  return d.stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN'));
}

function finalStage(d: Dockerfile) {
  return d.stages.at(-1)!;
}

/** Every shell command of a RUN line, split on && / ; */
function commands(ins: Instruction): string[] {
  return (ins.exec ? ins.exec.join(' ') : ins.raw).split(/&&|;/).map((c) => c.trim()).filter(Boolean);
}

let contract: AppContract;
beforeAll(async () => {
  contract = await appContract();
});

describe.each(apps)('deploy/docker/%s.Dockerfile', (app) => {
  const d = parsed[app];

  it('has no problems dockerfile-utils finds (syntax, instructions, flags, arguments)', () => {
    const problems = validate(text[app]).map((p) => `line ${p.range.start.line + 1}: ${p.message}`);
    expect(problems).toEqual([]);
  });

  it('DL3006/DL3007: base images are pinned to a version tag, not latest; the Node major is .nvmrc’s', () => {
    const stageNames = new Set(d.stages.map((s) => s.name).filter(Boolean));
    for (const stage of d.stages) {
      if (stageNames.has(stage.image)) continue;
      expect(stage.image, `FROM ${stage.image}`).toMatch(/^[a-z0-9./-]+:\d+(\.\d+)+[-\w.]*$/);
      expect(stage.image).not.toMatch(/:latest$/);
    }
    const nvmrc = readRepoFile('.nvmrc').trim();
    for (const stage of d.stages) expect(stage.image).toMatch(new RegExp(`^node:${nvmrc}\\.`));
  });

  it('is a multi-stage build: a named build stage, and a runtime stage that copies from it only', () => {
    expect(d.stages.length).toBeGreaterThanOrEqual(2);
    const build = d.stages[0]!;
    expect(build.name).toBe('build');
    for (const ins of finalStage(d).instructions.filter((i) => i.keyword === 'COPY')) {
      expect(copyParts(ins).from, `line ${ins.line}: the runtime stage copies from the build stage`).toBe('build');
    }
  });

  it('DL3000/DL3020/DL3025: absolute WORKDIRs, COPY not ADD, exec-form CMD and ENTRYPOINT', () => {
    for (const stage of d.stages) {
      for (const ins of stage.instructions) {
        if (ins.keyword === 'WORKDIR') expect(ins.raw, `line ${ins.line}`).toMatch(/^\//);
        expect(ins.keyword, `line ${ins.line}`).not.toBe('ADD');
        if (ins.keyword === 'CMD' || ins.keyword === 'ENTRYPOINT') expect(ins.exec, `line ${ins.line}: exec form`).not.toBeNull();
      }
    }
  });

  it('DL3008/DL3009/DL3015/DL3005: apt-get update and install in one RUN, -y, --no-install-recommends, lists removed, no upgrade', () => {
    for (const ins of runs(d)) {
      const cmds = commands(ins);
      const install = cmds.find((c) => /^apt-get\s+install/.test(c));
      expect(cmds.some((c) => /^apt(-get)?\s+(dist-)?upgrade/.test(c)), `line ${ins.line}`).toBe(false);
      expect(cmds.some((c) => /^apt\s/.test(c)), `line ${ins.line}: apt-get, not apt, in scripts`).toBe(false);
      if (!install) continue;
      expect(install).toMatch(/\s-y\b/);
      expect(install).toContain('--no-install-recommends');
      expect(cmds[0], `line ${ins.line}: apt-get update first`).toBe('apt-get update');
      expect(cmds.at(-1), `line ${ins.line}: lists removed in the same layer`).toBe('rm -rf /var/lib/apt/lists/*');
    }
  });

  it('DL4006: a RUN with a pipe sets pipefail; DL3016-like: npm ci from the lockfile, never npm install', () => {
    for (const ins of runs(d)) {
      if (/[^|]\|[^|]/.test(ins.raw)) expect(ins.raw, `line ${ins.line}`).toMatch(/set -o pipefail/);
      for (const c of commands(ins)) expect(c, `line ${ins.line}`).not.toMatch(/^npm\s+(install|i)\b/);
    }
  });

  it('copies only context files that exist and that .dockerignore lets through; COPY --from names an earlier stage', () => {
    const context = new Set(buildContext(ROOT));
    const ignored = dockerignore(readRepoFile('.dockerignore'));
    d.stages.forEach((stage, index) => {
      for (const ins of stage.instructions.filter((i) => i.keyword === 'COPY')) {
        const { from, sources } = copyParts(ins);
        if (from !== null) {
          expect(d.stages.slice(0, index).map((s) => s.name), `line ${ins.line}`).toContain(from);
          continue;
        }
        for (const src of sources) {
          if (src === '.') continue;
          expect(ignored(src), `line ${ins.line}: ${src} is excluded by .dockerignore`).toBe(false);
          expect(context.has(src), `line ${ins.line}: ${src} is in the build context`).toBe(true);
        }
      }
    });
  });

  it('installs from the lockfile and builds with the project’s own Nx target, then prunes dev dependencies', () => {
    const build = d.stages[0]!;
    const lines = build.instructions.filter((i) => i.keyword === 'RUN').flatMap(commands);
    expect(lines[0]).toMatch(/^npm ci\b/);
    expect(lines.some((c) => /^npm prune --omit=dev\b/.test(c))).toBe(true);
    const nx = lines.find((c) => c.startsWith('npx nx '))!;
    if (app === 'api') expect(nx).toMatch(/^npx nx run-many -t build -p api web\b/);
    else expect(nx).toMatch(/^npx nx run collector:build\b/);
    // the package.json and lockfile are copied before npm ci (a layer that survives source changes)
    const firstCopy = build.instructions.find((i) => i.keyword === 'COPY')!;
    expect(copyParts(firstCopy).sources).toEqual(['package.json', 'package-lock.json']);
  });

  it('sets only environment variables the app reads (and NODE_ENV, which Express reads) in the runtime stage', () => {
    const env = Object.keys(stageEnv(finalStage(d), d));
    const known = app === 'api' ? contract.apiEnv : contract.collectorEnv;
    expect(env.filter((name) => name !== 'NODE_ENV' && !known.includes(name))).toEqual([]);
  });
});

describe('the API image', () => {
  const d = parsed.api;
  const runtime = finalStage(d);
  const env = stageEnv(runtime, d);

  it('DL3002: runs as the unprivileged node user', () => {
    const users = runtime.instructions.filter((i) => i.keyword === 'USER');
    expect(users.at(-1)?.raw).toBe('node');
  });

  it('listens on every address of the container at the port it EXPOSEs', () => {
    expect(env['HOST']).toBe('0.0.0.0');
    const expose = runtime.instructions.find((i) => i.keyword === 'EXPOSE');
    expect(expose?.raw).toBe(env['PORT']);
  });

  it('HEALTHCHECKs a real readiness endpoint, in exec form', () => {
    const hc = runtime.instructions.find((i) => i.keyword === 'HEALTHCHECK')!;
    const cmd = JSON.parse(hc.args.slice(1).join(' ')) as string[];
    expect(hc.args[0]).toBe('CMD');
    expect(cmd[0]).toBe('node');
    expect(cmd.join(' ')).toContain("'/api/health/ready'");
    expect(apiGetRoutes()).toContain('/api/health/ready');
  });

  it('carries the bundle with its worker threads, the web app and the migrations, and serves the web app', () => {
    const copied = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => copyParts(i).sources[0]);
    expect(copied).toEqual(expect.arrayContaining(['/src/node_modules', '/src/prisma/migrations', '/src/dist/apps/api', '/src/dist/apps/web', '/src/package.json']));
    const build = JSON.parse(readRepoFile('apps/api/project.json')) as { targets: { build: { options: { command: string } } } };
    // every entry point esbuild bundles lands in dist/apps/api, which is copied whole
    expect(build.targets.build.options.command).toContain('--outdir=dist/apps/api');
    expect(env['NETATLAS_WEB_DIR']).toBe('/app/dist/apps/web');
    expect(startCommand(runtime)).toEqual(['node', 'dist/apps/api/main.js']);
  });
});

describe('the collector image', () => {
  const d = parsed.collector;
  const runtime = finalStage(d);
  const installed = new Set(
    runs({ globalArgs: {}, stages: [runtime] })
      .flatMap(commands)
      .filter((c) => c.startsWith('apt-get install'))
      .flatMap((c) => c.split(/\s+/).slice(2).filter((w) => !w.startsWith('-'))),
  );

  it('starts the bundle with the collector’s V8 flags, as npm run collector:dist does', () => {
    const argv = startCommand(runtime);
    expect(argv.slice(0, -1)).toEqual(['node', ...contract.collectorNodeFlags, 'dist/apps/collector/main.js']);
    const scripts = (JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['collector:dist']).toBe(['node', ...contract.collectorNodeFlags, 'dist/apps/collector/main.js'].join(' '));
  });

  it('installs the Debian package of every tool the readers and the watcher run', () => {
    const sources = [
      ...readdirSync(repoPath('apps/collector/src/readers')).filter((f) => f.endsWith('.reader.ts') || f === 'listening.ts').map((f) => `apps/collector/src/readers/${f}`),
      'apps/collector/src/watch.ts',
      'apps/collector/src/runner.ts',
    ];
    const tools = new Set<string>();
    for (const file of sources) {
      const code = readFileSync(repoPath(file), 'utf8');
      for (const m of code.matchAll(/(?:\.run|startMonitor|available|resolve)\(\s*'([a-z0-9-]+)'/g)) tools.add(m[1]!);
    }
    expect([...tools].sort()).toEqual(Object.keys(TOOL_PACKAGES).sort());
    for (const tool of tools) {
      const pkg = TOOL_PACKAGES[tool]!;
      if (!ESSENTIAL.has(pkg)) expect(installed.has(pkg), `${tool} (${pkg}) is installed in the image`).toBe(true);
      // where the tool is installed here, Debian agrees which package ships it
      const where = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (where) {
        const owner = spawnSync('sh', ['-c', `dpkg -S "$(readlink -f ${where})" 2>/dev/null || dpkg -S "${where}"`], { encoding: 'utf8' }).stdout;
        if (owner) expect(owner.split(':')[0], `${tool} at ${where}`).toBe(pkg);
      }
    }
  });

  it('installs nothing else than those tools', () => {
    expect([...installed].sort()).toEqual([...new Set(Object.values(TOOL_PACKAGES))].filter((p) => !ESSENTIAL.has(p)).sort());
  });

  it('copies only the bundle and the packages it imports, not the workspace’s node_modules', () => {
    const copied = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => copyParts(i).sources[0]);
    expect(copied.sort()).toEqual(['/src/dist/apps/collector', '/src/package.json']);
    const build = d.stages[0]!.instructions.filter((i) => i.keyword === 'RUN').flatMap(commands);
    expect(build).toContain('node deploy/docker/bundle-deps.mjs dist/apps/collector/main.js dist/apps/collector/node_modules');
  });

  it('says why it runs as uid 0, and with which capability', () => {
    expect(runtime.instructions.some((i) => i.keyword === 'USER')).toBe(false);
    expect(text.collector).toMatch(/uid 0 with every capability dropped but NET_ADMIN/);
  });
});

describe('.dockerignore', () => {
  const ignored = dockerignore(readRepoFile('.dockerignore'));

  it('keeps build output, dependencies, git and local secrets out of the context', () => {
    for (const path of ['node_modules/nx/package.json', 'apps/web/node_modules/x', 'dist/apps/api/main.js', '.git/HEAD', '.env', 'data/token', 'tmp/x', 'apps/api/src/generated/prisma/client.ts']) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it('lets through what the builds need', () => {
    for (const path of ['package.json', 'package-lock.json', 'nx.json', 'apps/api/src/main.ts', 'prisma/migrations', 'deploy/docker/bundle-deps.mjs', 'apps/api/scripts/schema-engine-unavailable.sh']) {
      expect(ignored(path), path).toBe(false);
    }
  });

  it('follows docker’s matching: ** spans folders, a matched folder takes its contents, ! re-includes', () => {
    const m = dockerignore('**/node_modules\ndocs\n*.md\n!README.md\n');
    expect(m('a/b/node_modules/c')).toBe(true);
    expect(m('docs/screenshots/x.png')).toBe(true);
    expect(m('CHANGES.md')).toBe(true);
    expect(m('README.md')).toBe(false);
    expect(m('apps/README.md')).toBe(false);
  });
});
