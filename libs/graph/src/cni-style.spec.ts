import { makeFact, type Fact, type LinkValue } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { detectCniStyle } from './cni-style.js';

const link = (ifname: string, kind = 'veth'): Fact =>
  makeFact('link', {
    ifname, ifindex: 1, kind, mtu: 1500, mac: null, operstate: 'UP', flags: [], master: null, link: null,
    linkIndex: null, linkNetnsId: null, vxlan: null, ipip: null,
  } satisfies LinkValue);
const ipset = (name: string): Fact => makeFact('ipset', { name, type: 'hash:ip', family: 'inet', header: {} });

describe('detectCniStyle', () => {
  it('recognises each style from what a node holds', () => {
    expect(detectCniStyle([link('eth0', 'device'), link('kube-bridge', 'bridge'), ipset('kube-router-node-ips')])).toBe('kube-router');
    expect(detectCniStyle([link('eth0', 'device'), link('cali0123456789a'), link('cali0123456789b')])).toBe('calico');
    expect(detectCniStyle([link('cni0', 'bridge'), link('flannel.1', 'vxlan'), link('veth01234567')])).toBe('flannel');
  });

  it('says unknown for a plain host', () => {
    expect(detectCniStyle([link('lo', 'loopback'), link('eth0', 'device')])).toBe('unknown');
    expect(detectCniStyle([])).toBe('unknown');
  });
});
