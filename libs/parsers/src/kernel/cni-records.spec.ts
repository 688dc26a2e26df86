// The CNI records parser on what the real plugins wrote (fixtures/cni: the bridge plugin and
// host-local, captured by `npm run fixtures:kernel -- --only cni`, with the hand-made old layouts
// it notes) and on each lab node's records, read against the node's own links.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseCniRecords } from './cni-records.js';
import { parseLinks } from './links.js';

const read = (c: string, file: string) => readFileSync(new URL(`./fixtures/${c}/${file}`, import.meta.url), 'utf8');
const byAddress = (c: string) => new Map(parseCniRecords(read(c, 'cni.txt')).map((f) => [`${f.value.network} ${f.value.address}`, f.value]));

describe('parseCniRecords on the real plugins\' records', () => {
  const got = byAddress('cni');

  it('one fact per address, both families (host-local names IPv6 files with ":"), joined with the cached result of the same container', () => {
    expect([...got.keys()].sort()).toEqual([
      'kube-bridge-ds 10.99.1.2', 'kube-bridge-ds 10.99.1.3', 'kube-bridge-ds 10.99.1.4',
      'kube-bridge-ds fd00:99:1::2', 'kube-bridge-ds fd00:99:1::3', 'kube-bridge-ds fd00:99:1::4',
      'legacy 10.97.0.5', 'second 10.98.0.2',
    ]);
    const pod1 = got.get('kube-bridge-ds 10.99.1.2');
    expect(pod1).toMatchObject({ prefixLen: 24, ifname: 'eth0', netns: '/run/netns/fxk-cni-pod1', recordedBy: ['host-local', 'result'] });
    // the bridge plugin's host-side interfaces: its bridge and the pod's veth; never the pod's own eth0
    expect(pod1?.hostIfnames).toHaveLength(2);
    expect(pod1?.hostIfnames[0]).toBe('kube-bridge');
    expect(pod1?.hostIfnames[1]).toMatch(/^veth[0-9a-f]{8}$/);
    expect(got.get('kube-bridge-ds fd00:99:1::2')).toMatchObject({ prefixLen: 64, hostIfnames: pod1?.hostIfnames, containerId: pod1?.containerId });
    expect(got.get('kube-bridge-ds 10.99.1.3')?.hostIfnames[1]).not.toBe(pod1?.hostIfnames[1]);
  });

  it('a second network on a second interface of the same container (Multus-style net1)', () => {
    const net1 = got.get('second 10.98.0.2');
    expect(net1).toMatchObject({ ifname: 'net1', prefixLen: 24, recordedBy: ['host-local', 'result'], containerId: got.get('kube-bridge-ds 10.99.1.2')?.containerId });
    expect(net1?.hostIfnames[0]).toBe('br-second');
  });

  it('host-local alone (a runtime that caches no result): the address and its container, no length, no host interface', () => {
    expect(got.get('kube-bridge-ds 10.99.1.4')).toMatchObject({ prefixLen: null, ifname: 'eth0', hostIfnames: [], netns: null, recordedBy: ['host-local'] });
  });

  it('old layouts: host-local\'s ID-only file is read, a bare pre-cniCacheV1 result and a torn one are skipped', () => {
    expect(got.get('legacy 10.97.0.5')).toEqual({
      network: 'legacy', address: '10.97.0.5', prefixLen: null, containerId: '0123abcd', ifname: null, hostIfnames: [], netns: null, recordedBy: ['host-local'],
    });
    // the torn result's container (…0009) has no allocation and its record cannot be read: nothing
    expect([...got.values()].some((v) => v.containerId.endsWith('0009'))).toBe(false);
  });

  it('lock and last_reserved_ip files are not allocations', () => {
    expect(read('cni', 'cni.txt')).toContain('/last_reserved_ip.0\u0000');
    expect([...got.values()].filter((v) => v.network === 'kube-bridge-ds' && v.recordedBy.includes('host-local'))).toHaveLength(6);
  });
});

describe('parseCniRecords on lab nodes', () => {
  for (const style of ['kube-router', 'flannel'] as const) {
    it(`${style}: every pod veth of the node is named by exactly one record, in the node's pod CIDR`, () => {
      const records = parseCniRecords(read(style, 'cni.txt')).map((f) => f.value);
      const veths = parseLinks(read(style, 'link.json')).filter((l) => l.value.kind === 'veth' && l.value.ifname.startsWith('veth')).map((l) => l.value.ifname);
      expect(veths).toHaveLength(2);
      for (const v of veths) expect(records.filter((r) => r.hostIfnames.includes(v)), v).toHaveLength(1);
      expect(records.every((r) => r.recordedBy.join() === 'host-local,result' && r.prefixLen === 24 && /^10\.\d+\.1\.\d+$/.test(r.address))).toBe(true);
    });
  }

  it('calico: no records (calico-ipam keeps none on disk; the lab caches no result for it)', () => {
    expect(parseCniRecords(read('calico', 'cni.txt'))).toEqual([]);
  });
});

describe('parseCniRecords on what grep may print', () => {
  const line = (path: string, text: string) => `${path}\u0000${text}\n`;

  it('nothing: no records', () => {
    expect(parseCniRecords('')).toEqual([]);
  });

  it('canonical addresses, whatever the file name\'s spelling', () => {
    const text = line('/x/networks/n/FD00:0:0::0A', 'abc\r') + line('/x/networks/n/FD00:0:0::0A', 'eth0');
    expect(parseCniRecords(text).map((f) => [f.key, f.value.address])).toEqual([['n|fd00::a|abc', 'fd00::a']]);
  });

  it('a record holding text the store cannot hold (NUL, a lone surrogate) is skipped, the others kept', () => {
    const text = line('/x/networks/n/10.0.0.1', 'ab\u0000cd\r') + line('/x/networks/n/10.0.0.1', 'eth0') +
      line('/x/networks/n/10.0.0.2', 'ok\r') + line('/x/networks/n/10.0.0.2', 'eth\ud800');
    expect(parseCniRecords(text)).toEqual([]);
    expect(parseCniRecords(text + line('/x/networks/n/10.0.0.3', 'fine')).map((f) => f.key)).toEqual(['n|10.0.0.3|fine']);
    // a container ID that would make a key longer than the wire takes
    expect(parseCniRecords(line('/x/networks/n/10.0.0.4', 'c'.repeat(600)))).toEqual([]);
  });

  it('a line without grep -Z\'s NUL after the file name is refused, naming the line', () => {
    expect(() => parseCniRecords('/x/networks/n/10.0.0.1:abc\n')).toThrow(ParseError);
    expect(() => parseCniRecords('/x/networks/n/10.0.0.1:abc\n')).toThrow(/line 1 has no file name/);
  });
});
