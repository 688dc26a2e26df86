import { makeFact, type CniStyle, type Fact, type LinkValue } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { cniStyleOf, detectCniStyle } from './cni-style.js';

const link = (ifname: string, kind = 'veth'): Fact =>
  makeFact('link', {
    ifname, ifindex: 1, kind, mtu: 1500, mac: null, operstate: 'UP', flags: [], master: null, link: null,
    linkIndex: null, linkNetnsId: null, vxlan: null, ipip: null,
  } satisfies LinkValue);
const ipset = (name: string): Fact => makeFact('ipset', { name, type: 'hash:ip', family: 'inet', header: {} });
const node = (cniStyle: CniStyle): Fact => makeFact('node', { hostname: 'n1', kernel: '6.1.0', bootId: 'b', cniStyle, readers: {} });

describe('detectCniStyle', () => {
  it('recognises each style from what a node holds', () => {
    expect(detectCniStyle([link('eth0', 'device'), link('kube-bridge', 'bridge'), ipset('kube-router-node-ips')])).toBe('kube-router');
    expect(detectCniStyle([link('eth0', 'device'), link('cali0123456789a'), link('cali0123456789b')])).toBe('calico');
    expect(detectCniStyle([link('cni0', 'bridge'), link('flannel.1', 'vxlan'), link('veth01234567')])).toBe('flannel');
  });

  it('a Calico-style node is Calico whatever speaks BGP for it: GoBGP or FRR sessions do not make it kube-router', () => {
    const session = (daemon: 'gobgp' | 'frr', peerAddress: string): Fact =>
      makeFact('bgpSession', { daemon, name: null, peerAddress, peerAs: 64512, localAddress: null, localAs: 64512, state: 'established', since: null, prefixesReceived: null, prefixesAccepted: null, prefixesSent: null, lastError: null, holdTime: null, keepalive: null });
    const blackhole = makeFact('route', { table: 'main', family: 'inet', dst: '10.48.0.128/26', type: 'blackhole', protocol: 'static', scope: 'global', gateway: null, dev: null, prefsrc: null, metric: 0, tos: 0, flags: [], nexthops: [] });
    const sessions = ['172.20.0.11', '172.20.0.13', '172.20.0.14'].map((p) => session('gobgp', p));
    expect(detectCniStyle([link('eth0', 'device'), link('cali0123456789a'), blackhole, ...sessions])).toBe('calico');
    // kube-router's own devices still win
    expect(detectCniStyle([link('kube-bridge', 'bridge'), link('veth01234567'), ...sessions])).toBe('kube-router');
  });

  it('says unknown for a plain host', () => {
    expect(detectCniStyle([link('lo', 'loopback'), link('eth0', 'device')])).toBe('unknown');
    expect(detectCniStyle([])).toBe('unknown');
  });
});

describe('cniStyleOf', () => {
  const calicoLinks = [link('eth0', 'device'), link('cali0123456789a'), link('cali0123456789b')];

  it("takes the collector's report in the node fact, even unknown: it was detected from these same facts", () => {
    expect(cniStyleOf([...calicoLinks, node('calico')])).toBe('calico');
    // the report wins over the facts (the collector saw the whole state; a reader may be off here)
    expect(cniStyleOf([link('kube-bridge', 'bridge'), node('flannel')])).toBe('flannel');
    expect(cniStyleOf([...calicoLinks, node('unknown')])).toBe('unknown');
  });

  it('detects the style only when no node fact reports one', () => {
    expect(cniStyleOf(calicoLinks)).toBe('calico');
    expect(cniStyleOf(calicoLinks, null)).toBe('calico');
  });
});
