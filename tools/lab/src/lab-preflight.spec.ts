// Without root or without a needed package the lab stops at once, says what is missing and how
// to install it, and creates nothing.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { netnsNames } from './testing/ground-truth.js';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

async function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; prefix?: string[] } = {}) {
  const cmd = opts.prefix ? opts.prefix[0]! : process.execPath;
  const argv = [...(opts.prefix?.slice(1) ?? []), ...(opts.prefix ? [process.execPath] : []), '--import', 'tsx', CLI, ...args];
  try {
    await exec(cmd, argv, { env: opts.env ?? process.env });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

describe('lab preflight', () => {
  test('a missing tool stops `up` at once, naming the Debian packages to install', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'nopath-'));
    const r = await runCli(['up', '--name', 'tpre', '--style', 'kube-router', '--nodes', '1'], {
      env: { ...process.env, PATH: empty },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing ip (Debian package iproute2)');
    expect(r.stderr).toContain('gobgpd (Debian package gobgpd)');
    expect(r.stderr).toContain('apt-get install -y iproute2 procps gobgpd ipset');
    if (process.getuid?.() === 0) expect((await netnsNames()).filter((n) => n.startsWith('tpre-'))).toEqual([]);
  });

  test.skipIf(process.getuid?.() !== 0)('without root it says root is needed', async () => {
    const r = await runCli(['up', '--name', 'tpre', '--style', 'flannel'], {
      prefix: ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'],
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the lab needs root');
  });

  test('bad arguments are named', async () => {
    expect((await runCli(['up', '--name', 'Bad-Name', '--style', 'flannel'])).stderr).toContain('invalid lab name');
    expect((await runCli(['up', '--style', 'weave'])).stderr).toContain('--style must be one of');
    expect((await runCli(['frobnicate'])).stderr).toContain("unknown command 'frobnicate'");
  });
});
