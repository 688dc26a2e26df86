// The children of `npm start` each run in a process group of their own (spawned `detached`): a
// terminal's Ctrl-C (SIGINT to the whole foreground group) then reaches only npm and the start
// script, which stops the children itself, in order, instead of every process at once (the
// embedded Postgres, the API's child, shut down before the API had recorded the collectors'
// disconnects). What a child leaves behind in its group (the collector's `ip monitor`s, the
// API's Postgres) is found through /proc and killed after a deadline.
import { readdirSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

export interface ProcEntry {
  pid: number;
  ppid: number;
  pgid: number;
  /** R, S, D, Z (zombie), … */
  state: string;
  /** clock ticks after boot when it started: with the pid, its identity (pids are reused) */
  started: number;
}

/** Every process of this machine as /proc has it (Linux). */
export function processes(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push({ pid: Number(name), state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]), started: Number(fields[19]) });
  }
  return out;
}

/** The live (not zombie) members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  return processes()
    .filter((p) => p.pgid === pgid && p.state !== 'Z')
    .map((p) => p.pid);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // nothing left in it
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (groupMembers(pgid).length === 0) return true;
    if (Date.now() >= until) return false;
    await sleep(50);
  }
}

export interface StopOutcome {
  /** the child exited on the signal within the grace period */
  graceful: boolean;
  /** members of its group still alive after that, killed with SIGKILL */
  killed: number;
}

/**
 * Stops a child spawned `detached` (the leader of its own process group): `signal` to the child,
 * up to `graceMs` for it to exit, then SIGKILL to the whole group; what the child leaves in its
 * group after exiting gets a second's grace, then SIGTERM, then SIGKILL. Resolves once nothing of
 * the group is alive.
 */
export async function stopGroup(child: ChildProcess, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<StopOutcome> {
  const pgid = child.pid;
  if (pgid === undefined) return { graceful: true, killed: 0 };
  const running = () => child.exitCode === null && child.signalCode === null;
  let graceful = true;
  if (running()) {
    const exited = new Promise<boolean>((r) => child.once('exit', () => r(true)));
    child.kill(signal);
    graceful = await Promise.race([exited, sleep(graceMs).then(() => false)]);
    if (!graceful) {
      signalGroup(pgid, 'SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
    }
  }
  let killed = 0;
  if (!(await groupGone(pgid, 1_000))) {
    killed = groupMembers(pgid).length;
    signalGroup(pgid, 'SIGTERM');
    if (!(await groupGone(pgid, 2_000))) {
      signalGroup(pgid, 'SIGKILL');
      await groupGone(pgid, 5_000);
    }
  }
  return { graceful, killed };
}

/** Last resort on the start script's own exit: SIGKILL to every child's group still alive. */
export function killGroupsNow(children: readonly ChildProcess[]): void {
  for (const child of children) if (child.pid !== undefined && groupMembers(child.pid).length > 0) signalGroup(child.pid, 'SIGKILL');
}
