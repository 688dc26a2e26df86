// A missing tool, a tool printing garbage and a tool that hangs each give that reader an error
// status (with the tool's stderr) while every other reader's facts are still reported.
import { chmodSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { READER_ERROR_MAX, SnapshotSchema } from '@netatlas/wire';
import { collectOnce } from './testing/run-collector.js';

function shimDir(): { dir: string; socket: string } {
  const dir = mkdtempSync(join(tmpdir(), 'collector-shims-'));
  // the real kernel tools
  symlinkSync('/usr/sbin/ip', join(dir, 'ip'));
  symlinkSync('/usr/sbin/bridge', join(dir, 'bridge'));
  // a tool that hangs, one that prints garbage, and gobgp/vtysh/ipvsadm/grep simply absent
  writeFileSync(join(dir, 'ipset'), '#!/bin/sh\nexec /bin/sleep 30\n');
  writeFileSync(join(dir, 'birdc'), '#!/bin/sh\necho "BIRD 2.0.12 ready."\necho "%%% this is not a protocol table {{{"\necho "oops" >&2\nexit 0\n');
  chmodSync(join(dir, 'ipset'), 0o755);
  chmodSync(join(dir, 'birdc'), 0o755);
  const socket = join(dir, 'bird.ctl');
  writeFileSync(socket, '');
  return { dir, socket };
}

describe('collector with broken tools', () => {
  test('missing, unparseable and hanging tools are reader errors; the rest is reported', async () => {
    const { dir, socket } = shimDir();
    const t0 = Date.now();
    const { snapshot, stderr } = await collectOnce(['--timeout', '1500', '--bird-socket', socket], { ...process.env, PATH: dir });
    const elapsed = Date.now() - t0;

    expect(snapshot.readers['ipsets']).toMatchObject({ status: 'timeout' });
    expect(snapshot.readers['ipsets']?.error).toMatch(/did not finish within 1500 ms/);
    expect(snapshot.readers['bird']).toMatchObject({ status: 'unparseable' });
    expect(snapshot.readers['gobgp']).toMatchObject({ status: 'missing' });
    expect(snapshot.readers['gobgp']?.error).toMatch(/gobgp is not installed/);
    expect(snapshot.readers['frr']).toMatchObject({ status: 'missing' });
    // grep is not on this PATH: the forwarding sysctls go, the rest stays
    expect(snapshot.readers['sysctls']).toEqual({ status: 'missing', error: expect.stringMatching(/grep is not installed/) });
    for (const r of ['links', 'addrs', 'routes', 'rules', 'neighbors', 'fdb']) expect(snapshot.readers[r], r).toEqual({ status: 'ok', error: null });

    const kinds = new Set(snapshot.facts.map((f) => f.kind));
    expect(kinds.has('link')).toBe(true);
    expect(kinds.has('route')).toBe(true);
    expect(snapshot.facts.some((f) => f.kind === 'link' && f.key === 'lo')).toBe(true);
    expect(kinds.has('bgpSession')).toBe(false);
    const node = snapshot.facts.find((f) => f.kind === 'node');
    expect(node?.value).toMatchObject({ readers: { ipsets: { status: 'timeout' }, bird: { status: 'unparseable' } } });
    // the hanging tool was cut off at its time-out, not waited for
    expect(elapsed).toBeLessThan(15_000);
    expect(stderr).toContain('reader ipsets: timeout');
  });

  test('a tool that fails reports its stderr', async () => {
    const { dir, socket } = shimDir();
    writeFileSync(join(dir, 'birdc'), '#!/bin/sh\necho "Unable to connect to server control socket (/x): Connection refused" >&2\nexit 1\n');
    const { snapshot } = await collectOnce(['--readers', 'links,bird', '--bird-socket', socket], { ...process.env, PATH: dir });
    expect(snapshot.readers['bird']).toMatchObject({ status: 'failed' });
    expect(snapshot.readers['bird']?.error).toContain('Connection refused');
    expect(snapshot.readers['links']?.status).toBe('ok');
    expect(Object.keys(snapshot.readers).sort()).toEqual(['bird', 'links']);
  });

  test('a tool that fails with 100 kB of stderr is reported clipped to what the wire takes, head and tail kept', async () => {
    const { dir, socket } = shimDir();
    writeFileSync(join(dir, 'birdc'), '#!/bin/sh\necho "FIRST LINE" >&2\n/usr/bin/head -c 100000 /dev/zero | /usr/bin/tr "\\0" "e" >&2\necho "LAST LINE" >&2\nexit 1\n');
    const { snapshot } = await collectOnce(['--readers', 'links,bird', '--bird-socket', socket], { ...process.env, PATH: dir });
    const error = snapshot.readers['bird']?.error ?? '';
    expect(snapshot.readers['bird']?.status).toBe('failed');
    expect(error.length).toBeLessThanOrEqual(READER_ERROR_MAX);
    expect(error).toContain('FIRST LINE');
    expect(error).toContain('LAST LINE');
    expect(error, error.slice(0, 300)).toMatch(/characters cut/);
    // and the API's schema takes it
    expect(SnapshotSchema.safeParse(snapshot).success).toBe(true);
  });
});
