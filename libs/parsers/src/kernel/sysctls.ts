// `grep -r -H … /proc/sys/net/ipv{4,6}/conf` (SYSCTL_GREP_ARGS) → one sysctl fact per interface,
// and for `all` and `default`.
//
// Each line is `/proc/sys/net/ipv4/conf/<name>/<file>:<value>`; an interface name cannot hold `/`
// or `:`, so the path splits cleanly (a dotted name such as `flannel.1` stays as it is; only
// sysctl's dotted notation writes it `flannel/1`). A setting that is not printed (its interface
// went away mid-read) is null; a family with no directory for the name (IPv6 off, an MTU below
// 1280) is null.
import { makeFact, type FactOf, type SysctlValue } from '@netatlas/wire/core';
import { ParseError } from '../errors.js';
import { SYSCTL_FILES, SYSCTL_GREP_ARGS } from './sysctl-files.js';

export const sysctlsSource = `grep ${SYSCTL_GREP_ARGS.join(' ')}`;

type Family = keyof typeof SYSCTL_FILES;
const LINE = /^\/proc\/sys\/net\/(ipv4|ipv6)\/conf\/([^/:]+)\/([a-z_]+):(-?\d+)$/;

function preview(line: string): string {
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line);
}

/** Parses what SYSCTL_GREP_ARGS prints. Throws ParseError when the text is not that. */
export function parseSysctls(text: string): FactOf<'sysctl'>[] {
  const read = new Map<string, Record<Family, Map<string, number> | null>>();
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const m = LINE.exec(line);
    if (!m) throw new ParseError(sysctlsSource, `line ${i + 1} is not "/proc/sys/net/ipv4|ipv6/conf/<name>/<file>:<integer>": ${preview(line)}`);
    const [, dir, name, file, value] = m as unknown as [string, string, string, string, string];
    const family: Family = dir === 'ipv4' ? 'ipv4' : 'ipv6';
    if (!(SYSCTL_FILES[family] as readonly string[]).includes(file)) {
      throw new ParseError(sysctlsSource, `line ${i + 1}: net.${family}.conf.*.${file} is not a setting this reader reads: ${preview(line)}`);
    }
    const entry = read.get(name) ?? { ipv4: null, ipv6: null };
    read.set(name, entry);
    const settings = (entry[family] ??= new Map());
    if (settings.has(file)) throw new ParseError(sysctlsSource, `line ${i + 1}: net.${family}.conf.${name}.${file} is printed twice`);
    settings.set(file, Number(value));
  });
  if (!read.get('all')?.ipv4) {
    throw new ParseError(sysctlsSource, `no net.ipv4.conf.all settings in the output: ${preview(text.trim())}`);
  }
  return [...read.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, { ipv4, ipv6 }]) => {
      const get = (s: Map<string, number>, file: string) => s.get(file) ?? null;
      const value: SysctlValue = {
        name,
        ipv4: ipv4 && { forwarding: get(ipv4, 'forwarding'), rpFilter: get(ipv4, 'rp_filter'), proxyArp: get(ipv4, 'proxy_arp') },
        ipv6: ipv6 && { forwarding: get(ipv6, 'forwarding'), proxyNdp: get(ipv6, 'proxy_ndp') },
      };
      return makeFact('sysctl', value);
    });
}
