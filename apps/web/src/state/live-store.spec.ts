import type { FactChange, LiveServerToClient, NodeSummary, TopoNode, Topology, TopologyPatch } from '@netatlas/wire/core';
import { describe, expect, it, vi } from 'vitest';
import type { LiveSource } from '../api/live-client.js';
import type { ChangesQuery } from '../api/rest-client.js';
import { ChangeDeduper, LiveStore, type StoreRest } from './live-store.js';

const host = (name: string): TopoNode => ({ id: `host:${name}`, type: 'host', host: null, parent: null, label: name, data: {} });
const pod = (name: string, i: number): TopoNode => ({ id: `pod:${name}/veth${i}`, type: 'pod', host: name, parent: null, label: `10.0.0.${i}`, data: {} });
const summary = (name: string, status: NodeSummary['status'] = 'connected'): NodeSummary => ({
  name,
  status,
  firstSeen: '2026-11-23T14:00:00.000Z',
  lastSeen: '2026-11-23T14:00:00.000Z',
  cniStyle: 'kube-router',
  readers: {},
});
const change = (node: string, at: string, key = 'main|inet|10.233.2.0/24|0|0|eth0'): FactChange => ({ node, kind: 'route', key, at, op: 'remove', before: null, after: null });

class FakeLive implements LiveSource {
  state = { status: 'live' as const, since: new Date(), attempts: 0, error: null };
  private handlers = new Map<string, ((x: never) => void)[]>();
  private synced: ((i: { reconnect: boolean; serverTime: string }) => void)[] = [];
  on<E extends keyof LiveServerToClient>(event: E, handler: LiveServerToClient[E]): () => void {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler as (x: never) => void]);
    return () => undefined;
  }
  onSynced(h: (i: { reconnect: boolean; serverTime: string }) => void) {
    this.synced.push(h);
    return () => undefined;
  }
  onState() {
    return () => undefined;
  }
  emit<E extends keyof LiveServerToClient>(event: E, payload: Parameters<LiveServerToClient[E]>[0]): void {
    for (const h of this.handlers.get(event) ?? []) h(payload as never);
  }
  sync(reconnect: boolean, serverTime = '2026-11-23T14:00:00.000Z'): void {
    for (const h of this.synced) h({ reconnect, serverTime });
  }
}

