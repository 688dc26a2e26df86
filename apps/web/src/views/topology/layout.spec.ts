import { readFileSync } from 'node:fs';
import { deriveTopology } from '@netatlas/graph';
import type { Fact, TopoNode, Topology, TopologyPatch } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { syntheticHostName, syntheticPod, syntheticTopology } from '../../testing/synthetic-topology.js';
import { assignSlots, CELL_H, CELL_W, fitSlots, fittedHostHeight, HOST_H, HOST_MIN_H, HOST_W, layoutBounds, layoutTopology, MAX_SLOT, PAD, rectOf, type Rect, type TopologyLayout } from './layout.js';
import { COLLAPSE_SCALE, drawsCells, edgeDrawModes, elementDetail, frameRect, hostDetail, PODS_SCALE } from './level-of-detail.js';
import { TopologyScene } from './scene.js';

/** Facts of a real 3-node lab of each style, as libs/graph captured them: {node: Fact[]}. */
const graphFixture = (style: 'kube-router' | 'calico' | 'flannel'): Record<string, Fact[]> =>
  JSON.parse(readFileSync(new URL(`../../../../../libs/graph/src/fixtures/topology/${style}.json`, import.meta.url), 'utf8')) as Record<string, Fact[]>;



const inside = (inner: Rect, outer: Rect): boolean =>
  inner.x >= outer.x - 1e-9 && inner.y >= outer.y - 1e-9 && inner.x + inner.w <= outer.x + outer.w + 1e-9 && inner.y + inner.h <= outer.y + outer.h + 1e-9;

/** Every laid-out element with its rect, as plain data (for deep comparisons). */
function positions(layout: TopologyLayout): Record<string, Rect> {
  const out: Record<string, Rect> = {};
  for (const [name, h] of layout.hosts) {
    out[`host:${name}`] = h.box;
    for (const [id, r] of h.items) out[id] = r;
  }
  for (const [id, r] of layout.outer) out[id] = r;
  return out;
}

const shuffled = <T>(xs: readonly T[], seed = 7): T[] => {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};

const emptyPatch = (): TopologyPatch => ({ upsertNodes: [], removeNodes: [], upsertEdges: [], removeEdges: [] });

describe('layoutTopology on real lab topologies', () => {
  it.each(['kube-router', 'calico', 'flannel'] as const)('%s: hosts in name order, bridge/tunnel → veth → pod nested inside each host box', (style) => {
    const t = deriveTopology(graphFixture(style));
    const layout = layoutTopology(t);
    const hosts = t.nodes.filter((n) => n.type === 'host');
    expect(hosts).toHaveLength(3);
    // three hosts: one row, in name order
    expect([...layout.hostSlots.entries()].sort((a, b) => a[1] - b[1]).map(([n]) => n)).toEqual(hosts.map((h) => h.label).sort());
    expect(layout.cols).toBe(3);
    for (const n of t.nodes) {
      const r = rectOf(layout, n);
      expect(r, n.id).toBeDefined();
      if (n.host === null) continue;
      const box = layout.hosts.get(n.host)!.box;
      expect(inside(r!, box), `${n.id} inside its host`).toBe(true);
      if (n.type === 'pod') {
        const veth = rectOf(layout, t.nodes.find((v) => v.id === n.parent)!)!;
        expect(r!.y, 'pod under its veth').toBeGreaterThan(veth.y);
        expect(Math.abs(r!.x - veth.x)).toBeLessThan(1);
      }
      if (n.type === 'veth' && n.parent?.startsWith('bridge:')) {
        const bridge = rectOf(layout, t.nodes.find((b) => b.id === n.parent)!)!;
        expect(r!.y, 'veth under its bridge').toBeGreaterThan(bridge.y);
      }
    }
    // subnets above the grid, externals/VTEPs to its left
    for (const n of t.nodes.filter((x) => x.type === 'subnet')) expect(rectOf(layout, n)!.y).toBeLessThan(0);
  });

  it('is deterministic: the same topology in any order gives the same layout', () => {
    const t = deriveTopology(graphFixture('kube-router'));
    const a = positions(layoutTopology(t));
    const b = positions(layoutTopology({ nodes: shuffled(t.nodes), edges: t.edges }));
    expect(b).toEqual(a);
    expect(JSON.stringify(positions(layoutTopology(t)))).toBe(JSON.stringify(a));
  });

  it('orders hosts naturally (node2 before node10)', () => {
    const t = syntheticTopology({ hosts: 12, podsPerHost: 1, mesh: false });
    const renamed: Topology = {
      nodes: t.nodes.map((n) => ({ ...n, id: n.id.replace(/node0*(\d+)/, 'node$1'), host: n.host?.replace(/node0*(\d+)/, 'node$1') ?? null })),
      edges: [],
    };
    const layout = layoutTopology(renamed);
    expect(layout.hostSlots.get('node2')).toBe(1);
    expect(layout.hostSlots.get('node10')).toBe(9);
  });
});

