// The forwarding engine: where a node's kernel sends a packet, read from the node's facts the way
// the kernel decides it, and where it goes from there across the nodes of one moment. Pure and
// deterministic; shared by the expected-state checks (checks.ts: "does A still deliver towards B's
// pods?") and, later, the path trace.
//
// One node (`forwardOn`):
// - policy: the default rules (table local, then main, then default); `ip rule` is not collected
//   yet, so other tables are only consulted where a route of type `throw` says so (never, in
//   practice) — the path trace adds the rules. IPv4 keeps local and main in one trie under the
//   default rules, so there one longest-prefix match covers both (local first at equal length);
// - in each table, the longest prefix that contains the destination, and among the routes of that
//   prefix (tos 0) the lowest metric; `throw` continues with the next table;
// - the route's type decides: `local` (and IPv6's subnet-router `anycast`) delivers to this node,
//   blackhole / unreachable / prohibit drop, unicast goes on to its next hops — every live next hop
//   of a multipath route is a branch (the kernel never picks one flagged `dead`: its device is down);
// - a next hop: a route or next hop flagged `linkdown` / `dead` sends into a link that is down;
//   a gateway whose neighbor entry on the device is FAILED or INCOMPLETE cannot be reached; through
//   a vxlan device, the gateway's neighbor gives a MAC and that MAC's fdb entry the remote VTEP
//   (or the device floods to its remote / all-zero entries), and the VTEP itself must be routed
//   over the underlay; through a point-to-point tunnel (ipip, gre …) the remote end, or the gateway
//   as the outer destination (Calico's `via <node> dev tunl0 onlink`); otherwise the gateway's owner;
// - without a gateway: a pod interface (a veth to a pod, a pod bridge) delivers to this node's own
//   pods; any other device puts the packet on that link towards the destination itself.
//
// Across nodes (`walk`): each branch continues at the node it was handed to, with that node's
// table, until it reaches the node asked about, is delivered locally somewhere else, dies, leaves
// the nodes netatlas knows, or loops.
import type { DropReason, LinkValue, NeighValue, RouteValue, RuleValue, SysctlValue } from '@netatlas/wire/core';
import { TUNNEL_KINDS } from './link-kinds.js';
import { PrefixTable, ownerOf, ownerOfKey, type Host } from './topology.js';
import { addrKey, formatIp, ipKey, mask, parseIp, parsePrefix, type Ip, type IpKey, type Prefix } from './topology-ip.js';

export { DROP_REASONS, type DropReason } from '@netatlas/wire/core';

/** One way the kernel sends the packet on from a node (a single-path route has one). */
export interface Branch {
  /** the route that decided, with its table; null for `no-route` */
  route: RouteValue | null;
  /** the next hop of the route this branch takes (multipath: one of them) */
  gateway: string | null;
  dev: string | null;
  /** `local`: delivered on this node; `forward`: handed to another machine; `drop`: dies here */
  outcome: 'local' | 'forward' | 'drop';
  drop: DropReason | null;
  /** forward: the node it is handed to (by address, VTEP or tunnel end), null when no known node holds it */
  toNode: string | null;
  /** forward: the address it is sent to on the wire (gateway, VTEP or tunnel end; null: the destination itself) */
  toAddress: string | null;
  /** forward: the encapsulation it leaves in */
  encap: 'vxlan' | 'tunnel' | null;
  /** vxlan: the inner frame's destination MAC (the node receiving it must own it) */
  innerMac: string | null;
  /** the neighbor entry the decision read (the gateway's, or the vxlan gateway's), when there is one */
  neighbor: NeighValue | null;
  /** one of the live next hops of a multipath route, which the kernel spreads packets over */
  ecmp: boolean;
  /** the policy rule that chose the table, where the node's rules are not the kernel's defaults (a trace's packet) */
  rule?: RuleValue | null;
}

/**
 * What a trace knows of the packet, beyond its destination: its source address and the device it
 * came in on at this node (null where it starts on the node). Policy rules select on both, and
 * forwarding and reverse-path filtering are the receiving interface's.
 */
