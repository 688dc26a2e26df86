// The turns to send a snapshot (protocol 3) on their own, on a clock the test moves: at most `limit`
// held; the first few others kept waiting and handed the next turn that frees, in order; the rest
// told when to ask again from their place in line and the mean time of the last turns, with jitter;
// idle turns taken back; a connection that goes gives its turn and place up.
import { describe, expect, it } from 'vitest';
import { RETRY_MAX_MS, RETRY_MIN_MS, SnapshotTurns, TURN_MEAN_OF, TURN_MS_GUESS, WAITER_GRACE_MS, type TurnOptions } from './snapshot-turns.js';

function turns(limit: number, options: TurnOptions = {}) {
  const clock = { t: 1_000_000 };
  const t = new SnapshotTurns(limit, { idleMs: 1000, holdMaxMs: 5000, now: () => clock.t, random: () => 0.5, parkMax: 0, ...options });
  return { t, clock };
}

/** whether a promise has settled yet (after the microtasks queued so far) */
async function settled<T>(p: Promise<T>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('SnapshotTurns', () => {
  it('grants `limit` turns, and tells the others when to ask again by their place in line', async () => {
    const { t } = turns(2, { random: () => 0.5 });
    expect(await t.ask('a')).toEqual({ granted: true });
    expect(await t.ask('b')).toEqual({ granted: true });
    // nothing measured yet: a turn is reckoned at TURN_MS_GUESS; two turns free every such time
    expect(await t.ask('c')).toEqual({ granted: false, retryAfterMs: RETRY_MIN_MS, ahead: 0 });
    expect(await t.ask('d')).toEqual({ granted: false, retryAfterMs: TURN_MS_GUESS / 2, ahead: 1 });
    expect(await t.ask('e')).toEqual({ granted: false, retryAfterMs: TURN_MS_GUESS, ahead: 2 });
    expect(t.holding).toBe(2);
    expect(t.waiting).toBe(3);
    expect(t.stats).toMatchObject({ granted: 2, deferred: 3, mostHeld: 2, mostWaiting: 3 });
    // asking again keeps the place of the first ask
    expect(await t.ask('d')).toMatchObject({ granted: false, ahead: 1 });
    // a holder that asks again still holds its turn
    expect(await t.ask('a')).toEqual({ granted: true });
    expect(t.stats.granted).toBe(2);
  });

  it('moves each wait by up to half a turn either way', async () => {
    for (const [random, shift] of [
      [0, -0.5],
      [0.99, 0.49],
    ] as const) {
      const { t } = turns(1, { random: () => random });
      await t.ask('a');
      const waits = await Promise.all(['b', 'c', 'd', 'e'].map((id) => t.ask(id)));
      expect(waits).toEqual([0, 1, 2, 3].map((ahead) => ({ granted: false, retryAfterMs: Math.max(RETRY_MIN_MS, Math.round(TURN_MS_GUESS * (ahead + shift))), ahead })));
    }
  });

  it('reckons the wait from the mean time of the last turns, grant to answer', async () => {
    const { t, clock } = turns(1);
    for (let i = 0; i < TURN_MEAN_OF + 5; i++) {
      expect(await t.ask(`h${i}`)).toEqual({ granted: true });
      clock.t += i < 5 ? 10_000 : 300; // the first five fall out of the mean
      t.release(`h${i}`, true);
    }
    expect(t.meanTurnMs).toBe(300);
    await t.ask('holder');
    for (let i = 0; i < 10; i++) await t.ask(`w${i}`);
    expect(await t.ask('late')).toEqual({ granted: false, retryAfterMs: 300 * 10, ahead: 10 });
    // turns given up (not answered) do not count in the mean
    t.release('holder', false);
    expect(t.meanTurnMs).toBe(300);
  });

  it('never tells a wait beyond RETRY_MAX_MS: those further back are spread over its second half', async () => {
    for (const [random, retryAfterMs] of [
      [0, RETRY_MAX_MS / 2],
      [0.5, RETRY_MAX_MS * 0.75],
      [0.999, Math.round(RETRY_MAX_MS * 0.9995)],
    ] as const) {
      const { t } = turns(1, { random: () => random });
      await t.ask('holder');
      for (let i = 0; i < 2000; i++) await t.ask(`w${i}`);
      expect(await t.ask('last')).toEqual({ granted: false, retryAfterMs, ahead: 2000 });
    }
  });

  it('a freed turn goes to the next who asks; the earlier in line are counted ahead of the later', async () => {
    const { t } = turns(1);
    await t.ask('a');
    await t.ask('b');
    await t.ask('c');
    t.release('a', true);
    expect(await t.ask('c')).toEqual({ granted: true });
    expect(t.waiting).toBe(1);
    expect(await t.ask('d')).toMatchObject({ granted: false, ahead: 1 });
    expect(await t.ask('b')).toMatchObject({ granted: false, ahead: 0 });
  });

  it('keeps the first few asks waiting and hands them the turns that free, in order; the rest are told when to ask again', async () => {
    const { t } = turns(2, { parkMax: 3, parkMs: 60_000 });
    await t.ask('a');
    await t.ask('b');
    const kept = ['c', 'd', 'e'].map((id) => t.ask(id));
    for (const p of kept) expect(await settled(p)).toBe(false);
    expect(t.parkedNow).toBe(3);
    // the fourth is told when: behind the three kept waiting, two turns at a time
    expect(await t.ask('f')).toEqual({ granted: false, retryAfterMs: TURN_MS_GUESS * 1.5, ahead: 3 });
    // a turn frees: the first kept waiting has it at once; one asking meanwhile is kept waiting behind the others
    t.release('a', true);
    expect(await kept[0]).toEqual({ granted: true });
    expect(await settled(kept[1]!)).toBe(false);
    expect(t.holding).toBe(2);
    const late = t.ask('g');
    expect(await settled(late)).toBe(false);
    // one kept waiting goes: the turns skip it
    t.leave('d');
    expect(await kept[1]).toMatchObject({ granted: false });
    t.forget('b');
    expect(await kept[2]).toEqual({ granted: true });
    t.release('c', true);
    expect(await late).toEqual({ granted: true });
    expect(t.stats).toMatchObject({ granted: 5, handedOver: 3 });
    expect(t.parkedNow).toBe(0);
    expect(t.waiting).toBe(1); // f, told to ask again
  });

  it('answers an ask kept waiting "ask again" after parkMs without a turn', async () => {
    const { t } = turns(1, { parkMax: 1, parkMs: 30 });
    await t.ask('a');
    const t0 = performance.now();
    expect(await t.ask('b')).toEqual({ granted: false, retryAfterMs: RETRY_MIN_MS, ahead: 0 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    expect(t.parkedNow).toBe(0);
  });

  it('takes an idle turn back, and keeps a busy one', async () => {
    const { t, clock } = turns(2);
    await t.ask('idle');
    await t.ask('busy');
    t.busy('busy', 1);
    clock.t += 1001;
    expect(t.holds('idle')).toBe(false);
    expect(t.holds('busy')).toBe(true);
    expect(t.stats.takenBack).toBe(1);
    // its answer came: idle again from then on
    t.busy('busy', -1);
    clock.t += 999;
    expect(t.holds('busy')).toBe(true);
    // a part now and then keeps it, but not past holdMaxMs
    for (let i = 0; i < 5; i++) {
      clock.t += 900;
      t.busy('busy', 1);
      t.busy('busy', -1);
    }
    expect(t.holds('busy')).toBe(false);
    expect(t.stats.takenBack).toBe(2);
  });

  it('a turn taken back goes to the first ask kept waiting', async () => {
    const { t, clock } = turns(1, { parkMax: 1, parkMs: 60_000 });
    await t.ask('vanished');
    const kept = t.ask('next');
    clock.t += 1001;
    t.expire();
    expect(await kept).toEqual({ granted: true });
    expect(t.holds('next')).toBe(true);
  });

  it('a connection that goes gives up its turn and its place in line', async () => {
    const { t } = turns(1);
    await t.ask('a');
    await t.ask('b');
    await t.ask('c');
    t.forget('a');
    t.forget('b');
    expect(t.holding).toBe(0);
    expect(await t.ask('c')).toEqual({ granted: true });
    expect(t.waiting).toBe(0);
  });

  it('forgets waiters that stopped asking', async () => {
    const { t, clock } = turns(1, { random: () => 0 });
    await t.ask('holder');
    await t.ask('gone'); // told RETRY_MIN_MS, never back
    t.busy('holder', 1);
    clock.t += RETRY_MIN_MS + WAITER_GRACE_MS + 1;
    expect(await t.ask('new')).toMatchObject({ granted: false, ahead: 0 });
    expect(t.waiting).toBe(1);
  });
});
