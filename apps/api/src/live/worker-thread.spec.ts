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
  it('posts a large set a chunk per event-loop turn, in order; what comes after() waits for the changes before it', async () => {
    const posts: Array<number[] | string> = [];
    const turn = () => new Promise((r) => setImmediate(r));
    const poster = new ChangePoster<number>((c) => posts.push(c), 1000);
    poster.after(() => posts.push('first')); // nothing waits: at once
    expect(posts).toEqual(['first']);
    poster.add(Array.from({ length: 2500 }, (_, i) => i));
    expect(posts).toHaveLength(1); // nothing in the same turn
    await turn();
    expect(posts.slice(1).map((p) => p.length)).toEqual([1000]);
    poster.after(() => posts.push('evaluate')); // e.g. another kind of message: after the 2500
    poster.add([2500, 2501]); // … and these after it
    expect(poster.waiting).toBe(1502);
    for (let i = 0; i < 5; i++) await turn();
    const shape = posts.map((p) => (typeof p === 'string' ? p : p.length));
    // a chunk per turn, never more: the mark splits the chunk at its place
    expect(shape).toEqual(['first', 1000, 1000, 500, 'evaluate', 2]);
    expect(posts.filter((p): p is number[] => typeof p !== 'string').flat()).toEqual(Array.from({ length: 2502 }, (_, i) => i));
    expect(poster.waiting).toBe(0);
  });
});
