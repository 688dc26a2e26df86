// The evidence root causes are claimed on, from real-shaped facts: daemon readers, underlay links,
// and whose end of a session each peer address is (IPv6 too, where Kubernetes lists only IPv4).
import { makeFact, type ExpectedNode, type Fact } from '@netatlas/wire';
import { describe, expect, it } from 'vitest';
import { gatherEvidence } from './evidence.js';

const addr = (ifname: string, address: string, prefixLen: number): Fact =>
  makeFact('addr', { ifname, family: address.includes(':') ? 'inet6' : 'inet', address, prefixLen, scope: 'global', broadcast: null, label: null, flags: [] });
const session = (peerAddress: string, state: 'established' | 'active'): Fact =>
  makeFact('bgpSession', { daemon: 'bird', name: null, peerAddress, peerAs: 64512, localAddress: null, localAs: 64512, state, since: null, prefixesReceived: null, prefixesAccepted: null, prefixesSent: null, lastError: null, holdTime: null, keepalive: null });
const node = (name: string, addresses: string[]): ExpectedNode => ({
  name, kubernetesName: name, collected: true, addresses, podCidrs: [], ranges: [], ignored: [], vtep: null, style: 'calico', families: ['inet', 'inet6'],
});

describe('gatherEvidence', () => {
  it("maps a session's IPv6 peer address to its node although Kubernetes lists only the node's IPv4 address", () => {
    const state = new Map<string, Fact[]>([
      ['a', [addr('eth0', '172.20.0.11', 24), addr('eth0', 'fd00:20::11', 64), session('172.20.0.12', 'established'), session('fd00:20::12', 'active')]],
      ['b', [addr('eth0', '172.20.0.12', 24), addr('eth0', 'fd00:20::12', 64)]],
    ]);
    const ev = gatherEvidence(state, [node('a', ['172.20.0.11']), node('b', ['172.20.0.12'])]);
    expect(ev.sessionsDown.map((s) => [s.node, s.peerAddress, s.peerNode])).toEqual([['a', 'fd00:20::12', 'b']]);
    expect(ev.nodes.find((n) => n.node === 'b')?.sessionsToIt).toEqual({ established: 1, down: 1, downBy: ['a'] });
  });

  it('an address two nodes hold names neither (a service IP on every node)', () => {
    const state = new Map<string, Fact[]>([
      ['a', [addr('eth0', '172.20.0.11', 24), addr('kube-dummy-if', '10.96.0.1', 32), session('10.96.0.1', 'active')]],
      ['b', [addr('eth0', '172.20.0.12', 24), addr('kube-dummy-if', '10.96.0.1', 32)]],
    ]);
    expect(gatherEvidence(state, [node('a', ['172.20.0.11']), node('b', ['172.20.0.12'])]).sessionsDown[0]?.peerNode).toBeNull();
  });
});
