// `--once` on a lab node of each style against ground truth read independently with the tools
// themselves (ip -j, bridge -j, ipset, birdc, gobgp, sysctl): every object is there with the right
// attributes, and nothing else.
import { deriveTopology } from '@netatlas/graph';
import type { Fact, FactOf, Snapshot } from '@netatlas/wire';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inCI, lab, labPrerequisites, labStatus, podIpv4, sh, type LabNodeStatus } from '@netatlas/lab-testing';
import { collectOnce } from './testing/run-collector.js';

const missing = labPrerequisites();
if (missing.length > 0 && inCI) {
  test('lab prerequisites for the collector tests', () => {
    throw new Error(`missing ${missing.join(', ')}`);
  });
}

type J = Record<string, unknown> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const ipj = async (ns: string, args: string[]): Promise<J[]> => JSON.parse((await sh('ip', ['-n', ns, '-j', ...args])) || '[]');
const facts = <K extends Fact['kind']>(s: Snapshot, kind: K) => s.facts.filter((f): f is FactOf<K> => f.kind === kind);
const normDst = (dst: string, family: string) => (dst === 'default' || dst.includes('/') ? dst : `${dst}/${family === 'inet' ? 32 : 128}`);

interface Truth {
  links: J[];
  addrs: string[];
  routes: Map<string, J>;
  neighs: Map<string, J>;
  fdb: string[];
  ipsets: string[];
  members: string[];
  sessions: Map<string, string>;
  /** family|priority|table|protocol of every rule */
  rules: string[];
  /** `net.ipv4.conf.eth0.rp_filter` (interface names as the kernel has them) → value, from procps' sysctl */
  sysctls: Map<string, number>;
}

const SYSCTL_PATTERN = '^net\\.(ipv4|ipv6)\\.(conf\\.[^.]+\\.(rp_filter|proxy_arp|forwarding|proxy_ndp)|ip_forward)$';

