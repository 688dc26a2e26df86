// parseFrrOrigins against `show bgp all json` and `show bgp ipv6 unicast json` captured from FRR
// 8.4 (a node of a mixed lab; FRR a of the capture script's namespaces, with eBGP, iBGP and BIRD
// peers in both families; without a BGP instance; see captures.json), plus hand-made edge cases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseFrrOrigins } from './index.js';

const read = (name: string) => readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
const origins = (name: string) => parseFrrOrigins(read(name)).map((f) => f.value).sort((a, b) => a.prefix.localeCompare(b.prefix));

describe('parseFrrOrigins: captured tables', () => {
  it('a lab node: its block (static blackhole + network), not what it learned from BIRD and GoBGP', () => {
    const raw = JSON.parse(read('frr-origins-mixed')) as { ipv4Unicast: { routes: Record<string, unknown[]> } };
    expect(Object.keys(raw.ipv4Unicast.routes)).toHaveLength(3);
    expect(origins('frr-origins-mixed')).toEqual([{ daemon: 'frr', family: 'inet', prefix: '10.48.0.192/26', nexthop: null }]);
  });

  it('several networks in both families; learned paths (iBGP, eBGP, from BIRD) are not its own', () => {
    expect(origins('frr-origins-several')).toEqual([
      { daemon: 'frr', family: 'inet', prefix: '10.48.1.0/24', nexthop: null },
      { daemon: 'frr', family: 'inet', prefix: '10.48.2.0/24', nexthop: null },
      { daemon: 'frr', family: 'inet6', prefix: 'fd48:1::/64', nexthop: null },
    ]);
  });

  it('the single-family form', () => {
    expect(origins('frr-origins-ipv6')).toEqual([{ daemon: 'frr', family: 'inet6', prefix: 'fd48:1::/64', nexthop: null }]);
  });

  it('a network without a route in zebra is listed but not valid: not announced; a redistributed subnet is', () => {
    const raw = JSON.parse(read('frr-origins-redistributed')) as { ipv4Unicast: { routes: Record<string, { valid?: boolean; peerId: string }[]> } };
    const local = Object.entries(raw.ipv4Unicast.routes).filter(([, paths]) => paths.some((p) => p.peerId === '(unspec)'));
    expect(local.map(([k]) => k).sort()).toEqual(['10.48.1.0/24', '10.48.2.0/24', '10.48.9.0/24', '10.99.0.0/24']);
    expect(origins('frr-origins-redistributed')).toEqual([{ daemon: 'frr', family: 'inet', prefix: '10.99.0.0/24', nexthop: null }]);
  });

  it('no BGP instance: a warning, nothing originated', () => {
    expect(JSON.parse(read('frr-origins-no-bgp'))).toEqual({ warning: 'Default BGP instance not found' });
    expect(origins('frr-origins-no-bgp')).toEqual([]);
  });
});

describe('parseFrrOrigins: edge cases', () => {
  const local = { valid: true, bestpath: true, peerId: '(unspec)', nexthops: [{ ip: '0.0.0.0' }] };

  it('only the unicast families count; an empty instance is {}', () => {
    const other = { l2VpnEvpn: { routes: { '[2]:[0]:[48]:[aa:bb]': [local] } }, ipv4Unicast: { routes: { '10.1.0.0/24': [local] } } };
    expect(parseFrrOrigins(JSON.stringify(other)).map((f) => f.value.prefix)).toEqual(['10.1.0.0/24']);
    expect(parseFrrOrigins('{}')).toEqual([]);
  });

  it('a local path that lost best-path selection is not announced; a next hop other than 0.0.0.0 is kept', () => {
    const notBest = { ...local, bestpath: undefined };
    expect(parseFrrOrigins(JSON.stringify({ routes: { '10.1.0.0/24': [notBest] } }))).toEqual([]);
    const nh = { ...local, nexthops: [{ ip: '10.0.0.1' }] };
    expect(parseFrrOrigins(JSON.stringify({ routes: { '10.1.0.0/24': [nh] } }))[0]?.value.nexthop).toBe('10.0.0.1');
  });

  it('refuses what is not FRR\'s route table', () => {
    expect(() => parseFrrOrigins('% Unknown command: show bgp all json')).toThrow(ParseError);
    expect(() => parseFrrOrigins('{"warning":"something else"}')).toThrow(/FRR warns/);
    expect(() => parseFrrOrigins('{"ipv4Unicast":{"vrfId":0}}')).toThrow(/no "routes"/);
    expect(() => parseFrrOrigins('{"routes":{"10.1.0.0/24":[{"valid":true}]}}')).toThrow(/no "peerId"/);
    expect(() => parseFrrOrigins('{"routes":{"nonsense":[{"valid":true,"bestpath":true,"peerId":"(unspec)"}]}}')).toThrow(/not an IPv4 or IPv6 prefix/);
  });
});
