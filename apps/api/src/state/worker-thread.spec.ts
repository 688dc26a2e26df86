// Changes handed to a worker thread a chunk per turn, and what comes after them in order.
import { describe, expect, it } from 'vitest';
import { ChangePoster } from './worker-thread.js';

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
