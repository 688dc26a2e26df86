import type { Fact } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { factId } from './index.js';

describe('factId', () => {
  it('joins kind and key', () => {
    const fact: Fact = { kind: 'neigh', key: 'flannel.1|10.244.2.0', value: { lladdr: 'aa:bb:cc:dd:ee:ff' } };
    expect(factId(fact)).toBe('neigh|flannel.1|10.244.2.0');
  });

  it('ignores the value, so two versions of one object share an id', () => {
    const before: Fact = { kind: 'link', key: 'cni0', value: { operstate: 'DOWN' } };
    const after: Fact = { kind: 'link', key: 'cni0', value: { operstate: 'UP' } };
    expect(factId(before)).toBe(factId(after));
  });

  it('distinguishes kinds with the same key', () => {
    expect(factId({ kind: 'ipset', key: 'kube-router-node-ips' })).not.toBe(
      factId({ kind: 'ipsetMember', key: 'kube-router-node-ips' }),
    );
  });
});
