// The topology as maps (the browser's form) patches exactly as the topology as sorted arrays (the
// API's): on every pair of moments built from the fixtures (nodes leaving, arriving, a route gone),
// the map diff equals diffTopology's up to order, and applying either patch gives the other form's
// result.
import type { Fact, Topology, TopologyPatch } from '@netatlas/wire';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyPatchToMaps, diffTopologyMaps, emptyTopologyMaps, topologyMaps, type TopologyMaps } from './topology-maps.js';
import { applyTopologyPatch, deriveTopology, diffTopology, isEmptyTopologyPatch } from './topology.js';

type Fixture = Record<string, Fact[]>;
const fixture = (style: string): Fixture =>
  JSON.parse(readFileSync(new URL(`./fixtures/topology/${style}.json`, import.meta.url), 'utf8')) as Fixture;
const all: Fixture = Object.assign({}, ...['kube-router', 'calico', 'flannel'].map(fixture)) as Fixture;
const hosts = Object.keys(all);

/** the topology of the hosts picked, each without the routes dropped */
const topologyOf = (picked: readonly boolean[], dropRoutes: readonly boolean[]): Topology =>
  deriveTopology(new Map(hosts.flatMap((h, i) => (picked[i] ? [[h, all[h]!.filter((f) => !(dropRoutes[i] && f.kind === 'route'))] as const] : []))));

const sortedPatch = (p: TopologyPatch): TopologyPatch => ({
  upsertNodes: [...p.upsertNodes].sort((a, b) => a.id.localeCompare(b.id)),
  removeNodes: [...p.removeNodes].sort(),
  upsertEdges: [...p.upsertEdges].sort((a, b) => a.id.localeCompare(b.id)),
  removeEdges: [...p.removeEdges].sort(),
});
const asTopology = (m: TopologyMaps): Topology => ({
  nodes: [...m.nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  edges: [...m.edges.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
});

describe('topology maps', () => {
  it('diff and apply on maps agree with diffTopology and applyTopologyPatch', () => {
    const moment = fc.tuple(fc.array(fc.boolean(), { minLength: hosts.length, maxLength: hosts.length }), fc.array(fc.boolean(), { minLength: hosts.length, maxLength: hosts.length }));
    fc.assert(
      fc.property(moment, moment, ([pa, da], [pb, db]) => {
        const a = topologyOf(pa, da);
        const b = topologyOf(pb, db);
        const onMaps = diffTopologyMaps(topologyMaps(a), topologyMaps(b));
        const onArrays = diffTopology(a, b);
        expect(sortedPatch(onMaps)).toEqual(sortedPatch(onArrays));
        expect(isEmptyTopologyPatch(onMaps)).toBe(isEmptyTopologyPatch(onArrays));
        const m = topologyMaps(a);
        applyPatchToMaps(m, onArrays);
        expect(asTopology(m)).toEqual(applyTopologyPatch(a, onMaps));
        expect(asTopology(m)).toEqual(b);
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('from nothing, the first patch is the whole topology', () => {
    const t = topologyOf(hosts.map(() => true), hosts.map(() => false));
    const m = emptyTopologyMaps();
    const p = diffTopologyMaps(m, topologyMaps(t));
    expect(p.removeNodes).toEqual([]);
    expect(p.upsertNodes).toHaveLength(t.nodes.length);
    applyPatchToMaps(m, p);
    expect(asTopology(m)).toEqual(t);
  });
});
