// What every reader is: one source, the tool it runs, the pure parser it hands the output to.
import type { Fact, FactKind } from '@netatlas/wire/core';
import type { Runner } from '../runner.js';

export interface ReaderOptions {
  /** BIRD's control socket; by default Calico's, then BIRD's own */
  birdSocket?: string;
  /** GoBGP's gRPC API, host:port as seen inside the node's namespace */
  gobgpApi: string;
}

export interface ReaderContext {
  runner: Runner;
  timeoutMs: number;
  now: () => Date;
  options: ReaderOptions;
}

/** How often a source is polled: BGP and ipsets have no kernel events, the kernel tables do. */
export type PollGroup = 'kernel' | 'bgp' | 'ipset' | 'ipvs';

/** `ip monitor` object types, plus `fdb` for `bridge monitor fdb`. */
export type MonitorObject = 'link' | 'address' | 'route' | 'neigh' | 'fdb';

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
