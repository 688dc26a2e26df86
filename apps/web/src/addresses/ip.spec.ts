import { describe, expect, it } from 'vitest';
import { compareAddressText, naturalCompare, parseIp, parsePrefix, prefixContains, prefixesOverlap } from './ip.js';

describe('addresses', () => {
  it('parses IPv4 and IPv6 (compressed, embedded IPv4, zone)', () => {
    expect(parseIp('10.233.2.3')).toEqual({ version: 4, value: 0x0ae90203n });
    expect(parseIp('fe80::1%eth0')).toEqual({ version: 6, value: (0xfe80n << 112n) | 1n });
    expect(parseIp('::ffff:10.0.0.1')?.value).toBe((0xffffn << 32n) | 0x0a000001n);
    expect(parseIp('::')?.value).toBe(0n);
    for (const bad of ['10.0.0', '10.0.0.256', '1::2::3', 'node1', '01.2.3.4x']) expect(parseIp(bad), bad).toBeNull();
  });

  it('prefixes: masked, contained, overlapping', () => {
    const p = parsePrefix('10.233.2.7/24')!;
    expect(p).toEqual({ version: 4, value: 0x0ae90200n, len: 24 });
    expect(prefixContains(p, parseIp('10.233.2.200')!)).toBe(true);
    expect(prefixContains(p, parseIp('10.233.3.1')!)).toBe(false);
    expect(prefixesOverlap(parsePrefix('10.233.0.0/16')!, p)).toBe(true);
    expect(prefixesOverlap(parsePrefix('fd00::/8')!, p)).toBe(false);
    expect(parsePrefix('10.0.0.0/33')).toBeNull();
  });

  it('sorts addresses numerically, then text naturally', () => {
    expect(['10.233.10.0/24', 'default', '10.233.2.0/24', '10.233.2.0/23', 'fe80::/64', '172.20.0.0/24'].sort(compareAddressText)).toEqual([
      '10.233.2.0/23',
      '10.233.2.0/24',
      '10.233.10.0/24',
      '172.20.0.0/24',
      'fe80::/64',
      'default',
    ]);
    expect(['node10', 'node2', 'node1', 'node02'].sort(naturalCompare)).toEqual(['node1', 'node02', 'node2', 'node10']);
  });
});
