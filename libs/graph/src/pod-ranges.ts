// Each node's pod ranges, with where each is known from (DESIGN.md step 7: "pod ranges whose
// source is recorded"). In order of trust:
//   kubernetes   Node.spec.podCIDRs, where the CNI uses them (kube-router, flannel, an unknown
//                style); Calico's IPAM hands out blocks from its pools and ignores them, so on a
//                Calico node they are recorded as ignored, never expected;
//   calico-ipam  Calico's block affinities for the node (Kubernetes CRDs);
//   bgp-origin   what the node's BGP daemon originates (its own view: a node that announces a
//                block is expected to be reachable at it, blackhole or not);
//   blackhole    Calico-style blocks installed as blackholes (BIRD's, else any);
//   bridge       the subnet of a pod bridge (kube-bridge, cni0: kube-router, flannel).
// The authoritative source of a node (Kubernetes' podCIDRs where the CNI uses them, else Calico's
// block affinities) decides its ranges when it names any: then what the daemon originates still
// counts (a node that announces a block is expected to be reachable at it), but a blackhole or a
// bridge subnet that names something else is recorded as ignored. Without an authoritative source,
// every source counts. Every source that names a range is kept on it. A prefix for a single address (a pod's or a
// service IP's /32) is not a range; a prefix one node holds as its own (a blackhole, a bridge,
// Kubernetes) is that node's even where another node announces it too (a transit announcement);
// a prefix that several nodes originate and none holds is anycast (service IPs kube-router
// announces from every node), not a node's pods; a prefix that contains another node's range is
// an aggregate. Those are recorded as ignored, with the reason.
import type { IgnoredRange, PodRange, RangeSource } from '@netatlas/wire/core';
import type { Host } from './topology.js';
import { formatPrefix, mask, maxLen, parsePrefix, prefixKey, type IpKey, type Prefix } from './topology-ip.js';

/** A Calico IPAM block affinity: `spec.cidr` is `spec.node`'s (confirmed, not deleted). */
export interface BlockAffinityInfo {
  node: string;
  cidr: string;
}

/** What the range derivation knows of one node of the cluster. */
export interface RangeInput {
  name: string;
  /** the collected host, when the node has a collector */
  host: Host | null;
  /** Node.spec.podCIDRs, when Kubernetes is watched and has the node */
  kubernetesCidrs: readonly string[] | null;
  /** Calico block affinities of the node, when Kubernetes has them */
  blocks: readonly string[];
  /** the style to assume for a node without collector (the cluster's) */
  style: Host['style'];
  /** what its daemon last originated, when it originates nothing now because it is down */
  lastOrigins?: readonly RememberedOrigin[];
}

/** A prefix a node's daemon originated before it stopped answering. */
export interface RememberedOrigin {
  daemon: string;
  prefix: string;
}

