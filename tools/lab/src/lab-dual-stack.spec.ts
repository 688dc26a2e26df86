// Shape calico-dual (shapes.ts) against the real kernel and BIRD (root): Calico dual stack with IPv6
// /122 blocks announced over IPv6 sessions, one node without IPv6 at all and one whose pods are
// IPv6 only. Every node's IPv4 and IPv6 tables are compared with what the design implies, and pods
// on different nodes ping each other over both families (lab addresses only).
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LabStatus, NodeStatus } from './lab.js';
import { shapeNamed } from './shapes.js';
import { expectedMainTable, expectedMainTable6 } from './testing/expected.js';
import { birdSessions, mainTable, mainTable6, netnsNames, ping, processesMatching, sh } from './testing/ground-truth.js';
import { inCI, lab, labPrerequisites, labStatus } from './testing/lab-cli.js';

const missing = labPrerequisites();
const runnable = missing.length === 0;

if (!runnable && inCI) {
  test('lab prerequisites are installed', () => {
    throw new Error(`lab tests cannot run: missing ${missing.join(', ')}`);
  });
}

type Pod = NodeStatus['pods'][0];

/** Every pod to every pod on another node, in each family both have; what failed. */
async function crossNodePings(s: LabStatus): Promise<{ tried: number; failed: string[] }> {
  const failed: string[] = [];
  let tried = 0;
  const pods = s.nodes.flatMap((n) => n.pods.map((p) => ({ node: n, pod: p })));
  await Promise.all(
    pods.map(async (from) => {
      for (const to of pods) {
        if (to.node === from.node) continue;
        for (const fam of ['ip', 'ip6'] as const) {
          const dst = to.pod[fam];
          if (!from.pod[fam] || !dst) continue;
          tried++;
          if (!(await ping(from.pod.namespace, dst))) failed.push(`${from.pod.name} -> ${to.pod.name} (${dst})`);
        }
      }
    }),
  );
  return { tried, failed };
}

async function expectTables(s: LabStatus, reachable: (n: NodeStatus) => NodeStatus[]): Promise<void> {
  for (const n of s.nodes) {
    expect(await mainTable(n.namespace), `IPv4 main table of ${n.name}`).toEqual(expectedMainTable(s, n, reachable(n)));
    expect(await mainTable6(n.namespace), `IPv6 main table of ${n.name}`).toEqual(expectedMainTable6(n, reachable(n)));
  }
}

/** Every IPv6 route of every table: `table dst`. */
async function allIpv6Routes(ns: string): Promise<string[]> {
  const raw = JSON.parse((await sh('ip', ['-n', ns, '-j', '-6', 'route', 'show', 'table', 'all'])) || '[]') as Array<{ dst: string; table?: string }>;
  return raw.map((r) => `${r.table ?? 'main'} ${r.dst}`);
}

