// Expected state (DESIGN.md "Data flow" step 7): from Kubernetes' Nodes, or without Kubernetes from
// what each node announces, which routes every live node must hold and what kube-router's ipsets
// must contain, and the findings where a node's facts say otherwise. Pure and deterministic, like
// the topology it shares its host index with (topology.ts): findings are sorted by key.
//
// The rules:
// - for every pair of live nodes A != B and every pod CIDR C of B, A's main table must send C
//   towards B: the most specific route containing C (lowest metric; a default route does not
//   count) has every next hop leading to B, through an address of B (its node IP) or through a
//   vxlan device whose neighbor and fdb entries put the gateway's MAC behind B's VTEP, or a
//   point-to-point tunnel ending at B. No such route: route-missing (also when only a less specific
//   route covers C and leads elsewhere). A route for exactly C that leads elsewhere (another node,
//   a gateway no node holds), drops (blackhole, unreachable), or goes through a vxlan gateway the
//   kernel cannot resolve (no neighbor, no fdb entry): route-wrong-nexthop. C overlapping one of A's
//   own CIDRs is A's to deliver (Calico's own blocks as blackholes): not checked.
// - a route on A whose destination lies in no live node's pod CIDR and contains none, and that is a
//   pod CIDR of a node no longer in the cluster, or leads to such a node, or leads to another
//   machine (a gateway or a tunnel) inside the pods' address space (the known pod CIDRs' common
//   prefix, to whole octets): route-stale, with the former node as peer when it is known.
// - kube-router's `kube-router-pod-subnets` and `kube-router-node-ips` (when the node has them)
//   must hold exactly the live nodes' pod CIDRs and node IPs of the set's family: ipset-missing,
//   ipset-extra.
// - a tunnel device's MTU must leave room for its encapsulation on its lower device (vxlan 50
//   bytes over IPv4, 70 over IPv6; ipip 20 ...), and a pod veth's MTU must fit the tunnel that
//   carries pod traffic to other nodes, or the underlay when pods are routed without one:
//   mtu-mismatch.
//
// Cost: one index per host (shared with the topology), one prefix table of each node's main routes,
// then a lookup per prefix length present for every (node, peer CIDR) pair.
import type { ExpectedNode, Fact, Finding, FindingType, LinkValue, RouteValue } from '@netatlas/wire/core';
import { formatIp, formatPrefix, ipKey, mask, parseIp, parsePrefix, prefixKey, type Ip, type IpKey, type Prefix } from './topology-ip.js';
import {
  PrefixTable,
  addressOwners,
  claimOwner,
  indexHosts,
  ownerOf,
  resolveNexthop,
  type Host,
  type ResolvedNexthop,
  type TopologyInput,
} from './topology.js';

/** A Kubernetes Node as the checks need it: name, InternalIPs, `spec.podCIDRs`. */
export interface KubernetesNodeInfo {
  name: string;
  addresses: readonly string[];
  podCidrs: readonly string[];
}

export interface ExpectedNodesOptions {
  /** the cluster's Nodes; without them, the cluster is every node in the state, as it announces itself */
  kubernetes?: readonly KubernetesNodeInfo[];
}

export interface CheckNodesOptions extends ExpectedNodesOptions {
  /**
   * the nodes alive now, by collector or Kubernetes name (default: every node of the cluster). A
   * node of the state or of Kubernetes that is not live has left: routes to it are stale.
   */
  live?: readonly string[];
}

export const KUBE_ROUTER_POD_SUBNETS = 'kube-router-pod-subnets';
export const KUBE_ROUTER_NODE_IPS = 'kube-router-node-ips';

/** Bytes an encapsulation adds, over an IPv4 and an IPv6 underlay (null: not possible over that family). */
export const ENCAPSULATION_OVERHEAD: Readonly<Record<string, { 4: number | null; 6: number | null }>> = {
  vxlan: { 4: 50, 6: 70 }, // outer IP 20/40 + UDP 8 + VXLAN 8 + inner Ethernet 14
  geneve: { 4: 50, 6: 70 }, // the same without options
  ipip: { 4: 20, 6: null },
  sit: { 4: 20, 6: null },
  ip6tnl: { 4: null, 6: 40 },
  wireguard: { 4: 60, 6: 80 }, // outer IP + UDP 8 + WireGuard 32
};

