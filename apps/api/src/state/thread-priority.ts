// The calling thread's scheduling priority, on Linux (elsewhere nothing happens). A worker thread's
// background work (the state worker's mirror, checks and topology after a resync of 117k facts:
// ~1.5 s of a core) runs at a nice value of its own, so that on a machine with few cores the API's
// main thread — where collectors wait for their acks and /api/health is answered — and Postgres
// take the CPU first; the worker has it all whenever they leave it idle. setpriority(2) on a thread
// id sets that thread's nice value only (Linux's threads are tasks of their own), and a higher nice
// value needs no privilege.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** This thread's id (/proc/thread-self → "<pid>/task/<tid>"), or null where there is none. */
export function threadId(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/**
 * Makes the calling thread `by` nice levels nicer than it is (at most 19); the nice value it has
 * then, or null where that cannot be done (not Linux, no /proc).
 */
export function lowerThreadPriority(by: number): number | null {
  const tid = threadId();
  if (tid === null) return null;
  try {
    const nice = Math.min(19, getPriority(tid) + by);
    setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return null;
  }
}
