// Keeps the state worker's heap near what the state retains. With memory to spare V8 lets a heap grow
// to several times its live objects before it collects: at 1000 nodes the worker's heap reached
// 3.2 GB while the facts and the last checks retained ~0.5 GB (npm run bench:api -- --retained), and
// the API's RSS followed. A full collection whenever the heap in use has doubled since the last one
// costs the worker a collection per evaluation or two at that size (tens to hundreds of ms, against
// seconds of checks) and nothing on a small cluster.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** below this much heap in use, never collect by hand */
export const TRIM_FLOOR_BYTES = 256 * 1048576;

/** Whether to collect now: the heap in use is past the floor and twice what the last collection left. */
export function shouldCollect(usedBytes: number, retainedBytes: number): boolean {
  return usedBytes >= Math.max(TRIM_FLOOR_BYTES, 2 * retainedBytes);
}

/**
 * The thread's full collection: `gc` exposed at run time (the worker cannot take --expose-gc as an
 * option); null where that is refused.
 */
function exposeGc(): (() => void) | null {
  try {
    const g = (globalThis as { gc?: () => void }).gc;
    if (typeof g === 'function') return g;
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

export class HeapTrim {
  private readonly gc = exposeGc();
  private retained = 0;
  /** collections made, and the last one's figures */
  readonly stats = { collections: 0, lastMs: 0, retainedBytes: 0 };

  /** After a piece of work: collects if the heap grew enough since the last collection. */
  afterWork(): void {
    if (!this.gc || !shouldCollect(getHeapStatistics().used_heap_size, this.retained)) return;
    this.collect();
  }

  /** Collects now (bench:api --retained, before each figure). */
  collect(): void {
    if (!this.gc) return;
    const t0 = performance.now();
    this.gc();
    this.retained = getHeapStatistics().used_heap_size;
    this.stats.collections += 1;
    this.stats.lastMs = performance.now() - t0;
    this.stats.retainedBytes = this.retained;
  }

  get available(): boolean {
    return this.gc !== null;
  }
}
