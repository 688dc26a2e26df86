import { readFileSync } from 'node:fs';
import type { RuleValue } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseRules } from './index.js';
import type { Family } from './iproute-values.js';

const read = (caseName: string, file: string): string =>
  readFileSync(new URL(`./fixtures/${caseName}/${file}`, import.meta.url), 'utf8');

const rules = (caseName: string, family: Family) => parseRules(read(caseName, `rule-${family}.json`), family);

/** The rules case's rules at one priority. */
const at = (family: Family, priority: number): RuleValue[] =>
  rules('rules', family).filter((r) => r.value.priority === priority).map((r) => r.value);

function one(family: Family, priority: number): RuleValue {
  const found = at(family, priority);
  if (found.length !== 1) throw new Error(`${found.length} ${family} rules at priority ${priority}`);
  return found[0] as RuleValue;
}

const NONE = {
  not: false, src: null, dst: null, tos: 0, fwmark: null, fwmask: null, iif: null, iifDetached: false, oif: null,
  oifDetached: false, uidRange: null, ipproto: null, sport: null, dport: null, tunId: null, realms: null, l3mdev: false,
  table: null, goto: null, unresolved: false, suppressPrefixLength: null, suppressIfGroup: null, other: {},
};

describe('parseRules on captured output (scratch namespace)', () => {
  it('the default rules of each family, installed by the kernel', () => {
    const defaults = (family: Family) =>
      rules('empty', family).map((r) => [r.value.priority, r.value.action, r.value.table, r.value.protocol, r.value.src]);
    expect(defaults('inet')).toEqual([
      [0, 'lookup', 'local', 'kernel', null],
      [32766, 'lookup', 'main', 'kernel', null],
      [32767, 'lookup', 'default', 'kernel', null],
    ]);
    expect(defaults('inet6')).toEqual([
      [0, 'lookup', 'local', 'kernel', null],
      [32766, 'lookup', 'main', 'kernel', null],
    ]);
    expect(rules('empty', 'inet').map((r) => r.key)).toEqual([
      'inet|0|from all lookup local proto kernel',
      'inet|32766|from all lookup main proto kernel',
      'inet|32767|from all lookup default proto kernel',
    ]);
  });

  it('fills in what iproute2 leaves out: every selector absent, nothing detached, nothing else', () => {
    expect(one('inet', 32766)).toEqual({ ...NONE, family: 'inet', priority: 32766, action: 'lookup', table: 'main', protocol: 'kernel' });
  });

  it('fwmark with a mask, without one (all bits) and of zero', () => {
    expect(one('inet', 100)).toMatchObject({ fwmark: 0x10, fwmask: 0xff, table: '100' });
    expect(one('inet', 101)).toMatchObject({ fwmark: 0x20, fwmask: 0xffffffff });
    expect(one('inet', 102)).toMatchObject({ fwmark: 0, fwmask: 0xff00 });
  });

  it('iif and oif at one priority, and an iif naming an interface that is not there', () => {
    expect(at('inet', 110).map((r) => [r.iif, r.oif, r.table])).toEqual([['eth0', null, '110'], [null, 'eth1', '111']]);
    expect(one('inet', 110 + 1)).toMatchObject({ iif: 'gone0', iifDetached: true });
    expect(at('inet', 110).every((r) => !r.iifDetached && !r.oifDetached)).toBe(true);
  });

  it('not, suppress_prefixlength 0 and suppress_ifgroup', () => {
    expect(one('inet', 120)).toMatchObject({ not: true, src: '10.0.0.0/8', table: 'main' });
    expect(one('inet', 121)).toMatchObject({ table: 'main', suppressPrefixLength: 0, suppressIfGroup: null });
    expect(one('inet', 122)).toMatchObject({ table: 'main', suppressIfGroup: '5', suppressPrefixLength: null });
    expect(one('inet6', 204)).toMatchObject({ table: 'main', suppressPrefixLength: 0 });
  });

  it('goto, resolved and not, and the verdicts that look nothing up', () => {
    expect(one('inet', 130)).toMatchObject({ action: 'goto', goto: 32766, unresolved: false, table: null, src: '10.1.0.0/16' });
    expect(one('inet', 131)).toMatchObject({ action: 'goto', goto: 9999, unresolved: true });
    expect(at('inet', 140).map((r) => [r.dst, r.action, r.table])).toEqual([
      ['10.3.0.0/16', 'blackhole', null],
      ['10.4.0.0/16', 'unreachable', null],
      ['10.5.0.0/16', 'prohibit', null],
    ]);
    expect(one('inet', 141)).toMatchObject({ action: 'nop', table: null });
    expect(one('inet6', 205)).toMatchObject({ action: 'unreachable', dst: '2001:db8:3::/48' });
    expect(one('inet6', 206)).toMatchObject({ action: 'goto', goto: 32766, src: '2001:db8:4::/48' });
  });

  it('tables by number, by their rt_tables name, and `lookup 254` printed as main', () => {
    expect(one('inet', 150)).toMatchObject({ tos: 0x10, table: 'main' });
    expect(one('inet', 160)).toMatchObject({ table: 'netatlas-fx', src: '10.9.0.0/16' });
    expect(one('inet', 161)).toMatchObject({ table: '1000000' });
    expect(one('inet6', 203)).toMatchObject({ table: 'netatlas-fx', src: '2001:db8:2::1/128' });
  });

  it('the route in that table is named the same way, so a rule finds its routes', () => {
    const named = readFileSync(new URL('./fixtures/rules/route-inet.json', import.meta.url), 'utf8');
    expect(named).toContain('"table":"netatlas-fx"');
  });

  it('ipproto by name and by number, port ranges, uidrange, tun_id, realms', () => {
    expect(one('inet', 151)).toMatchObject({ ipproto: 'tcp', sport: { start: 1000, end: 1000 }, dport: { start: 80, end: 90 } });
    expect(one('inet', 152)).toMatchObject({ ipproto: '253' });
    expect(one('inet', 153)).toMatchObject({ uidRange: { start: 1000, end: 2000 } });
    expect(one('inet', 154)).toMatchObject({ tunId: 7 });
    expect(one('inet', 155)).toMatchObject({ realms: '3/4', dst: '10.8.0.0/16' });
  });

  it('host-length prefixes are printed bare and get /32 and /128', () => {
    expect(one('inet', 156)).toMatchObject({ src: '10.6.6.6/32', dst: '10.7.7.7/32' });
  });

  it('IPv6: iif with a source, not with fwmark, tos by its DS-field name', () => {
    expect(one('inet6', 200)).toMatchObject({ family: 'inet6', src: '2001:db8::/32', iif: 'eth0', table: '200' });
    expect(one('inet6', 201)).toMatchObject({ not: true, dst: '2001:db8:1::/48', fwmark: 1, fwmask: 0xffffffff });
    expect(one('inet6', 202)).toMatchObject({ tos: 0x28 }); // printed "tos": "AF11"
  });

  it('l3mdev: a lookup in the VRF device\'s table, no table named', () => {
    expect(one('inet', 1000)).toEqual({ ...NONE, family: 'inet', priority: 1000, l3mdev: true, action: 'lookup', protocol: 'unspec' });
    expect(one('inet6', 1000)).toMatchObject({ l3mdev: true, action: 'lookup', table: null });
  });

  it('keeps apart rules that differ only in the protocol that installed them', () => {
    const same = at('inet', 170);
    expect(same.map((r) => r.protocol)).toEqual(['kernel', 'boot', 'static', 'unspec']);
    const keys = rules('rules', 'inet').filter((r) => r.value.priority === 170).map((r) => r.key);
    expect(new Set(keys).size).toBe(4);
    expect(keys[3]).toBe('inet|170|from 10.11.0.0/16 lookup 100 proto unspec');
  });

  it('keys read like the rule, with what is state (detached, unresolved) left out', () => {
    const key = (family: Family, priority: number) => rules('rules', family).find((r) => r.value.priority === priority)?.key;
    expect(key('inet', 100)).toBe('inet|100|from all fwmark 0x10/0xff lookup 100 proto unspec');
    expect(key('inet', 111)).toBe('inet|111|from all iif gone0 lookup 110 proto unspec');
    expect(key('inet', 131)).toBe('inet|131|from 10.2.0.0/16 goto 9999 proto unspec');
    expect(key('inet', 151)).toBe('inet|151|from all ipproto tcp sport 1000 dport 80-90 lookup 100 proto unspec');
    expect(key('inet6', 201)).toBe('inet6|201|not from all to 2001:db8:1::/48 fwmark 0x1/0xffffffff lookup 200 proto unspec');
  });
});

