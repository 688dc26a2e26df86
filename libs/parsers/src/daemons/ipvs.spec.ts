// parseIpvsadm and parseProcIpVs. The fixtures are HAND-WRITTEN (`*-handwritten.txt`): this
// kernel has no IPVS, so neither `ipvsadm -Ln` nor /proc/net/ip_vs can be captured here. They
// follow ipvsadm's print_service_entry() and the kernel's ip_vs_info_seq_show() formats and
// describe the same kube-proxy/kube-router-like services, the kernel's in hex and hash order.
import { readFileSync } from 'node:fs';
import { type IpvsServiceValue } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseIpvsadm, parseProcIpVs } from './index.js';

const dir = new URL('./fixtures/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, dir), 'utf8');
const adm = () => parseIpvsadm(read('ipvsadm-handwritten.txt'));
const proc = (hz?: number) => parseProcIpVs(read('proc-net-ip_vs-handwritten.txt'), hz === undefined ? undefined : { hz });

function service(facts: { key: string; value: IpvsServiceValue }[], key: string): IpvsServiceValue {
  const f = facts.find((x) => x.key === key);
  if (!f) throw new Error(`no service ${key} in ${facts.map((x) => x.key).join(', ')}`);
  return f.value;
}

for (const [name, parse] of [
  ['parseIpvsadm', adm],
  ['parseProcIpVs', () => proc(250)],
] as const) {
  describe(`${name}: hand-written fixture`, () => {
    const facts = parse();

    it('the apiserver service: 10.96.0.1:443 rr with three masq real servers', () => {
      expect(service(facts, 'tcp|10.96.0.1|443')).toEqual({
        protocol: 'tcp',
        address: '10.96.0.1',
        port: 443,
        fwmark: null,
        scheduler: 'rr',
        flags: [],
        persistent: null,
        realServers: [
          { address: '172.20.0.11', port: 6443, forward: 'masq', weight: 1 },
          { address: '172.20.0.12', port: 6443, forward: 'masq', weight: 1 },
          { address: '172.20.0.13', port: 6443, forward: 'masq', weight: 1 },
        ],
      });
    });

    it('DNS over UDP and TCP, persistence, forwarding methods, weights, no endpoints', () => {
      expect(facts).toHaveLength(14);
      expect(service(facts, 'udp|10.96.0.10|53').realServers).toHaveLength(2);
      expect(service(facts, 'tcp|10.96.0.10|53').realServers).toHaveLength(2);
      expect(service(facts, 'tcp|10.96.0.20|80').persistent).toBe(10800);
      expect(service(facts, 'tcp|10.96.0.30|8443')).toMatchObject({ scheduler: 'wlc', persistent: 360, flags: ['mask=255.255.255.0'] });
      expect(service(facts, 'tcp|10.96.0.30|8443').realServers.map((r) => [r.forward, r.weight])).toEqual([['route', 100], ['route', 50]]);
      expect(service(facts, 'tcp|203.0.113.10|80').realServers.map((r) => r.forward)).toEqual(['tunnel', 'tunnel', 'local']);
      expect(service(facts, 'tcp|172.20.0.11|30080').realServers.map((r) => r.weight)).toEqual([1, 0]);
      expect(service(facts, 'udp|10.96.0.50|5060')).toMatchObject({ scheduler: 'sh', flags: ['ops'] });
      expect(service(facts, 'tcp|10.96.0.60|80').realServers).toEqual([]);
    });

    it('IPv6 services in RFC 5952 form', () => {
      const s = service(facts, 'tcp|fd00:10:96::1|443');
      expect(s.realServers.map((r) => `[${r.address}]:${r.port}`)).toEqual(['[fd00:10:233:1::5]:8443', '[fd00:10:233:2::5]:8443']);
      expect(service(facts, 'udp|fd00:10:96::a|53').realServers).toHaveLength(2);
    });

    it('firewall-mark services', () => {
      expect(service(facts, 'fwmark|3000')).toMatchObject({ protocol: 'fwmark', address: null, port: null, fwmark: 3000 });
      expect(service(facts, 'fwmark|3000').realServers.map((r) => r.forward)).toEqual(['tunnel', 'tunnel']);
      expect(service(facts, 'fwmark|4000')).toMatchObject({ persistent: 600, flags: [] });
      expect(service(facts, 'fwmark|4000').realServers[0]?.address).toBe('fd00:10:233:1::8');
    });
  });
}

describe('parseProcIpVs specifics', () => {
  it('decodes hex addresses and ports (AC14000B:192B is 172.20.0.11:6443)', () => {
    expect(read('proc-net-ip_vs-handwritten.txt')).toContain('  -> AC14000B:192B      Masq');
    expect(service(proc(), 'tcp|10.96.0.1|443').realServers[0]).toEqual({ address: '172.20.0.11', port: 6443, forward: 'masq', weight: 1 });
  });

  it('describes the same state as ipvsadm, whatever order the kernel lists things in', () => {
    const byKey = (fs: { key: string }[]) => [...fs].sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(byKey(proc())).toEqual(byKey(adm()));
  });

  it('turns the persistence timeout from jiffies into seconds with the kernel HZ (default 250)', () => {
    expect(read('proc-net-ip_vs-handwritten.txt')).toContain('persistent 2700000 FFFFFFFF');
    expect(service(proc(), 'tcp|10.96.0.20|80').persistent).toBe(10800);
    expect(service(proc(1000), 'tcp|10.96.0.20|80').persistent).toBe(2700);
    expect(() => proc(0)).toThrow(/hz must be a positive integer/);
  });

  it('refuses protocols the model has no name for', () => {
    const text = read('proc-net-ip_vs-handwritten.txt').replace('UDP  0A600032:13C4', 'IP_50  0A600032:13C4');
    expect(() => parseProcIpVs(text)).toThrow(/unsupported service protocol "IP_50"/);
  });
});

describe('IPVS parsers: not their output', () => {
  it('an empty table is no services', () => {
    const empty = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
    expect(parseIpvsadm(empty)).toEqual([]);
    expect(parseProcIpVs(empty.replace('Port           Forward', 'Port Forward'))).toEqual([]);
  });

  it('throws ParseError on garbage and on ipvsadm errors', () => {
    expect(() => parseIpvsadm('hello')).toThrow(ParseError);
    expect(() => parseIpvsadm("Can't initialize ipvs: Protocol not available\n")).toThrow(/does not start with "IP Virtual Server version/);
    expect(() => parseProcIpVs('')).toThrow(ParseError);
  });

  it('throws on a cut header, stray lines and non-numeric addresses', () => {
    const text = read('ipvsadm-handwritten.txt');
    expect(() => parseIpvsadm(text.split('\n').slice(0, 1).join('\n'))).toThrow(/Prot LocalAddress:Port Scheduler Flags/);
    expect(() => parseIpvsadm(text.replace('TCP  10.96.0.1:443 rr', 'TCP  kubernetes.default:https rr'))).toThrow(/not a numeric address:port/);
    expect(() => parseIpvsadm(text + 'garbage here\n')).toThrow(/neither a service nor a real server/);
    expect(() => parseIpvsadm(text.replace('Masq    1      3', 'Bounce  1      3'))).toThrow(/unknown forwarding method "Bounce"/);
    const lines = text.split('\n');
    expect(() => parseIpvsadm([...lines.slice(0, 3), ...lines.slice(4)].join('\n'))).toThrow(/real server before any service/);
  });
});
