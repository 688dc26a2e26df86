// The topology (DESIGN.md "Data flow" step 6), derived from every node's current facts: hosts, their
// bridges, tunnels, pod veths and pods, the underlay subnets they share, BGP peerings with their
// state, VXLAN tunnels to remote VTEPs, and node-to-node route edges (host A routes host B's pod
// CIDR via B, or, flagged, via someone else). Pure and deterministic: ids name kernel objects, not
// their state, and the output is sorted by id, so equal inputs give equal output whatever the order
// of the facts. Shared by the API (live patches) and the web app (history, what-if).
//
// Cost: one pass over each host's facts into per-host indexes, a map from address to owning host
// and one from pod CIDR to host; a route is matched by masking its destination at each pod-CIDR
// prefix length that exists (two or three lengths in practice), never by scanning hosts.
import type {
  AddrValue,
  BgpEdgeData,
  BgpSessionValue,
  CniStyle,
  Fact,
  FdbValue,
  HostData,
  HostRelations,
  IpsetMemberValue,
  CniAddrValue,
  IpsetValue,
  LinkValue,
  NeighValue,
  Nexthop,
  NodeValue,
  RouteEdgeData,
  RouteValue,
  TopoEdge,
  TopoNode,
  Topology,
  TopologyForm,
  TopologyPatch,
} from '@netatlas/wire/core';
import { cniStyleOf } from './cni-style.js';
import { TUNNEL_KINDS } from './link-kinds.js';
import { jsonEqual } from './delta.js';
import {
  formatIp,
  formatPrefix,
  ipKey,
  isGroupMac,
  isUnicastGlobal,
  addrKey,
  v4Number,
  mask,
  maxLen,
  parseIp,
  parsePrefix,
  prefixKey,
  type Ip,
  type IpKey,
  type Prefix,
} from './topology-ip.js';

export type TopologyInput = ReadonlyMap<string, Iterable<Fact>> | Readonly<Record<string, readonly Fact[]>>;

export interface DeriveTopologyOptions {
  /**
   * Pod CIDRs by node name (Kubernetes `Node.spec.podCIDRs`). A node named here takes these instead
   * of the ones detected from its devices and routes.
   */
  podCidrs?: ReadonlyMap<string, readonly string[]> | Readonly<Record<string, readonly string[]>>;
  /**
   * Kubernetes pods by pod IP: a pod seen with one of these addresses is labelled `namespace/name`
   * and carries `data.k8s` (only for "now": a past moment's pods may have had other IPs).
   */
  pods?: ReadonlyMap<string, PodName>;
  /** the compact form (TopologyForm): healthy host-to-host edges counted in the hosts' `data.relations`, not listed */
  compact?: boolean;
}

/** The API sends the compact form from this many hosts on (the web draws every healthy edge only up to 40). */
export const COMPACT_FROM_HOSTS = 41;
/** How many of the hosts a host has no route into its `relations.routes.missing` names. */
export const MISSING_LISTED = 8;

export const topologyFormFor = (hostCount: number, compactFrom = COMPACT_FROM_HOSTS): TopologyForm => (hostCount >= compactFrom ? 'compact' : 'full');

export interface PodName {
  namespace: string;
  name: string;
}

export { TUNNEL_KINDS } from './link-kinds.js';

/** Bridges that hold pods by name, even before their first pod (kube-router, the bridge CNI plugin / flannel). */
const POD_BRIDGE_NAMES: ReadonlySet<string> = new Set(['kube-bridge', 'cni0']);

// ------------------------------------------------------------------ ids

export const hostId = (node: string): string => `host:${node}`;
export const bridgeId = (node: string, ifname: string): string => `bridge:${node}/${ifname}`;
export const tunnelId = (node: string, ifname: string): string => `tunnel:${node}/${ifname}`;
export const vethId = (node: string, ifname: string): string => `veth:${node}/${ifname}`;
export const podId = (node: string, vethIfname: string): string => `pod:${node}/${vethIfname}`;
export const subnetId = (cidr: string): string => `subnet:${cidr}`;
export const externalId = (ip: string): string => `external:${ip}`;
export const vtepId = (ip: string): string => `vtep:${ip}`;
export const edgeId = (type: TopoEdge['type'], source: string, target: string, qualifier?: string): string =>
  `${type}:${source}->${target}${qualifier === undefined ? '' : `#${qualifier}`}`;

// ------------------------------------------------------------------ per-host indexes

export interface AddrInfo {
  ifname: string;
  ip: Ip;
  len: number;
  /** `ip/len` as the kernel printed it */
  text: string;
}

/**
 * One host's facts indexed once, for the topology and the expected-state checks (checks.ts): its
 * style, addresses, pod CIDRs, underlay, pod veths, tunnels, and its neighbor and fdb tables.
 */
export interface Host {
  name: string;
  id: string;
  facts: Fact[];
  node: NodeValue | null;
  links: Map<string, LinkValue>;
  addrs: AddrValue[];
  /** every route but those of the `local` table */
  routes: RouteValue[];
  neighs: NeighValue[];
  fdb: FdbValue[];
  sessions: BgpSessionValue[];
  ipsets: IpsetValue[];
  ipsetMembers: IpsetMemberValue[];
  /** the addresses the node's CNI files record, by the host-side interface their result names (a pod's veth) */
  cniByHostIf: Map<string, CniAddrValue[]>;
  // derived
  style: CniStyle;
  /** global unicast addresses, by interface */
  globalAddrs: Map<string, AddrInfo[]>;
  localMacs: Set<string>;
  ports: Map<string, LinkValue[]>;
  podBridges: Set<string>;
  podVeths: LinkValue[];
  tunnels: LinkValue[];
  /** pod CIDRs: the override when one was given, else what the host's devices and routes announce */
  podCidrs: Prefix[];
  /** global addresses on the interfaces that lead off the node (the node IPs) */
  underlay: AddrInfo[];
  /** usable neighbors by device, then by address key or by lladdr */
  neighByAddr: Map<string, Map<IpKey, NeighValue>>;
  neighByMac: Map<string, Map<string, NeighValue[]>>;
  /** usable neighbors (resolved, not proxy entries) by device */
  neighByDev: Map<string, NeighValue[]>;
  fdbByDev: Map<string, FdbValue[]>;
}

const AMBIGUOUS = '\u0000ambiguous';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
function sorted(xs: Iterable<string>): string[] {
  if (Array.isArray(xs) && xs.length <= 1) return xs.slice() as string[];
  return [...new Set(xs)].sort(cmp);
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const xs = m.get(k);
  if (xs) xs.push(v);
  else m.set(k, [v]);
}

function inner<K, V>(m: Map<string, Map<K, V>>, k: string): Map<K, V> {
  let x = m.get(k);
  if (!x) m.set(k, (x = new Map()));
  return x;
}

function usableNeigh(n: NeighValue): boolean {
  if (n.proxy || n.lladdr === null) return false;
  for (const s of n.state) if (s === 'FAILED' || s === 'INCOMPLETE' || s === 'NOARP') return false;
  return true;
}

/**
 * Whether a fact's change leaves the topology as it is, whatever else the host holds: a neighbor
 * whose state moves between usable states (REACHABLE, STALE, DELAY…) — most of a busy node's churn.
 */