describe('parseRules on the labs', () => {
  it('a lab node has the default rules and no others', () => {
    for (const style of ['kube-router', 'calico', 'flannel']) {
      expect(rules(style, 'inet').map((r) => r.value.priority), style).toEqual([0, 32766, 32767]);
      expect(rules(style, 'inet6').map((r) => r.value.priority), style).toEqual([0, 32766]);
    }
  });
});

describe('parseRules on what other iproute2 versions print', () => {
  it('keeps a selector the model has no field for, so the rule does not read as matching everything', () => {
    const [rule] = parseRules('[{"priority":5,"src":"all","dscp":"10","table":"100","protocol":"unspec"}]', 'inet');
    expect(rule?.value).toMatchObject({ table: '100', other: { dscp: '10' } });
    expect(rule?.key).toBe('inet|5|from all lookup 100 proto unspec dscp "10"');
  });

  it('reads numbers where 6.1 prints text, and a single-port range', () => {
    const [rule] = parseRules('[{"priority":5,"src":"all","fwmark":16,"fwmask":255,"ipproto":6,"dport":53,"table":100,"protocol":4}]', 'inet');
    expect(rule?.value).toMatchObject({ fwmark: 16, fwmask: 255, ipproto: '6', dport: { start: 53, end: 53 }, table: '100', protocol: '4' });
  });
});