export interface Packet {
  src: Ip | null;
  iif: string | null;
}

// ------------------------------------------------------------------ one node's tables

/** Tables in the order of the kernel's default rules. */
const RULE_TABLES = ['local', 'main', 'default'] as const;

/** The kernel's own rules: 0 lookup local, 32766 lookup main, 32767 lookup default (IPv6 has no default table rule on some kernels). */
function defaultRules(rules: readonly RuleValue[]): boolean {
  const plain = (r: RuleValue, priority: number, table: string) =>
    r.priority === priority && r.action === 'lookup' && r.table === table && !r.not && r.src === null && r.dst === null && r.iif === null && r.oif === null &&
    r.fwmark === null && r.tos === 0 && r.ipproto === null && r.sport === null && r.dport === null && r.uidRange === null && r.suppressPrefixLength === null;
  const want: Array<[number, string]> = [[0, 'local'], [32766, 'main'], [32767, 'default']];
  return rules.every((r) => want.some(([p, t]) => plain(r, p, t)));
}

const inPrefix = (ip: Ip, text: string | null): boolean => {
  if (text === null) return true;
  const p = parsePrefix(text, text.includes(':') ? 'inet6' : 'inet');
  return p !== null && p.ip.v === ip.v && ipKey(mask(ip, p.len)) === ipKey(mask(p.ip, p.len));
};

/** Whether a rule's selectors take a packet for `dst` from `packet` (with `not`, whether they do not). */
function ruleMatches(rule: RuleValue, dst: Prefix, packet: Packet): boolean {
  // selectors a trace's packet has no value for: the rule does not apply to it
  if (rule.ipproto !== null || rule.sport !== null || rule.dport !== null || rule.uidRange !== null || rule.tunId !== null || rule.tos !== 0) return false;
  if (rule.oif !== null || rule.l3mdev) return false;
  const selected =
    (rule.src === null || (packet.src !== null && inPrefix(packet.src, rule.src))) &&
    inPrefix(dst.ip, rule.dst) &&
    (rule.iif === null || (!rule.iifDetached && rule.iif === (packet.iif ?? 'lo'))) &&
    (rule.fwmark === null || (0 & (rule.fwmask ?? 0xffffffff)) === rule.fwmark);
  return rule.not ? !selected : selected;
}

/** A rule's own verdict as a route of that type (table `rule <priority>`), for forwardOn and the trace's reason. */
function ruleVerdict(rule: RuleValue): RouteValue {
  return {
    table: `rule ${rule.priority}`, family: rule.family, dst: rule.dst ?? 'default', type: rule.action, protocol: rule.protocol, scope: 'global',
    gateway: null, dev: null, prefsrc: null, metric: 0, tos: 0, flags: [], nexthops: [],
  };
}

/** A node's routing tables, indexed for longest-prefix lookups (built once per host). */
export class Fib {
  /** per table, the route the kernel uses for each prefix: the lowest metric among tos 0 */
  private readonly tables = new Map<string, PrefixTable<RouteValue>>();
  /** every neighbor entry that is not a proxy entry, by device and address (usable or not) */
  readonly neighbors = new Map<string, Map<IpKey, NeighValue>>();
  /** the branches of routes whose next hops do not depend on the destination (all have a gateway) */
  readonly branchCache = new Map<RouteValue, Branch[]>();
  /** the routes `tables` holds, by table */
  private readonly held = new Map<string, RouteValue[]>();
  /** addresses of this node on links that are down: what is sent to them is lost on the wire */
  readonly downAddrs = new Set<IpKey>();
  /** per family, the policy rules by priority where they are not the kernel's three defaults (null: the defaults) */
  private readonly rules: { 4: RuleValue[] | null; 6: RuleValue[] | null } = { 4: null, 6: null };
  /** forwarding settings by interface name, `all` and `default` (empty: none collected) */
  readonly sysctls = new Map<string, SysctlValue>();

