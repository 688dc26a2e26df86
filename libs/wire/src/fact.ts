// The fact model: a node's network state as a set of {kind, key, value}. `key` is the object's
// stable identity within the node (DESIGN.md step 3), so a changed attribute is an update of the
// same key, never a delete plus an add. Values hold state, not counters or countdowns: a fact
// changes only when the network does.
import { z } from 'zod';
import { FACT_KEY_MAX } from './keys.js';
import { READER_ERROR_MAX, UNSTORABLE_TEXT } from './protocol.js';

/** A string the store can hold: refused at the boundary, with its path, instead of failing in Postgres. */
export const text = () => z.string().refine((s) => !UNSTORABLE_TEXT.test(s), { message: 'contains NUL or an unpaired surrogate, which cannot be stored' });

/** A moment as the API writes it: ISO 8601 (Date.toISOString, `2026-11-23T08:00:00.000Z`). */
export const instant = () => z.iso.datetime({ offset: true });

const str = text();
const nstr = text().nullable();
const nint = z.number().int().nullable();

export const FAMILIES = ['inet', 'inet6'] as const;
export const FamilySchema = z.enum(FAMILIES);

// ------------------------------------------------------------------ link

export const LinkValueSchema = z.strictObject({
  ifname: str,
  ifindex: z.number().int(),
  /** veth, bridge, vxlan, ipip, dummy, tun, loopback, device (no link kind: a physical NIC), … */
  kind: str,
  mtu: z.number().int(),
  mac: nstr,
  operstate: str,
  flags: z.array(str),
  /** the bridge (or bond) this link is enslaved to */
  master: nstr,
  /** veth peer or lower device by name, when it is in the same namespace (`link`) */
  link: nstr,
  /** veth/vxlan/ipip: ifindex of the peer or lower device (`link_index`), and its netns id */
  linkIndex: nint,
  linkNetnsId: nint,
  vxlan: z
    .strictObject({ id: z.number().int(), local: nstr, remote: nstr, port: nint, dev: nstr, learning: z.boolean() })
    .nullable(),
  ipip: z.strictObject({ local: nstr, remote: nstr }).nullable(),
});

// ------------------------------------------------------------------ addr

export const AddrValueSchema = z.strictObject({
  ifname: str,
  family: FamilySchema,
  address: str,
  prefixLen: z.number().int(),
  scope: str,
  broadcast: nstr,
  label: nstr,
  /** deprecated, tentative, noprefixroute, … (dynamic lifetimes are not state and are left out) */
  flags: z.array(str),
});

// ------------------------------------------------------------------ route

export const NexthopSchema = z.strictObject({
  gateway: nstr,
  dev: nstr,
  weight: nint,
  flags: z.array(str),
});

export const RouteValueSchema = z.strictObject({
  table: str,
  family: FamilySchema,
  /** `default` or a prefix with its length (`10.0.0.1/32`, never a bare address) */
  dst: str,
  /** unicast, blackhole, unreachable, prohibit, local, broadcast, multicast, throw, … */
  type: str,
  protocol: str,
  scope: str,
  gateway: nstr,
  dev: nstr,
  prefsrc: nstr,
  metric: z.number().int(),
  tos: z.number().int(),
  /** onlink, linkdown, … */
  flags: z.array(str),
  /** multipath routes: one entry per nexthop; [] for single-path routes */
  nexthops: z.array(NexthopSchema),
});

// ------------------------------------------------------------------ neigh

export const NeighValueSchema = z.strictObject({
  dev: str,
  family: FamilySchema,
  address: str,
  lladdr: nstr,
  /** REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE, PERMANENT, NOARP, NONE (possibly several) */
  state: z.array(str),
  router: z.boolean(),
  /** a proxy ARP/NDP entry (`ip neigh show proxy`) */
  proxy: z.boolean(),
});

// ------------------------------------------------------------------ fdb

export const FdbValueSchema = z.strictObject({
  dev: str,
  mac: str,
  master: nstr,
  vlan: nint,
  /** vxlan: the remote VTEP this MAC is reached through */
  dst: nstr,
  vni: nint,
  port: nint,
  /** permanent, static, or null for learned (dynamic) entries */
  state: nstr,
  /** self, master, extern_learn, offload, … */
  flags: z.array(str),
});

// ------------------------------------------------------------------ ipset

export const IpsetValueSchema = z.strictObject({
  name: str,
  /** hash:ip, hash:net, hash:ip,port, list:set, … */
  type: str,
  family: z.enum(['inet', 'inet6']).nullable(),
  /** creation options: hashsize, maxelem, timeout, counters, comment, … (as ipset prints them) */
  header: z.record(str, z.union([str, z.number(), z.boolean()])),
});

