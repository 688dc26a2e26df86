// The scene's counts with compact hosts (from `data.relations`, not from edges that are not there)
// and its focus edges (found by edgesTouching, never counted, dropped on demand, beaten by patches).
import { readFileSync } from 'node:fs';
import { deriveTopology } from '@netatlas/graph';
import type { Fact, TopoEdge, Topology, TopologyPatch } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { compactTopology, fullEdgesOf } from '../../testing/compact-topology.js';
import { syntheticHostName, syntheticTopology } from '../../testing/synthetic-topology.js';
import { missingHostsText, TopologyScene, type HostStats } from './scene.js';

const graphFixture = (style: 'kube-router' | 'calico' | 'flannel'): Record<string, Fact[]> =>
  JSON.parse(readFileSync(new URL(`../../../../../libs/graph/src/fixtures/topology/${style}.json`, import.meta.url), 'utf8')) as Record<string, Fact[]>;

const sceneOf = (t: Topology): TopologyScene => {
  const s = new TopologyScene();
  s.setTopology(t);
  return s;
};

const NO_PATCH: TopologyPatch = { upsertNodes: [], removeNodes: [], upsertEdges: [], removeEdges: [] };

/** The stats without the compact-only coverage, to compare with the full form's. */
const counts = (scene: TopologyScene): Record<string, Omit<HostStats, 'routeCoverage'>> =>
  Object.fromEntries([...scene.stats].map(([name, { routeCoverage: _, ...rest }]) => [name, rest]));

/** 50 hosts (compact-sized), two with their sessions down, one route via the wrong host. */
function bigFull(): Topology {
  const t = syntheticTopology({ hosts: 50, podsPerHost: 2, bgpDown: [3, 17] });
  const wrong = t.edges.find((e) => e.type === 'route' && e.source === `host:${syntheticHostName(5)}`)!;
  wrong.data = { ...wrong.data, nextHopMismatch: true };
  return t;
}

describe('scene stats with compact hosts', () => {
  it('the full form counts edges as it always did', () => {
    const scene = sceneOf(bigFull());
    expect(scene.stats.get(syntheticHostName(1))).toEqual({ pods: 2, bgpTotal: 49, bgpEstablished: 47, bgpDown: 2, routes: 47, routeMismatch: 0 });
    expect(scene.stats.get(syntheticHostName(5))).toEqual({ pods: 2, bgpTotal: 49, bgpEstablished: 47, bgpDown: 2, routes: 47, routeMismatch: 1 });
    expect('routeCoverage' in scene.stats.get(syntheticHostName(1))!).toBe(false);
    expect(scene.isCompactHost(syntheticHostName(1))).toBe(false);
  });

  it.each([
    ['synthetic 50 hosts', bigFull],
    ['kube-router lab', () => deriveTopology(graphFixture('kube-router'))],
    ['calico lab', () => deriveTopology(graphFixture('calico'))],
    ['flannel lab', () => deriveTopology(graphFixture('flannel'))],
  ])('%s: the compact form gives the full form’s counts and summary', (_, make) => {
    const full = make();
    const compact = compactTopology(full);
    expect(compact.edges.length).toBeLessThan(full.edges.length);
    const a = sceneOf(full);
    const b = sceneOf(compact);
    expect(counts(b)).toEqual(counts(a));
    expect(b.summary()).toEqual(a.summary());
    for (const name of b.stats.keys()) expect(b.isCompactHost(name)).toBe(true);
  });

  it('counts come from relations, not from the edges the scene holds', () => {
    const t = compactTopology(bigFull());
    const host = t.nodes.find((n) => n.id === `host:${syntheticHostName(1)}`)!;
    host.data = {
      ...host.data,
      relations: {
        routes: { total: 7, mismatch: 2, toHosts: 3, of: 49, missing: ['a', 'b'], missingCount: 46 },
        bgp: { total: 11, established: 5, pending: 1, down: 5 },
        tunnels: { total: 0, toHosts: 0 },
      },
    };
    const scene = sceneOf(t);
    expect(scene.stats.get(syntheticHostName(1))).toEqual({
      pods: 2,
      bgpTotal: 11,
      bgpEstablished: 5,
      bgpDown: 5,
      routes: 7,
      routeMismatch: 2,
      routeCoverage: { toHosts: 3, of: 49, missing: ['a', 'b'], missingCount: 46 },
    });
    const s = scene.summary();
    const others = sceneOf(compactTopology(bigFull())).summary();
    expect(s.bgpSessions - others.bgpSessions).toBe(11 - 49);
    expect(s.routes - others.routes).toBe(7 - 47);
  });

  it("a host's coverage: the hosts its routes miss", () => {
    const scene = sceneOf(compactTopology(bigFull()));
    // host 1 has no route to 3 and 17 (their sessions are down); host 3 has routes to nobody
    expect(scene.stats.get(syntheticHostName(1))!.routeCoverage).toEqual({ toHosts: 47, of: 49, missing: [syntheticHostName(3), syntheticHostName(17)], missingCount: 2 });
    const c3 = scene.stats.get(syntheticHostName(3))!.routeCoverage!;
    expect(c3).toMatchObject({ toHosts: 0, of: 49, missingCount: 49 });
    expect(c3.missing).toHaveLength(8);
    expect(missingHostsText(c3)).toBe(`${c3.missing.join(', ')} and 41 more`);
    expect(missingHostsText({ missing: ['a'], missingCount: 1 })).toBe('a');
  });
});