export function sameForTopology(kind: Fact['kind'], before: Fact['value'], after: Fact['value']): boolean {
  if (kind !== 'neigh') return false;
  const a = before as NeighValue;
  const b = after as NeighValue;
  return a.dev === b.dev && a.address === b.address && a.lladdr === b.lladdr && a.proxy === b.proxy && usableNeigh(a) === usableNeigh(b);
}

/** The entries of a map or of a record (the inputs take either). */
export function entriesOf<V>(m: ReadonlyMap<string, V> | Readonly<Record<string, V>>): [string, V][] {
  return m instanceof Map ? [...(m as ReadonlyMap<string, V>).entries()] : Object.entries(m as Record<string, V>);
}

/** Index one host's facts. `podCidrOverride` (Kubernetes' podCIDRs) replaces the detected pod CIDRs. */
export function indexHost(name: string, facts: Iterable<Fact>, podCidrOverride?: readonly string[]): Host {
  const h = emptyHost(name);
  sortFacts(h, facts);
  // links in name order: every list derived from them comes out sorted (ids end in the ifname)
  h.links = new Map([...h.links.entries()].sort((x, y) => cmp(x[0], y[0])));
  h.style = cniStyleOf(h.facts, h.node);
  const podVethNames = indexDevices(h);
  h.podCidrs = detectPodCidrs(h, podCidrOverride);
  h.underlay = underlayAddrs(h, podVethNames);
  indexNeighbors(h);
  return h;
}

function emptyHost(name: string): Host {
  return {
    name,
    id: hostId(name),
    facts: [],
    node: null,
    links: new Map(),
    addrs: [],
    routes: [],
    neighs: [],
    fdb: [],
    sessions: [],
    ipsets: [],
    ipsetMembers: [],
    cniByHostIf: new Map(),
    style: 'unknown',
    globalAddrs: new Map(),
    localMacs: new Set(),
    ports: new Map(),
    podBridges: new Set(),
    podVeths: [],
    tunnels: [],
    podCidrs: [],
    underlay: [],
    neighByAddr: new Map(),
    neighByMac: new Map(),
    neighByDev: new Map(),
    fdbByDev: new Map(),
  };
}

/** Every fact into the host's list of its kind (routes of the `local` table left out). */
function sortFacts(h: Host, facts: Iterable<Fact>): void {
  for (const f of facts) {
    h.facts.push(f);
    switch (f.kind) {
      case 'link':
        h.links.set(f.value.ifname, f.value);
        break;
      case 'addr':
        h.addrs.push(f.value);
        break;
      case 'route':
        if (f.value.table !== 'local') h.routes.push(f.value);
        break;
      case 'neigh':
        h.neighs.push(f.value);
        break;
      case 'fdb':
        h.fdb.push(f.value);
        break;
      case 'bgpSession':
        h.sessions.push(f.value);
        break;
      case 'ipset':
        h.ipsets.push(f.value);
        break;
      case 'ipsetMember':
        h.ipsetMembers.push(f.value);
        break;
      case 'cniAddr':
        for (const ifname of f.value.hostIfnames) push(h.cniByHostIf, ifname, f.value);
        break;
      case 'node':
        h.node = f.value;
        break;
      default:
        break;
    }
  }
}

/**
 * The host's global addresses, MACs, bridge ports, tunnels, pod veths and pod bridges (links
 * already in name order). Returns the pod veths' names, which the underlay leaves out.
 */
function indexDevices(h: Host): Set<string> {
  for (const a of h.addrs) {
    if (a.scope === 'host' || a.scope === 'link') continue;
    const ip = parseIp(a.address);
    if (!ip || !isUnicastGlobal(ip)) continue;
    push(h.globalAddrs, a.ifname, { ifname: a.ifname, ip, len: a.prefixLen, text: `${a.address}/${a.prefixLen}` });
  }
  for (const l of h.links.values()) {
    if (l.mac) h.localMacs.add(l.mac);
    if (l.master !== null) push(h.ports, l.master, l);
    if (TUNNEL_KINDS.has(l.kind)) h.tunnels.push(l);
  }
  // a pod's host-side veth: its peer lives in another namespace and it holds no address of its own
  // (the lab's eth0 is a veth to the underlay namespace too, but it carries the node IP)
  for (const l of h.links.values()) {
    if (l.kind === 'veth' && l.linkNetnsId !== null && !h.globalAddrs.has(l.ifname)) h.podVeths.push(l);
  }
  const podVethNames = new Set(h.podVeths.map((l) => l.ifname));
  for (const l of h.links.values()) {
    if (l.kind !== 'bridge') continue;
    if (POD_BRIDGE_NAMES.has(l.ifname) || (h.ports.get(l.ifname) ?? []).some((p) => podVethNames.has(p.ifname))) {
      h.podBridges.add(l.ifname);
    }
  }
  return podVethNames;
}

/** The host's pod CIDRs, in text order: the override when given, else what its devices, routes and BGP daemon announce. */
function detectPodCidrs(h: Host, podCidrOverride: readonly string[] | undefined): Prefix[] {
  const cidrs = new Map<IpKey, Prefix>();
  const addCidr = (p: Prefix | null) => {
    if (p && p.len < maxLen(p.ip)) cidrs.set(prefixKey(p.ip, p.len), { ip: mask(p.ip, p.len), len: p.len });
  };
  if (podCidrOverride) {
    for (const c of podCidrOverride) addCidr(parsePrefix(c, c.includes(':') ? 'inet6' : 'inet'));
  } else if (h.style === 'calico') {
    // BIRD installs the node's own IPAM blocks as blackholes; prefer those when other blackholes exist
    const blackholes = h.routes.filter((r) => r.type === 'blackhole' && r.dst !== 'default');
    const bird = blackholes.filter((r) => r.protocol === 'bird');
    for (const r of bird.length > 0 ? bird : blackholes) addCidr(parsePrefix(r.dst, r.family));
  } else {
    for (const br of h.podBridges) for (const a of h.globalAddrs.get(br) ?? []) addCidr({ ip: a.ip, len: a.len });
  }
  // what its BGP daemon originates is its too (a block without blackhole is known only so); a
  // prefix several nodes announce (anycast) is claimed by several, and so names nobody's pods
  // (a connected subnet it redistributes holds an address of its own outside its pod bridges: not pods)
  if (!podCidrOverride) {
    const own = [...h.globalAddrs].filter(([ifname]) => !h.podBridges.has(ifname)).flatMap(([, addrs]) => addrs.map((a) => a.ip));
    for (const f of h.facts) {
      if (f.kind !== 'bgpOrigin') continue;
      const p = parsePrefix(f.value.prefix, f.value.family);
      if (p && !own.some((ip) => inCidrs(ip, [p]))) addCidr(p);
    }
  }
  return [...cidrs.values()].sort((a, b) => cmp(formatPrefix(a.ip, a.len), formatPrefix(b.ip, b.len)));
}

/**
 * Addresses on the interfaces that lead off the node (not pods, tunnels, dummies, loopback, or
 * bridges that only hold veths, such as docker0), outside the pod CIDRs.
 */
function underlayAddrs(h: Host, podVethNames: ReadonlySet<string>): AddrInfo[] {
  const underlay: AddrInfo[] = [];
  for (const [ifname, addrs] of h.globalAddrs) {
    const l = h.links.get(ifname);
    if (!l || l.kind === 'loopback' || l.kind === 'dummy' || TUNNEL_KINDS.has(l.kind)) continue;
    if (podVethNames.has(ifname) || h.podBridges.has(ifname)) continue;
    if (l.kind === 'bridge' && (h.ports.get(ifname) ?? []).every((p) => p.kind === 'veth')) continue;
    for (const a of addrs) if (!inCidrs(a.ip, h.podCidrs)) underlay.push(a);
  }
  return underlay;
}

