// Run the collector CLI as a user would, from the repo, with tsx.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Snapshot } from '@netatlas/wire/core';

const exec = promisify(execFile);
export const COLLECTOR_MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

export async function collectOnce(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ snapshot: Snapshot; stderr: string }> {
  const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', COLLECTOR_MAIN, '--once', ...args], {
    env,
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  return { snapshot: JSON.parse(stdout) as Snapshot, stderr };
}

export interface WatchLine {
  type: 'snapshot' | 'delta';
  at: number;
  json: Record<string, unknown>;
}

/** Start `--watch`; every stdout line is parsed and timestamped on arrival. */
export function startWatch(args: string[]): { child: ChildProcessWithoutNullStreams; lines: WatchLine[]; stop: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', COLLECTOR_MAIN, '--watch', ...args], { stdio: 'pipe' });
  const lines: WatchLine[] = [];
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.trim()) continue;
      const json = JSON.parse(line) as Record<string, unknown>;
      lines.push({ type: json['type'] as WatchLine['type'], at: Date.now(), json });
    }
  });
  child.stderr.resume();
  return { child, lines, stop: () => child.kill('SIGTERM') };
}
