import { describe, expect, it } from 'vitest';
import { Limiter, LimiterFull } from './limiter.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('Limiter', () => {
  it('runs at most n at once, the rest in arrival order, and passes on a slot when work fails', async () => {
    const limiter = new Limiter(2);
    const started: number[] = [];
    const finish: Array<(ok: boolean) => void> = [];
    const runs = [0, 1, 2, 3].map((i) =>
      limiter.run(
        () =>
          new Promise<number>((resolve, reject) => {
            started.push(i);
            finish[i] = (ok) => (ok ? resolve(i) : reject(new Error(`work ${i} failed`)));
          }),
      ),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(limiter.queued).toBe(2);
    finish[1]!(false);
    await expect(runs[1]).rejects.toThrow('work 1 failed');
    await tick();
    expect(started).toEqual([0, 1, 2]);
    finish[0]!(true);
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    finish[2]!(true);
    finish[3]!(true);
    expect(await Promise.all([runs[0], runs[2], runs[3]])).toEqual([0, 2, 3]);
    expect(limiter.queued).toBe(0);
    // all slots free again: two start at once
    const again: number[] = [];
    await Promise.all([limiter.run(async () => again.push(1)), limiter.run(async () => again.push(2))]);
    expect(again).toEqual([1, 2]);
  });

  it('refuses work beyond its line, and takes it again once the line shortens', async () => {
    const limiter = new Limiter(1, 1);
    let release!: () => void;
    const first = limiter.run(() => new Promise<void>((r) => (release = r)));
    const second = limiter.run(async () => 'second');
    await tick();
    expect(limiter.active).toBe(1);
    expect(limiter.queued).toBe(1);
    await expect(limiter.run(async () => 'third')).rejects.toBeInstanceOf(LimiterFull);
    release();
    await first;
    expect(await second).toBe('second');
    expect(await limiter.run(async () => 'fourth')).toBe('fourth');
  });

  it('refuses n < 1', () => {
    expect(() => new Limiter(0)).toThrow('n >= 1');
  });
});
