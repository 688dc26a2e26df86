// IP addresses and prefixes for the topology derivation: parsing, masking and canonical keys, so
// that containment is a map lookup per prefix length rather than a scan. Pure, no dependencies.

/** An IPv4 address as an unsigned 32-bit number, or an IPv6 address as eight 16-bit words. */
export type Ip = { v: 4; n: number } | { v: 6; w: number[] };

export interface Prefix {
  ip: Ip;
  len: number;
}

/**
 * A dotted quad as an unsigned 32-bit number, or -1. By hand and allocation-free: it runs for every
 * route, neighbor and address of every host. Leading zeros are refused (they are octal to some
 * parsers), so an address that parses is written canonically.
 */
export function v4Number(s: string, start = 0, end = s.length): number {
  let n = 0;
  let octet = -1;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (octet === 0) return -1;
      octet = (octet < 0 ? 0 : octet * 10) + (c - 48);
      if (octet > 255) return -1;
    } else if (c === 46 && octet >= 0 && dots < 3) {
      n = n * 256 + octet;
      octet = -1;
      dots++;
    } else return -1;
  }
  return dots === 3 && octet >= 0 ? n * 256 + octet : -1;
}

const V4_MASKS = Array.from({ length: 33 }, (_, len) => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0));

/** The map key of an IPv4 network: `n` masked at `len`, and `len` (fits in a double exactly). */
export const v4PrefixKey = (n: number, len: number): number => ((n & (V4_MASKS[len] ?? 0)) >>> 0) * 64 + len;

function parseV4(s: string): Ip | null {
  const n = v4Number(s);
  return n < 0 ? null : { v: 4, n };
}

function parseV6(s: string): Ip | null {
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  // an embedded IPv4 address (::ffff:10.0.0.1) becomes its two words
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (!v4 || v4.v !== 4) return null;
    s = `${s.slice(0, lastColon + 1)}${((v4.n >>> 16) & 0xffff).toString(16)}:${(v4.n & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const words = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = words(halves[0] ?? '');
  if (!head) return null;
  let w = head;
  if (halves.length === 2) {
    const rest = words(halves[1] ?? '');
    if (!rest) return null;
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return null;
    w = [...head, ...new Array<number>(fill).fill(0), ...rest];
  }
  return w.length === 8 ? { v: 6, w } : null;
}

/**
 * Results of the costlier parses, by text: the live topology derives every host's part again every
 * few seconds from mostly the same addresses and prefixes, and parsing IPv6 and prefixes was a
 * seventh of that work. Parsed values are never mutated, so one object can serve every caller.
 * Bounded: emptied when full.
 */
class ParseMemo<T> {
  private readonly m = new Map<string, T>();
  constructor(private readonly max: number) {}
  get(key: string, parse: (key: string) => T): T {
    let v = this.m.get(key);
    if (v === undefined && !this.m.has(key)) {
      if (this.m.size >= this.max) this.m.clear();
      this.m.set(key, (v = parse(key)));
    }
    return v as T;
  }
}
const v6Memo = new ParseMemo<Ip | null>(1 << 16);
const prefixMemo = { inet: new ParseMemo<Prefix | null>(1 << 16), inet6: new ParseMemo<Prefix | null>(1 << 16) };

export function parseIp(s: string): Ip | null {
  return s.includes(':') ? v6Memo.get(s, parseV6) : parseV4(s);
}

/** `10.0.0.0/24`, a bare address (a host prefix), or `default` (with the family it belongs to). */
export function parsePrefix(s: string, family: 'inet' | 'inet6' = 'inet'): Prefix | null {
  return prefixMemo[family].get(s, (text) => parsePrefixText(text, family));
}

function parsePrefixText(s: string, family: 'inet' | 'inet6'): Prefix | null {
  if (s === 'default') return family === 'inet6' ? { ip: { v: 6, w: [0, 0, 0, 0, 0, 0, 0, 0] }, len: 0 } : { ip: { v: 4, n: 0 }, len: 0 };
  const slash = s.indexOf('/');
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!ip) return null;
  const max = ip.v === 4 ? 32 : 128;
  const len = slash < 0 ? max : Number(s.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > max) return null;
  return { ip, len };
}

export const maxLen = (ip: Ip): number => (ip.v === 4 ? 32 : 128);

/** The address with every bit after `len` cleared. */
export function mask(ip: Ip, len: number): Ip {
  if (ip.v === 4) return { v: 4, n: (ip.n & (V4_MASKS[len] ?? 0)) >>> 0 };
  const w = ip.w.map((x, i) => {
    const bits = Math.min(Math.max(len - i * 16, 0), 16);
    return bits === 0 ? 0 : x & ((0xffff << (16 - bits)) & 0xffff);
  });
  return { v: 6, w };
}

/** A map key for an address: equal addresses, however written, give the same key (a number for IPv4). */
export type IpKey = number | string;

export function ipKey(ip: Ip): IpKey {
  return ip.v === 4 ? ip.n : ip.w.join(':');
}

/** The key of an address given as text, or null; IPv4 without allocating. */
export function addrKey(s: string): IpKey | null {
  const n = v4Number(s);
  if (n >= 0) return n;
  const ip = s.includes(':') ? v6Memo.get(s, parseV6) : null;
  return ip ? ipKey(ip) : null;
}

/** A map key for the network of `ip` at `len` (host bits ignored). */
export function prefixKey(ip: Ip, len: number): IpKey {
  if (ip.v === 4) return v4PrefixKey(ip.n, len);
  return `${(mask(ip, len) as { w: number[] }).w.join(':')}/${len}`;
}

export function formatIp(ip: Ip): string {
  if (ip.v === 4) return [(ip.n >>> 24) & 255, (ip.n >>> 16) & 255, (ip.n >>> 8) & 255, ip.n & 255].join('.');
  // RFC 5952: the longest run (at least two) of zero words becomes ::
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (ip.w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && ip.w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(ip.w);
  return `${hex(ip.w.slice(0, bestAt))}::${hex(ip.w.slice(bestAt + bestLen))}`;
}

/** `10.233.1.1` at 24 → `10.233.1.0/24` */
export function formatPrefix(ip: Ip, len: number): string {
  return `${formatIp(mask(ip, len))}/${len}`;
}

/** Addresses that name no single host: loopback, link-local, multicast, unspecified. */
export function isUnicastGlobal(ip: Ip): boolean {
  if (ip.v === 4) {
    const a = ip.n >>> 24;
    const b = (ip.n >>> 16) & 255;
    return ip.n !== 0 && a !== 127 && a < 224 && !(a === 169 && b === 254);
  }
  const w0 = ip.w[0] ?? 0;
  if (ip.w.every((x) => x === 0)) return false; // ::
  if (ip.w.slice(0, 7).every((x) => x === 0) && ip.w[7] === 1) return false; // ::1
  return (w0 & 0xffc0) !== 0xfe80 && (w0 & 0xff00) !== 0xff00;
}

/** Multicast and broadcast MACs (the group bit of the first octet) and the all-zero MAC. */
export function isGroupMac(mac: string): boolean {
  // the group bit is the low bit of the first octet, i.e. of its second hex digit
  const c = mac.charCodeAt(1) | 0x20; // lower case
  const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
  return digit < 0 || (digit & 1) === 1 || mac === '00:00:00:00:00:00';
}
