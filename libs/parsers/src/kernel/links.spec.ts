import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseLinks } from './index.js';

const read = (caseName: string, file: string): string =>
  readFileSync(new URL(`./fixtures/${caseName}/${file}`, import.meta.url), 'utf8');

function link(caseName: string, ifname: string) {
  const found = parseLinks(read(caseName, 'link.json')).find((l) => l.key === ifname);
  if (!found) throw new Error(`${caseName}: no link ${ifname}`);
  return found.value;
}

describe('parseLinks on captured output', () => {
  it('flannel.1 is a vxlan device with id 1, port 8472, mtu 1450, over eth0, without learning', () => {
    expect(link('flannel', 'flannel.1')).toMatchObject({
      kind: 'vxlan',
      mtu: 1450,
      mac: '0e:6e:61:00:00:01',
      master: null,
      vxlan: { id: 1, local: '172.20.0.11', remote: null, port: 8472, dev: 'eth0', learning: false },
      ipip: null,
    });
  });

  it('calico pod veths carry ee:ee:ee:ee:ee:ee and point at their peer in the pod namespace', () => {
    const links = parseLinks(read('calico', 'link.json')).map((l) => l.value);
    const cali = links.filter((l) => l.ifname.startsWith('cali'));
    expect(cali).toHaveLength(2);
    for (const l of cali) {
      // the peer is the pod's eth0: ifindex 2 in the pod namespace (lo is 1)
      expect(l).toMatchObject({ kind: 'veth', mac: 'ee:ee:ee:ee:ee:ee', link: null, linkIndex: 2, master: null });
      expect(l.linkNetnsId).toBeGreaterThan(0);
    }
    // the node's eth0 is a veth whose peer sits in the underlay namespace (the first one it saw: id 0)
    expect(link('calico', 'eth0')).toMatchObject({ kind: 'veth', linkIndex: expect.any(Number), linkNetnsId: 0, link: null });
    expect(link('calico', 'eth0').linkIndex).toBeGreaterThan(1);
  });

  it('kube-router: kube-bridge is a bridge, pod veths are its ports', () => {
    expect(link('kube-router', 'kube-bridge')).toMatchObject({ kind: 'bridge', master: null, linkIndex: null, linkNetnsId: null });
    expect(link('kube-router', 'vetha7ebc522')).toMatchObject({ kind: 'veth', master: 'kube-bridge', linkIndex: 2, link: null });
    expect(link('kube-router', 'vetha7ebc522').linkNetnsId).toBeGreaterThan(0);
  });

  it('lo is a loopback without a MAC', () => {
    expect(link('kube-router', 'lo')).toMatchObject({ kind: 'loopback', mac: null, operstate: 'UNKNOWN', flags: ['LOOPBACK', 'UP', 'LOWER_UP'] });
  });

  it('vxlan: a bridge port, an IPv6 one and a multicast one (group becomes remote)', () => {
    expect(link('vxlan', 'vxlan100')).toMatchObject({
      master: 'br0',
      vxlan: { id: 100, local: '10.30.0.1', remote: null, port: 4789, dev: 'eth0', learning: true },
    });
    expect(link('vxlan', 'vxlan6').vxlan).toEqual({
      id: 600, local: '2001:db8:30::1', remote: '2001:db8:30::2', port: 4789, dev: null, learning: false,
    });
    expect(link('vxlan', 'vxlan-mc').vxlan).toMatchObject({ id: 300, local: null, remote: '239.1.1.1', dev: 'eth0' });
    expect(link('vxlan', 'tap1')).toMatchObject({ kind: 'veth', master: 'br0' });
  });

  it('a link without carrier keeps its own operstate', () => {
    expect(link('routes', 'eth2')).toMatchObject({ operstate: 'DOWN', flags: expect.arrayContaining(['UP', 'NO-CARRIER']) });
  });
});

// iproute2 6.1's JSON shape, written by hand: this kernel has no ipip (nor dummy) devices.
describe('parseLinks on the handwritten ipip fixture (fixtures/ipip-handwritten, NOT captured)', () => {
  it('tunl0 is an ipip device with no lower device and no endpoints', () => {
    expect(link('ipip-handwritten', 'tunl0')).toEqual({
      ifname: 'tunl0',
      ifindex: 3,
      kind: 'ipip',
      mtu: 1440,
      mac: null,
      operstate: 'UNKNOWN',
      flags: ['NOARP', 'UP', 'LOWER_UP'],
      master: null,
      link: null,
      linkIndex: null,
      linkNetnsId: null,
      vxlan: null,
      ipip: { local: null, remote: null },
    });
  });

  it('a point-to-point ipip tunnel has its endpoints and lower device', () => {
    expect(link('ipip-handwritten', 'ipip0')).toMatchObject({
      kind: 'ipip',
      mac: null,
      link: 'eth0',
      ipip: { local: '172.20.0.11', remote: '172.20.0.12' },
    });
  });

  it('a NIC without linkinfo is a device; a dummy is a dummy', () => {
    expect(link('ipip-handwritten', 'eth0')).toMatchObject({ kind: 'device', mac: '52:54:00:12:34:56', ipip: null, vxlan: null });
    expect(link('ipip-handwritten', 'kube-dummy-if')).toMatchObject({ kind: 'dummy', mac: '8a:3c:51:0d:7e:21' });
  });
});

describe('parseLinks errors', () => {
  const lo = JSON.parse(read('kube-router', 'link.json'))[0] as Record<string, unknown>;
  const without = (key: string) => JSON.stringify([Object.fromEntries(Object.entries(lo).filter(([k]) => k !== key))]);

  it('rejects text that is not JSON', () => {
    expect(() => parseLinks('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536')).toThrow(ParseError);
    expect(() => parseLinks('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536')).toThrow(/ip -json -details link show: output is not valid JSON/);
    expect(() => parseLinks('')).toThrow(/not valid JSON/);
  });

  it('rejects a JSON object instead of an array', () => {
    expect(() => parseLinks(JSON.stringify(lo))).toThrow(/not a JSON array \(got object\)/);
  });

  it('rejects entries that are not objects or miss a required field', () => {
    expect(() => parseLinks('[1]')).toThrow(/entry 0 is not an object/);
    expect(() => parseLinks(without('ifname'))).toThrow(/entry 0: missing field "ifname"/);
    expect(() => parseLinks(without('mtu'))).toThrow(/missing field "mtu"/);
    expect(() => parseLinks(JSON.stringify([{ ...lo, mtu: '1500' }]))).toThrow(/field "mtu" should be an integer/);
  });

  it('rejects output without -details (a veth would pass for a NIC)', () => {
    expect(() => parseLinks(without('promiscuity'))).toThrow(/not `ip -details` output/);
  });

  it('rejects a vxlan link without its id', () => {
    const vxlan = { ...lo, ifname: 'vx0', link_type: 'ether', linkinfo: { info_kind: 'vxlan', info_data: { port: 4789 } } };
    expect(() => parseLinks(JSON.stringify([vxlan]))).toThrow(/linkinfo info_data: missing field "id"/);
  });
});
