import type { TopoEdge, Topology, TopologyEdgesResponse, TopologyPatch } from '@netatlas/wire/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compactTopology, fullEdgesOf } from '../../testing/compact-topology.js';
import { syntheticHostName, syntheticTopology } from '../../testing/synthetic-topology.js';
import { FOCUS_FETCH_DELAY_MS, FOCUS_RETRY_MS, FocusEdgeCache, FocusEdgeLoader, focusCompactHosts, hostsToFetch, planFocusMerge, wantedFocusEdges } from './focus-edges.js';
import { TopologyScene } from './scene.js';

const edge = (id: string, source = 'host:a', data: Record<string, unknown> = {}): TopoEdge => ({ id, type: 'bgp', source, target: 'host:b', data });
const byId = (...es: TopoEdge[]) => new Map(es.map((e) => [e.id, e]));
const NO_PATCH: TopologyPatch = { upsertNodes: [], removeNodes: [], upsertEdges: [], removeEdges: [] };
const hostOf = (id: string) => (id.startsWith('host:') ? id.slice(5) : null);
const n = syntheticHostName;

describe('planFocusMerge', () => {
  it('adds what is new or changed, drops what is no longer wanted; the topology wins', () => {
    const merged = byId(edge('x'), edge('y'), edge('z', 'host:a', { state: 'idle' }));
    const wanted = byId(edge('y'), edge('z', 'host:a', { state: 'established' }), edge('w'), edge('t'));
    const plan = planFocusMerge(merged, wanted, (id) => id === 't');
    expect(plan.drop).toEqual(['x']);
    expect(plan.add.map((e) => e.id)).toEqual(['z', 'w']);
    // a merged id the topology now has: dropped from the merged ones (the topology's stays)
    expect(planFocusMerge(byId(edge('t')), byId(edge('t')), () => true)).toEqual({ add: [], drop: ['t'] });
    expect(planFocusMerge(merged, merged, () => false)).toEqual({ add: [], drop: [] });
  });
});

describe('FocusEdgeCache', () => {
  it('keeps each asked host’s edges, an empty entry for one without any', () => {
    const c = new FocusEdgeCache();
    c.put(['a', 'b', 'c'], [edge('1', 'host:a'), edge('2', 'host:b'), edge('3', 'host:a')], hostOf);
    expect([...c.edgesOf('a')].map((e) => e.id)).toEqual(['1', '3']);
    expect([...c.edgesOf('c')]).toEqual([]);
    expect(c.isFresh('c')).toBe(true);
    expect(c.has('d')).toBe(false);
  });

  it('forgets the least recently used hosts beyond its capacity, but not those kept', () => {
    const c = new FocusEdgeCache(3);
    c.put(['a'], [], hostOf);
    c.put(['b'], [], hostOf);
    c.put(['c'], [], hostOf);
    c.touch(['a']);
    c.put(['d'], [], hostOf);
    expect(['a', 'b', 'c', 'd'].filter((h) => c.has(h))).toEqual(['a', 'c', 'd']);
    // everything in focus, and the host just stored: over capacity for a while
    c.put(['e'], [], hostOf, new Set(['a', 'c', 'd']));
    expect(['a', 'c', 'd', 'e'].filter((h) => c.has(h))).toEqual(['a', 'c', 'd', 'e']);
    c.put(['f'], [], hostOf, new Set(['d']));
    expect(['a', 'c', 'd', 'e', 'f'].filter((h) => c.has(h))).toEqual(['d', 'e', 'f']);
  });

  it('a patch: its edge ids win, a changed host goes stale, a removed host is forgotten', () => {
    const c = new FocusEdgeCache();
    c.put(['a', 'b'], [edge('1', 'host:a'), edge('2', 'host:a'), edge('3', 'host:b')], hostOf);
    expect(c.applyPatch(NO_PATCH)).toBe(false);
    expect(c.applyPatch({ ...NO_PATCH, upsertEdges: [edge('1')], removeEdges: ['3'] })).toBe(true);
    expect([...c.edgesOf('a')].map((e) => e.id)).toEqual(['2']);
    expect([...c.edgesOf('b')]).toEqual([]);
    c.applyPatch({ ...NO_PATCH, upsertNodes: [{ id: 'host:a', type: 'host', host: null, parent: null, label: 'a', data: {} }], removeNodes: ['host:b'] });
    expect(c.has('a')).toBe(true);
    expect(c.isFresh('a')).toBe(false);
    expect(c.has('b')).toBe(false);
    // stale: still merged until the new answer, and asked again
    expect([...wantedFocusEdges(['a'], c).keys()]).toEqual(['2']);
    expect(hostsToFetch(['a'], c)).toEqual(['a']);
  });
});