export const IpsetMemberValueSchema = z.strictObject({
  set: str,
  element: str,
  /** 0 = never expires; a member that expires carries the set's timeout, not its countdown */
  timeout: nint,
  comment: nstr,
});

// ------------------------------------------------------------------ bgpSession

export const BGP_DAEMONS = ['bird', 'gobgp', 'frr'] as const;
export const BGP_STATES = ['idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'] as const;
export const BgpStateSchema = z.enum(BGP_STATES);

export const BgpSessionValueSchema = z.strictObject({
  daemon: z.enum(BGP_DAEMONS),
  /** the daemon's name for the session (BIRD protocol name, FRR/GoBGP peer description) */
  name: nstr,
  peerAddress: str,
  peerAs: nint,
  localAddress: nstr,
  localAs: nint,
  state: BgpStateSchema,
  /** when the session entered its current state (ISO 8601), if the daemon says */
  since: nstr,
  prefixesReceived: nint,
  prefixesAccepted: nint,
  prefixesSent: nint,
  lastError: nstr,
  holdTime: nint,
  keepalive: nint,
});

// ------------------------------------------------------------------ bgpOrigin

/**
 * A prefix the node's BGP daemon originates: announces as its own (BIRD: a non-BGP route its BGP
 * protocols export, e.g. Calico's static block; GoBGP: a path of the global RIB with no peer;
 * FRR: a `network` / redistributed path sourced locally). Provenance for the node's pod ranges:
 * the daemon's own view, independent of what the kernel installed.
 */
export const BgpOriginValueSchema = z.strictObject({
  daemon: z.enum(BGP_DAEMONS),
  family: FamilySchema,
  /** the prefix with its length, canonical (`10.48.0.64/26`) */
  prefix: str,
  /** the next hop the daemon announces it with, when it says (often its own address or none) */
  nexthop: nstr,
});

// ------------------------------------------------------------------ ipvsService

export const IpvsRealServerSchema = z.strictObject({
  address: str,
  port: z.number().int(),
  /** masq, route (direct routing), tunnel, local */
  forward: str,
  weight: z.number().int(),
});

export const IpvsServiceValueSchema = z.strictObject({
  protocol: z.enum(['tcp', 'udp', 'sctp', 'fwmark']),
  address: nstr,
  port: nint,
  fwmark: nint,
  scheduler: str,
  flags: z.array(str),
  /** persistence timeout in seconds, null when not persistent */
  persistent: nint,
  realServers: z.array(IpvsRealServerSchema),
});

// ------------------------------------------------------------------ rule

/** A range of ports or uids, both ends included (`sport 80`: 80–80). */
export const RuleRangeSchema = z.strictObject({ start: z.number().int(), end: z.number().int() });

/** `lookup` a table (or the l3mdev's), `goto` a priority, `nop`, or a verdict without a lookup. */
export const RULE_ACTIONS = ['lookup', 'goto', 'nop', 'blackhole', 'unreachable', 'prohibit'] as const;

/**
 * A policy routing rule (`ip rule`): which table a packet is looked up in. Rules are tried by
 * priority, lowest first; several may share one. Absent selectors match everything.
 */
export const RuleValueSchema = z.strictObject({
  family: FamilySchema,
  priority: z.number().int(),
  /** `not`: the rule applies to packets that its selectors do not match */
  not: z.boolean(),
  /** prefixes with their length (`10.0.0.0/8`, `10.0.0.1/32`); null: from / to all */
  src: nstr,
  dst: nstr,
  /** TOS / DS field to match (a number, however iproute2 names it); 0: any */
  tos: z.number().int(),
  /** the mark and its mask (0xffffffff when none was given); null: any mark */
  fwmark: nint,
  fwmask: nint,
  iif: nstr,
  /** the rule names an interface that is not there now: it matches nothing until it comes back */
  iifDetached: z.boolean(),
  oif: nstr,
  oifDetached: z.boolean(),
  uidRange: RuleRangeSchema.nullable(),
  /** IP protocol by name as printed (`tcp`, `gre`), or its number as text; null: any */
  ipproto: nstr,
  sport: RuleRangeSchema.nullable(),
  dport: RuleRangeSchema.nullable(),
  tunId: nint,
  /** IPv4 realms as printed, `from/to` (`3/4`) or `to` */
  realms: nstr,
  /** the lookup is in the table of the packet's l3mdev (VRF) device; `table` is null */
  l3mdev: z.boolean(),
  action: z.enum(RULE_ACTIONS),
  /** lookup: the table as iproute2 names it (`main`, `local`, a name from rt_tables) or its number as text, as routes have it */
  table: nstr,
  /** goto: the priority it continues at; unresolved: no rule has it now */
  goto: nint,
  unresolved: z.boolean(),
  /** a lookup result is ignored when its prefix is this long or shorter (`suppress_prefixlength 0`: ignore default routes) */
  suppressPrefixLength: nint,
  /** a lookup result is ignored when its device is in this group (name as printed, or number as text) */
  suppressIfGroup: nstr,
  /** who installed it: `kernel` (the default rules), `unspec` (`ip rule add`), `boot`, `static`, a name from rt_protos or a number */
  protocol: str,
  /**
   * What iproute2 printed that the model has no field for (a newer selector such as dscp, the
   * deprecated nat), as printed: a rule with any is not to be read as matching more than it does.
   */
  other: z.record(str, z.union([str, z.number(), z.boolean(), z.null()])),
});

