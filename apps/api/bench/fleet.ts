// Simulated kube-router nodes for the API bench. Each node's state is a few small typed arrays (pod
// generations, route gateway variants, neighbor states, service set membership); facts are built
// from them on demand through makeFact, so keys are the real ones and 1000 nodes stay compact.
//
// Per node, shaped like the lab's kube-router nodes (tools/lab/src/styles/kube-router.ts and
// libs/graph/src/fixtures/topology/kube-router.json): links lo, eth0, kube-bridge, kube-dummy-if
// and one veth per pod (master kube-bridge); each pod also has an fdb entry, a neighbor on
// kube-bridge and its veth's two IPv6 routes (fe80::/64, ff00::/8); routes to the pod CIDRs of up
// to 199 other nodes via their node IPs, local and broadcast routes, ~500 ipset members in the five
// kube-router sets, 4 GoBGP sessions and the node fact.
import { factId, makeFact, type Fact, type FactRef, type ReaderStatus } from '@netatlas/wire';

export const POD_SLOTS = 64;
export const PODS = 50;
const REMOTE_ROUTES_MAX = 199;
const ETH0_NEIGHBORS_MAX = 45;
const RING_SET_MAX = 200;
/** cluster services: slots of kube-router-service-ips and kube-router-ipvs-services */
const SERVICE_SLOTS = 80;
const SERVICES_UP = 50;
/** services with a ClusterIP on kube-dummy-if; never removed by the churn */
const FIXED_SERVICES = 20;
const BGP_PEERS = 4;
const NEIGH_STATES = ['REACHABLE', 'STALE', 'DELAY'] as const;
/** the sets whose members the churn adds and removes (the synthetic history uses the same) */
export const CHURN_SETS = ['kube-router-service-ips', 'kube-router-ipvs-services'] as const;

export const READERS: Record<string, ReaderStatus> = {
  links: { status: 'ok', error: null },
  addrs: { status: 'ok', error: null },
  routes: { status: 'ok', error: null },
  neighbors: { status: 'ok', error: null },
  fdb: { status: 'ok', error: null },
  ipsets: { status: 'ok', error: null },
  bird: { status: 'missing', error: 'no BIRD control socket at /var/run/calico/bird.ctl or /run/bird/bird.ctl' },
  gobgp: { status: 'ok', error: null },
  frr: { status: 'missing', error: 'no FRR bgpd answering vtysh' },
  ipvs: { status: 'ok', error: null },
};

// ------------------------------------------------------------------ addressing

