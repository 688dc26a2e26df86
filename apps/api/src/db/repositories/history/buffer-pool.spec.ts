import { afterEach, describe, expect, it, vi } from 'vitest';
import { BufferPool } from './buffer-pool.js';

describe('BufferPool', () => {
  afterEach(() => vi.useRealTimers());

  it('hands a given buffer out again when it is large enough, else a new one', () => {
    const pool = new BufferPool(1 << 20, 30_000);
    const a = Buffer.alloc(1000);
    pool.give(a);
    expect(pool.held).toBe(1000);
    const small = pool.take(2000);
    expect(small).not.toBe(a);
    expect(small.length).toBe(2000);
    expect(pool.take(500)).toBe(a);
    expect(pool.held).toBe(0);
    expect(pool.take(500)).not.toBe(a);
  });

  it('holds at most maxBytes, and nothing after keepMs without a give', () => {
    vi.useFakeTimers();
    const pool = new BufferPool(2500, 30_000);
    pool.give(Buffer.alloc(1000));
    pool.give(Buffer.alloc(1000));
    pool.give(Buffer.alloc(1000)); // over the bound: dropped
    expect(pool.held).toBe(2000);
    vi.advanceTimersByTime(20_000);
    pool.take(1000);
    pool.give(Buffer.alloc(1000)); // a give starts the wait anew
    vi.advanceTimersByTime(20_000);
    expect(pool.held).toBe(2000);
    vi.advanceTimersByTime(10_001);
    expect(pool.held).toBe(0);
  });
});
