// Admission of snapshots before they are sent (protocol 3, SnapshotTurnRequest in libs/wire): at
// most `limit` connections hold a turn at once; the others are told when to ask again. A resync herd
// (every collector after an API restart) then sends its snapshots a few at a time, instead of all of
// them at once to be decoded and most refused: the API's memory, its event loop and the database
// pool see `limit` snapshots at a time, whatever the size of the herd.
//
// A turn is held from its grant until the snapshot's answer (its last part's ack, or any refusal), and
// is taken back from a holder that sends nothing of it for `idleMs` (or holds it past `holdMaxMs`
// between parts), and when its connection goes: a collector that takes a turn and vanishes blocks
// nobody.
//
// Those not granted one at once: the first `parkMax` (twice `limit`) are kept waiting for their
// answer, in order, and each is granted the turn the moment one frees (or told to ask again after
// `parkMs`), so no turn stays idle while somebody is about to ask. The rest wait in line by their first
// ask, and are told to ask again when the turns ahead of them should be done: how many wait ahead of
// them, over `limit`, times the mean time of the last turns, moved by up to half a turn's time
// either way so that a herd comes back spread over the turns' pace, not all at once; coming back a
// little early, one waits among the kept ones. No wait is longer than RETRY_MAX_MS (those further
// back are spread over its second half, and are told anew then), so a turn's time guessed wrong,
// before any was measured, costs seconds rather than the herd's whole length.

/** a granted turn is taken back when no part of its snapshot came for this long */
export const TURN_IDLE_MS = 10_000;
/** ... or when it has been held this long (its snapshot not being applied): a part every 9 s must not hold it for good */
export const TURN_HOLD_MAX_MS = 120_000;
/**
 * the time a turn is assumed to take before any was measured: the first herd after a start (a resync of
 * ~1000 facts took 20–50 ms on the bench's two cores); a guess too long leaves turns idle while the herd
 * waits to come back, which RETRY_MAX_MS bounds
 */
export const TURN_MS_GUESS = 50;
/** the mean time of a turn is over this many of the last */
export const TURN_MEAN_OF = 32;
/** an ask kept waiting for a turn is answered "ask again" after this long (a collector waits 10 s for the answer) */
export const PARK_MS = 5000;
/**
 * shortest and longest `retryAfterMs`: a waiter further back is told to ask again between half this
 * and this, and then learns a wait reckoned anew (from its place then, and the turns' time then), so a
 * wrong guess of a turn's time costs at most this
 */
export const RETRY_MIN_MS = 10;
export const RETRY_MAX_MS = 10_000;
/** a waiter that has not asked again this long after it was told to is no longer counted in line */
export const WAITER_GRACE_MS = 10_000;

export type TurnAnswer = { granted: true } | { granted: false; retryAfterMs: number; ahead: number };

export interface TurnStats {
  /** turns granted since the start, and those among them to an ask kept waiting */
  granted: number;
  handedOver: number;
  /** asks answered "ask again" since the start */
  deferred: number;
  /** turns taken back from holders that sent nothing for idleMs, or held them past holdMaxMs */
  takenBack: number;
  /** the most turns held at once, and the most waiting in line at once (kept waiting or told to ask again), since the last resetPeaks() */
  mostHeld: number;
  mostWaiting: number;
}

interface Held {
  since: number;
  touched: number;
  /** messages of the holder's snapshot being handled now: the turn is not idle meanwhile */
  busy: number;
}

interface Waiter {
  ticket: number;
  /** forgotten if it has not asked again by then */
  until: number;
}

interface Parked {
  id: string;
  answer: (answer: TurnAnswer) => void;
  timer: NodeJS.Timeout;
}

export interface TurnOptions {
  idleMs?: number;
  holdMaxMs?: number;
  /** asks kept waiting at most (default twice the limit; 0: none, every ask answered at once) */
  parkMax?: number;
  parkMs?: number;
  /** ms, monotonic (default performance.now) */
  now?: () => number;
  random?: () => number;
}

export class SnapshotTurns {
  private readonly held = new Map<string, Held>();
  /** in the order of their first ask (Map keeps insertion order) */
  private readonly line = new Map<string, Waiter>();
  /** asks kept waiting for the next turn that frees, first first */
  private parked: Parked[] = [];
  private tickets = 0;
  private readonly recent: number[] = [];
  private nextRecent = 0;
  private lastSweep = -Infinity;
  readonly idleMs: number;
  readonly holdMaxMs: number;
  readonly parkMax: number;
  readonly parkMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  readonly stats: TurnStats = { granted: 0, handedOver: 0, deferred: 0, takenBack: 0, mostHeld: 0, mostWaiting: 0 };

