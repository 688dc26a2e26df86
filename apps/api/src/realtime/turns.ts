// Long work on the API's one thread (a 117k-fact snapshot: validating, comparing, listing its
// changes) goes in turns of a couple of milliseconds, with the event loop served between them. An
// ack passes through the loop several times (socket read, handler, query, commit, reply), and at
// each it may wait behind one turn of such work: turns of 2 ms keep that to a few ms in all, where
// chunks counted in items took 10–40 ms each and tripled the p99 of acks through a herd of resyncs.

/** How long one turn of long work may hold the event loop. */
export const TURN_MS = 2;

/**
 * After a turn, while work that others wait on is under way (collectors' deltas being written: their
 * acks), long work pauses this long before its next turn, so that it takes at most about half of the
 * API's thread — and, through the statements it sends, of Postgres's cores — from them.
 */
export const YIELD_PAUSE_MS = 6;
let othersWaiting: () => boolean = () => false;

/** What tells whether others' work is under way (the fact writer's delta batches). */
export function pauseTurnsWhile(check: () => boolean): void {
  othersWaiting = check;
}

/** Whether work that others wait on is under way now (see pauseTurnsWhile). */
export function othersAreWaiting(): boolean {
  return othersWaiting();
}

/** The next turn of long work: at once (setImmediate), or after YIELD_PAUSE_MS while others' work is under way. */
export function nextPacedTurn(run: () => void): void {
  if (othersWaiting()) setTimeout(run, YIELD_PAUSE_MS);
  else setImmediate(run);
}

/** A piece of long work's turns: `if (turns.due()) await turns.yield()` in its loops. */
export class Turns {
  private since = performance.now();
  private checks = 0;

  /** Whether this turn has run its time (looked at every 32 calls: a clock read costs more than an item). */
  due(): boolean {
    if ((++this.checks & 31) !== 0) return false;
    return performance.now() - this.since >= TURN_MS;
  }

  /** Lets the event loop serve what waits, then starts a new turn. */
  async yield(): Promise<void> {
    await new Promise<void>((resolve) => nextPacedTurn(resolve));
    this.since = performance.now();
  }
}
