import { describe, expect, it } from 'vitest';
import { PartPacer } from './part-pacer.js';

type Elu = ReturnType<typeof performance.eventLoopUtilization>;

/** A loop whose utilisation is whatever the test says (cumulative figures, as performance gives them). */
function fakeLoop() {
  let active = 0;
  let idle = 0;
  const at = () => ({ active, idle, utilization: active + idle > 0 ? active / (active + idle) : 0 });
  return {
    /** the next `ms` are spent busy for `share` of them */
    spend(ms: number, share: number) {
      active += ms * share;
      idle += ms * (1 - share);
    },
    utilisation: (since?: Elu): Elu => {
      const now = at();
      if (!since) return now;
      const a = now.active - since.active;
      const i = now.idle - since.idle;
      return { active: a, idle: i, utilization: a + i > 0 ? a / (a + i) : 0 };
    },
  };
}

describe('PartPacer', () => {
  it('lets a part through at once while the loop is idle enough', async () => {
    const loop = fakeLoop();
    const pacer = new PartPacer(0.5, 200, loop.utilisation);
    loop.spend(100, 0.2);
    await new Promise((r) => setTimeout(r, 25));
    const t0 = performance.now();
    await pacer.pace();
    expect(performance.now() - t0).toBeLessThan(15);
    expect(pacer.stats.held).toBe(0);
  });

  it('holds a part while the loop is busy, and lets it go once the loop is idle again', async () => {
    const loop = fakeLoop();
    const pacer = new PartPacer(0.5, 2000, loop.utilisation);
    loop.spend(200, 0.95);
    await new Promise((r) => setTimeout(r, 25));
    const idleSoon = setTimeout(() => loop.spend(1000, 0), 150);
    const t0 = performance.now();
    await pacer.pace();
    const waited = performance.now() - t0;
    clearTimeout(idleSoon);
    expect(waited).toBeGreaterThanOrEqual(100);
    expect(waited).toBeLessThan(1000);
    expect(pacer.stats.held).toBe(1);
  });

  it('holds a part at most maxWaitMs however busy the loop stays', async () => {
    const loop = fakeLoop();
    const pacer = new PartPacer(0.5, 120, loop.utilisation);
    const busy = setInterval(() => loop.spend(20, 1), 5);
    try {
      loop.spend(200, 1);
      await new Promise((r) => setTimeout(r, 25));
      const t0 = performance.now();
      await pacer.pace();
      const waited = performance.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(110);
      expect(waited).toBeLessThan(400);
      expect(pacer.stats.heldMs).toBeGreaterThanOrEqual(110);
    } finally {
      clearInterval(busy);
    }
  });

  it('watches every loop it is given (the API\'s and the part decoder\'s): the busier sets the pace', async () => {
    const api = fakeLoop();
    const decoder = fakeLoop();
    const pacer = new PartPacer(0.5, 2000, api.utilisation, decoder.utilisation);
    api.spend(200, 0.1);
    decoder.spend(200, 0.95);
    await new Promise((r) => setTimeout(r, 25));
    const idleSoon = setTimeout(() => decoder.spend(1000, 0), 150);
    const t0 = performance.now();
    await pacer.pace();
    const waited = performance.now() - t0;
    clearTimeout(idleSoon);
    expect(waited).toBeGreaterThanOrEqual(100);
    expect(waited).toBeLessThan(1000);
    expect(pacer.stats.held).toBe(1);
    // both idle: at once
    api.spend(1000, 0);
    decoder.spend(1000, 0);
    await new Promise((r) => setTimeout(r, 25));
    const t1 = performance.now();
    await pacer.pace();
    expect(performance.now() - t1).toBeLessThan(15);
    expect(pacer.stats.held).toBe(1);
  });
});
