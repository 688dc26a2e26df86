// Alerts end to end on real labs: collectors streaming from each lab node into the real API and
// Postgres, Kubernetes served by the harness's list/watch server with the lab's nodes, and the
// faults the lab can make (testing/alert-lab.ts). `npm run bench:faults` measures the firing delays over every shape and fault.
import type { ChecksResult, Topology } from '@netatlas/wire';
import { inCI, lab, labPrerequisites, sh } from '@netatlas/lab-testing';
import { afterAll, describe, expect, it } from 'vitest';
import { describeAlerts as names, startAlertLab, type AlertLab } from '../testing/alert-lab.js';
import { setupOnce } from '../testing/setup.js';

const missing = labPrerequisites();

/** the part of Alertmanager's webhook body (version 4) the test reads */
interface AlertmanagerBody {
  status: 'firing' | 'resolved';
  groupKey: string;
  alerts: Array<{ status: string; labels: Record<string, string>; endsAt: string }>;
}
const FOR_MS = 2000;

for (const [style, name, nodeCount] of [
  ['kube-router', 'talkr', 4],
  ['calico', 'talca', 3],
] as const) {
  describe.skipIf(missing.length > 0 && !inCI)(`alerts on a ${style} lab`, { timeout: 120_000 }, () => {
    let l: AlertLab;

    setupOnce(async () => {
      if (missing.length > 0) throw new Error(`this test needs ${missing.join(', ')}`);
      l = await startAlertLab({ style, name, nodes: nodeCount, forMs: FOR_MS });
      await l.healthy(30_000);
    }, 240_000);

    afterAll(async () => {
      await l?.close();
    }, 120_000);

    it('pods in the topology carry their Kubernetes names before any has sent a packet, now; a past moment shows their IPs', async () => {
      // no pod has talked: their addresses come from what the node's CNI recorded (kube-router: host-local's
      // allocations and the cached results; calico: a /32 route per veth), their names from the pods by IP
      const label = async (n: (typeof l.status.nodes)[0], p: (typeof n.pods)[0]) =>
        (await l.t.get<Topology>('/api/topology')).body.nodes.find((x) => x.id === `pod:${n.namespace}/${p.hostVeth}`)?.label;
      for (const n of l.status.nodes) {
        for (const p of n.pods) await expect.poll(() => label(n, p), { timeout: 10_000, interval: 250 }).toBe(`default/web-${p.name}`);
      }
      const past = await l.t.get<Topology>(`/api/topology?at=${encodeURIComponent(new Date().toISOString())}`);
      const pod = past.body.nodes.find((x) => x.type === 'pod');
      expect(pod?.label).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    });

    it(
      style === 'calico'
        ? 'del-route heals itself on calico (BIRD puts the route back): RouteLoss never fires, `for` keeps it quiet'
        : 'del-route on one node fires RouteLoss for exactly that pair; putting it back resolves it',
      async () => {
        const [a, c] = [l.node(0), l.node(2)];
        const since = new Date().toISOString();
        const route = (await sh('ip', ['-n', a.namespace, 'route', 'show', c.podCidr])).trim();
        expect(route).not.toBe('');
        const fp = `RouteLoss{node=${a.namespace},peer=${c.namespace},prefix=${c.podCidr}}`;
        await lab(['del-route', '--name', name, a.namespace, c.podCidr]);
        if (style === 'calico') {
          await expect.poll(async () => (await sh('ip', ['-n', a.namespace, 'route', 'show', c.podCidr])).trim(), { timeout: 15_000, interval: 200 }).not.toBe('');
          await l.healthy(15_000);
          // seen pending (if an evaluation caught the gap), never fired
          for (const x of (await l.alertsSince(since)).filter((x) => x.fingerprint === fp)) expect(x).toMatchObject({ state: 'resolved', firedAt: null });
          return;
        }
        const alert = await l.firing(fp, since);
        expect(alert.rootId).toBeNull();
        // nothing else opened meanwhile
        await new Promise((r) => setTimeout(r, FOR_MS + 1000));
        const all = await l.alertsSince(since);
        expect(all.map((x) => x.fingerprint), names(all)).toEqual([fp]);
        await sh('ip', ['-n', a.namespace, 'route', 'add', ...route.split(/\s+/)]);
        await l.healthy(15_000);
        expect((await l.alertsSince(since)).find((x) => x.fingerprint === fp)).toMatchObject({ state: 'resolved', clear: expect.any(Object) });
      },
    );

    it("stop-bgp on one node: BgpDaemonDown on it (its reader says the daemon is gone), the others' sessions and routes to it under it; start-bgp resolves them", async () => {
      const victim = l.node(1);
      const daemon = style === 'calico' ? 'bird' : 'gobgp';
      const others = l.status.nodes.filter((n) => n.namespace !== victim.namespace);
      const since = new Date().toISOString();
      await lab(['stop-bgp', '--name', name, victim.namespace]);
      const root = await l.firing(`BgpDaemonDown{daemon=${daemon},node=${victim.namespace}}`, since);
      expect(root.summary).toContain(`its ${daemon} reader is failed`);
      for (const o of others) {
        const loss = await l.firing(`RouteLoss{node=${o.namespace},peer=${victim.namespace},prefix=${victim.podCidr}}`, since);
        expect(loss.rootId).toBe(root.id);
      }
      const sessions = (await l.alertsSince(since)).filter((a) => a.rule === 'BgpSessionDown' && a.labels['peer'] === victim.namespace);
      expect(sessions.length).toBeGreaterThan(0);
      for (const s of sessions) expect(s.rootId).toBe(root.id);
      // every alert of the fault is the root or under it; no node is called unreachable: it answers
      for (const a of await l.alertsSince(since)) if (a.id !== root.id) expect(a.rootId, a.fingerprint).toBe(root.id);
      expect((await l.alertsSince(since)).some((a) => a.rule === 'NodeUnreachable')).toBe(false);
      // the receiver got the group (Alertmanager's webhook body): the root cause and its symptoms
      const group = `{}:{alertname="BgpDaemonDown", daemon="${daemon}", node="${victim.namespace}", severity="critical"}`;
      const bodies = () => l.receiver.accepted<AlertmanagerBody>().filter((b) => b.groupKey === group);
      await expect.poll(() => bodies().some((b) => b.status === 'firing' && b.alerts.some((a) => a.labels['alertname'] === 'RouteLoss')), { timeout: 10_000 }).toBe(true);
      const firingBody = bodies().find((b) => b.status === 'firing')!;
      expect(firingBody.alerts[0]?.labels).toMatchObject({ alertname: 'BgpDaemonDown', node: victim.namespace });
      await lab(['start-bgp', '--name', name, victim.namespace]);
      await l.healthy(40_000);
      for (const a of await l.alertsSince(since)) expect(a.state, a.fingerprint).toBe('resolved');
      // and the resolution, after the firing
      await expect.poll(() => bodies().at(-1)?.status, { timeout: 10_000 }).toBe('resolved');
      expect(bodies().at(-1)!.alerts.every((a) => a.status === 'resolved' && a.endsAt !== '0001-01-01T00:00:00Z')).toBe(true);
    });

    if (nodeCount >= 4) {
      it('a graceful remove-node with its Kubernetes node deleted gives NodeLeft and no RouteLoss', async () => {
        const leaving = l.node(3);
        const since = new Date().toISOString();
        l.kube.delete('nodes', leaving.namespace);
        await lab(['remove-node', '--name', name, leaving.namespace]);
        const left = await l.firing(`NodeLeft{node=${leaving.namespace}}`, since);
        expect(left.severity).toBe('info');
        await new Promise((r) => setTimeout(r, FOR_MS + 2000));
        const all = await l.alertsSince(since);
        // the only alert that fired; and no RouteLoss, not even pending
        expect(all.filter((a) => a.firedAt !== null).map((a) => a.rule), names(all)).toEqual(['NodeLeft']);
        expect(all.filter((a) => a.rule === 'RouteLoss'), names(all)).toEqual([]);
        l.collectors.delete(leaving.namespace);
      });
    }

    it("fail-node (its link down and its daemon killed): both causes, named with their evidence, every symptom under its link; no healthy node blamed", async () => {
      const victim = l.node(2);
      const daemon = style === 'calico' ? 'bird' : 'gobgp';
      const since = new Date().toISOString();
      await lab(['fail-node', '--name', name, victim.namespace]);
      // the node's own uplink goes down at once (its peers would only notice on their hold timer)
      const root = await l.firing(`UnderlayDown{interface=eth0,node=${victim.namespace}}`, since, 60_000);
      expect(root.summary).toContain('underlay interface eth0');
      // what the others send it is lost at once too: those symptoms join the root
      const first = l.node(0);
      const loss = await l.firing(`RouteLoss{node=${first.namespace},peer=${victim.namespace},prefix=${victim.podCidr}}`, since, 60_000);
      expect(loss.rootId).toBe(root.id);
      await new Promise((r) => setTimeout(r, FOR_MS + 1000));
      const all = await l.alertsSince(since);
      expect(all.filter((a) => a.rootId === null).map((a) => a.fingerprint).sort(), names(all)).toEqual(
        [root.fingerprint, `BgpDaemonDown{daemon=${daemon},node=${victim.namespace}}`].sort(),
      );
      expect(all.filter((a) => a.rule !== 'BgpDaemonDown' && a.id !== root.id).every((a) => a.rootId === root.id), names(all)).toBe(true);
    });
  });
}

