import { describe, expect, test } from 'vitest';
import { birdProtocolName, renderBirdConfig } from './bird.js';
import { parseArgs } from './cli.js';
import { renderFrrConfigs } from './frr.js';
import { parseRibPaths, renderGobgpConfig } from './gobgp.js';
import { checkLabName, daemonFor, defaultDaemon, hostVethName, parseDaemons, planNode, podCidr, resolveNodeName, vtepMac } from './plan.js';
import { collectorArgs, isLearnedRoute } from './speakers.js';

describe('addressing plan', () => {
  test('pod CIDRs per style do not overlap between nodes', () => {
    for (const style of ['kube-router', 'calico', 'flannel'] as const) {
      const cidrs = Array.from({ length: 240 }, (_, i) => podCidr(style, i + 1));
      expect(new Set(cidrs).size).toBe(240);
    }
    expect(podCidr('calico', 1)).toBe('10.48.0.64/26');
    expect(podCidr('calico', 4)).toBe('10.48.1.0/26');
    expect(podCidr('kube-router', 2)).toBe('10.233.2.0/24');
  });

  test('pods get addresses inside their node CIDR, after the gateway on bridge styles', () => {
    const kr = planNode('lab', 'kube-router', 2, 3);
    expect(kr.bridgeIp).toBe('10.233.2.1');
    expect(kr.pods.map((p) => p.ip)).toEqual(['10.233.2.2', '10.233.2.3', '10.233.2.4']);
    const ca = planNode('lab', 'calico', 3, 2);
    expect(ca.bridgeIp).toBeNull();
    expect(ca.pods.map((p) => p.ip)).toEqual(['10.48.0.193', '10.48.0.194']);
    const fl = planNode('lab', 'flannel', 5, 1);
    expect(fl.vtepIp).toBe('10.244.5.0');
    expect(fl.vtepMac).toBe(vtepMac(5));
  });

  test('host veth names follow the CNIs and fit IFNAMSIZ', () => {
    expect(hostVethName('calico', 'x-node1-pod1')).toMatch(/^cali[0-9a-f]{11}$/);
    expect(hostVethName('flannel', 'x-node1-pod1')).toMatch(/^veth[0-9a-f]{8}$/);
    expect(hostVethName('calico', 'a')).not.toBe(hostVethName('calico', 'b'));
  });

  test('lab names are prefix-safe and node names resolve', () => {
    expect(() => checkLabName('my-lab')).toThrow(/invalid lab name/);
    expect(() => checkLabName('Lab')).toThrow();
    expect(checkLabName('lab2')).toBe('lab2');
    expect(resolveNodeName('lab', '2')).toBe('lab-node2');
    expect(resolveNodeName('lab', 'node7')).toBe('lab-node7');
    expect(resolveNodeName('lab', 'lab-node3')).toBe('lab-node3');
  });

  test('limits are enforced with a clear message', () => {
    expect(() => planNode('lab', 'flannel', 0, 1)).toThrow(/out of range/);
    expect(() => planNode('lab', 'flannel', 1, 61)).toThrow(/--pods/);
  });
});

describe('daemon configuration', () => {
  test('BIRD mesh config names peers like Calico and carries lab timers', () => {
    const conf = renderBirdConfig({
      routerId: '172.20.0.11',
      block: '10.48.0.64/26',
      peers: [{ ip: '172.20.0.12' }],
      mesh: true,
      isReflector: false,
      timers: 'lab',
      logFile: '/tmp/x.log',
    });
    expect(conf).toContain('protocol bgp Mesh_172_20_0_12 from calico_peer');
    expect(conf).toContain('route 10.48.0.64/26 blackhole;');
    expect(conf).toContain('hold time 9;');
    expect(conf).toContain('direct;');
    expect(birdProtocolName('10.0.0.1', false)).toBe('Node_10_0_0_1');
  });

  test('BIRD variants: a block announced without its blackhole, a node that installs nothing, a block announced for another node', () => {
    const base = { routerId: '172.20.0.12', block: '10.48.0.128/26', peers: [], mesh: true, isReflector: false, timers: 'lab' as const, logFile: '/x' };
    expect(renderBirdConfig(base)).toContain('export where source = RTS_BGP || proto = "static_block";');
    // the block stays in BIRD's table (so it is exported to BGP) but not in the kernel
    const noBlackhole = renderBirdConfig({ ...base, installBlock: false });
    expect(noBlackhole).toContain('export where source = RTS_BGP || (proto = "static_block" && net != 10.48.0.128/26);');
    expect(noBlackhole).toContain('route 10.48.0.128/26 blackhole;');
    expect(renderBirdConfig({ ...base, installBlock: false, installLearned: false })).toContain('    export none;');
    const also = renderBirdConfig({ ...base, extraRoutes: [{ prefix: '10.48.0.192/26', via: '172.20.0.13' }] });
    expect(also).toContain('  route 10.48.0.192/26 via 172.20.0.13;\n}');
  });

  test('default timers leave the daemons their own', () => {
    const bird = renderBirdConfig({
      routerId: '1.1.1.1', block: '10.48.0.64/26', peers: [], mesh: true, isReflector: false, timers: 'default', logFile: '/x',
    });
    expect(bird).not.toContain('hold time');
    const gobgp = renderGobgpConfig({ routerId: '1.1.1.1', peers: ['1.1.1.2'], timers: 'default' });
    expect(gobgp).not.toContain('hold-time');
    expect(renderGobgpConfig({ routerId: '1.1.1.1', peers: ['1.1.1.2'], timers: 'lab' })).toContain('hold-time = 9');
  });

  test('GoBGP RIB and monitor JSON flatten to prefix, next hop and flags', () => {
    const rib = parseRibPaths({
      '10.233.2.0/24': [
        { nlri: { prefix: '10.233.2.0/24' }, best: true, attrs: [{ type: 1 }, { type: 3, nexthop: '172.20.0.12' }] },
      ],
    });
    expect(rib).toEqual([{ prefix: '10.233.2.0/24', nexthop: '172.20.0.12', best: true, withdrawal: false }]);
    const mon = parseRibPaths([{ nlri: { prefix: '10.233.3.0/24' }, withdrawal: true, attrs: [] }]);
    expect(mon[0]?.withdrawal).toBe(true);
  });
});

