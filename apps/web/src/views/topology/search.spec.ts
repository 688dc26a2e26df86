import type { Fact } from '@netatlas/wire/core';
import { readFileSync } from 'node:fs';
import { deriveTopology } from '@netatlas/graph';
import { describe, expect, it } from 'vitest';
import { syntheticTopology } from '../../testing/synthetic-topology.js';
import { searchSelection, searchTopology } from './search.js';

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

describe('searchSelection: an address one pod has selects that pod', () => {
  const calico = deriveTopology(graphFixture('calico'));
  const nodes = new Map(calico.nodes.map((n) => [n.id, n]));
  const nodeOf = (id: string) => nodes.get(id);
  const select = (q: string, shown?: (id: string) => boolean) => searchSelection(searchTopology(nodes.values(), q), nodeOf, shown);

  it("a pod's IP selects the pod, not the host whose pod CIDR also holds it", () => {
    const r = searchTopology(nodes.values(), '10.48.0.130');
    expect(r.ids).toEqual(['host:fxt2-node2', 'pod:fxt2-node2/cali06d1bb6b606']);
    expect(searchSelection(r, nodeOf)).toBe('pod:fxt2-node2/cali06d1bb6b606');
    expect(select(' 10.48.0.193 ')).toBe('pod:fxt2-node3/cali45a69f3e4a4');
    const kr = deriveTopology(graphFixture('kube-router'));
    expect(searchSelection(searchTopology(kr.nodes, '10.233.2.3'), (id) => kr.nodes.find((n) => n.id === id))).toBe('pod:fxt1-node2/veth23e5d996');
  });

  it('no pod with the address: nothing selected (a node IP, a free address in a pod CIDR, an address nothing has)', () => {
    expect(select('172.20.0.12')).toBeNull();
    expect(select('10.48.0.140')).toBeNull();
    expect(select('192.0.2.1')).toBeNull();
    expect(select('')).toBeNull();
  });

  it('a prefix or a text search selects nothing, even when it finds exactly one pod', () => {
    expect(searchTopology(nodes.values(), '10.48.0.130/32').ids).toEqual(['host:fxt2-node2', 'pod:fxt2-node2/cali06d1bb6b606']);
    expect(select('10.48.0.130/32')).toBeNull();
    expect(searchTopology(nodes.values(), 'cali06d1bb6b606').ids).toContain('pod:fxt2-node2/cali06d1bb6b606');
    expect(select('cali06d1bb6b606')).toBeNull();
  });

  it('an address two pods have selects neither, unless only one of them is drawn', () => {
    const stale = { ...nodes.get('pod:fxt2-node1/cali4bb9769a031')!, id: 'pod:fxt2-node1/caliold', data: { ips: ['10.48.0.130'] } };
    const both = [...calico.nodes, stale];
    const byId = new Map(both.map((n) => [n.id, n]));
    const r = searchTopology(both, '10.48.0.130');
    expect(r.ids).toEqual(['host:fxt2-node2', 'pod:fxt2-node2/cali06d1bb6b606', 'pod:fxt2-node1/caliold']);
    expect(searchSelection(r, (id) => byId.get(id))).toBeNull();
    // the stale one on a node not drawn (a node that left): the other is the one
    expect(searchSelection(r, (id) => byId.get(id), (id) => !id.startsWith('pod:fxt2-node1/'))).toBe('pod:fxt2-node2/cali06d1bb6b606');
    // the only pod with the address not drawn: nothing to select
    expect(select('10.48.0.130', () => false)).toBeNull();
  });

  it('a truncated result selects nothing (its pods are not all known)', () => {
    const r = searchTopology(nodes.values(), '10.48.0.130', 1);
    expect(r.truncated).toBe(true);
    expect(r.ids).toEqual(['host:fxt2-node2']);
    expect(searchSelection(r, nodeOf)).toBeNull();
  });
});