  constructor(readonly host: Host) {
    for (const [ifname, addrs] of host.globalAddrs) {
      if (linkUp(host.links.get(ifname))) continue;
      for (const a of addrs) this.downAddrs.add(ipKey(a.ip));
    }
    for (const n of host.neighs) {
      if (n.proxy) continue;
      const k = addrKey(n.address);
      if (k === null) continue;
      let m = this.neighbors.get(n.dev);
      if (!m) this.neighbors.set(n.dev, (m = new Map()));
      m.set(k, n);
    }
    const rules: { 4: RuleValue[]; 6: RuleValue[] } = { 4: [], 6: [] };
    for (const f of host.facts) {
      if (f.kind === 'rule') rules[f.value.family === 'inet6' ? 6 : 4].push(f.value);
      else if (f.kind === 'sysctl') this.sysctls.set(f.value.name, f.value);
    }
    for (const v of [4, 6] as const) {
      const list = rules[v].sort((a, b) => a.priority - b.priority);
      if (list.length > 0 && !defaultRules(list)) this.rules[v] = list;
    }
    for (const f of host.facts) {
      if (f.kind !== 'route') continue;
      const r = f.value;
      if (r.tos !== 0 || r.type === 'broadcast' || r.type === 'multicast') continue;
      let t = this.tables.get(r.table);
      if (!t) {
        this.tables.set(r.table, (t = new PrefixTable()));
        this.held.set(r.table, []);
      }
      if (t.setText(r.dst, r.family, r, (cur) => cur.metric <= r.metric)) this.held.get(r.table)?.push(r);
    }
  }

  /** The routes of a table (tos 0), in fact order; where two share a prefix the kernel uses the lower metric. */
  routes(table: string): readonly RouteValue[] {
    return this.held.get(table) ?? [];
  }

  /** The route a table holds for exactly this prefix. */
  exact(table: string, p: Prefix): RouteValue | undefined {
    return this.tables.get(table)?.get(p);
  }

  /**
   * The route the kernel uses for `dst` (an address, or a prefix taken as a whole: the most specific
   * route that contains all of it), with the default rules; null when none does.
   */
  lookup(dst: Prefix): RouteValue | null {
    const v4 = dst.ip.v === 4;
    for (const name of RULE_TABLES) {
      if (v4 && name === 'main') continue; // looked up with local
      let route = this.tables.get(name)?.match(dst);
      if (v4 && name === 'local') {
        // IPv4 with the default rules: the kernel keeps local and main in one trie (until a custom
        // rule is ever added to the namespace, which no fact shows), so one longest-prefix match
        // covers both; at equal length the local route comes first
        const main = this.tables.get('main')?.match(dst, route === undefined ? 0 : (parsePrefix(route.dst, route.family)?.len ?? 0) + 1);
        if (main !== undefined) route = main;
      }
      // a throw sends the lookup on to the next table
      if (route !== undefined && route.type !== 'throw') return route;
    }
    return null;
  }

