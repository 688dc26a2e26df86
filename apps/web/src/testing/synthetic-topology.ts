// A synthetic cluster topology of any size, shaped like what deriveTopology gives for a
// kube-router cluster (hosts, kube-bridge, a veth and a pod per pod, one underlay subnet, an iBGP
// full mesh and a route to every other node's pod CIDR). For layout tests and for measuring the
// canvas at 200 × 50 (`#/topology?synthetic=200x50`). Sorted by id like the API's answer.
import type { TopoEdge, TopoNode, Topology } from '@netatlas/wire/core';

export interface SyntheticOptions {
  hosts: number;
  podsPerHost: number;
  /** full-mesh BGP sessions and routes between every pair of hosts (default true) */
  mesh?: boolean;
  /** host indexes (1-based) whose sessions are down */
  bgpDown?: readonly number[];
}

export const syntheticHostName = (i: number, width = 3): string => `node${String(i).padStart(width, '0')}`;
const nodeIp = (i: number): string => `172.20.${Math.floor(i / 250)}.${(i % 250) + 2}`;
const podCidr = (i: number): string => `10.${200 + Math.floor(i / 256)}.${i % 256}.0/24`;
const podIp = (i: number, p: number): string => `10.${200 + Math.floor(i / 256)}.${i % 256}.${p + 2}`;

export function syntheticPod(host: string, hostIndex: number, p: number): { veth: TopoNode; pod: TopoNode; edge: TopoEdge } {
  const ifname = `veth${String(hostIndex).padStart(4, '0')}${String(p).padStart(4, '0')}`;
  const vid = `veth:${host}/${ifname}`;
  const pid = `pod:${host}/${ifname}`;
  const ip = podIp(hostIndex, p);
  return {
    veth: { id: vid, type: 'veth', host, parent: `bridge:${host}/kube-bridge`, label: ifname, data: { ifname, mtu: 1500 } },
    pod: { id: pid, type: 'pod', host, parent: vid, label: ip, data: { ips: [ip], veth: ifname, bridge: 'kube-bridge' } },
    edge: { id: `veth:${vid}->${pid}`, type: 'veth', source: vid, target: pid, data: {} },
  };
}

export function syntheticTopology(options: SyntheticOptions): Topology {
  const { hosts, podsPerHost } = options;
  const mesh = options.mesh ?? true;
  const down = new Set(options.bgpDown ?? []);
  const width = Math.max(3, String(hosts).length);
  const nodes: TopoNode[] = [];
  const edges: TopoEdge[] = [];
  const subnet = 'subnet:172.20.0.0/16';
  nodes.push({ id: subnet, type: 'subnet', host: null, parent: null, label: '172.20.0.0/16', data: { cidr: '172.20.0.0/16', family: 'inet' } });
  for (let i = 1; i <= hosts; i++) {
    const name = syntheticHostName(i, width);
    const hid = `host:${name}`;
    nodes.push({
      id: hid,
      type: 'host',
      host: null,
      parent: null,
      label: name,
      data: { cniStyle: 'kube-router', hostname: name, kernel: '6.1.0', nodeIps: [`${nodeIp(i)}/16`], podCidrs: [podCidr(i)] },
    });
    nodes.push({ id: `bridge:${name}/kube-bridge`, type: 'bridge', host: name, parent: hid, label: 'kube-bridge', data: { ifname: 'kube-bridge' } });
    for (let p = 0; p < podsPerHost; p++) {
      const { veth, pod, edge } = syntheticPod(name, i, p);
      nodes.push(veth, pod);
      edges.push(edge);
    }
    edges.push({ id: `underlay:${hid}->${subnet}`, type: 'underlay', source: hid, target: subnet, data: { subnet: '172.20.0.0/16' } });
    if (!mesh) continue;
    for (let j = 1; j <= hosts; j++) {
      if (j === i) continue;
      const peer = syntheticHostName(j, width);
      const state = down.has(i) || down.has(j) ? 'active' : 'established';
      edges.push({
        id: `bgp:${hid}->host:${peer}#gobgp|${nodeIp(j)}`,
        type: 'bgp',
        source: hid,
        target: `host:${peer}`,
        data: {
          daemon: 'gobgp',
          name: null,
          state,
          peerAddress: nodeIp(j),
          peerAs: 64512,
          localAddress: nodeIp(i),
          localAs: 64512,
          since: '2026-11-23T14:00:00.000Z',
          prefixes: { received: state === 'established' ? 1 : 0, accepted: state === 'established' ? 1 : 0, sent: null },
          lastError: null,
        },
      });
      if (state === 'established') {
        edges.push({
          id: `route:${hid}->host:${peer}#main|${podCidr(j)}|${nodeIp(j)}|eth0`,
          type: 'route',
          source: hid,
          target: `host:${peer}`,
          data: { table: 'main', dst: podCidr(j), gateway: nodeIp(j), dev: 'eth0', protocol: '17', metric: 0, dstHost: peer, nextHopHost: peer, vtep: null, nextHopMismatch: false },
        });
      }
    }
  }
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return { nodes: nodes.sort(byId), edges: edges.sort(byId) };
}
