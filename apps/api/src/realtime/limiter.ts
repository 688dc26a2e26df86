// At most `n` of a kind of work at once, the rest in arrival order. The ingest pool has 10
// connections: twenty collectors saying hello at once (a herd reconnecting after an API restart) held
// all of them, and the deltas of the collectors already streaming waited ~0.1 s for one.

/** The limiter's line is as long as it may be: the work is refused, not queued. */
export class LimiterFull extends Error {}

export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  /** `maxQueued`: work that would wait behind this many is refused (LimiterFull) */
  constructor(
    private readonly n: number,
    private readonly maxQueued = Infinity,
  ) {
    if (!(n >= 1)) throw new Error(`a limiter needs n >= 1 (got ${n})`);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.n) {
      if (this.waiting.length >= this.maxQueued) throw new LimiterFull(`${this.n} running and ${this.waiting.length} waiting`);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    else this.running += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes to the next in line
      else this.running -= 1;
    }
  }

  /** work running now */
  get active(): number {
    return this.running;
  }

  /** work waiting for a slot */
  get queued(): number {
    return this.waiting.length;
  }
}
