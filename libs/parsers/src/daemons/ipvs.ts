// IPVS virtual services → ipvsService facts, from `ipvsadm -Ln` or from /proc/net/ip_vs (the
// kernel's own table, hex addresses and ports, for hosts without ipvsadm).
//
// Per service: protocol (tcp, udp, sctp; fwmark for firewall-mark services, whose address and
// port are null), scheduler, persistence timeout in seconds (null when not persistent), flags and
// the real servers (address, port, forward = masq/route/tunnel/local, weight). Connection
// counters (ActiveConn, InActConn) are not state and are dropped. Real servers are sorted by
// address and port, so a re-listing in another order is not a change.
//
// flags: `ops` (one-packet scheduling), scheduler flags as ipvsadm names them (sh-fallback,
// sh-port, flag-3, …), and, for persistent services, a persistence netmask other than the
// default as `mask=255.255.255.0` (IPv6: `mask=64`) and a persistence engine as `pe=sip`.
import { makeFact, type FactOf, type IpvsServiceValue } from '@netatlas/wire/core';
import { ParseError } from '../errors.js';
import { canonicalIpv6, isIpv4, lines as splitLines, preview } from './util.js';

type RealServer = IpvsServiceValue['realServers'][number];

const FORWARD: Readonly<Record<string, string>> = { masq: 'masq', route: 'route', tunnel: 'tunnel', local: 'local' };
const PROTOCOLS: Readonly<Record<string, IpvsServiceValue['protocol']>> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

function sortKey(address: string, port: number): string {
  const a = isIpv4(address) ? address.split('.').map((o) => o.padStart(3, '0')).join('.') : `~${address}`;
  return `${a}|${String(port).padStart(5, '0')}`;
}

function finish(services: IpvsServiceValue[]): FactOf<'ipvsService'>[] {
  return services.map((s) => {
    s.realServers.sort((x, y) => (sortKey(x.address, x.port) < sortKey(y.address, y.port) ? -1 : 1));
    return makeFact('ipvsService', s);
  });
}

function forwardOf(source: string, word: string, lineNo: number): string {
  const f = FORWARD[word.toLowerCase()];
  if (f === undefined) throw new ParseError(source, `line ${lineNo}: unknown forwarding method ${JSON.stringify(word)}`);
  return f;
}

function header(source: string, all: string[]): number {
  const first = all.findIndex((l) => l.trim() !== '');
  const l0 = all[first] ?? '';
  if (first < 0 || !/^IP Virtual Server version \S+ \(size=\d+\)\s*$/.test(l0)) {
    throw new ParseError(source, `does not start with "IP Virtual Server version …": ${preview(all.join('\n'))}`);
  }
  if (!/^Prot LocalAddress:Port Scheduler Flags\s*$/.test(all[first + 1] ?? '')) {
    throw new ParseError(source, `line ${first + 2}: expected the "Prot LocalAddress:Port Scheduler Flags" header`);
  }
  if (!/^\s+->\s+RemoteAddress:Port\s+Forward\s+Weight\s+ActiveConn\s+InActConn\s*$/.test(all[first + 2] ?? '')) {
    throw new ParseError(source, `line ${first + 3}: expected the "-> RemoteAddress:Port Forward Weight ActiveConn InActConn" header`);
  }
  return first + 3;
}

function integer(source: string, s: string, lineNo: number, what: string): number {
  if (!/^-?\d+$/.test(s)) throw new ParseError(source, `line ${lineNo}: ${what} is not a number: ${JSON.stringify(s)}`);
  return Number(s);
}

// ------------------------------------------------------------------ ipvsadm -Ln

