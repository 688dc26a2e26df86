import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseFdb } from './index.js';

const read = (caseName: string, file: string): string =>
  readFileSync(new URL(`./fixtures/${caseName}/${file}`, import.meta.url), 'utf8');

const fdb = (caseName: string) => parseFdb(read(caseName, 'fdb.json')).map((f) => f.value);

describe('parseFdb on captured output', () => {
  it('vxlan: flood entries (all-zero MAC) to every remote VTEP, each its own fact', () => {
    const facts = parseFdb(read('vxlan', 'fdb.json'));
    const flood = facts.filter((f) => f.value.dev === 'vxlan100' && f.value.mac === '00:00:00:00:00:00');
    expect(flood.map((f) => f.value.dst)).toEqual(['10.30.0.2', '10.30.0.3', '10.30.0.4']);
    expect(new Set(flood.map((f) => f.key)).size).toBe(3);
    expect(flood[0]?.value).toEqual({
      dev: 'vxlan100', mac: '00:00:00:00:00:00', master: null, vlan: null, dst: '10.30.0.2', vni: null, port: null,
      state: 'permanent', flags: ['self'],
    });
  });

  it('vxlan: a MAC learned both by the bridge (master) and by the vxlan device (self) gets two keys', () => {
    const onVxlan = parseFdb(read('vxlan', 'fdb.json')).filter((f) => f.value.dev === 'vxlan100');
    const learned = onVxlan.filter((f) => f.value.state === null);
    expect(learned).toHaveLength(2);
    const [viaBridge, viaVtep] = learned;
    expect(viaBridge?.value.mac).toBe(viaVtep?.value.mac);
    expect(viaBridge?.value).toMatchObject({ master: 'br0', dst: null, flags: [] });
    expect(viaVtep?.value).toMatchObject({ master: null, dst: '10.30.0.2', flags: ['self'] });
    expect(viaBridge?.key).not.toBe(viaVtep?.key);
  });

  it('vxlan: an entry with its own vni and port; IPv6 and multicast remotes', () => {
    const all = fdb('vxlan');
    expect(all.find((f) => f.mac === '02:00:00:00:04:01')).toMatchObject({ dst: '10.30.0.4', vni: 200, port: 4790, state: 'permanent' });
    expect(all.find((f) => f.dev === 'vxlan6')).toMatchObject({ mac: '00:00:00:00:00:00', dst: '2001:db8:30::2' });
    expect(all.find((f) => f.dev === 'vxlan-mc')).toMatchObject({ dst: '239.1.1.1' });
  });

  it('bridge ports: learned entries have no state, static and local ones keep theirs', () => {
    const tap1 = fdb('vxlan').filter((f) => f.dev === 'tap1' && f.master === 'br0');
    expect(tap1.map((f) => f.state).sort()).toEqual(['permanent', 'static', null].sort());
    expect(tap1.find((f) => f.mac === '02:00:00:00:0b:01')).toMatchObject({ state: 'static', flags: [] });
  });

  it('flannel: one permanent entry per remote VTEP on flannel.1', () => {
    expect(fdb('flannel').filter((f) => f.dev === 'flannel.1')).toEqual([
      { dev: 'flannel.1', mac: '0e:6e:61:00:00:03', master: null, vlan: null, dst: '172.20.0.13', vni: null, port: null, state: 'permanent', flags: ['self'] },
      { dev: 'flannel.1', mac: '0e:6e:61:00:00:02', master: null, vlan: null, dst: '172.20.0.12', vni: null, port: null, state: 'permanent', flags: ['self'] },
    ]);
  });

  it('an empty table parses to nothing', () => {
    expect(parseFdb(read('empty', 'fdb.json'))).toEqual([]);
  });

  it('reads vlan, and maps a stale learned entry to null like a fresh one', () => {
    const text = '[{"mac":"02:00:00:00:00:01","ifname":"tap1","vlan":10,"flags":[],"master":"br0","state":"stale"}]';
    expect(parseFdb(text)[0]?.value).toMatchObject({ vlan: 10, state: null });
  });
});

describe('parseFdb errors', () => {
  it('rejects text that is not JSON, and a JSON object', () => {
    expect(() => parseFdb('33:33:00:00:00:01 dev eth0 self permanent')).toThrow(ParseError);
    expect(() => parseFdb('33:33:00:00:00:01 dev eth0 self permanent')).toThrow(/bridge -json fdb show: output is not valid JSON/);
    expect(() => parseFdb('{"mac":"33:33:00:00:00:01"}')).toThrow(/not a JSON array \(got object\)/);
  });

  it('rejects entries missing mac or ifname (`fdb show dev X` output leaves ifname out)', () => {
    expect(() => parseFdb('[{"ifname":"eth0","flags":["self"],"state":"permanent"}]')).toThrow(/entry 0: missing field "mac"/);
    expect(() => parseFdb('[{"mac":"33:33:00:00:00:01","flags":["self"],"state":"permanent"}]')).toThrow(/missing field "ifname"/);
    expect(() => parseFdb('[{"mac":"33:33:00:00:00:01","ifname":"vx","vni":"x"}]')).toThrow(/field "vni" should be an integer/);
  });
});
