import { describe, expect, it } from 'vitest';
import { DeltaSchema, FACT_KINDS, FactSchema, makeFact, type RouteValue, type RuleValue, type SysctlValue } from './index.js';

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

  const rule: RuleValue = {
    family: 'inet', priority: 100, not: false, src: null, dst: null, tos: 0, fwmark: 0x10, fwmask: 0xff, iif: 'eth0',
    iifDetached: false, oif: null, oifDetached: false, uidRange: null, ipproto: null, sport: null, dport: null, tunId: null,
    realms: null, l3mdev: false, action: 'lookup', table: '100', goto: null, unresolved: false, suppressPrefixLength: null,
    suppressIfGroup: null, protocol: 'unspec', other: {},
  };

  it('keys a rule by family, priority and the whole rule in ip rule syntax, state left out', () => {
    const fact = makeFact('rule', rule);
    expect(fact.key).toBe('inet|100|from all fwmark 0x10/0xff iif eth0 lookup 100 proto unspec');
    expect(FactSchema.parse(fact)).toEqual(fact);
    expect(makeFact('rule', { ...rule, iifDetached: true }).key).toBe(fact.key);
    expect(makeFact('rule', { ...rule, table: 'main' }).key).not.toBe(fact.key);
    expect(makeFact('rule', { ...rule, protocol: 'kernel' }).key).not.toBe(fact.key);
    expect(makeFact('rule', { ...rule, not: true, sport: { start: 80, end: 80 }, dport: { start: 1, end: 9 } }).key)
      .toBe('inet|100|not from all fwmark 0x10/0xff iif eth0 sport 80 dport 1-9 lookup 100 proto unspec');
    expect(makeFact('rule', { ...rule, fwmark: null, fwmask: null, iif: null, action: 'goto', table: null, goto: 32766 }).key)
      .toBe('inet|100|from all goto 32766 proto unspec');
    expect(makeFact('rule', { ...rule, fwmark: null, fwmask: null, iif: null, action: 'lookup', table: null, l3mdev: true }).key)
      .toBe('inet|100|from all l3mdev proto unspec');
  });

  it('keys a sysctl fact by its interface, or all / default', () => {
    const eth0: SysctlValue = { name: 'eth0', ipv4: { forwarding: 1, rpFilter: 2, proxyArp: 0 }, ipv6: null };
    const fact = makeFact('sysctl', eth0);
    expect(fact.key).toBe('eth0');
    expect(FactSchema.parse(fact)).toEqual(fact);
    expect(makeFact('sysctl', { ...eth0, ipv4: { forwarding: 0, rpFilter: 2, proxyArp: 0 } }).key).toBe('eth0');
  });

  it('lists every kind of the union', () => {
    expect([...FACT_KINDS].sort()).toEqual(FactSchema.options.map((o) => o.shape.kind.value).sort());
  });

  it.each([
    ['a rule with an unknown action', { kind: 'rule', key: 'k', value: { ...rule, action: 'throw' } }],
    ['a rule with a nested other', { kind: 'rule', key: 'k', value: { ...rule, other: { dscp: { a: 1 } } } }],
    ['a sysctl without its IPv6 group', { kind: 'sysctl', key: 'lo', value: { name: 'lo', ipv4: null } }],
    ['a sysctl setting as text', { kind: 'sysctl', key: 'lo', value: { name: 'lo', ipv4: { forwarding: '1', rpFilter: 0, proxyArp: 0 }, ipv6: null } }],
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