// ------------------------------------------------------------------ sysctl

/** net.ipv4.conf.<name>.*: rp_filter 0 off, 1 strict, 2 loose. null: the setting could not be read. */
export const SysctlIpv4Schema = z.strictObject({ forwarding: nint, rpFilter: nint, proxyArp: nint });
/** net.ipv6.conf.<name>.*; null: the setting could not be read. */
export const SysctlIpv6Schema = z.strictObject({ forwarding: nint, proxyNdp: nint });

/**
 * The forwarding settings of one interface, or of `all` / `default` (the kernel reserves both
 * names). The namespace-wide switches live in `all`: net.ipv4.ip_forward is the same kernel
 * setting as net.ipv4.conf.all.forwarding, and net.ipv6.conf.all.forwarding is IPv6's. What takes
 * effect on an interface: rp_filter the higher of `all` and the interface, proxy_arp and proxy_ndp
 * either of them, IPv4 forwarding the receiving interface's own (setting `all` sets every
 * interface's), IPv6 forwarding `all`'s; `default` is what a new interface starts with.
 */
export const SysctlValueSchema = z.strictObject({
  /** `all`, `default`, or the interface's name as the kernel has it (`flannel.1`) */
  name: str,
  /** null: no IPv4 settings for it */
  ipv4: SysctlIpv4Schema.nullable(),
  /** null: no IPv6 settings for it (IPv6 off, or an interface with an MTU below 1280) */
  ipv6: SysctlIpv6Schema.nullable(),
});

// ------------------------------------------------------------------ cniAddr

export const CNI_RECORDS = ['host-local', 'result'] as const;

/**
 * An address the node's CNI gave a container, as the node's CNI files record it (without any
 * traffic): host-local IPAM's allocation files (`<cni dir>/networks/<network>/<ip>`, holding the
 * container ID and its interface) and the container runtime's cache of each ADD's result
 * (libcni's `<cni dir>/results/<network>-<container>-<ifname>`, which also names the interfaces
 * the plugin made on the host: the pod's host-side veth, its bridge).
 */
export const CniAddrValueSchema = z.strictObject({
  /** the CNI network's name (host-local's directory, the cached result's networkName) */
  network: str,
  /** the address, canonical, without its length */
  address: str,
  /** its length as the result gives it; null when only host-local's file records the address */
  prefixLen: nint,
  containerId: str,
  /** the interface inside the container (`eth0`); null when host-local's file holds only the ID (before CNI plugins v0.8) */
  ifname: nstr,
  /** the result's interfaces outside the container (the host veth, the bridge), in the result's order */
  hostIfnames: z.array(str),
  /** the container's network namespace, as the runtime gave it (`/var/run/netns/cni-…`) */
  netns: nstr,
  /** which files record it: host-local's allocation, the cached result, or both */
  recordedBy: z.array(z.enum(CNI_RECORDS)),
});

// ------------------------------------------------------------------ node

export const READER_STATUSES = ['ok', 'missing', 'failed', 'unparseable', 'timeout', 'disabled'] as const;
export const ReaderStatusSchema = z.strictObject({
  status: z.enum(READER_STATUSES),
  /** what went wrong, with the tool's stderr where there is one (the collector clips it to READER_ERROR_MAX) */
  error: text().max(READER_ERROR_MAX).nullable(),
});

export const CNI_STYLES = ['kube-router', 'calico', 'flannel', 'unknown'] as const;
export const CniStyleSchema = z.enum(CNI_STYLES);

