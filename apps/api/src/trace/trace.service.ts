// The path trace at a moment (GET /api/trace and /api/trace/compare), walked by the simulator in
// libs/graph/src/trace.ts over the facts of that moment. Not every node's: every node's addresses
// (a few rows each, for who holds what), then the forwarding facts of the endpoints' nodes, then of
// the nodes the path is handed to, until it ends — a few nodes, where the whole state of 200 is
// 200k facts. An address whose node the addresses do not tell (a Calico pod: a /32 route, no
// bridge subnet) falls back to every node's facts. Pod names are Kubernetes': resolved now.
import { BadRequestException, Inject, Injectable, NotFoundException, Optional } from '@nestjs/common';
import { addressOwners, findEndpoint, formatIp, indexHosts, mask, ownerOf, parseIp, pathNodesMissing, trace, traceState, type Host, type IpKey, type TraceState } from '@netatlas/graph';
import { TRACE_FACT_KINDS, type Fact, type TraceComparison, type TraceEndpoint, type TraceHop, type TraceResult } from '@netatlas/wire';
import { HistoryReader } from '../db/repositories/history/history-reader.js';
import { KubeWatcher } from '../kube/kube-watcher.js';


/** `namespace/name`: a pod by its Kubernetes name */
const POD_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/;

@Injectable()
export class TraceService {
  constructor(
    @Inject(HistoryReader) private readonly history: HistoryReader,
    @Optional() @Inject(KubeWatcher) private readonly kube: KubeWatcher | null = null,
  ) {}

  /** The nodes' forwarding state at `at` (null: now). */
  async stateAt(at: Date | null): Promise<TraceState> {
    const facts = await this.history.state(at, TRACE_FACT_KINDS);
    return traceState(indexHosts(facts));
  }

  async trace(from: string, to: string, at: Date | null): Promise<TraceResult> {
    const moment = at ?? new Date();
    const skeleton = indexHosts(await this.history.kindAt(moment, 'addr'));
    const owners = addressOwners(skeleton);
    const known = new Set(skeleton.map((h) => h.name));
    const first = [this.nodesOf(skeleton, owners, from), this.nodesOf(skeleton, owners, to)];
    // an endpoint the addresses do not place: every node's facts
    if (first.some((n) => n === null)) {
      const state = await this.stateAt(moment);
      return trace(state, this.endpoint(state, from, 'from', at), this.endpoint(state, to, 'to', at), moment.toISOString());
    }
    const facts = new Map<string, Fact[]>();
    let need = [...new Set(first.flat() as string[])];
    for (let round = 0; ; round++) {
      for (const [node, list] of await this.history.state(moment, TRACE_FACT_KINDS, need)) facts.set(node, list);
      const state = traceState(indexHosts(facts), owners);
      const result = trace(state, this.endpoint(state, from, 'from', at), this.endpoint(state, to, 'to', at), moment.toISOString());
      need = pathNodesMissing(state, result, known);
      if (need.length === 0 || round >= 16) return result;
    }
  }

  /**
   * The nodes whose facts an endpoint needs, from the addresses alone: a node by name, the node
   * holding an address, the node whose subnet (a pod bridge's) holds a pod's address; [] for an
   * address no node's subnet holds (the trace says where it goes); null when it cannot tell.
   */
  private nodesOf(skeleton: readonly Host[], owners: ReadonlyMap<IpKey, string>, query: string): string[] | null {
    if (skeleton.some((h) => h.name === query)) return [query];
    if (POD_NAME.test(query)) return null;
    const ip = parseIp(query);
    if (ip === null) return [];
    const owner = ownerOf(owners, ip);
    if (owner !== null) return [owner];
    const holders = skeleton.filter((h) => [...h.globalAddrs.values()].some((addrs) => addrs.some((a) => a.ip.v === ip.v && a.len < (ip.v === 4 ? 32 : 128) && formatIp(mask(a.ip, a.len)) === formatIp(mask(ip, a.len)))));
    return holders.length === 1 ? [holders[0]!.name] : null;
  }

