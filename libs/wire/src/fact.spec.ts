import { describe, expect, it } from 'vitest';
import { DeltaSchema, FactSchema, makeFact, type RouteValue } from './index.js';

const route: RouteValue = {
  table: 'main',
  family: 'inet',
  dst: '10.244.2.0/24',
  type: 'unicast',
  protocol: 'boot',
  scope: 'global',
  gateway: '10.244.2.0',
  dev: 'flannel.1',
  prefsrc: null,
  metric: 0,
  tos: 0,
  flags: ['onlink'],
  nexthops: [],
};

describe('fact schemas', () => {
  it('accepts a route built through makeFact, keyed by table, family, dst, tos, metric and device', () => {
    const fact = makeFact('route', route);
    expect(fact.key).toBe('main|inet|10.244.2.0/24|0|0|flannel.1');
    expect(FactSchema.parse(fact)).toEqual(fact);
  });

  it('keeps the key when an attribute changes', () => {
    expect(makeFact('route', { ...route, gateway: '10.244.2.9' }).key).toBe(makeFact('route', route).key);
    expect(makeFact('route', { ...route, metric: 100 }).key).not.toBe(makeFact('route', route).key);
  });

  it('keys the other kinds as DESIGN.md says', () => {
    expect(
      makeFact('neigh', {
        dev: 'eth0', family: 'inet', address: '172.20.0.12', lladdr: null, state: ['FAILED'], router: false, proxy: false,
      }).key,
    ).toBe('eth0|172.20.0.12');
    expect(makeFact('ipsetMember', { set: 'kube-router-node-ips', element: '172.20.0.11', timeout: 0, comment: null }).key)
      .toBe('kube-router-node-ips|172.20.0.11');
    expect(
      makeFact('bgpSession', {
        daemon: 'bird', name: 'Mesh_172_20_0_12', peerAddress: '172.20.0.12', peerAs: 64512, localAddress: null,
        localAs: 64512, state: 'established', since: null, prefixesReceived: 1, prefixesAccepted: 1, prefixesSent: 1,
        lastError: null, holdTime: 9, keepalive: 3,
      }).key,
    ).toBe('bird|172.20.0.12');
  });

  it.each([
    ['an unknown kind', { kind: 'pod', key: 'k', value: {} }],
    ['an empty key', { ...makeFact('route', route), key: '' }],
    ['a value of another kind', { kind: 'link', key: 'eth0', value: route }],
    ['a missing attribute', { kind: 'route', key: 'k', value: { ...route, metric: undefined } }],
    ['an extra attribute', { kind: 'route', key: 'k', value: { ...route, extra: 1 } }],
    ['a wrong type', { kind: 'route', key: 'k', value: { ...route, metric: '0' } }],
    ['an unknown BGP state', { kind: 'bgpSession', key: 'k', value: { state: 'up' } }],
  ])('rejects %s', (_label, input) => {
    expect(FactSchema.safeParse(input).success).toBe(false);
  });

  it('validates deltas', () => {
    expect(DeltaSchema.safeParse({ upserts: [makeFact('route', route)], deletes: [{ kind: 'link', key: 'veth1' }] }).success)
      .toBe(true);
    expect(DeltaSchema.safeParse({ upserts: [], deletes: [{ kind: 'link' }] }).success).toBe(false);
  });
});
