import { describe, expect, test } from 'vitest';
import { birdProtocolName, birdProtocolPeer, renderBirdConfig } from './bird.js';
import { parseArgs, parseIpv6 } from './cli.js';
import { renderFrrConfigs } from './frr.js';
import { parseRibPaths, renderGobgpConfig } from './gobgp.js';
import {
  CALICO_GATEWAY6,
  checkLabName,
  daemonFor,
  defaultDaemon,
  hostVethName,
  nodeIp6,
  parseDaemons,
  planNode,
  podCidr,
  podCidr6,
  resolveNodeName,
  vtepMac,
} from './plan.js';
import { shapeNamed } from './shapes.js';
import { calicoIpv6, calicoPeers, collectorArgs, isLearnedRoute } from './speakers.js';
import type { LabState } from './state.js';
import { calico } from './styles/calico.js';

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

// What BIRD configs of IPv4-only labs were before dual stack came (rendered by the code of commit
// 010f27a): `up` without --ipv6 must still write them byte for byte.
const MESH_BEFORE_DUAL_STACK = `# written by the netatlas lab (Calico style)
router id 172.20.0.11;
log "/x/bird.log" { info, remote, warning, error, auth, fatal, bug };

protocol device { scan time 10; }

# Like Calico: keep routes in the kernel if BIRD stops (persist), program learned routes.
protocol kernel {
  ipv4 {
    import none;
    export where source = RTS_BGP || proto = "static_block";
  };
  persist;
  scan time 2;
  merge paths on;
}

protocol static static_block {
  ipv4;
  route 10.48.0.64/26 blackhole;
}

template bgp calico_peer {
  local 172.20.0.11 as 64512;
  direct;
  hold time 9;
  keepalive time 3;
  connect retry time 2;
  error wait time 1, 10;
  ipv4 {
    import all;
    export where proto = "static_block";
    next hop self;
    gateway direct;
  };
}

protocol bgp Mesh_172_20_0_12 from calico_peer {
  neighbor 172.20.0.12 as 64512;
}

protocol bgp Mesh_172_20_0_13 from calico_peer {
  neighbor 172.20.0.13 as 64512;
}
`;
const REFLECTOR_BEFORE_DUAL_STACK = `# written by the netatlas lab (Calico style)
router id 172.20.0.11;
log "/x/bird.log" { info, remote, warning, error, auth, fatal, bug };

protocol device { scan time 10; }

# Like Calico: keep routes in the kernel if BIRD stops (persist), program learned routes.
protocol kernel {
  ipv4 {
    import none;
    export where source = RTS_BGP || proto = "static_block";
  };
  persist;
  scan time 2;
  merge paths on;
}

protocol static static_block {
  ipv4;
  route 10.48.0.64/26 blackhole;
}

template bgp calico_peer {
  local 172.20.0.11 as 64512;
  direct;
  ipv4 {
    import all;
    export where source = RTS_BGP || proto = "static_block";
    # reflector: next hops are passed on unchanged
    gateway direct;
  };
}

protocol bgp Node_172_20_0_12 from calico_peer {
  neighbor 172.20.0.12 as 64512;
  rr client;
}
`;

/** A calico lab's state as `up --ipv6 --ipv6-except 3 --ipv6-only-pods 2` records it (no I/O). */
function dualStackState(nodes: number, routeReflector: number | null = null): LabState {
  const ipv6 = { except: [3], onlyPods: [2] };
  return {
    name: 'h6u',
    style: 'calico',
    timers: 'lab',
    routeReflector,
    ipv6,
    podsPerNode: 1,
    createdAt: '2026-12-06T00:00:00.000Z',
    nextIndex: nodes + 1,
    nodes: Array.from({ length: nodes }, (_, k) => ({
      ...planNode('h6u', 'calico', k + 1, 1, { ipv6: !ipv6.except.includes(k + 1), ipv6OnlyPods: ipv6.onlyPods.includes(k + 1) }),
      state: 'up' as const,
      bgp: 'running' as const,
      daemon: 'bird' as const,
    })),
  };
}