function fakeRest(topologies: Topology[]) {
  let n = 0;
  const changesCalls: Omit<ChangesQuery, 'after'>[] = [];
  const eventsCalls: unknown[] = [];
  let release: (() => void) | null = null;
  let hold = false;
  const rest: StoreRest = {
    topology: vi.fn(async () => {
      if (hold) await new Promise<void>((r) => (release = r));
      return { at: null, ...topologies[Math.min(n++, topologies.length - 1)]! };
    }),
    nodes: vi.fn(async () => [summary('a'), summary('b')]),
    allChanges: vi.fn(async (q: Omit<ChangesQuery, 'after'>) => {
      changesCalls.push(q);
      return {
        changes: [change('a', '2026-11-23T14:00:05.000Z'), change('b', '2026-11-23T14:00:07.000Z')],
        to: '2026-11-23T14:01:00.000Z',
        truncated: false,
      };
    }),
    events: vi.fn(async (q?: unknown) => {
      eventsCalls.push(q);
      return { from: '', to: '', events: [] };
    }),
  } as unknown as StoreRest;
  return { rest, changesCalls, eventsCalls, holdNext: () => (hold = true), release: () => release?.() };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('LiveStore', () => {
  it('loads the topology and nodes on the first subscription and applies live patches', async () => {
    const { rest } = fakeRest([{ nodes: [host('a'), host('b')], edges: [] }]);
    const live = new FakeLive();
    const store = new LiveStore(rest, live);
    const patches: TopologyPatch[] = [];
    store.on('topology', (p) => patches.push(p));
    live.sync(false);
    await flush();
    expect(store.ready).toBe(true);
    expect([...store.topology.nodes.keys()]).toEqual(['host:a', 'host:b']);
    expect([...store.nodes.keys()]).toEqual(['a', 'b']);
    live.emit('topology', { upsertNodes: [pod('a', 1)], removeNodes: ['host:b'], upsertEdges: [], removeEdges: [] });
    expect([...store.topology.nodes.keys()].sort()).toEqual(['host:a', 'pod:a/veth1']);
    expect(patches).toHaveLength(2);
  });

  it('holds patches that arrive while the topology is being fetched and applies them after it', async () => {
    const { rest, holdNext, release } = fakeRest([{ nodes: [host('a')], edges: [] }]);
    holdNext();
    const live = new FakeLive();
    const store = new LiveStore(rest, live);
    live.sync(false);
    live.emit('topology', { upsertNodes: [host('c')], removeNodes: [], upsertEdges: [], removeEdges: [] });
    expect(store.topology.nodes.size).toBe(0);
    release();
    await flush();
    await flush();
    expect([...store.topology.nodes.keys()].sort()).toEqual(['host:a', 'host:c']);
  });

  it('after a reconnect: re-fetches the topology as a patch and catches up on changes since the last one seen', async () => {
    const { rest, changesCalls, eventsCalls } = fakeRest([
      { nodes: [host('a'), host('b')], edges: [] },
      { nodes: [host('a'), pod('a', 1)], edges: [] },
    ]);
    const live = new FakeLive();
    const store = new LiveStore(rest, live);
    live.sync(false, '2026-11-23T14:00:00.000Z');
    await flush();
    live.emit('changes', { at: '2026-11-23T14:00:05.100Z', changes: [change('a', '2026-11-23T14:00:05.000Z')] });
    expect(store.lastChangeAt).toBe('2026-11-23T14:00:05.000Z');

    const patches: TopologyPatch[] = [];
    const delivered: FactChange[][] = [];
    store.on('topology', (p) => patches.push(p));
    store.on('changes', (c, info) => {
      expect(info.catchUp).toBe(true);
      delivered.push(c);
    });
    live.sync(true);
    await flush();
    // 1 ms early (changes of several nodes can share a millisecond), without repeating what was seen
    expect(changesCalls).toEqual([{ from: '2026-11-23T14:00:04.999Z' }]);
    expect(delivered).toEqual([[change('b', '2026-11-23T14:00:07.000Z')]]);
    expect(eventsCalls).toHaveLength(1);
    expect(patches).toEqual([{ upsertNodes: [pod('a', 1)], removeNodes: ['host:b'], upsertEdges: [], removeEdges: [] }]);
    expect(store.lastChangeAt).toBe('2026-11-23T14:00:07.000Z');
  });

  it('updates a node status from live node events', async () => {
    const { rest } = fakeRest([{ nodes: [], edges: [] }]);
    const live = new FakeLive();
    const store = new LiveStore(rest, live);
    live.sync(false);
    await flush();
    live.emit('nodeEvent', { id: '7', node: 'b', type: 'lost', at: '2026-11-23T14:02:00.000Z', detail: {}, status: 'lost' });
    expect(store.nodes.get('b')?.status).toBe('lost');
  });
});

describe('ChangeDeduper', () => {
  it('admits each change once and starts a catch-up 1 ms before the latest', () => {
    const d = new ChangeDeduper();
    expect(d.catchUpFrom('2026-11-23T14:00:00.000Z')).toBe('2026-11-23T14:00:00.000Z');
    expect(d.admit([change('a', '2026-11-23T14:00:01.000Z'), change('a', '2026-11-23T14:00:01.000Z')])).toHaveLength(1);
    expect(d.admit([change('a', '2026-11-23T14:00:01.000Z'), change('b', '2026-11-23T14:00:01.000Z')])).toHaveLength(1);
    expect(d.catchUpFrom('')).toBe('2026-11-23T14:00:00.999Z');
  });
});