  constructor(
    readonly limit: number,
    options: TurnOptions = {},
  ) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new Error(`snapshot turns: limit must be an integer >= 1 (got ${limit})`);
    this.idleMs = options.idleMs ?? TURN_IDLE_MS;
    this.holdMaxMs = options.holdMaxMs ?? TURN_HOLD_MAX_MS;
    this.parkMax = options.parkMax ?? 2 * limit;
    this.parkMs = options.parkMs ?? PARK_MS;
    this.now = options.now ?? (() => performance.now());
    this.random = options.random ?? Math.random;
  }

  /** A connection asks for a turn for its next snapshot: granted now, or once one frees (kept waiting), or told when to ask again. */
  ask(id: string): Promise<TurnAnswer> {
    const now = this.now();
    this.expire(now);
    const mine = this.held.get(id);
    if (mine) {
      // asked again while holding one: it is still this connection's
      mine.touched = now;
      return Promise.resolve({ granted: true });
    }
    if (this.held.size < this.limit && this.parked.length === 0) {
      this.grant(id, now);
      return Promise.resolve({ granted: true });
    }
    if (!this.line.has(id)) {
      this.line.set(id, { ticket: ++this.tickets, until: now + this.parkMs + WAITER_GRACE_MS });
      if (this.line.size > this.stats.mostWaiting) this.stats.mostWaiting = this.line.size;
    }
    if (this.parked.length < this.parkMax && !this.parked.some((p) => p.id === id)) {
      return new Promise<TurnAnswer>((answer) => {
        const timer = setTimeout(() => {
          this.parked = this.parked.filter((p) => p.id !== id);
          answer(this.defer(id));
        }, this.parkMs);
        timer.unref?.();
        this.parked.push({ id, answer, timer });
      });
    }
    return Promise.resolve(this.defer(id));
  }

  /** Whether `id` holds a turn now (one idle past its time is taken back first). */
  holds(id: string): boolean {
    this.expire(this.now());
    return this.held.has(id);
  }

  /** A message of the holder's snapshot is being handled (+1) or was answered (-1): not idle meanwhile. */
  busy(id: string, delta: 1 | -1): void {
    const turn = this.held.get(id);
    if (!turn) return;
    turn.busy = Math.max(0, turn.busy + delta);
    turn.touched = this.now();
  }

  /** The holder's snapshot was answered (`measured`: its time counts in the mean), or given up: the turn frees. */
  release(id: string, measured: boolean): void {
    const turn = this.held.get(id);
    if (!turn) return;
    this.held.delete(id);
    if (measured) {
      const ms = this.now() - turn.since;
      if (this.recent.length < TURN_MEAN_OF) this.recent.push(ms);
      else this.recent[this.nextRecent] = ms;
      this.nextRecent = (this.nextRecent + 1) % TURN_MEAN_OF;
    }
    this.handOver();
  }

  /** The connection went: its place in line is given up at once (and an ask kept waiting answered). */
  leave(id: string): void {
    this.line.delete(id);
    const parked = this.parked.find((p) => p.id === id);
    if (!parked) return;
    this.parked = this.parked.filter((p) => p !== parked);
    clearTimeout(parked.timer);
    parked.answer({ granted: false, retryAfterMs: RETRY_MIN_MS, ahead: 0 });
  }

  /** The connection went and what it sent is done with: its turn too is given up. */
  forget(id: string): void {
    this.leave(id);
    if (this.held.delete(id)) this.handOver();
  }

  /** Takes back idle turns, and forgets waiters that stopped asking. */
  expire(now = this.now()): void {
    let freed = false;
    for (const [id, turn] of this.held) {
      if (turn.busy > 0) continue;
      if (now - turn.touched > this.idleMs || now - turn.since > this.holdMaxMs) {
        this.held.delete(id);
        this.stats.takenBack += 1;
        freed = true;
      }
    }
    if (freed) this.handOver();
    // the line is swept at most once a second: each ask must stay cheap with thousands waiting
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [id, waiter] of this.line) if (waiter.until < now && !this.parked.some((p) => p.id === id)) this.line.delete(id);
  }

  /** the mean time of the last turns, grant to answer (a guess before any) */
  get meanTurnMs(): number {
    if (this.recent.length === 0) return TURN_MS_GUESS;
    let sum = 0;
    for (const ms of this.recent) sum += ms;
    return sum / this.recent.length;
  }

  /** turns held now */
  get holding(): number {
    return this.held.size;
  }

  /** connections waiting for a turn: kept waiting for their answer, or told to ask again and still expected back */
  get waiting(): number {
    return this.line.size;
  }

  /** asks kept waiting for a turn now */
  get parkedNow(): number {
    return this.parked.length;
  }

  /** mostHeld and mostWaiting start again from now (a bench's phases) */
  resetPeaks(): void {
    this.stats.mostHeld = this.held.size;
    this.stats.mostWaiting = this.line.size;
  }

  private grant(id: string, now: number): void {
    this.line.delete(id);
    this.held.set(id, { since: now, touched: now, busy: 0 });
    this.stats.granted += 1;
    if (this.held.size > this.stats.mostHeld) this.stats.mostHeld = this.held.size;
  }

  /** Free turns go to the asks kept waiting, first first. */
  private handOver(): void {
    while (this.held.size < this.limit && this.parked.length > 0) {
      const next = this.parked.shift()!;
      clearTimeout(next.timer);
      this.grant(next.id, this.now());
      this.stats.handedOver += 1;
      next.answer({ granted: true });
    }
  }

  /** "Ask again after retryAfterMs": when the turns ahead of it in line should be done, ± half a turn. */
  private defer(id: string): TurnAnswer {
    const now = this.now();
    let ahead = 0;
    for (const [other] of this.line) {
      if (other === id) break;
      ahead += 1;
    }
    const jitter = this.random();
    const wait = this.meanTurnMs * (ahead / this.limit + jitter - 0.5);
    // beyond the longest wait, spread over its second half: the far end of a herd must not come back at once
    const retryAfterMs = Math.round(wait > RETRY_MAX_MS ? RETRY_MAX_MS * (0.5 + 0.5 * jitter) : Math.max(RETRY_MIN_MS, wait));
    const waiter = this.line.get(id);
    if (waiter) waiter.until = now + retryAfterMs + WAITER_GRACE_MS;
    this.stats.deferred += 1;
    return { granted: false, retryAfterMs, ahead };
  }
}