describe('layout stability', () => {
  const base = syntheticTopology({ hosts: 20, podsPerHost: 10 });

  it('a pod added to one host moves nothing outside that host', () => {
    const scene = new TopologyScene();
    scene.setTopology(base);
    const before = scene.layout;
    const beforePos = positions(before);
    const { veth, pod, edge } = syntheticPod(syntheticHostName(7), 7, 99);
    const { dirtyHosts } = scene.applyPatch({ ...emptyPatch(), upsertNodes: [veth, pod], upsertEdges: [edge] });
    expect([...dirtyHosts]).toEqual([syntheticHostName(7)]);
    const after = positions(scene.layout);
    for (const [name, h] of before.hosts) {
      if (name === syntheticHostName(7)) continue;
      // untouched hosts keep their very layout object
      expect(scene.layout.hosts.get(name)).toBe(h);
    }
    for (const [id, r] of Object.entries(beforePos)) if (!id.includes(syntheticHostName(7))) expect(after[id], id).toEqual(r);
    // the host itself keeps its place and width; its box is as tall as what it now holds
    const was = before.hosts.get(syntheticHostName(7))!.box;
    const now = scene.layout.hosts.get(syntheticHostName(7))!.box;
    expect({ x: now.x, y: now.y, w: now.w }).toEqual({ x: was.x, y: was.y, w: was.w });
    expect(now.h).toBeGreaterThanOrEqual(was.h);
    expect(after[pod.id]).toBeDefined();
  });

  it('removing a host leaves a hole; a new host takes the lowest free cell; no other host moves', () => {
    const scene = new TopologyScene();
    scene.setTopology(base);
    const before = positions(scene.layout);
    const gone = syntheticHostName(5);
    const removeIds = base.nodes.filter((n) => n.id === `host:${gone}` || n.host === gone).map((n) => n.id);
    scene.applyPatch({ ...emptyPatch(), removeNodes: removeIds });
    let after = positions(scene.layout);
    for (const [id, r] of Object.entries(before)) {
      if (removeIds.includes(id)) expect(after[id]).toBeUndefined();
      else expect(after[id], id).toEqual(r);
    }
    // a new host (sorted last by name) fills the hole at slot 4
    const extra = syntheticTopology({ hosts: 21, podsPerHost: 2, mesh: false }).nodes.filter((n) => n.id === 'host:node021' || n.host === 'node021');
    scene.applyPatch({ ...emptyPatch(), upsertNodes: extra });
    expect(scene.layout.hostSlots.get('node021')).toBe(4);
    after = positions(scene.layout);
    for (const [id, r] of Object.entries(before)) if (!removeIds.includes(id)) expect(after[id], id).toEqual(r);
  });

  it('a new external or subnet moves no host and no other outer element', () => {
    const scene = new TopologyScene();
    scene.setTopology(base);
    const before = positions(scene.layout);
    const ext: TopoNode = { id: 'external:192.0.2.1', type: 'external', host: null, parent: null, label: '192.0.2.1', data: { address: '192.0.2.1' } };
    const sub: TopoNode = { id: 'subnet:10.0.0.0/24', type: 'subnet', host: null, parent: null, label: '10.0.0.0/24', data: { cidr: '10.0.0.0/24' } };
    const { dirtyHosts } = scene.applyPatch({ ...emptyPatch(), upsertNodes: [ext, sub] });
    expect(dirtyHosts.size).toBe(0);
    const after = positions(scene.layout);
    for (const [id, r] of Object.entries(before)) expect(after[id], id).toEqual(r);
    expect(after[ext.id]!.x).toBeLessThan(0);
    expect(after[sub.id]!.y).toBeLessThan(0);
  });

  it('the incremental layout equals a full layout from the same previous one', () => {
    const scene = new TopologyScene();
    scene.setTopology(base);
    const previous = scene.layout;
    const { veth, pod } = syntheticPod(syntheticHostName(3), 3, 50);
    scene.applyPatch({ ...emptyPatch(), upsertNodes: [veth, pod], removeNodes: [`pod:${syntheticHostName(9)}/veth00090000`] });
    const full = layoutTopology(
      { nodes: [...scene.maps.nodes.values()], edges: [] },
      { previous },
    );
    expect(positions(scene.layout)).toEqual(positions(full));
  });

  it('assignSlots keeps old slots and fills holes in order', () => {
    expect([...assignSlots(['a', 'b', 'c'])]).toEqual([['a', 0], ['b', 1], ['c', 2]]);
    const prev = new Map([['a', 0], ['c', 2]]);
    expect(Object.fromEntries(assignSlots(['a', 'b', 'c', 'd'], prev))).toEqual({ a: 0, b: 1, c: 2, d: 3 });
    expect(Object.fromEntries(assignSlots(['a', 'd', 'e'], new Map([['a', 0], ['d', 3]])))).toEqual({ a: 0, d: 3, e: 1 });
  });

  it('rebuilds the grid only when the hosts outgrow it', () => {
    const scene = new TopologyScene();
    scene.setTopology(syntheticTopology({ hosts: 3, podsPerHost: 1, mesh: false }));
    expect(scene.layout.cols).toBe(3);
    // up to 9 hosts fit the 3-column grid: 4..9 go below
    scene.setTopology(syntheticTopology({ hosts: 9, podsPerHost: 1, mesh: false }));
    expect(scene.layout.cols).toBe(3);
    expect(scene.layout.hosts.get('node001')!.box).toEqual({ x: 0, y: 0, w: HOST_W, h: expect.any(Number) });
    expect(scene.layout.hosts.get('node009')!.box.y).toBe(2 * CELL_H);
    scene.setTopology(syntheticTopology({ hosts: 10, podsPerHost: 1, mesh: false }));
    expect(scene.layout.cols).toBeGreaterThan(3);
  });
});

