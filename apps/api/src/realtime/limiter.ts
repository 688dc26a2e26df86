// At most `n` of a kind of work at once, the rest in arrival order. The ingest pool has 10
// connections: twenty collectors saying hello at once (a herd reconnecting after an API restart) held
// all of them, and the deltas of the collectors already streaming waited ~0.1 s for one.

export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly n: number) {
    if (!(n >= 1)) throw new Error(`a limiter needs n >= 1 (got ${n})`);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.n) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes to the next in line
      else this.running -= 1;
    }
  }

  /** work waiting for a slot */
  get queued(): number {
    return this.waiting.length;
  }
}
