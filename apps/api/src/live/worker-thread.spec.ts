// The worker threads' lower CPU priority: a thread of this process gets nice 10, the API's own thread
// keeps its priority (read back from /proc, as the scheduler sees it).
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

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