describe('layout at 200 hosts × 50 pods', () => {
  const t = syntheticTopology({ hosts: 200, podsPerHost: 50 });

  it('fits every pod of every host inside its box, on a wider-than-tall grid', () => {
    const started = performance.now();
    const layout = layoutTopology(t);
    const ms = performance.now() - started;
    expect(layout.hosts.size).toBe(200);
    expect(layout.cols * CELL_W).toBeGreaterThan(Math.ceil(200 / layout.cols) * CELL_H);
    let pods = 0;
    for (const h of layout.hosts.values()) {
      expect(h.counts.pods).toBe(50);
      for (const r of h.items.values()) expect(inside(r, h.box)).toBe(true);
      pods += h.counts.pods;
    }
    expect(pods).toBe(10_000);
    expect(ms).toBeLessThan(1500);
  });

  it('applies a 100-change patch by laying out only the hosts it touches', () => {
    const scene = new TopologyScene();
    scene.setTopology(t);
    /** 100 changes: 50 new pods (veth + pod) on 50 hosts */
    const patchOf = (round: number): TopologyPatch => {
      const patch = emptyPatch();
      for (let k = 0; k < 50; k++) {
        const i = 1 + ((k * 37 + round) % 200);
        const { veth, pod } = syntheticPod(syntheticHostName(i), i, 100 + round * 50 + k);
        patch.upsertNodes.push(veth, pod);
      }
      return patch;
    };
    scene.applyPatch(patchOf(0)); // warm-up, as a live page is after its first render
    const before = scene.layout;
    const { dirtyHosts } = scene.applyPatch(patchOf(1));
    expect(dirtyHosts.size).toBe(50);
    let reused = 0;
    for (const [name, h] of scene.layout.hosts) if (before.hosts.get(name) === h) reused++;
    // the 150 untouched hosts keep their layout objects: nothing of them was laid out again
    expect(reused).toBe(150);
    expect(scene.summary().pods).toBe(10_100);
    // the target is 100 ms for the whole screen update; the model's share is a fraction of
    // it (≈10–30 ms here). The bound is loose because this 2-core machine is shared by other suites.
    const times: number[] = [];
    for (let round = 2; round < 7; round++) {
      const started = performance.now();
      scene.applyPatch(patchOf(round));
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    expect(times[2]).toBeLessThan(250);
  });

  it.each(['kube-router', 'calico', 'flannel'] as const)('%s (2 pods a host): a host box is as tall as what it holds (pods of full size, no empty rows under them)', (style) => {
    const layout = layoutTopology(deriveTopology(graphFixture(style)));
    for (const h of layout.hosts.values()) {
      expect(h.box.h, h.name).toBeLessThan(HOST_H);
      expect(h.box.h).toBeGreaterThanOrEqual(HOST_MIN_H);
      expect(h.unit).toBe(MAX_SLOT);
      const bottom = Math.max(...[...h.items.values()].map((r) => r.y + r.h), ...h.bands.map((b) => b.rect.y + b.rect.h));
      for (const r of h.items.values()) expect(inside(r, h.box)).toBe(true);
      // at most the padding under the last band (or the least height)
      expect(h.box.y + h.box.h - bottom).toBeLessThanOrEqual(Math.max(PAD + 1, h.box.y + HOST_MIN_H - bottom));
    }
  });

  it('an empty host is HOST_MIN_H tall, a full one HOST_H; either way its cell is the same', () => {
    const layout = layoutTopology({ nodes: [...syntheticTopology({ hosts: 2, podsPerHost: 60, mesh: false }).nodes.filter((n) => n.host !== 'node002')], edges: [] });
    expect(layout.hosts.get('node001')!.box.h).toBe(HOST_H);
    expect(layout.hosts.get('node002')!.box).toEqual({ x: CELL_W, y: 0, w: HOST_W, h: HOST_MIN_H });
    expect(fittedHostHeight([])).toBe(HOST_MIN_H);
  });

  it('a host with far more pods draws them smaller, in its own box', () => {
    const big = syntheticTopology({ hosts: 1, podsPerHost: 600, mesh: false });
    const layout = layoutTopology(big);
    const h = layout.hosts.get('node001')!;
    expect(h.counts.pods).toBe(600);
    for (const r of h.items.values()) expect(inside(r, h.box)).toBe(true);
    expect(h.unit).toBeLessThan(layoutTopology(t).hosts.get('node001')!.unit);
  });
});

describe('semantic zoom', () => {
  const layout = layoutTopology(syntheticTopology({ hosts: 200, podsPerHost: 50, mesh: false }));
  const host = layout.hosts.get('node001')!;

  it('collapses hosts when the whole 200-host cluster fits a 1920×1080 wall screen', () => {
    const fit = Math.min(1920 / (layout.cols * CELL_W), 1080 / (Math.ceil(200 / layout.cols) * CELL_H));
    expect(hostDetail(fit, host)).toBe('collapsed');
    expect(hostDetail(COLLAPSE_SCALE * 0.99, host)).toBe('collapsed');
    expect(hostDetail(COLLAPSE_SCALE * 1.01, host)).toBe('pods');
  });

  it("a pod found by its IP: framing its host draws its pods, from the heat map and on a small canvas", () => {
    const wall = { width: 1920, height: 1080 };
    const overview = frameRect(layoutBounds(layout), wall, 1.6);
    expect(hostDetail(overview.k, host)).toBe('collapsed');
    const pod = [...host.items.entries()].find(([id]) => id.startsWith('pod:'))![1];
    const screen = (f: { k: number; x: number; y: number }) => ({ x: pod.x * f.k + f.x, y: pod.y * f.k + f.y, w: pod.w * f.k, h: pod.h * f.k });
    expect(elementDetail(overview.k, host, screen(overview), wall)).toBe('collapsed');
    // what the view does: the host with a margin, at a scale that draws pods
    const b = host.box;
    const around = { x: b.x - 20, y: b.y - 20, w: b.w + 40, h: b.h + 40 };
    const big = frameRect(around, wall, 2.5, PODS_SCALE);
    expect(big.k).toBe(2.5);
    expect(elementDetail(big.k, host, screen(big), wall)).toBe('labels');
    // a canvas too small for the host: the host overflows it, its pods are still drawn and the pod on it
    const small = { width: 200, height: 150 };
    expect(frameRect(around, small, 2.5).k).toBeLessThan(COLLAPSE_SCALE);
    const close = frameRect(around, small, 2.5, PODS_SCALE);
    expect(close.k).toBe(PODS_SCALE);
    expect(hostDetail(PODS_SCALE, host)).toBe('pods');
    expect(elementDetail(close.k, host, screen(close), small)).toBe('pods');
    // a pod off the canvas is not drawn, whatever the scale
    expect(elementDetail(2.5, host, { x: 200, y: 10, w: 30, h: 30 }, small)).toBe('offscreen');
    expect(elementDetail(2.5, host, { x: -30, y: 10, w: 30, h: 30 }, small)).toBe('offscreen');
    expect(elementDetail(2.5, host, { x: -29, y: 10, w: 30, h: 30 }, small)).toBe('labels');
  });

  it('a 5000-host overview is a heat map', () => {
    const cells = layoutTopology(syntheticTopology({ hosts: 5000, podsPerHost: 1, mesh: false }));
    expect(drawsCells(frameRect(layoutBounds(cells), { width: 1920, height: 1080 }, 1.6).k)).toBe(true);
  });

  it('shows pods, then their labels, as one zooms in', () => {
    expect(hostDetail(0.8, host)).toBe('pods');
    expect(hostDetail(2, host)).toBe('labels');
    // a lab host with two pods has big slots: labels come early
    const small = layoutTopology(syntheticTopology({ hosts: 3, podsPerHost: 2, mesh: false })).hosts.get('node001')!;
    expect(hostDetail(1, small)).toBe('labels');
  });

  it('draws every healthy BGP/route edge for small clusters, only focused ones for big clusters', () => {
    expect(edgeDrawModes(3)).toEqual({ bgp: 'all', route: 'all', underlay: 'all', problems: 'all' });
    expect(edgeDrawModes(200)).toEqual({ bgp: 'focus', route: 'focus', underlay: 'focus', problems: 'all' });
    // one node down in a 200-node mesh: 398 sessions down, shown by borders and counts, not arcs
    expect(edgeDrawModes(200, 398).problems).toBe('focus');
  });

  it('fitSlots picks the biggest slot that fits', () => {
    expect(fitSlots([2], 284, 150)).toEqual({ unit: MAX_SLOT, cols: Math.floor(284 / MAX_SLOT) });
    const f = fitSlots([50], 284, 160);
    expect(f.unit * f.cols).toBeLessThanOrEqual(284);
    expect(f.unit * Math.ceil(50 / f.cols)).toBeLessThanOrEqual(160);
    expect(f.unit).toBeGreaterThan(25);
  });
});
