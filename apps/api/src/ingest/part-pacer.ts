// How fast the API takes in the parts of snapshots. A collector sends a snapshot's next part when
// the last one's `staged` ack comes, so the API sets the pace by when it acks: a herd of resyncing
// collectors (protocol 3's turns let four send at once) otherwise sends parts as fast as the API's
// thread can decode, validate and hold them, and that thread — where every other collector's ack
// and /api/health are served — was busy all the time (bench:abuse's herd: the others' ack p50
// doubled and their p99 went to ~4× the baseline's).
//
// A part's ack is held while the event loop's utilisation (the share of time it is not idle, the
// garbage collector's pauses included) over the last ~0.2 s is above `target`, at most `maxWaitMs`
// a part: the herd's parts come in what the thread leaves idle, and with nothing else to do, at once.
// The part decoder's thread (part-decoder.ts) is watched the same way: it shares the machine's
// cores with the API's thread and Postgres, so the busier of the two sets the pace.

/** the event loop's utilisation above which parts wait (0–1) */
export const PART_PACE_TARGET = 0.35;
/** the longest a part's ack is held (a 31 MB snapshot is ~120 parts: at most ~24 s longer) */
export const PART_PACE_MAX_WAIT_MS = 200;
/** how often the utilisation is sampled while parts wait, and the weight of each sample in its mean */
const SAMPLE_MS = 20;
const WEIGHT = 0.2;

export interface PacerStats {
  /** parts whose ack was held, and for how long in all (ms) */
  held: number;
  heldMs: number;
}

/** performance.eventLoopUtilization, or a worker's (or a test's clock): cumulative without `since`, else since it */
export type UtilisationSource = (since?: EventLoopUtilization) => EventLoopUtilization;

export class PartPacer {
  private readonly loops: Array<{ utilisation: UtilisationSource; last: EventLoopUtilization; mean: number }>;
  private sampledAt = performance.now();
  readonly stats: PacerStats = { held: 0, heldMs: 0 };

  constructor(
    readonly target = PART_PACE_TARGET,
    readonly maxWaitMs = PART_PACE_MAX_WAIT_MS,
    /** the loops watched: the API's own, and the part decoder's */
    ...sources: UtilisationSource[]
  ) {
    const watched = sources.length > 0 ? sources : [(since?: EventLoopUtilization) => performance.eventLoopUtilization(since)];
    this.loops = watched.map((utilisation) => ({ utilisation, last: utilisation(), mean: 0 }));
  }

  /** The busiest loop's utilisation now (each one's running mean, updated at most every SAMPLE_MS). */
  busy(): number {
    const now = performance.now();
    if (now - this.sampledAt >= SAMPLE_MS) {
      for (const loop of this.loops) {
        const current = loop.utilisation(loop.last);
        loop.last = loop.utilisation();
        // weighed by the time it covers (ms): after a long gap (no part for a while) it is the whole truth
        const weight = Math.min(1, WEIGHT * ((current.active + current.idle) / SAMPLE_MS));
        loop.mean = loop.mean * (1 - weight) + current.utilization * weight;
      }
      this.sampledAt = now;
    }
    return Math.max(...this.loops.map((loop) => loop.mean));
  }

  /** Resolves when a part's ack may go: at once while the loop is idle enough, else when it is (at most maxWaitMs). */
  async pace(): Promise<void> {
    if (this.busy() <= this.target) return;
    const t0 = performance.now();
    this.stats.held += 1;
    while (performance.now() - t0 < this.maxWaitMs) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      if (this.busy() <= this.target) break;
    }
    this.stats.heldMs += performance.now() - t0;
  }
}

type EventLoopUtilization = ReturnType<typeof performance.eventLoopUtilization>;