  /**
   * The route for `dst` under the node's policy rules, as the kernel picks it for `packet` (its
   * source and incoming device; no mark, no TOS, no ports: rules that select on those, on a uid or
   * an outgoing interface do not apply to it), and the rule that decided — or, with the kernel's
   * default rules, `lookup`'s answer and no rule. A rule's blackhole / unreachable / prohibit is
   * given as a route of that type in table `rule <priority>`.
   */
  lookupFor(dst: Prefix, packet: Packet): { route: RouteValue | null; rule: RuleValue | null } {
    const rules = this.rules[dst.ip.v];
    if (rules === null) return { route: this.lookup(dst), rule: null };
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (!ruleMatches(rule, dst, packet)) continue;
      switch (rule.action) {
        case 'nop':
          continue;
        case 'goto': {
          const at = rules.findIndex((r) => rule.goto !== null && r.priority >= rule.goto);
          if (at < 0 || at <= i) continue; // the kernel only jumps forward
          i = at - 1;
          continue;
        }
        case 'blackhole':
        case 'unreachable':
        case 'prohibit':
          return { route: ruleVerdict(rule), rule };
        case 'lookup': {
          if (rule.table === null) continue; // l3mdev: no VRF is modelled
          const route = this.tables.get(rule.table)?.match(dst);
          if (route === undefined || route.type === 'throw') continue;
          const len = parsePrefix(route.dst, route.family)?.len ?? 0;
          if (rule.suppressPrefixLength !== null && len <= rule.suppressPrefixLength) continue;
          return { route, rule };
        }
      }
    }
    return { route: null, rule: null };
  }

  /** The forwarding settings in effect on interface `dev` (all and the interface together), or null without sysctl facts. */
  forwardingOf(dev: string, v: 4 | 6): { forwarding: boolean; rpFilter: number } | null {
    if (this.sysctls.size === 0) return null;
    const all = this.sysctls.get('all');
    const own = this.sysctls.get(dev);
    if (v === 6) return { forwarding: (all?.ipv6?.forwarding ?? 1) !== 0, rpFilter: 0 };
    // IPv4: forwarding is the receiving interface's own; rp_filter the higher of all and the interface
    return { forwarding: (own?.ipv4?.forwarding ?? all?.ipv4?.forwarding ?? 1) !== 0, rpFilter: Math.max(all?.ipv4?.rpFilter ?? 0, own?.ipv4?.rpFilter ?? 0) };
  }

  /**
   * Whether the node speaks this family beyond its own link: a global address of the family, or a
   * route of it in the main table other than link-local and multicast ones.
   */
  hasFamily(v: 4 | 6): boolean {
    for (const addrs of this.host.globalAddrs.values()) if (addrs.some((a) => a.ip.v === v)) return true;
    return false;
  }
}

// ------------------------------------------------------------------ one node, one step

const BAD_NEIGH = new Set(['FAILED', 'INCOMPLETE']);
const isDown = (flags: readonly string[]): boolean => flags.includes('linkdown') || flags.includes('dead');

/** A pod's host-side interface: a veth whose peer is in another namespace, or a pod bridge. */
export function isPodInterface(h: Host, dev: string): boolean {
  if (h.podBridges.has(dev)) return true;
  for (const v of h.podVeths) if (v.ifname === dev) return true;
  return false;
}

function neighborOf(fib: Fib, dev: string, gw: string): NeighValue | null {
  const k = addrKey(gw);
  return k === null ? null : (fib.neighbors.get(dev)?.get(k) ?? null);
}

/** Where a vxlan device sends a gateway's frames: VTEPs, or the problem. */
function vxlanTargets(fib: Fib, dev: LinkValue, gw: string | null): { vteps: string[]; neighbor: NeighValue | null; problem: 'no-neighbor' | 'no-fdb' | null } {
  const h = fib.host;
  const neighbor = gw === null ? null : neighborOf(fib, dev.ifname, gw);
  const usable = neighbor !== null && neighbor.lladdr !== null && !neighbor.state.some((s) => BAD_NEIGH.has(s) || s === 'NOARP');
  const mac = usable ? neighbor.lladdr : null;
  const fdb = h.fdbByDev.get(dev.ifname) ?? [];
  if (mac !== null) {
    const vteps = [...new Set(fdb.filter((e) => e.mac === mac && e.dst !== null).map((e) => e.dst as string))].sort();
    if (vteps.length > 0) return { vteps, neighbor, problem: null };
  }
  // frames the device cannot place are flooded: to its remote, or to every all-zero entry
  const flood = [
    ...(dev.vxlan?.remote ? [dev.vxlan.remote] : []),
    ...fdb.filter((e) => e.mac === '00:00:00:00:00:00' && e.dst !== null).map((e) => e.dst as string),
  ];
  if (flood.length > 0) return { vteps: [...new Set(flood)].sort(), neighbor, problem: null };
  return { vteps: [], neighbor, problem: mac === null ? 'no-neighbor' : 'no-fdb' };
}

/**
 * Why the node cannot send `addr` over the underlay (a route over a non-tunnel device, or, where
 * the facts lack the prefix route, an address on such a device whose subnet holds it), or null
 * when it can.
 */
