// The readiness check the Watcher waits on before the snapshot: real `ip monitor` processes and
// the kernel's own /proc/<pid>/net/netlink.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { netlinkSubscribed } from './watch.js';

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
