import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lowerThreadPriority, threadId } from './thread-priority.js';

/** each thread of this process: its nice value (field 19 of /proc/self/task/<tid>/stat) */
function nices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return out;
}

describe.runIf(process.platform === 'linux')('lowerThreadPriority', () => {
  it('makes the calling thread nicer, and no other thread of the process', () => {
    const tid = threadId()!;
    expect(Number.isInteger(tid)).toBe(true);
    const before = nices();
    const nice = lowerThreadPriority(1);
    expect(nice).toBe(Math.min(19, before.get(tid)! + 1));
    const after = nices();
    expect(after.get(tid)).toBe(nice);
    for (const [other, was] of before) if (other !== tid && after.has(other)) expect(after.get(other)).toBe(was);
  });
});
