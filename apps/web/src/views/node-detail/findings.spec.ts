import type { Finding } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { checksOf } from '../../testing/alerts.js';
import { compareFindings, findingCounts, formatDetail, nodeFindings } from './findings.js';

const brief = (fs: readonly Finding[]) => fs.map((f) => [f.type, f.node, f.peer, f.subject]);

describe('findings per node, from /api/checks of real broken labs', () => {
  it('del-route: the node that lost the route has the finding, the peer whose pods it cannot reach sees it as about itself', () => {
    const { response } = checksOf('kube-router-del-route');
    const n1 = nodeFindings(response, 'fxc1-node1');
    expect(brief(n1.own)).toEqual([['route-missing', 'fxc1-node1', 'fxc1-node2', '10.233.2.0/24']]);
    expect(n1.about).toEqual([]);
    const n2 = nodeFindings(response, 'fxc1-node2');
    expect(n2.own).toEqual([]);
    expect(n2.about.map((f) => f.key)).toEqual(['route-missing|fxc1-node1|fxc1-node2|10.233.2.0/24']);
    expect(nodeFindings(response, 'fxc1-node3')).toEqual({ own: [], about: [] });
  });

  it('expected and actual as one line each', () => {
    const [f] = checksOf('kube-router-del-route').response.findings;
    expect(f!.message).toBe("fxc1-node1 has no route to 10.233.2.0/24 (fxc1-node2's pods)");
    expect(formatDetail(f!.expected)).toBe('dst 10.233.2.0/24 via 172.20.0.12');
    expect(formatDetail(f!.actual)).toBe('dst default type unicast protocol boot metric 0 nexthops (gateway 172.20.0.1 dev eth0) note only the default route');
    expect(formatDetail(null)).toBe('—');
    expect(formatDetail({ set: 'kube-router-pod-subnets', member: '10.99.0.0/24' })).toBe('set kube-router-pod-subnets member 10.99.0.0/24');
  });

  it('MTU: nested limits read in parentheses', () => {
    const { response } = checksOf('flannel-mtu');
    const n2 = nodeFindings(response, 'fxc5-node2').own;
    expect(n2.map((f) => f.subject)).toEqual(['flannel.1', 'veth51335c68']);
    const tunnel = n2.find((f) => f.subject === 'flannel.1')!;
    expect(formatDetail(tunnel.expected)).toMatch(/^maxMtu \d+ lower \(ifname \S+ mtu \d+\) encapsulation vxlan overhead \d+$/);
    expect(formatDetail(tunnel.actual)).toMatch(/^ifname flannel\.1 mtu \d+$/);
  });

  it('counts per node for the node list (one /api/checks for all)', () => {
    expect([...findingCounts(checksOf('flannel-mtu').response)]).toEqual([
      ['fxc5-node1', 1],
      ['fxc5-node2', 2],
    ]);
    expect([...findingCounts(checksOf('kube-router-stop-bgp').response)]).toEqual([
      ['fxc2-node1', 1],
      ['fxc2-node3', 1],
    ]);
    expect(findingCounts(checksOf('kube-router-remove-node').response).size).toBe(0);
    expect(findingCounts(null).size).toBe(0);
  });

  it('orders by type (routes, ipsets, MTU), then subject by address', () => {
    const f = (type: Finding['type'], subject: string): Finding => ({ type, node: 'n', peer: null, subject, key: `${type}|n||${subject}`, message: '', expected: null, actual: null, dependsOn: { nodes: ['n'], sessions: [] } });
    const sorted = [f('mtu-mismatch', 'eth0'), f('route-missing', '10.233.10.0/24'), f('ipset-extra', 'set 10.0.0.1'), f('route-missing', '10.233.9.0/24')].sort(compareFindings);
    expect(sorted.map((x) => x.subject)).toEqual(['10.233.9.0/24', '10.233.10.0/24', 'set 10.0.0.1', 'eth0']);
  });
});
