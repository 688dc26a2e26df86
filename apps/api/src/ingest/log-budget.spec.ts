import { describe, expect, it } from 'vitest';
import { LogBudget } from './log-budget.js';

describe('LogBudget', () => {
  it('writes up to its budget per window, counts the rest, and says so when the window turns', () => {
    const lines: string[] = [];
    let now = 1_000_000;
    const budget = new LogBudget((l) => lines.push(l), 3, 10_000, () => now);
    for (let i = 0; i < 100_000; i++) budget.log(`bad message ${i}`);
    expect(lines).toEqual(['bad message 0', 'bad message 1', 'bad message 2']);
    expect(budget.suppressed).toBe(99_997);
    now += 10_000;
    budget.log('next');
    expect(lines.slice(3)).toEqual(['99997 more like these in the last 10 s were not logged', 'next']);
    now += 10_000;
    budget.log('quiet');
    expect(lines.at(-1)).toBe('quiet');
    expect(lines).toHaveLength(6);
  });
});
