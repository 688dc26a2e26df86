// `--watch` on a lab node: a route, rule or forwarding sysctl change reaches stdout as a delta within
// 1 s; stopping a peer's BGP daemon shows as a session state change within the BGP poll interval.
import { apply, stateOf } from '@netatlas/graph';
import type { Delta, Fact, Snapshot } from '@netatlas/wire';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inCI, lab, labPrerequisites, labStatus, sh, type LabNodeStatus } from '@netatlas/lab-testing';
import { collectOnce, startWatch, type WatchLine } from './testing/run-collector.js';

const missing = labPrerequisites();
const BGP_POLL_S = 2;

async function waitFor(lines: WatchLine[], what: string, timeoutMs: number, match: (l: WatchLine) => boolean): Promise<WatchLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = lines.find(match);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; got ${lines.length} lines`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const upserts = (l: WatchLine) => (l.json['upserts'] as Fact[] | undefined) ?? [];
const deletes = (l: WatchLine) => (l.json['deletes'] as { kind: string; key: string }[] | undefined) ?? [];

for (const style of ['kube-router', 'calico']) {
  const name = style === 'calico' ? 'colwca' : 'colwkr';
  describe.skipIf(missing.length > 0 && !inCI)(`collector --watch on a ${style} lab node`, () => {
    let nodes: LabNodeStatus[];
    let watch: ReturnType<typeof startWatch>;

    beforeAll(async () => {
      await lab(['down', '--name', name]);
      await lab(['up', '--name', name, '--style', style, '--nodes', '3', '--pods', '1']);
      nodes = (await labStatus(name)).nodes;
      const n1 = nodes[0]!;
      const args = ['--netns', n1.namespace, '--poll-bgp', String(BGP_POLL_S), ...n1.collectorArgs];
      watch = startWatch(args);
      await waitFor(watch.lines, 'snapshot', 30_000, (l) => l.type === 'snapshot');
    });

    afterAll(async () => {
      watch?.stop();
      await lab(['down', '--name', name]);
    });

    test('a route added and deleted in the namespace arrives as deltas within 1 s', async () => {
      const ns = nodes[0]!.namespace;
      const key = 'main|inet|10.99.0.0/24|0|0|eth0';
      let t0 = Date.now();
      await sh('ip', ['-n', ns, 'route', 'add', '10.99.0.0/24', 'via', nodes[1]!.underlayIp]);
      const added = await waitFor(watch.lines, 'route upsert', 5000, (l) => l.at >= t0 && upserts(l).some((f) => f.kind === 'route' && f.key === key));
      expect(added.at - t0).toBeLessThan(1000);
      expect(upserts(added).find((f) => f.key === key)?.value).toMatchObject({ gateway: nodes[1]!.underlayIp, dev: 'eth0' });
      t0 = Date.now();
      await sh('ip', ['-n', ns, 'route', 'del', '10.99.0.0/24']);
      const gone = await waitFor(watch.lines, 'route delete', 5000, (l) => l.at >= t0 && deletes(l).some((d) => d.kind === 'route' && d.key === key));
      expect(gone.at - t0).toBeLessThan(1000);
    });

    test('a policy rule and a forwarding sysctl changed in the namespace arrive as deltas within 1 s (rule and netconf events)', async () => {
      const ns = nodes[0]!.namespace;
      const key = 'inet|500|from 10.97.0.0/16 lookup 100 proto unspec';
      let t0 = Date.now();
      await sh('ip', ['-n', ns, 'rule', 'add', 'from', '10.97.0.0/16', 'lookup', '100', 'pref', '500']);
      const added = await waitFor(watch.lines, 'rule upsert', 5000, (l) => l.at >= t0 && upserts(l).some((f) => f.kind === 'rule' && f.key === key));
      expect(added.at - t0).toBeLessThan(1000);
      t0 = Date.now();
      await sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.conf.eth0.rp_filter=2']);
      const changed = await waitFor(watch.lines, 'sysctl upsert', 5000, (l) =>
        l.at >= t0 && upserts(l).some((f) => f.kind === 'sysctl' && f.key === 'eth0' && (f.value as { ipv4: { rpFilter: number } }).ipv4.rpFilter === 2),
      );
      expect(changed.at - t0).toBeLessThan(1000);
      t0 = Date.now();
      await sh('ip', ['-n', ns, 'rule', 'del', 'pref', '500']);
      await sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.conf.eth0.rp_filter=0']);
      const gone = await waitFor(watch.lines, 'rule delete', 5000, (l) => l.at >= t0 && deletes(l).some((d) => d.kind === 'rule' && d.key === key));
      expect(gone.at - t0).toBeLessThan(1000);
    });

    test('stop-bgp on a peer changes that session within the BGP poll interval; start-bgp restores it', async () => {
      const peer = nodes[1]!;
      const daemon = style === 'calico' ? 'bird' : 'gobgp';
      const key = `${daemon}|${peer.underlayIp}`;
      const t0 = Date.now();
      await lab(['stop-bgp', '--name', name, peer.name]);
      const tStopped = Date.now();
      const down = await waitFor(watch.lines, 'session change', (BGP_POLL_S + 10) * 1000, (l) =>
        l.at >= t0 && upserts(l).some((f) => f.kind === 'bgpSession' && f.key === key && (f.value as { state: string }).state !== 'established'),
      );
      // the daemon stopped somewhere inside the stop-bgp command; the poll sees it at the next tick
      expect(down.at - tStopped).toBeLessThan(BGP_POLL_S * 1000 + 500);
      // the peer's pod route left the kernel too, and that came as an event, not a poll
      expect(watch.lines.some((l) => l.at >= t0 && deletes(l).some((d) => d.kind === 'route' && d.key.includes(peer.podCidr)))).toBe(true);
      const t1 = Date.now();
      await lab(['start-bgp', '--name', name, peer.name]);
      await waitFor(watch.lines, 'session established', (BGP_POLL_S + 15) * 1000, (l) =>
        l.at >= t1 && upserts(l).some((f) => f.kind === 'bgpSession' && f.key === key && (f.value as { state: string }).state === 'established'),
      );
    });

    test('snapshot + every delta since equals a fresh snapshot (events applied as facts lose nothing)', async () => {
      const ns = nodes[0]!.namespace;
      // churn through the event path: adds, a replace, deletes, a neighbor
      const via = nodes[1]!.underlayIp;
      for (let i = 0; i < 20; i++) await sh('ip', ['-n', ns, 'route', 'add', `10.98.${i}.0/24`, 'via', via]);
      await sh('ip', ['-n', ns, 'route', 'replace', '10.98.3.0/24', 'via', nodes[2]!.underlayIp]);
      for (let i = 10; i < 20; i++) await sh('ip', ['-n', ns, 'route', 'del', `10.98.${i}.0/24`]);
      await sh('ip', ['-n', ns, 'neigh', 'add', '172.20.0.250', 'lladdr', '02:00:00:00:00:fa', 'dev', 'eth0', 'nud', 'permanent']);
      await new Promise((r) => setTimeout(r, 1500));
      const first = watch.lines.find((l) => l.type === 'snapshot')!.json as unknown as Snapshot;
      let state = stateOf(first.facts);
      for (const l of watch.lines.filter((x) => x.type === 'delta')) state = apply(state, l.json as unknown as Delta);
      const args = ['--netns', ns, ...nodes[0]!.collectorArgs];
      const fresh = stateOf((await collectOnce(args)).snapshot.facts);
      for (const kind of ['link', 'addr', 'route', 'rule', 'sysctl', 'fdb', 'ipset', 'ipsetMember'] as const) {
        const pick = (m: Map<string, Fact>) => [...m.values()].filter((f) => f.kind === kind).sort((a, b) => (a.key < b.key ? -1 : 1));
        expect(pick(state), kind).toEqual(pick(fresh));
      }
      const neigh = (m: Map<string, Fact>) =>
        [...m.values()].filter((f) => f.kind === 'neigh').map((f) => `${f.key} ${(f.value as { lladdr: string | null }).lladdr}`).sort();
      expect(neigh(state)).toEqual(neigh(fresh));
      expect([...state.keys()]).toContain('route|main|inet|10.98.3.0/24|0|0|eth0');
      expect([...state.keys()]).not.toContain('route|main|inet|10.98.15.0/24|0|0|eth0');
    });
  });
}
