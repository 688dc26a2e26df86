// What the kernel of each lab node must hold, written from the design (DESIGN.md, "The networks it
// must understand") and the lab's status, in the same one-line form as ground-truth.ts reads.
import type { LabStatus, NodeStatus } from '../lab.js';

function base(): string[] {
  return ['unicast default via 172.20.0.1 dev eth0 proto boot', 'unicast 172.20.0.0/24 via - dev eth0 proto kernel'];
}

function vtep(n: NodeStatus): string {
  return n.podCidr.replace(/\/24$/, '');
}

/**
 * `reachable` lists the other nodes whose pod CIDR this node must route to (BGP styles: those
 * whose daemon announces; flannel: every node Kubernetes still knows).
 */
export function expectedMainTable(s: LabStatus, n: NodeStatus, reachable: NodeStatus[]): string[] {
  const lines = base();
  const others = reachable.filter((o) => o.name !== n.name);
  switch (s.style) {
    case 'kube-router':
      lines.push(`unicast ${n.podCidr} via - dev kube-bridge proto kernel`);
      for (const o of others) lines.push(`unicast ${o.podCidr} via ${o.underlayIp} dev eth0 proto 17`);
      break;
    case 'calico':
      lines.push(`blackhole ${n.podCidr} via - dev - proto bird`);
      for (const p of n.pods) if (p.ip !== null) lines.push(`unicast ${p.ip}/32 via - dev ${p.hostVeth} proto boot`);
      for (const o of others) lines.push(`unicast ${o.podCidr} via ${o.underlayIp} dev eth0 proto bird`);
      break;
    case 'flannel':
      lines.push(`unicast ${n.podCidr} via - dev cni0 proto kernel`);
      for (const o of others) lines.push(`unicast ${o.podCidr} via ${vtep(o)} dev flannel.1 proto boot onlink`);
      break;
  }
  return lines.sort();
}

/**
 * The IPv6 main table of a calico node (`up --ipv6`), as mainTable6 reads it: link-local routes
 * on eth0 and every pod veth (every node has them; ::1 is in the local table only); with IPv6,
 * the underlay subnet and default route, the block's blackhole (IPv6 blackholes show `dev lo`), a
 * /128 per IPv6 pod and each reachable IPv6 node's block via its IPv6 address. A node without
 * IPv6 holds link-local routes only.
 */
export function expectedMainTable6(n: NodeStatus, reachable: NodeStatus[]): string[] {
  const lines = ['unicast fe80::/64 via - dev eth0 proto kernel'];
  for (const p of n.pods) lines.push(`unicast fe80::/64 via - dev ${p.hostVeth} proto kernel`);
  if (n.underlayIp6 && n.podCidr6) {
    lines.push('unicast default via fd00:20::1 dev eth0 proto boot', 'unicast fd00:20::/64 via - dev eth0 proto kernel');
    lines.push(`blackhole ${n.podCidr6} via - dev lo proto bird`);
    for (const p of n.pods) if (p.ip6) lines.push(`unicast ${p.ip6}/128 via - dev ${p.hostVeth} proto boot`);
    for (const o of reachable) {
      if (o.name !== n.name && o.underlayIp6 && o.podCidr6) lines.push(`unicast ${o.podCidr6} via ${o.underlayIp6} dev eth0 proto bird`);
    }
  }
  return lines.sort();
}

export function expectedIpsets(s: LabStatus, n: NodeStatus): Record<string, string[]> {
  const all = s.nodes;
  return {
    'kube-router-pod-subnets': all.map((x) => x.podCidr).sort(),
    'kube-router-node-ips': all.map((x) => x.underlayIp).sort(),
    'kube-router-local-ips': [n.underlayIp, n.podCidr.replace(/0\/24$/, '1')].sort(),
    'kube-router-service-ips': ['10.96.0.1', '10.96.0.10'],
    'kube-router-ipvs-services': ['10.96.0.1,tcp:443', '10.96.0.10,tcp:53', '10.96.0.10,udp:53'],
  };
}
