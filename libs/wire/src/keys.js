export const FACT_KEYS = {
    link: (v) => v.ifname,
    addr: (v) => `${v.ifname}|${v.family}|${v.address}/${v.prefixLen}`,
    /**
     * Table, family, destination, tos and metric (DESIGN.md), plus the device: the kernel keeps
     * routes that differ only in device apart (IPv6 fe80::/64 and ff00::/8 on every interface,
     * Calico's per-veth routes, a subnet on two interfaces).
     */
    route: (v) => `${v.table}|${v.family}|${v.dst}|${v.tos}|${v.metric}|${v.dev ?? ''}`,
    neigh: (v) => `${v.dev}|${v.address}${v.proxy ? '|proxy' : ''}`,
    /** a vxlan device can reach one MAC through several VTEPs (flood lists), so dst is part of it */
    fdb: (v) => `${v.dev}|${v.mac}|${v.vlan ?? ''}|${v.dst ?? ''}|${v.vni ?? ''}|${v.port ?? ''}|${v.master === null ? 'self' : 'master'}`,
    ipset: (v) => v.name,
    ipsetMember: (v) => `${v.set}|${v.element}`,
    bgpSession: (v) => `${v.daemon}|${v.peerAddress}`,
    ipvsService: (v) => v.fwmark !== null ? `fwmark|${v.fwmark}` : `${v.protocol}|${v.address ?? ''}|${v.port ?? ''}`,
    node: () => 'node',
};
export function makeFact(kind, value) {
    const keyOf = FACT_KEYS[kind];
    return { kind, key: keyOf(value), value };
}
/** The identity of a fact across snapshots and deltas: its kind and key. */
export function factId(fact) {
    return `${fact.kind}|${fact.key}`;
}
//# sourceMappingURL=keys.js.map