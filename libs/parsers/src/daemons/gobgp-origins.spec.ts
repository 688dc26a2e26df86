// parseGobgpOrigins against `gobgp global rib -a ipv4|ipv6 -j` captured from GoBGP 3.10 (a
// kube-router lab node, a GoBGP node of a mixed lab, a gobgpd of our own with local paths and an
// empty RIB; see captures.json), plus hand-made edge cases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseGobgpOrigins } from './index.js';

const read = (name: string) => readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
const origins = (name: string) => parseGobgpOrigins(read(name)).map((f) => f.value);

describe('parseGobgpOrigins: captured RIBs', () => {
  it('kube-router: the podCIDR added locally; the paths learned from the other nodes are not its own', () => {
    const raw = JSON.parse(read('gobgp-origins-kube-router')) as Record<string, { 'neighbor-ip'?: string }[]>;
    expect(Object.keys(raw)).toHaveLength(3);
    expect(Object.values(raw).flat().filter((p) => p['neighbor-ip'] !== undefined)).toHaveLength(2);
    expect(origins('gobgp-origins-kube-router')).toEqual([{ daemon: 'gobgp', family: 'inet', prefix: '10.233.1.0/24', nexthop: null }]);
  });

  it('a GoBGP node among BIRD and FRR: its block, not theirs', () => {
    expect(origins('gobgp-origins-mixed')).toEqual([{ daemon: 'gobgp', family: 'inet', prefix: '10.48.0.128/26', nexthop: null }]);
  });

  it('several local paths: 0.0.0.0 says nothing, an explicit next hop is kept', () => {
    expect(origins('gobgp-origins-several').sort((a, b) => a.prefix.localeCompare(b.prefix))).toEqual([
      { daemon: 'gobgp', family: 'inet', prefix: '10.233.10.0/24', nexthop: '10.98.0.1' },
      { daemon: 'gobgp', family: 'inet', prefix: '10.233.9.0/24', nexthop: null },
    ]);
  });

  it('IPv6: the next hop of MP_REACH_NLRI, :: for none', () => {
    expect(origins('gobgp-origins-ipv6').sort((a, b) => a.prefix.localeCompare(b.prefix))).toEqual([
      { daemon: 'gobgp', family: 'inet6', prefix: 'fd33:9::/64', nexthop: null },
      { daemon: 'gobgp', family: 'inet6', prefix: 'fd33:a::/64', nexthop: 'fd98::1' },
    ]);
  });

  it('an empty RIB', () => {
    expect(read('gobgp-origins-empty').trim()).toBe('{}');
    expect(origins('gobgp-origins-empty')).toEqual([]);
  });
});

describe('parseGobgpOrigins: edge cases', () => {
  const path = (extra: Record<string, unknown>) => ({ nlri: { prefix: '10.1.0.0/24' }, best: true, attrs: [{ type: 3, nexthop: '0.0.0.0' }], ...extra });

  it('a local path that is not best, or withdrawn, is not announced', () => {
    expect(parseGobgpOrigins(JSON.stringify({ '10.1.0.0/24': [path({ best: false })] }))).toEqual([]);
    expect(parseGobgpOrigins(JSON.stringify({ '10.1.0.0/24': [path({ withdrawal: true })] }))).toEqual([]);
  });

  it('null (Go\'s empty map) is an empty RIB; an error object, other JSON and text are refused', () => {
    expect(parseGobgpOrigins('null')).toEqual([]);
    expect(() => parseGobgpOrigins('{"error":"unsupported address family: all"}')).toThrow(/unsupported address family/);
    expect(() => parseGobgpOrigins('[]')).toThrow(ParseError);
    expect(() => parseGobgpOrigins('{"10.1.0.0/24": {}}')).toThrow(/array of paths/);
    expect(() => parseGobgpOrigins(JSON.stringify({ x: [path({ nlri: { prefix: 'x' } })] }))).toThrow(/not an IPv4 or IPv6 prefix/);
    expect(() => parseGobgpOrigins('rpc error: code = Unavailable')).toThrow(ParseError);
  });
});
