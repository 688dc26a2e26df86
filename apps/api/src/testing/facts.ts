// Facts for API tests, built through the shared makeFact so their keys are the real ones.
import { makeFact, type BgpState, type Fact } from '@netatlas/wire';

export function route(dst: string, gateway: string | null = '172.20.0.11', dev = 'eth0', extra: { metric?: number; protocol?: string } = {}): Fact {
  return makeFact('route', {
    table: 'main',
    family: dst.includes(':') ? 'inet6' : 'inet',
    dst,
    type: 'unicast',
    protocol: extra.protocol ?? 'static',
    scope: gateway ? 'global' : 'link',
    gateway,
    dev,
    prefsrc: null,
    metric: extra.metric ?? 0,
    tos: 0,
    flags: [],
    nexthops: [],
  });
}

export function neigh(address: string, lladdr: string | null, state = 'REACHABLE', dev = 'eth0'): Fact {
  return makeFact('neigh', { dev, family: 'inet', address, lladdr, state: [state], router: false, proxy: false });
}

export function member(set: string, element: string): Fact {
  return makeFact('ipsetMember', { set, element, timeout: null, comment: null });
}

export function bgpSession(peerAddress: string, state: BgpState): Fact {
  return makeFact('bgpSession', {
    daemon: 'gobgp',
    name: null,
    peerAddress,
    peerAs: 64512,
    localAddress: null,
    localAs: 64512,
    state,
    since: null,
    prefixesReceived: null,
    prefixesAccepted: null,
    prefixesSent: null,
    lastError: null,
    holdTime: null,
    keepalive: null,
  });
}