/** Usable neighbors by device, address and MAC; fdb entries by device. */
function indexNeighbors(h: Host): void {
  for (const n of h.neighs) {
    if (!usableNeigh(n)) continue;
    const k = addrKey(n.address);
    if (k !== null) inner(h.neighByAddr, n.dev).set(k, n);
    push(inner(h.neighByMac, n.dev), n.lladdr ?? '', n);
    push(h.neighByDev, n.dev, n);
  }
  for (const e of h.fdb) push(h.fdbByDev, e.dev, e);
}

/** Every host of the input, indexed, in name order; `podCidrs` as in DeriveTopologyOptions. */
export function indexHosts(input: TopologyInput, podCidrs?: DeriveTopologyOptions['podCidrs']): Host[] {
  const overrides = new Map(podCidrs ? entriesOf(podCidrs) : []);
  return entriesOf<Iterable<Fact>>(input as ReadonlyMap<string, Iterable<Fact>>)
    .sort((a, b) => cmp(a[0], b[0]))
    .map(([name, facts]) => indexHost(name, facts, overrides.get(name)));
}

function inCidrs(ip: Ip, cidrs: readonly Prefix[]): boolean {
  for (const c of cidrs) if (c.ip.v === ip.v && prefixKey(ip, c.len) === prefixKey(c.ip, c.len)) return true;
  return false;
}

// ------------------------------------------------------------------ who owns what

/**
 * Record `host` as the owner of `k`; a key claimed by two hosts (kube-router's service IPs on every
 * node, a CIDR two nodes announce) names nobody.
 */
export function claimOwner(m: Map<IpKey, string>, k: IpKey, host: string): void {
  const o = m.get(k);
  m.set(k, o === undefined || o === host ? host : AMBIGUOUS);
}

/** Who holds each global address, over the given hosts (addresses held by several name nobody). */
export function addressOwners(hosts: Iterable<Host>, into: Map<IpKey, string> = new Map()): Map<IpKey, string> {
  for (const h of hosts) for (const addrs of h.globalAddrs.values()) for (const a of addrs) claimOwner(into, ipKey(a.ip), h.name);
  return into;
}

/** The host that alone holds the address with this key, else null. */
export const ownerOfKey = (owners: ReadonlyMap<IpKey, string>, k: IpKey): string | null => {
  const o = owners.get(k);
  return o === undefined || o === AMBIGUOUS ? null : o;
};

/** The host that alone holds an address (given parsed, or as text), else null. */
export const ownerOf = (owners: ReadonlyMap<IpKey, string>, ip: Ip | string | null): string | null => {
  if (ip === null) return null;
  const k = typeof ip === 'string' ? addrKey(ip) : ipKey(ip);
  const o = k === null ? undefined : owners.get(k);
  return o === undefined || o === AMBIGUOUS ? null : o;
};

/**
 * Values keyed by prefix, answering "the most specific prefix that contains this one" with one map
 * lookup per prefix length present (a handful in practice), never a scan. IPv4 networks are kept
 * per length under `network >>> (32 - len)`, small integers that need no allocation.
 */
export class PrefixTable<V> {
  private readonly v4: (Map<number, V> | undefined)[] = [];
  private readonly v6 = new Map<IpKey, V>();
  private readonly lens = { 4: new Set<number>(), 6: new Set<number>() };
  private desc: { 4: number[]; 6: number[] } | null = null;

  set(p: Prefix, value: V): void {
    if (p.ip.v === 4) this.set4(p.ip.n, p.len, value);
    else {
      this.v6.set(prefixKey(p.ip, p.len), value);
      this.addLen(6, p.len);
    }
  }

  /** the value stored at exactly this prefix */
  get(p: Prefix): V | undefined {
    return p.ip.v === 4 ? this.v4[p.len]?.get(v4Net(p.ip.n, p.len)) : this.v6.get(prefixKey(p.ip, p.len));
  }

  /**
   * `set` for a destination as the kernel prints it (IPv4 without allocating), unless `keep` says
   * the value already there stays; false when the destination does not parse
   */
  setText(dst: string, family: 'inet' | 'inet6', value: V, keep?: (existing: V) => boolean): boolean {
    const slash = dst.indexOf('/');
    const n = family === 'inet' && slash > 0 ? v4Number(dst, 0, slash) : -1;
    const len = n < 0 ? -1 : prefixLenOf(dst, slash);
    if (len < 0) {
      const p = parsePrefix(dst, family);
      if (!p) return false;
      const old = keep ? this.get(p) : undefined;
      if (old === undefined || !keep?.(old)) this.set(p, value);
      return true;
    }
    const old = keep ? this.v4[len]?.get(v4Net(n, len)) : undefined;
    if (old === undefined || !keep?.(old)) this.set4(n, len, value);
    return true;
  }

  private set4(n: number, len: number, value: V): void {
    let m = this.v4[len];
    if (!m) this.v4[len] = m = new Map();
    m.set(v4Net(n, len), value);
    this.addLen(4, len);
  }

  private addLen(v: 4 | 6, len: number): void {
    if (this.lens[v].has(len)) return;
    this.lens[v].add(len);
    this.desc = null;
  }

  private lengths(): { 4: number[]; 6: number[] } {
    return (this.desc ??= { 4: [...this.lens[4]].sort((a, b) => b - a), 6: [...this.lens[6]].sort((a, b) => b - a) });
  }

