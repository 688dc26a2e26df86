// The path trace (libs/graph/src/trace.ts) against the real kernel on a lab: the lab's nodes are
// read with the real collector, and for every ordered pod pair
//   - each hop of each branch is compared with `ip -n <node> route get <dst> from <src> iif <in>`
//     on that hop's node (the device the packet arrives on; a bridge port is asked as its bridge):
//     the same next hop and device, or the same error for a route that does not forward;
//   - the verdict (delivered there and back) is compared with a real ping from the source pod.
// Used by trace-lab.spec.ts (CI) after each fault it makes.
import { findEndpoint, formatIp, indexHosts, parseIp, trace, traceState, type TraceState } from '@netatlas/graph';
import type { LabNodeStatus, LabStatus } from '@netatlas/lab-testing';
import type { TraceHop, TraceResult } from '@netatlas/wire/core';
import { collectLab, ping, pool, routeGetBatch, ROUTE_GET_ERRORS, type KernelRoute } from './forwarding-oracle.js';

type Pod = LabNodeStatus['pods'][number] & { node: LabNodeStatus; ip: string };

export interface TraceReport {
  phase: string;
  pairs: number;
  /** hops compared with route get, and those that agreed */
  hops: number;
  hopsAgreed: number;
  /** hops route get cannot judge: the simulator dropped on state it does not consult (a neighbor, a link) */
  stateDrops: string[];
  hopDisagreements: string[];
  /** pairs whose verdict (there and back) was compared with ping, and those that agreed */
  verdicts: number;
  verdictsAgreed: number;
  verdictDisagreements: string[];
  /** pairs delivered both ways */
  delivered: number;
  /** pairs delivered one way through an MTU below the endpoints' (verdict `mtu`) */
  mtuPairs: number;
}

const canon = (s: string | null | undefined): string | null => {
  if (!s) return null;
  const ip = parseIp(s);
  return ip ? formatIp(ip) : s;
};
const gatewayOf = (r: KernelRoute): string | null => canon(r.gateway ?? r.via?.host ?? null);
const ok = (t: TraceResult) => t.verdict === 'delivered';
const hopText = (h: TraceHop) => `${h.outcome}${h.gateway ? ` via ${h.gateway}` : ''} dev ${h.dev ?? '-'}${h.route ? ` (${h.route.type} ${h.route.dst})` : ' (no route)'}`;
const kernelText = (k: KernelRoute | string) => (typeof k === 'string' ? `error: ${k}` : `${k.type ?? 'unicast'}${gatewayOf(k) ? ` via ${gatewayOf(k)}` : ''} dev ${k.dev ?? '-'}`);

/**
 * The kernel's refusal of a packet its receiving interface does not take: forwarding off is
 * EHOSTUNREACH, reverse-path filtering EXDEV.
 */
const RECEIVE_ERRORS: Readonly<Record<string, string>> = { 'forwarding-off': 'No route to host', 'rp-filter': 'Invalid cross-device link' };

/** Why a hop and the kernel's answer differ, or null when they agree. `verdict`: its branch's, when it is the last hop. */
function compareHop(h: TraceHop, k: KernelRoute | string, verdict: string | null): string | null {
  const receive = verdict === null ? undefined : RECEIVE_ERRORS[verdict];
  if (receive !== undefined) return k === receive ? null : `the simulator says ${verdict} (the kernel would say "${receive}"), the kernel ${kernelText(k)}`;
  if (typeof k === 'string') {
    const drop = ROUTE_GET_ERRORS[k] ?? null;
    if (h.outcome !== 'drop') return `the kernel refuses (${k}), the simulator ${h.outcome === 'local' ? 'delivers' : 'forwards'}`;
    const mine = h.route === null ? 'no-route' : h.route.type;
    return drop === mine ? null : `the kernel says ${drop ?? k}, the simulator ${mine}`;
  }
  if (h.outcome === 'drop' && (h.route === null || h.route.type !== 'unicast')) return `the kernel forwards, the simulator drops (${h.route?.type ?? 'no route'})`;
  if ((k.dev ?? null) !== h.dev) return `device: kernel ${k.dev ?? '-'}, simulator ${h.dev ?? '-'}`;
  if (gatewayOf(k) !== canon(h.gateway)) return `next hop: kernel ${gatewayOf(k) ?? 'none'}, simulator ${h.gateway ?? 'none'}`;
  return null;
}

/** The device a packet arriving on `iif` is routed from: a bridge port's bridge. */
function l3Device(state: TraceState, node: string, iif: string): string {
  return state.hosts.get(node)?.links.get(iif)?.master ?? iif;
}

/**
 * Pings every ordered pod pair (a failed ping once more), reads the lab, traces every pair both
 * ways, and compares hops with route get and verdicts with the pings. `phase` names the report.
 */