function underlayDrop(fib: Fib, addr: string): DropReason | null {
  const ip = parseIp(addr);
  if (!ip) return 'no-underlay-route';
  const r = fib.lookup({ ip, len: ip.v === 4 ? 32 : 128 });
  if (r !== null) {
    if (r.type !== 'unicast') return 'no-underlay-route';
    const hops = r.nexthops.length > 0 ? r.nexthops : [r];
    const usable = hops.filter((n) => n.dev !== null && !TUNNEL_KINDS.has(fib.host.links.get(n.dev)?.kind ?? ''));
    if (usable.length === 0) return 'no-underlay-route';
    return usable.some((n) => !isDown(n.flags) && !isDown(r.flags) && linkUp(fib.host.links.get(n.dev ?? ''))) ? null : 'link-down';
  }
  for (const [ifname, addrs] of fib.host.globalAddrs) {
    const link = fib.host.links.get(ifname);
    if (TUNNEL_KINDS.has(link?.kind ?? '')) continue;
    for (const a of addrs) {
      if (a.ip.v === ip.v && a.len < (ip.v === 4 ? 32 : 128) && ipKey(mask(a.ip, a.len)) === ipKey(mask(ip, a.len))) return linkUp(link) ? null : 'link-down';
    }
  }
  return 'no-underlay-route';
}

/** Whether a link carries packets: up, or of unknown state with its lower layer up (as veths and tunnels show). */
export function linkUp(l: LinkValue | undefined): boolean {
  if (l === undefined) return true;
  return l.operstate === 'UP' || (l.operstate === 'UNKNOWN' && (l.flags.includes('LOWER_UP') || !l.flags.includes('NO-CARRIER')));
}

/**
 * Every branch by which a node (its `fib`) sends a packet for `dst` on (an address as a /32 or
 * /128, or a whole prefix). `owners`: who holds each address (addressOwners over every node).
 */
export function forwardOn(fib: Fib, dst: Prefix, owners: ReadonlyMap<IpKey, string>, packet?: Packet): Branch[] {
  if (packet !== undefined) {
    const { route, rule } = fib.lookupFor(dst, packet);
    const branches = forwardWith(fib, dst, owners, route);
    return rule === null ? branches : branches.map((b) => ({ ...b, rule }));
  }
  return forwardWith(fib, dst, owners, fib.lookup(dst));
}

function forwardWith(fib: Fib, dst: Prefix, owners: ReadonlyMap<IpKey, string>, route: RouteValue | null): Branch[] {
  const base = { gateway: null, dev: null, toNode: null, toAddress: null, encap: null, innerMac: null, neighbor: null, ecmp: false } as const;
  if (route === null) return [{ ...base, route: null, outcome: 'drop', drop: 'no-route' }];
  switch (route.type) {
    case 'local':
    case 'anycast': // IPv6's subnet-router anycast address of a prefix on the node: the node answers it
      return [{ ...base, route, dev: route.dev, outcome: 'local', drop: null }];
    case 'blackhole':
    case 'unreachable':
    case 'prohibit':
      return [{ ...base, route, outcome: 'drop', drop: route.type }];
    default:
      break;
  }
  // next hops with gateways lead the same way whatever the destination: computed once per route
  const cacheable = route.nexthops.length > 0 ? route.nexthops.every((nh) => nh.gateway !== null) : route.gateway !== null;
  if (cacheable) {
    const cached = fib.branchCache.get(route);
    if (cached) return cached;
  }
  const hops = liveNexthops(route);
  const ecmp = hops.length > 1;
  const single = dst.len === (dst.ip.v === 4 ? 32 : 128) ? formatIp(dst.ip) : null;
  const branches =
    hops.length > 0
      ? hops.map((nh) => nexthopBranch(fib, route, nh, ecmp, single, owners))
      : [nexthopBranch(fib, route, route, false, single, owners)];
  if (cacheable) fib.branchCache.set(route, branches);
  return branches;
}

/**
 * The next hops of a multipath route the kernel may pick: those not flagged `dead` (their device
 * is down; the kernel spreads packets over the others only), or all of them when every one is dead
 * (each then drops as link-down). [] for a single-path route.
 */
