// Starts one of the API's worker threads. The bundle (dist/apps/api) carries `<name>.js` beside
// main.js; from source (tsx, vitest) the worker is TypeScript, and a small bootstrap registers tsx in
// the worker first (a worker does not inherit the parent's --import).
import { existsSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `base` is the import.meta.url of the module beside which `<name>.ts` lives. */
export function startWorkerThread(base: string, name: string): Worker {
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  const ts = new URL(`./${name}.ts`, base).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/**
 * Committed changes for a worker thread, posted at most once per event-loop turn: a batch of deltas
 * resolves many commits in one turn, and each message costs a copy and a wake-up. A large set (a
 * snapshot's 100k changes) goes `chunk` at a time, one post per turn, so that copying it does not
 * hold the event loop in one piece. Call `flush()` before posting anything else: it posts what waits
 * at once, so the worker still sees every message in order.
 */
export class ChangePoster<C> {
  private pending: C[] = [];
  private scheduled = false;

  constructor(
    private readonly send: (changes: C[]) => void,
    private readonly chunk = 5000,
  ) {}

  add(changes: readonly C[]): void {
    for (const c of changes) this.pending.push(c);
    this.schedule();
  }

  /** Posts everything that waits, now. */
  flush(): void {
    while (this.pending.length > 0) this.post();
  }

  private schedule(): void {
    if (this.scheduled || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.post();
      this.schedule();
    });
  }

  private post(): void {
    if (this.pending.length === 0) return;
    const changes = this.pending.length <= this.chunk ? this.pending : this.pending.splice(0, this.chunk);
    if (changes === this.pending) this.pending = [];
    this.send(changes);
  }
}

/**
 * Runs the calling worker thread at a lower CPU priority (nice 10; Linux, where a thread has its own
 * nice value, read from /proc/thread-self): on a small machine the topology worker then takes
 * the cores only when ingest, whose acks collectors wait for, and Postgres leave them idle. Returns
 * whether it took effect; elsewhere it does nothing.
 */
export function lowerThisThreadsPriority(nice = 10): boolean {
  try {
    const tid = Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ', 1)[0]);
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, Math.max(getPriority(tid), nice));
    return true;
  } catch {
    return false;
  }
}
