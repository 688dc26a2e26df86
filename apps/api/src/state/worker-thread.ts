// Starts one of the API's worker threads. The bundle (dist/apps/api) carries `<name>.js` beside
// main.js; from source (tsx, vitest) the worker is TypeScript, and a small bootstrap registers tsx in
// the worker first (a worker does not inherit the parent's --import).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { nextPacedTurn } from '../realtime/turns.js';

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
 * snapshot's 100k changes) goes `chunk` at a time (1000: ~4 ms to copy), one post per turn, so that
 * copying it does not hold the event loop in one piece. Anything else for the worker goes through `after()`, which runs
 * it once every change added before it has been posted: the worker sees every message in order, and
 * no other message forces the whole backlog out in one turn (117k changes took ~0.2 s so).
 */
export class ChangePoster<C> {
  private pending: C[] = [];
  private scheduled = false;
  /** changes added and posted so far: a mark runs once `posted` reaches its `upTo` */
  private added = 0;
  private posted = 0;
  private marks: Array<{ upTo: number; run: () => void }> = [];

  constructor(
    private readonly send: (changes: C[]) => void,
    private readonly chunk = 1000,
  ) {}

  add(changes: readonly C[]): void {
    for (const c of changes) this.pending.push(c);
    this.added += changes.length;
    this.schedule();
  }

  /** Runs `run` once the changes added so far are posted: now if none wait, else in a later turn. */
  after(run: () => void): void {
    if (this.posted === this.added) return run();
    this.marks.push({ upTo: this.added, run });
    this.schedule();
  }

  /** changes added and not posted yet */
  get waiting(): number {
    return this.added - this.posted;
  }

  private schedule(): void {
    if (this.scheduled || this.pending.length === 0) return;
    this.scheduled = true;
    // paced like long work's turns: 117k changes copied a chunk per turn kept the thread busy for
    // ~0.5 s after a resync, and other collectors' acks waited behind it
    nextPacedTurn(() => {
      this.scheduled = false;
      this.post();
      this.schedule();
    });
  }

  private post(): void {
    if (this.pending.length === 0) return;
    // never past a mark: what was queued after the changes before it goes between
    const room = this.marks.length > 0 ? Math.min(this.chunk, this.marks[0]!.upTo - this.posted) : this.chunk;
    const changes = this.pending.length <= room ? this.pending : this.pending.splice(0, room);
    if (changes === this.pending) this.pending = [];
    this.send(changes);
    this.posted += changes.length;
    while (this.marks.length > 0 && this.marks[0]!.upTo <= this.posted) this.marks.shift()!.run();
  }
}
