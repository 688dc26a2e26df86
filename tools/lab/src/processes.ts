// Long-lived processes inside lab namespaces: start them detached, find them by namespace, stop them.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { run, sleep } from './exec.js';

/** Start `cmd` inside namespace `ns`, detached from this CLI, with its output appended to `logFile`. */
export function spawnInNamespace(ns: string, cmd: string, args: string[], logFile: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`cannot start ${cmd} in ${ns}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Every process whose network namespace is `ns`. */
export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns], { allowFail: true });
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

export function processName(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

export function processRssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** A zombie counts as gone: its parent (possibly this CLI) has simply not reaped it yet. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Signal the processes named `name` in `ns`; wait up to `waitMs` for them to exit, then SIGKILL. */
export async function stopNamed(ns: string, name: string, signal: NodeJS.Signals, waitMs = 5000): Promise<number> {
  const pids = (await namespacePids(ns)).filter((p) => processName(p) === name);
  return stopPids(pids, signal, waitMs);
}

export async function stopPids(pids: number[], signal: NodeJS.Signals, waitMs = 5000): Promise<number> {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + waitMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  while (pids.some(alive)) await sleep(20);
  return pids.length;
}