export interface NodeRanges {
  ranges: PodRange[];
  ignored: IgnoredRange[];
  /** the parsed prefixes of `ranges`, in the same order */
  prefixes: Prefix[];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const TRUST: Record<RangeSource, number> = { kubernetes: 0, 'calico-ipam': 1, 'bgp-origin': 2, blackhole: 3, bridge: 4 };

function canon(text: string): Prefix | null {
  const p = parsePrefix(text.trim(), text.includes(':') ? 'inet6' : 'inet');
  return p ? { ip: mask(p.ip, p.len), len: p.len } : null;
}

const show = (p: Prefix): string => formatPrefix(p.ip, p.len);
const contains = (outer: Prefix, inner: Prefix): boolean =>
  outer.ip.v === inner.ip.v && outer.len <= inner.len && prefixKey(outer.ip, outer.len) === prefixKey(inner.ip, outer.len);

interface Named {
  p: Prefix;
  source: RangeSource;
  detail: string;
}

/** Every range each source names for one node, before the cluster-wide filters. */
function named(n: RangeInput): { names: Named[]; ignored: IgnoredRange[] } {
  const names: Named[] = [];
  const ignored: IgnoredRange[] = [];
  const h = n.host;
  const style = h?.style ?? n.style;
  const add = (text: string, source: RangeSource, detail: string) => {
    const p = canon(text);
    if (p === null) ignored.push({ cidr: text, source, why: 'not a prefix' });
    else if (p.len >= maxLen(p.ip)) ignored.push({ cidr: show(p), source, why: 'a single address, not a range' });
    else if (p.len === 0) ignored.push({ cidr: show(p), source, why: 'a default route, not a range' });
    else names.push({ p, source, detail });
  };
  const addWeak = (text: string, source: RangeSource, detail: string) => {
    const p = canon(text);
    if (p === null || p.len >= maxLen(p.ip) || p.len === 0) add(text, source, detail);
    else weak({ p, source, detail });
  };
  for (const c of n.kubernetesCidrs ?? []) {
    if (style === 'calico') ignored.push({ cidr: c, source: 'kubernetes', why: "Calico's IPAM allocates blocks from its pools and does not use Node.spec.podCIDRs" });
    else add(c, 'kubernetes', 'Node.spec.podCIDRs');
  }
  for (const c of n.blocks) add(c, 'calico-ipam', 'block affinity');
  const auth = names.filter((x) => x.source === 'kubernetes' || x.source === 'calico-ipam');
  const authoritative = auth.map((x) => x.p);
  const authWhat = auth[0]?.source === 'kubernetes' ? 'Node.spec.podCIDRs are' : 'Calico blocks are';
  const weak = (x: Named) => {
    // with an authoritative source, a blackhole or a bridge subnet only confirms what it names
    if (authoritative.length === 0 || authoritative.some((p) => contains(p, x.p) && contains(x.p, p))) names.push(x);
    else ignored.push({ cidr: show(x.p), source: x.source, why: `not the node's: its ${authWhat} ${authoritative.map(show).join(', ')}` });
  };
  if (h) {
    // a connected subnet the daemon redistributes holds the node's own address: no pod range
    const own = [...h.globalAddrs].filter(([ifname]) => !h.podBridges.has(ifname)).flatMap(([, addrs]) => addrs.map((a) => a.ip));
    for (const f of h.facts) {
      if (f.kind !== 'bgpOrigin') continue;
      const p = canon(f.value.prefix);
      if (p !== null && own.some((ip) => contains(p, { ip, len: maxLen(ip) }))) ignored.push({ cidr: show(p), source: 'bgp-origin', why: `holds the node's own address: a connected subnet ${f.value.daemon} redistributes, not pods` });
      else add(f.value.prefix, 'bgp-origin', f.value.daemon);
    }
    // a daemon that stopped answering still owns what it announced: its peers must be seen losing it
    for (const o of n.lastOrigins ?? []) add(o.prefix, 'bgp-origin', `${o.daemon}, as last announced before it stopped answering`);
    if (style === 'calico' || (style === 'unknown' && h.podBridges.size === 0)) {
      // BIRD installs the node's own IPAM blocks as blackholes; prefer those when others exist
      const blackholes = h.routes.filter((r) => r.type === 'blackhole' && r.dst !== 'default' && r.table === 'main');
      const bird = blackholes.filter((r) => r.protocol === 'bird');
      for (const r of bird.length > 0 ? bird : blackholes) addWeak(r.dst, 'blackhole', r.protocol);
    }
    if (style !== 'calico') {
      for (const br of [...h.podBridges].sort(cmp)) for (const a of h.globalAddrs.get(br) ?? []) addWeak(formatPrefix(a.ip, a.len), 'bridge', br);
    }
  }
  return { names, ignored };
}

/**
 * Every node's pod ranges, with their sources. The inputs are the cluster's nodes; the filters that
 * need the whole cluster (anycast, aggregates) see all of them.
 */
export function podRanges(nodes: readonly RangeInput[]): Map<string, NodeRanges> {
  const perNode = nodes.map((n) => ({ name: n.name, ...named(n) }));
  // who names each exact prefix: by a source of its own (Kubernetes, Calico IPAM, a blackhole, a
  // bridge), and by what daemons originate
  const local = new Map<IpKey, Set<string>>();
  const origin = new Map<IpKey, Set<string>>();
  for (const { name, names } of perNode) {
    for (const x of names) {
      const k = prefixKey(x.p.ip, x.p.len);
      const m = x.source === 'bgp-origin' ? origin : local;
      let s = m.get(k);
      if (!s) m.set(k, (s = new Set()));
      s.add(name);
    }
  }
  const list = (s: Set<string> | undefined) => [...(s ?? [])].sort(cmp).join(', ');
  /** null when `name` may hold the prefix, else why not */
  const notHers = (name: string, x: Named): string | null => {
    const k = prefixKey(x.p.ip, x.p.len);
    const owners = local.get(k);
    if (owners !== undefined && owners.size > 1) return `named for several nodes (${list(owners)}): no one node's pods`;
    if (owners !== undefined && owners.size === 1) return owners.has(name) ? null : `${list(owners)}'s range, which this node announces too`;
    const announcers = origin.get(k);
    return announcers !== undefined && announcers.size > 1 ? `announced by several nodes (${list(announcers)}): anycast, not one node's pods` : null;
  };
  // each node's ranges, merged by prefix; anycast and others' ranges left out
  type Merged = PodRange & { p: Prefix };
  const merged = perNode.map(({ name, names, ignored }) => {
    const byKey = new Map<IpKey, Merged>();
    for (const x of names) {
      const k = prefixKey(x.p.ip, x.p.len);
      const why = notHers(name, x);
      if (why !== null) {
        ignored.push({ cidr: show(x.p), source: x.source, why });
        continue;
      }
      let r = byKey.get(k);
      if (!r) byKey.set(k, (r = { cidr: show(x.p), family: x.p.ip.v === 4 ? 'inet' : 'inet6', sources: [], p: x.p }));
      if (!r.sources.some((s) => s.source === x.source && s.detail === x.detail)) r.sources.push({ source: x.source, detail: x.detail });
    }
    for (const r of byKey.values()) r.sources.sort((a, b) => TRUST[a.source] - TRUST[b.source] || cmp(a.detail, b.detail));
    return { name, ignored, ranges: [...byKey.values()] };
  });
  // an aggregate: a range that contains another node's range
  const out = new Map<string, NodeRanges>();
  for (const { name, ignored, ranges } of merged) {
    const kept: Merged[] = [];
    for (const x of ranges) {
      let inner: { name: string; cidr: string } | null = null;
      for (const o of merged) {
        if (o.name === name) continue;
        const y = o.ranges.find((r) => contains(x.p, r.p));
        if (y) {
          inner = { name: o.name, cidr: y.cidr };
          break;
        }
      }
      if (inner === null) kept.push(x);
      else for (const s of x.sources) ignored.push({ cidr: x.cidr, source: s.source, why: `an aggregate: it contains ${inner.name}'s ${inner.cidr}` });
    }
    kept.sort((a, b) => a.p.ip.v - b.p.ip.v || cmp(a.cidr, b.cidr));
    const uniq = new Map(ignored.map((i) => [`${i.cidr}|${i.source}|${i.why}`, i]));
    out.set(name, {
      ranges: kept.map(({ p: _p, ...range }) => range),
      prefixes: kept.map((x) => x.p),
      ignored: [...uniq.values()].sort((a, b) => cmp(a.cidr, b.cidr) || cmp(a.source, b.source)),
    });
  }
  return out;
}