describe.skipIf(missing.length > 0 && !inCI)('alerts on misconfigured labs', { timeout: 120_000 }, () => {
  it('a kube-router node with a wrong ipset member gives IpsetDrift for that node and set, and removing it resolves it', async () => {
    const l = await startAlertLab({ style: 'kube-router', name: 'talkd', nodes: 3, forMs: FOR_MS, forOverrides: { IpsetDrift: FOR_MS } });
    try {
      await l.healthy(30_000);
      const n = l.node(0);
      const since = new Date().toISOString();
      await sh('ip', ['netns', 'exec', n.namespace, 'ipset', 'add', 'kube-router-pod-subnets', '10.99.0.0/24']);
      const drift = await l.firing(`IpsetDrift{node=${n.namespace},set=kube-router-pod-subnets}`, since);
      expect(drift.summary).toContain('10.99.0.0/24');
      const all = await l.alertsSince(since);
      expect(all.map((a) => a.fingerprint), names(all)).toEqual([drift.fingerprint]);
      const checks = await l.t.get<ChecksResult>('/api/checks');
      expect(checks.body.findings.map((f) => `${f.type} ${f.node} ${f.subject}`)).toEqual([`ipset-extra ${n.namespace} kube-router-pod-subnets 10.99.0.0/24`]);
      await sh('ip', ['netns', 'exec', n.namespace, 'ipset', 'del', 'kube-router-pod-subnets', '10.99.0.0/24']);
      await l.healthy(20_000);
    } finally {
      await l.close();
    }
  }, 180_000);

  it('a flannel pod whose MTU is larger than the vxlan tunnel allows gives MtuMismatch', async () => {
    const l = await startAlertLab({ style: 'flannel', name: 'talfl', nodes: 3, forMs: FOR_MS });
    try {
      await l.healthy(30_000);
      const n = l.node(1);
      const veth = n.pods[0]!.hostVeth;
      const since = new Date().toISOString();
      // 1500 on the pod's veth: the tunnel carries 1450 (1500 underlay - 50 vxlan)
      await lab(['set-mtu', '--name', 'talfl', n.namespace, veth, '1500']);
      const mtu = await l.firing(`MtuMismatch{interface=${veth},node=${n.namespace}}`, since);
      expect(mtu.severity).toBe('warning');
      const checks = await l.t.get<ChecksResult>('/api/checks');
      expect(checks.body.findings.filter((f) => f.type === 'mtu-mismatch').map((f) => `${f.node} ${f.subject}`)).toEqual([`${n.namespace} ${veth}`]);
    } finally {
      await l.close();
    }
  }, 180_000);
});

