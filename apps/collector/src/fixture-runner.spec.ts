// The whole collector (every reader of ALL_READERS, through Collector) on node 1 of each captured
// lab style, its tools answered by FixtureRunner from the captured output, its snapshot compared
// with a committed golden, apps/collector/src/testing/golden/<style>.snapshot.json.
//
// After a change to a reader, a parser or the captures, re-write the goldens and review their diff:
//
//   UPDATE_GOLDENS=1 npx vitest run apps/collector/src/fixture-runner.spec.ts
//
// No root, database or network: nothing runs but the collector's own code.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Fact, FactKind, Snapshot } from '@netatlas/wire/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from './collector.js';
import { ALL_READERS } from './readers/registry.js';
import { FixtureRunner, hasKernelCapture, LAB_STYLES } from './testing/fixture-runner.js';

const GOLDEN = new URL('./testing/golden/', import.meta.url);
const UPDATE = process.env['UPDATE_GOLDENS'] === '1';

/** The snapshot less what differs between runs (when it was taken); the clock is the capture's, so facts do not. */
function normalise(s: Snapshot): Snapshot {
  return { ...s, takenAt: '<takenAt>' };
}

async function snapshotOf(runner: FixtureRunner, style: string): Promise<Snapshot> {
  const c = new Collector({
    nodeName: `${style}-node1`,
    runner,
    readers: ALL_READERS,
    options: runner.readerOptions,
    timeoutMs: 1000,
    now: () => runner.capturedAt,
    host: { hostname: `${style}-node1`, kernel: 'captured', bootId: 'captured' },
  });
  await c.start();
  return c.snapshot();
}

/** Which readers have nothing captured to read on each style, so are `missing` (no such tool, no IPVS). */
const MISSING: Record<string, string[]> = {
  'kube-router': ['bird', 'frr', 'ipvs'],
  calico: ['ipsets', 'gobgp', 'frr', 'ipvs'],
  flannel: ['ipsets', 'bird', 'gobgp', 'frr', 'ipvs'],
};

/** Kinds each style's captures must give facts of. */
const KERNEL_KINDS: FactKind[] = ['node', 'link', 'addr', 'route', 'rule', 'neigh', 'sysctl', 'fdb'];
const KINDS: Record<string, FactKind[]> = {
  'kube-router': [...KERNEL_KINDS, 'ipset', 'ipsetMember', 'bgpSession', 'bgpOrigin'],
  calico: [...KERNEL_KINDS, 'bgpSession', 'bgpOrigin'],
  flannel: KERNEL_KINDS,
};

const ifnames = (facts: Fact[]) => facts.flatMap((f) => (f.kind === 'link' ? [f.value.ifname] : []));

/** Facts each style's node must show, whatever the golden says. */
const MUST: Record<string, (facts: Fact[]) => void> = {
  'kube-router': (facts) => {
    expect(ifnames(facts)).toContain('kube-bridge');
    expect(facts.filter((f) => f.kind === 'ipset').map((f) => f.key)).toContain('kube-router-pod-subnets');
    expect(facts.filter((f) => f.kind === 'bgpSession').map((f) => f.value)).toEqual(
      expect.arrayContaining([expect.objectContaining({ daemon: 'gobgp', state: 'established' })]),
    );
    expect(facts.filter((f) => f.kind === 'bgpOrigin').map((f) => f.key)).toContain('gobgp|10.233.1.0/24');
  },
  calico: (facts) => {
    expect(ifnames(facts).some((n) => n.startsWith('cali') || n === 'tunl0' || n === 'vxlan.calico')).toBe(true);
    expect(facts.filter((f) => f.kind === 'bgpSession').map((f) => f.value)).toEqual(
      expect.arrayContaining([expect.objectContaining({ daemon: 'bird', state: 'established' })]),
    );
    expect(facts.filter((f) => f.kind === 'bgpOrigin').map((f) => f.key)).toContain('bird|10.48.0.64/26');
  },
  flannel: (facts) => {
    expect(ifnames(facts)).toContain('flannel.1');
    expect(facts.filter((f) => f.kind === 'route').map((f) => f.value)).toEqual(
      expect.arrayContaining([expect.objectContaining({ dst: '10.244.2.0/24', dev: 'flannel.1' })]),
    );
  },
};

