// The checks' memory of what daemons originated: a node whose daemon stopped answering
// keeps the ranges it last announced (its peers must be seen losing them), until it answers again
// or leaves.
import type { RememberedOrigin } from '@netatlas/graph';
import { makeFact, type Fact } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { rememberOrigins } from './checks-run.js';

const node = (status: 'ok' | 'failed' | 'missing'): Fact =>
  makeFact('node', { hostname: 'h', kernel: 'k', bootId: 'b', cniStyle: 'calico', readers: { bird: { status, error: status === 'ok' ? null : 'gone' } } });
const origin = (prefix: string): Fact => makeFact('bgpOrigin', { daemon: 'bird', family: 'inet', prefix, nexthop: null });

describe('rememberOrigins', () => {
  it('keeps what a node last announced while its daemon is down, forgets it when it answers again or leaves', () => {
    const memory = new Map<string, RememberedOrigin[]>();
    const up = new Map([['n2', [node('ok'), origin('10.48.0.64/26')]]]);
    expect(rememberOrigins(up, ['n2'], memory)).toEqual(new Map());
    const down = new Map([['n2', [node('failed')]]]);
    expect(rememberOrigins(down, ['n2'], memory)).toEqual(new Map([['n2', [{ daemon: 'bird', prefix: '10.48.0.64/26' }]]]));
    // answering again and announcing nothing: nothing to remember
    expect(rememberOrigins(new Map([['n2', [node('ok')]]]), ['n2'], memory)).toEqual(new Map());
    expect(rememberOrigins(down, ['n2'], memory)).toEqual(new Map());
    // a node that left is forgotten
    rememberOrigins(up, ['n2'], memory);
    rememberOrigins(down, [], memory);
    expect(memory.size).toBe(0);
  });
});
