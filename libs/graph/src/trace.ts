// The path trace: a packet from a pod, a node or an address to an address, walked through the
// nodes' facts of one moment by the forwarding engine (forwarding.ts, the same one the checks use),
// each branch to its verdict, each hop with the facts that decided it and its device's MTU.
//
// A pod's own namespace is not collected: a packet from a pod enters its node on the pod's
// host-side interface (every CNI here routes pod traffic through the node: Calico's 169.254.1.1 by
// proxy ARP, kube-router's and flannel's bridge gateway), and the trace starts there.
import {
  FACT_KEYS,
  type FdbValue,
  type IpvsServiceValue,
  type TraceBranch,
  type TraceEndpoint,
  type TraceFactRef,
  type TraceHop,
  type TraceResult,
  type TraceVerdict,
} from '@netatlas/wire/core';
import { Fib, isPodInterface, walk, type Branch, type WalkBranch, type WalkContext } from './forwarding.js';
import { addressOwners, ownerOf, type Host } from './topology.js';
import { addrKey, formatIp, parseIp, type IpKey, type Prefix } from './topology-ip.js';

/** The nodes of one moment, indexed once for any number of traces. */
export interface TraceState {
  hosts: ReadonlyMap<string, Host>;
  ctx: WalkContext;
}

/**
 * `hosts` indexed for tracing. `owners` (who holds each address): by default theirs; a caller that
 * loads only the nodes a path passes gives every node's (addressOwners over hosts of their
 * addresses alone), so that a hand-over to a node not loaded yet is known as one.
 */
export function traceState(hosts: Iterable<Host>, owners?: ReadonlyMap<IpKey, string>): TraceState {
  const byName = new Map<string, Host>();
  for (const h of hosts) byName.set(h.name, h);
  const fibs = new Map<string, Fib>();
  for (const h of byName.values()) fibs.set(h.name, new Fib(h));
  return { hosts: byName, ctx: { fibs, owners: owners ?? addressOwners(byName.values()) } };
}

/**
 * The nodes a trace would pass but whose facts `state` does not hold: the ends of its branches
 * that left for a node `owners` knows. A caller loads them and traces again (pathNodesMissing
 * empty: the trace is whole).
 */
export function pathNodesMissing(state: TraceState, result: TraceResult, known: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const b of result.branches) {
    const last = b.hops[b.hops.length - 1];
    const next = last?.toNode ?? null;
    if (b.verdict === 'left' && next !== null && known.has(next) && !state.hosts.has(next)) out.add(next);
  }
  return [...out];
}

const hostPrefix = (ip: string): Prefix | null => {
  const parsed = parseIp(ip);
  return parsed === null ? null : { ip: parsed, len: parsed.v === 4 ? 32 : 128 };
};

/**
 * The pod behind `ip` at this moment: the node whose own table sends it straight into a pod's
 * interface (a veth, or a pod bridge: then the bridge port whose fdb entry holds the MAC the
 * node's neighbor entry gives), or null.
 */
function podOf(state: TraceState, ip: string): { node: string; veth: string | null; mtu: number | null } | null {
  const dst = hostPrefix(ip);
  if (dst === null) return null;
  for (const [name, fib] of state.ctx.fibs) {
    const route = fib.lookup(dst);
    if (route === null || route.type !== 'unicast' || route.gateway !== null || route.dev === null || route.nexthops.length > 0) continue;
    const h = fib.host;
    if (!isPodInterface(h, route.dev)) continue;
    if (!h.podBridges.has(route.dev)) return { node: name, veth: route.dev, mtu: h.links.get(route.dev)?.mtu ?? null };
    // behind a bridge: the port that learnt the pod's MAC
    const k = addrKey(ip);
    const neigh = k === null ? undefined : fib.neighbors.get(route.dev)?.get(k);
    const port = neigh?.lladdr ? h.fdb.find((e) => e.master === route.dev && e.mac === neigh.lladdr && e.state === null)?.dev : undefined;
    const link = h.links.get(port ?? route.dev);
    return { node: name, veth: port ?? null, mtu: link?.mtu ?? null };
  }
  return null;
}

/** A node's first underlay address and its device. */
function nodeAddress(h: Host): { ip: string; mtu: number | null } | null {
  const a = h.underlay[0];
  return a ? { ip: formatIp(a.ip), mtu: h.links.get(a.ifname)?.mtu ?? null } : null;
}

