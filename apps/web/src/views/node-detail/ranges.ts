// A node's pod ranges as GET /api/checks gives them (ExpectedNode.ranges and .ignored): where each
// range is known from, as the text the topology's hover, host card and table and the node detail
// show ("10.48.0.64/26 — bgp-origin (bird), blackhole (bird)"), and the ranges a source names that
// the checks do not use, with why. The topology's host data has the CIDRs only. Pure.
import type { ChecksResult, IgnoredRange, PodRange, RangeSource } from '@netatlas/wire/core';
import { RANGE_SOURCES } from '@netatlas/wire/core';
import { compareAddressText, parsePrefix } from '../../addresses/ip.js';

/** What each source is, for titles. */
export const RANGE_SOURCE_TITLES: Record<RangeSource, string> = {
  kubernetes: "Kubernetes: the node's spec.podCIDRs",
  'calico-ipam': "Calico IPAM: a block affinity of the node's",
  'bgp-origin': "BGP: originated by the node's own daemon",
  blackhole: "a blackhole route on the node for the block (Calico's way of holding it)",
  bridge: "the subnet of the node's pod bridge",
};

export interface NodeRanges {
  ranges: PodRange[];
  ignored: IgnoredRange[];
}

/** The same prefix however it is written (`fd00:0::/64` and `fd00::/64`); the text itself when it is not one. */
export function prefixKey(cidr: string): string {
  const p = parsePrefix(cidr);
  return p ? `${p.version}|${p.value}|${p.len}` : cidr.trim();
}

/** node name → its ranges and ignored ranges, in address order; empty before /api/checks answered. */
export function rangesByNode(result: Pick<ChecksResult, 'nodes'> | null): Map<string, NodeRanges> {
  const out = new Map<string, NodeRanges>();
  for (const n of result?.nodes ?? []) {
    out.set(n.name, {
      ranges: [...(n.ranges ?? [])].sort((a, b) => compareAddressText(a.cidr, b.cidr)),
      ignored: [...(n.ignored ?? [])].sort((a, b) => compareAddressText(a.cidr, b.cidr) || sourceRank(a.source) - sourceRank(b.source)),
    });
  }
  return out;
}

const sourceRank = (s: RangeSource): number => {
  const i = RANGE_SOURCES.indexOf(s);
  return i < 0 ? RANGE_SOURCES.length : i;
};

/** `bgp-origin (bird), blackhole (bird)`: every source, most trusted first, with its detail. */
export function sourcesText(sources: PodRange['sources']): string {
  return sources.map((s) => (s.detail ? `${s.source} (${s.detail})` : s.source)).join(', ');
}

/** `10.48.0.64/26 — bgp-origin (bird), blackhole (bird)`. */
export function rangeText(r: PodRange): string {
  return `${r.cidr} — ${sourcesText(r.sources)}`;
}

/** `10.244.1.0/24 — kubernetes: Calico's IPAM … does not use Node.spec.podCIDRs`. */
export function ignoredText(i: IgnoredRange): string {
  return `${i.cidr} — ${i.source}: ${i.why}`;
}

export interface HostRange {
  cidr: string;
  /** where it is known from, when the checks know the range (null: the topology lists it, the checks do not) */
  sources: PodRange['sources'] | null;
  /** what a hover says */
  text: string;
  /** listed by the topology's host (false: the checks hold a range the topology does not) */
  inTopology: boolean;
}

/**
 * The pod CIDRs a host shows (the topology's `podCidrs`), each with where it is known from, then
 * the ranges the checks hold for the node that the topology does not list. `known` undefined: the
 * checks have not answered (or do not know the node) — the CIDRs alone, saying so.
 */
export function hostRanges(podCidrs: readonly string[], known: NodeRanges | undefined): HostRange[] {
  const byKey = new Map((known?.ranges ?? []).map((r) => [prefixKey(r.cidr), r]));
  const out: HostRange[] = [];
  const seen = new Set<string>();
  for (const cidr of podCidrs) {
    const key = prefixKey(cidr);
    if (seen.has(key)) continue;
    seen.add(key);
    const r = byKey.get(key);
    out.push({
      cidr,
      sources: r ? r.sources : null,
      text: r ? rangeText({ ...r, cidr }) : known ? `${cidr} — not among the ranges the checks expect` : `${cidr} — source not known yet`,
      inTopology: true,
    });
  }
  for (const r of known?.ranges ?? []) {
    if (seen.has(prefixKey(r.cidr))) continue;
    out.push({ cidr: r.cidr, sources: r.sources, text: rangeText(r), inTopology: false });
  }
  return out;
}

/** The `podCidrs` of a host's topology data (a list of strings), or none. */
export function podCidrsOf(data: Readonly<Record<string, unknown>> | undefined): string[] {
  const v = data?.['podCidrs'];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
