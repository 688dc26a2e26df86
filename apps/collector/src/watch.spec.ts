// The readiness check the Watcher waits on before the snapshot: real `ip monitor` processes and
// the kernel's own /proc/<pid>/net/netlink.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Collector } from './collector.js';
import { MISSING_RECHECK_MS, monitorObject, netlinkSubscribed, Watcher } from './watch.js';

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}

describe('netlinkSubscribed', () => {
  test('turns true for `ip monitor` once it has joined its groups, never for a process without a netlink socket', async () => {
    const monitor = spawn('ip', ['monitor', 'route'], { stdio: 'ignore' });
    const sleeper = spawn('sleep', ['5'], { stdio: 'ignore' });
    try {
      const table = (pid: number) => readFileSync(`/proc/${pid}/net/netlink`, 'utf8');
      expect(await until(() => netlinkSubscribed(table(monitor.pid!), monitor.pid!), 3000)).toBe(true);
      expect(netlinkSubscribed(table(sleeper.pid!), sleeper.pid!)).toBe(false);
    } finally {
      monitor.kill();
      sleeper.kill();
    }
  });

  test('reads the port id and groups columns, ignoring other protocols and unbound sockets', () => {
    const header = 'sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode';
    const row = (eth: number, pid: number, groups: string) => `000000000ad635ff ${eth}   ${pid}        ${groups} 0        0        0     2        0        4`;
    expect(netlinkSubscribed([header, row(0, 42, '00000000')].join('\n'), 42)).toBe(false);
    expect(netlinkSubscribed([header, row(9, 42, '00000010')].join('\n'), 42)).toBe(false);
    expect(netlinkSubscribed([header, row(0, 43, '00000010')].join('\n'), 42)).toBe(false);
    expect(netlinkSubscribed([header, row(0, 42, '0000000c')].join('\n'), 42)).toBe(true);
    expect(netlinkSubscribed('', 42)).toBe(false);
  });
});

describe('polls', () => {
  test('a missing source is looked for again only every MISSING_RECHECK_MS; the others on every poll', () => {
    const statuses: Record<string, { status: string; error: string | null }> = {
      bird: { status: 'ok', error: null },
      gobgp: { status: 'missing', error: 'GoBGP API 127.0.0.1:50051: nothing listens on port 50051' },
      frr: { status: 'failed', error: 'FRR stopped answering at /run/frr' },
    };
    const collector = { readers: [], readerStatuses: () => statuses } as unknown as Collector;
    const w = new Watcher(collector, { debounceMs: 100, pollSeconds: { kernel: 30, bgp: 1, ipset: 5, ipvs: 10, cni: 5 }, onDelta: () => undefined, onLog: () => undefined });
    const names = ['bird', 'gobgp', 'frr'];
    const t0 = 1_000_000;
    expect(w.duePolls(names, t0)).toEqual(names);
    expect(w.duePolls(names, t0 + 1000)).toEqual(['bird', 'frr']);
    expect(w.duePolls(names, t0 + MISSING_RECHECK_MS - 1)).toEqual(['bird', 'frr']);
    expect(w.duePolls(names, t0 + MISSING_RECHECK_MS)).toEqual(names);
    // a failed daemon is polled every time: its coming back must be seen at once
    statuses['gobgp'] = { status: 'ok', error: null };
    expect(w.duePolls(names, t0 + MISSING_RECHECK_MS + 1000)).toEqual(names);
  });
});

describe('monitorObject', () => {
  test('names the object of a labelled `ip monitor` line: rules and netconf (forwarding sysctls) too', () => {
    expect(monitorObject('[ROUTE]10.0.0.0/24 dev eth0 proto kernel')).toBe('route');
    expect(monitorObject('[RULE]300:\tfrom 10.77.0.0/16 lookup 100')).toBe('rule');
    expect(monitorObject('[RULE]Deleted 300:\tfrom 10.77.0.0/16 lookup 100')).toBe('rule');
    expect(monitorObject('[NETCONF]inet eth0 rp_filter loose ')).toBe('netconf');
    expect(monitorObject('[NETCONF]Deleted inet6 x.5 ')).toBe('netconf');
    expect(monitorObject('    nexthop via 10.0.0.1 dev eth0')).toBeNull();
    expect(monitorObject('[NSID]current 0')).toBeNull();
  });
});