describe('dual stack (up --ipv6)', () => {
  test('IPv6 underlay addresses and /122 blocks: one per node, distinct, in the pool, readable like the IPv4 ones', () => {
    expect(nodeIp6(1)).toBe('fd00:20::11');
    expect(nodeIp6(12)).toBe('fd00:20::22');
    expect(podCidr6(1)).toBe('fd00:48:0:1::/122');
    expect(podCidr6(240)).toBe('fd00:48:0:240::/122');
    const all = Array.from({ length: 240 }, (_, i) => [nodeIp6(i + 1), podCidr6(i + 1)]);
    expect(new Set(all.map((x) => x[0])).size).toBe(240);
    expect(new Set(all.map((x) => x[1])).size).toBe(240);
    for (const [, cidr] of all) expect(cidr).toMatch(/^fd00:48:0:[0-9]+::\/122$/);
  });

  test('pods: an IPv4 and an IPv6 address from the blocks, IPv6 only on an --ipv6-only-pods node, IPv4 only without IPv6', () => {
    const dual = planNode('lab', 'calico', 1, 3, { ipv6: true, ipv6OnlyPods: false });
    expect(dual.underlayIp6).toBe('fd00:20::11');
    expect(dual.podCidr6).toBe('fd00:48:0:1::/122');
    expect(dual.pods.map((p) => [p.ip, p.ip6])).toEqual([
      ['10.48.0.65', 'fd00:48:0:1::1'],
      ['10.48.0.66', 'fd00:48:0:1::2'],
      ['10.48.0.67', 'fd00:48:0:1::3'],
    ]);
    // hex, like every IPv6 address: the 60th pod of a /122 (64 addresses)
    expect(planNode('lab', 'calico', 2, 60, { ipv6: true, ipv6OnlyPods: false }).pods[59]?.ip6).toBe('fd00:48:0:2::3c');
    const only6 = planNode('lab', 'calico', 2, 1, { ipv6: true, ipv6OnlyPods: true });
    expect(only6.podCidr).toBe('10.48.0.128/26'); // the node keeps its IPv4 block (announced, empty)
    expect(only6.pods.map((p) => [p.ip, p.ip6])).toEqual([[null, 'fd00:48:0:2::1']]);
    const none = planNode('lab', 'calico', 3, 1, { ipv6: false, ipv6OnlyPods: false });
    expect([none.underlayIp6, none.podCidr6, none.pods[0]?.ip6]).toEqual([undefined, undefined, undefined]);
    expect(none.pods[0]?.ip).toBe('10.48.0.193');
    // without families a plan is what it always was
    expect(planNode('lab', 'calico', 3, 1)).toEqual(none);
    expect(() => planNode('lab', 'flannel', 1, 1, { ipv6: true, ipv6OnlyPods: false })).toThrow(/calico/);
    expect(() => planNode('lab', 'calico', 1, 1, { ipv6: false, ipv6OnlyPods: true })).toThrow(/IPv6-only pods need IPv6/);
    expect(CALICO_GATEWAY6).toBe('fe80::ecee:eeff:feee:eeee');
  });

  test('without --ipv6 the BIRD config is byte for byte what it was', () => {
    const mesh = renderBirdConfig({
      routerId: '172.20.0.11', block: '10.48.0.64/26', peers: [{ ip: '172.20.0.12' }, { ip: '172.20.0.13' }],
      mesh: true, isReflector: false, timers: 'lab', logFile: '/x/bird.log',
    });
    expect(mesh).toBe(MESH_BEFORE_DUAL_STACK);
    const rr = renderBirdConfig({
      routerId: '172.20.0.11', block: '10.48.0.64/26', peers: [{ ip: '172.20.0.12', rrClient: true }],
      mesh: false, isReflector: true, timers: 'default', logFile: '/x/bird.log',
    });
    expect(rr).toBe(REFLECTOR_BEFORE_DUAL_STACK);
  });

  test('a dual-stack BIRD: the IPv4 half unchanged, and an IPv6 kernel protocol, static block and sessions over IPv6 named like Calico\'s', () => {
    const base = {
      routerId: '172.20.0.11', block: '10.48.0.64/26', peers: [{ ip: '172.20.0.12' }, { ip: '172.20.0.13' }],
      mesh: true, isReflector: false, timers: 'lab' as const, logFile: '/x/bird.log',
    };
    const conf = renderBirdConfig({ ...base, ipv6: { address: 'fd00:20::11', block: 'fd00:48:0:1::/122', peers: [{ ip: 'fd00:20::12' }] } });
    expect(conf.startsWith(MESH_BEFORE_DUAL_STACK)).toBe(true);
    const v6 = conf.slice(MESH_BEFORE_DUAL_STACK.length);
    expect(v6).toContain('protocol kernel kernel6 {\n  ipv6 {\n    import none;\n    export where source = RTS_BGP || proto = "static_block6";');
    expect(v6).toContain('protocol static static_block6 {\n  ipv6;\n  route fd00:48:0:1::/122 blackhole;\n}');
    expect(v6).toContain('template bgp calico_peer6 {\n  local fd00:20::11 as 64512;\n  direct;\n  hold time 9;');
    expect(v6).toContain('    export where proto = "static_block6";\n    next hop self;\n    gateway direct;');
    expect(v6).toContain('protocol bgp Mesh_fd00_20__12 from calico_peer6 {\n  neighbor fd00:20::12 as 64512;\n}');
    expect(v6).not.toContain('Mesh_fd00_20__13'); // a peer without IPv6 gets no IPv6 session
    const rr = renderBirdConfig({ ...base, mesh: false, isReflector: true, peers: [{ ip: '172.20.0.12', rrClient: true }],
      ipv6: { address: 'fd00:20::11', block: 'fd00:48:0:1::/122', peers: [{ ip: 'fd00:20::12', rrClient: true }] } });
    expect(rr).toContain('protocol bgp Node_fd00_20__12 from calico_peer6 {\n  neighbor fd00:20::12 as 64512;\n  rr client;\n}');
    expect(rr).toContain('    export where source = RTS_BGP || proto = "static_block6";\n    # reflector');
  });

  test('protocol names map back to their peer, IPv4 or IPv6', () => {
    for (const ip of ['172.20.0.12', 'fd00:20::12', 'fd00:20::1', '2001:db8:0:1::1']) {
      expect(birdProtocolPeer(birdProtocolName(ip, true))).toBe(ip);
      expect(birdProtocolPeer(birdProtocolName(ip, false))).toBe(ip);
    }
    expect(birdProtocolName('fd00:20::12', true)).toBe('Mesh_fd00_20__12');
    expect(birdProtocolPeer('static_block')).toBeNull();
  });

  test('IPv6 sessions only between nodes that both have IPv6; the routes each node must hold, per family', () => {
    const s = dualStackState(4);
    const [n1, n2, n3, n4] = s.nodes as [LabState['nodes'][0], LabState['nodes'][0], LabState['nodes'][0], LabState['nodes'][0]];
    expect(calicoIpv6(s, n1)).toEqual({ address: 'fd00:20::11', block: 'fd00:48:0:1::/122', peers: [{ ip: 'fd00:20::12' }, { ip: 'fd00:20::14' }] });
    expect(calicoIpv6(s, n3)).toBeUndefined();
    expect(calicoPeers(s, n3).peers.map((p) => p.ip)).toEqual(['172.20.0.11', '172.20.0.12', '172.20.0.14']);
    expect([...calico.podRoutes(s, n1)]).toEqual([
      ['10.48.0.128/26', '172.20.0.12'],
      ['fd00:48:0:2::/122', 'fd00:20::12'],
      ['10.48.0.192/26', '172.20.0.13'],
      ['10.48.1.0/26', '172.20.0.14'],
      ['fd00:48:0:4::/122', 'fd00:20::14'],
    ]);
    expect([...calico.podRoutes(s, n3).keys()]).toEqual(['10.48.0.64/26', '10.48.0.128/26', '10.48.1.0/26']);
    // a stopped daemon takes both families away
    n4.bgp = 'stopped';
    expect([...calico.podRoutes(s, n2).keys()]).toEqual(['10.48.0.64/26', 'fd00:48:0:1::/122', '10.48.0.192/26']);
    // with a route reflector (node 1), clients peer over IPv6 with it alone
    const rr = dualStackState(4, 1);
    expect(calicoIpv6(rr, rr.nodes[0]!)?.peers).toEqual([{ ip: 'fd00:20::12', rrClient: true }, { ip: 'fd00:20::14', rrClient: true }]);
    expect(calicoIpv6(rr, rr.nodes[1]!)?.peers).toEqual([{ ip: 'fd00:20::11' }]);
  });

  test('--ipv6, --ipv6-except and --ipv6-only-pods', () => {
    expect(parseIpv6(parseArgs(['up', '--ipv6', '--ipv6-except', '3', '--ipv6-only-pods', '2,4']))).toEqual({ except: [3], onlyPods: [2, 4] });
    expect(parseIpv6(parseArgs(['up', '--ipv6']))).toEqual({ except: [], onlyPods: [] });
    expect(parseIpv6(parseArgs(['up', '--style', 'calico']))).toBeNull();
    expect(() => parseIpv6(parseArgs(['up', '--ipv6-except', '3']))).toThrow(/need --ipv6/);
    expect(() => parseIpv6(parseArgs(['up', '--ipv6=3']))).toThrow(/no value/);
    expect(() => parseIpv6(parseArgs(['up', '--ipv6', '--ipv6-only-pods', 'x']))).toThrow(/not a node index/);
  });

  test('SHAPES calico-dual: 4 BIRD nodes, node 3 without IPv6, node 2 with IPv6-only pods', () => {
    const shape = shapeNamed('calico-dual');
    const args = parseArgs(['up', ...shape.up]);
    expect(args.flags.get('style')).toBe('calico');
    expect(args.flags.get('nodes')).toBe(String(shape.nodes));
    expect(parseIpv6(args)).toEqual({ except: [3], onlyPods: [2] });
    expect([1, 2, 3, 4].map((i) => shape.daemons(i))).toEqual(['bird', 'bird', 'bird', 'bird']);
  });
});