describe.skipIf(!runnable).sequential('shape calico-dual: Calico dual stack, a node without IPv6, a node with IPv6-only pods', () => {
  const name = 'h6dual';
  const shape = shapeNamed('calico-dual');
  let s: LabStatus;
  let n1: NodeStatus, n2: NodeStatus, n3: NodeStatus, n4: NodeStatus;

  beforeAll(async () => {
    await lab(['down', '--name', name]);
    const up = await lab(['up', '--name', name, ...shape.up]);
    process.stderr.write(`[h6dual] ${up.stdout}`);
    s = await labStatus(name);
    [n1, n2, n3, n4] = s.nodes as [NodeStatus, NodeStatus, NodeStatus, NodeStatus];
  });

  afterAll(async () => {
    await lab(['down', '--name', name]);
  });

  test('status: each node its IPv6 address and block (null on node3), each pod its addresses (IPv4 null on node2)', () => {
    expect(s.nodes.map((n) => [n.underlayIp, n.underlayIp6, n.podCidr, n.podCidr6])).toEqual([
      ['172.20.0.11', 'fd00:20::11', '10.48.0.64/26', 'fd00:48:0:1::/122'],
      ['172.20.0.12', 'fd00:20::12', '10.48.0.128/26', 'fd00:48:0:2::/122'],
      ['172.20.0.13', null, '10.48.0.192/26', null],
      ['172.20.0.14', 'fd00:20::14', '10.48.1.0/26', 'fd00:48:0:4::/122'],
    ]);
    expect(s.nodes.map((n) => n.pods.map((p: Pod) => [p.ip, p.ip6]))).toEqual([
      [['10.48.0.65', 'fd00:48:0:1::1']],
      [[null, 'fd00:48:0:2::1']],
      [['10.48.0.193', null]],
      [['10.48.1.1', 'fd00:48:0:4::1']],
    ]);
    expect(s.underlay).toMatchObject({ subnet: '172.20.0.0/24', subnet6: 'fd00:20::/64', gateway6: 'fd00:20::1' });
  });

  test('BIRD: IPv4 sessions between all nodes, IPv6 sessions between the IPv6 nodes, all Established; none over IPv6 on node3', async () => {
    for (const n of s.nodes) {
      const want = new Map<string, string>();
      for (const o of s.nodes.filter((x) => x !== n)) {
        want.set(o.underlayIp, 'established');
        if (n.underlayIp6 && o.underlayIp6) want.set(o.underlayIp6, 'established');
      }
      expect(await birdSessions(n.bgpControl?.socket ?? ''), `sessions of ${n.name}`).toEqual(want);
    }
  });

  test('right after up (waitConverged covers IPv6): every IPv4 and IPv6 main table is exactly what the design implies', async () => {
    await expectTables(s, () => s.nodes);
  });

  test('node3 has no IPv6 but link-local: no global address, no IPv6 route in any table beyond fe80::/64, ::1 and multicast', async () => {
    expect((await sh('ip', ['-n', n3.namespace, '-6', 'addr', 'show', 'scope', 'global'])).trim()).toBe('');
    const beyond = (await allIpv6Routes(n3.namespace)).filter((r) => !/ (fe80::(\/64)?|fe80::[0-9a-f:]+|::1|ff00::\/8)$/.test(r));
    expect(beyond).toEqual([]);
    // and nothing of IPv6 in its pod: its pod has no IPv6 address either
    expect((await sh('ip', ['-n', n3.pods[0]!.namespace, '-6', 'addr', 'show', 'scope', 'global'])).trim()).toBe('');
  });

  test("node2's pods are IPv6 only: no IPv4 address but loopback's, an IPv6 /128 with the default route via fe80::ecee:eeff:feee:eeee", async () => {
    const pod = n2.pods[0]!;
    const v4 = JSON.parse(await sh('ip', ['-n', pod.namespace, '-j', '-4', 'addr', 'show'])) as Array<{ ifname: string }>;
    expect(v4.map((l) => l.ifname)).toEqual(['lo']);
    expect(await mainTable6(pod.namespace)).toEqual([
      'unicast default via fe80::ecee:eeff:feee:eeee dev eth0 proto boot',
      'unicast fd00:48:0:2::1/128 via - dev eth0 proto kernel',
      'unicast fe80::/64 via - dev eth0 proto kernel',
    ]);
  });

  test('pods on different nodes ping each other over IPv4 and IPv6 wherever both have the family, and not across families', async () => {
    const r = await crossNodePings(s);
    // IPv4: pods of nodes 1, 3, 4 (6 pairs); IPv6: pods of nodes 1, 2, 4 (6 pairs)
    expect(r.tried).toBe(12);
    expect(r.failed).toEqual([]);
    // node3 has no IPv6 route: its pod cannot reach an IPv6 pod, nor can an IPv6-only pod reach node3's
    expect(await ping(n3.pods[0]!.namespace, n1.pods[0]!.ip6 ?? '')).toBe(false);
    expect(await ping(n2.pods[0]!.namespace, n3.pods[0]!.ip ?? '')).toBe(false);
  });

  test('stop-bgp on a dual-stack node withdraws both its blocks everywhere; start-bgp brings them back', async () => {
    await lab(['stop-bgp', '--name', name, n4.name]);
    const others = [n1, n2, n3];
    for (const n of others) {
      expect(await mainTable(n.namespace), `IPv4 of ${n.name}`).toEqual(expectedMainTable(s, n, others));
      expect(await mainTable6(n.namespace), `IPv6 of ${n.name}`).toEqual(expectedMainTable6(n, others));
    }
    // BIRD keeps what it installed when it stops (persist), both families
    expect(await mainTable6(n4.namespace)).toEqual(expectedMainTable6(n4, s.nodes));
    await lab(['start-bgp', '--name', name, n4.name]);
    await expectTables(s, () => s.nodes);
  });

  test('remove-node then add-node: the new node is dual stack and every IPv6 node routes to its IPv6 block', async () => {
    await lab(['remove-node', '--name', name, n4.name]);
    let after = await labStatus(name);
    expect(after.nodes.map((n) => n.name)).toEqual([n1.name, n2.name, n3.name]);
    await expectTables(after, () => after.nodes);
    await lab(['add-node', '--name', name]);
    after = await labStatus(name);
    const n5 = after.nodes[3] as NodeStatus;
    expect([n5.name, n5.underlayIp6, n5.podCidr6, n5.pods[0]?.ip6]).toEqual([`${name}-node5`, 'fd00:20::15', 'fd00:48:0:5::/122', 'fd00:48:0:5::1']);
    await expectTables(after, () => after.nodes);
    const r = await crossNodePings(after);
    expect(r.tried).toBe(12);
    expect(r.failed).toEqual([]);
    s = after;
  });

  test('down leaves no namespace, process or file behind', async () => {
    await lab(['down', '--name', name]);
    expect((await netnsNames()).filter((ns) => ns.startsWith(`${name}-`))).toEqual([]);
    expect(await processesMatching(`/run/netatlas-lab/${name}/`)).toEqual([]);
    expect(existsSync(`/run/netatlas-lab/${name}`)).toBe(false);
  });
});
