// The lab against the real kernel and real BGP daemons (root). Each style: 3 nodes x 2 pods.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LabStatus, NodeStatus } from './lab.js';
import type { Style } from './plan.js';
import { expectedIpsets, expectedMainTable } from './testing/expected.js';
import {
  birdSessions,
  gobgpSessions,
  ipsetMembers,
  mainTable,
  netnsNames,
  ping,
  podAddresses,
  podIpv4,
  processesMatching,
  sh,
} from './testing/ground-truth.js';
import { inCI, lab, labPrerequisites, labStatus } from './testing/lab-cli.js';

const missing = labPrerequisites();
const runnable = missing.length === 0;

if (!runnable && inCI) {
  test('lab prerequisites are installed', () => {
    throw new Error(`lab tests cannot run: missing ${missing.join(', ')}`);
  });
}

/** Register a test only where it applies, so a style's irrelevant checks are neither run nor counted. */
const testIf = (cond: boolean): typeof test => (cond ? test : ((() => undefined) as unknown as typeof test));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

async function sessions(s: LabStatus, n: NodeStatus): Promise<Map<string, string>> {
  return s.style === 'calico' ? birdSessions(n.bgpControl?.socket ?? '') : gobgpSessions(n.namespace);
}

async function expectPodMesh(s: LabStatus): Promise<void> {
  const pods = s.nodes.flatMap((n) => n.pods);
  const failures: string[] = [];
  await Promise.all(
    pods.map(async (from) => {
      for (const to of pods) {
        for (const ip of podAddresses(to)) if (from !== to && !(await ping(from.namespace, ip))) failures.push(`${from.name} -> ${to.name} (${ip})`);
      }
    }),
  );
  expect(failures).toEqual([]);
}

async function expectTables(s: LabStatus, reachable: (n: NodeStatus) => NodeStatus[]): Promise<void> {
  for (const n of s.nodes.filter((x) => x.state === 'up')) {
    expect(await mainTable(n.namespace), `main table of ${n.name}`).toEqual(expectedMainTable(s, n, reachable(n)));
  }
}

async function expectNothingLeft(name: string): Promise<void> {
  expect((await netnsNames()).filter((ns) => ns.startsWith(`${name}-`))).toEqual([]);
  expect(await processesMatching(`/run/netatlas-lab/${name}/`)).toEqual([]);
  expect(existsSync(`/run/netatlas-lab/${name}`)).toBe(false);
}

const podRouteOf = (s: LabStatus, node: NodeStatus) =>
  s.style === 'flannel' ? `via ${node.podCidr.replace(/\/24$/, '')} dev flannel.1` : `via ${node.underlayIp} dev eth0`;

async function routeTo(ns: string, cidr: string): Promise<boolean> {
  return (await mainTable(ns)).some((l) => l.startsWith(`unicast ${cidr} `));
}

