import { describe, expect, it } from 'vitest';
import { summarizeFacts } from './fact-summary.js';

describe('summarizeFacts', () => {
  it('says so when there are no facts', () => {
    expect(summarizeFacts([])).toBe('no facts');
  });

  it('counts per kind, most numerous first, ties by name', () => {
    const facts = [
      { kind: 'route' },
      { kind: 'link' },
      { kind: 'route' },
      { kind: 'addr' },
      { kind: 'route' },
      { kind: 'link' },
      { kind: 'bgpSession' },
    ] as const;
    expect(summarizeFacts(facts)).toBe('3 route, 2 link, 1 addr, 1 bgpSession');
  });
});