export async function compareTraces(status: LabStatus, phase: string): Promise<TraceReport> {
  const pods: Pod[] = status.nodes.flatMap((node) => node.pods.filter((p): p is typeof p & { ip: string } => p.ip !== null).map((p) => ({ ...p, node })));
  const pairs = pods.flatMap((a) => pods.filter((b) => b !== a).map((b) => ({ a, b })));
  // ping first, so that the facts read afterwards hold the neighbor entries the pings left
  const pinged = await pool(pairs, 16, ({ a, b }) => ping(a.namespace, b.ip));
  const again = await pool(pairs.filter((_, i) => !pinged[i]), 16, ({ a, b }) => ping(a.namespace, b.ip));
  let j = 0;
  pairs.forEach((_, i) => {
    if (!pinged[i]) pinged[i] = again[j++] as boolean;
  });

  const state = traceState(indexHosts(await collectLab(status)));
  const at = new Date().toISOString();
  const traced = new Map<string, TraceResult>();
  const traceOf = (a: Pod, b: Pod): TraceResult => {
    const key = `${a.ip}>${b.ip}`;
    let t = traced.get(key);
    if (!t) traced.set(key, (t = trace(state, findEndpoint(state, a.ip)!, findEndpoint(state, b.ip)!, at)));
    return t;
  };

  // every hop of every branch of every pair, asked of its node's kernel
  const asks = new Map<string, Array<{ query: string; hop: TraceHop; pair: string; verdict: string | null }>>();
  for (const { a, b } of pairs) {
    for (const branch of traceOf(a, b).branches) {
      for (const [i, hop] of branch.hops.entries()) {
        if (hop.iif === null) continue;
        const ns = status.nodes.find((n) => n.name === hop.node)?.namespace ?? hop.node;
        let list = asks.get(ns);
        if (!list) asks.set(ns, (list = []));
        const verdict = i === branch.hops.length - 1 && hop.outcome === 'drop' ? branch.verdict : null;
        list.push({ query: `${b.ip} from ${a.ip} iif ${l3Device(state, hop.node, hop.iif)}`, hop, pair: `${a.ip} -> ${b.ip}`, verdict });
      }
    }
  }
  let hops = 0;
  let hopsAgreed = 0;
  const stateDrops: string[] = [];
  const hopDisagreements: string[] = [];
  for (const [ns, list] of asks) {
    const answers = await routeGetBatch(ns, list.map((x) => x.query));
    list.forEach((x, i) => {
      const k = answers[i] as KernelRoute | string;
      // a drop on state route get does not consult (neighbor, link, fdb): not for it to judge
      if (x.hop.outcome === 'drop' && x.hop.route !== null && x.hop.route.type === 'unicast' && (x.verdict === null || RECEIVE_ERRORS[x.verdict] === undefined)) {
        stateDrops.push(`${x.pair} on ${x.hop.node}: ${hopText(x.hop)} [${x.verdict ?? 'dropped'}]`);
        return;
      }
      hops++;
      const why = compareHop(x.hop, k, x.verdict);
      if (why === null) hopsAgreed++;
      else hopDisagreements.push(`${x.pair} on ${x.hop.node} (route get ${x.query}): ${why}; simulator ${hopText(x.hop)}; kernel ${kernelText(k)}`);
    });
  }

  let verdictsAgreed = 0;
  let delivered = 0;
  let mtuPairs = 0;
  const verdictDisagreements: string[] = [];
  pairs.forEach(({ a, b }, i) => {
    const there = traceOf(a, b);
    const back = traceOf(b, a);
    const simulated = ok(there) && ok(back);
    if (simulated) delivered++;
    if (there.branches.some((x) => x.verdict === 'mtu')) mtuPairs++;
    if (simulated === pinged[i]) verdictsAgreed++;
    else {
      const why = (t: TraceResult) => `${t.verdict} (${t.branches.map((x) => x.reason).join('; ')})`;
      verdictDisagreements.push(`${a.ip} -> ${b.ip}: ping ${pinged[i] ? 'answered' : 'did not answer'}; there ${why(there)}; back ${why(back)}`);
    }
  });
  return { phase, pairs: pairs.length, hops, hopsAgreed, stateDrops, hopDisagreements, verdicts: pairs.length, verdictsAgreed, verdictDisagreements, delivered, mtuPairs };
}

export function formatTraceReport(style: string, r: TraceReport): string {
  const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(2)} %`);
  const lines = [
    `${style} ${r.phase}: ${r.pairs} pod pairs (${r.delivered} delivered both ways, ${r.mtuPairs} through a smaller MTU); hops ${r.hopsAgreed}/${r.hops} agree with route get (${pct(r.hopsAgreed, r.hops)}), ` +
      `verdicts ${r.verdictsAgreed}/${r.verdicts} agree with ping (${pct(r.verdictsAgreed, r.verdicts)})` +
      (r.stateDrops.length ? `; ${r.stateDrops.length} drops on state route get does not see` : ''),
  ];
  for (const d of [...r.hopDisagreements, ...r.verdictDisagreements]) lines.push(`  ${d}`);
  if (r.stateDrops.length > 0) lines.push(`  dropped on state: ${[...new Set(r.stateDrops.map((d) => d.replace(/^\S+ -> \S+ /, '')))].join('; ')}`);
  return lines.join('\n');
}