describe('what to fetch and merge', () => {
  it('the compact hosts of the focus, most important first, at most a few', () => {
    const compact = (h: string) => h !== 'full';
    expect(focusCompactHosts(['b', 'full', 'a', 'b'], compact)).toEqual(['b', 'a']);
    expect(focusCompactHosts(['a', 'b', 'c', 'd'], compact, 2)).toEqual(['a', 'b']);
  });

  it('not cached, not on their way; sorted', () => {
    const c = new FocusEdgeCache();
    c.put(['b'], [], hostOf);
    expect(hostsToFetch(['d', 'b', 'c', 'a'], c, new Set(['c']))).toEqual(['a', 'd']);
  });
});

// ------------------------------------------------------------------ the loader, on a real scene

interface Call {
  hosts: string[];
  at: string | null;
  signal: AbortSignal;
  resolve: (r: TopologyEdgesResponse) => void;
  reject: (e: unknown) => void;
}

function harness(full: Topology = syntheticTopology({ hosts: 50, podsPerHost: 1, bgpDown: [3] })) {
  const scene = new TopologyScene();
  scene.setTopology(compactTopology(full));
  const calls: Call[] = [];
  let changes = 0;
  const loader = new FocusEdgeLoader({
    target: scene,
    fetch: (hosts, at, signal) =>
      new Promise<TopologyEdgesResponse>((resolve, reject) => {
        calls.push({ hosts, at, signal, resolve, reject });
        signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      }),
    onChange: () => changes++,
  });
  loader.reset(null, true);
  /** answers a call as the API would, from the full topology */
  const answer = async (call: Call, edges = fullEdgesOf(full, call.hosts)) => {
    call.resolve({ at: call.at, hosts: call.hosts, edges });
    await vi.advanceTimersByTimeAsync(0);
  };
  const focusEdgeCount = () => [...scene.maps.edges.keys()].filter((id) => scene.isFocusEdge(id)).length;
  return { full, scene, calls, loader, answer, focusEdgeCount, changes: () => changes };
}