  async compare(from: string, to: string, at1: Date, at2: Date): Promise<TraceComparison> {
    if (at2 <= at1) throw new BadRequestException('at2 must be later than at1');
    const [before, after] = await Promise.all([this.trace(from, to, at1), this.trace(from, to, at2)]);
    const read = new Set<string>();
    const nodes = new Set<string>();
    for (const t of [before, after]) for (const b of t.branches) for (const h of b.hops) {
      nodes.add(h.node);
      for (const f of h.facts) read.add(`${h.node}|${f.kind}|${f.key}`);
    }
    if (before.from.node) nodes.add(before.from.node);
    const changes: TraceComparison['changes'] = [];
    for (const node of nodes) {
      // the node's route, neighbor, link and fdb changes in the window that touch what either path read,
      // or a route for the destination appearing where none was read (a more specific one)
      const page = await this.history.changes({ from: at1, to: at2, node, limit: 10_000 });
      for (const c of page.changes) {
        const touches = read.has(`${c.node}|${c.kind}|${c.key}`) || (c.kind === 'route' && c.op === 'add');
        if (touches && (TRACE_FACT_KINDS as readonly string[]).includes(c.kind)) changes.push({ node: c.node, kind: c.kind, key: c.key, at: c.at, op: c.op });
      }
    }
    return { before, after, changedAt: firstChange(before, after), changes };
  }

  /** A query parameter as an endpoint: a node, an address, or `namespace/name` of a pod. */
  private endpoint(state: TraceState, query: string, param: 'from' | 'to', at: Date | null): TraceEndpoint {
    const pod = POD_NAME.exec(query);
    if (pod) {
      if (!this.kube || this.kube.mode === 'off') throw new NotFoundException(`${param}: pod names need the API to watch Kubernetes; give the pod's IP`);
      const [namespace, name] = [pod[1]!, pod[3]!];
      const found = this.kube.pods().find((p) => p.namespace === namespace && p.name === name);
      if (!found || !found.ip) throw new NotFoundException(`${param}: no pod ${query} with an IP in Kubernetes now${at ? ' (a pod is named for now only; at a past moment give its IP)' : ''}`);
      const e = findEndpoint(state, found.ip, { namespace, name });
      if (!e) throw new NotFoundException(`${param}: pod ${query}'s IP ${found.ip} is not an address`);
      return e;
    }
    const e = findEndpoint(state, query);
    if (!e) throw new NotFoundException(`${param}: ${JSON.stringify(query.slice(0, 80))} is neither a node netatlas knows at that moment, nor an IP address, nor a pod (namespace/name)`);
    if (param === 'from' && e.node === null) throw new NotFoundException(`${param}: no node holds ${e.ip} at that moment: a trace starts on a node (a pod, a node, or one of its addresses)`);
    // pods at "now" carry their Kubernetes names
    if (e.kind === 'pod' && !at && this.kube && this.kube.mode !== 'off' && e.ip) {
      const named = this.kube.podNamesByIp().get(e.ip);
      if (named && e.pod) e.pod = { ...e.pod, ...named };
    }
    return e;
  }
}

const hopSignature = (h: TraceHop | undefined): string =>
  h ? JSON.stringify([h.node, h.route?.dst, h.route?.table, h.route?.type, h.gateway, h.dev, h.outcome, h.toNode, h.encap, h.neighbor?.state]) : 'none';

/** The first hop of the first branch whose decision differs between two traces. */
function firstChange(before: TraceResult, after: TraceResult): TraceComparison['changedAt'] {
  const a = before.branches[0]?.hops ?? [];
  const b = after.branches[0]?.hops ?? [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (hopSignature(a[i]) !== hopSignature(b[i])) return { node: (b[i] ?? a[i])!.node, hop: i, before: a[i] ?? null, after: b[i] ?? null };
  }
  if (before.branches.length !== after.branches.length || before.branches[0]?.verdict !== after.branches[0]?.verdict) {
    const node = after.branches[0]?.at ?? before.branches[0]?.at ?? '';
    return { node, hop: Math.max(a.length, b.length) - 1, before: a.at(-1) ?? null, after: b.at(-1) ?? null };
  }
  return null;
}
