import type { ExpectedNode } from '@netatlas/wire/core';
import { RANGE_SOURCES } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { hostRanges, ignoredText, podCidrsOf, prefixKey, RANGE_SOURCE_TITLES, rangesByNode, rangeText } from './ranges.js';

/** A Calico-style node of /api/checks: two blocks (one announced and held as a blackhole, one from IPAM only), IPv6, and the podCIDR Calico ignores. */
const calicoNode: ExpectedNode = {
  name: 'h4-node2',
  kubernetesName: 'h4-node2',
  collected: true,
  addresses: ['172.20.0.12'],
  podCidrs: ['10.48.0.64/26', '10.48.1.0/26', 'fd00:48::/120'],
  ranges: [
    { cidr: '10.48.1.0/26', family: 'inet', sources: [{ source: 'calico-ipam', detail: 'h4-node2-10-48-1-0-26' }] },
    {
      cidr: '10.48.0.64/26',
      family: 'inet',
      sources: [
        { source: 'bgp-origin', detail: 'bird' },
        { source: 'blackhole', detail: 'bird' },
      ],
    },
    { cidr: 'fd00:48::/120', family: 'inet6', sources: [{ source: 'bgp-origin', detail: 'bird' }] },
  ],
  ignored: [
    { cidr: '10.244.1.0/24', source: 'kubernetes', why: "Calico's IPAM allocates blocks from its pools and does not use Node.spec.podCIDRs" },
    { cidr: '10.48.0.0/16', source: 'bgp-origin', why: "an aggregate: it contains h4-node1's 10.48.0.0/26" },
  ],
  vtep: null,
  style: 'calico',
  families: ['inet', 'inet6'],
};

describe('pod ranges with their sources (GET /api/checks)', () => {
  it('per node, in address order, with every source and its detail, most trusted first', () => {
    const byNode = rangesByNode({ nodes: [calicoNode] });
    const n = byNode.get('h4-node2')!;
    expect(n.ranges.map(rangeText)).toEqual([
      '10.48.0.64/26 — bgp-origin (bird), blackhole (bird)',
      '10.48.1.0/26 — calico-ipam (h4-node2-10-48-1-0-26)',
      'fd00:48::/120 — bgp-origin (bird)',
    ]);
    expect(n.ignored.map(ignoredText)).toEqual([
      "10.48.0.0/16 — bgp-origin: an aggregate: it contains h4-node1's 10.48.0.0/26",
      "10.244.1.0/24 — kubernetes: Calico's IPAM allocates blocks from its pools and does not use Node.spec.podCIDRs",
    ]);
    expect(rangesByNode(null).size).toBe(0);
  });

  it("a host's CIDRs from the topology, each with its sources; ranges only the checks hold come after", () => {
    const n = rangesByNode({ nodes: [calicoNode] }).get('h4-node2');
    // the topology writes the IPv6 prefix another way, and lacks the IPAM block
    const got = hostRanges(['10.48.0.64/26', 'fd00:48:0::/120', '10.9.9.0/24'], n);
    expect(got.map((r) => [r.text, r.inTopology])).toEqual([
      ['10.48.0.64/26 — bgp-origin (bird), blackhole (bird)', true],
      ['fd00:48:0::/120 — bgp-origin (bird)', true],
      ['10.9.9.0/24 — not among the ranges the checks expect', true],
      ['10.48.1.0/26 — calico-ipam (h4-node2-10-48-1-0-26)', false],
    ]);
    expect(got[2]!.sources).toBeNull();
    // before the checks answered
    expect(hostRanges(['10.48.0.64/26'], undefined).map((r) => r.text)).toEqual(['10.48.0.64/26 — source not known yet']);
  });

  it('prefixes compare by value, text that is none by itself; host data without podCidrs has none', () => {
    expect(prefixKey('fd00:48:0::/120')).toBe(prefixKey('fd00:48::/120'));
    expect(prefixKey('10.48.0.64/26')).not.toBe(prefixKey('10.48.0.0/26'));
    expect(prefixKey(' bogus ')).toBe('bogus');
    expect(podCidrsOf({ podCidrs: ['10.0.0.0/24', 3] })).toEqual(['10.0.0.0/24']);
    expect(podCidrsOf(undefined)).toEqual([]);
  });

  it('every source has a title', () => {
    for (const s of RANGE_SOURCES) expect(RANGE_SOURCE_TITLES[s]).toBeTruthy();
  });
});