  /** the value of the most specific stored prefix that contains `p`, no shorter than `minLen` */
  match(p: Prefix, minLen = 0): V | undefined {
    if (p.ip.v === 4) return this.match4(p.ip.n, p.len, minLen);
    for (const len of this.lengths()[6]) {
      if (len > p.len) continue;
      if (len < minLen) break;
      const v = this.v6.get(prefixKey(p.ip, len));
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** `match` for a destination as the kernel prints it (`10.0.0.0/24`); IPv4 without allocating */
  matchText(dst: string, family: 'inet' | 'inet6', minLen = 0): V | undefined {
    const slash = dst.indexOf('/');
    const n = family === 'inet' && slash > 0 ? v4Number(dst, 0, slash) : -1;
    const len = n < 0 ? -1 : prefixLenOf(dst, slash);
    if (len >= 0) return this.match4(n, len, minLen);
    const p = parsePrefix(dst, family);
    return p ? this.match(p, minLen) : undefined;
  }

  private match4(n: number, plen: number, minLen: number): V | undefined {
    for (const len of this.lengths()[4]) {
      if (len > plen) continue;
      if (len < minLen) break;
      const v = this.v4[len]?.get(v4Net(n, len));
      if (v !== undefined) return v;
    }
    return undefined;
  }
}

/** The network bits of an IPv4 address at `len`, as a small integer (`>>> 32` would shift by 0). */
const v4Net = (n: number, len: number): number => (len === 0 ? 0 : n >>> (32 - len));

/** The prefix length after the slash at `slash` (0..32), -1 when there is none or it is not one. */
function prefixLenOf(dst: string, slash: number): number {
  if (slash + 1 >= dst.length) return -1;
  let plen = 0;
  for (let i = slash + 1; i < dst.length; i++) {
    const c = dst.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    plen = plen * 10 + c - 48;
    if (plen > 32) return -1;
  }
  return plen;
}

// ------------------------------------------------------------------ where a next hop leads

export interface ResolvedNexthop {
  /** the VTEP (underlay address) a vxlan next hop is sent to: its gateway's MAC (neighbor), then that MAC's fdb entry */
  vtep: string | null;
  /** the host the packets are handed to: the VTEP's owner, else the gateway's, else a point-to-point tunnel's remote end's */
  host: string | null;
  /** why the kernel cannot send through a vxlan next hop: no usable neighbor for the gateway, or no fdb entry for its MAC */
  problem: 'no-neighbor' | 'no-fdb' | null;
}

/**
 * Where a route's next hop really leads on host `h`. Through a vxlan device: the gateway's neighbor
 * entry gives a MAC and the MAC's fdb entry the remote VTEP (flannel's `via 10.244.N.0 dev flannel.1
 * onlink`); through a point-to-point tunnel without gateway: the tunnel's remote end; otherwise the
 * gateway's owner.
 */
export function resolveNexthop(h: Host, nh: Pick<Nexthop, 'gateway' | 'dev'>, owners: ReadonlyMap<IpKey, string>): ResolvedNexthop {
  const gw = nh.gateway === null ? null : addrKey(nh.gateway);
  const devLink = nh.dev === null ? undefined : h.links.get(nh.dev);
  let problem: ResolvedNexthop['problem'] = null;
  if (gw !== null && devLink?.kind === 'vxlan') {
    // where the kernel really sends it: the gateway's MAC (neighbor), then that MAC's VTEP (fdb)
    const mac = h.neighByAddr.get(devLink.ifname)?.get(gw)?.lladdr ?? null;
    const dsts = mac === null ? [] : (h.fdbByDev.get(devLink.ifname) ?? []).filter((e) => e.mac === mac && e.dst !== null);
    const dst = sorted(dsts.map((e) => e.dst ?? ''))[0];
    if (dst !== undefined) {
      const dstIp = parseIp(dst);
      return { vtep: dstIp ? formatIp(dstIp) : dst, host: ownerOf(owners, dst), problem: null };
    }
    // unless the device floods what it cannot place (a remote, or all-zero fdb entries), nothing is sent
    const flood = devLink.vxlan?.remote != null || (h.fdbByDev.get(devLink.ifname) ?? []).some((e) => e.mac === '00:00:00:00:00:00' && e.dst !== null);
    if (!flood) problem = mac === null ? 'no-neighbor' : 'no-fdb';
  }
  const host = gw !== null ? ownerOf(owners, nh.gateway) : ownerOf(owners, devLink?.vxlan?.remote ?? devLink?.ipip?.remote ?? null);
  return { vtep: null, host, problem };
}

// ------------------------------------------------------------------ the derivation
//
// In two steps, so that a live topology can be kept current by re-deriving only the hosts whose
// facts changed (IncrementalTopology, topology-incremental.ts): what every host needs from the
// others (who owns an address, whose pod CIDR a prefix is, which tunnel has which local end) is
// gathered first (TopologyContext); each host then yields its own part: its nodes, and every edge
// that starts at it or at one of its devices. Only subnets, external peers and VTEPs are shared by
// hosts; a part says what it contributes to them, and they are built from all parts.

/** What a host's part needs to know of the other hosts. */
export interface TopologyContext {
  /** who holds each global address (held by several: nobody) */
  addrOwner: Map<IpKey, string>;
  /** whose pod CIDR a prefix is (claimed by several: nobody) */
  cidrOwner: PrefixTable<string>;
  /** `kind|vni|local address` → the tunnel with that local end */
  tunnelByLocal: Map<string, string>;
  /** host name → its rank in name order (orders the route edges into sorted runs) */
  hostRank: Map<string, number>;
  /** the hosts with pod CIDRs, in name order (what a host's routes should reach: the compact form's `relations.routes`) */
  podHosts: string[];
}

/** A host's share of the topology. */
export interface HostPart {
  host: string;
  /** its nodes and the edges that start at it or at its devices, each sorted by id, ids unique */
  nodes: TopoNode[];
  edges: TopoEdge[];
  /** what it tells of the shared nodes */
  externals: Map<string, { roles: Set<string>; asns: Set<number> }>;
  vteps: Set<string>;
  /** underlay subnet → family */
  subnets: Map<string, string>;
  /** every address its pods were seen with (a change of Kubernetes' pod names touches these hosts) */
  podIps: string[];
}

/** Everything of the hosts that one host's part depends on. */
export function topologyContext(hosts: readonly Host[]): TopologyContext {
  const addrOwner = addressOwners(hosts);
  const cidrOwner = new PrefixTable<string>();
  const tunnelByLocal = new Map<string, string>();
  const hostRank = new Map<string, number>();
  hosts.forEach((h, i) => hostRank.set(h.name, i));
  const podHosts = hosts.filter((h) => h.podCidrs.length > 0).map((h) => h.name);
  for (const h of hosts) {
    for (const c of h.podCidrs) {
      const o = cidrOwner.get(c);
      cidrOwner.set(c, o === undefined || o === h.name ? h.name : AMBIGUOUS);
    }
    for (const t of h.tunnels) {
      const local = parseIp(t.vxlan?.local ?? t.ipip?.local ?? '');
      if (local) tunnelByLocal.set(`${t.kind}|${t.vxlan?.id ?? ''}|${ipKey(local)}`, tunnelId(h.name, t.ifname));
    }
  }
  return { addrOwner, cidrOwner, tunnelByLocal, hostRank, podHosts };
}

/**
 * A text that is equal for two hosts' lists exactly when a part derived in one context equals the
 * part derived in the other: addresses, pod CIDRs and tunnel ends with their owners (host ranks
 * only order, they change nothing).
 */
export function contextSignature(hosts: readonly Host[]): string {
  const out: string[] = [];
  for (const h of hosts) {
    const addrs: string[] = [];
    for (const list of h.globalAddrs.values()) for (const a of list) addrs.push(`${a.ip.v}:${ipKey(a.ip)}`);
    const cidrs = h.podCidrs.map((c) => `${c.ip.v}/${prefixKey(c.ip, c.len)}/${c.len}`);
    const tunnels = h.tunnels.map((t) => `${t.ifname}|${t.kind}|${t.vxlan?.id ?? ''}|${t.vxlan?.local ?? t.ipip?.local ?? ''}`);
    out.push(`${h.name}\u0001${addrs.sort(cmp).join(',')}\u0001${cidrs.join(',')}\u0001${tunnels.join(',')}`);
  }
  return out.join('\u0002');
}

export function deriveTopology(input: TopologyInput, options: DeriveTopologyOptions = {}): Topology {
  const hosts = indexHosts(input, options.podCidrs);
  const context = topologyContext(hosts);
  return assembleTopology(hosts.map((h) => deriveHostPart(h, context, options)));
}

/** Every edge (full form) that starts at the named hosts or their elements, sorted by id: the compact form's on-demand part. */
export function deriveHostEdges(input: TopologyInput, names: Iterable<string>, options: Omit<DeriveTopologyOptions, 'compact'> = {}): TopoEdge[] {
  const hosts = indexHosts(input, options.podCidrs);
  const context = topologyContext(hosts);
  const wanted = new Set(names);
  const edges = hosts.filter((h) => wanted.has(h.name)).flatMap((h) => deriveHostPart(h, context, options).edges);
  return edges.sort(byId);
}

/** The whole topology from every host's part (parts in host name order). */
export function assembleTopology(parts: Iterable<HostPart>): Topology {
  // one list per type: ids start with the type, and parts come in host order, so the lists put
  // together are long sorted runs and the final (Tim)sort is close to linear
  const nodeLists = new Map<string, TopoNode[]>();
  const edgeLists = new Map<string, TopoEdge[]>();
  const list = [...parts];
  for (const p of list) {
    for (const n of p.nodes) push(nodeLists, n.type, n);
    for (const e of p.edges) push(edgeLists, e.type, e);
  }
  for (const n of sharedNodes(list)) push(nodeLists, n.type, n);
  // ids are unique by construction (each element comes from one fact, link, pair or address); a
  // duplicate would keep the last one (the sort is stable)
  const finish = <T extends { id: string }>(lists: Map<string, T[]>): T[] => uniqueSorted([...lists.keys()].sort(cmp).flatMap((k) => lists.get(k) ?? []));
  return { nodes: finish(nodeLists), edges: finish(edgeLists) };
}

/** The nodes hosts share, from what each part contributes: underlay subnets, external peers and next hops, VTEPs. */
export function sharedNodes(parts: Iterable<HostPart>): TopoNode[] {
  const subnets = new Map<string, { family: string; hosts: Set<string> }>();
  const externals = new Map<string, { roles: Set<string>; asns: Set<number>; seenBy: Set<string> }>();
  const vteps = new Map<string, Set<string>>();
  for (const p of parts) {
    for (const [cidr, family] of p.subnets) {
      const s = subnets.get(cidr) ?? { family, hosts: new Set<string>() };
      subnets.set(cidr, s);
      s.hosts.add(p.host);
    }
    for (const [address, c] of p.externals) {
      const x = externals.get(address) ?? { roles: new Set<string>(), asns: new Set<number>(), seenBy: new Set<string>() };
      externals.set(address, x);
      for (const r of c.roles) x.roles.add(r);
      for (const a of c.asns) x.asns.add(a);
      x.seenBy.add(p.host);
    }
    for (const address of p.vteps) {
      const seen = vteps.get(address) ?? new Set<string>();
      vteps.set(address, seen.add(p.host));
    }
  }
  const out: TopoNode[] = [];
  for (const [cidr, s] of subnets) {
    out.push({ id: subnetId(cidr), type: 'subnet', host: null, parent: null, label: cidr, data: { cidr, family: s.family, hosts: sorted(s.hosts) } });
  }
  for (const [address, x] of externals) {
    const asns = [...x.asns].sort((a, b) => a - b);
    out.push({
      id: externalId(address),
      type: 'external',
      host: null,
      parent: null,
      label: asns.length > 0 ? `${address} (AS ${asns.join(', ')})` : address,
      data: { address, roles: sorted(x.roles), asns, seenBy: sorted(x.seenBy) },
    });
  }
  for (const [address, seenBy] of vteps) {
    out.push({ id: vtepId(address), type: 'vtep', host: null, parent: null, label: address, data: { address, seenBy: sorted(seenBy) } });
  }
  return out.sort(byId);
}

interface RouteEdgeCacheEntry {
  host: string;
  /** the host whose pod CIDR the route covers */
  dstHost: string | null;
  /** per next hop: its edge (null: a healthy edge to a host, counted only, in the compact form), and the external gateway it names */
  edges: Array<{ edge: TopoEdge | null; external: string | null }>;
  compact: boolean;
}

/**
 * Route edges by the route fact's value (the same object while the fact is unchanged), valid for one
 * topology context: IncrementalTopology keeps one and starts a new one when the context changes. A
 * busy node changes a few routes a second; its other ~200 keep their edge objects, which the patch's
 * comparison then passes over at once.
 */
export interface HostPartCache {
  routeEdges: WeakMap<RouteValue, RouteEdgeCacheEntry>;
}

export const newHostPartCache = (): HostPartCache => ({ routeEdges: new WeakMap() });

/** Whether a route's edges depend on the route and the context only: every hop via a gateway, on a device that is not vxlan. */
function routeNeedsOnlyContext(h: Host, r: RouteValue): boolean {
  if (r.nexthops.length === 0) return r.gateway !== null && (r.dev === null || h.links.get(r.dev)?.kind !== 'vxlan');
  for (const nh of r.nexthops) if (nh.gateway === null || (nh.dev !== null && h.links.get(nh.dev)?.kind === 'vxlan')) return false;
  return true;
}

/** One host's nodes and outgoing edges, in the context of every host (`cache`: see HostPartCache). */
export function deriveHostPart(h: Host, context: TopologyContext, options: DeriveTopologyOptions = {}, cache?: HostPartCache): HostPart {
  const b: PartBuilder = {
    h,
    context,
    options,
    part: { host: h.name, nodes: [], edges: [], externals: new Map(), vteps: new Set(), subnets: new Map(), podIps: [] },
    attributed: new Map(),
    relations: options.compact ? emptyRelations() : null,
    routeHosts: new Set(),
  };
  // the steps in this order: a repeated id keeps its last element (uniqueSorted), and the shared
  // nodes' contributions (externals, VTEPs, subnets) keep the order they had in one function
  const host = hostNode(h);
  b.part.nodes.push(host);
  const bridgeNodes = addBridgeNodes(b);
  addTunnelNodes(b);
  addPods(b);
  markUnattributedIps(b, bridgeNodes);
  addUnderlayEdges(b);
  // BGP sessions, tunnels to remote VTEPs and route edges need every host's addresses
  addBgpEdges(b);
  addTunnelEdges(b);
  addRouteEdges(b, cache);
  if (b.relations) host.data['relations'] = finishRelations(b);
  b.part.nodes = uniqueSorted(b.part.nodes);
  b.part.edges = uniqueSorted(b.part.edges);
  return b.part;
}

/** What the steps of one host's part share (one per host and derivation, so no map is built twice). */
interface PartBuilder {
  h: Host;
  context: TopologyContext;
  options: DeriveTopologyOptions;
  /** the part being filled: its nodes and edges unsorted until the end */
  part: HostPart;
  /** bridge → pod IPs found behind its ports */
  attributed: Map<string, Set<string>>;
  /** the compact form's counts (null: the full form) */
  relations: HostRelations | null;
  /** the hosts whose pod CIDRs this host has a route into */
  routeHosts: Set<string>;
}

const emptyRelations = (): HostRelations => ({
  routes: { total: 0, mismatch: 0, toHosts: 0, of: 0, missing: [], missingCount: 0 },
  bgp: { total: 0, established: 0, pending: 0, down: 0 },
  tunnels: { total: 0, toHosts: 0 },
});

/** Which hosts with pod CIDRs the host's routes reach, and the first few they do not. */
function finishRelations(b: PartBuilder): HostRelations {
  const r = b.relations!;
  const { podHosts } = b.context;
  const own = b.h.podCidrs.length > 0 ? 1 : 0;
  r.routes.of = podHosts.length - own;
  r.routes.toHosts = b.routeHosts.size;
  // routeHosts only holds hosts with pod CIDRs (cidrOwner), never this one: equal sizes, none missing
  if (r.routes.toHosts < r.routes.of) {
    for (const name of podHosts) {
      if (name === b.h.name || b.routeHosts.has(name)) continue;
      if (r.routes.missing.length < MISSING_LISTED) r.routes.missing.push(name);
      r.routes.missingCount++;
    }
  }
  return r;
}

/**
 * A BGP session's state in three: established; on the way up (connect, opensent, openconfirm):
 * pending; idle, active or anything else: down. A compact host's counts and the web's colours.
 */
export function bgpStateClass(state: unknown): 'established' | 'pending' | 'down' {
  if (state === 'established') return 'established';
  if (state === 'connect' || state === 'opensent' || state === 'openconfirm') return 'pending';
  return 'down';
}

function countSession(r: HostRelations, state: string): void {
  r.bgp.total++;
  r.bgp[bgpStateClass(state)]++;
}

/** The host whose pod CIDR most specifically contains `dst` (null: none, or claimed by several). */
function cidrHost(cidrOwner: PrefixTable<string>, dst: string, family: 'inet' | 'inet6'): string | null {
  const o = cidrOwner.matchText(dst, family);
  return o === undefined || o === AMBIGUOUS ? null : o;
}

/** The id of the external node for `address`, recording in the part that it was seen in `role`. */
function externalRef(part: HostPart, address: string, role: string, asn: number | null = null): string {
  const ip = parseIp(address);
  const text = ip ? formatIp(ip) : address;
  let x = part.externals.get(text);
  if (!x) part.externals.set(text, (x = { roles: new Set(), asns: new Set() }));
  x.roles.add(role);
  if (asn !== null) x.asns.add(asn);
  return externalId(text);
}

/** The id of the VTEP node for `address`, recording it in the part. */
function vtepRef(part: HostPart, address: string): string {
  const ip = parseIp(address);
  const text = ip ? formatIp(ip) : address;
  part.vteps.add(text);
  return vtepId(text);
}

function hostNode(h: Host): TopoNode {
  const hostData: HostData & Record<string, unknown> = {
    cniStyle: h.style,
    hostname: h.node?.hostname ?? null,
    kernel: h.node?.kernel ?? null,
    nodeIps: sorted(h.underlay.map((a) => a.text)),
    podCidrs: h.podCidrs.map((c) => formatPrefix(c.ip, c.len)),
  };
  return { id: h.id, type: 'host', host: null, parent: null, label: h.name, data: hostData };
}

/** A node per bridge; returned by ifname, for the unattributed pod IPs found later. */
function addBridgeNodes(b: PartBuilder): Map<string, TopoNode> {
  const { h } = b;
  const bridgeNodes = new Map<string, TopoNode>();
  for (const l of h.links.values()) {
    if (l.kind !== 'bridge') continue;
    const bridgeNode: TopoNode = {
      id: bridgeId(h.name, l.ifname),
      type: 'bridge',
      host: h.name,
      parent: h.id,
      label: l.ifname,
      data: {
        ifname: l.ifname,
        mtu: l.mtu,
        mac: l.mac,
        operstate: l.operstate,
        addresses: sorted((h.globalAddrs.get(l.ifname) ?? []).map((a) => a.text)),
        podBridge: h.podBridges.has(l.ifname),
        ports: sorted((h.ports.get(l.ifname) ?? []).map((p) => p.ifname)),
      },
    };
    bridgeNodes.set(l.ifname, bridgeNode);
    b.part.nodes.push(bridgeNode);
  }
  return bridgeNodes;
}

function addTunnelNodes(b: PartBuilder): void {
  const { h } = b;
  for (const l of h.tunnels) {
    b.part.nodes.push({
      id: tunnelId(h.name, l.ifname),
      type: 'tunnel',
      host: h.name,
      parent: h.id,
      label: l.ifname,
      data: {
        ifname: l.ifname,
        kind: l.kind,
        mtu: l.mtu,
        mac: l.mac,
        operstate: l.operstate,
        addresses: sorted((h.globalAddrs.get(l.ifname) ?? []).map((a) => a.text)),
        vni: l.vxlan?.id ?? null,
        local: l.vxlan?.local ?? l.ipip?.local ?? null,
        remote: l.vxlan?.remote ?? l.ipip?.remote ?? null,
        port: l.vxlan?.port ?? null,
        dev: l.vxlan?.dev ?? null,
      },
    });
  }
}

/** Host routes (a /32 or /128 on a device, no gateway) by device: a routed pod's address. */
function hostRoutesByDev(h: Host): Map<string, string[]> {
  const byDev = new Map<string, string[]>();
  for (const r of h.routes) {
    if (r.type !== 'unicast' || r.gateway !== null || r.dev === null || r.nexthops.length > 0) continue;
    const p = parsePrefix(r.dst, r.family);
    if (p && p.len === maxLen(p.ip)) push(byDev, r.dev, formatIp(p.ip));
  }
  return byDev;
}

/** A neighbor's address as a pod IP: global unicast, in the pod CIDR (when there is one), canonical text. */
function podIpOf(h: Host, address: string): string | null {
  const ip = parseIp(address);
  if (!ip || !isUnicastGlobal(ip)) return null;
  if (h.podCidrs.length > 0 && !inCidrs(ip, h.podCidrs)) return null;
  return ip.v === 4 ? address : formatIp(ip); // v4Number admits only canonical dotted quads
}

function addOnce(xs: string[], x: string): void {
  if (!xs.includes(x)) xs.push(x);
}

/** Each pod veth, its pod (with the addresses and MACs found for it) and the veth edge between them. */
function addPods(b: PartBuilder): void {
  const { h } = b;
  const hostRoutes = hostRoutesByDev(h);
  for (const v of h.podVeths) {
    // small arrays rather than sets: a pod has one or two of each, and there are thousands of pods
    const ips: string[] = [];
    const sources: string[] = [];
    const macs: string[] = [];
    for (const ip of hostRoutes.get(v.ifname) ?? []) {
      addOnce(ips, ip);
      addOnce(sources, 'route');
    }
    const bridge = v.master !== null && h.links.get(v.master)?.kind === 'bridge' ? v.master : null;
    // what the node's CNI files record for the container behind this veth: known without traffic
    for (const c of h.cniByHostIf.get(v.ifname) ?? []) {
      const ip = podIpOf(h, c.address);
      if (ip === null) continue;
      addOnce(ips, ip);
      addOnce(sources, 'cni');
      if (bridge !== null) attribute(b, bridge, ip);
    }
    gatherBridgedPodAddresses(b, v, bridge, ips, sources, macs);
    // neighbors on the veth itself (routed pods: Calico's cali*), also telling the pod's MAC
    for (const n of h.neighByDev.get(v.ifname) ?? []) {
      const ip = podIpOf(h, n.address);
      if (ip === null) continue;
      addOnce(ips, ip);
      if (n.lladdr) addOnce(macs, n.lladdr);
      addOnce(sources, 'neighbor');
    }
    addPodNodes(b, v, bridge, ips, sources, macs);
  }
}

/**
 * The pod's MACs (what the bridge learned behind this port: not our own, not a group address) into
 * `macs`, and the bridge's neighbors with those MACs into `ips`, noted as attributed to the bridge.
 * Fills the caller's arrays: this runs once per pod.
 */
function gatherBridgedPodAddresses(b: PartBuilder, v: LinkValue, bridge: string | null, ips: string[], sources: string[], macs: string[]): void {
  const { h } = b;
  for (const e of h.fdbByDev.get(v.ifname) ?? []) {
    if (e.master === null || e.state === 'permanent' || e.dst !== null || isGroupMac(e.mac) || h.localMacs.has(e.mac)) continue;
    addOnce(macs, e.mac);
  }
  if (bridge === null) return;
  const byMac = h.neighByMac.get(bridge);
  for (const mac of macs) {
    for (const n of byMac?.get(mac) ?? []) {
      const ip = podIpOf(h, n.address);
      if (ip === null) continue;
      addOnce(ips, ip);
      addOnce(sources, 'fdb+neighbor');
      attribute(b, bridge, ip);
    }
  }
}

/** Notes a pod address on a bridge as explained by one of its ports (markUnattributedIps). */
function attribute(b: PartBuilder, bridge: string, ip: string): void {
  let seen = b.attributed.get(bridge);
  if (!seen) b.attributed.set(bridge, (seen = new Set()));
  seen.add(ip);
}

function addPodNodes(b: PartBuilder, v: LinkValue, bridge: string | null, ips: string[], sources: string[], macs: string[]): void {
  const { h, part, options } = b;
  const vid = vethId(h.name, v.ifname);
  const pid = podId(h.name, v.ifname);
  const ipList = ips.length > 1 ? ips.sort(cmp) : ips;
  for (const ip of ipList) part.podIps.push(ip);
  const k8s = options.pods ? ipList.map((ip) => options.pods!.get(ip)).find((p) => p !== undefined) : undefined;
  part.nodes.push({
    id: vid,
    type: 'veth',
    host: h.name,
    parent: bridge ? bridgeId(h.name, bridge) : h.id,
    label: v.ifname,
    data: { ifname: v.ifname, mtu: v.mtu, mac: v.mac, operstate: v.operstate, master: v.master, linkNetnsId: v.linkNetnsId, peerIfindex: v.linkIndex },
  });
  part.nodes.push({
    id: pid,
    type: 'pod',
    host: h.name,
    parent: vid,
    label: k8s ? `${k8s.namespace}/${k8s.name}` : (ipList[0] ?? v.ifname),
    data: { ips: ipList, macs: macs.sort(cmp), veth: v.ifname, bridge, ipSources: sources.sort(cmp), ...(k8s ? { k8s } : {}) },
  });
  part.edges.push({ id: edgeId('veth', vid, pid), type: 'veth', source: vid, target: pid, data: { netnsId: v.linkNetnsId, peerIfindex: v.linkIndex } });
}

/** On each pod bridge: addresses in the pod CIDR it has seen but no port explains (a learned MAC aged out, or a gone pod). */
function markUnattributedIps(b: PartBuilder, bridgeNodes: ReadonlyMap<string, TopoNode>): void {
  const { h, attributed } = b;
  for (const br of h.podBridges) {
    const node = bridgeNodes.get(br);
    if (!node) continue;
    const loose = new Set<string>();
    for (const n of h.neighByDev.get(br) ?? []) {
      const ip = podIpOf(h, n.address);
      if (ip !== null && !attributed.get(br)?.has(ip) && ownerOf(b.context.addrOwner, ip) !== h.name) loose.add(ip);
    }
    node.data['unattributedIps'] = sorted(loose);
  }
}

/** Underlay subnets: a star per subnet, not an edge per pair of hosts. */
function addUnderlayEdges(b: PartBuilder): void {
  const { h, part } = b;
  const bySubnet = new Map<string, AddrInfo[]>();
  for (const a of h.underlay) if (a.len < maxLen(a.ip)) push(bySubnet, formatPrefix(a.ip, a.len), a);
  for (const [cidr, addrs] of bySubnet) {
    if (!part.subnets.has(cidr)) part.subnets.set(cidr, addrs[0]?.ip.v === 6 ? 'inet6' : 'inet');
    const sid = subnetId(cidr);
    part.edges.push({
      id: edgeId('underlay', h.id, sid),
      type: 'underlay',
      source: h.id,
      target: sid,
      data: { subnet: cidr, ifnames: sorted(addrs.map((a) => a.ifname)), addresses: sorted(addrs.map((a) => a.text)) },
    });
  }
}

/** A BGP edge per session: to the host that owns the peer address, else to an external peer. */
function addBgpEdges(b: PartBuilder): void {
  const { h, part } = b;
  for (const s of h.sessions) {
    const owner = ownerOf(b.context.addrOwner, parseIp(s.peerAddress));
    // the compact form drops an established session to a host before building its edge
    const target = owner !== null ? hostId(owner) : externalRef(part, s.peerAddress, 'bgp-peer', s.peerAs);
    const data: BgpEdgeData & Record<string, unknown> = {
      daemon: s.daemon,
      name: s.name,
      state: s.state,
      peerAddress: s.peerAddress,
      peerAs: s.peerAs,
      localAddress: s.localAddress,
      localAs: s.localAs,
      since: s.since,
      prefixes: { received: s.prefixesReceived, accepted: s.prefixesAccepted, sent: s.prefixesSent },
      lastError: s.lastError,
    };
    if (b.relations) {
      countSession(b.relations, s.state);
      if (owner !== null && s.state === 'established') continue;
    }
    part.edges.push({ id: edgeId('bgp', h.id, target, `${s.daemon}|${s.peerAddress}`), type: 'bgp', source: h.id, target, data });
  }
}

/** Tunnels: VXLAN fdb entries towards remote VTEPs, and point-to-point tunnels' remote ends. */
function addTunnelEdges(b: PartBuilder): void {
  const { h, part } = b;
  const tunnelHosts = new Set<string>();
  for (const t of h.tunnels) {
    const tid = tunnelId(h.name, t.ifname);
    for (const r of tunnelRemotes(h, t).values()) {
      const ip = parseIp(r.dst);
      const owner = ownerOf(b.context.addrOwner, ip);
      if (b.relations) {
        b.relations.tunnels.total++;
        if (owner !== null) {
          tunnelHosts.add(owner);
          continue;
        }
      }
      const target = owner !== null ? hostId(owner) : vtepRef(part, r.dst);
      part.edges.push({
        id: edgeId('tunnel', tid, target, r.dst),
        type: 'tunnel',
        source: tid,
        target,
        data: {
          dst: r.dst,
          macs: sorted(r.macs),
          vni: t.vxlan?.id ?? null,
          port: t.vxlan?.port ?? null,
          remoteHost: owner,
          remoteTunnel: ip ? (b.context.tunnelByLocal.get(`${t.kind}|${t.vxlan?.id ?? ''}|${ipKey(ip)}`) ?? null) : null,
        },
      });
    }
  }
  if (b.relations) b.relations.tunnels.toHosts = tunnelHosts.size;
}

/** A tunnel's remote ends (not its own local address), by canonical address, with the MACs behind each. */
function tunnelRemotes(h: Host, t: LinkValue): Map<string, { dst: string; macs: Set<string> }> {
  const local = parseIp(t.vxlan?.local ?? t.ipip?.local ?? '');
  const remotes = new Map<string, { dst: string; macs: Set<string> }>();
  const addRemote = (dst: string, mac: string | null) => {
    const ip = parseIp(dst);
    if (!ip || !isUnicastGlobal(ip) || (local && ipKey(local) === ipKey(ip))) return;
    const text = formatIp(ip);
    const r = remotes.get(text) ?? { dst: text, macs: new Set<string>() };
    remotes.set(text, r);
    if (mac !== null && mac !== '00:00:00:00:00:00') r.macs.add(mac);
  };
  for (const e of h.fdbByDev.get(t.ifname) ?? []) if (e.dst !== null) addRemote(e.dst, e.mac);
  const p2p = t.vxlan?.remote ?? t.ipip?.remote ?? null;
  if (p2p !== null) addRemote(p2p, null);
  return remotes;
}

/**
 * Route edges collected by target host (in host order), so that they reach the final sort as
 * sorted runs; those to no host (external next hops, VTEPs) after them.
 */
interface RouteEdgeRuns {
  byTarget: TopoEdge[][];
  otherTargets: TopoEdge[];
}

function placeRouteEdge(runs: RouteEdgeRuns, hostRank: ReadonlyMap<string, number>, e: TopoEdge): void {
  const nextHopHost = (e.data as unknown as RouteEdgeData).nextHopHost;
  const rank = nextHopHost === null ? undefined : hostRank.get(nextHopHost);
  if (rank === undefined) runs.otherTargets.push(e);
  else (runs.byTarget[rank] ??= []).push(e);
}

/** Node-to-node routes: a route into another host's pod CIDR, one edge per nexthop. */
function addRouteEdges(b: PartBuilder, cache: HostPartCache | undefined): void {
  const { h, part } = b;
  const { hostRank } = b.context;
  const runs: RouteEdgeRuns = { byTarget: [], otherTargets: [] };
  for (const r of h.routes) {
    if (r.type !== 'unicast') continue;
    // a route whose every hop has a gateway on a device that is not vxlan depends on nothing but
    // itself and the context: its edges from the last derivation still hold (IncrementalTopology)
    const cacheable = cache !== undefined && routeNeedsOnlyContext(h, r);
    const cached = cacheable ? cache.routeEdges.get(r) : undefined;
    if (cached && cached.host === h.name && cached.compact === (b.relations !== null)) {
      if (cached.dstHost !== null && cached.edges.length > 0) b.routeHosts.add(cached.dstHost);
      for (const { edge, external: gw } of cached.edges) {
        if (gw !== null) externalRef(part, gw, 'next-hop');
        countRouteHop(b, edge);
        if (edge) placeRouteEdge(runs, hostRank, edge);
      }
      continue;
    }
    const dstHost = cidrHost(b.context.cidrOwner, r.dst, r.family);
    if (dstHost === null || dstHost === h.name) {
      if (cacheable) cache.routeEdges.set(r, { host: h.name, dstHost: null, edges: [], compact: b.relations !== null });
      continue;
    }
    const made: RouteEdgeCacheEntry['edges'] = [];
    makeRouteEdges(b, r, dstHost, made, runs);
    if (made.length > 0) b.routeHosts.add(dstHost);
    if (cacheable) cache.routeEdges.set(r, { host: h.name, dstHost, edges: made, compact: b.relations !== null });
  }
  for (const es of runs.byTarget) {
    if (!es) continue;
    if (es.length > 1) es.sort(byId);
    for (const e of es) part.edges.push(e);
  }
  for (const e of runs.otherTargets) part.edges.push(e);
}

/** The edges of route `r` into `dstHost`'s pod CIDR, one per next hop, into `made` (for the cache) and `runs`. */
function makeRouteEdges(b: PartBuilder, r: RouteValue, dstHost: string, made: RouteEdgeCacheEntry['edges'], runs: RouteEdgeRuns): void {
  const { h, part } = b;
  const hops = r.nexthops.length > 0 ? r.nexthops : [{ gateway: r.gateway, dev: r.dev, weight: null, flags: [] }];
  for (const nh of hops) {
    const { vtep: via, host: nextHopHost } = resolveNexthop(h, nh, b.context.addrOwner);
    if (b.relations && nextHopHost !== null && nextHopHost === dstHost) {
      // the compact form: a healthy edge to a host is counted, never built
      made.push({ edge: null, external: null });
      countRouteHop(b, null);
      continue;
    }
    const viaExternal = nextHopHost === null && via === null && nh.gateway !== null;
    const target =
      nextHopHost !== null ? hostId(nextHopHost) : via !== null ? vtepRef(part, via) : viaExternal ? externalRef(part, nh.gateway!, 'next-hop') : hostId(dstHost);
    const data: RouteEdgeData & Record<string, unknown> = {
      table: r.table,
      dst: r.dst,
      gateway: nh.gateway,
      dev: nh.dev,
      protocol: r.protocol,
      metric: r.metric,
      dstHost,
      nextHopHost,
      vtep: via,
      nextHopMismatch: nextHopHost !== dstHost,
    };
    if (r.nexthops.length > 0) data.weight = nh.weight;
    let q = `${r.table}|${r.dst}|${nh.gateway ?? '-'}|${nh.dev ?? '-'}`;
    if (r.metric !== 0) q += `|metric ${r.metric}`;
    if (r.tos !== 0) q += `|tos ${r.tos}`;
    const e: TopoEdge = { id: edgeId('route', h.id, target, q), type: 'route', source: h.id, target, data };
    made.push({ edge: e, external: viaExternal ? nh.gateway : null });
    countRouteHop(b, e);
    placeRouteEdge(runs, b.context.hostRank, e);
  }
}

/** The compact form's count of one route edge (null: a healthy one to a host, not built). */
function countRouteHop(b: PartBuilder, e: TopoEdge | null): void {
  if (!b.relations) return;
  b.relations.routes.total++;
  if (e !== null && (e.data as unknown as RouteEdgeData).nextHopMismatch) b.relations.routes.mismatch++;
}

/** Sorted by id; of elements with one id, the last (the sort is stable). */
function uniqueSorted<T extends { id: string }>(xs: T[]): T[] {
  xs.sort(byId);
  return xs.filter((x, i) => xs[i + 1]?.id !== x.id);
}

// ------------------------------------------------------------------ patches

/** What turns `before` into `after`: changed or new elements (whole), and removed ids; sorted by id. */
export function diffTopology(before: Topology, after: Topology): TopologyPatch {
  const nodes = diffById(before.nodes, after.nodes);
  const edges = diffById(before.edges, after.edges);
  return { upsertNodes: nodes.upserts, removeNodes: nodes.removes, upsertEdges: edges.upserts, removeEdges: edges.removes };
}

function diffById<T extends { id: string }>(before: readonly T[], after: readonly T[]): { upserts: T[]; removes: string[] } {
  const old = new Map(before.map((x) => [x.id, x]));
  const upserts: T[] = [];
  const seen = new Set<string>();
  for (const x of after) {
    seen.add(x.id);
    const o = old.get(x.id);
    if (!o || !jsonEqual(o, x)) upserts.push(x);
  }
  const removes = before.filter((x) => !seen.has(x.id)).map((x) => x.id);
  return { upserts: upserts.sort(byId), removes: sorted(removes) };
}

/** A new topology: `t` with `p` applied (removals first, then upserts), sorted by id. */
export function applyTopologyPatch(t: Topology, p: TopologyPatch): Topology {
  return { nodes: applyById(t.nodes, p.removeNodes, p.upsertNodes), edges: applyById(t.edges, p.removeEdges, p.upsertEdges) };
}

function applyById<T extends { id: string }>(xs: readonly T[], removes: readonly string[], upserts: readonly T[]): T[] {
  const m = new Map(xs.map((x) => [x.id, x]));
  for (const id of removes) m.delete(id);
  for (const x of upserts) m.set(x.id, x);
  return [...m.values()].sort(byId);
}

export function isEmptyTopologyPatch(p: TopologyPatch): boolean {
  return p.upsertNodes.length === 0 && p.removeNodes.length === 0 && p.upsertEdges.length === 0 && p.removeEdges.length === 0;
}