describe('FocusEdgeLoader', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fetches once the focus settles, merges the answer, drops it when the host leaves focus', async () => {
    const { scene, calls, loader, answer, focusEdgeCount, changes } = harness();
    loader.setFocus([n(1)]);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS - 50);
    loader.setFocus([n(2)]);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS - 50);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(50);
    expect(calls.map((c) => c.hosts)).toEqual([[n(2)]]);
    expect(calls[0]!.at).toBeNull();
    expect(scene.edgesTouching(n(2), 'bgp').filter((e) => e.source === `host:${n(2)}`)).toHaveLength(1);
    await answer(calls[0]!);
    expect(scene.edgesTouching(n(2), 'bgp').filter((e) => e.source === `host:${n(2)}`)).toHaveLength(49);
    expect(changes()).toBe(1);
    const merged = focusEdgeCount();
    expect(merged).toBeGreaterThan(90);

    loader.setFocus([]);
    expect(focusEdgeCount()).toBe(0);
    // hovering back: from the cache, at once, no request
    loader.setFocus([n(2)]);
    expect(focusEdgeCount()).toBe(merged);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(1);
  });

  it('one request at a time: what came into focus meanwhile is asked next', async () => {
    const { calls, loader, answer } = harness();
    loader.setFocus([n(1)]);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS);
    loader.setFocus([n(1), n(4), n(5)]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(1);
    await answer(calls[0]!);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS);
    expect(calls.map((c) => c.hosts)).toEqual([[n(1)], [n(4), n(5)]]);
  });

  it('full-form hosts are never asked for, nor anything while disabled; a past moment is asked at', async () => {
    const { calls, loader } = harness(syntheticTopology({ hosts: 50, podsPerHost: 1 }));
    loader.reset(null, false);
    loader.setFocus([n(1)]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(0);
    loader.reset('2026-12-01T10:00:00.000Z', true);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS);
    expect(calls.map((c) => [c.hosts, c.at])).toEqual([[[n(1)], '2026-12-01T10:00:00.000Z']]);

    const small = syntheticTopology({ hosts: 5, podsPerHost: 1 });
    const full = new TopologyScene();
    full.setTopology(small);
    const asked: string[][] = [];
    const l = new FocusEdgeLoader({ target: full, fetch: async (hosts) => (asked.push(hosts), { at: null, hosts, edges: [] }), onChange: () => undefined });
    l.reset(null, true);
    l.setFocus([n(1)]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked).toEqual([]);
  });

  it('a patch that changes a host in focus asks again, and shows the old answer until the new one', async () => {
    const { full, scene, calls, loader, answer, focusEdgeCount } = harness();
    loader.setFocus([n(1)]);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS);
    await answer(calls[0]!);
    const merged = focusEdgeCount();
    const node = scene.hostEntry(n(1))!.node!;
    const patch: TopologyPatch = { ...NO_PATCH, upsertNodes: [{ ...node, data: { ...node.data, kernel: '6.2' } }] };
    scene.applyPatch(patch);
    loader.applyPatch(patch);
    expect(focusEdgeCount()).toBe(merged);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS);
    expect(calls.map((c) => c.hosts)).toEqual([[n(1)], [n(1)]]);
    // the new answer: one route fewer
    const fewer = fullEdgesOf(full, [n(1)]).filter((e) => e.id !== fullEdgesOf(full, [n(1)]).find((x) => x.type === 'route')!.id);
    await answer(calls[1]!, fewer);
    expect(focusEdgeCount()).toBe(merged - 1);
    // a patch about another host leaves it alone
    const other = scene.hostEntry(n(9))!.node!;
    loader.applyPatch({ ...NO_PATCH, upsertNodes: [{ ...other }] });
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(2);
  });

  it('a live patch of an edge wins over the fetched one, even over an answer that was on its way', async () => {
    const { full, scene, calls, loader, answer } = harness();
    const id = `bgp:host:${n(1)}->host:${n(2)}#gobgp|172.20.0.4`;
    const healthy = full.edges.find((e) => e.id === id)!;
    loader.setFocus([n(1)]);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS);
    // the session goes down while the answer (still established) is on its way
    const down: TopologyPatch = { ...NO_PATCH, upsertEdges: [{ ...healthy, data: { ...healthy.data, state: 'active' } }] };
    scene.applyPatch(down);
    loader.applyPatch(down);
    await answer(calls[0]!);
    expect(scene.maps.edges.get(id)!.data['state']).toBe('active');
    expect(scene.isFocusEdge(id)).toBe(false);
    // it comes back up: the compact form removes the problem edge; the fetched one must not return it
    const up: TopologyPatch = { ...NO_PATCH, removeEdges: [id] };
    scene.applyPatch(up);
    loader.applyPatch(up);
    loader.setFocus([]);
    loader.setFocus([n(1)]);
    expect(scene.maps.edges.has(id)).toBe(false);
  });

  it('a reset (time moved, topology replaced) forgets the cache and aborts what is on its way', async () => {
    const { scene, calls, loader, answer, focusEdgeCount } = harness();
    loader.setFocus([n(1)]);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS);
    await answer(calls[0]!);
    loader.setFocus([n(2)]);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS);
    expect(calls).toHaveLength(2);
    scene.setTopology(scene.maps);
    loader.reset('2026-12-01T10:00:00.000Z', true);
    expect(calls[1]!.signal.aborted).toBe(true);
    expect(focusEdgeCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS);
    expect(calls.map((c) => c.at)).toEqual([null, null, '2026-12-01T10:00:00.000Z']);
    // back to the first host: asked again (its edges were of another moment)
    loader.setFocus([n(1)]);
    await answer(calls[2]!);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS);
    expect(calls.map((c) => c.hosts)).toEqual([[n(1)], [n(2)], [n(2)], [n(1)]]);
  });

  it('after a failure, patches do not ask again at once', async () => {
    const { scene, calls, loader } = harness();
    loader.setFocus([n(1)]);
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS);
    calls[0]!.reject(new Error('404 Not Found'));
    await vi.advanceTimersByTimeAsync(0);
    const node = scene.hostEntry(n(7))!.node!;
    loader.applyPatch({ ...NO_PATCH, upsertNodes: [node] });
    await vi.advanceTimersByTimeAsync(FOCUS_RETRY_MS - 500);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600);
    expect(calls).toHaveLength(2);
  });

  it('a search finding every host fetches only the first few', async () => {
    const { calls, loader } = harness();
    loader.setFocus(Array.from({ length: 50 }, (_, i) => n(i + 1)));
    await vi.advanceTimersByTimeAsync(FOCUS_FETCH_DELAY_MS);
    expect(calls[0]!.hosts).toHaveLength(16);
  });
});
