import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseAddrs } from './index.js';

const read = (caseName: string, file: string): string =>
  readFileSync(new URL(`./fixtures/${caseName}/${file}`, import.meta.url), 'utf8');

function addr(caseName: string, key: string) {
  const found = parseAddrs(read(caseName, 'addr.json')).find((a) => a.key === key);
  if (!found) throw new Error(`${caseName}: no address ${key}`);
  return found.value;
}

describe('parseAddrs on captured output', () => {
  it('keeps a labelled secondary IPv4 address with its broadcast', () => {
    expect(addr('routes', 'eth0|inet|10.10.0.100/24')).toEqual({
      ifname: 'eth0',
      family: 'inet',
      address: '10.10.0.100',
      prefixLen: 24,
      scope: 'global',
      broadcast: '10.10.0.255',
      label: 'eth0:vip',
      flags: ['secondary'],
    });
  });

  it('keeps the IPv6 flags and drops the lifetimes', () => {
    const deprecated = addr('routes', 'eth0|inet6|2001:db8:10::200/64');
    expect(deprecated).toMatchObject({ label: null, broadcast: null, flags: ['nodad', 'deprecated', 'dynamic'] });
    expect(JSON.stringify(deprecated)).not.toMatch(/life/);
    expect(addr('routes', 'eth0|inet6|2001:db8:10::100/64').flags).toEqual(['nodad', 'home', 'noprefixroute']);
    // no carrier on eth2: duplicate address detection never completes
    expect(addr('routes', 'eth2|inet6|2001:db8:12::1/64').flags).toEqual(['tentative']);
  });

  it('has link-local and loopback addresses with their scopes', () => {
    const all = parseAddrs(read('kube-router', 'addr.json')).map((a) => a.value);
    expect(all.find((a) => a.address === '::1')).toMatchObject({ ifname: 'lo', family: 'inet6', prefixLen: 128, scope: 'host' });
    expect(all.filter((a) => a.address.startsWith('fe80:')).every((a) => a.scope === 'link' && a.prefixLen === 64)).toBe(true);
    expect(addr('kube-router', 'kube-bridge|inet|10.233.1.1/24')).toMatchObject({ scope: 'global', label: 'kube-bridge' });
  });

  it('flannel: the VTEP /32 on flannel.1 and the gateway on cni0', () => {
    expect(addr('flannel', 'flannel.1|inet|10.244.1.0/32')).toMatchObject({ scope: 'global' });
    expect(addr('flannel', 'cni0|inet|10.244.1.1/24')).toMatchObject({ scope: 'global' });
  });

  it('skips the empty objects iproute2 prints for filtered-out links', () => {
    const text = JSON.stringify([{}, { ifname: 'lo', addr_info: [{}, { family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] }]);
    expect(parseAddrs(text).map((a) => a.key)).toEqual(['lo|inet|127.0.0.1/8']);
  });
});

describe('parseAddrs errors', () => {
  it('rejects text that is not JSON, and a JSON object', () => {
    expect(() => parseAddrs('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536')).toThrow(ParseError);
    expect(() => parseAddrs('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536')).toThrow(/ip -json addr show: output is not valid JSON/);
    expect(() => parseAddrs('{"ifname":"lo"}')).toThrow(/not a JSON array \(got object\)/);
  });

  it('rejects `ip link` output (no addr_info) and addresses missing a field', () => {
    expect(() => parseAddrs(read('kube-router', 'link.json'))).toThrow(/entry 0: missing field "addr_info"/);
    const noLocal = JSON.stringify([{ ifname: 'lo', addr_info: [{ family: 'inet', prefixlen: 8, scope: 'host' }] }]);
    expect(() => parseAddrs(noLocal)).toThrow(/entry 0 addr_info\[0\]: missing field "local"/);
    const noFamily = JSON.stringify([{ ifname: 'lo', addr_info: [{ local: '127.0.0.1', prefixlen: 8, scope: 'host' }] }]);
    expect(() => parseAddrs(noFamily)).toThrow(/missing field "family"/);
  });
});