describe('parseRules errors', () => {
  it('rejects text that is not JSON, and a JSON object', () => {
    expect(() => parseRules('0:\tfrom all lookup local', 'inet')).toThrow(ParseError);
    expect(() => parseRules('0:\tfrom all lookup local', 'inet')).toThrow(/ip -details -json -4 rule show: output is not valid JSON/);
    expect(() => parseRules('{"priority":0}', 'inet6')).toThrow(/ip -details -json -6 rule show: output is not a JSON array/);
  });

  it('rejects output without the protocol (ip rule show without -details)', () => {
    expect(() => parseRules('[{"priority":0,"src":"all","table":"local"}]', 'inet')).toThrow(/entry 0: missing field "protocol"/);
  });

  it('rejects a rule without a priority or without an action', () => {
    expect(() => parseRules('[{"src":"all","table":"main","protocol":"kernel"}]', 'inet')).toThrow(/entry 0: missing field "priority"/);
    expect(() => parseRules('[{"priority":1,"src":"all","protocol":"kernel"}]', 'inet')).toThrow(/no action/);
    expect(() => parseRules('[{"priority":1,"src":"all","action":"throw","protocol":"kernel"}]', 'inet')).toThrow(/unknown rule action "throw"/);
  });

  it('rejects rules of the other family (the wrong file), bad prefixes, marks and flags', () => {
    expect(() => parseRules(read('rules', 'rule-inet6.json'), 'inet')).toThrow(/field "src" is not an inet prefix/);
    expect(() => parseRules(read('rules', 'rule-inet.json'), 'inet6')).toThrow(/field "src" is not an inet6 prefix/);
    expect(() => parseRules('[{"priority":1,"src":"10.0.0.0","srclen":33,"table":"main","protocol":"boot"}]', 'inet')).toThrow(/not an inet prefix/);
    expect(() => parseRules('[{"priority":1,"src":"all","fwmark":"0x1ffffffff","table":"main","protocol":"boot"}]', 'inet')).toThrow(/field "fwmark" is not a 32-bit mark/);
    expect(() => parseRules('[{"priority":1,"src":"all","not":"yes","table":"main","protocol":"boot"}]', 'inet')).toThrow(/field "not" is a flag/);
    expect(() => parseRules('[{"priority":1,"src":"all","dport_start":80,"table":"main","protocol":"boot"}]', 'inet')).toThrow(/"dport_end" is missing/);
  });

  it('rejects a family it does not know', () => {
    expect(() => parseRules('[]', 'link' as Family)).toThrow(TypeError);
  });
});
