import { z } from 'zod';
export declare const FactRefSchema: z.ZodObject<{
    kind: z.ZodEnum<{
        link: "link";
        addr: "addr";
        route: "route";
        neigh: "neigh";
        fdb: "fdb";
        ipset: "ipset";
        ipsetMember: "ipsetMember";
        bgpSession: "bgpSession";
        ipvsService: "ipvsService";
        node: "node";
    }>;
    key: z.ZodString;
}, z.core.$strict>;
export declare const DeltaSchema: z.ZodObject<{
    upserts: z.ZodArray<z.ZodDiscriminatedUnion<[z.ZodObject<{
        kind: z.ZodLiteral<"link">;
        key: z.ZodString;
        value: z.ZodObject<{
            ifname: z.ZodString;
            ifindex: z.ZodNumber;
            kind: z.ZodString;
            mtu: z.ZodNumber;
            mac: z.ZodNullable<z.ZodString>;
            operstate: z.ZodString;
            flags: z.ZodArray<z.ZodString>;
            master: z.ZodNullable<z.ZodString>;
            link: z.ZodNullable<z.ZodString>;
            linkIndex: z.ZodNullable<z.ZodNumber>;
            linkNetnsId: z.ZodNullable<z.ZodNumber>;
            vxlan: z.ZodNullable<z.ZodObject<{
                id: z.ZodNumber;
                local: z.ZodNullable<z.ZodString>;
                remote: z.ZodNullable<z.ZodString>;
                port: z.ZodNullable<z.ZodNumber>;
                dev: z.ZodNullable<z.ZodString>;
                learning: z.ZodBoolean;
            }, z.core.$strict>>;
            ipip: z.ZodNullable<z.ZodObject<{
                local: z.ZodNullable<z.ZodString>;
                remote: z.ZodNullable<z.ZodString>;
            }, z.core.$strict>>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"addr">;
        key: z.ZodString;
        value: z.ZodObject<{
            ifname: z.ZodString;
            family: z.ZodEnum<{
                inet: "inet";
                inet6: "inet6";
            }>;
            address: z.ZodString;
            prefixLen: z.ZodNumber;
            scope: z.ZodString;
            broadcast: z.ZodNullable<z.ZodString>;
            label: z.ZodNullable<z.ZodString>;
            flags: z.ZodArray<z.ZodString>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"route">;
        key: z.ZodString;
        value: z.ZodObject<{
            table: z.ZodString;
            family: z.ZodEnum<{
                inet: "inet";
                inet6: "inet6";
            }>;
            dst: z.ZodString;
            type: z.ZodString;
            protocol: z.ZodString;
            scope: z.ZodString;
            gateway: z.ZodNullable<z.ZodString>;
            dev: z.ZodNullable<z.ZodString>;
            prefsrc: z.ZodNullable<z.ZodString>;
            metric: z.ZodNumber;
            tos: z.ZodNumber;
            flags: z.ZodArray<z.ZodString>;
            nexthops: z.ZodArray<z.ZodObject<{
                gateway: z.ZodNullable<z.ZodString>;
                dev: z.ZodNullable<z.ZodString>;
                weight: z.ZodNullable<z.ZodNumber>;
                flags: z.ZodArray<z.ZodString>;
            }, z.core.$strict>>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"neigh">;
        key: z.ZodString;
        value: z.ZodObject<{
            dev: z.ZodString;
            family: z.ZodEnum<{
                inet: "inet";
                inet6: "inet6";
            }>;
            address: z.ZodString;
            lladdr: z.ZodNullable<z.ZodString>;
            state: z.ZodArray<z.ZodString>;
            router: z.ZodBoolean;
            proxy: z.ZodBoolean;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"fdb">;
        key: z.ZodString;
        value: z.ZodObject<{
            dev: z.ZodString;
            mac: z.ZodString;
            master: z.ZodNullable<z.ZodString>;
            vlan: z.ZodNullable<z.ZodNumber>;
            dst: z.ZodNullable<z.ZodString>;
            vni: z.ZodNullable<z.ZodNumber>;
            port: z.ZodNullable<z.ZodNumber>;
            state: z.ZodNullable<z.ZodString>;
            flags: z.ZodArray<z.ZodString>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"ipset">;
        key: z.ZodString;
        value: z.ZodObject<{
            name: z.ZodString;
            type: z.ZodString;
            family: z.ZodNullable<z.ZodEnum<{
                inet: "inet";
                inet6: "inet6";
            }>>;
            header: z.ZodRecord<z.ZodString, z.ZodUnion<readonly [z.ZodString, z.ZodNumber, z.ZodBoolean]>>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"ipsetMember">;
        key: z.ZodString;
        value: z.ZodObject<{
            set: z.ZodString;
            element: z.ZodString;
            timeout: z.ZodNullable<z.ZodNumber>;
            comment: z.ZodNullable<z.ZodString>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"bgpSession">;
        key: z.ZodString;
        value: z.ZodObject<{
            daemon: z.ZodEnum<{
                bird: "bird";
                gobgp: "gobgp";
                frr: "frr";
            }>;
            name: z.ZodNullable<z.ZodString>;
            peerAddress: z.ZodString;
            peerAs: z.ZodNullable<z.ZodNumber>;
            localAddress: z.ZodNullable<z.ZodString>;
            localAs: z.ZodNullable<z.ZodNumber>;
            state: z.ZodEnum<{
                idle: "idle";
                connect: "connect";
                active: "active";
                opensent: "opensent";
                openconfirm: "openconfirm";
                established: "established";
            }>;
            since: z.ZodNullable<z.ZodString>;
            prefixesReceived: z.ZodNullable<z.ZodNumber>;
            prefixesAccepted: z.ZodNullable<z.ZodNumber>;
            prefixesSent: z.ZodNullable<z.ZodNumber>;
            lastError: z.ZodNullable<z.ZodString>;
            holdTime: z.ZodNullable<z.ZodNumber>;
            keepalive: z.ZodNullable<z.ZodNumber>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"ipvsService">;
        key: z.ZodString;
        value: z.ZodObject<{
            protocol: z.ZodEnum<{
                tcp: "tcp";
                udp: "udp";
                sctp: "sctp";
                fwmark: "fwmark";
            }>;
            address: z.ZodNullable<z.ZodString>;
            port: z.ZodNullable<z.ZodNumber>;
            fwmark: z.ZodNullable<z.ZodNumber>;
            scheduler: z.ZodString;
            flags: z.ZodArray<z.ZodString>;
            persistent: z.ZodNullable<z.ZodNumber>;
            realServers: z.ZodArray<z.ZodObject<{
                address: z.ZodString;
                port: z.ZodNumber;
                forward: z.ZodString;
                weight: z.ZodNumber;
            }, z.core.$strict>>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"node">;
        key: z.ZodString;
        value: z.ZodObject<{
            hostname: z.ZodString;
            kernel: z.ZodString;
            bootId: z.ZodString;
            cniStyle: z.ZodEnum<{
                unknown: "unknown";
                "kube-router": "kube-router";
                calico: "calico";
                flannel: "flannel";
            }>;
            readers: z.ZodRecord<z.ZodString, z.ZodObject<{
                status: z.ZodEnum<{
                    timeout: "timeout";
                    ok: "ok";
                    missing: "missing";
                    failed: "failed";
                    unparseable: "unparseable";
                    disabled: "disabled";
                }>;
                error: z.ZodNullable<z.ZodString>;
            }, z.core.$strict>>;
        }, z.core.$strict>;
    }, z.core.$strict>], "kind">>;
    deletes: z.ZodArray<z.ZodObject<{
        kind: z.ZodEnum<{
            link: "link";
            addr: "addr";
            route: "route";
            neigh: "neigh";
            fdb: "fdb";
            ipset: "ipset";
            ipsetMember: "ipsetMember";
            bgpSession: "bgpSession";
            ipvsService: "ipvsService";
            node: "node";
        }>;
        key: z.ZodString;
    }, z.core.$strict>>;
}, z.core.$strict>;
/** `netatlas-collector --once`: one node's whole state. */
export declare const SnapshotSchema: z.ZodObject<{
    node: z.ZodString;
    takenAt: z.ZodISODateTime;
    facts: z.ZodArray<z.ZodDiscriminatedUnion<[z.ZodObject<{
        kind: z.ZodLiteral<"link">;
        key: z.ZodString;
        value: z.ZodObject<{
            ifname: z.ZodString;
            ifindex: z.ZodNumber;
            kind: z.ZodString;
            mtu: z.ZodNumber;
            mac: z.ZodNullable<z.ZodString>;
            operstate: z.ZodString;
            flags: z.ZodArray<z.ZodString>;
            master: z.ZodNullable<z.ZodString>;
            link: z.ZodNullable<z.ZodString>;
            linkIndex: z.ZodNullable<z.ZodNumber>;
            linkNetnsId: z.ZodNullable<z.ZodNumber>;
            vxlan: z.ZodNullable<z.ZodObject<{
                id: z.ZodNumber;
                local: z.ZodNullable<z.ZodString>;
                remote: z.ZodNullable<z.ZodString>;
                port: z.ZodNullable<z.ZodNumber>;
                dev: z.ZodNullable<z.ZodString>;
                learning: z.ZodBoolean;
            }, z.core.$strict>>;
            ipip: z.ZodNullable<z.ZodObject<{
                local: z.ZodNullable<z.ZodString>;
                remote: z.ZodNullable<z.ZodString>;
            }, z.core.$strict>>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"addr">;
        key: z.ZodString;
        value: z.ZodObject<{
            ifname: z.ZodString;
            family: z.ZodEnum<{
                inet: "inet";
                inet6: "inet6";
            }>;
            address: z.ZodString;
            prefixLen: z.ZodNumber;
            scope: z.ZodString;
            broadcast: z.ZodNullable<z.ZodString>;
            label: z.ZodNullable<z.ZodString>;
            flags: z.ZodArray<z.ZodString>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"route">;
        key: z.ZodString;
        value: z.ZodObject<{
            table: z.ZodString;
            family: z.ZodEnum<{
                inet: "inet";
                inet6: "inet6";
            }>;
            dst: z.ZodString;
            type: z.ZodString;
            protocol: z.ZodString;
            scope: z.ZodString;
            gateway: z.ZodNullable<z.ZodString>;
            dev: z.ZodNullable<z.ZodString>;
            prefsrc: z.ZodNullable<z.ZodString>;
            metric: z.ZodNumber;
            tos: z.ZodNumber;
            flags: z.ZodArray<z.ZodString>;
            nexthops: z.ZodArray<z.ZodObject<{
                gateway: z.ZodNullable<z.ZodString>;
                dev: z.ZodNullable<z.ZodString>;
                weight: z.ZodNullable<z.ZodNumber>;
                flags: z.ZodArray<z.ZodString>;
            }, z.core.$strict>>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"neigh">;
        key: z.ZodString;
        value: z.ZodObject<{
            dev: z.ZodString;
            family: z.ZodEnum<{
                inet: "inet";
                inet6: "inet6";
            }>;
            address: z.ZodString;
            lladdr: z.ZodNullable<z.ZodString>;
            state: z.ZodArray<z.ZodString>;
            router: z.ZodBoolean;
            proxy: z.ZodBoolean;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"fdb">;
        key: z.ZodString;
        value: z.ZodObject<{
            dev: z.ZodString;
            mac: z.ZodString;
            master: z.ZodNullable<z.ZodString>;
            vlan: z.ZodNullable<z.ZodNumber>;
            dst: z.ZodNullable<z.ZodString>;
            vni: z.ZodNullable<z.ZodNumber>;
            port: z.ZodNullable<z.ZodNumber>;
            state: z.ZodNullable<z.ZodString>;
            flags: z.ZodArray<z.ZodString>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"ipset">;
        key: z.ZodString;
        value: z.ZodObject<{
            name: z.ZodString;
            type: z.ZodString;
            family: z.ZodNullable<z.ZodEnum<{
                inet: "inet";
                inet6: "inet6";
            }>>;
            header: z.ZodRecord<z.ZodString, z.ZodUnion<readonly [z.ZodString, z.ZodNumber, z.ZodBoolean]>>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"ipsetMember">;
        key: z.ZodString;
        value: z.ZodObject<{
            set: z.ZodString;
            element: z.ZodString;
            timeout: z.ZodNullable<z.ZodNumber>;
            comment: z.ZodNullable<z.ZodString>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"bgpSession">;
        key: z.ZodString;
        value: z.ZodObject<{
            daemon: z.ZodEnum<{
                bird: "bird";
                gobgp: "gobgp";
                frr: "frr";
            }>;
            name: z.ZodNullable<z.ZodString>;
            peerAddress: z.ZodString;
            peerAs: z.ZodNullable<z.ZodNumber>;
            localAddress: z.ZodNullable<z.ZodString>;
            localAs: z.ZodNullable<z.ZodNumber>;
            state: z.ZodEnum<{
                idle: "idle";
                connect: "connect";
                active: "active";
                opensent: "opensent";
                openconfirm: "openconfirm";
                established: "established";
            }>;
            since: z.ZodNullable<z.ZodString>;
            prefixesReceived: z.ZodNullable<z.ZodNumber>;
            prefixesAccepted: z.ZodNullable<z.ZodNumber>;
            prefixesSent: z.ZodNullable<z.ZodNumber>;
            lastError: z.ZodNullable<z.ZodString>;
            holdTime: z.ZodNullable<z.ZodNumber>;
            keepalive: z.ZodNullable<z.ZodNumber>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"ipvsService">;
        key: z.ZodString;
        value: z.ZodObject<{
            protocol: z.ZodEnum<{
                tcp: "tcp";
                udp: "udp";
                sctp: "sctp";
                fwmark: "fwmark";
            }>;
            address: z.ZodNullable<z.ZodString>;
            port: z.ZodNullable<z.ZodNumber>;
            fwmark: z.ZodNullable<z.ZodNumber>;
            scheduler: z.ZodString;
            flags: z.ZodArray<z.ZodString>;
            persistent: z.ZodNullable<z.ZodNumber>;
            realServers: z.ZodArray<z.ZodObject<{
                address: z.ZodString;
                port: z.ZodNumber;
                forward: z.ZodString;
                weight: z.ZodNumber;
            }, z.core.$strict>>;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"node">;
        key: z.ZodString;
        value: z.ZodObject<{
            hostname: z.ZodString;
            kernel: z.ZodString;
            bootId: z.ZodString;
            cniStyle: z.ZodEnum<{
                unknown: "unknown";
                "kube-router": "kube-router";
                calico: "calico";
                flannel: "flannel";
            }>;
            readers: z.ZodRecord<z.ZodString, z.ZodObject<{
                status: z.ZodEnum<{
                    timeout: "timeout";
                    ok: "ok";
                    missing: "missing";
                    failed: "failed";
                    unparseable: "unparseable";
                    disabled: "disabled";
                }>;
                error: z.ZodNullable<z.ZodString>;
            }, z.core.$strict>>;
        }, z.core.$strict>;
    }, z.core.$strict>], "kind">>;
    readers: z.ZodRecord<z.ZodString, z.ZodObject<{
        status: z.ZodEnum<{
            timeout: "timeout";
            ok: "ok";
            missing: "missing";
            failed: "failed";
            unparseable: "unparseable";
            disabled: "disabled";
        }>;
        error: z.ZodNullable<z.ZodString>;
    }, z.core.$strict>>;
}, z.core.$strict>;
export type FactRef = z.infer<typeof FactRefSchema>;
export type Delta = z.infer<typeof DeltaSchema>;
export type Snapshot = z.infer<typeof SnapshotSchema>;