async function sysctlTruth(ns: string): Promise<Map<string, number>> {
  const out = await sh('ip', ['netns', 'exec', ns, 'sysctl', '-a', '-r', SYSCTL_PATTERN]);
  const settings = new Map<string, number>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [name = '', value = ''] = line.split(' = ');
    // sysctl writes the dot of an interface name (flannel.1) as a slash
    const [net, fam, conf, dev, leaf] = name.split('.');
    settings.set(dev !== undefined && leaf !== undefined ? [net, fam, conf, dev.replace(/\//g, '.'), leaf].join('.') : name, Number(value));
  }
  return settings;
}

async function groundTruth(style: string, node: LabNodeStatus): Promise<Truth> {
  const ns = node.namespace;
  const links = await ipj(ns, ['-d', 'link', 'show']);
  const addrs = (await ipj(ns, ['addr', 'show'])).flatMap((l) =>
    (l['addr_info'] as J[]).map((a) => `${l['ifname']}|${a['family']}|${a['local']}/${a['prefixlen']}`),
  );
  const routes = new Map<string, J>();
  for (const fam of ['inet', 'inet6']) {
    for (const r of await ipj(ns, [fam === 'inet' ? '-4' : '-6', 'route', 'show', 'table', 'all'])) {
      routes.set(`${r['table'] ?? 'main'}|${fam}|${normDst(r['dst'], fam)}|${r['metric'] ?? 0}|${r['dev'] ?? ''}`, r);
    }
  }
  const neighs = new Map<string, J>();
  for (const n of await ipj(ns, ['neigh', 'show', 'nud', 'all'])) neighs.set(`${n['dev']}|${n['dst']}`, n);
  for (const n of await ipj(ns, ['neigh', 'show', 'proxy'])) neighs.set(`${n['dev']}|${n['dst']}|proxy`, n);
  const fdb = (JSON.parse(await sh('bridge', ['-n', ns, '-j', 'fdb', 'show'])) as J[]).map(
    (e) => `${e['ifname']}|${e['mac']}|${e['dst'] ?? ''}`,
  );
  const save = await sh('ip', ['netns', 'exec', ns, 'ipset', 'save']);
  const ipsets = save.split('\n').filter((l) => l.startsWith('create ')).map((l) => l.split(' ')[1] ?? '');
  const members = save.split('\n').filter((l) => l.startsWith('add ')).map((l) => `${l.split(' ')[1]}|${l.split(' ')[2]}`);
  const sessions = new Map<string, string>();
  if (style === 'kube-router') {
    const names = ['unknown', 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'];
    for (const n of JSON.parse(await sh('ip', ['netns', 'exec', ns, 'gobgp', 'neighbor', '-j'])) as J[]) {
      const st = n['state']['session_state'];
      sessions.set(`gobgp|${n['state']['neighbor_address']}`, typeof st === 'number' ? (names[st] ?? '?') : String(st).toLowerCase());
    }
  } else if (style === 'calico') {
    const out = await sh('birdc', ['-s', node.bgpControl?.socket ?? '', 'show', 'protocols', 'all']);
    for (const block of out.split(/\n(?=\S)/)) {
      const addr = /Neighbor address:\s+(\S+)/.exec(block)?.[1];
      const state = /BGP state:\s+(\S+)/.exec(block)?.[1];
      if (addr && state) sessions.set(`bird|${addr}`, state.toLowerCase());
    }
  }
  const rules: string[] = [];
  for (const fam of ['inet', 'inet6']) {
    for (const r of await ipj(ns, ['-d', fam === 'inet' ? '-4' : '-6', 'rule', 'show'])) {
      rules.push(`${fam}|${r['priority']}|${r['table'] ?? ''}|${r['protocol']}`);
    }
  }
  return { links, addrs, routes, neighs, fdb, ipsets, members, sessions, rules, sysctls: await sysctlTruth(ns) };
}

/**
 * The collector read between two independent readings: whatever both readings hold must be
 * reported, and nothing may be reported that neither holds (IPv6 addresses still finishing
 * duplicate address detection may appear in between). On a settled node both readings are equal,
 * and this is plain equality.
 */
function expectBetween(got: Iterable<string>, before: Iterable<string>, after: Iterable<string>, what: string): void {
  const g = new Set(got);
  const b = new Set(before);
  const a = new Set(after);
  expect([...b].filter((k) => a.has(k) && !g.has(k)), `${what} missing from the snapshot`).toEqual([]);
  expect([...g].filter((k) => !a.has(k) && !b.has(k)), `${what} in the snapshot but not on the node`).toEqual([]);
}

for (const style of ['kube-router', 'calico', 'flannel']) {
  const name = { 'kube-router': 'colkr', calico: 'colca', flannel: 'colfl' }[style] as string;

  describe.skipIf(missing.length > 0)(`collector --once on a ${style} lab node`, () => {
    let node: LabNodeStatus;
    let before: Truth;
    let after: Truth;
    let snap: Snapshot;
    /** taken before any pod sent a packet */
    let quiet: Snapshot;
    /** each pod's eth0 as its own namespace has it: address and the ifindex of its host-side peer */
    let podTruth: { pod: string; ip: string; hostIfindex: number }[];

    beforeAll(async () => {
      await lab(['down', '--name', name]);
      await lab(['up', '--name', name, '--style', style, '--nodes', '3', '--pods', '2']);
      const nodes = (await labStatus(name)).nodes;
      node = nodes[0] as LabNodeStatus;
      const args = ['--netns', node.namespace, '--node-name', node.name, ...node.collectorArgs];
      quiet = (await collectOnce(args)).snapshot;
      podTruth = [];
      for (const p of node.pods) {
        const [eth0] = await ipj(p.namespace, ['addr', 'show', 'dev', 'eth0']);
        const v4 = (eth0?.['addr_info'] as J[]).find((a) => a['family'] === 'inet');
        podTruth.push({ pod: p.name, ip: v4?.['local'], hostIfindex: eth0?.['link_index'] });
      }
      // fill the neighbor tables: pods talk across nodes
      for (const other of nodes.slice(1)) {
        await sh('ip', ['netns', 'exec', node.pods[0]!.namespace, 'ping', '-c', '1', '-W', '2', podIpv4(other.pods[0]!)]);
      }
      before = await groundTruth(style, node);
      snap = (await collectOnce(args)).snapshot;
      after = await groundTruth(style, node);
    });

    afterAll(async () => {
      await lab(['down', '--name', name]);
    });

    test('the snapshot names the node, detects the style and every kernel reader is ok', () => {
      expect(snap.node).toBe(node.name);
      const nodeFact = facts(snap, 'node')[0];
      expect(nodeFact?.value.cniStyle).toBe(style);
      for (const r of ['links', 'addrs', 'routes', 'rules', 'neighbors', 'sysctls', 'fdb', 'ipsets', 'cni']) expect(snap.readers[r]?.status, r).toBe('ok');
      expect(snap.readers[style === 'calico' ? 'bird' : 'gobgp']?.status).toBe(style === 'flannel' ? 'missing' : 'ok');
    });

    test('links: every interface with kind, mtu, mac, state and master', () => {
      const got = new Map(facts(snap, 'link').map((f) => [f.key, f.value]));
      expectBetween(got.keys(), before.links.map((l) => l['ifname'] as string), after.links.map((l) => l['ifname'] as string), 'links');
      for (const l of after.links) {
        const v = got.get(l['ifname']);
        if (!v) continue;
        const kind = l['linkinfo']?.['info_kind'] ?? (l['link_type'] === 'loopback' ? 'loopback' : 'device');
        expect(v, l['ifname']).toMatchObject({ kind, mtu: l['mtu'], operstate: l['operstate'], master: l['master'] ?? null });
        if (l['link_type'] === 'ether') expect(v?.mac).toBe(l['address']);
        if (kind === 'veth' && l['link_netnsid'] !== undefined) expect(v?.linkNetnsId).toBe(l['link_netnsid']);
      }
    });

    test('addresses: exactly the kernel\'s', () => {
      expectBetween(facts(snap, 'addr').map((f) => f.key), before.addrs, after.addrs, 'addresses');
    });

    test('routes: every table, both families, with gateway, dev, protocol and type', () => {
      const got = new Map(facts(snap, 'route').map((f) => [`${f.value.table}|${f.value.family}|${f.value.dst}|${f.value.metric}|${f.value.dev ?? ''}`, f.value]));
      expectBetween(got.keys(), before.routes.keys(), after.routes.keys(), 'routes');
      for (const [k, r] of after.routes) {
        const v = got.get(k);
        if (!v && !before.routes.has(k)) continue;
        expect(v, k).toMatchObject({
          type: r['type'] ?? 'unicast',
          gateway: r['gateway'] ?? null,
          dev: r['dev'] ?? null,
          protocol: String(r['protocol'] ?? 'boot'),
        });
        expect(v?.flags.includes('onlink'), k).toBe(((r['flags'] as string[] | undefined) ?? []).includes('onlink'));
      }
      expect(got.size).toBeGreaterThan(5);
    });

    test('neighbors: every entry with its link-layer address; static states exact', () => {
      const got = new Map(facts(snap, 'neigh').map((f) => [f.key, f.value]));
      // entries present in both independent readings must be reported; nothing reported may be unknown to both
      for (const [k, n] of before.neighs) {
        if (!after.neighs.has(k)) continue;
        expect(got.has(k), k).toBe(true);
        if (n['lladdr']) expect(got.get(k)?.lladdr).toBe(n['lladdr']);
        const st = (n['state'] as string[] | undefined) ?? [];
        if (st.includes('PERMANENT') || st.includes('NOARP')) expect(got.get(k)?.state).toEqual(st);
      }
      for (const k of got.keys()) expect(before.neighs.has(k) || after.neighs.has(k), k).toBe(true);
      expect(got.size).toBeGreaterThan(0);
    });

    test('rules: the default rules of both families, as ip rule has them', () => {
      const got = facts(snap, 'rule').map((f) => `${f.value.family}|${f.value.priority}|${f.value.table ?? ''}|${f.value.protocol}`);
      expect(got.sort()).toEqual([...after.rules].sort());
      expect(got).toContain('inet|32766|main|kernel');
      expect(got).toContain('inet6|0|local|kernel');
    });

    test('sysctls: forwarding, rp_filter, proxy_arp and proxy_ndp of every interface, all and default, as sysctl reads them', () => {
      const got = new Map<string, number | null>();
      for (const { value: v } of facts(snap, 'sysctl')) {
        if (v.ipv4) {
          got.set(`net.ipv4.conf.${v.name}.forwarding`, v.ipv4.forwarding);
          got.set(`net.ipv4.conf.${v.name}.rp_filter`, v.ipv4.rpFilter);
          got.set(`net.ipv4.conf.${v.name}.proxy_arp`, v.ipv4.proxyArp);
        }
        if (v.ipv6) {
          got.set(`net.ipv6.conf.${v.name}.forwarding`, v.ipv6.forwarding);
          got.set(`net.ipv6.conf.${v.name}.proxy_ndp`, v.ipv6.proxyNdp);
        }
      }
      const conf = new Map([...after.sysctls].filter(([k]) => k.includes('.conf.')));
      expectBetween(got.keys(), [...before.sysctls.keys()].filter((k) => k.includes('.conf.')), conf.keys(), 'sysctls');
      for (const [k, v] of conf) if (before.sysctls.get(k) === v && got.has(k)) expect(got.get(k), k).toBe(v);
      // net.ipv4.ip_forward is net.ipv4.conf.all.forwarding, one kernel setting under two names
      expect(got.get('net.ipv4.conf.all.forwarding')).toBe(after.sysctls.get('net.ipv4.ip_forward'));
      expect(got.get('net.ipv4.conf.all.forwarding')).toBe(1);
      for (const p of node.pods) {
        const v = facts(snap, 'sysctl').find((f) => f.key === p.hostVeth)?.value;
        expect(v?.ipv4?.proxyArp, p.hostVeth).toBe(style === 'calico' ? 1 : 0);
      }
    });

    test('bridge fdb: every entry, vxlan remote VTEPs included', () => {
      const got = facts(snap, 'fdb').map((f) => `${f.value.dev}|${f.value.mac}|${f.value.dst ?? ''}`);
      expect([...new Set(got)].sort()).toEqual([...new Set(after.fdb)].sort());
      if (style === 'flannel') expect(got.filter((g) => g.startsWith('flannel.1|') && !g.endsWith('|'))).toHaveLength(2);
    });

    test('ipsets: every set and member', () => {
      expect(facts(snap, 'ipset').map((f) => f.key).sort()).toEqual([...after.ipsets].sort());
      expect(facts(snap, 'ipsetMember').map((f) => f.key).sort()).toEqual([...after.members].sort());
      if (style === 'kube-router') expect(after.members.length).toBeGreaterThan(10);
    });

    test('BGP sessions: every peer with its state', () => {
      const got = new Map(facts(snap, 'bgpSession').map((f) => [f.key, f.value.state as string]));
      expect(got).toEqual(after.sessions);
      if (style !== 'flannel') {
        expect(got.size).toBe(2);
        for (const s of got.values()) expect(s).toBe('established');
        for (const f of facts(snap, 'bgpSession')) expect(f.value).toMatchObject({ peerAs: 64512, localAs: 64512 });
      }
    });

    test('CNI records: every pod\'s address, its container and its host veth, as the pod\'s own namespace has them', () => {
      const got = facts(snap, 'cniAddr').map((f) => f.value);
      if (style === 'calico') {
        // Calico's IPAM keeps no files and the lab's Calico pods cache no result: nothing, and the reader is ok
        expect(got).toEqual([]);
        return;
      }
      const vethByIndex = new Map(after.links.filter((l) => l['linkinfo']?.['info_kind'] === 'veth').map((l) => [l['ifindex'] as number, l['ifname'] as string]));
      expect(got.map((v) => v.address).sort()).toEqual(podTruth.map((p) => p.ip).sort());
      for (const p of podTruth) {
        const v = got.find((g) => g.address === p.ip);
        expect(v, p.pod).toMatchObject({ network: style === 'flannel' ? 'cbr0' : 'mynet', prefixLen: 24, ifname: 'eth0', recordedBy: ['host-local', 'result'] });
        expect(v?.hostIfnames, p.pod).toContain(vethByIndex.get(p.hostIfindex));
        expect(v?.containerId, p.pod).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(new Set(got.map((v) => v.containerId)).size).toBe(podTruth.length);
    });

    test('topology before any traffic: every pod shows its address, and a Kubernetes pod known by that address its name', () => {
      expect(quiet.readers['cni']?.status).toBe('ok');
      expect(facts(quiet, 'neigh').filter((f) => podTruth.some((p) => p.ip === f.value.address))).toEqual([]);
      const names = new Map(podTruth.map((p) => [p.ip, { namespace: 'default', name: p.pod }]));
      for (const pods of [undefined, names]) {
        const topo = deriveTopology({ [quiet.node]: quiet.facts }, pods ? { pods } : {});
        const drawn = topo.nodes.filter((n) => n.type === 'pod');
        expect(drawn).toHaveLength(podTruth.length);
        for (const p of podTruth) {
          const pod = drawn.find((n) => n.data['veth'] === after.links.find((l) => l['ifindex'] === p.hostIfindex)?.['ifname']);
          expect(pod?.data['ips'], p.pod).toEqual([p.ip]);
          expect(pod?.data['ipSources'], p.pod).toEqual([style === 'calico' ? 'route' : 'cni']);
          expect(pod?.label, p.pod).toBe(pods ? `default/${p.pod}` : p.ip);
        }
      }
    });

    test('BGP origins: the node\'s own pod range, as its daemon announces it, and nothing it learned', () => {
      const origins = facts(snap, 'bgpOrigin').map((f) => f.value);
      if (style === 'flannel') expect(origins).toEqual([]);
      else expect(origins).toEqual([{ daemon: node.daemon, family: 'inet', prefix: node.podCidr, nexthop: null }]);
    });
  });
}