/**
 * What `query` names at this moment: a node by name, else an address (a pod's, a node's, or one no
 * node holds). Pod names are resolved by the caller (Kubernetes knows them) into their address.
 * Null when it is neither a known node nor an address.
 */
export function findEndpoint(state: TraceState, query: string, pod?: { namespace: string; name: string }): TraceEndpoint | null {
  const h = state.hosts.get(query);
  if (h) {
    const a = nodeAddress(h);
    return { query, kind: 'node', ip: a?.ip ?? null, node: h.name, pod: null, mtu: a?.mtu ?? null };
  }
  const ip = parseIp(query);
  if (ip === null) return null;
  const text = formatIp(ip);
  const owner = ownerOf(state.ctx.owners, text);
  if (owner !== null) {
    const oh = state.hosts.get(owner);
    const ifname = oh ? [...oh.globalAddrs].find(([, addrs]) => addrs.some((a) => formatIp(a.ip) === text))?.[0] : undefined;
    return { query, kind: 'ip', ip: text, node: owner, pod: null, mtu: ifname ? (oh?.links.get(ifname)?.mtu ?? null) : null };
  }
  const p = podOf(state, text);
  if (p) return { query, kind: 'pod', ip: text, node: p.node, pod: { veth: p.veth, namespace: pod?.namespace ?? null, name: pod?.name ?? null }, mtu: p.mtu };
  return { query, kind: 'ip', ip: text, node: null, pod: null, mtu: null };
}

/** The facts a hop's decision read. */
function factsOf(h: Host, b: Branch, iif: string | null): TraceFactRef[] {
  const out: TraceFactRef[] = [];
  if (b.rule) out.push({ kind: 'rule', key: FACT_KEYS.rule(b.rule) });
  if (b.route && !b.route.table.startsWith('rule ')) out.push({ kind: 'route', key: FACT_KEYS.route(b.route) });
  if ((b.drop === 'forwarding-off' || b.drop === 'rp-filter') && iif !== null) {
    const l3 = h.links.get(iif)?.master ?? iif;
    for (const name of ['all', l3]) if (h.facts.some((f) => f.kind === 'sysctl' && f.key === name)) out.push({ kind: 'sysctl', key: name });
  }
  const dev = b.dev ?? b.route?.dev ?? null;
  if (dev !== null && h.links.has(dev)) out.push({ kind: 'link', key: dev });
  if (b.neighbor) out.push({ kind: 'neigh', key: FACT_KEYS.neigh(b.neighbor) });
  if (b.encap === 'vxlan' && dev !== null) {
    const used = (h.fdbByDev.get(dev) ?? []).filter((e: FdbValue) => e.dst === b.toAddress && (b.innerMac === null || e.mac === b.innerMac || e.mac === '00:00:00:00:00:00'));
    for (const e of used) out.push({ kind: 'fdb', key: FACT_KEYS.fdb(e) });
  }
  return out;
}

/** Bytes an encapsulation adds in front of the inner packet (outer IP header and the rest). */
function encapOverhead(b: Branch, h: Host, dev: string | null): number {
  const v6 = (b.toAddress ?? '').includes(':');
  if (b.encap === 'vxlan') return v6 ? 70 : 50;
  const kind = dev === null ? undefined : h.links.get(dev)?.kind;
  if (kind === 'gre' || kind === 'gretap') return v6 ? 44 : 24;
  return v6 ? 40 : 20; // ipip, sit, ip6tnl: one more IP header
}

/**
 * The MTU a hop can carry: its device's, and for an encapsulation the underlay device's that carries
 * the outer packet, less the encapsulation's bytes (a vxlan device left at 1450 over an underlay
 * lowered to 1400 carries 1350).
 */
function hopMtu(state: TraceState, h: Host, b: Branch, dev: string | null): number | null {
  const own = dev === null ? null : (h.links.get(dev)?.mtu ?? null);
  if (b.encap === null || b.toAddress === null) return own;
  const outer = hostPrefix(b.toAddress);
  const route = outer === null ? null : (state.ctx.fibs.get(h.name)?.lookup(outer) ?? null);
  const underDev = route?.dev ?? route?.nexthops[0]?.dev ?? null;
  const under = underDev === null ? null : (h.links.get(underDev)?.mtu ?? null);
  if (under === null) return own;
  const carried = under - encapOverhead(b, h, dev);
  return own === null ? carried : Math.min(own, carried);
}

