// A bounded number of log lines per window: a client sending 100k bad messages must not write 100k
// lines. What is held back is counted, said once the window turns, and exported in /metrics.

export class LogBudget {
  private windowStart = 0;
  private used = 0;
  private held = 0;
  /** lines held back since the process started */
  suppressed = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly perWindow = 20,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  log(line: string): void {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      if (this.held > 0) this.write(`${this.held} more like these in the last ${Math.round((t - this.windowStart) / 1000)} s were not logged`);
      this.windowStart = t;
      this.used = 0;
      this.held = 0;
    }
    if (this.used < this.perWindow) {
      this.used += 1;
      this.write(line);
    } else {
      this.held += 1;
      this.suppressed += 1;
    }
  }
}
