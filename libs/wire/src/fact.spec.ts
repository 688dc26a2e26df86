import { describe, expect, it } from 'vitest';
import { FACT_KINDS, FactSchema } from './index.js';

describe('FactSchema', () => {
  it('accepts a route fact with a nested JSON value', () => {
    const fact = {
      kind: 'route',
      key: 'main|inet|10.244.1.0/24|0|0',
      value: { dst: '10.244.1.0/24', gateway: '10.244.1.0', dev: 'flannel.1', flags: ['onlink'], metric: null },
    };
    expect(FactSchema.parse(fact)).toEqual(fact);
  });

  it('accepts every declared kind', () => {
    for (const kind of FACT_KINDS) {
      expect(FactSchema.safeParse({ kind, key: 'k', value: {} }).success).toBe(true);
    }
  });

  it.each([
    ['an unknown kind', { kind: 'pod', key: 'k', value: {} }],
    ['an empty key', { kind: 'link', key: '', value: {} }],
    ['a missing key', { kind: 'link', value: {} }],
    ['an array value', { kind: 'link', key: 'eth0', value: [] }],
    ['a string value', { kind: 'link', key: 'eth0', value: 'up' }],
    ['a non-JSON value', { kind: 'link', key: 'eth0', value: { seen: new Date(0) } }],
    ['an extra field', { kind: 'link', key: 'eth0', value: {}, extra: 1 }],
  ])('rejects %s', (_label, input) => {
    expect(FactSchema.safeParse(input).success).toBe(false);
  });
});