describe('cli arguments', () => {
  test('flags with values, boolean flags and positionals', () => {
    const a = parseArgs(['up', '--style', 'calico', '--nodes=3', '--route-reflector', '--name', 'x']);
    expect(a.command).toBe('up');
    expect(a.flags.get('style')).toBe('calico');
    expect(a.flags.get('nodes')).toBe('3');
    expect(a.flags.get('route-reflector')).toBe(true);
    const b = parseArgs(['del-route', 'node1', '10.0.0.0/24']);
    expect(b.positional).toEqual(['node1', '10.0.0.0/24']);
    expect(() => parseArgs(['up', '--style'])).toThrow(/needs a value/);
  });
});

describe('mixed daemons', () => {
  test('--daemons cycles over the nodes; without it each style keeps its own', () => {
    const d = parseDaemons('bird,gobgp,frr,bird');
    expect([1, 2, 3, 4, 5, 6].map((i) => daemonFor(d, i))).toEqual(['bird', 'gobgp', 'frr', 'bird', 'bird', 'gobgp']);
    expect(() => parseDaemons('bird,quagga')).toThrow(/not: quagga/);
    expect(() => parseDaemons('')).toThrow(/--daemons/);
    expect([defaultDaemon('calico'), defaultDaemon('kube-router'), defaultDaemon('flannel')]).toEqual(['bird', 'gobgp', null]);
  });

  test('each daemon is read by the collector flag that names its socket or API', () => {
    expect(collectorArgs({ daemon: 'bird', socket: '/s/bird.ctl' })).toEqual(['--bird-socket', '/s/bird.ctl']);
    expect(collectorArgs({ daemon: 'gobgp', api: '127.0.0.1:50051' })).toEqual(['--gobgp-api', '127.0.0.1:50051']);
    expect(collectorArgs({ daemon: 'frr', vtySocket: '/s/frr' })).toEqual(['--frr-vty-socket', '/s/frr']);
    expect(collectorArgs(null)).toEqual([]);
  });

  test("each daemon's learned routes by their kernel protocol; blackholes are not learned", () => {
    expect(isLearnedRoute('bird', { protocol: 'bird' })).toBe(true);
    expect(isLearnedRoute('bird', { protocol: 'bird', type: 'blackhole' })).toBe(false);
    expect(isLearnedRoute('frr', { protocol: 'bgp' })).toBe(true);
    expect(isLearnedRoute('frr', { protocol: 'static', type: 'blackhole' })).toBe(false);
    expect(isLearnedRoute('gobgp', { protocol: 17 })).toBe(true);
    expect(isLearnedRoute('gobgp', { protocol: 'static', type: 'blackhole' })).toBe(false);
  });

  test('FRR: one config per daemon, the block a blackhole and a network, lab timers, no graceful restart', () => {
    const c = renderFrrConfigs({ routerId: '172.20.0.13', block: '10.48.0.192/26', peers: [{ ip: '172.20.0.11' }], timers: 'lab', logDir: '/d' });
    expect(c.staticd).toContain('ip route 10.48.0.192/26 blackhole');
    expect(c.bgpd).toContain('router bgp 64512');
    expect(c.bgpd).toContain('  network 10.48.0.192/26');
    expect(c.bgpd).toContain(' neighbor 172.20.0.11 remote-as 64512');
    expect(c.bgpd).toContain(' timers bgp 3 9');
    expect(c.bgpd).toContain(' bgp graceful-restart-disable');
    expect(c.zebra).toContain('log file /d/zebra.log');
    expect(c.zebra).not.toContain('router bgp');
  });
});