export const NodeValueSchema = z.strictObject({
  hostname: str,
  kernel: str,
  bootId: str,
  cniStyle: CniStyleSchema,
  readers: z.record(str, ReaderStatusSchema),
});

// ------------------------------------------------------------------ the union

const keySchema = text().min(1).max(FACT_KEY_MAX);

export const FactSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('link'), key: keySchema, value: LinkValueSchema }),
  z.strictObject({ kind: z.literal('addr'), key: keySchema, value: AddrValueSchema }),
  z.strictObject({ kind: z.literal('route'), key: keySchema, value: RouteValueSchema }),
  z.strictObject({ kind: z.literal('neigh'), key: keySchema, value: NeighValueSchema }),
  z.strictObject({ kind: z.literal('fdb'), key: keySchema, value: FdbValueSchema }),
  z.strictObject({ kind: z.literal('ipset'), key: keySchema, value: IpsetValueSchema }),
  z.strictObject({ kind: z.literal('ipsetMember'), key: keySchema, value: IpsetMemberValueSchema }),
  z.strictObject({ kind: z.literal('bgpSession'), key: keySchema, value: BgpSessionValueSchema }),
  z.strictObject({ kind: z.literal('bgpOrigin'), key: keySchema, value: BgpOriginValueSchema }),
  z.strictObject({ kind: z.literal('ipvsService'), key: keySchema, value: IpvsServiceValueSchema }),
  z.strictObject({ kind: z.literal('rule'), key: keySchema, value: RuleValueSchema }),
  z.strictObject({ kind: z.literal('sysctl'), key: keySchema, value: SysctlValueSchema }),
  z.strictObject({ kind: z.literal('cniAddr'), key: keySchema, value: CniAddrValueSchema }),
  z.strictObject({ kind: z.literal('node'), key: keySchema, value: NodeValueSchema }),
]);

/** The value of a fact of any kind (a change's before and after). */
export const FactValueSchema = z.union([
  LinkValueSchema,
  AddrValueSchema,
  RouteValueSchema,
  NeighValueSchema,
  FdbValueSchema,
  IpsetValueSchema,
  IpsetMemberValueSchema,
  BgpSessionValueSchema,
  BgpOriginValueSchema,
  IpvsServiceValueSchema,
  RuleValueSchema,
  SysctlValueSchema,
  CniAddrValueSchema,
  NodeValueSchema,
]);

export type Fact = z.infer<typeof FactSchema>;
export type FactKind = Fact['kind'];
export type FactOf<K extends FactKind> = Extract<Fact, { kind: K }>;
export type FactValueOf<K extends FactKind> = FactOf<K>['value'];

export const FACT_KINDS = [
  'link', 'addr', 'route', 'neigh', 'fdb', 'ipset', 'ipsetMember', 'bgpSession', 'bgpOrigin', 'ipvsService', 'rule', 'sysctl', 'cniAddr', 'node',
] as const satisfies readonly FactKind[];
export const FactKindSchema = z.enum(FACT_KINDS);

export type LinkValue = z.infer<typeof LinkValueSchema>;
export type AddrValue = z.infer<typeof AddrValueSchema>;
export type RouteValue = z.infer<typeof RouteValueSchema>;
export type Nexthop = z.infer<typeof NexthopSchema>;
export type NeighValue = z.infer<typeof NeighValueSchema>;
export type FdbValue = z.infer<typeof FdbValueSchema>;
export type IpsetValue = z.infer<typeof IpsetValueSchema>;
export type IpsetMemberValue = z.infer<typeof IpsetMemberValueSchema>;
export type BgpState = z.infer<typeof BgpStateSchema>;
export type BgpSessionValue = z.infer<typeof BgpSessionValueSchema>;
export type BgpOriginValue = z.infer<typeof BgpOriginValueSchema>;
export type IpvsServiceValue = z.infer<typeof IpvsServiceValueSchema>;
export type RuleRange = z.infer<typeof RuleRangeSchema>;
export type RuleAction = (typeof RULE_ACTIONS)[number];
export type RuleValue = z.infer<typeof RuleValueSchema>;
export type SysctlValue = z.infer<typeof SysctlValueSchema>;
export type CniAddrValue = z.infer<typeof CniAddrValueSchema>;
export type CniRecord = (typeof CNI_RECORDS)[number];
export type NodeValue = z.infer<typeof NodeValueSchema>;
export type ReaderStatus = z.infer<typeof ReaderStatusSchema>;
export type CniStyle = z.infer<typeof CniStyleSchema>;