/** a 32-bit hash of a few integers (murmur3 finalizer) */
export function mix(a: number, b: number, c = 0): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(c + 0x165667b1, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const hex2 = (n: number) => (n & 255).toString(16).padStart(2, '0');
const macOf = (h: number, salt: number) => `02:${hex2(salt)}:${hex2(h >>> 24)}:${hex2(h >>> 16)}:${hex2(h >>> 8)}:${hex2(h)}`;
const ll6 = (h: number) => `fe80::${(h >>> 16).toString(16)}:${((h >>> 8) & 255).toString(16)}ff:fe${hex2(h >>> 4)}:${(h & 0xffff).toString(16)}`;

export const nodeName = (i: number): string => `bench-node-${String(i).padStart(4, '0')}`;
export const nodeIp = (i: number): string => `172.20.${(i + 2) >> 8}.${(i + 2) & 255}`;
const podNet = (i: number) => `10.${64 + (i >> 8)}.${i & 255}`;
const podCidr = (i: number) => `${podNet(i)}.0/24`;
const podIp = (i: number, slot: number) => `${podNet(i)}.${2 + slot}`;
const nodeMac = (i: number) => macOf(mix(i, 1), 0x10);
const bridgeMac = (i: number) => macOf(mix(i, 2), 0x20);
const serviceIp = (s: number) => `10.96.${s >> 8}.${(s & 255) + 1}`;
const ipvsElement = (s: number) => `${serviceIp(s)},tcp:${s % 3 === 0 ? 443 : 8080 + (s % 7)}`;
export const vethName = (i: number, slot: number, gen: number): string => `veth${mix(i, slot, gen).toString(16).padStart(8, '0')}`;
const podMac = (i: number, slot: number, gen: number) => macOf(mix(i, slot, gen ^ 0x5a5a), 0x0a);
const BOOT = (i: number) => `b0070000-0000-4000-8000-${mix(i, 7).toString(16).padStart(12, '0')}`;

// ------------------------------------------------------------------ fact builders

const UP_FLAGS = ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'];

function link(ifname: string, ifindex: number, kind: string, mac: string | null, extra: { master?: string; linkIndex?: number; linkNetnsId?: number; mtu?: number; flags?: string[]; operstate?: string } = {}): Fact {
  return makeFact('link', {
    ifname,
    ifindex,
    kind,
    mtu: extra.mtu ?? 1500,
    mac,
    operstate: extra.operstate ?? 'UP',
    flags: extra.flags ?? UP_FLAGS,
    master: extra.master ?? null,
    link: null,
    linkIndex: extra.linkIndex ?? null,
    linkNetnsId: extra.linkNetnsId ?? null,
    vxlan: null,
    ipip: null,
  });
}

function addr(ifname: string, family: 'inet' | 'inet6', address: string, prefixLen: number, scope: string, label: string | null): Fact {
  return makeFact('addr', { ifname, family, address, prefixLen, scope, broadcast: null, label, flags: [] });
}

function route(
  table: string,
  dst: string,
  dev: string,
  o: { type?: string; protocol?: string; scope?: string; gateway?: string | null; prefsrc?: string | null; metric?: number } = {},
): Fact {
  return makeFact('route', {
    table,
    family: dst.includes(':') ? 'inet6' : 'inet',
    dst,
    type: o.type ?? 'unicast',
    protocol: o.protocol ?? 'kernel',
    scope: o.scope ?? 'global',
    gateway: o.gateway ?? null,
    dev,
    prefsrc: o.prefsrc ?? null,
    metric: o.metric ?? 0,
    tos: 0,
    flags: [],
    nexthops: [],
  });
}

function neigh(dev: string, address: string, lladdr: string | null, state: string, family: 'inet' | 'inet6' = 'inet'): Fact {
  return makeFact('neigh', { dev, family, address, lladdr, state: [state], router: false, proxy: false });
}

function fdb(dev: string, mac: string, master: string | null, state: string | null, flags: string[]): Fact {
  return makeFact('fdb', { dev, mac, master, vlan: null, dst: null, vni: null, port: null, state, flags });
}

function member(set: string, element: string): Fact {
  return makeFact('ipsetMember', { set, element, timeout: 0, comment: null });
}

function ipset(name: string, type: string): Fact {
  return makeFact('ipset', { name, type, family: 'inet', header: { hashsize: 1024, maxelem: 65536, timeout: 0, bucketsize: 12 } });
}

/** A pod's facts: its veth, the fdb entry of its MAC, its neighbor on kube-bridge, its veth's IPv6 routes. */
export function podFacts(i: number, slot: number, gen: number, neighState: string): Fact[] {
  const veth = vethName(i, slot, gen);
  const mac = podMac(i, slot, gen);
  return [
    link(veth, 100 + slot + POD_SLOTS * (gen % 512), 'veth', macOf(mix(i, slot, gen), 0x0e), { master: 'kube-bridge', linkIndex: 2, linkNetnsId: slot + 1 }),
    fdb(veth, mac, 'kube-bridge', null, []),
    neigh('kube-bridge', podIp(i, slot), mac, neighState),
    route('main', 'fe80::/64', veth, { metric: 256 }),
    route('local', 'ff00::/8', veth, { type: 'multicast', metric: 256 }),
  ];
}

// ------------------------------------------------------------------ a node

export interface DeltaBody {
  upserts: Fact[];
  deletes: FactRef[];
}

/** Uniform random integer below n. */
const below = (n: number) => Math.floor(Math.random() * n);

export class SimNode {
  /** seq of the last message sent (heartbeats carry it) */
  seq = 0;
  readonly name: string;
  readonly remoteRoutes: number;
  readonly eth0Neighbors: number;
  readonly ringSet: number;
  readonly podGen = new Uint16Array(POD_SLOTS);
  readonly podUp = new Uint8Array(POD_SLOTS);
  /** per remote route: 0 = via the owner's node IP, 1 = via the next node's (a gateway flip) */
  readonly routeAlt: Uint8Array;
  /** eth0 neighbors, then one per pod slot: index into NEIGH_STATES */
  readonly neighState: Uint8Array;
  /** service-ips slots, then ipvs-services slots */
  readonly serviceUp = new Uint8Array(SERVICE_SLOTS * 2);
  podsUp = 0;

  constructor(
    readonly index: number,
    readonly fleetSize: number,
  ) {
    this.name = nodeName(index);
    this.remoteRoutes = Math.min(fleetSize - 1, REMOTE_ROUTES_MAX);
    this.eth0Neighbors = Math.min(fleetSize - 1, ETH0_NEIGHBORS_MAX);
    this.ringSet = Math.min(fleetSize, RING_SET_MAX);
    this.routeAlt = new Uint8Array(this.remoteRoutes);
    this.neighState = new Uint8Array(this.eth0Neighbors + POD_SLOTS);
    for (let s = 0; s < PODS; s++) this.podUp[s] = 1;
    this.podsUp = PODS;
    for (let s = 0; s < SERVICES_UP; s++) this.serviceUp[s] = this.serviceUp[SERVICE_SLOTS + s] = 1;
    for (let k = 0; k < this.neighState.length; k++) this.neighState[k] = mix(index, k, 3) % NEIGH_STATES.length;
  }

  private other(r: number): number {
    return (this.index + 1 + r) % this.fleetSize;
  }

  private remoteRoute(r: number): Fact {
    const other = this.other(r);
    // the flip: via the next node (as while the owner's BGP session is down), or the default gateway in a 2-node fleet
    const next = (other + 1) % this.fleetSize;
    const gateway = !this.routeAlt[r] ? nodeIp(other) : next === this.index || next === other ? '172.20.0.1' : nodeIp(next);
    return route('main', podCidr(other), 'eth0', { protocol: '17', gateway });
  }

  private eth0Neighbor(k: number): Fact {
    const other = this.other(k);
    return neigh('eth0', nodeIp(other), nodeMac(other), NEIGH_STATES[this.neighState[k]!]!);
  }

  private pod(slot: number): Fact[] {
    return podFacts(this.index, slot, this.podGen[slot]!, NEIGH_STATES[this.neighState[this.eth0Neighbors + slot]!]!);
  }

  private serviceMember(slot: number): Fact {
    return slot < SERVICE_SLOTS ? member(CHURN_SETS[0], serviceIp(slot)) : member(CHURN_SETS[1], ipvsElement(slot - SERVICE_SLOTS));
  }

  /** The node's whole state, as a collector's snapshot holds it (about 1100 facts). */
  facts(): Fact[] {
    const i = this.index;
    const ip = nodeIp(i);
    const bridgeIp = `${podNet(i)}.1`;
    const out: Fact[] = [];
    out.push(
      makeFact('node', { hostname: this.name, kernel: '6.1.0-28-amd64', bootId: BOOT(i), cniStyle: 'kube-router', readers: READERS }),
      link('lo', 1, 'loopback', null, { mtu: 65536, flags: ['LOOPBACK', 'UP', 'LOWER_UP'], operstate: 'UNKNOWN' }),
      link('eth0', 2, 'device', nodeMac(i)),
      link('kube-bridge', 3, 'bridge', bridgeMac(i)),
      link('kube-dummy-if', 4, 'dummy', macOf(mix(i, 4), 0x30), { flags: ['BROADCAST', 'NOARP', 'UP', 'LOWER_UP'], operstate: 'UNKNOWN' }),
      addr('lo', 'inet', '127.0.0.1', 8, 'host', 'lo'),
      addr('lo', 'inet6', '::1', 128, 'host', null),
      addr('eth0', 'inet', ip, 16, 'global', 'eth0'),
      addr('eth0', 'inet6', ll6(mix(i, 1)), 64, 'link', null),
      addr('kube-bridge', 'inet', bridgeIp, 24, 'global', 'kube-bridge'),
      addr('kube-bridge', 'inet6', ll6(mix(i, 2)), 64, 'link', null),
    );
    for (let s = 0; s < FIXED_SERVICES; s++) out.push(addr('kube-dummy-if', 'inet', serviceIp(s), 32, 'global', 'kube-dummy-if'));
    // routes: main, local, IPv6, and the pod CIDRs of other nodes via their node IPs (GoBGP, proto 17)
    out.push(
      route('main', 'default', 'eth0', { protocol: 'boot', gateway: '172.20.0.1' }),
      route('main', '172.20.0.0/16', 'eth0', { scope: 'link', prefsrc: ip }),
      route('main', podCidr(i), 'kube-bridge', { scope: 'link', prefsrc: bridgeIp }),
      route('local', `${ip}/32`, 'eth0', { type: 'local', scope: 'host', prefsrc: ip }),
      route('local', '172.20.255.255/32', 'eth0', { type: 'broadcast', scope: 'link', prefsrc: ip }),
      route('local', `${bridgeIp}/32`, 'kube-bridge', { type: 'local', scope: 'host', prefsrc: bridgeIp }),
      route('local', `${podNet(i)}.255/32`, 'kube-bridge', { type: 'broadcast', scope: 'link', prefsrc: bridgeIp }),
      route('local', '127.0.0.0/8', 'lo', { type: 'local', scope: 'host', prefsrc: '127.0.0.1' }),
      route('local', '127.0.0.1/32', 'lo', { type: 'local', scope: 'host', prefsrc: '127.0.0.1' }),
      route('local', '127.255.255.255/32', 'lo', { type: 'broadcast', scope: 'link', prefsrc: '127.0.0.1' }),
      route('main', 'fe80::/64', 'eth0', { metric: 256 }),
      route('main', 'fe80::/64', 'kube-bridge', { metric: 256 }),
      route('local', 'ff00::/8', 'eth0', { type: 'multicast', metric: 256 }),
      route('local', 'ff00::/8', 'kube-bridge', { type: 'multicast', metric: 256 }),
      route('local', '::1/128', 'lo', { type: 'local' }),
      route('local', `${ll6(mix(i, 1))}/128`, 'eth0', { type: 'local' }),
      route('local', `${ll6(mix(i, 2))}/128`, 'kube-bridge', { type: 'local' }),
    );
    for (let s = 0; s < FIXED_SERVICES; s++) {
      out.push(route('local', `${serviceIp(s)}/32`, 'kube-dummy-if', { type: 'local', scope: 'host', prefsrc: serviceIp(s) }));
    }
    for (let r = 0; r < this.remoteRoutes; r++) out.push(this.remoteRoute(r));
    // neighbors: the gateway, other nodes on eth0, multicast, and (below) one per pod on kube-bridge
    out.push(
      neigh('eth0', '172.20.0.1', '02:42:ac:14:00:01', 'REACHABLE'),
      neigh('lo', '0.0.0.0', '00:00:00:00:00:00', 'NOARP'),
      neigh('eth0', 'ff02::16', '33:33:00:00:00:16', 'NOARP', 'inet6'),
      neigh('kube-bridge', 'ff02::16', '33:33:00:00:00:16', 'NOARP', 'inet6'),
    );
    for (let k = 0; k < this.eth0Neighbors; k++) out.push(this.eth0Neighbor(k));
    // fdb: the multicast entries of eth0 and kube-bridge (one per pod comes with the pod)
    for (const m of ['01:00:5e:00:00:01', '33:33:00:00:00:01', `33:33:ff:${nodeMac(i).slice(9)}`]) out.push(fdb('eth0', m, null, 'permanent', ['self']));
    for (const m of ['01:00:5e:00:00:01', '01:00:5e:00:00:6a', '33:33:00:00:00:01', '33:33:00:00:00:6a']) out.push(fdb('kube-bridge', m, null, 'permanent', ['self']));
    out.push(fdb('kube-bridge', bridgeMac(i), 'kube-bridge', 'permanent', []));
    for (let s = 0; s < POD_SLOTS; s++) if (this.podUp[s]) out.push(...this.pod(s));
    // ipsets and their members
    out.push(
      ipset('kube-router-pod-subnets', 'hash:net'),
      ipset('kube-router-node-ips', 'hash:ip'),
      ipset('kube-router-local-ips', 'hash:ip'),
      ipset(CHURN_SETS[0], 'hash:ip'),
      ipset(CHURN_SETS[1], 'hash:ip,port'),
    );
    for (let k = 0; k < this.ringSet; k++) {
      const n = (i + k) % this.fleetSize;
      out.push(member('kube-router-pod-subnets', podCidr(n)), member('kube-router-node-ips', nodeIp(n)));
    }
    out.push(member('kube-router-local-ips', ip), member('kube-router-local-ips', bridgeIp));
    for (let s = 0; s < SERVICE_SLOTS * 2; s++) if (this.serviceUp[s]) out.push(this.serviceMember(s));
    for (let p = 0; p < BGP_PEERS; p++) {
      const peer = (i + 1 + p * Math.max(1, Math.floor(this.fleetSize / BGP_PEERS))) % this.fleetSize;
      if (peer === i) continue;
      out.push(
        makeFact('bgpSession', {
          daemon: 'gobgp',
          name: null,
          peerAddress: nodeIp(peer),
          peerAs: 64512,
          localAddress: ip,
          localAs: 64512,
          state: 'established',
          since: '2026-11-20T08:00:00.000Z',
          prefixesReceived: this.remoteRoutes,
          prefixesAccepted: this.remoteRoutes,
          prefixesSent: null,
          lastError: null,
          holdTime: 90,
          keepalive: 30,
        }),
      );
    }
    return out;
  }

  /**
   * The next delta: `ops` realistic changes (a neighbor's state moves on, a route's gateway flips,
   * a service IP enters or leaves an ipset, a pod comes or goes = 5 facts), never two changes of
   * one fact. Mutates the node's state.
   */
  nextDelta(ops: number): DeltaBody {
    const upserts: Fact[] = [];
    const deletes: FactRef[] = [];
    const touched = new Set<string>();
    const free = (facts: readonly (Fact | FactRef)[]) => facts.every((f) => !touched.has(factId(f)));
    const take = (facts: readonly (Fact | FactRef)[]) => facts.forEach((f) => touched.add(factId(f)));
    for (let op = 0; op < ops; op++) {
      const roll = Math.random();
      if (roll < 0.4) {
        // a neighbor's state moves on: an eth0 neighbor, or a running pod's neighbor
        const k = below(this.eth0Neighbors + POD_SLOTS);
        const isPod = k >= this.eth0Neighbors;
        if (isPod && !this.podUp[k - this.eth0Neighbors]) continue;
        const before = isPod ? this.pod(k - this.eth0Neighbors)[2]! : this.eth0Neighbor(k);
        if (!free([before])) continue;
        this.neighState[k] = (this.neighState[k]! + 1) % NEIGH_STATES.length;
        const after = isPod ? this.pod(k - this.eth0Neighbors)[2]! : this.eth0Neighbor(k);
        take([after]);
        upserts.push(after);
      } else if (roll < 0.7) {
        if (this.remoteRoutes === 0) continue;
        const r = below(this.remoteRoutes);
        const probe = this.remoteRoute(r);
        if (!free([probe])) continue;
        this.routeAlt[r] = this.routeAlt[r]! ^ 1;
        take([probe]);
        upserts.push(this.remoteRoute(r));
      } else if (roll < 0.92) {
        const s = SERVICE_SLOTS * below(2) + FIXED_SERVICES + below(SERVICE_SLOTS - FIXED_SERVICES);
        const fact = this.serviceMember(s);
        if (!free([fact])) continue;
        take([fact]);
        if (this.serviceUp[s]) deletes.push({ kind: fact.kind, key: fact.key });
        else upserts.push(fact);
        this.serviceUp[s] = this.serviceUp[s] ? 0 : 1;
      } else {
        // a pod goes (its facts deleted) or a new one comes (a new veth name and MAC in a free slot)
        // (removal odds grow with the pod count, so it stays around PODS)
        const remove = this.podsUp === POD_SLOTS || (this.podsUp > 0 && Math.random() < this.podsUp / (2 * PODS));
        let slot = below(POD_SLOTS);
        while (Boolean(this.podUp[slot]) !== remove) slot = (slot + 1) % POD_SLOTS;
        if (remove) {
          const facts = this.pod(slot);
          if (!free(facts)) continue;
          take(facts);
          for (const f of facts) deletes.push({ kind: f.kind, key: f.key });
          this.podUp[slot] = 0;
          this.podsUp -= 1;
        } else {
          this.podGen[slot] = (this.podGen[slot]! + 1) & 0x7fff;
          const facts = this.pod(slot);
          if (!free(facts)) {
            this.podGen[slot] = (this.podGen[slot]! - 1) & 0x7fff;
            continue;
          }
          take(facts);
          upserts.push(...facts);
          this.podUp[slot] = 1;
          this.podsUp += 1;
        }
      }
    }
    return { upserts, deletes };
  }
}