function liveNexthops(route: RouteValue): RouteValue['nexthops'] {
  if (route.nexthops.length === 0 || !route.nexthops.some((nh) => nh.flags.includes('dead'))) return route.nexthops;
  const live = route.nexthops.filter((nh) => !nh.flags.includes('dead'));
  return live.length > 0 ? live : route.nexthops;
}

/**
 * The route by which node `fib` sends `dst` straight to node `target` — every next hop a gateway
 * `target` holds, on a device that is up and not a tunnel, its neighbor entry not failed — or null
 * when it does not (then `forwardOn` and `walk` tell the rest). Allocates nothing: the checks ask
 * this for every pair of nodes, and nearly always the answer is yes.
 */
export function straightTo(ctx: WalkContext, fib: Fib, dst: Prefix, target: string): RouteValue | null {
  const route = fib.lookup(dst);
  if (route === null || route.type !== 'unicast') return null;
  const into = ctx.fibs.get(target);
  const hops = liveNexthops(route);
  if (hops.length === 0) return straight(fib, route, route, ctx.owners, target, into) ? route : null;
  for (const nh of hops) if (!straight(fib, route, nh, ctx.owners, target, into)) return null;
  return route;
}

function straight(
  fib: Fib,
  route: RouteValue,
  nh: { gateway: string | null; dev: string | null; flags: readonly string[] },
  owners: ReadonlyMap<IpKey, string>,
  target: string,
  into: Fib | undefined,
): boolean {
  if (nh.gateway === null || nh.dev === null || isDown(nh.flags) || (nh !== route && isDown(route.flags))) return false;
  const link = fib.host.links.get(nh.dev);
  if (link === undefined || !linkUp(link) || TUNNEL_KINDS.has(link.kind)) return false;
  const k = addrKey(nh.gateway);
  if (k === null) return false;
  const n = fib.neighbors.get(nh.dev)?.get(k);
  if (n !== undefined && n.state.some((s) => BAD_NEIGH.has(s))) return false;
  return ownerOfKey(owners, k) === target && !(into?.downAddrs.has(k) ?? false);
}

/** One next hop of a unicast route as a branch (one object, built once: this runs N x N times). */
function nexthopBranch(
  fib: Fib,
  route: RouteValue,
  nh: { gateway: string | null; dev: string | null; flags: readonly string[] },
  ecmp: boolean,
  single: string | null,
  owners: ReadonlyMap<IpKey, string>,
): Branch {
  const h = fib.host;
  let outcome: Branch['outcome'] = 'forward';
  let drop: DropReason | null = null;
  let toNode: string | null = null;
  let toAddress: string | null = null;
  let encap: Branch['encap'] = null;
  let innerMac: string | null = null;
  let neighbor: NeighValue | null = null;
  const link = nh.dev === null ? undefined : h.links.get(nh.dev);
  if (isDown(nh.flags) || (nh !== route && isDown(route.flags)) || (link !== undefined && !linkUp(link))) drop = 'link-down';
  else if (link?.kind === 'vxlan') {
    const x = vxlanTargets(fib, link, nh.gateway ?? single);
    neighbor = x.neighbor;
    const vtep = x.vteps[0];
    if (x.problem !== null || vtep === undefined) drop = x.problem ?? 'no-fdb';
    else if ((drop = underlayDrop(fib, vtep)) === null) [encap, innerMac, toAddress, toNode] = ['vxlan', neighbor?.lladdr ?? null, vtep, ownerOf(owners, vtep)];
  } else if (link && TUNNEL_KINDS.has(link.kind)) {
    // a point-to-point tunnel: its remote end, else the gateway is the outer destination
    const remote = link.ipip?.remote ?? link.vxlan?.remote ?? nh.gateway;
    encap = 'tunnel';
    if (remote !== null && remote !== undefined) {
      drop = underlayDrop(fib, remote);
      if (drop === null) [toAddress, toNode] = [remote, ownerOf(owners, remote)];
    }
  } else if (nh.gateway !== null) {
    const k = addrKey(nh.gateway);
    neighbor = k === null || nh.dev === null ? null : (fib.neighbors.get(nh.dev)?.get(k) ?? null);
    if (neighbor !== null && neighbor.state.some((s) => BAD_NEIGH.has(s))) drop = 'neighbor-failed';
    else [toAddress, toNode] = [nh.gateway, k === null ? null : ownerOfKey(owners, k)];
  } else if (nh.dev !== null && isPodInterface(h, nh.dev)) {
    // on the link itself: this node's own pods
    outcome = 'local';
  } else {
    // or the destination itself on that link
    neighbor = single === null || nh.dev === null ? null : neighborOf(fib, nh.dev, single);
    if (neighbor !== null && neighbor.state.some((s) => BAD_NEIGH.has(s))) drop = 'neighbor-failed';
    else [toAddress, toNode] = [single, single === null ? null : ownerOf(owners, single)];
  }
  if (drop !== null) outcome = 'drop';
  return { route, gateway: nh.gateway, dev: nh.dev, outcome, drop, toNode, toAddress, encap, innerMac, neighbor, ecmp };
}

