// The three BGP daemons read live: a 3-node calico lab with --daemons bird,gobgp,frr (node1 BIRD,
// node2 GoBGP, node3 FRR in one iBGP mesh), the real collector on each node with the flags the lab
// hands out (collectorArgs). Every node's sessions to the two others are Established, every node
// originates exactly its own block, every kernel routes to the two other blocks; then FRR's bgpd
// stops and its reader is `failed` with no sessions left, both for a fresh collector and, within
// 2 s, for one that was watching.
import type { Fact, FactOf, Snapshot } from '@netatlas/wire';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inCI, lab, labPrerequisites, labStatus, mainTable, type LabNodeStatus, type LabStatus } from '@netatlas/lab-testing';
import { collectOnce, startWatch, type WatchLine } from './testing/run-collector.js';

const missing = labPrerequisites();
if (missing.length > 0 && inCI) {
  test('lab prerequisites for the mixed-daemon collector tests', () => {
    throw new Error(`missing ${missing.join(', ')}`);
  });
}

const NAME = 'h1mixcol';
const facts = <K extends Fact['kind']>(s: Snapshot, kind: K) => s.facts.filter((f): f is FactOf<K> => f.kind === kind);

async function collect(n: LabNodeStatus): Promise<Snapshot> {
  return (await collectOnce(['--netns', n.namespace, '--node-name', n.name, ...n.collectorArgs])).snapshot;
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(missing.length > 0)('collector on a lab mixing BIRD, GoBGP and FRR', () => {
  let s: LabStatus;
  const snaps = new Map<string, Snapshot>();

  beforeAll(async () => {
    await lab(['down', '--name', NAME]);
    await lab(['up', '--name', NAME, '--style', 'calico', '--daemons', 'bird,gobgp,frr', '--nodes', '3', '--pods', '1']);
    s = await labStatus(NAME);
    for (const n of s.nodes) snaps.set(n.name, await collect(n));
  });

  afterAll(async () => {
    await lab(['down', '--name', NAME]);
  });

  test('the lab runs one daemon of each kind and hands out the flags that read it', () => {
    expect(s.nodes.map((n) => n.daemon)).toEqual(['bird', 'gobgp', 'frr']);
    const [bird, gobgp, frr] = s.nodes as [LabNodeStatus, LabNodeStatus, LabNodeStatus];
    const cni = (n: { name: string }) => ['--cni-dir', `/run/netatlas-lab/${NAME}/${n.name}/cni`];
    expect(bird.collectorArgs).toEqual(['--bird-socket', `/run/netatlas-lab/${NAME}/${bird.name}/bird.ctl`, ...cni(bird)]);
    expect(gobgp.collectorArgs).toEqual(['--gobgp-api', '127.0.0.1:50051', ...cni(gobgp)]);
    expect(frr.collectorArgs).toEqual(['--frr-vty-socket', `/run/netatlas-lab/${NAME}/${frr.name}/frr`, ...cni(frr)]);
  });

  test("each node's reader is ok, the other two daemons' missing", () => {
    for (const n of s.nodes) {
      const readers = snaps.get(n.name)!.readers;
      for (const d of ['bird', 'gobgp', 'frr']) expect(readers[d]?.status, `${n.name} ${d}`).toBe(d === n.daemon ? 'ok' : 'missing');
    }
  });

  test('every node has its sessions to the two others Established', () => {
    for (const n of s.nodes) {
      const sessions = facts(snaps.get(n.name)!, 'bgpSession').map((f) => [f.value.daemon, f.value.peerAddress, f.value.state]);
      const others = s.nodes.filter((o) => o !== n).map((o) => [n.daemon, o.underlayIp, 'established']);
      expect(sessions.sort(), n.name).toEqual(others.sort());
    }
  });

  test('every node originates exactly its own block', () => {
    for (const n of s.nodes) {
      expect(facts(snaps.get(n.name)!, 'bgpOrigin').map((f) => f.value), n.name).toEqual([
        { daemon: n.daemon, family: 'inet', prefix: n.podCidr, nexthop: null },
      ]);
    }
  });

  test("every node's kernel routes to the two other blocks via their nodes, and holds its own as a blackhole", async () => {
    for (const n of s.nodes) {
      const table = await mainTable(n.namespace);
      for (const o of s.nodes.filter((x) => x !== n)) {
        expect(table.some((l) => l.startsWith(`unicast ${o.podCidr} via ${o.underlayIp} dev eth0 `)), `${n.name} -> ${o.podCidr}: ${table.join('; ')}`).toBe(true);
        // the collector reports the same route
        expect(facts(snaps.get(n.name)!, 'route').some((f) => f.value.dst === o.podCidr && f.value.gateway === o.underlayIp), n.name).toBe(true);
      }
      expect(table.some((l) => l.startsWith(`blackhole ${n.podCidr} `)), `${n.name}: ${table.join('; ')}`).toBe(true);
    }
  });

  test("FRR's bgpd killed: a watching collector reports reader frr failed within 2 s, its sessions and origins gone", async () => {
    const frr = s.nodes.find((n) => n.daemon === 'frr')!;
    const watch = startWatch(['--netns', frr.namespace, '--node-name', frr.name, ...frr.collectorArgs]);
    try {
      await until('snapshot', 30_000, () => watch.lines.find((l) => l.type === 'snapshot'));
      // --kill returns as soon as bgpd is gone (a graceful stop-bgp waits for the cluster to converge)
      await lab(['stop-bgp', '--kill', '--name', NAME, frr.name]);
      const stopped = Date.now();
      const readerOf = (l: WatchLine) =>
        ((l.json['upserts'] as Fact[] | undefined) ?? []).find((f): f is FactOf<'node'> => f.kind === 'node')?.value.readers['frr'];
      const failed = await until('a delta with reader frr failed', 10_000, () =>
        watch.lines.find((l) => l.type === 'delta' && readerOf(l)?.status === 'failed'),
      );
      console.log(`stop-bgp --kill ${frr.name}: reader frr failed in the collector's delta ${failed.at - stopped} ms after bgpd was killed`);
      expect(failed.at - stopped).toBeLessThan(2000);
      const deleted = (failed.json['deletes'] as { kind: string; key: string }[]).map((d) => `${d.kind}|${d.key}`);
      for (const o of s.nodes.filter((x) => x !== frr)) expect(deleted).toContain(`bgpSession|frr|${o.underlayIp}`);
      expect(deleted).toContain(`bgpOrigin|frr|${frr.podCidr}`);
    } finally {
      watch.stop();
    }
  });

  test("FRR's bgpd stopped: a collector started now reports reader frr failed, naming the directory, with no sessions", async () => {
    const frr = s.nodes.find((n) => n.daemon === 'frr')!;
    await lab(['start-bgp', '--name', NAME, frr.name]);
    expect((await collect(frr)).readers['frr']?.status).toBe('ok');
    await lab(['stop-bgp', '--name', NAME, frr.name]);
    const snap = await collect(frr);
    expect(snap.readers['frr']?.status).toBe('failed');
    expect(snap.readers['frr']?.error).toContain(`/run/netatlas-lab/${NAME}/${frr.name}/frr`);
    expect(facts(snap, 'bgpSession')).toEqual([]);
    expect(facts(snap, 'bgpOrigin')).toEqual([]);
  });
});
