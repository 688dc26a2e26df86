// The worker threads' lower CPU priority: a thread of this process gets nice 10, the API's own thread
// keeps its priority (read back from /proc, as the scheduler sees it).
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ChangePoster } from './worker-thread.js';

const niceOf = (path: string) => Number(readFileSync(path, 'utf8').split(') ')[1]!.split(' ')[16]);

describe('lowerThisThreadsPriority', () => {
  it('lowers the calling worker thread only', async () => {
    const mine = niceOf(`/proc/${process.pid}/task/${process.pid}/stat`);
    const module = new URL('./worker-thread.ts', import.meta.url).href;
    const worker = new Worker(
      `import('tsx/esm/api').then(async ({ register }) => {
         register();
         const { lowerThisThreadsPriority } = await import(${JSON.stringify(module)});
         const { readFileSync } = await import('node:fs');
         const { parentPort } = await import('node:worker_threads');
         const done = lowerThisThreadsPriority();
         parentPort.postMessage({ done, tid: Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ', 1)[0]) });
       });`,
      { eval: true },
    );
    const reply = await new Promise<{ done: boolean; tid: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    try {
      expect(reply.done).toBe(true);
      expect(niceOf(`/proc/${process.pid}/task/${reply.tid}/stat`)).toBe(Math.max(10, mine));
      expect(niceOf(`/proc/${process.pid}/task/${process.pid}/stat`)).toBe(mine);
    } finally {
      await worker.terminate();
    }
  });
});

describe('ChangePoster', () => {
  it('posts a large set a chunk per event-loop turn, in order, and flush() posts what waits at once', async () => {
    const posts: number[][] = [];
    const poster = new ChangePoster<number>((c) => posts.push(c), 1000);
    poster.add(Array.from({ length: 2500 }, (_, i) => i));
    expect(posts).toEqual([]); // nothing in the same turn
    await new Promise((r) => setImmediate(r));
    expect(posts.map((p) => p.length)).toEqual([1000]);
    poster.add([2500, 2501]);
    poster.flush(); // e.g. before another kind of message: everything, in order, now
    expect(posts.map((p) => p.length)).toEqual([1000, 1000, 502]);
    expect(posts.flat()).toEqual(Array.from({ length: 2502 }, (_, i) => i));
    await new Promise((r) => setImmediate(r));
    expect(posts).toHaveLength(3);
  });
});
