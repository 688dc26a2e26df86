// Expected state (DESIGN.md "Data flow" step 7): which routes every live node must hold, what its
// own pods need, what kube-router's ipsets must contain, and the findings where a node's facts say
// otherwise. Pure and deterministic, like the topology it shares its host index with (topology.ts):
// findings are sorted by key.
//
// The rules:
// - every node's pod ranges come with their sources (pod-ranges.ts): Kubernetes podCIDRs where the
//   CNI uses them, Calico's block affinities, what the node's BGP daemon originates, blackholes,
//   pod bridges.
// - for every pair of live nodes A != B and every pod range C of B in a family A speaks, A's kernel
//   must deliver C towards B: the forwarding engine (forwarding.ts) walks C from A the way the
//   kernel forwards it (longest prefix over the tables, covering routes, every ECMP branch, vxlan
//   and tunnel next hops, neighbor state), node to node, and every branch must reach B. A branch
//   that is dropped, delivered on another node, loops or leaves on the default route is a finding:
//   route-wrong-nexthop when A holds a route for exactly C (it leads elsewhere, drops, or breaks on
//   the way), route-missing otherwise (no route, only the default route, or a covering route that
//   fails). Handed to a router netatlas does not collect on a covering route: not judged. C
//   overlapping one of A's own ranges is A's to deliver (Calico's own blocks as blackholes).
// - every pod of a live node (Kubernetes' Running pods with an IP on that node, and the addresses
//   the node's pod interfaces show: Calico's /32 routes, neighbor entries) must be delivered by the
//   node itself to one of its pod interfaces: pod-route-missing. On a bridge-style node a pod's
//   address must lie in a pod bridge's subnet: pod-address-outside-range.
// - a route on A whose destination lies in no live node's range and contains none, and that is a
//   range of a node no longer in the cluster, or leads to such a node, or leads to another machine
//   that is no live node (a gateway or a tunnel) inside the pods' address space: route-stale.
// - kube-router's `kube-router-pod-subnets` and `kube-router-node-ips` (when the node has them)
//   must hold exactly the live nodes' ranges and node IPs of the set's family: ipset-missing,
//   ipset-extra.
// - a tunnel device's MTU must leave room for its encapsulation on its lower device (vxlan 50
//   bytes over IPv4, 70 over IPv6; ipip 20 ...), and a pod veth's MTU must fit, for each family its
//   pod uses, the tunnels that carry that family's pod traffic to other nodes, or the underlay when
//   that family is routed without one: mtu-mismatch.
// Each finding says what it depends on (`dependsOn`: the nodes and BGP sessions on its path), so
// that a root cause claims only the symptoms it explains.
//
// Cost: one index per host (shared with the topology), one FIB per host, then a walk per (node,
// peer range) pair, which is one lookup when the route leads straight to the peer.
import type { ExpectedNode, Fact, Finding, FindingDependencies, FindingType, LinkValue, RouteValue } from '@netatlas/wire/core';
import { TUNNEL_KINDS } from './link-kinds.js';
import { BgpPeerings } from './bgp-paths.js';
import { Fib, forwardOn, isPodInterface, straightTo, takesFrame, walk, type Branch, type WalkContext, type WalkResult } from './forwarding.js';
import { podRanges, type BlockAffinityInfo, type NodeRanges, type RememberedOrigin } from './pod-ranges.js';
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

export type { BlockAffinityInfo, RememberedOrigin } from './pod-ranges.js';

/** A Kubernetes Node as the checks need it: name, InternalIPs, `spec.podCIDRs`. */
export interface KubernetesNodeInfo {
  name: string;
  addresses: readonly string[];
  podCidrs: readonly string[];
}

/** A Kubernetes Pod as the checks need it. */
export interface KubernetesPodInfo {
  namespace: string;
  name: string;
  /** the node it runs on (Kubernetes' name for it) */
  node: string | null;
  ips: readonly string[];
  hostNetwork: boolean;
  phase: string | null;
}

export interface ExpectedNodesOptions {
  /** the cluster's Nodes; without them, the cluster is every node in the state, as it announces itself */
  kubernetes?: readonly KubernetesNodeInfo[];
  /** Kubernetes' pods (their addresses are what each node must deliver to its own pods) */
  pods?: readonly KubernetesPodInfo[];
  /** Calico's IPAM block affinities (node by Kubernetes name) */
  blocks?: readonly BlockAffinityInfo[];
  /** per node (collector name), what its daemon originated before it stopped answering */
  lastOrigins?: ReadonlyMap<string, readonly RememberedOrigin[]>;
}

