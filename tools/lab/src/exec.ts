// The one place the lab spawns processes: every command has a time-out and a readable error.
import { spawn } from 'node:child_process';

export interface RunOptions {
  /** text written to the command's stdin */
  input?: string;
  timeoutMs?: number;
  /** return the result instead of throwing on a non-zero exit */
  allowFail?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    super(`'${command}' failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const line = [cmd, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run '${line}': ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = { code: code ?? -1, stdout, stderr };
      if (timedOut) result.stderr += `\n(timed out after ${timeoutMs} ms)`;
      if (result.code !== 0 && !opts.allowFail) reject(new CommandError(line, result));
      else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** `ip -n NS ...` */
export function ipn(ns: string, args: string[], opts?: RunOptions): Promise<RunResult> {
  return run('ip', ['-n', ns, ...args], opts);
}

/** Many `ip` commands in one namespace through a single `ip -batch` process. */
export async function ipBatch(ns: string, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  await run('ip', ['-n', ns, '-batch', '-'], { input: lines.join('\n') + '\n' });
}

/** `ip netns exec NS cmd ...` */
export function nsExec(ns: string, cmd: string, args: string[], opts?: RunOptions): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

/** Run tasks with at most `limit` in flight; the first failure is rethrown after all settle. */
export async function inParallel<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (err) {
        errors.push(err);
      }
    }
  });
  await Promise.all(workers);
  if (errors.length > 0) throw errors[0];
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