for (const style of ['kube-router', 'calico', 'flannel'] as Style[]) {
  const name = { 'kube-router': 'tkr', calico: 'tca', flannel: 'tfl' }[style];
  const bgp = style !== 'flannel';

  describe.skipIf(!runnable).sequential(`${style} lab (3 nodes x 2 pods)`, () => {
    let s: LabStatus;

    beforeAll(async () => {
      await lab(['down', '--name', name]);
      await lab(['up', '--name', name, '--style', style, '--nodes', '3', '--pods', '2']);
      s = await labStatus(name);
    });

    afterAll(async () => {
      await lab(['down', '--name', name]);
    });

    test('status describes 3 nodes with their namespaces, addresses, pod CIDRs and pods', () => {
      expect(s.nodes.map((n) => n.name)).toEqual([`${name}-node1`, `${name}-node2`, `${name}-node3`]);
      for (const n of s.nodes) {
        expect(n.pods).toHaveLength(2);
        expect(n.underlayIp).toMatch(/^172\.20\.0\.\d+$/);
        if (bgp) expect(n.bgpControl?.socket ?? n.bgpControl?.api).toBeTruthy();
      }
    });

    test('every pod reaches every other pod', async () => {
      await expectPodMesh(s);
    });

    testIf(bgp)('each BGP daemon reports every peer Established', async () => {
      for (const n of s.nodes) {
        const peers = await sessions(s, n);
        const want = new Map(s.nodes.filter((o) => o !== n).map((o) => [o.underlayIp, 'established']));
        expect(peers, `sessions of ${n.name}`).toEqual(want);
      }
    });

    test('routing tables hold exactly the expected routes', async () => {
      await expectTables(s, () => s.nodes);
    });

    testIf(style === 'kube-router')('ipsets hold the members kube-router gives them', async () => {
      for (const n of s.nodes) {
        for (const [set, members] of Object.entries(expectedIpsets(s, n))) {
          expect(await ipsetMembers(n.namespace, set), `${set} on ${n.name}`).toEqual(members);
        }
      }
    });

    testIf(style === 'flannel')('flannel.1 has a permanent neighbor and fdb entry per remote VTEP', async () => {
      for (const n of s.nodes) {
        const neigh = await sh('ip', ['-n', n.namespace, 'neigh', 'show', 'dev', 'flannel.1']);
        const fdb = await sh('bridge', ['-n', n.namespace, 'fdb', 'show', 'dev', 'flannel.1']);
        for (const o of s.nodes.filter((x) => x !== n)) {
          const vtep = o.podCidr.replace(/\/24$/, '');
          expect(neigh).toMatch(new RegExp(`${vtep.replace(/\./g, '\\.')} lladdr (\\S+) PERMANENT`));
          const mac = new RegExp(`${vtep.replace(/\./g, '\\.')} lladdr (\\S+)`).exec(neigh)?.[1] ?? '';
          expect(fdb).toContain(`${mac} dst ${o.underlayIp} self permanent`);
        }
        const link = JSON.parse(await sh('ip', ['-n', n.namespace, '-j', '-d', 'link', 'show', 'flannel.1']))[0];
        expect(link.mtu).toBe(1450);
        expect(link.linkinfo.info_data.id).toBe(1);
      }
    });

    test('remove-node withdraws the node from every other node', async () => {
      const gone = s.nodes[2] as NodeStatus;
      await lab(['remove-node', '--name', name, gone.name]);
      const after = await labStatus(name);
      expect(after.nodes.map((n) => n.name)).toEqual(s.nodes.slice(0, 2).map((n) => n.name));
      await expectTables(after, () => after.nodes);
      for (const n of after.nodes) {
        expect(await routeTo(n.namespace, gone.podCidr)).toBe(false);
        if (style === 'kube-router') {
          expect(await ipsetMembers(n.namespace, 'kube-router-pod-subnets')).not.toContain(gone.podCidr);
          expect(await ipsetMembers(n.namespace, 'kube-router-node-ips')).not.toContain(gone.underlayIp);
        }
      }
      expect((await netnsNames()).filter((ns) => ns.startsWith(gone.namespace))).toEqual([]);
      s = after;
    });

    test('add-node brings the new node and its routes to all', async () => {
      await lab(['add-node', '--name', name]);
      const after = await labStatus(name);
      const added = after.nodes.find((n) => !s.nodes.some((o) => o.name === n.name)) as NodeStatus;
      expect(added.name).toBe(`${name}-node4`);
      await expectTables(after, () => after.nodes);
      if (style === 'kube-router') {
        for (const n of after.nodes) {
          for (const [set, members] of Object.entries(expectedIpsets(after, n))) {
            expect(await ipsetMembers(n.namespace, set), `${set} on ${n.name}`).toEqual(members);
          }
        }
      }
      await expectPodMesh(after);
      s = after;
    });

    testIf(bgp)('stop-bgp withdraws the node\'s routes everywhere; start-bgp brings them back', async () => {
      const [n1, n2, n4] = s.nodes as [NodeStatus, NodeStatus, NodeStatus];
      await lab(['stop-bgp', '--name', name, n2.name]);
      for (const n of [n1, n4]) expect(await routeTo(n.namespace, n2.podCidr), `${n.name} -> ${n2.name}`).toBe(false);
      // its own learned routes persist, as they do when kube-router or Calico's BIRD stops
      expect(await routeTo(n2.namespace, n1.podCidr)).toBe(true);
      await lab(['start-bgp', '--name', name, n2.name]);
      await expectTables(s, () => s.nodes);
      await expectPodMesh(s);
    });

    testIf(bgp)('fail-node: peers drop its routes only when the hold timer expires', async () => {
      const [n1, n2, n4] = s.nodes as [NodeStatus, NodeStatus, NodeStatus];
      const t0 = Date.now();
      await lab(['fail-node', '--name', name, n2.name]);
      await sleep(3000);
      // well inside the 9 s hold time: still routed, though the node is unreachable
      for (const n of [n1, n4]) expect(await routeTo(n.namespace, n2.podCidr)).toBe(true);
      expect(await ping((n1.pods[0] as { namespace: string }).namespace, podIpv4(n2.pods[0] as NodeStatus['pods'][0]))).toBe(false);
      for (const n of [n1, n4]) {
        await until(`${n.name} to drop ${n2.podCidr}`, 30_000, async () =>
          (await routeTo(n.namespace, n2.podCidr)) ? undefined : true,
        );
      }
      const elapsed = (Date.now() - t0) / 1000;
      expect(elapsed).toBeGreaterThan(6);
      expect(elapsed).toBeLessThan(20);
      const peers = await sessions(s, n1);
      expect(peers.get(n2.underlayIp)).not.toBe('established');
      expect(peers.get(n4.underlayIp)).toBe('established');
    });

    testIf(!bgp)('fail-node leaves flannel entries in place (flanneld follows Kubernetes, not liveness)', async () => {
      const [n1, n2] = s.nodes as [NodeStatus, NodeStatus];
      await lab(['fail-node', '--name', name, n2.name]);
      expect(await routeTo(n1.namespace, n2.podCidr)).toBe(true);
      expect((await mainTable(n1.namespace)).join('\n')).toContain(podRouteOf(s, n2));
      expect(await ping((n1.pods[0] as { namespace: string }).namespace, podIpv4(n2.pods[0] as NodeStatus['pods'][0]))).toBe(false);
    });

    test('down leaves no namespace, process, socket or file behind, and is idempotent', async () => {
      await lab(['down', '--name', name]);
      await expectNothingLeft(name);
      const again = await lab(['down', '--name', name]);
      expect(again.stdout).toContain('nothing to remove');
    });
  });
}

