import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseRoutes, type RouteFamily } from './index.js';

const read = (caseName: string, file: string): string =>
  readFileSync(new URL(`./fixtures/${caseName}/${file}`, import.meta.url), 'utf8');

const routes = (caseName: string, family: RouteFamily) => parseRoutes(read(caseName, `route-${family}.json`), family);

/** `key` without its trailing device part: table|family|dst|tos|metric */
function route(caseName: string, family: RouteFamily, key: string) {
  const found = routes(caseName, family).filter((r) => r.key.slice(0, r.key.lastIndexOf('|')) === key);
  if (found.length !== 1) throw new Error(`${caseName}: ${found.length} routes with key ${key}`);
  return (found[0] as (typeof found)[number]).value;
}

describe('parseRoutes on captured output (scratch namespace)', () => {
  it('IPv4 multipath: two next hops with their gateways and weights', () => {
    expect(route('routes', 'inet', 'main|inet|10.20.0.0/24|0|0')).toMatchObject({
      type: 'unicast',
      gateway: null,
      dev: null,
      nexthops: [
        { gateway: '10.10.0.2', dev: 'eth0', weight: 1, flags: [] },
        { gateway: '10.11.0.2', dev: 'eth1', weight: 3, flags: [] },
      ],
    });
  });

  it('IPv6 multipath: two next hops with their gateways and weights', () => {
    expect(route('routes', 'inet6', 'main|inet6|2001:db8:20::/64|0|1024').nexthops).toEqual([
      { gateway: '2001:db8:10::2', dev: 'eth0', weight: 2, flags: [] },
      { gateway: '2001:db8:11::2', dev: 'eth1', weight: 1, flags: [] },
    ]);
  });

  it('blackhole, unreachable, prohibit and throw routes', () => {
    expect(route('routes', 'inet', 'main|inet|10.30.0.0/24|0|0')).toMatchObject({
      type: 'blackhole', protocol: 'bird', dev: null, gateway: null, nexthops: [],
    });
    expect(route('routes', 'inet', 'main|inet|10.31.0.0/24|0|0')).toMatchObject({ type: 'unreachable', dev: null });
    expect(route('routes', 'inet', 'main|inet|10.32.0.0/24|0|50')).toMatchObject({ type: 'prohibit', metric: 50 });
    expect(route('routes', 'inet', '100|inet|10.33.0.0/24|0|0')).toMatchObject({ type: 'throw', table: '100' });
    // IPv6 puts them on lo
    expect(route('routes', 'inet6', 'main|inet6|2001:db8:30::/64|0|1024')).toMatchObject({ type: 'blackhole', dev: 'lo' });
    expect(route('routes', 'inet6', 'main|inet6|2001:db8:32::/64|0|50')).toMatchObject({ type: 'prohibit' });
  });

  it('onlink and linkdown flags', () => {
    expect(route('routes', 'inet', 'main|inet|10.40.0.0/24|0|0')).toMatchObject({ gateway: '10.99.0.1', dev: 'eth1', flags: ['onlink'] });
    expect(route('routes', 'inet', 'main|inet|10.12.0.0/24|0|0').flags).toEqual(['linkdown']);
  });

  it('fills in what iproute2 leaves out: table main, unicast, proto boot, scope global, metric 0, tos 0', () => {
    expect(route('routes', 'inet', 'main|inet|10.60.0.1/32|0|0')).toEqual({
      table: 'main',
      family: 'inet',
      dst: '10.60.0.1/32',
      type: 'unicast',
      protocol: 'boot',
      scope: 'global',
      gateway: '10.10.0.2',
      dev: 'eth0',
      prefsrc: null,
      metric: 0,
      tos: 0,
      flags: [],
      nexthops: [],
    });
  });

  it('normalises bare addresses to /32 and /128', () => {
    const all = [...routes('routes', 'inet'), ...routes('routes', 'inet6')];
    expect(all.every((r) => r.value.dst === 'default' || r.value.dst.includes('/'))).toBe(true);
    expect(route('routes', 'inet6', '200|inet6|2001:db8:60::1/128|0|300')).toMatchObject({ table: '200', metric: 300, gateway: '2001:db8:10::2' });
    expect(route('routes', 'inet6', 'local|inet6|::1/128|0|0')).toMatchObject({ type: 'local', dev: 'lo' });
  });

  it('keeps one destination apart by tos (hex and DS-field names) and metric', () => {
    const same = routes('routes', 'inet').filter((r) => r.value.dst === '10.50.0.0/24');
    expect(same.map((r) => [r.value.tos, r.value.metric, r.value.gateway, r.value.protocol])).toEqual([
      [0x28, 0, '10.10.0.3', 'boot'], // printed "tos": "AF11"
      [0x10, 0, '10.10.0.3', 'boot'], // printed "tos": "0x10"
      [0, 0, '10.10.0.2', 'boot'],
      [0, 100, '10.11.0.2', '17'],
    ]);
    expect(new Set(same.map((r) => r.key)).size).toBe(4);
  });

  it('a second table, protocol names, prefsrc, an IPv6 gateway for an IPv4 route', () => {
    expect(route('routes', 'inet', '100|inet|10.61.0.1/32|0|0')).toMatchObject({ protocol: 'bird', prefsrc: '10.10.0.1' });
    expect(route('routes', 'inet', '100|inet|default|0|10')).toMatchObject({ protocol: 'static', gateway: '10.10.0.2' });
    expect(route('routes', 'inet', 'main|inet|10.70.0.0/24|0|0')).toMatchObject({ gateway: '2001:db8:10::2', dev: 'eth0' });
    expect(route('routes', 'inet6', 'main|inet6|default|0|1024')).toMatchObject({ gateway: 'fe80::1', dev: 'eth0' });
  });

  it('has the local table, with local and broadcast routes', () => {
    const local = routes('routes', 'inet').filter((r) => r.value.table === 'local');
    expect(new Set(local.map((r) => r.value.type))).toEqual(new Set(['local', 'broadcast']));
    expect(route('routes', 'inet', 'local|inet|10.10.0.1/32|0|0')).toMatchObject({ scope: 'host', protocol: 'kernel', prefsrc: '10.10.0.1' });
  });
});