const styles = LAB_STYLES.filter(hasKernelCapture);

it('captured output exists for the three lab styles', () => {
  expect(styles).toEqual(['kube-router', 'calico', 'flannel']);
});

for (const style of styles) {
  describe(`the collector on captured ${style} node 1`, () => {
    const runner = FixtureRunner.forCase(style);
    let snapshot: Snapshot;
    const tz = process.env['TZ'];

    beforeAll(async () => {
      // BIRD prints local times: they resolve as on the captured node only in its time zone
      process.env['TZ'] = runner.timeZone;
      snapshot = await snapshotOf(runner, style);
    });
    afterAll(() => {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    });

    it('matches its golden', () => {
      const file = new URL(`${style}.snapshot.json`, GOLDEN);
      const got = normalise(snapshot);
      if (UPDATE) {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, JSON.stringify(got, null, 2) + '\n');
        return;
      }
      expect(got).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    });

    it('reads every captured tool: no reader failed, only those with nothing captured are missing', () => {
      const missing = Object.entries(snapshot.readers).filter(([, s]) => s.status === 'missing').map(([r]) => r);
      expect(Object.entries(snapshot.readers).filter(([, s]) => s.status !== 'ok' && s.status !== 'missing')).toEqual([]);
      expect(missing.sort()).toEqual([...(MISSING[style] ?? [])].sort());
    });

    it('asks for every captured output: each command line matches what a reader runs', () => {
      expect(runner.unasked()).toEqual([]);
    });

    it('has facts of every kind its captures hold, and the ones its style must show', () => {
      const kinds = new Set(snapshot.facts.map((f) => f.kind));
      expect([...(KINDS[style] ?? [])].filter((k) => !kinds.has(k))).toEqual([]);
      MUST[style]?.(snapshot.facts);
      const node = snapshot.facts.find((f) => f.kind === 'node');
      expect(node?.kind === 'node' && node.value.cniStyle).toBe(style);
    });
  });
}

describe('FixtureRunner', () => {
  it('fails a command nothing was captured for, naming it', async () => {
    const runner = FixtureRunner.forCase('flannel');
    await expect(runner.run('ip', ['-json', 'maddr', 'show'], 1000)).rejects.toThrow("fixture flannel: no captured output for 'ip -json maddr show'");
    await expect(runner.readFile('/proc/net/ip_vs', 1000)).rejects.toThrow(/no captured output for '\/proc\/net\/ip_vs'/);
  });

  it('has a tool only where its output was captured', () => {
    const runner = FixtureRunner.forCase('calico');
    expect(['ip', 'bridge', 'grep', 'birdc'].filter((t) => runner.available(t))).toEqual(['ip', 'bridge', 'grep', 'birdc']);
    expect(['gobgp', 'vtysh', 'ipset', 'ipvsadm'].filter((t) => runner.available(t))).toEqual([]);
  });

  it('lists its stand-ins, each with why', () => {
    const standIns = FixtureRunner.forCase('kube-router').standIns();
    expect(standIns.map((s) => s.command).sort()).toEqual([
      '/proc/net/tcp',
      'gobgp -u 127.0.0.1 -p 50051 global rib -a ipv6 -j',
      'ip -json neigh show nud all',
    ]);
    expect(standIns.every((s) => s.why.length > 0)).toBe(true);
  });

  it('throws for a case with no capture', () => {
    expect(() => FixtureRunner.forCase('no-such-case')).toThrow(/no captured kernel output for no-such-case/);
  });
});
