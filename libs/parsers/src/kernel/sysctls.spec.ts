import { readFileSync } from 'node:fs';
import type { SysctlValue } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseSysctls } from './index.js';

const read = (caseName: string): string => readFileSync(new URL(`./fixtures/${caseName}/sysctl.txt`, import.meta.url), 'utf8');

function settings(caseName: string): Map<string, SysctlValue> {
  return new Map(parseSysctls(read(caseName)).map((f) => [f.key, f.value]));
}

describe('parseSysctls on captured output (scratch namespace)', () => {
  const s = settings('sysctl');

  it('one fact per interface and for all and default, keyed by the name', () => {
    expect([...s.keys()]).toEqual(['all', 'default', 'eth0', 'eth1', 'flannel.1', 'late0', 'late1', 'lo', 'small0', 'small1']);
    expect(s.get('all')).toEqual({
      name: 'all',
      ipv4: { forwarding: 1, rpFilter: 0, proxyArp: 0 },
      ipv6: { forwarding: 1, proxyNdp: 0 },
    });
  });

  it('rp_filter off, strict and loose; proxy_arp and proxy_ndp per interface', () => {
    expect(s.get('eth0')).toEqual({ name: 'eth0', ipv4: { forwarding: 1, rpFilter: 1, proxyArp: 1 }, ipv6: { forwarding: 1, proxyNdp: 1 } });
    expect(s.get('eth1')?.ipv4?.rpFilter).toBe(2);
    expect(s.get('lo')?.ipv4?.rpFilter).toBe(0);
  });

  it('an interface with forwarding off while the namespace forwards', () => {
    expect(s.get('eth1')?.ipv4?.forwarding).toBe(0);
    expect(s.get('all')?.ipv4?.forwarding).toBe(1);
  });

  it('default, and an interface made after it changed, which starts with it', () => {
    expect(s.get('default')?.ipv4).toEqual({ forwarding: 1, rpFilter: 2, proxyArp: 1 });
    expect(s.get('late0')?.ipv4).toEqual({ forwarding: 1, rpFilter: 2, proxyArp: 1 });
  });

  it('a dotted name stays as the kernel has it', () => {
    expect(s.get('flannel.1')).toMatchObject({ name: 'flannel.1', ipv4: { rpFilter: 0 } });
  });

  it('an interface with an MTU below 1280 has no IPv6 settings', () => {
    expect(s.get('small0')).toMatchObject({ ipv4: { forwarding: 1 }, ipv6: null });
  });
});

describe('parseSysctls on the labs', () => {
  it('nodes forward, with rp_filter off; Calico answers for its pods by proxy ARP on each cali veth', () => {
    for (const style of ['kube-router', 'calico', 'flannel']) {
      const s = settings(style);
      expect(s.get('all')?.ipv4, style).toMatchObject({ forwarding: 1, rpFilter: 0 });
      expect(s.get('eth0')?.ipv4?.forwarding, style).toBe(1);
    }
    const calico = [...settings('calico').values()].filter((v) => v.name.startsWith('cali'));
    expect(calico.length).toBeGreaterThan(0);
    expect(calico.every((v) => v.ipv4?.proxyArp === 1)).toBe(true);
    expect(settings('flannel').has('flannel.1')).toBe(true);
  });

  it('an empty namespace: all, default and lo, nothing forwarding', () => {
    const s = settings('empty');
    expect([...s.keys()]).toEqual(['all', 'default', 'lo']);
    expect(s.get('all')?.ipv4?.forwarding).toBe(0);
  });
});

describe('parseSysctls on partial output', () => {
  const all = '/proc/sys/net/ipv4/conf/all/forwarding:1\n/proc/sys/net/ipv4/conf/all/rp_filter:0\n/proc/sys/net/ipv4/conf/all/proxy_arp:0\n';

  it('no IPv6 directory (IPv6 off): ipv6 is null', () => {
    expect(parseSysctls(all)).toEqual([
      { kind: 'sysctl', key: 'all', value: { name: 'all', ipv4: { forwarding: 1, rpFilter: 0, proxyArp: 0 }, ipv6: null } },
    ]);
  });

  it('an interface gone mid-read: what was read, the rest null', () => {
    const facts = parseSysctls(`${all}/proc/sys/net/ipv4/conf/veth1/forwarding:1\n`);
    expect(facts[1]?.value).toEqual({ name: 'veth1', ipv4: { forwarding: 1, rpFilter: null, proxyArp: null }, ipv6: null });
  });
});

describe('parseSysctls errors', () => {
  it('rejects output that is not path:value lines, naming the line', () => {
    expect(() => parseSysctls(`${'net.ipv4.conf.all.forwarding = 1'}\n`)).toThrow(ParseError);
    expect(() => parseSysctls('net.ipv4.conf.all.forwarding = 1\n')).toThrow(/grep -r -H -s .*: line 1 is not/);
    expect(() => parseSysctls('/proc/sys/net/ipv4/conf/all/forwarding:yes\n')).toThrow(/line 1 is not/);
  });

  it('rejects a setting it does not read, and one printed twice', () => {
    expect(() => parseSysctls('/proc/sys/net/ipv4/conf/all/mc_forwarding:0\n')).toThrow(/net\.ipv4\.conf\.\*\.mc_forwarding is not a setting this reader reads/);
    expect(() => parseSysctls('/proc/sys/net/ipv6/conf/all/rp_filter:0\n')).toThrow(/net\.ipv6\.conf\.\*\.rp_filter is not/);
    expect(() => parseSysctls('/proc/sys/net/ipv4/conf/all/forwarding:1\n/proc/sys/net/ipv4/conf/all/forwarding:0\n')).toThrow(/printed twice/);
  });

  it('rejects empty output and output without the namespace-wide `all`', () => {
    expect(() => parseSysctls('')).toThrow(/no net\.ipv4\.conf\.all settings/);
    expect(() => parseSysctls('/proc/sys/net/ipv4/conf/eth0/forwarding:1\n')).toThrow(/no net\.ipv4\.conf\.all settings/);
  });
});
