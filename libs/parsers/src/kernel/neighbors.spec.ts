import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseNeighbors } from './index.js';

const read = (caseName: string, file: string): string =>
  readFileSync(new URL(`./fixtures/${caseName}/${file}`, import.meta.url), 'utf8');

function neigh(caseName: string, file: string, key: string) {
  const found = parseNeighbors(read(caseName, file), { proxy: file === 'neigh-proxy.json' }).find((n) => n.key === key);
  if (!found) throw new Error(`${caseName}/${file}: no neighbor ${key}`);
  return found.value;
}

describe('parseNeighbors on captured output', () => {
  it('has every NUD state the kernel reached', () => {
    expect(neigh('neigh', 'neigh.json', 'eth0|10.20.0.99')).toEqual({
      dev: 'eth0', family: 'inet', address: '10.20.0.99', lladdr: null, state: ['FAILED'], router: false, proxy: false,
    });
    expect(neigh('neigh', 'neigh.json', 'eth0|10.20.0.63')).toMatchObject({ state: ['INCOMPLETE'], lladdr: null });
    expect(neigh('neigh', 'neigh.json', 'eth0|10.20.0.60')).toMatchObject({ state: ['PERMANENT'], lladdr: '02:00:00:00:00:60' });
    expect(neigh('neigh', 'neigh.json', 'eth0|10.20.0.62')).toMatchObject({ state: ['STALE'], router: true });
    expect(neigh('neigh', 'neigh.json', 'eth0|10.20.0.2')).toMatchObject({ state: ['REACHABLE'], router: false });
    expect(neigh('neigh', 'neigh.json', 'eth0|2001:db8:20::99')).toMatchObject({ family: 'inet6', state: ['FAILED'] });
  });

  it('marks routers (IPv6 neighbor advertisements from a forwarding peer)', () => {
    expect(neigh('neigh', 'neigh.json', 'eth0|2001:db8:20::2')).toMatchObject({ family: 'inet6', state: ['REACHABLE'], router: true });
  });

  it('NOARP and NONE entries only show with `nud all`', () => {
    const plain = parseNeighbors(read('neigh', 'neigh.json'), { proxy: false });
    expect(plain.some((n) => n.value.state.includes('NOARP'))).toBe(false);
    expect(neigh('neigh', 'neigh-nud-all.json', 'eth0|10.20.0.61')).toMatchObject({ state: ['NOARP'], lladdr: '02:00:00:00:00:61' });
    expect(neigh('neigh', 'neigh-nud-all.json', 'eth0|ff02::2')).toMatchObject({ family: 'inet6', state: ['NOARP'] });
    // iproute2 prints no state at all for NUD_NONE
    expect(neigh('neigh', 'neigh-nud-all.json', 'eth0|10.20.0.64')).toMatchObject({ state: ['NONE'], lladdr: null });
  });

  it('proxy entries are flagged and keyed apart', () => {
    const proxies = parseNeighbors(read('neigh', 'neigh-proxy.json'), { proxy: true });
    expect(proxies.map((p) => p.key)).toEqual(['eth0|10.20.0.70|proxy', 'eth0|2001:db8:20::70|proxy']);
    expect(proxies[1]?.value).toEqual({
      dev: 'eth0', family: 'inet6', address: '2001:db8:20::70', lladdr: null, state: [], router: false, proxy: true,
    });
  });

  it('flannel: a permanent neighbor per remote VTEP on flannel.1', () => {
    expect(neigh('flannel', 'neigh.json', 'flannel.1|10.244.2.0')).toMatchObject({ lladdr: '0e:6e:61:00:00:02', state: ['PERMANENT'] });
    expect(neigh('flannel', 'neigh.json', 'flannel.1|10.244.3.0')).toMatchObject({ lladdr: '0e:6e:61:00:00:03', state: ['PERMANENT'] });
  });

  it('empty tables parse to nothing', () => {
    expect(parseNeighbors(read('empty', 'neigh.json'), { proxy: false })).toEqual([]);
    expect(parseNeighbors(read('calico', 'neigh-proxy.json'), { proxy: true })).toEqual([]);
  });
});

describe('parseNeighbors errors', () => {
  it('rejects text that is not JSON, and a JSON object', () => {
    expect(() => parseNeighbors('10.20.0.2 dev eth0 lladdr c2:e6:6f:6b:7f:00 REACHABLE', { proxy: false })).toThrow(ParseError);
    expect(() => parseNeighbors('10.20.0.2 dev eth0', { proxy: false })).toThrow(/ip -json neigh show: output is not valid JSON/);
    expect(() => parseNeighbors('{"dst":"10.20.0.70"}', { proxy: true })).toThrow(/ip -json neigh show proxy: output is not a JSON array/);
  });

  it('rejects entries missing dst or dev, or with an address that is not one', () => {
    expect(() => parseNeighbors('[{"dev":"eth0","state":["REACHABLE"]}]', { proxy: false })).toThrow(/entry 0: missing field "dst"/);
    expect(() => parseNeighbors('[{"dst":"10.0.0.1","state":["REACHABLE"]}]', { proxy: false })).toThrow(/missing field "dev"/);
    expect(() => parseNeighbors('[{"dst":"eth0","dev":"eth0"}]', { proxy: false })).toThrow(/"dst" is not an IPv4 or IPv6 address/);
    expect(() => parseNeighbors('[{"dst":"10.0.0.1","dev":"eth0","state":"REACHABLE"}]', { proxy: false })).toThrow(
      /field "state" should be a list of strings/,
    );
  });
});
