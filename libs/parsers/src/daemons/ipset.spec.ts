// parseIpsetSave against `ipset save` (ipset 7.17) captured from a kube-router lab node and from a
// namespace of the capture script (fixtures/, see captures.json).
import { readFileSync } from 'node:fs';
import { type Fact, type IpsetMemberValue, type IpsetValue } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseIpsetSave } from './index.js';

const dir = new URL('./fixtures/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, dir), 'utf8');

function split(facts: Fact[]): { sets: Map<string, IpsetValue>; members: Map<string, IpsetMemberValue[]> } {
  const sets = new Map<string, IpsetValue>();
  const members = new Map<string, IpsetMemberValue[]>();
  for (const f of facts) {
    if (f.kind === 'ipset') sets.set(f.value.name, f.value);
    else if (f.kind === 'ipsetMember') members.set(f.value.set, [...(members.get(f.value.set) ?? []), f.value]);
    else throw new Error(`unexpected kind ${f.kind}`);
  }
  return { sets, members };
}

const member = (list: IpsetMemberValue[] | undefined, element: string) => {
  const m = list?.find((x) => x.element === element);
  if (!m) throw new Error(`no member ${element}`);
  return m;
};

describe('parseIpsetSave: kube-router lab node', () => {
  const { sets, members } = split(parseIpsetSave(read('ipset-kube-router.txt')));

  it("kube-router's five sets with their types and members", () => {
    expect([...sets.keys()]).toEqual([
      'kube-router-pod-subnets',
      'kube-router-node-ips',
      'kube-router-local-ips',
      'kube-router-service-ips',
      'kube-router-ipvs-services',
    ]);
    expect(sets.get('kube-router-pod-subnets')).toMatchObject({ type: 'hash:net', family: 'inet' });
    expect(sets.get('kube-router-ipvs-services')?.type).toBe('hash:ip,port');
    expect(members.get('kube-router-pod-subnets')?.map((m) => m.element).sort()).toEqual(['10.233.1.0/24', '10.233.2.0/24', '10.233.3.0/24']);
    expect(members.get('kube-router-node-ips')).toHaveLength(3);
    expect(members.get('kube-router-local-ips')).toHaveLength(2);
    expect(members.get('kube-router-ipvs-services')?.map((m) => m.element).sort()).toEqual(['10.96.0.1,tcp:443', '10.96.0.10,tcp:53', '10.96.0.10,udp:53']);
  });

  it('header options: numbers as numbers, the random initval left out; timeout 0 members never expire', () => {
    const h = sets.get('kube-router-node-ips')?.header ?? {};
    expect(h).toMatchObject({ hashsize: 1024, maxelem: 65536, timeout: 0, bucketsize: 12 });
    expect(h).not.toHaveProperty('initval');
    expect('family' in h).toBe(false);
    for (const list of members.values()) for (const m of list) expect(m).toMatchObject({ timeout: 0, comment: null });
  });
});

describe('parseIpsetSave: sets made by the capture script', () => {
  const text = read('ipset-fxb-sets.txt');
  const { sets, members } = split(parseIpsetSave(text));

  it('a hash:ip set with 3000 members', () => {
    expect(sets.get('fxb-big')).toMatchObject({ type: 'hash:ip', family: 'inet' });
    expect(members.get('fxb-big')).toHaveLength(3000);
    expect(new Set(members.get('fxb-big')?.map((m) => m.element)).size).toBe(3000);
  });

  it('types and families, including inet6, bitmap and list sets without a family', () => {
    const types = Object.fromEntries([...sets.values()].map((s) => [s.name, [s.type, s.family]]));
    expect(types).toMatchObject({
      'fxb-nets': ['hash:net', 'inet'],
      'fxb-ports': ['hash:ip,port', 'inet'],
      'fxb-v6': ['hash:ip', 'inet6'],
      'fxb-v6nets': ['hash:net', 'inet6'],
      'fxb-portmap': ['bitmap:port', null],
      'fxb-netiface': ['hash:net,iface', 'inet'],
      'fxb-list': ['list:set', null],
    });
    expect(sets.get('fxb-portmap')?.header).toEqual({ range: '1-1024' });
    expect(sets.get('fxb-list')?.header).toEqual({ size: 8 });
    expect(members.get('fxb-v6')?.map((m) => m.element).sort()).toEqual(['2001:db8::1', 'fd00:10:96::1', 'fd00:10:96::a']);
    expect(members.get('fxb-ports')?.map((m) => m.element)).toContain('10.96.0.10,udp:53');
    expect(members.get('fxb-list')?.map((m) => m.element).sort()).toEqual(['fxb-empty', 'fxb-nets']);
  });

  it('flag options are true', () => {
    expect(sets.get('fxb-comments')?.header['comment']).toBe(true);
    expect(sets.get('fxb-counters')?.header['counters']).toBe(true);
    expect(sets.get('fxb-skb')?.header['skbinfo']).toBe(true);
  });

  it('comments unquoted (with spaces, commas, parentheses), null when absent', () => {
    const c = members.get('fxb-comments');
    expect(member(c, '172.20.0.11').comment).toBe('node one (172.20.0.11), control plane');
    expect(member(c, '10.233.1.5').comment).toBe('kube-system/coredns:dns');
    expect(member(c, '10.233.2.9').comment).toBeNull();
  });

  it("timeouts: the set's configured timeout for a member counting down, 0 for never, null without timeouts", () => {
    expect(text).toMatch(/add fxb-expiring 10\.1\.0\.1 timeout (\d+)/); // the countdown ipset printed…
    const e = members.get('fxb-expiring');
    expect(member(e, '10.1.0.1').timeout).toBe(600); // …is not state
    expect(member(e, '10.1.0.3').timeout).toBe(600);
    expect(member(e, '10.1.0.2').timeout).toBe(0);
    expect(sets.get('fxb-expiring')?.header['timeout']).toBe(600);
    expect(member(members.get('fxb-nets'), '10.0.0.0/8').timeout).toBeNull();
  });

  it('counters are dropped; nomatch is kept on the element; an empty set has no members', () => {
    expect(text).toMatch(/add fxb-counters 10\.2\.0\.1 packets 42 bytes 4200/);
    expect(member(members.get('fxb-counters'), '10.2.0.1')).toEqual({ set: 'fxb-counters', element: '10.2.0.1', timeout: null, comment: null });
    expect(member(members.get('fxb-nets'), '192.168.1.0/24 nomatch')).toBeDefined();
    expect(sets.has('fxb-empty')).toBe(true);
    expect(members.get('fxb-empty')).toBeUndefined();
  });
});

describe('parseIpsetSave: not ipset save output', () => {
  it('no sets is empty output', () => {
    expect(parseIpsetSave('')).toEqual([]);
  });

  it('throws ParseError on garbage and on ipset errors', () => {
    expect(() => parseIpsetSave('hello world\n')).toThrow(ParseError);
    expect(() => parseIpsetSave('ipset v7.17: Kernel error received: Operation not permitted\n')).toThrow(/expected "create" or "add"/);
  });

  it('throws on a member of a set never created (output cut at the front) and on a cut-off quote', () => {
    expect(() => parseIpsetSave('add kube-router-node-ips 172.20.0.13 timeout 0\n')).toThrow(/not created before/);
    expect(() => parseIpsetSave('create s hash:ip family inet comment\nadd s 10.0.0.1 comment "cut of\n')).toThrow(/unbalanced quote/);
    expect(() => parseIpsetSave('create s hash:ip family inet hashsize\n')).toThrow(/option hashsize has no value/);
  });

  it('throws on unknown types, families and member options, naming them', () => {
    expect(() => parseIpsetSave('create s nothash family inet\n')).toThrow(/unknown type "nothash"/);
    expect(() => parseIpsetSave('create s hash:ip family ipx\n')).toThrow(/unknown family ipx/);
    expect(() => parseIpsetSave('create s hash:ip family inet\nadd s 10.0.0.1 colour blue\n')).toThrow(/unknown member option "colour"/);
  });
});
