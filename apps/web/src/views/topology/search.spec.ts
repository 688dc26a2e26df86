import type { Fact } from '@netatlas/wire/core';
import { readFileSync } from 'node:fs';
import { deriveTopology } from '@netatlas/graph';
import { describe, expect, it } from 'vitest';
import { syntheticTopology } from '../../testing/synthetic-topology.js';
import { searchTopology } from './search.js';

/** Facts of a real 3-node lab of each style, as libs/graph captured them: {node: Fact[]}. */
const graphFixture = (style: 'kube-router' | 'calico' | 'flannel'): Record<string, Fact[]> =>
  JSON.parse(readFileSync(new URL(`../../../../../libs/graph/src/fixtures/topology/${style}.json`, import.meta.url), 'utf8')) as Record<string, Fact[]>;

describe('searchTopology on a real kube-router lab', () => {
  const t = deriveTopology(graphFixture('kube-router'));

  it('finds a node by name', () => {
    const r = searchTopology(t.nodes, 'node2');
    expect(r.kind).toBe('text');
    expect(r.hosts).toEqual(new Set(['fxt1-node2']));
    expect(r.ids).toContain('host:fxt1-node2');
  });

  it('finds a pod by IP, and the host whose pod CIDR holds it', () => {
    const r = searchTopology(t.nodes, '10.233.2.3');
    expect(r.kind).toBe('address');
    expect(r.ids).toEqual(['host:fxt1-node2', 'pod:fxt1-node2/veth23e5d996']);
  });

  it('finds a host by its node IP (and the subnet holding it) without matching every host on the subnet', () => {
    expect(searchTopology(t.nodes, '172.20.0.13').ids).toEqual(['host:fxt1-node3', 'subnet:172.20.0.0/24']);
  });

  it('a prefix finds the pods in it and the hosts whose pod CIDRs overlap it', () => {
    const r = searchTopology(t.nodes, '10.233.1.0/24');
    expect(r.kind).toBe('prefix');
    expect(r.ids).toEqual(['host:fxt1-node1', 'pod:fxt1-node1/vethebc0d81d', 'pod:fxt1-node1/vethf75d3368']);
    expect(searchTopology(t.nodes, '10.233.0.0/16').hosts.size).toBe(3);
    expect(searchTopology(t.nodes, '172.20.0.0/24').ids).toEqual(['host:fxt1-node1', 'host:fxt1-node2', 'host:fxt1-node3', 'subnet:172.20.0.0/24']);
  });

  it('finds a veth by name, and nothing for an empty query', () => {
    expect(searchTopology(t.nodes, 'vethacfac25c').ids).toEqual(['pod:fxt1-node3/vethacfac25c', 'veth:fxt1-node3/vethacfac25c']);
    expect(searchTopology(t.nodes, '  ').kind).toBe('empty');
  });

  it('stops at the limit on a big cluster and says so', () => {
    const big = syntheticTopology({ hosts: 200, podsPerHost: 50, mesh: false });
    const r = searchTopology(big.nodes, '10.200.0.0/8', 500);
    expect(r.ids).toHaveLength(500);
    expect(r.truncated).toBe(true);
  });
});