describe('parseRoutes on the labs', () => {
  it('flannel: onlink routes to the other nodes via their VTEP on flannel.1', () => {
    expect(route('flannel', 'inet', 'main|inet|10.244.2.0/24|0|0')).toMatchObject({
      gateway: '10.244.2.0', dev: 'flannel.1', flags: ['onlink'], protocol: 'boot',
    });
  });

  it('calico: the local block is a blackhole from bird, pods are /32 link routes, other blocks via their node', () => {
    expect(route('calico', 'inet', 'main|inet|10.48.0.64/26|0|32')).toMatchObject({ type: 'blackhole', protocol: 'bird', dev: null });
    expect(route('calico', 'inet', 'main|inet|10.48.0.65/32|0|0')).toMatchObject({ scope: 'link', dev: 'calie0907b52403' });
    expect(route('calico', 'inet', 'main|inet|10.48.0.128/26|0|32')).toMatchObject({ gateway: '172.20.0.12', protocol: 'bird' });
  });

  it('kube-router: routes to the other nodes with protocol 17', () => {
    expect(route('kube-router', 'inet', 'main|inet|10.233.2.0/24|0|0')).toMatchObject({ gateway: '172.20.0.12', dev: 'eth0', protocol: '17' });
  });
});

describe('parseRoutes errors', () => {
  it('rejects text that is not JSON, and a JSON object', () => {
    expect(() => parseRoutes('default via 172.20.0.1 dev eth0', 'inet')).toThrow(ParseError);
    expect(() => parseRoutes('default via 172.20.0.1 dev eth0', 'inet')).toThrow(/ip -json -4 route show table all: output is not valid JSON/);
    expect(() => parseRoutes('{"dst":"default"}', 'inet6')).toThrow(/ip -json -6 route show table all: output is not a JSON array/);
  });

  it('rejects a route without dst', () => {
    expect(() => parseRoutes('[{"gateway":"172.20.0.1","dev":"eth0","flags":[]}]', 'inet')).toThrow(/entry 0: missing field "dst"/);
  });

  it('rejects routes of the other family (the wrong file)', () => {
    expect(() => parseRoutes(read('routes', 'route-inet6.json'), 'inet')).toThrow(/field "dst" is not an inet prefix/);
    expect(() => parseRoutes(read('routes', 'route-inet.json'), 'inet6')).toThrow(/field "dst" is not an inet6 prefix/);
    expect(() => parseRoutes('[{"dst":"10.0.0.0/33","flags":[]}]', 'inet')).toThrow(/not an inet prefix/);
  });

  it('rejects a tos it cannot read, a bad metric, bad next hops', () => {
    expect(() => parseRoutes('[{"dst":"10.0.0.0/8","tos":"bogus","flags":[]}]', 'inet')).toThrow(/field "tos" is not a TOS value/);
    expect(() => parseRoutes('[{"dst":"10.0.0.0/8","metric":"x","flags":[]}]', 'inet')).toThrow(/field "metric" should be an integer/);
    expect(() => parseRoutes('[{"dst":"10.0.0.0/8","nexthops":[1]}]', 'inet')).toThrow(/field "nexthops\[0\]" should be an object/);
  });

  it('reads tos printed as a number or decimal text too', () => {
    expect(parseRoutes('[{"dst":"10.0.0.0/8","tos":16}]', 'inet')[0]?.value.tos).toBe(16);
    expect(parseRoutes('[{"dst":"10.0.0.0/8","tos":"16"}]', 'inet')[0]?.value.tos).toBe(16);
  });
});
