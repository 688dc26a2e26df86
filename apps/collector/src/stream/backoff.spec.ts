import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

/** random() returning these in turn */
const seq = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length]!;
};

describe('Backoff', () => {
  it('grows from initialMs by factor up to maxMs, ± jitter around each delay', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5, random: seq(0, 1, 0.5, 0.5, 0.5, 0.5) });
    // random 0: −50 %; random 1: +50 %; 0.5: the delay itself
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([50, 300, 400, 800, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('with full jitter takes each delay down only: anywhere from 0 to the delay', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 10_000, jitter: 1, full: true, random: seq(0, 0.5, 0.999, 0.25) });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([500, 500, 2, 3000]);
    for (let i = 0; i < 10; i++) b.next();
    expect(new Backoff({ initialMs: 500, maxMs: 10_000, jitter: 1, full: true, random: () => 0 }).next()).toBe(500);
    // spread over the whole window: a herd of 1000 first attempts lands evenly over 0 – 0.5 s
    const herd = Array.from({ length: 1000 }, () => new Backoff({ jitter: 1, full: true }).next());
    const quarters = [0, 1, 2, 3].map((q) => herd.filter((d) => d >= q * 125 && d < (q + 1) * 125).length);
    for (const n of quarters) expect(n).toBeGreaterThan(150);
    expect(Math.max(...herd)).toBeLessThanOrEqual(500);
  });

  it('max() is the largest delay less at most half of it, whatever the jitter', () => {
    expect(new Backoff({ maxMs: 10_000, jitter: 1, full: true, random: () => 0.999 }).max()).toBe(5005);
    expect(new Backoff({ maxMs: 10_000, jitter: 0, random: () => 0.999 }).max()).toBe(10_000);
    expect(new Backoff({ maxMs: 10_000, jitter: 0.2, random: () => 1 }).max()).toBe(8000);
  });
});