const ADM = 'ipvsadm -Ln';
const ADM_SERVICE = /^(TCP|UDP|SCTP)\s+(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/;
const ADM_FWM = /^FWM\s+(\d+)(?:\s+IPv6)?\s+(\S+)(?:\s+(.*?))?\s*$/;
const ADM_DEST = /^\s+->\s+(\S+)\s+(\S+)\s+(-?\d+)\s+(\d+)\s+(\d+)\s*$/;

/** `10.96.0.1:443` or `[fd00::1]:443` as ipvsadm -n prints them. */
function admAddrPort(s: string, lineNo: number): { address: string; port: number } {
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(s);
  if (v6) {
    const address = canonicalIpv6(v6[1] ?? '');
    if (address === null) throw new ParseError(ADM, `line ${lineNo}: not an IPv6 address: ${s}`);
    return { address, port: Number(v6[2]) };
  }
  const v4 = /^([\d.]+):(\d+)$/.exec(s);
  if (v4 && isIpv4(v4[1] ?? '')) return { address: v4[1] ?? '', port: Number(v4[2]) };
  throw new ParseError(ADM, `line ${lineNo}: ${JSON.stringify(s)} is not a numeric address:port (run ipvsadm with -n)`);
}

/** The words after the scheduler: persistent N [mask M] [pe NAME], ops, (scheduler flags). */
function admTail(tail: string, lineNo: number): { persistent: number | null; flags: string[] } {
  const ws = tail.split(/\s+/).filter((w) => w !== '');
  let persistent: number | null = null;
  const flags: string[] = [];
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i] ?? '';
    const next = () => {
      const v = ws[++i];
      if (v === undefined) throw new ParseError(ADM, `line ${lineNo}: "${w}" without a value`);
      return v;
    };
    if (w === 'persistent') persistent = integer(ADM, next(), lineNo, 'the persistence timeout');
    else if (w === 'mask') flags.push(`mask=${next()}`);
    else if (w === 'pe') flags.push(`pe=${next()}`);
    else if (/^\(.*\)$/.test(w)) flags.push(...w.slice(1, -1).split(',').filter((f) => f !== ''));
    else flags.push(w);
  }
  return { persistent, flags };
}

/** Parses `ipvsadm -Ln` (numeric output, no --stats/--rate columns). */
export function parseIpvsadm(text: string): FactOf<'ipvsService'>[] {
  const all = splitLines(text);
  const services: IpvsServiceValue[] = [];
  let current: IpvsServiceValue | null = null;
  for (let i = header(ADM, all); i < all.length; i++) {
    const l = all[i] ?? '';
    const lineNo = i + 1;
    if (l.trim() === '') continue;
    let m: RegExpExecArray | null;
    if ((m = ADM_DEST.exec(l))) {
      if (current === null) throw new ParseError(ADM, `line ${lineNo}: real server before any service`);
      const { address, port } = admAddrPort(m[1] ?? '', lineNo);
      current.realServers.push({ address, port, forward: forwardOf(ADM, m[2] ?? '', lineNo), weight: Number(m[3]) });
    } else if ((m = ADM_SERVICE.exec(l))) {
      const { address, port } = admAddrPort(m[2] ?? '', lineNo);
      const { persistent, flags } = admTail(m[4] ?? '', lineNo);
      current = { protocol: PROTOCOLS[m[1] ?? ''] ?? 'tcp', address, port, fwmark: null, scheduler: m[3] ?? '', flags, persistent, realServers: [] };
      services.push(current);
    } else if ((m = ADM_FWM.exec(l))) {
      const { persistent, flags } = admTail(m[3] ?? '', lineNo);
      current = { protocol: 'fwmark', address: null, port: null, fwmark: Number(m[1]), scheduler: m[2] ?? '', flags, persistent, realServers: [] };
      services.push(current);
    } else {
      throw new ParseError(ADM, `line ${lineNo}: neither a service nor a real server: ${preview(l)}`);
    }
  }
  return finish(services);
}

// ------------------------------------------------------------------ /proc/net/ip_vs