// ------------------------------------------------------------------ across nodes

/** How a branch ended, seen from where it started. */
export type WalkEnd =
  /** it reached the node asked about */
  | 'arrived'
  /** a node other than the one asked about delivered it to itself (its own pods or addresses) */
  | 'delivered-elsewhere'
  /** it died on a node (see `drop`) */
  | 'dropped'
  /** handed to a machine netatlas holds no facts of (a router, a node without collector) */
  | 'left'
  /** it came back to a node it had passed */
  | 'loop';

export interface WalkStep {
  node: string;
  branch: Branch;
  /** a trace's walk: the device the packet came in on at this node (null where it started) */
  iif?: string | null;
}

export interface WalkBranch {
  end: WalkEnd;
  /** the node where it ended (for `left`: the last node it passed) */
  at: string;
  drop: DropReason | null;
  /** the steps, one per node passed (the last one decided the end) */
  steps: WalkStep[];
}

export interface WalkResult {
  /** every branch arrived */
  arrived: boolean;
  branches: WalkBranch[];
}

/** What a walk needs of the moment: the nodes' tables and who holds each address. */
export interface WalkContext {
  fibs: ReadonlyMap<string, Fib>;
  owners: ReadonlyMap<IpKey, string>;
}

const MAX_HOPS = 16;

/**
 * Whether a node takes a vxlan frame for `mac`: one of its devices owns the MAC. A node whose vxlan
 * devices' MACs are not known (facts without them) is given the benefit of the doubt.
 */
export function takesFrame(fib: Fib | undefined, mac: string): boolean {
  if (fib === undefined || fib.host.localMacs.has(mac)) return true;
  return !fib.host.tunnels.some((t) => t.kind === 'vxlan' && t.mac !== null);
}

function receiverDown(ctx: WalkContext, node: string, address: string): boolean {
  const fib = ctx.fibs.get(node);
  if (fib === undefined || fib.downAddrs.size === 0) return false;
  const k = addrKey(address);
  return k !== null && fib.downAddrs.has(k);
}
const MAX_BRANCHES = 64;

/** The device a packet handed on by `from` comes in on at the node `to` (null: not known). */
export function arrivalDevice(to: Host | undefined, from: Branch): string | null {
  if (!to) return null;
  if (from.encap !== null) {
    const t = to.tunnels.find((l) => (from.encap === 'vxlan' ? l.kind === 'vxlan' : l.kind !== 'vxlan'));
    return t?.ifname ?? null;
  }
  if (from.toAddress === null) return null;
  for (const [ifname, addrs] of to.globalAddrs) if (addrs.some((a) => formatIp(a.ip) === from.toAddress)) return ifname;
  return null;
}

/**
 * What the receiving interface's settings do to a trace's packet on a node: forwarding off drops
 * what is not for the node itself, reverse-path filtering what comes in where its source is not
 * routed (strict: not back out of that interface; loose: not at all). Null when it passes, or
 * where the facts hold no settings.
 */
