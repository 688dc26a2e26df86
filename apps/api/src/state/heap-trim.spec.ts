// When the state worker collects its heap by hand, and that it can (gc exposed at run time).
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { HeapTrim, shouldCollect, TRIM_FLOOR_BYTES } from './heap-trim.js';

const MB = 1048576;

describe('heap trim', () => {
  it('collects past the floor once the heap in use has doubled since the last collection', () => {
    expect(shouldCollect(TRIM_FLOOR_BYTES - 1, 0)).toBe(false);
    expect(shouldCollect(TRIM_FLOOR_BYTES, 0)).toBe(true);
    expect(shouldCollect(900 * MB, 500 * MB)).toBe(false);
    expect(shouldCollect(1000 * MB, 500 * MB)).toBe(true);
  });

  it('exposes a full collection at run time, which frees what nothing holds', () => {
    const trim = new HeapTrim();
    expect(trim.available).toBe(true);
    // a million objects nothing holds once the function returns
    const used = ((): number => {
      const junk = Array.from({ length: 1_000_000 }, (_, i) => ({ i, s: `x${i}` }));
      expect(junk).toHaveLength(1_000_000);
      return getHeapStatistics().used_heap_size;
    })();
    trim.collect();
    expect(trim.stats.collections).toBe(1);
    expect(trim.stats.retainedBytes).toBeLessThan(used - 30 * MB);
  });
});
