import { MISSING_LISTED } from '@netatlas/graph';
import type { HostRelations } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { compactTopology, fullEdgesOf, omittedWhenCompact } from './compact-topology.js';
import {
  syntheticBgpEdge,
  syntheticHostName,
  syntheticNameWidth,
  syntheticRouteEdge,
  syntheticTopology,
  type SyntheticOptions,
} from './synthetic-topology.js';

const CASES: Array<Omit<SyntheticOptions, 'compact'>> = [
  { hosts: 1, podsPerHost: 2 },
  { hosts: 5, podsPerHost: 2 },
  { hosts: 5, podsPerHost: 2, bgpDown: [2] },
  { hosts: 5, podsPerHost: 0, mesh: false },
  { hosts: 45, podsPerHost: 3 },
  { hosts: 45, podsPerHost: 3, bgpDown: [45, 7] },
  // more down than a host's relations name
  { hosts: 45, podsPerHost: 1, bgpDown: [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31] },
  { hosts: 45, podsPerHost: 1, mesh: false },
];

const relationsOf = (t: { nodes: Array<{ id: string; data: Record<string, unknown> }> }, host: string) =>
  t.nodes.find((n) => n.id === `host:${host}`)!.data['relations'] as HostRelations;

describe('syntheticTopology({ compact: true })', () => {
  it.each(CASES)('is the compact form of the full synthetic cluster (%o)', (options) => {
    const compact = syntheticTopology({ ...options, compact: true });
    const expected = compactTopology(syntheticTopology(options));
    expect(compact).toEqual(expected);
    // the same bytes: the bench's API double sends it as JSON
    expect(JSON.stringify(compact)).toBe(JSON.stringify(expected));
    expect(compact.edges.some(omittedWhenCompact)).toBe(false);
  });

  it('counts what libs/graph counts: routes into the hosts it has a session with, the down ones missing', () => {
    const t = syntheticTopology({ hosts: 45, podsPerHost: 0, bgpDown: [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31], compact: true });
    const n = (i: number) => syntheticHostName(i);
    expect(relationsOf(t, n(1))).toEqual({
      routes: { total: 33, mismatch: 0, toHosts: 33, of: 44, missing: [2, 3, 5, 7, 11, 13, 17, 19].map(n), missingCount: 11 },
      bgp: { total: 44, established: 33, pending: 0, down: 11 },
      tunnels: { total: 0, toHosts: 0 },
    });
    // a host that is down: no route at all, every other host missing (the first MISSING_LISTED named)
    expect(relationsOf(t, n(3))).toEqual({
      routes: { total: 0, mismatch: 0, toHosts: 0, of: 44, missing: [1, 2, 4, 5, 6, 7, 8, 9].map(n), missingCount: 44 },
      bgp: { total: 44, established: 0, pending: 0, down: 44 },
      tunnels: { total: 0, toHosts: 0 },
    });
    expect(relationsOf(t, n(3)).routes.missing).toHaveLength(MISSING_LISTED);
    // the sessions that are down stay, as edges
    expect(t.edges.filter((e) => e.type === 'bgp' && e.source === `host:${n(1)}`).map((e) => e.target)).toEqual([2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31].map((i) => `host:${n(i)}`));
    expect(t.edges.every((e) => e.type !== 'bgp' || e.data['state'] === 'active')).toBe(true);
  });

  it('grows with the hosts, not their square: 5000 hosts without building the mesh', () => {
    const started = performance.now();
    const t = syntheticTopology({ hosts: 5000, podsPerHost: 2, bgpDown: [4321], compact: true });
    // per host: a veth edge per pod and its underlay edge; the down host's session to every other host and theirs to it
    expect(t.edges).toHaveLength(5000 * 3 + 2 * 4999);
    expect(t.nodes).toHaveLength(1 + 5000 * (2 + 2 * 2));
    expect(relationsOf(t, 'node0001').routes).toMatchObject({ total: 4998, toHosts: 4998, of: 4999, missing: ['node4321'], missingCount: 1 });
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('the pieces of the mesh', () => {
  it('a session and a route are the edges of the full synthetic cluster', () => {
    const full = syntheticTopology({ hosts: 5, podsPerHost: 1, bgpDown: [4] });
    const byId = new Map(full.edges.map((e) => [e.id, e]));
    for (const e of [syntheticBgpEdge(1, 2, 3, 'established'), syntheticBgpEdge(1, 4, 3, 'active'), syntheticBgpEdge(4, 5, 3, 'active'), syntheticRouteEdge(2, 3, 3)]) {
      expect(byId.get(e.id)).toEqual(e);
    }
    // names as wide as the largest index
    const width = syntheticNameWidth(1000);
    expect(syntheticBgpEdge(1, 1000, width, 'established')).toMatchObject({ source: 'host:node0001', target: 'host:node1000' });
  });

  it('a host’s full edges are its compact edges and the healthy mesh edges left out', () => {
    const full = syntheticTopology({ hosts: 6, podsPerHost: 1, bgpDown: [5] });
    const compact = syntheticTopology({ hosts: 6, podsPerHost: 1, bgpDown: [5], compact: true });
    const host = syntheticHostName(2);
    const healthy = [1, 3, 4, 6].flatMap((j) => [syntheticBgpEdge(2, j, 3, 'established'), syntheticRouteEdge(2, j, 3)]);
    const ids = (es: Array<{ id: string }>) => es.map((e) => e.id).sort();
    expect(ids([...fullEdgesOf(compact, [host]), ...healthy])).toEqual(ids(fullEdgesOf(full, [host])));
  });
});