function receiveDrop(fib: Fib, packet: Packet, branch: Branch, v: 4 | 6): DropReason | null {
  if (packet.iif === null) return null;
  const settings = fib.forwardingOf(packet.iif, v);
  if (settings === null) return null;
  if (packet.src !== null && settings.rpFilter > 0) {
    const back = fib.lookupFor({ ip: packet.src, len: packet.src.v === 4 ? 32 : 128 }, { src: null, iif: null }).route;
    const devs = back === null ? [] : back.nexthops.length > 0 ? back.nexthops.map((n) => n.dev) : [back.dev];
    const routed = back !== null && (back.type === 'unicast' || back.type === 'local');
    if (!routed || (settings.rpFilter === 1 && !devs.includes(packet.iif))) return 'rp-filter';
  }
  if (branch.route?.type !== 'local' && !settings.forwarding) return 'forwarding-off';
  return null;
}

/**
 * Every way a packet for `dst` (an address or a whole prefix) travels from node `from`: each
 * branch followed from node to node until it reaches `target` (when given), is delivered on
 * some node, dies, leaves the known nodes or loops. With `packet` (a trace's: its source, and the
 * device it comes in on at `from`), each node's policy rules, forwarding and rp_filter settings
 * apply to it too, and each step records its incoming device.
 */
export function walk(ctx: WalkContext, from: string, dst: Prefix, target: string | null = null, packet?: Packet): WalkResult {
  const out: WalkBranch[] = [];
  const go = (node: string, steps: WalkStep[], seen: ReadonlySet<string>, iif: string | null): void => {
    if (out.length >= MAX_BRANCHES) return;
    const fib = ctx.fibs.get(node);
    if (!fib) {
      out.push({ end: node === target ? 'arrived' : 'left', at: node, drop: null, steps });
      return;
    }
    // a bridge port's packets are routed from its bridge
    const at = packet === undefined ? undefined : { src: packet.src, iif: iif === null ? null : (fib.host.links.get(iif)?.master ?? iif) };
    for (let branch of forwardOn(fib, dst, ctx.owners, at)) {
      const refused = at === undefined ? null : receiveDrop(fib, at, branch, dst.ip.v);
      if (refused !== null) branch = { ...branch, outcome: 'drop', drop: refused, toNode: null, toAddress: null };
      const here = [...steps, at === undefined ? { node, branch } : { node, branch, iif }];
      if (branch.outcome === 'drop') out.push({ end: 'dropped', at: node, drop: branch.drop, steps: here });
      else if (branch.outcome === 'local') out.push({ end: node === target ? 'arrived' : 'delivered-elsewhere', at: node, drop: null, steps: here });
      else if (branch.toNode === null) out.push({ end: 'left', at: node, drop: null, steps: here });
      // the receiving node first, the target too: what it cannot take has not arrived
      else if (branch.toAddress !== null && receiverDown(ctx, branch.toNode, branch.toAddress)) {
        // sent to an address of the next node that sits on a link that is down: lost on the wire
        out.push({ end: 'dropped', at: branch.toNode, drop: 'link-down', steps: here });
      } else if (branch.innerMac !== null && !takesFrame(ctx.fibs.get(branch.toNode), branch.innerMac)) {
        // a vxlan frame is taken only by the device that owns its destination MAC
        out.push({ end: 'dropped', at: branch.toNode, drop: 'wrong-vtep', steps: here });
      } else if (branch.toNode === target) out.push({ end: 'arrived', at: branch.toNode, drop: null, steps: here });
      else if (seen.has(branch.toNode) || here.length >= MAX_HOPS) out.push({ end: 'loop', at: branch.toNode, drop: null, steps: here });
      else go(branch.toNode, here, new Set([...seen, branch.toNode]), packet === undefined ? null : arrivalDevice(ctx.fibs.get(branch.toNode)?.host, branch));
    }
  };
  go(from, [], new Set([from]), packet?.iif ?? null);
  return { arrived: out.length > 0 && out.every((b) => b.end === 'arrived'), branches: out };
}