function hopOf(state: TraceState, node: string, iif: string | null, b: Branch): TraceHop {
  const h = state.hosts.get(node)!;
  const dev = b.dev ?? b.route?.dev ?? null;
  return {
    node,
    iif,
    route: b.route,
    rule: b.rule ?? null,
    gateway: b.gateway,
    dev,
    ecmp: b.ecmp,
    outcome: b.outcome,
    toNode: b.toNode,
    toAddress: b.toAddress,
    encap: b.encap,
    neighbor: b.neighbor,
    mtu: hopMtu(state, h, b, dev),
    facts: factsOf(h, b, iif),
  };
}

function reasonOf(verdict: TraceVerdict, hop: TraceHop | undefined, to: TraceEndpoint, from: string, mtu: number | null, endpointsMtu: number | null): string {
  const dst = to.ip ?? to.query;
  const port = to.pod?.veth && hop && to.pod.veth !== hop.dev ? ` (port ${to.pod.veth})` : '';
  if (!hop) return `no facts of the source's node at that moment`;
  const r = hop.route;
  const route = r ? `${hop.rule ? `rule ${hop.rule.priority} then ` : ''}route ${r.dst} (table ${r.table}, ${r.protocol})` : '';
  switch (verdict) {
    case 'delivered':
      return `delivered on ${hop.node}${hop.dev ? ` through ${hop.dev}${port}` : ''}`;
    case 'mtu':
      return `delivered on ${hop.node}, but the path's smallest MTU ${mtu} is below the endpoints' ${endpointsMtu}`;
    case 'delivered-elsewhere':
      return `delivered on ${hop.node}${hop.dev ? ` through ${hop.dev}` : ''}, which does not hold ${dst}`;
    case 'no-route':
      return `no route on ${hop.node} contains ${dst} (tables local, main, default)`;
    case 'blackhole':
    case 'unreachable':
    case 'prohibit':
      return `${route} on ${hop.node} is ${verdict === 'blackhole' ? 'a blackhole' : verdict}`;
    case 'link-down':
      return `${route} on ${hop.node} leaves on ${hop.dev ?? 'a device'} that is down (or a next hop on a link that is down)`;
    case 'neighbor-failed':
      return `${route} on ${hop.node}: neighbor ${hop.neighbor?.address ?? hop.gateway} on ${hop.dev} is ${hop.neighbor?.state.join(',') ?? 'FAILED'}`;
    case 'no-neighbor':
      return `${route} on ${hop.node}: no neighbor entry on ${hop.dev} gives ${hop.gateway ?? dst}'s MAC`;
    case 'no-fdb':
      return `${route} on ${hop.node}: no fdb entry on ${hop.dev} gives the VTEP for ${hop.neighbor?.lladdr ?? 'the gateway'}`;
    case 'no-underlay-route':
      return `${route} on ${hop.node}: the tunnel's remote end has no route over the underlay`;
    case 'wrong-vtep':
      return `${route} on ${hop.node}: the frame went to VTEP ${hop.toAddress}, whose node does not own MAC ${hop.neighbor?.lladdr ?? '?'}`;
    case 'loop':
      return `${route} on ${hop.node} sends it back to ${hop.toNode}, which it had passed`;
    case 'forwarding-off':
      return `${hop.node} does not forward what comes in on ${hop.iif ?? 'that interface'} (its forwarding sysctl is 0)`;
    case 'rp-filter':
      return `${hop.node}'s rp_filter refuses source ${from} on ${hop.iif ?? 'that interface'}: its route back to it does not leave there`;
    case 'left':
      return `${route} on ${hop.node} hands it to ${hop.toAddress ?? dst}, which no node netatlas knows holds`;
    case 'unknown-node':
      return `no facts of ${hop.node} at that moment`;
  }
  return verdict;
}

const minOf = (xs: Array<number | null>): number | null => {
  const ns = xs.filter((x): x is number => x !== null);
  return ns.length > 0 ? Math.min(...ns) : null;
};

/**
 * Every branch by which a packet from `from` to `to` travels, at the moment `state` holds. `at`
 * is only reported. The source must be on a node (a pod, a node, or one of a node's addresses).
 */