// ------------------------------------------------------------------ the cluster

interface Member {
  expected: ExpectedNode;
  host: Host | null;
  cidrs: Prefix[];
}

interface Cluster {
  hosts: Host[];
  /** the cluster's nodes, in name order */
  members: Member[];
  /** nodes of the state that the cluster (Kubernetes) does not hold */
  outsiders: Member[];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const uniqSorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort(cmp);
const canonIp = (s: string): string | null => {
  const ip = parseIp(s);
  return ip ? formatIp(ip) : null;
};
const canonPrefix = (s: string): Prefix | null => {
  const p = parsePrefix(s.trim(), s.includes(':') ? 'inet6' : 'inet');
  return p ? { ip: mask(p.ip, p.len), len: p.len } : null;
};
const showPrefix = (p: Prefix): string => formatPrefix(p.ip, p.len);

/** Tunnel names that carry pods' traffic, best first, when a host has several vxlan devices. */
const VTEP_NAMES = ['flannel.1', 'vxlan.calico', 'vxlan-v6.calico'];

function vtepOf(h: Host): string | null {
  const vx = h.tunnels.filter((t) => t.kind === 'vxlan' && t.vxlan?.local);
  vx.sort((a, b) => {
    const ra = VTEP_NAMES.indexOf(a.ifname);
    const rb = VTEP_NAMES.indexOf(b.ifname);
    return (ra < 0 ? 99 : ra) - (rb < 0 ? 99 : rb) || cmp(a.ifname, b.ifname);
  });
  const local = vx[0]?.vxlan?.local;
  return local ? canonIp(local) : null;
}

function announced(h: Host): Member {
  return {
    host: h,
    cidrs: h.podCidrs,
    expected: {
      name: h.name,
      kubernetesName: null,
      collected: true,
      addresses: uniqSorted(h.underlay.map((a) => formatIp(a.ip))),
      podCidrs: h.podCidrs.map(showPrefix),
      vtep: vtepOf(h),
      source: 'announced',
    },
  };
}

function fromKubernetes(k: KubernetesNodeInfo, h: Host | null): Member {
  const kubeCidrs = k.podCidrs.map(canonPrefix).filter((p): p is Prefix => p !== null);
  // Calico's IPAM hands out blocks from its pools and ignores Node.spec.podCIDRs: its blocks
  // (blackholes installed by BIRD) are what the other nodes route
  const useAnnounced = h !== null && (kubeCidrs.length === 0 || (h.style === 'calico' && h.podCidrs.length > 0));
  const cidrs = useAnnounced ? h.podCidrs : kubeCidrs;
  const addresses = uniqSorted(k.addresses.map(canonIp).filter((a): a is string => a !== null));
  return {
    host: h,
    cidrs,
    expected: {
      name: h?.name ?? k.name,
      kubernetesName: k.name,
      collected: h !== null,
      addresses: addresses.length > 0 || h === null ? addresses : uniqSorted(h.underlay.map((a) => formatIp(a.ip))),
      podCidrs: cidrs.map(showPrefix),
      vtep: h ? vtepOf(h) : null,
      source: useAnnounced || kubeCidrs.length === 0 ? 'announced' : 'kubernetes',
    },
  };
}

function buildCluster(state: TopologyInput, options: ExpectedNodesOptions): Cluster {
  const hosts = indexHosts(state);
  const kube = options.kubernetes;
  if (!kube) return { hosts, members: hosts.map(announced), outsiders: [] };
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const owners = addressOwners(hosts);
  // by name first, for every Kubernetes node; then by InternalIP among the hosts left
  const matched = new Map<KubernetesNodeInfo, Host>();
  const taken = new Set<string>();
  for (const k of kube) {
    const h = byName.get(k.name);
    if (h && !taken.has(h.name)) {
      matched.set(k, h);
      taken.add(h.name);
    }
  }
  for (const k of kube) {
    if (matched.has(k)) continue;
    for (const a of k.addresses) {
      const o = ownerOf(owners, a);
      const h = o === null || taken.has(o) ? undefined : byName.get(o);
      if (h) {
        matched.set(k, h);
        taken.add(h.name);
        break;
      }
    }
  }
  const members = kube.map((k) => fromKubernetes(k, matched.get(k) ?? null)).sort((a, b) => cmp(a.expected.name, b.expected.name));
  const outsiders = hosts.filter((h) => !taken.has(h.name)).map(announced);
  return { hosts, members, outsiders };
}

/**
 * The cluster's nodes as the checks expect them: from Kubernetes when given (a collector's node
 * matched by name, else by InternalIP among its addresses, takes the collector's name), else every
 * node of the state as it announces itself. In name order.
 */
export function expectedNodes(state: TopologyInput, options: ExpectedNodesOptions = {}): ExpectedNode[] {
  return buildCluster(state, options).members.map((m) => m.expected);
}

// ------------------------------------------------------------------ the checks

/** A route's next hop and where it leads (as in a finding's `actual.nexthops`). */
interface Hop {
  gateway: string | null;
  dev: string | null;
  vtep: string | null;
  node: string | null;
  problem: ResolvedNexthop['problem'];
}

const findingKey = (type: FindingType, node: string, peer: string | null, subject: string): string => `${type}|${node}|${peer ?? ''}|${subject}`;

/** The leading bits two addresses of one family share. */
function commonBits(a: Ip, b: Ip): number {
  if (a.v === 4 && b.v === 4) return Math.clz32((a.n ^ b.n) >>> 0);
  if (a.v === 6 && b.v === 6) {
    for (let i = 0; i < 8; i++) {
      const x = ((a.w[i] ?? 0) ^ (b.w[i] ?? 0)) & 0xffff;
      if (x !== 0) return i * 16 + (Math.clz32(x) - 16);
    }
    return 128;
  }
  return 0;
}

const NO_HOPS: readonly Hop[] = [];

/** Whether a route's next hops (at least one) all lead, resolvably, to `node`. */
function leadsOnlyTo(hops: readonly Hop[], node: string): boolean {
  if (hops.length === 0) return false;
  for (const x of hops) if (x.problem !== null || x.node !== node) return false;
  return true;
}

const contains = (outer: Prefix, inner: Prefix): boolean =>
  outer.ip.v === inner.ip.v && outer.len <= inner.len && prefixKey(outer.ip, outer.len) === prefixKey(inner.ip, outer.len);
const overlaps = (a: Prefix, b: Prefix): boolean => contains(a, b) || contains(b, a);
function overlapsAny(xs: readonly Prefix[], p: Prefix): boolean {
  for (const x of xs) if (overlaps(x, p)) return true;
  return false;
}

/**
 * The pod address space of each family: the longest prefix the known pod CIDRs share, shortened to
 * a whole octet (10.233.1.0/24 and 10.233.2.0/24 give 10.233.0.0/16); none for a family with a
 * single CIDR, or where it would be shorter than /8.
 */
function podSpaces(cidrs: readonly Prefix[]): Prefix[] {
  const out: Prefix[] = [];
  for (const v of [4, 6] as const) {
    const xs = cidrs.filter((c) => c.ip.v === v);
    const [first] = xs;
    if (!first || xs.length < 2) continue;
    let len = first.len;
    for (const c of xs) len = Math.min(len, c.len, commonBits(first.ip, c.ip));
    len -= len % 8;
    if (len >= 8) out.push({ ip: mask(first.ip, len), len });
  }
  return out;
}

/**
 * Every finding for the live nodes of the state, sorted by key. The cluster is Kubernetes' Nodes
 * when given, else every node of the state; `live` narrows it (default: all of it).
 */
export function checkNodes(state: TopologyInput, options: CheckNodesOptions = {}): Finding[] {
  return evaluate(buildCluster(state, options), options);
}

/** expectedNodes and checkNodes in one pass over the state (one index of every host). */
export function evaluateChecks(state: TopologyInput, options: CheckNodesOptions = {}): { nodes: ExpectedNode[]; findings: Finding[] } {
  const cluster = buildCluster(state, options);
  return { nodes: cluster.members.map((m) => m.expected), findings: evaluate(cluster, options) };
}

function evaluate(cluster: Cluster, options: CheckNodesOptions): Finding[] {
  const liveSet = options.live ? new Set(options.live) : null;
  const isLive = (m: Member) =>
    liveSet === null || liveSet.has(m.expected.name) || (m.expected.kubernetesName !== null && liveSet.has(m.expected.kubernetesName));
  const live = cluster.members.filter(isLive);
  const departed = [...cluster.members.filter((m) => !isLive(m)), ...cluster.outsiders];
  const departedNames = new Set(departed.map((m) => m.expected.name));

  // who holds an address: live nodes first; a departed node only where no live node does
  const ownersOf = (members: Member[]) => {
    const m = addressOwners(members.flatMap((x) => (x.host ? [x.host] : [])));
    for (const x of members) for (const a of x.expected.addresses) {
      const k = ipKeyOf(a);
      if (k !== null) claimOwner(m, k, x.expected.name);
    }
    return m;
  };
  const owners = ownersOf(live);
  for (const [k, v] of ownersOf(departed)) if (!owners.has(k)) owners.set(k, v);

  // whose pod CIDR a prefix is
  const liveCidrs = new PrefixTable<string>();
  for (const m of live) for (const c of m.cidrs) liveCidrs.set(c, m.expected.name);
  const departedCidrs = new PrefixTable<string>();
  for (const m of departed) for (const c of m.cidrs) if (liveCidrs.match(c) === undefined) departedCidrs.set(c, m.expected.name);
  const allLiveCidrs = live.flatMap((m) => m.cidrs);
  const spaces = new PrefixTable<true>();
  for (const sp of podSpaces([...allLiveCidrs, ...departed.flatMap((m) => m.cidrs)])) spaces.set(sp, true);

  // what kube-router's sets should hold, the same for every node: member -> node, by set and family
  const wantedSets = new Map<string, Map<string, string>>();
  const wanted = (nets: boolean, v: 4 | 6): Map<string, string> => {
    const id = `${nets}|${v}`;
    let want = wantedSets.get(id);
    if (want) return want;
    wantedSets.set(id, (want = new Map()));
    for (const m of live) {
      if (nets) for (const [i, c] of m.cidrs.entries()) if (c.ip.v === v) want.set(m.expected.podCidrs[i] ?? showPrefix(c), m.expected.name);
      if (!nets) for (const ip of m.expected.addresses) if (parseIp(ip)?.v === v) want.set(ip, m.expected.name);
    }
    return want;
  };

  const findings = new Map<string, Finding>();
  const add = (type: FindingType, node: string, peer: string | null, subject: string, message: string, expected: Finding['expected'], actual: Finding['actual']) => {
    const key = findingKey(type, node, peer, subject);
    if (!findings.has(key)) findings.set(key, { type, node, peer, subject, key, message, expected, actual });
  };

  for (const a of live) {
    const h = a.host;
    if (h === null) continue; // a Kubernetes node without a collector: only routes towards it are checked
    const name = a.expected.name;

    // the main table, by destination: the route the kernel uses (lowest metric, tos 0)
    const table = new PrefixTable<RouteValue>();
    const mainRoutes: RouteValue[] = [];
    for (const r of h.routes) {
      if (r.table !== 'main' || r.tos !== 0) continue;
      if (table.setText(r.dst, r.family, r, (cur) => cur.metric <= r.metric)) mainRoutes.push(r);
    }
    const hopCache = new Map<RouteValue, Hop[]>();
    const hopsOf = (r: RouteValue): Hop[] => {
      let hops = hopCache.get(r);
      if (hops === undefined) {
        hops = (r.nexthops.length > 0 ? r.nexthops : [{ gateway: r.gateway, dev: r.dev }]).map((nh) => {
          const x = resolveNexthop(h, nh, owners);
          return { gateway: nh.gateway, dev: nh.dev, vtep: x.vtep, node: x.host, problem: x.problem };
        });
        hopCache.set(r, hops);
      }
      return hops;
    };
    const describe = (r: RouteValue, hops: readonly Hop[]) => ({
      dst: r.dst,
      type: r.type,
      protocol: r.protocol,
      metric: r.metric,
      nexthops: r.type === 'unicast' ? hops : [],
    });
    // the tunnels that carry pod traffic to other nodes (for the MTU check)
    const podTunnels = new Set<string>();
    const podRoutes = new Set<RouteValue>();

    // 1. every live peer's pod CIDRs, routed towards the peer
    for (const b of live) {
      if (b === a) continue;
      const bName = b.expected.name;
      for (let i = 0; i < b.cidrs.length; i++) {
        const c = b.cidrs[i] as Prefix;
        if (overlapsAny(a.cidrs, c)) continue; // a CIDR A holds too is A's to deliver
        const hit = table.match(c, 1);
        const hops = hit?.type === 'unicast' ? hopsOf(hit) : NO_HOPS;
        if (hit !== undefined && !podRoutes.has(hit)) {
          podRoutes.add(hit);
          for (const x of hops) if (x.dev !== null && isTunnel(h.links.get(x.dev))) podTunnels.add(x.dev);
        }
        if (hit !== undefined && leadsOnlyTo(hops, bName)) continue;
        // a finding: now the details
        const cidr = b.expected.podCidrs[i] ?? showPrefix(c);
        const expected = { dst: cidr, via: b.expected.addresses, vtep: b.expected.vtep };
        if (hit === undefined) {
          const dflt = table.get({ ip: mask(c.ip, 0), len: 0 });
          const actual = dflt ? { ...describe(dflt, hopsOf(dflt)), note: 'only the default route' } : null;
          add('route-missing', name, bName, cidr, `${name} has no route to ${cidr} (${bName}'s pods)`, expected, actual);
          continue;
        }
        const actual = describe(hit, hops);
        const where = leadsTo(hit, hops);
        if (parsePrefix(hit.dst, hit.family)?.len === c.len) {
          add('route-wrong-nexthop', name, bName, cidr, `${name} routes ${cidr} (${bName}'s pods) ${where}, not towards ${bName}`, expected, actual);
        } else {
          add('route-missing', name, bName, cidr, `${name} has no route to ${cidr} (${bName}'s pods): ${hit.dst} covers it, ${where}`, expected, actual);
        }
      }
    }

    // 2. routes into pod CIDRs nobody live holds
    for (const r of mainRoutes) {
      if (podRoutes.has(r) || r.dst === 'default' || r.type === 'local' || r.type === 'broadcast' || r.type === 'multicast') continue;
      if (liveCidrs.matchText(r.dst, r.family) !== undefined) continue; // inside a live node's CIDR: checked above, or the node's own
      const formerOwner = departedCidrs.matchText(r.dst, r.family) ?? null;
      if (formerOwner === null && spaces.matchText(r.dst, r.family) === undefined) continue;
      const p = parsePrefix(r.dst, r.family);
      if (p === null || p.len === 0) continue;
      if (allLiveCidrs.some((c) => contains(p, c))) continue; // an aggregate over live CIDRs
      const hops = r.type === 'unicast' ? hopsOf(r) : [];
      const hopOwner = hops.map((x) => x.node).find((n): n is string => n !== null && departedNames.has(n)) ?? null;
      // inside the pod space but neither a former node's CIDR nor towards one: a route to another
      // machine (a gateway or a tunnel) only, not a local device route
      if (formerOwner === null && hopOwner === null && !hops.some((x) => x.gateway !== null || (x.dev !== null && isTunnel(h.links.get(x.dev))))) continue;
      const peer = formerOwner ?? hopOwner;
      const why =
        formerOwner !== null
          ? `the pods of ${formerOwner}, which is no longer in the cluster`
          : hopOwner !== null
            ? `towards ${hopOwner}, which is no longer in the cluster`
            : 'a pod CIDR no node of the cluster holds';
      add('route-stale', name, peer, r.dst, `${name} still routes ${r.dst} ${leadsTo(r, hops)}: ${why}`, null, { table: r.table, ...describe(r, hops) });
    }

    // 3. kube-router's ipsets
    const membersBySet = new Map<string, string[]>();
    for (const m of h.ipsetMembers) {
      const xs = membersBySet.get(m.set);
      if (xs) xs.push(m.element);
      else membersBySet.set(m.set, [m.element]);
    }
    for (const set of h.ipsets) {
      const base = set.name.startsWith('inet6:') ? set.name.slice('inet6:'.length) : set.name;
      const nets = base === KUBE_ROUTER_POD_SUBNETS;
      if (!nets && base !== KUBE_ROUTER_NODE_IPS) continue;
      const v = set.family === 'inet6' || (set.family === null && set.name.startsWith('inet6:')) ? 6 : 4;
      const want = wanted(nets, v);
      const have = new Set<string>();
      const extra = new Set<string>();
      for (const e of membersBySet.get(set.name) ?? []) {
        if (want.has(e)) {
          have.add(e); // written as we write it: no need to parse
          continue;
        }
        const p = canonPrefix(e);
        const member = p === null ? e : nets ? showPrefix(p) : formatIp(p.ip);
        have.add(member);
        if (!want.has(member)) extra.add(member);
      }
      const what = nets ? 'pod CIDR' : 'node IP';
      for (const [member, node] of have.size - extra.size === want.size ? [] : want) {
        if (have.has(member)) continue;
        add('ipset-missing', name, node, `${set.name} ${member}`, `${name}'s ipset ${set.name} lacks ${member} (${node}'s ${what})`, { set: set.name, member }, null);
      }
      for (const member of extra) {
        const p = canonPrefix(member);
        const former = p === null ? null : nets ? (departedCidrs.match(p) ?? null) : departedOwner(owners, departedNames, p.ip);
        add('ipset-extra', name, former, `${set.name} ${member}`,
          `${name}'s ipset ${set.name} holds ${member}, ${former !== null ? `the ${what} of ${former}, which is no longer in the cluster` : `which is no live node's ${what}`}`,
          null, { set: set.name, member });
      }
    }

    // 4. MTUs
    const underlayLinks = uniqSorted(h.underlay.map((x) => x.ifname))
      .map((n) => h.links.get(n))
      .filter((l): l is LinkValue => l !== undefined);
    const lowest = underlayLinks.reduce<LinkValue | null>((lo, l) => (lo === null || l.mtu < lo.mtu ? l : lo), null);
    if (lowest === null) continue;
    const underlayV6 = h.underlay.every((x) => x.ip.v === 6);
    const tunnelLimit = new Map<string, { max: number; overhead: number }>();
    for (const t of h.tunnels) {
      const local = parseIp(t.vxlan?.local ?? t.ipip?.local ?? '');
      const v6 = local ? local.v === 6 : underlayV6;
      const overhead = ENCAPSULATION_OVERHEAD[t.kind]?.[v6 ? 6 : 4] ?? null;
      if (overhead === null) continue;
      const lower = lowerLink(h, t) ?? lowest;
      const max = lower.mtu - overhead;
      tunnelLimit.set(t.ifname, { max: Math.min(t.mtu, max), overhead });
      if (t.mtu > max) {
        add('mtu-mismatch', name, null, t.ifname,
          `${name}: ${t.ifname} (${t.kind}) has MTU ${t.mtu}, more than the ${max} that ${lower.ifname} (MTU ${lower.mtu}) leaves after ${overhead} bytes of ${t.kind}`,
          { maxMtu: max, lower: { ifname: lower.ifname, mtu: lower.mtu }, encapsulation: t.kind, overhead }, { ifname: t.ifname, mtu: t.mtu });
      }
    }
    // pods' packets to other nodes go through the tunnels their routes use, else straight onto the underlay
    let podMax = lowest.mtu;
    let carrier: LinkValue | null = null;
    for (const dev of [...podTunnels].sort(cmp)) {
      const t = h.links.get(dev);
      if (t === undefined) continue;
      const max = tunnelLimit.get(dev)?.max ?? t.mtu;
      if (max < podMax) [podMax, carrier] = [max, t];
    }
    const limit = carrier
      ? { maxMtu: podMax, tunnel: { ifname: carrier.ifname, mtu: carrier.mtu }, encapsulation: carrier.kind, overhead: tunnelLimit.get(carrier.ifname)?.overhead ?? null }
      : { maxMtu: podMax, underlay: { ifname: lowest.ifname, mtu: lowest.mtu }, encapsulation: null, overhead: 0 };
    const through = carrier ? `${carrier.ifname}, the ${carrier.kind} tunnel that carries its pods' traffic, allows` : `the underlay (${lowest.ifname}) allows`;
    for (const v of h.podVeths) {
      if (v.mtu <= podMax) continue;
      add('mtu-mismatch', name, null, v.ifname, `${name}: pod interface ${v.ifname} has MTU ${v.mtu}, more than the ${podMax} ${through}`, limit, { ifname: v.ifname, mtu: v.mtu });
    }
  }

  return [...findings.values()].sort((x, y) => cmp(x.key, y.key));
}

function ipKeyOf(s: string): IpKey | null {
  const ip = parseIp(s);
  return ip ? ipKey(ip) : null;
}

function departedOwner(owners: ReadonlyMap<IpKey, string>, departed: ReadonlySet<string>, ip: Ip): string | null {
  const o = ownerOf(owners, ip);
  return o !== null && departed.has(o) ? o : null;
}

const TUNNEL_LINK_KINDS = new Set(['vxlan', 'geneve', 'ipip', 'sit', 'ip6tnl', 'gre', 'gretap', 'ip6gre', 'ip6gretap', 'wireguard', 'vti', 'vti6']);
const isTunnel = (l: LinkValue | undefined): boolean => l !== undefined && TUNNEL_LINK_KINDS.has(l.kind);

/** The device a tunnel's packets leave by: vxlan's `dev`, else the device holding its local address. */
function lowerLink(h: Host, t: LinkValue): LinkValue | undefined {
  if (t.vxlan?.dev) return h.links.get(t.vxlan.dev);
  const local = parseIp(t.vxlan?.local ?? t.ipip?.local ?? '');
  if (!local) return undefined;
  const k = ipKey(local);
  for (const [ifname, addrs] of h.globalAddrs) if (addrs.some((x) => ipKey(x.ip) === k)) return h.links.get(ifname);
  return undefined;
}

/** "via 172.20.0.13 dev eth0 (node3)", "via 10.244.2.0 dev flannel.1, which has no neighbor entry for it", "as blackhole" */
function leadsTo(r: RouteValue, hops: readonly Hop[]): string {
  if (r.type !== 'unicast') return `as ${r.type}`;
  return hops
    .map((x) => {
      let s = x.gateway !== null ? `via ${x.gateway}${x.dev !== null ? ` dev ${x.dev}` : ''}` : `dev ${x.dev ?? '?'}`;
      if (x.problem === 'no-neighbor') return `${s}, which has no neighbor entry for it`;
      if (x.problem === 'no-fdb') return `${s}, whose neighbor's MAC has no fdb entry`;
      if (x.vtep !== null) s += ` to VTEP ${x.vtep}`;
      return `${s} (${x.node ?? 'no known node'})`;
    })
    .join(' and ');
}

/** Facts kinds the checks read; a caller that loads state per kind can ask for these only. */
export const CHECK_FACT_KINDS = ['link', 'addr', 'route', 'neigh', 'fdb', 'ipset', 'ipsetMember', 'node'] as const satisfies readonly Fact['kind'][];