describe('focus edges in the scene', () => {
  const full = bigFull();
  const h1 = syntheticHostName(1);
  const h2 = syntheticHostName(2);

  it('are found by edgesTouching, never counted, and dropped again', () => {
    const scene = sceneOf(compactTopology(full));
    const stats = structuredClone(counts(scene));
    const summary = scene.summary();
    expect(scene.edgesTouching(h1, 'bgp')).toHaveLength(2 + 2); // the sessions down, both ways
    const v = scene.version;

    expect(scene.setFocusEdges(fullEdgesOf(full, [h1]))).toBe(true);
    expect(scene.version).toBeGreaterThan(v);
    expect(scene.edgesTouching(h1, 'bgp')).toHaveLength(49 + 2);
    expect(scene.edgesTouching(h1, 'route')).toHaveLength(47 + 1); // and host 5's, via the wrong host
    // an edge from h1 to h2 is seen from h2 too
    expect(scene.edgesTouching(h2, 'bgp').some((e) => e.source === `host:${h1}`)).toBe(true);
    expect(scene.isFocusEdge(`bgp:host:${h1}->host:${h2}#gobgp|172.20.0.4`)).toBe(true);
    // a problem edge the topology holds is not a focus edge
    expect(scene.isFocusEdge(`bgp:host:${h1}->host:${syntheticHostName(3)}#gobgp|172.20.0.5`)).toBe(false);
    expect(counts(scene)).toEqual(stats);
    expect(scene.summary()).toEqual(summary);
    // the same again: nothing to do
    expect(scene.setFocusEdges(fullEdgesOf(full, [h1]))).toBe(false);

    // another patch of the host's own stats keeps them from relations, with focus edges merged
    const host = scene.hostEntry(h1)!.node!;
    scene.applyPatch({ ...NO_PATCH, upsertNodes: [{ ...host, label: host.label }] });
    expect(counts(scene)).toEqual(stats);

    expect(scene.setFocusEdges(fullEdgesOf(full, [h2]))).toBe(true);
    expect(scene.edgesTouching(h1, 'bgp').filter((e) => e.source === `host:${h1}`)).toHaveLength(2);
    expect(scene.edgesOfHost(h1).size).toBe(sceneOf(compactTopology(full)).edgesOfHost(h1).size);
    expect(scene.setFocusEdges([])).toBe(true);
    expect(scene.edgesTouching(h2, 'bgp')).toHaveLength(4);
    expect([...scene.maps.edges.keys()].sort()).toEqual(compactTopology(full).edges.map((e) => e.id).sort());
  });

  it('never count for a full-form host either', () => {
    const small = syntheticTopology({ hosts: 4, podsPerHost: 1 });
    const scene = sceneOf({ nodes: small.nodes, edges: small.edges.filter((e) => !(e.type === 'bgp' && e.source === 'host:node001')) });
    const before = structuredClone(counts(scene));
    scene.setFocusEdges(small.edges.filter((e) => e.type === 'bgp' && e.source === 'host:node001'));
    scene.applyPatch({ ...NO_PATCH, upsertNodes: [scene.hostEntry('node001')!.node!] });
    expect(counts(scene)).toEqual(before);
    expect(scene.summary().bgpSessions).toBe(9);
  });

  it('a live patch of the same id wins: upserted, it is a topology edge; removed, it is gone', () => {
    const scene = sceneOf(compactTopology(full));
    scene.setFocusEdges(fullEdgesOf(full, [h1]));
    const id = `bgp:host:${h1}->host:${h2}#gobgp|172.20.0.4`;
    const down: TopoEdge = { ...full.edges.find((e) => e.id === id)!, data: { ...full.edges.find((e) => e.id === id)!.data, state: 'active' } };
    scene.applyPatch({ ...NO_PATCH, upsertEdges: [down] });
    expect(scene.isFocusEdge(id)).toBe(false);
    expect(scene.maps.edges.get(id)!.data['state']).toBe('active');
    // merging the (older) fetched edges again leaves the topology's edge alone
    scene.setFocusEdges(fullEdgesOf(full, [h1]));
    expect(scene.maps.edges.get(id)!.data['state']).toBe('active');
    expect(scene.isFocusEdge(id)).toBe(false);
    // dropping the focus edges keeps it
    scene.setFocusEdges([]);
    expect(scene.maps.edges.get(id)!.data['state']).toBe('active');
    expect(scene.edgesTouching(h1, 'bgp').map((e) => e.id)).toContain(id);

    const route = fullEdgesOf(full, [h1]).find((e) => e.type === 'route')!;
    scene.setFocusEdges([route]);
    scene.applyPatch({ ...NO_PATCH, removeEdges: [route.id] });
    expect(scene.maps.edges.has(route.id)).toBe(false);
    expect(scene.isFocusEdge(route.id)).toBe(false);
    expect(scene.edgesTouching(h1, 'route').map((e) => e.id)).not.toContain(route.id);
  });

  it('a switch to the full form (by patch or a new topology) counts the edges it brings', () => {
    const fullScene = sceneOf(full);
    for (const how of ['patch', 'setTopology'] as const) {
      const scene = sceneOf(compactTopology(full));
      scene.setFocusEdges(fullEdgesOf(full, [h1, h2]));
      if (how === 'patch') {
        const compactScene = sceneOf(compactTopology(full));
        const patch: TopologyPatch = {
          upsertNodes: full.nodes.filter((n) => n.type === 'host'),
          removeNodes: [],
          upsertEdges: full.edges.filter((e) => !compactScene.maps.edges.has(e.id)),
          removeEdges: [],
        };
        scene.applyPatch(patch);
      } else scene.setTopology(full);
      expect(counts(scene)).toEqual(counts(fullScene));
      expect(scene.summary()).toEqual(fullScene.summary());
      expect(scene.stats.get(h1)!.routeCoverage).toBeUndefined();
      expect(scene.isFocusEdge(`bgp:host:${h1}->host:${h2}#gobgp|172.20.0.4`)).toBe(false);
    }
  });

  it('a new topology drops them', () => {
    const scene = sceneOf(compactTopology(full));
    scene.setFocusEdges(fullEdgesOf(full, [h1]));
    scene.setTopology(compactTopology(full));
    expect([...scene.maps.edges.keys()].sort()).toEqual(compactTopology(full).edges.map((e) => e.id).sort());
    expect(scene.edgesTouching(h1, 'bgp')).toHaveLength(4);
  });
});