const PROC = '/proc/net/ip_vs';
const PROC_SERVICE = /^(\S+)\s+(?:([0-9A-Fa-f]{8})|\[([0-9a-fA-F:]+)\]):([0-9A-Fa-f]{4})\s+(\S+)(.*)$/;
const PROC_FWM = /^FWM\s+([0-9A-Fa-f]{8})\s+(\S+)(.*)$/;
const PROC_DEST = /^\s+->\s+(?:([0-9A-Fa-f]{8})|\[([0-9a-fA-F:]+)\]):([0-9A-Fa-f]{4})\s+(\S+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s*$/;

function hexIpv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function procAddress(v4hex: string | undefined, v6: string | undefined, lineNo: number): string {
  if (v4hex !== undefined) return hexIpv4(v4hex);
  const a = canonicalIpv6(v6 ?? '');
  if (a === null) throw new ParseError(PROC, `line ${lineNo}: not an IPv6 address: ${v6}`);
  return a;
}

/** "[ops] [persistent <jiffies> <netmask hex>]": the kernel prints the timeout in jiffies. */
function procTail(tail: string, hz: number, lineNo: number): { persistent: number | null; flags: string[] } {
  const ws = tail.split(/\s+/).filter((w) => w !== '');
  let persistent: number | null = null;
  const flags: string[] = [];
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i] ?? '';
    if (w === 'ops') flags.push('ops');
    else if (w === 'persistent') {
      const jiffies = ws[i + 1];
      const mask = ws[i + 2];
      if (jiffies === undefined || mask === undefined || !/^[0-9A-Fa-f]{8}$/.test(mask)) {
        throw new ParseError(PROC, `line ${lineNo}: "persistent" needs a timeout and a hex netmask`);
      }
      i += 2;
      persistent = Math.round(integer(PROC, jiffies, lineNo, 'the persistence timeout') / hz);
      const m = parseInt(mask, 16);
      // IPv4 services print a netmask, IPv6 ones a prefix length (128 unless set)
      if (m <= 128) {
        if (m !== 128) flags.push(`mask=${m}`);
      } else if (m !== 0xffffffff) flags.push(`mask=${hexIpv4(mask)}`);
    } else throw new ParseError(PROC, `line ${lineNo}: unexpected ${JSON.stringify(w)} after the scheduler`);
  }
  return { persistent, flags };
}

/**
 * Parses /proc/net/ip_vs. The kernel prints a persistent service's timeout in jiffies; `hz` is
 * the kernel's CONFIG_HZ (250 on Debian and Ubuntu kernels, 1000 on RHEL; see /proc/config.gz or
 * /boot/config-$(uname -r)) to turn it into seconds.
 */
export function parseProcIpVs(text: string, options: { hz?: number } = {}): FactOf<'ipvsService'>[] {
  const hz = options.hz ?? 250;
  if (!Number.isInteger(hz) || hz <= 0) throw new ParseError(PROC, `hz must be a positive integer, got ${hz}`);
  const all = splitLines(text);
  const services: IpvsServiceValue[] = [];
  let current: IpvsServiceValue | null = null;
  for (let i = header(PROC, all); i < all.length; i++) {
    const l = all[i] ?? '';
    const lineNo = i + 1;
    if (l.trim() === '') continue;
    let m: RegExpExecArray | null;
    if ((m = PROC_DEST.exec(l))) {
      if (current === null) throw new ParseError(PROC, `line ${lineNo}: real server before any service`);
      const rs: RealServer = {
        address: procAddress(m[1], m[2], lineNo),
        port: parseInt(m[3] ?? '', 16),
        forward: forwardOf(PROC, m[4] ?? '', lineNo),
        weight: Number(m[5]),
      };
      current.realServers.push(rs);
    } else if ((m = PROC_FWM.exec(l))) {
      const { persistent, flags } = procTail(m[3] ?? '', hz, lineNo);
      current = { protocol: 'fwmark', address: null, port: null, fwmark: parseInt(m[1] ?? '', 16), scheduler: m[2] ?? '', flags, persistent, realServers: [] };
      services.push(current);
    } else if ((m = PROC_SERVICE.exec(l))) {
      const protocol = PROTOCOLS[m[1] ?? ''];
      if (protocol === undefined) throw new ParseError(PROC, `line ${lineNo}: unsupported service protocol ${JSON.stringify(m[1])}`);
      const { persistent, flags } = procTail(m[6] ?? '', hz, lineNo);
      current = {
        protocol,
        address: procAddress(m[2], m[3], lineNo),
        port: parseInt(m[4] ?? '', 16),
        fwmark: null,
        scheduler: m[5] ?? '',
        flags,
        persistent,
        realServers: [],
      };
      services.push(current);
    } else {
      throw new ParseError(PROC, `line ${lineNo}: neither a service nor a real server: ${preview(l)}`);
    }
  }
  return finish(services);
}