describe.skipIf(!runnable).sequential('calico lab with a route reflector (3 nodes x 1 pod)', () => {
  const name = 'tcarr';
  let s: LabStatus;

  beforeAll(async () => {
    await lab(['down', '--name', name]);
    await lab(['up', '--name', name, '--style', 'calico', '--nodes', '3', '--pods', '1', '--route-reflector']);
    s = await labStatus(name);
  });

  afterAll(async () => {
    await lab(['down', '--name', name]);
  });

  test('node 1 reflects: clients peer only with it, yet every node routes to every block directly', async () => {
    expect(s.routeReflector).toBe(`${name}-node1`);
    const [rr, ...clients] = s.nodes as [NodeStatus, ...NodeStatus[]];
    expect(await birdSessions(rr.bgpControl?.socket ?? '')).toEqual(
      new Map(clients.map((c) => [c.underlayIp, 'established'])),
    );
    for (const c of clients) {
      expect(await birdSessions(c.bgpControl?.socket ?? '')).toEqual(new Map([[rr.underlayIp, 'established']]));
    }
    // reflected routes keep the announcing node as next hop
    await expectTables(s, () => s.nodes);
    await expectPodMesh(s);
  });
});

describe.skipIf(!runnable).sequential('calico lab mixing BIRD, GoBGP and FRR around a BIRD route reflector (4 nodes x 1 pod)', () => {
  const name = 'h1mixrr';
  let s: LabStatus;
  /** each daemon's own kernel protocol for what it learned */
  const proto = { bird: 'bird', gobgp: '17', frr: 'bgp' } as const;

  const learned = async (n: NodeStatus): Promise<string[]> =>
    (await mainTable(n.namespace)).filter((l) => l.startsWith('unicast 10.48.') && l.endsWith(`proto ${proto[n.daemon ?? 'bird']}`));

  async function expectRoutes(reachable: (n: NodeStatus) => NodeStatus[], on: NodeStatus[] = s.nodes): Promise<void> {
    for (const n of on) {
      const want = reachable(n).filter((o) => o !== n).map((o) => `unicast ${o.podCidr} via ${o.underlayIp} dev eth0 proto ${proto[n.daemon ?? 'bird']}`);
      expect((await learned(n)).map((l) => l.replace(/ onlink$/, '')).sort(), n.name).toEqual(want.sort());
      expect((await mainTable(n.namespace)).some((l) => l.startsWith(`blackhole ${n.podCidr} `)), `${n.name} blackhole`).toBe(true);
    }
  }

  beforeAll(async () => {
    await lab(['down', '--name', name]);
    await lab(['up', '--name', name, '--style', 'calico', '--daemons', 'bird,gobgp,frr', '--nodes', '4', '--pods', '1', '--route-reflector']);
    s = await labStatus(name);
  });

  afterAll(async () => {
    await lab(['down', '--name', name]);
  });

  test('node i runs daemons[(i-1) % 3]; the reflector peers with all, the others with it', async () => {
    expect(s.daemons).toEqual(['bird', 'gobgp', 'frr']);
    expect(s.nodes.map((n) => n.daemon)).toEqual(['bird', 'gobgp', 'frr', 'bird']);
    const [rr, ...clients] = s.nodes as [NodeStatus, ...NodeStatus[]];
    expect(await birdSessions(rr.bgpControl?.socket ?? '')).toEqual(new Map(clients.map((c) => [c.underlayIp, 'established'])));
    for (const c of clients) expect(c.bgpSessions, c.name).toEqual([{ peer: rr.underlayIp, state: 'established' }]);
    await expectRoutes(() => s.nodes);
    await expectPodMesh(s);
  });

  test('stop-bgp (graceful and --kill) and start-bgp work for GoBGP and FRR', async () => {
    for (const victim of s.nodes.filter((n) => n.daemon === 'gobgp' || n.daemon === 'frr')) {
      await lab(['stop-bgp', '--name', name, victim.name]);
      // what the victim itself keeps is its daemon's business (GoBGP's agent leaves them, zebra removes them)
      const others = s.nodes.filter((o) => o !== victim);
      await expectRoutes(() => others, others);
      await lab(['start-bgp', '--name', name, victim.name]);
      await expectRoutes(() => s.nodes);
      await lab(['stop-bgp', '--kill', '--name', name, victim.name]);
      for (const n of s.nodes.filter((o) => o !== victim)) {
        await until(`${n.name} to drop ${victim.podCidr}`, 20_000, async () => ((await routeTo(n.namespace, victim.podCidr)) ? undefined : true));
      }
      await lab(['start-bgp', '--name', name, victim.name]);
      await expectRoutes(() => s.nodes);
    }
    await expectPodMesh(s);
  });

  test('down stops every FRR daemon too and leaves nothing behind', async () => {
    await lab(['down', '--name', name]);
    await expectNothingLeft(name);
  });
});
