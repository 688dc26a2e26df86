// Exponential back-off with jitter, for reconnecting to the API and for resending after the API
// said it is unavailable.

export interface BackoffOptions {
  /** the first delay (default 500 ms) */
  initialMs?: number;
  /** the largest delay (default 10 s) */
  maxMs?: number;
  /** growth per attempt (default 2) */
  factor?: number;
  /**
   * each delay is moved by up to ± this share of itself (default 0.5; 0 for none); with `full`, only
   * down: jitter 1 is full jitter
   */
  jitter?: number;
  /**
   * full jitter: each delay is base × (1 − jitter × random), so with jitter 1 anywhere from 0 to the
   * base. What a herd reconnecting at once needs: spread over the whole window, not around its middle.
   */
  full?: boolean;
  random?: () => number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly full: boolean;
  private readonly random: () => number;
  /** delays handed out since the last reset */
  attempts = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = Math.max(this.initialMs, options.maxMs ?? 10_000);
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.full = options.full ?? false;
    this.random = options.random ?? Math.random;
    if (!(this.initialMs >= 0) || !(this.factor >= 1)) throw new Error('back-off: initialMs must be >= 0 and factor >= 1');
  }

  /** The next delay: initial, then growing by `factor` up to `maxMs`, each with jitter. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempts);
    this.attempts += 1;
    return this.jittered(base);
  }

  /** The largest delay, less at most half of it (for failures that will not go away soon: slow, whatever the jitter). */
  max(): number {
    this.attempts += 1;
    return Math.round(this.maxMs * (1 - Math.min(0.5, this.jitter) * this.random()));
  }

  reset(): void {
    this.attempts = 0;
  }

  private jittered(base: number): number {
    if (this.full) return Math.round(base * (1 - this.jitter * this.random()));
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.round(Math.min(this.maxMs, Math.max(0, base + spread)));
  }
}