export interface CheckNodesOptions extends ExpectedNodesOptions {
  /**
   * the nodes alive now, by collector or Kubernetes name (default: every node of the cluster). A
   * node of the state or of Kubernetes that is not live has left: routes to it are stale.
   */
  live?: readonly string[];
  /**
   * at most this many findings are built (default: all); at the first one past it the evaluation
   * stops (`truncated`). A badly broken (or badly simulated) 1000-node cluster has millions —
   * route-missing and ipset-missing for N × (N − 1) pairs — and building 2.4 million took 20 s, half
   * of it garbage collection; only counting them, 2.6 s (at 5000 nodes 98 s). Which ones are kept
   * follows the order the nodes are checked in.
   */
  maxFindings?: number;
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
  /** the parsed ranges of expected.ranges, in the same order */
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
const familyOf = (v: 4 | 6): 'inet' | 'inet6' => (v === 4 ? 'inet' : 'inet6');

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

/** The families a host speaks: those of its global addresses. */
function hostFamilies(h: Host): Array<'inet' | 'inet6'> {
  let v4 = false;
  let v6 = false;
  for (const addrs of h.globalAddrs.values()) for (const a of addrs) if (a.ip.v === 4) v4 = true; else v6 = true;
  return [...(v4 ? (['inet'] as const) : []), ...(v6 ? (['inet6'] as const) : [])];
}

interface Draft {
  name: string;
  kubernetesName: string | null;
  host: Host | null;
  addresses: string[];
  kubeCidrs: readonly string[] | null;
}

/** The cluster's most common style among collected nodes (what a node without collector runs). */
function clusterStyle(hosts: readonly Host[]): Host['style'] {
  const count = new Map<Host['style'], number>();
  for (const h of hosts) if (h.style !== 'unknown') count.set(h.style, (count.get(h.style) ?? 0) + 1);
  let best: Host['style'] = 'unknown';
  let n = 0;
  for (const [style, c] of [...count].sort((a, b) => cmp(a[0], b[0]))) if (c > n) [best, n] = [style, c];
  return best;
}

function buildCluster(state: TopologyInput, options: ExpectedNodesOptions): Cluster {
  const hosts = indexHosts(state);
  const { drafts, outsiderDrafts } = options.kubernetes ? kubernetesDrafts(hosts, options.kubernetes) : { drafts: hosts.map(draftOfHost), outsiderDrafts: [] };
  const style = clusterStyle(hosts);
  const ranges = draftRanges([...drafts, ...outsiderDrafts], style, options);
  const member = (d: Draft): Member => memberOf(d, ranges, style);
  return { hosts, members: drafts.map(member).sort((a, b) => cmp(a.expected.name, b.expected.name)), outsiders: outsiderDrafts.map(member) };
}

/** A node of the state as it announces itself. */
const draftOfHost = (h: Host): Draft => ({ name: h.name, kubernetesName: null, host: h, addresses: uniqSorted(h.underlay.map((a) => formatIp(a.ip))), kubeCidrs: null });

/** Kubernetes' nodes, each with its collected host when there is one; the hosts Kubernetes does not hold are outsiders. */
function kubernetesDrafts(hosts: readonly Host[], kube: readonly KubernetesNodeInfo[]): { drafts: Draft[]; outsiderDrafts: Draft[] } {
  const { matched, taken } = matchKubernetesNodes(hosts, kube);
  const drafts = kube.map((k): Draft => {
    const h = matched.get(k) ?? null;
    const addresses = uniqSorted(k.addresses.map(canonIp).filter((a): a is string => a !== null));
    return {
      name: h?.name ?? k.name,
      kubernetesName: k.name,
      host: h,
      addresses: addresses.length > 0 || h === null ? addresses : uniqSorted(h.underlay.map((a) => formatIp(a.ip))),
      kubeCidrs: k.podCidrs,
    };
  });
  return { drafts, outsiderDrafts: hosts.filter((h) => !taken.has(h.name)).map(draftOfHost) };
}

/** The host of each Kubernetes node: by name first, for every Kubernetes node; then by InternalIP among the hosts left. */
function matchKubernetesNodes(hosts: readonly Host[], kube: readonly KubernetesNodeInfo[]): { matched: Map<KubernetesNodeInfo, Host>; taken: Set<string> } {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const owners = addressOwners(hosts);
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
  return { matched, taken };
}

/** Every draft's pod ranges (pod-ranges.ts), by name. */
function draftRanges(all: readonly Draft[], style: Host['style'], options: ExpectedNodesOptions): ReadonlyMap<string, NodeRanges> {
  const blocksOf = new Map<string, string[]>();
  for (const b of options.blocks ?? []) blocksOf.set(b.node, [...(blocksOf.get(b.node) ?? []), b.cidr]);
  return podRanges(
    all.map((d) => ({
      name: d.name,
      host: d.host,
      kubernetesCidrs: d.kubeCidrs,
      blocks: blocksOf.get(d.kubernetesName ?? d.name) ?? (d.kubernetesName === null ? [] : (blocksOf.get(d.name) ?? [])),
      style,
      lastOrigins: options.lastOrigins?.get(d.name) ?? [],
    })),
  );
}

function memberOf(d: Draft, ranges: ReadonlyMap<string, NodeRanges>, style: Host['style']): Member {
  const r = ranges.get(d.name) ?? { ranges: [], ignored: [], prefixes: [] };
  const families = d.host ? hostFamilies(d.host) : uniqSorted([...d.addresses.map((a) => (a.includes(':') ? 'inet6' : 'inet')), ...r.ranges.map((x) => x.family)]);
  return {
    host: d.host,
    cidrs: r.prefixes,
    expected: {
      name: d.name,
      kubernetesName: d.kubernetesName,
      collected: d.host !== null,
      addresses: d.addresses,
      podCidrs: r.ranges.map((x) => x.cidr),
      ranges: r.ranges,
      ignored: r.ignored,
      vtep: d.host ? vtepOf(d.host) : null,
      style: d.host?.style ?? style,
      families: families as Array<'inet' | 'inet6'>,
    },
  };
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

const contains = (outer: Prefix, inner: Prefix): boolean =>
  outer.ip.v === inner.ip.v && outer.len <= inner.len && prefixKey(outer.ip, outer.len) === prefixKey(inner.ip, outer.len);
const overlaps = (a: Prefix, b: Prefix): boolean => contains(a, b) || contains(b, a);
function overlapsAny(xs: readonly Prefix[], p: Prefix): boolean {
  for (const x of xs) if (overlaps(x, p)) return true;
  return false;
}

/**
 * The pod address space of each family: the longest prefix the known pod ranges share, shortened
 * to a whole octet (10.233.1.0/24 and 10.233.2.0/24 give 10.233.0.0/16); none for a family with a
 * single range, or where it would be shorter than /8.
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
  return evaluate(buildCluster(state, options), options).findings;
}

/**
 * expectedNodes and checkNodes in one pass over the state (one index of every host). With
 * `maxFindings`, the evaluation stops at the first finding past it (`truncated`): from there on it
 * could only count them, and counting meant walking every pair of nodes that does not deliver (the
 * API bench's 5000-node fleet, ~72 M findings: 98 s an evaluation, every one of them behind the cap).
 */
export function evaluateChecks(state: TopologyInput, options: CheckNodesOptions = {}): { nodes: ExpectedNode[]; findings: Finding[]; truncated: boolean } {
  const cluster = buildCluster(state, options);
  return { nodes: cluster.members.map((m) => m.expected), ...evaluate(cluster, options) };
}

/** Whether a walk from A delivers towards its target, as the checks judge it. */
function delivers(result: WalkResult, departed: ReadonlySet<string>): boolean {
  if (result.branches.length === 0) return false;
  for (const b of result.branches) {
    if (b.end === 'arrived') continue;
    if (b.end !== 'left') return false;
    // handed to a machine netatlas does not collect: a node that left is no delivery; a router
    // reached by the default route is none either (pods' traffic falling to the default route is
    // the classic loss); a router on a covering route is not judged
    const last = b.steps.at(-1)?.branch;
    if (!last || departed.has(b.at)) return false;
    if (last.toNode !== null && departed.has(last.toNode)) return false;
    if (last.route === null || parsePrefix(last.route.dst, last.route.family)?.len === 0) return false;
  }
  return true;
}

/** "via 172.20.0.13 dev eth0 (node3)": where one branch of a walk went and how it ended. */
function describeWalk(result: WalkResult, target: string): string {
  return result.branches
    .filter((b) => b.end !== 'arrived')
    .map((b) => {
      const hops = b.steps.map((s) => stepText(s.branch, s.node === b.steps[0]?.node ? null : s.node)).join(', then ');
      switch (b.end) {
        case 'dropped':
          if (b.drop === 'wrong-vtep') return `${hops}, where ${b.at} drops it (the frame's MAC is not its own)`;
          return `${hops}${b.steps.length > 1 ? `, where ${b.at} drops it` : ''}${b.drop === 'no-route' ? ' (no route)' : ''}`;
        case 'delivered-elsewhere':
          return `${hops}, which delivers it to itself`;
        case 'loop':
          return `${hops}, back to ${b.at} (a loop)`;
        case 'left':
          return `${hops}, out of the nodes netatlas knows`;
        default:
          return `${hops} (towards ${target})`;
      }
    })
    .join('; and ');
}

function stepText(b: Branch, at: string | null): string {
  const on = at === null ? '' : `on ${at} `;
  const r = b.route;
  if (r === null) return `${on}no route`;
  if (b.outcome === 'drop' && (r.type === 'blackhole' || r.type === 'unreachable' || r.type === 'prohibit')) return `${on}as ${r.type}${at === null ? '' : ` (${r.dst})`}`;
  let s = `${on}${b.gateway !== null ? `via ${b.gateway}${b.dev !== null ? ` dev ${b.dev}` : ''}` : `dev ${b.dev ?? '?'}`}`;
  if (b.drop === 'no-neighbor') return `${s}, which has no neighbor entry for it`;
  if (b.drop === 'no-fdb') return `${s}, whose neighbor's MAC has no fdb entry`;
  if (b.drop === 'neighbor-failed') return `${s}, whose neighbor entry is ${b.neighbor?.state.join(',') ?? 'FAILED'}`;
  if (b.drop === 'link-down') return `${s}, whose link is down`;
  if (b.drop === 'no-underlay-route') return `${s}, whose remote end has no underlay route`;
  if (b.drop === 'wrong-vtep') return `${s} to VTEP ${b.toAddress ?? '?'} (${b.toNode ?? 'no known node'}), which does not own the frame's MAC`;
  if (b.encap === 'vxlan' && b.toAddress !== null) s += ` to VTEP ${b.toAddress}`;
  return `${s} (${b.toNode ?? 'no known node'})`;
}

/** The walk as a finding carries it: each branch's end and its steps, compactly. */
function walkSummary(result: WalkResult): Array<Record<string, unknown>> {
  return result.branches.map((b) => ({
    end: b.end,
    at: b.at,
    drop: b.drop,
    steps: b.steps.map((s) => ({ node: s.node, route: s.branch.route?.dst ?? null, table: s.branch.route?.table ?? null, gateway: s.branch.gateway, dev: s.branch.dev, to: s.branch.toNode, encap: s.branch.encap })),
  }));
}

/** Every finding for the live nodes of the cluster, sorted by key; each node's in the order of its steps (the first finding of a key stays). */
function evaluate(cluster: Cluster, options: CheckNodesOptions): { findings: Finding[]; truncated: boolean } {
  const findings = new Map<string, Finding>();
  const e = evaluation(cluster, options, findings);
  for (const a of e.live) {
    // past the cap nothing more can be built: the findings are what they will be
    if (e.budget.exceeded) break;
    if (a.host === null) continue; // a Kubernetes node without a collector: only routes towards it are checked
    const n = nodeCheck(e, a, a.host);
    checkPeerRanges(e, n); // 1. every live peer's ranges, delivered towards the peer
    const pods = podsOf(e, n); // 2. its own pods, delivered by itself to a pod interface
    checkOwnPods(e, n, pods);
    checkStaleRoutes(e, n); // 3. routes into ranges nobody live holds
    checkIpsets(e, n); // 4. kube-router's ipsets
    checkMtus(n.h, n.name, n.podTunnels, pods, e.add); // 5. MTUs
  }
  return { findings: [...findings.values()].sort((x, y) => cmp(x.key, y.key)), truncated: e.budget.exceeded };
}

type AddFindingOn = (
  type: FindingType,
  node: string,
  peer: string | null,
  subject: string,
  message: string,
  expected: Finding['expected'],
  actual: Finding['actual'],
  dependsOn?: FindingDependencies,
) => void;

/** What every node's checks share, built once per evaluation. */
interface Evaluation {
  live: Member[];
  liveNames: Set<string>;
  departedNames: Set<string>;
  /** who holds an address: live nodes first; a departed node only where no live node does */
  owners: Map<IpKey, string>;
  /** the live nodes' tables: walks pass through them (a node that left forwards nothing) */
  fibs: Map<string, Fib>;
  walkContext: WalkContext;
  peerings: BgpPeerings;
  /** whose range a prefix is */
  liveCidrs: PrefixTable<string>;
  departedCidrs: PrefixTable<string>;
  allLiveCidrs: Prefix[];
  spaces: PrefixTable<true>;
  /** what kube-router's sets should hold, the same for every node (wantedMembers fills it on first use) */
  wantedSets: Map<string, Map<string, string>>;
  /** the pods each live node must deliver to (Kubernetes', by the collector's node name) */
  kubePods: Map<string, Array<{ ip: string; pod: string }>>;
  /** records a finding, unless one of its key is there already (or there is no room: the evaluation stops) */
  add: AddFindingOn;
  /** room for one more finding (maxFindings): false when there is none, and then `exceeded` (the evaluation stops) */
  budget: { take(): boolean; exceeded: boolean };
}

function evaluation(cluster: Cluster, options: CheckNodesOptions, findings: Map<string, Finding>): Evaluation {
  const liveSet = options.live ? new Set(options.live) : null;
  const isLive = (m: Member) =>
    liveSet === null || liveSet.has(m.expected.name) || (m.expected.kubernetesName !== null && liveSet.has(m.expected.kubernetesName));
  const live = cluster.members.filter(isLive);
  const departed = [...cluster.members.filter((m) => !isLive(m)), ...cluster.outsiders];
  const owners = ownersOf(live);
  for (const [k, v] of ownersOf(departed)) if (!owners.has(k)) owners.set(k, v);
  const fibs = new Map<string, Fib>();
  for (const m of live) if (m.host) fibs.set(m.expected.name, new Fib(m.host));
  const max = options.maxFindings ?? Infinity;
  const budget = {
    exceeded: false,
    take(): boolean {
      if (findings.size < max) return true;
      budget.exceeded = true;
      return false;
    },
  };
  const add: AddFindingOn = (type, node, peer, subject, message, expected, actual, dependsOn = { nodes: [node], sessions: [] }) => {
    const key = findingKey(type, node, peer, subject);
    if (!findings.has(key) && budget.take()) findings.set(key, { type, node, peer, subject, key, message, expected, actual, dependsOn });
  };
  return {
    live,
    liveNames: new Set(live.map((m) => m.expected.name)),
    departedNames: new Set(departed.map((m) => m.expected.name)),
    owners,
    fibs,
    walkContext: { fibs, owners },
    peerings: new BgpPeerings(live.flatMap((m) => (m.host ? [m.host] : [])), owners),
    ...rangeTables(live, departed),
    wantedSets: new Map(),
    kubePods: kubePodsByNode(live, options.pods),
    add,
    budget,
  };
}

/** Who holds each address among these members: their hosts' addresses, then the addresses they announce. */
function ownersOf(members: readonly Member[]): Map<IpKey, string> {
  const m = addressOwners(members.flatMap((x) => (x.host ? [x.host] : [])));
  for (const x of members) for (const a of x.expected.addresses) {
    const k = ipKeyOf(a);
    if (k !== null) claimOwner(m, k, x.expected.name);
  }
  return m;
}

/** Whose range a prefix is (a departed node's only where no live range holds it), and the pod address spaces. */
function rangeTables(live: readonly Member[], departed: readonly Member[]): Pick<Evaluation, 'liveCidrs' | 'departedCidrs' | 'allLiveCidrs' | 'spaces'> {
  const liveCidrs = new PrefixTable<string>();
  for (const m of live) for (const c of m.cidrs) liveCidrs.set(c, m.expected.name);
  const departedCidrs = new PrefixTable<string>();
  for (const m of departed) for (const c of m.cidrs) if (liveCidrs.match(c) === undefined) departedCidrs.set(c, m.expected.name);
  const allLiveCidrs = live.flatMap((m) => m.cidrs);
  const spaces = new PrefixTable<true>();
  for (const sp of podSpaces([...allLiveCidrs, ...departed.flatMap((m) => m.cidrs)])) spaces.set(sp, true);
  return { liveCidrs, departedCidrs, allLiveCidrs, spaces };
}

/** Kubernetes' running pods with an address, by the collector's name of the live node they run on. */
function kubePodsByNode(live: readonly Member[], pods: readonly KubernetesPodInfo[] | undefined): Evaluation['kubePods'] {
  const kubePods: Evaluation['kubePods'] = new Map();
  if (!pods) return kubePods;
  const byKubeName = new Map(live.map((m) => [m.expected.kubernetesName ?? m.expected.name, m.expected.name]));
  for (const p of pods) {
    if (p.hostNetwork || p.node === null || (p.phase !== null && p.phase !== 'Running')) continue;
    const node = byKubeName.get(p.node);
    if (node === undefined) continue;
    for (const ip of p.ips) {
      const c = canonIp(ip);
      if (c !== null) kubePods.set(node, [...(kubePods.get(node) ?? []), { ip: c, pod: `${p.namespace}/${p.name}` }]);
    }
  }
  return kubePods;
}

/** What one of kube-router's sets should hold (pod CIDRs, or node IPs) of family v: member → node. */
function wantedMembers(e: Evaluation, nets: boolean, v: 4 | 6): Map<string, string> {
  const id = `${nets}|${v}`;
  let want = e.wantedSets.get(id);
  if (want) return want;
  e.wantedSets.set(id, (want = new Map()));
  for (const m of e.live) {
    if (nets) for (const [i, c] of m.cidrs.entries()) if (c.ip.v === v) want.set(m.expected.podCidrs[i] ?? showPrefix(c), m.expected.name);
    if (!nets) for (const ip of m.expected.addresses) if (parseIp(ip)?.v === v) want.set(ip, m.expected.name);
  }
  return want;
}

/** One live, collected node's checks: what its steps share. */
interface NodeCheck {
  a: Member;
  h: Host;
  name: string;
  fib: Fib;
  speaks: Set<string>;
  /** each route's next hops as findings show them, resolved once */
  hopCache: Map<RouteValue, Hop[]>;
  /** the tunnels that carry pod traffic of each family to other nodes (for the MTU check) */
  podTunnels: Record<4 | 6, Set<string>>;
  /** the routes that carry the peers' ranges (not stale, whatever else they match) */
  podRoutes: Set<RouteValue>;
}

function nodeCheck(e: Evaluation, a: Member, h: Host): NodeCheck {
  const name = a.expected.name;
  return {
    a,
    h,
    name,
    fib: e.fibs.get(name) as Fib,
    speaks: new Set(a.expected.families),
    hopCache: new Map(),
    podTunnels: { 4: new Set<string>(), 6: new Set<string>() },
    podRoutes: new Set(),
  };
}

function hopsOf(e: Evaluation, n: NodeCheck, r: RouteValue): Hop[] {
  let hops = n.hopCache.get(r);
  if (hops === undefined) {
    hops = (r.nexthops.length > 0 ? r.nexthops : [{ gateway: r.gateway, dev: r.dev }]).map((nh) => {
      const x = resolveNexthop(n.h, nh, e.owners);
      return { gateway: nh.gateway, dev: nh.dev, vtep: x.vtep, node: x.host, problem: x.problem };
    });
    n.hopCache.set(r, hops);
  }
  return hops;
}

/** A route as a finding's `actual` shows it. */
const describeRoute = (r: RouteValue, hops: readonly Hop[]) => ({
  dst: r.dst,
  type: r.type,
  protocol: r.protocol,
  metric: r.metric,
  nexthops: r.type === 'unicast' ? hops : [],
});

function checkPeerRanges(e: Evaluation, n: NodeCheck): void {
  for (const b of e.live) {
    if (e.budget.exceeded) return; // past the cap (see evaluateChecks)
    if (b === n.a) continue;
    for (let i = 0; i < b.cidrs.length; i++) checkPeerRange(e, n, b, i);
  }
}

/** Range i of peer b, delivered by n towards b: the common cases settled in a lookup, a walk only when they fail. */
function checkPeerRange(e: Evaluation, n: NodeCheck, b: Member, i: number): void {
  const bName = b.expected.name;
  const c = b.cidrs[i] as Prefix;
  if (!n.speaks.has(familyOf(c.ip.v))) return; // no IPv6 expectation on a node without IPv6
  if (overlapsAny(n.a.cidrs, c)) return; // a range A holds too is A's to deliver
  // the common case in one lookup, allocating nothing: every next hop a gateway B holds
  const direct = straightTo(e.walkContext, n.fib, c, bName);
  if (direct !== null) {
    n.podRoutes.add(direct);
    return;
  }
  const first = forwardOn(n.fib, c, e.owners);
  const hit = first[0]?.route ?? null;
  if (hit !== null && !n.podRoutes.has(hit)) {
    n.podRoutes.add(hit);
    for (const x of first) if (x.dev !== null && isTunnel(n.h.links.get(x.dev))) n.podTunnels[c.ip.v].add(x.dev);
  }
  if (handedStraightTo(e, first, bName)) return;
  const result = walk(e.walkContext, n.name, c, bName);
  if (delivers(result, e.departedNames)) return;
  // past the budget, not described (its dependencies, path and texts): the evaluation stops
  if (e.budget.take()) addDeliveryFinding(e, n, b, i, hit, result);
}

/**
 * Whether every branch is handed straight to B (through a tunnel), and B takes it: its address is
 * on a link that is up, and a vxlan frame carries a MAC of B's.
 */
function handedStraightTo(e: Evaluation, first: readonly Branch[], bName: string): boolean {
  const into = e.fibs.get(bName);
  const takes = (x: Branch) => {
    if (into === undefined) return true;
    const k = x.toAddress === null ? null : addrKeyOf(x.toAddress);
    return (k === null || !into.downAddrs.has(k)) && (x.innerMac === null || takesFrame(into, x.innerMac));
  };
  return first.length > 0 && first.every((x) => x.outcome === 'forward' && x.toNode === bName && takes(x));
}

/** Range i of peer b is not delivered (its walk says how): route-missing, or route-wrong-nexthop when `route` is for exactly that range. */
function addDeliveryFinding(e: Evaluation, n: NodeCheck, b: Member, i: number, route: RouteValue | null, result: WalkResult): void {
  const { name } = n;
  const bName = b.expected.name;
  const c = b.cidrs[i] as Prefix;
  const cidr = b.expected.podCidrs[i] ?? showPrefix(c);
  const expected = { dst: cidr, via: b.expected.addresses, vtep: b.expected.vtep };
  const dependsOn = walkDependencies(e.peerings, name, bName, result, e.liveNames, e.owners);
  const path = walkSummary(result);
  if (route === null || parsePrefix(route.dst, route.family)?.len === 0) {
    const dflt = route ?? n.fib.exact('main', { ip: mask(c.ip, 0), len: 0 }) ?? null;
    const actual = dflt ? { ...describeRoute(dflt, hopsOf(e, n, dflt)), note: 'only the default route', path } : { path };
    e.add('route-missing', name, bName, cidr, `${name} has no route to ${cidr} (${bName}'s pods)`, expected, actual, dependsOn);
    return;
  }
  const actual = { ...describeRoute(route, hopsOf(e, n, route)), path };
  const where = describeWalk(result, bName);
  const partly = result.branches.some((x) => x.end === 'arrived');
  if (parsePrefix(route.dst, route.family)?.len === c.len) {
    e.add('route-wrong-nexthop', name, bName, cidr, `${name} routes ${cidr} (${bName}'s pods) ${where}, not ${partly ? 'only ' : ''}towards ${bName}`, expected, actual, dependsOn);
  } else {
    e.add('route-missing', name, bName, cidr, `${name} has no route to ${cidr} (${bName}'s pods): ${route.dst} covers it, ${where}`, expected, actual, dependsOn);
  }
}

/**
 * The node's pods: Kubernetes' first (ip → pod name), then the addresses its pod interfaces show
 * (host routes and neighbors in its ranges; null: known from the node's facts only).
 */
function podsOf(e: Evaluation, n: NodeCheck): Map<string, string | null> {
  const { h, a } = n;
  const pods = new Map<string, string | null>();
  for (const p of e.kubePods.get(n.name) ?? []) pods.set(p.ip, p.pod);
  const podIfs = new Set<string>([...h.podVeths.map((v) => v.ifname), ...h.podBridges]);
  for (const r of h.routes) {
    if (r.table === 'main' && r.dev !== null && podIfs.has(r.dev) && r.type === 'unicast' && r.gateway === null) {
      const p = parsePrefix(r.dst, r.family);
      if (p && p.len === (p.ip.v === 4 ? 32 : 128) && !pods.has(formatIp(p.ip))) pods.set(formatIp(p.ip), null);
    }
  }
  for (const nb of h.neighs) {
    if (nb.proxy || !podIfs.has(nb.dev) || nb.state.some((s) => s === 'FAILED' || s === 'INCOMPLETE')) continue;
    const ip = parseIp(nb.address);
    if (!ip || ip.v === 6 && ((ip.w[0] ?? 0) & 0xffc0) === 0xfe80) continue;
    if (a.cidrs.length > 0 && !a.cidrs.some((c) => contains(c, { ip, len: ip.v === 4 ? 32 : 128 }))) continue;
    const text = formatIp(ip);
    if (!pods.has(text)) pods.set(text, null);
  }
  return pods;
}

/** Each pod delivered by the node to a pod interface; on a bridge-style node, its address in a pod bridge's subnet. */
function checkOwnPods(e: Evaluation, n: NodeCheck, pods: ReadonlyMap<string, string | null>): void {
  const { h, name } = n;
  const localAddrs = new Set<IpKey>();
  for (const addrs of h.globalAddrs.values()) for (const x of addrs) localAddrs.add(ipKey(x.ip));
  const bridgeSubnets: Prefix[] = [];
  for (const br of h.podBridges) for (const x of h.globalAddrs.get(br) ?? []) bridgeSubnets.push({ ip: mask(x.ip, x.len), len: x.len });
  for (const [ipText, pod] of [...pods].sort((x, y) => cmp(x[0], y[0]))) {
    const ip = parseIp(ipText) as Ip;
    if (localAddrs.has(ipKey(ip))) continue; // the bridge's own address, not a pod
    const whose = pod === null ? `pod ${ipText}` : `pod ${pod} (${ipText})`;
    const host: Prefix = { ip, len: ip.v === 4 ? 32 : 128 };
    const [branch] = forwardOn(n.fib, host, e.owners);
    if (!branch || branch.outcome !== 'local' || branch.dev === null || !isPodInterface(h, branch.dev)) {
      const why = branch ? stepText(branch, null) : 'no route';
      e.add('pod-route-missing', name, null, ipText, `${name} does not deliver ${whose} to a pod interface: ${branch?.route ? `its lookup ends ${why}` : 'no route'}`,
        { dst: ipText, dev: 'a pod interface' }, { route: branch?.route ? describeRoute(branch.route, hopsOf(e, n, branch.route)) : null });
    }
    if (h.style !== 'calico' && bridgeSubnets.length > 0 && pod !== null && !bridgeSubnets.some((s) => contains(s, host))) {
      e.add('pod-address-outside-range', name, null, ipText, `${name}: ${whose} has an address outside its pod bridges' subnets (${bridgeSubnets.map(showPrefix).join(', ')})`,
        { within: bridgeSubnets.map(showPrefix) }, { address: ipText });
    }
  }
}

/** Routes of the main table (as the kernel uses it: per destination the lowest metric, tos 0) into ranges nobody live holds. */
function checkStaleRoutes(e: Evaluation, n: NodeCheck): void {
  const { h, name } = n;
  for (const r of n.fib.routes('main')) {
    if (n.podRoutes.has(r) || r.dst === 'default' || r.type === 'local' || r.type === 'broadcast' || r.type === 'multicast') continue;
    if (e.liveCidrs.matchText(r.dst, r.family) !== undefined) continue; // inside a live node's range: checked above, or the node's own
    const formerOwner = e.departedCidrs.matchText(r.dst, r.family) ?? null;
    if (formerOwner === null && e.spaces.matchText(r.dst, r.family) === undefined) continue;
    const p = parsePrefix(r.dst, r.family);
    if (p === null || p.len === 0) continue;
    if (e.allLiveCidrs.some((c) => contains(p, c))) continue; // an aggregate over live ranges
    const hops = r.type === 'unicast' ? hopsOf(e, n, r) : [];
    const hopOwner = hops.map((x) => x.node).find((x): x is string => x !== null && e.departedNames.has(x)) ?? null;
    if (formerOwner === null && hopOwner === null) {
      // inside the pod space but neither a former node's range nor towards one: a route to another
      // machine (a gateway or a tunnel) that is no live node; a live node it leads to holds it
      if (!hops.some((x) => x.gateway !== null || (x.dev !== null && isTunnel(h.links.get(x.dev))))) continue;
      if (hops.every((x) => x.node !== null && e.liveNames.has(x.node))) continue;
    }
    const peer = formerOwner ?? hopOwner;
    const why =
      formerOwner !== null
        ? `the pods of ${formerOwner}, which is no longer in the cluster`
        : hopOwner !== null
          ? `towards ${hopOwner}, which is no longer in the cluster`
          : 'a pod CIDR no node of the cluster holds';
    e.add('route-stale', name, peer, r.dst, `${name} still routes ${r.dst} ${leadsTo(r, hops)}: ${why}`, null, { table: r.table, ...describeRoute(r, hops) },
      { nodes: peer === null ? [name] : [name, peer], sessions: [] });
  }
}

/** kube-router's pod-subnet and node-IP sets against the live nodes' ranges and addresses. */
function checkIpsets(e: Evaluation, n: NodeCheck): void {
  const membersBySet = new Map<string, string[]>();
  for (const m of n.h.ipsetMembers) {
    const xs = membersBySet.get(m.set);
    if (xs) xs.push(m.element);
    else membersBySet.set(m.set, [m.element]);
  }
  for (const set of n.h.ipsets) {
    const base = set.name.startsWith('inet6:') ? set.name.slice('inet6:'.length) : set.name;
    const nets = base === KUBE_ROUTER_POD_SUBNETS;
    if (!nets && base !== KUBE_ROUTER_NODE_IPS) continue;
    const v = set.family === 'inet6' || (set.family === null && set.name.startsWith('inet6:')) ? 6 : 4;
    checkIpset(e, n.name, set.name, nets, wantedMembers(e, nets, v), membersBySet.get(set.name) ?? []);
  }
}

/** One set: ipset-missing for what it lacks, ipset-extra for what it holds that no live node is. */
function checkIpset(e: Evaluation, name: string, setName: string, nets: boolean, want: ReadonlyMap<string, string>, elements: readonly string[]): void {
  const have = new Set<string>();
  const extra = new Set<string>();
  for (const el of elements) {
    if (want.has(el)) {
      have.add(el); // written as we write it: no need to parse
      continue;
    }
    const p = canonPrefix(el);
    const member = p === null ? el : nets ? showPrefix(p) : formatIp(p.ip);
    have.add(member);
    if (!want.has(member)) extra.add(member);
  }
  const what = nets ? 'pod CIDR' : 'node IP';
  for (const [member, node] of have.size - extra.size === want.size ? [] : want) {
    if (have.has(member)) continue;
    if (!e.budget.take()) continue;
    e.add('ipset-missing', name, node, `${setName} ${member}`, `${name}'s ipset ${setName} lacks ${member} (${node}'s ${what})`, { set: setName, member }, null);
  }
  for (const member of extra) {
    const p = canonPrefix(member);
    const former = p === null ? null : nets ? (e.departedCidrs.match(p) ?? null) : departedOwner(e.owners, e.departedNames, p.ip);
    e.add('ipset-extra', name, former, `${setName} ${member}`,
      `${name}'s ipset ${setName} holds ${member}, ${former !== null ? `the ${what} of ${former}, which is no longer in the cluster` : `which is no live node's ${what}`}`,
      null, { set: setName, member });
  }
}

/**
 * What A's delivery towards B depends on: A's own BGP path to B, every node the packets passed on
 * the way (a gateway node, an ECMP branch's transit) and that node's BGP path to B — a node that
 * routes through a gateway loses B when the gateway does.
 */
function walkDependencies(peerings: BgpPeerings, a: string, b: string, result: WalkResult, live: ReadonlySet<string>, owners: ReadonlyMap<IpKey, string>): FindingDependencies {
  // the nodes passed, and the node each step was headed for (a branch that died on the way to its
  // gateway — a FAILED neighbor, a link down — still depended on that gateway)
  const headedFor = (st: WalkResult['branches'][0]['steps'][0]) => st.branch.toNode ?? (st.branch.gateway === null ? null : ownerOf(owners, st.branch.gateway));
  const passed = result.branches.flatMap((x) => [...x.steps.flatMap((st) => [st.node, headedFor(st)]), x.at]);
  const transit = [...new Set(passed)].filter((n): n is string => n !== null && n !== a && n !== b && live.has(n));
  const paths = [peerings.routeDependencies(a, b), ...transit.map((t) => peerings.routeDependencies(t, b))];
  const nodes = [a, ...transit, ...paths.flatMap((p) => p.nodes.slice(1, -1)), b];
  const sessions = new Map<string, [string, string]>();
  for (const p of paths) for (const [x, y] of p.sessions) sessions.set(`${x}\u0000${y}`, [x, y]);
  return { nodes: [...new Set(nodes)], sessions: [...sessions.values()] };
}

type AddFinding = (type: FindingType, node: string, peer: string | null, subject: string, message: string, expected: Finding['expected'], actual: Finding['actual']) => void;

/**
 * Tunnels must leave room for their encapsulation on their lower device; a pod veth must fit, for
 * every family its pod uses, the tunnels carrying that family to other nodes, or that family's
 * underlay when it is routed without a tunnel (compare like with like: an IPv6-only pod routed
 * natively is not held to an IPv4 vxlan tunnel's MTU).
 */
function checkMtus(h: Host, name: string, podTunnels: Record<4 | 6, Set<string>>, pods: ReadonlyMap<string, string | null>, add: AddFinding): void {
  const underlayLinks = uniqSorted(h.underlay.map((x) => x.ifname))
    .map((n) => h.links.get(n))
    .filter((l): l is LinkValue => l !== undefined);
  const lowest = underlayLinks.reduce<LinkValue | null>((lo, l) => (lo === null || l.mtu < lo.mtu ? l : lo), null);
  if (lowest === null) return;
  const lowestOf = (v: 4 | 6): LinkValue => {
    const names = new Set(h.underlay.filter((x) => x.ip.v === v).map((x) => x.ifname));
    return underlayLinks.filter((l) => names.has(l.ifname)).reduce<LinkValue | null>((lo, l) => (lo === null || l.mtu < lo.mtu ? l : lo), null) ?? lowest;
  };
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
  // per family: pods' packets to other nodes go through the tunnels their routes use, else straight onto the underlay
  const limitOf = (v: 4 | 6) => {
    const under = lowestOf(v);
    let max = under.mtu;
    let carrier: LinkValue | null = null;
    for (const dev of [...podTunnels[v]].sort(cmp)) {
      const t = h.links.get(dev);
      if (t === undefined) continue;
      const m = tunnelLimit.get(dev)?.max ?? t.mtu;
      if (m < max) [max, carrier] = [m, t];
    }
    return { max, carrier, under };
  };
  const limits = { 4: limitOf(4), 6: limitOf(6) };
  // which families each pod veth carries: its pods' addresses (routes and neighbors on it), else every family the node's pods use
  const vethFamilies = new Map<string, Set<4 | 6>>();
  for (const r of h.routes) {
    if (r.table !== 'main' || r.dev === null || r.gateway !== null) continue;
    const p = parsePrefix(r.dst, r.family);
    if (p && p.len === (p.ip.v === 4 ? 32 : 128) && pods.has(formatIp(p.ip))) vethFamilies.set(r.dev, new Set([...(vethFamilies.get(r.dev) ?? []), p.ip.v]));
  }
  for (const n of h.neighs) {
    const ip = parseIp(n.address);
    if (ip && pods.has(formatIp(ip))) vethFamilies.set(n.dev, new Set([...(vethFamilies.get(n.dev) ?? []), ip.v]));
  }
  const nodeFamilies = new Set<4 | 6>([...h.podCidrs.map((c) => c.ip.v), ...[...pods.keys()].map((ip) => (ip.includes(':') ? 6 : 4) as 4 | 6)]);
  if (nodeFamilies.size === 0) nodeFamilies.add(4);
  for (const v of h.podVeths) {
    const fams = [...(vethFamilies.get(v.ifname) ?? (v.master !== null ? vethFamilies.get(v.master) : undefined) ?? nodeFamilies)].sort();
    let worst: { v: 4 | 6; max: number; carrier: LinkValue | null; under: LinkValue } | null = null;
    for (const fam of fams) {
      const l = limits[fam];
      if (worst === null || l.max < worst.max) worst = { v: fam, ...l };
    }
    if (worst === null || v.mtu <= worst.max) continue;
    const { carrier, under, max } = worst;
    const limit = carrier
      ? { maxMtu: max, tunnel: { ifname: carrier.ifname, mtu: carrier.mtu }, encapsulation: carrier.kind, overhead: tunnelLimit.get(carrier.ifname)?.overhead ?? null, family: familyOf(worst.v) }
      : { maxMtu: max, underlay: { ifname: under.ifname, mtu: under.mtu }, encapsulation: null, overhead: 0, family: familyOf(worst.v) };
    const through = carrier ? `${carrier.ifname}, the ${carrier.kind} tunnel that carries its pods' traffic, allows` : `the underlay (${under.ifname}) allows`;
    add('mtu-mismatch', name, null, v.ifname, `${name}: pod interface ${v.ifname} has MTU ${v.mtu}, more than the ${max} ${through}`, limit, { ifname: v.ifname, mtu: v.mtu });
  }
}

const addrKeyOf = (s: string): IpKey | null => ipKeyOf(s);

function ipKeyOf(s: string): IpKey | null {
  const ip = parseIp(s);
  return ip ? ipKey(ip) : null;
}

function departedOwner(owners: ReadonlyMap<IpKey, string>, departed: ReadonlySet<string>, ip: Ip): string | null {
  const o = ownerOf(owners, ip);
  return o !== null && departed.has(o) ? o : null;
}

const isTunnel = (l: LinkValue | undefined): boolean => l !== undefined && TUNNEL_KINDS.has(l.kind);

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