export function trace(state: TraceState, from: TraceEndpoint, to: TraceEndpoint, at: string): TraceResult {
  const dstText = to.ip;
  const dst = dstText === null ? null : hostPrefix(dstText);
  const result = (branches: TraceBranch[]): TraceResult => {
    const ok = branches.filter((b) => b.verdict === 'delivered' || b.verdict === 'mtu');
    const verdict = branches.length > 0 && ok.length === branches.length ? 'delivered' : ok.length > 0 ? 'partly' : 'failed';
    return { at, from, to, verdict, branches, mtu: minOf(ok.map((b) => b.mtu)) };
  };
  const start = from.node;
  if (start === null || !state.ctx.fibs.has(start) || dst === null) {
    const node = start ?? from.query;
    return result([{ service: null, verdict: 'unknown-node', at: node, reason: dst === null ? `${to.query} is not an address` : `no facts of ${node} at that moment`, hops: [], mtu: null }]);
  }
  // a service IP the source's node balances (IPVS): DNAT there, a branch per real server
  const services = ipvsServicesOf(state.hosts.get(start)!, dstText!);
  if (services.length > 0) return result(serviceBranches(state, from, at, start, services));
  const endpointsMtu = minOf([from.mtu, to.mtu]);
  // the packet's source and where it comes in: a pod's from its interface, a node's from the node itself
  const src = from.ip === null ? null : parseIp(from.ip);
  const walked = walk(state.ctx, start, dst, null, { src, iif: from.kind === 'pod' ? (from.pod?.veth ?? null) : null });
  const branches = walked.branches.map((w: WalkBranch): TraceBranch => {
    const hops = w.steps.map((step) => hopOf(state, step.node, step.iif ?? null, step.branch));
    const last = hops[hops.length - 1];
    const mtu = minOf([from.mtu, ...hops.map((h) => h.mtu)]);
    let verdict: TraceVerdict;
    switch (w.end) {
      case 'arrived':
      case 'delivered-elsewhere':
        verdict = to.node === null || w.at === to.node ? 'delivered' : 'delivered-elsewhere';
        if (verdict === 'delivered' && mtu !== null && endpointsMtu !== null && mtu < endpointsMtu) verdict = 'mtu';
        break;
      case 'dropped':
        verdict = w.drop ?? 'no-route';
        break;
      case 'left':
        verdict = 'left';
        break;
      case 'loop':
        verdict = 'loop';
        break;
    }
    return { service: null, verdict, at: w.at, reason: reasonOf(verdict, last, to, from.ip ?? from.query, mtu, endpointsMtu), hops, mtu };
  });
  return result(branches);
}

/** The IPVS services of a node with this virtual address (every port and protocol). */
function ipvsServicesOf(h: Host, ip: string): IpvsServiceValue[] {
  const out: IpvsServiceValue[] = [];
  for (const f of h.facts) if (f.kind === 'ipvsService' && f.value.address !== null && canonIp(f.value.address) === ip) out.push(f.value);
  return out;
}

const canonIp = (s: string): string => {
  const ip = parseIp(s);
  return ip ? formatIp(ip) : s;
};

/**
 * The branches to a service: IPVS on the source's node rewrites the destination to one of the
 * service's real servers (weight above 0), so each is traced from the source as its own branch,
 * with the service and the fact that decided it; a service without one is a dead end there.
 */
function serviceBranches(state: TraceState, from: TraceEndpoint, at: string, node: string, services: readonly IpvsServiceValue[]): TraceBranch[] {
  const out: TraceBranch[] = [];
  for (const svc of services) {
    const ref: TraceFactRef = { kind: 'ipvsService', key: FACT_KEYS.ipvsService(svc) };
    const base = { protocol: svc.protocol, address: canonIp(svc.address ?? ''), port: svc.port };
    const servers = svc.realServers.filter((r) => r.weight > 0);
    if (servers.length === 0) {
      out.push({ service: { ...base, realServer: '', realPort: 0 }, verdict: 'no-route', at: node, reason: `IPVS service ${svc.protocol} ${base.address}:${svc.port ?? '*'} on ${node} has no real server with a weight`, hops: [], mtu: null });
      continue;
    }
    for (const rs of servers) {
      const target = findEndpoint(state, canonIp(rs.address));
      if (target === null) continue;
      for (const b of trace(state, from, target, at).branches) {
        const hops = b.hops.map((h, i) => (i === 0 ? { ...h, facts: [ref, ...h.facts] } : h));
        out.push({ ...b, hops, service: { ...base, realServer: target.ip ?? rs.address, realPort: rs.port }, reason: `IPVS on ${node} sends ${base.address}:${svc.port ?? '*'} to ${rs.address}:${rs.port}; ${b.reason}` });
      }
    }
  }
  return out;
}
