// Stable identities (DESIGN.md step 3). One home for them: parsers build facts through `makeFact`,
// so a key is derived from the value in exactly one way.
import type {
  AddrValue,
  CniAddrValue,
  BgpOriginValue,
  BgpSessionValue,
  Fact,
  FactKind,
  FactOf,
  FactValueOf,
  FdbValue,
  IpsetMemberValue,
  IpsetValue,
  IpvsServiceValue,
  LinkValue,
  NeighValue,
  RouteValue,
  RuleRange,
  RuleValue,
  SysctlValue,
} from './fact.js';

type KeyFns = { [K in FactKind]: (v: FactValueOf<K>) => string };

const hex = (n: number): string => `0x${n.toString(16)}`;
const range = (r: RuleRange): string => (r.start === r.end ? String(r.start) : `${r.start}-${r.end}`);

/**
 * A rule in `ip rule` syntax, every selector and the action in one fixed order, absent ones left
 * out: `from all fwmark 0x10/0xff lookup 100 proto unspec`. What is state rather than identity
 * (an interface detached, a goto unresolved) is not part of it.
 */
export function ruleText(v: RuleValue): string {
  const parts: (string | false)[] = [
    v.not && 'not',
    `from ${v.src ?? 'all'}`,
    v.dst !== null && `to ${v.dst}`,
    v.tos !== 0 && `tos ${hex(v.tos)}`,
    v.fwmark !== null && `fwmark ${hex(v.fwmark)}/${hex(v.fwmask ?? 0xffffffff)}`,
    v.iif !== null && `iif ${v.iif}`,
    v.oif !== null && `oif ${v.oif}`,
    v.uidRange !== null && `uidrange ${v.uidRange.start}-${v.uidRange.end}`,
    v.ipproto !== null && `ipproto ${v.ipproto}`,
    v.sport !== null && `sport ${range(v.sport)}`,
    v.dport !== null && `dport ${range(v.dport)}`,
    v.tunId !== null && `tun_id ${v.tunId}`,
    v.realms !== null && `realms ${v.realms}`,
    v.l3mdev && 'l3mdev',
    v.action === 'lookup' ? v.table !== null && `lookup ${v.table}` : v.action === 'goto' ? `goto ${v.goto ?? ''}` : v.action,
    v.suppressPrefixLength !== null && `suppress_prefixlength ${v.suppressPrefixLength}`,
    v.suppressIfGroup !== null && `suppress_ifgroup ${v.suppressIfGroup}`,
    `proto ${v.protocol}`,
    ...Object.keys(v.other).sort().map((k) => `${k} ${JSON.stringify(v.other[k])}`),
  ];
  return parts.filter((p): p is string => p !== false).join(' ');
}

export const FACT_KEYS: KeyFns = {
  link: (v: LinkValue) => v.ifname,
  addr: (v: AddrValue) => `${v.ifname}|${v.family}|${v.address}/${v.prefixLen}`,
  /**
   * Table, family, destination, tos and metric (DESIGN.md), plus the device: the kernel keeps
   * routes that differ only in device apart (IPv6 fe80::/64 and ff00::/8 on every interface,
   * Calico's per-veth routes, a subnet on two interfaces).
   */
  route: (v: RouteValue) => `${v.table}|${v.family}|${v.dst}|${v.tos}|${v.metric}|${v.dev ?? ''}`,
  neigh: (v: NeighValue) => `${v.dev}|${v.address}${v.proxy ? '|proxy' : ''}`,
  /** a vxlan device can reach one MAC through several VTEPs (flood lists), so dst is part of it */
  fdb: (v: FdbValue) =>
    `${v.dev}|${v.mac}|${v.vlan ?? ''}|${v.dst ?? ''}|${v.vni ?? ''}|${v.port ?? ''}|${v.master === null ? 'self' : 'master'}`,
  ipset: (v: IpsetValue) => v.name,
  ipsetMember: (v: IpsetMemberValue) => `${v.set}|${v.element}`,
  bgpSession: (v: BgpSessionValue) => `${v.daemon}|${v.peerAddress}`,
  bgpOrigin: (v: BgpOriginValue) => `${v.daemon}|${v.prefix}`,
  ipvsService: (v: IpvsServiceValue) =>
    v.fwmark !== null ? `fwmark|${v.fwmark}` : `${v.protocol}|${v.address ?? ''}|${v.port ?? ''}`,
  /**
   * Family, priority and the whole rule: several rules may share a priority, and the kernel keeps
   * apart rules that differ in any selector, the action or the protocol that installed them.
   */
  rule: (v: RuleValue) => `${v.family}|${v.priority}|${ruleText(v)}`,
  /** the interface, or `all` / `default` (names the kernel refuses for an interface) */
  sysctl: (v: SysctlValue) => v.name,
  /** two containers may claim one address (a stale file after a crash): both are kept */
  cniAddr: (v: CniAddrValue) => `${v.network}|${v.address}|${v.containerId}`,
  node: () => 'node',
};

/** The longest key the wire takes (FactSchema): a longer one makes the whole message invalid. */
export const FACT_KEY_MAX = 512;

export function makeFact<K extends FactKind>(kind: K, value: FactValueOf<K>): FactOf<K> {
  const keyOf = FACT_KEYS[kind] as (v: FactValueOf<K>) => string;
  return { kind, key: keyOf(value), value } as FactOf<K>;
}

/** The identity of a fact across snapshots and deltas: its kind and key. */
export function factId(fact: Pick<Fact, 'kind' | 'key'>): string {
  return `${fact.kind}|${fact.key}`;
}
