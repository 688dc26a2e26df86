// IP addresses and prefixes for search, sorting and containment in the browser: IPv4 and IPv6 as
// BigInt so both families share one code path. Parsing is libs/graph's (the topology derivation's).
import { parseIp as parseIpText } from '@netatlas/graph';

export interface IpAddress {
  version: 4 | 6;
  /** the address as an unsigned integer (32 or 128 bits) */
  value: bigint;
}

export interface IpPrefix extends IpAddress {
  /** prefix length; `value` is masked to it */
  len: number;
}

const bits = (version: 4 | 6): number => (version === 4 ? 32 : 128);

/** The same address as libs/graph parses it (one parser for the whole project), as a BigInt. */
export function parseIp(text: string): IpAddress | null {
  const ip = parseIpText(text.trim());
  if (!ip) return null;
  if (ip.v === 4) return { version: 4, value: BigInt(ip.n) };
  return { version: 6, value: ip.w.reduce((n, w) => (n << 16n) | BigInt(w), 0n) };
}

function maskOf(version: 4 | 6, len: number): bigint {
  const total = bits(version);
  return ((1n << BigInt(len)) - 1n) << BigInt(total - len);
}

/** `10.0.0.0/8`, `fd00::/64`; a bare address is a host prefix. The value is masked. */
export function parsePrefix(text: string): IpPrefix | null {
  const t = text.trim();
  const slash = t.indexOf('/');
  const ip = parseIp(slash < 0 ? t : t.slice(0, slash));
  if (!ip) return null;
  const lenText = slash < 0 ? String(bits(ip.version)) : t.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return null;
  const len = Number(lenText);
  if (len > bits(ip.version)) return null;
  return { version: ip.version, value: ip.value & maskOf(ip.version, len), len };
}

export function prefixContains(prefix: IpPrefix, ip: IpAddress): boolean {
  return prefix.version === ip.version && (ip.value & maskOf(ip.version, prefix.len)) === prefix.value;
}

/** Whether two prefixes share any address (one contains the other). */
export function prefixesOverlap(a: IpPrefix, b: IpPrefix): boolean {
  if (a.version !== b.version) return false;
  const len = Math.min(a.len, b.len);
  const m = maskOf(a.version, len);
  return (a.value & m) === (b.value & m);
}

/**
 * Orders text that may hold addresses or prefixes: by family, then numerically, then by prefix
 * length; text that is neither sorts after, by natural order.
 */
export function compareAddressText(a: string, b: string): number {
  const pa = parsePrefix(a);
  const pb = parsePrefix(b);
  if (pa && pb) {
    if (pa.version !== pb.version) return pa.version - pb.version;
    if (pa.value !== pb.value) return pa.value < pb.value ? -1 : 1;
    return pa.len - pb.len;
  }
  if (pa) return -1;
  if (pb) return 1;
  return naturalCompare(a, b);
}

/**
 * `node2` before `node10`: runs of digits compare by value, the rest by code unit (so it is fast
 * enough to sort thousands of veths on every patch, unlike Intl.Collator).
 */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    const da = ca >= 48 && ca <= 57;
    const db = cb >= 48 && cb <= 57;
    if (da && db) {
      // compare the digit runs by value: skip leading zeros, then by length, then digit by digit
      let si = i;
      let sj = j;
      while (si < a.length && a.charCodeAt(si) === 48) si++;
      while (sj < b.length && b.charCodeAt(sj) === 48) sj++;
      let ei = si;
      let ej = sj;
      while (ei < a.length && a.charCodeAt(ei) >= 48 && a.charCodeAt(ei) <= 57) ei++;
      while (ej < b.length && b.charCodeAt(ej) >= 48 && b.charCodeAt(ej) <= 57) ej++;
      if (ei - si !== ej - sj) return ei - si - (ej - sj);
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d;
      }
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca - cb;
    i++;
    j++;
  }
  const rest = a.length - i - (b.length - j);
  return rest !== 0 ? rest : a < b ? -1 : a > b ? 1 : 0;
}
