// Independent readings of a lab, straight from the kernel and the daemons, for tests to compare
// against what the lab promises. Nothing here uses the lab's own bookkeeping.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export async function sh(cmd: string, args: string[], timeout = 30_000): Promise<string> {
  const { stdout } = await exec(cmd, args, { timeout, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

interface RawRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string | number;
  flags?: string[];
}

/** The main table as comparable one-liners: `type dst via gw dev d proto p [onlink]`. */
export async function mainTable(ns: string): Promise<string[]> {
  const raw = JSON.parse((await sh('ip', ['-n', ns, '-j', 'route', 'show', 'table', 'main'])) || '[]') as RawRoute[];
  return raw.map(routeLine).sort();
}

/** The IPv6 main table, in the same form. */
export async function mainTable6(ns: string): Promise<string[]> {
  const raw = JSON.parse((await sh('ip', ['-n', ns, '-j', '-6', 'route', 'show', 'table', 'main'])) || '[]') as RawRoute[];
  return raw.map(routeLine).sort();
}

export function routeLine(r: RawRoute): string {
  const dst = r.dst.includes('/') || r.dst === 'default' ? r.dst : `${r.dst}/${r.dst.includes(':') ? 128 : 32}`;
  const onlink = r.flags?.includes('onlink') ? ' onlink' : '';
  return `${r.type ?? 'unicast'} ${dst} via ${r.gateway ?? '-'} dev ${r.dev ?? '-'} proto ${r.protocol ?? 'boot'}${onlink}`;
}

export async function ipsetMembers(ns: string, set: string): Promise<string[]> {
  const out = await sh('ip', ['netns', 'exec', ns, 'ipset', 'list', '-o', 'save', set]);
  return out
    .split('\n')
    .filter((l) => l.startsWith(`add ${set} `))
    .map((l) => l.split(' ')[2] ?? '')
    .sort();
}

/** gobgp's own view: peer address -> session state name. */
export async function gobgpSessions(ns: string): Promise<Map<string, string>> {
  const states = ['unknown', 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'];
  const list = JSON.parse(
    await sh('ip', ['netns', 'exec', ns, 'gobgp', '-u', '127.0.0.1', '-p', '50051', 'neighbor', '-j']),
  ) as { state: { neighbor_address: string; session_state?: number } }[];
  return new Map(list.map((n) => [n.state.neighbor_address, states[n.state.session_state ?? 0] ?? 'unknown']));
}

/** BIRD's own view: `birdc show protocols all` -> neighbor address -> BGP state. */
export async function birdSessions(socket: string): Promise<Map<string, string>> {
  const out = await sh('birdc', ['-s', socket, 'show', 'protocols', 'all']);
  const sessions = new Map<string, string>();
  for (const block of out.split(/\n(?=\S)/)) {
    const addr = /Neighbor address:\s+(\S+)/.exec(block)?.[1];
    const state = /BGP state:\s+(\S+)/.exec(block)?.[1];
    if (addr && state) sessions.set(addr, state.toLowerCase());
  }
  return sessions;
}

export async function netnsNames(): Promise<string[]> {
  const out = await sh('ip', ['-j', 'netns', 'list']);
  return out.trim() ? (JSON.parse(out) as { name: string }[]).map((n) => n.name) : [];
}

/** A pod's addresses, IPv4 first (`ip` is null for an IPv6-only pod, `ip6` null or absent without IPv6). */
export function podAddresses(p: { ip: string | null; ip6?: string | null }): string[] {
  return [p.ip, p.ip6].filter((a): a is string => typeof a === 'string');
}

/** The IPv4 address of a pod that has one (every pod but those of `up --ipv6-only-pods` nodes). */
export function podIpv4(p: { name: string; ip: string | null }): string {
  if (p.ip === null) throw new Error(`pod ${p.name} has no IPv4 address (IPv6 only)`);
  return p.ip;
}

export async function ping(fromNs: string, ip: string): Promise<boolean> {
  try {
    await sh('ip', ['netns', 'exec', fromNs, 'ping', '-c', '1', '-W', '2', '-q', ip], 10_000);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line mentions `needle` (daemons of a lab carry its state path). */
export async function processesMatching(needle: string): Promise<string[]> {
  const out = await sh('ps', ['-eo', 'pid,args']);
  return out.split('\n').filter((l) => l.includes(needle) && !l.includes('ps -eo'));
}

/** `dir`: where a package keeps a program off PATH (FRR's daemons are in /usr/lib/frr). */
export function commandAvailable(cmd: string, dir?: string): boolean {
  return ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(dir ? [dir] : [])].some((d) => existsSync(`${d}/${cmd}`));
}
