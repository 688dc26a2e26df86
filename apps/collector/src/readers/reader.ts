// What every reader is: one source, the tool it runs, the pure parser it hands the output to.
import type { Fact, FactKind } from '@netatlas/wire/core';
import type { Runner } from '../runner.js';

/**
 * Where the BGP daemons are, as configured (a flag or its environment variable). A source given
 * here is expected: its absence is a failure, not `missing`. Unset, the reader looks where the
 * daemon usually is.
 */
export interface ReaderOptions {
  /** BIRD's control socket; unset: Calico's, then BIRD's own (BIRD_SOCKETS) */
  birdSocket?: string;
  /** GoBGP's gRPC API, host:port as seen inside the node's namespace; unset: DEFAULT_GOBGP_API */
  gobgpApi?: string;
  /** FRR's vty socket directory (vtysh --vty_socket); unset: FRR's default, /var/run/frr */
  frrVtySocket?: string;
  /** where the CNI records are (host-local's networks/, libcni's results/); unset: DEFAULT_CNI_DIR */
  cniDir?: string;
}

/** What a reader remembers between its reads, for one collector: where its daemon last answered, and when. */
export interface ReaderMemory {
  answered: { source: string; at: Date } | null;
}

export interface ReaderContext {
  runner: Runner;
  timeoutMs: number;
  now: () => Date;
  options: ReaderOptions;
  memory: ReaderMemory;
}

/** How often a source is polled: BGP, ipsets and the CNI's files have no kernel events, the kernel tables do. */
export type PollGroup = 'kernel' | 'bgp' | 'ipset' | 'ipvs' | 'cni';

/** `ip monitor` object types (`netconf`: forwarding, rp_filter, proxy_arp/ndp), plus `fdb` for `bridge monitor fdb`. */
export type MonitorObject = 'link' | 'address' | 'route' | 'rule' | 'netconf' | 'neigh' | 'fdb';

export interface Reader {
  name: string;
  kinds: readonly FactKind[];
  pollGroup: PollGroup;
  /** kernel events that mean this reader's facts may have changed */
  triggers: readonly MonitorObject[];
  read(ctx: ReaderContext): Promise<Fact[]>;
}

/** The source itself is not there (no daemon listening): reported as `missing`, like a missing tool. */
export class SourceAbsentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceAbsentError';
  }
}

/**
 * A daemon that should be there is not: it was configured, or it answered earlier in this
 * collector's life. Reported as `failed`, and its facts go: a stopped daemon has no sessions and
 * originates nothing (a failure that is not this keeps the reader's last facts).
 */
export class SourceGoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceGoneError';
  }
}
