// Stable identities (DESIGN.md step 3). One home for them: parsers build facts through `makeFact`,
// so a key is derived from the value in exactly one way.
import type {
  AddrValue,
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
} from './fact.js';

type KeyFns = { [K in FactKind]: (v: FactValueOf<K>) => string };

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
  node: () => 'node',
};

export function makeFact<K extends FactKind>(kind: K, value: FactValueOf<K>): FactOf<K> {
  const keyOf = FACT_KEYS[kind] as (v: FactValueOf<K>) => string;
  return { kind, key: keyOf(value), value } as FactOf<K>;
}

/** The identity of a fact across snapshots and deltas: its kind and key. */
export function factId(fact: Pick<Fact, 'kind' | 'key'>): string {
  return `${fact.kind}|${fact.key}`;
}
