// Runs the API under bench in a child process (api-child.ts under tsx, with the API's tsconfig for
// its decorators) and talks to it over IPC for its figures.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildStats } from './api-child.js';

export interface ApiProcess {
  url: string;
  pid: number;
  /** the child's figures since the previous call */
  stats(): Promise<ChildStats>;
  /** the child's stderr so far (warnings, errors) */
  stderr(): string;
  /** whether it is still running */
  alive(): boolean;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  // e.g. BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=tmp/prof" to profile the API under bench,
  // or "--trace-gc" with BENCH_API_STDOUT=tmp/api-stdout.log to keep what the API prints
  // (BENCH_API_TRACE=file: the child's timeline of loop blocks, GC pauses, pool waits and snapshot parts, api-child.ts)
  const nodeArgs = (env['BENCH_API_NODE_ARGS'] ?? process.env['BENCH_API_NODE_ARGS'] ?? '').split(/\s+/).filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'apps/api/bench/api-child.ts'], {
    cwd: ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: 'apps/api/tsconfig.json', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let err = '';
  let exited: number | string | null = null;
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? signal ?? 'unknown';
      resolve();
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the API did not start within 60 s:\n${err}`)), 60_000);
    const keep = process.env['BENCH_API_STDOUT'];
    if (keep) child.stdout!.on('data', (chunk: string) => appendFileSync(keep, chunk));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (out.length > 100_000) return;
      out += chunk;
      const m = /LISTENING (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the API exited (${code}) before listening:\n${err}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    stderr: () => err,
    alive: () => exited === null,
    stats: () =>
      new Promise<ChildStats>((resolve, reject) => {
        if (exited !== null) return reject(new Error(`the API exited (${exited}):\n${err.slice(-4000)}`));
        const timer = setTimeout(() => reject(new Error('the API did not answer stats within 30 s')), 30_000);
        const onMessage = (m: ChildStats) => {
          if (m?.type !== 'stats') return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(m);
        };
        child.on('message', onMessage);
        child.send({ type: 'stats' });
      }),
    async stop() {
      if (exited !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
