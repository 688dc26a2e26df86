import type { FactChange, TraceComparison, TraceResult } from '@netatlas/wire/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TraceCompareQuery, TraceQuery } from '../../api/rest-client.js';
import { Emitter } from '../../state/emitter.js';
import type { LiveStoreEvents } from '../../state/live-store.js';
import { LIVE } from '../../state/time-control.js';
import { TraceFollower, type TraceSource } from './trace-follower.js';

/** A trace from a to b that passed `nodes` (its verdict as given). */
function answer(nodes: string[], verdict: TraceResult['verdict'] = 'delivered', at = '2026-12-06T12:00:00.000Z'): TraceResult {
  const e = (node: string) => ({ query: node, kind: 'node' as const, ip: null, node, pod: null, mtu: 1500 });
  const hops = nodes.map((node, i) => ({
    node,
    iif: null,
    route: null,
    rule: null,
    gateway: null,
    dev: 'eth0',
    ecmp: false,
    outcome: i === nodes.length - 1 ? ('local' as const) : ('forward' as const),
    toNode: nodes[i + 1] ?? null,
    toAddress: null,
    encap: null,
    neighbor: null,
    mtu: 1500,
    facts: [],
  }));
  return { at, from: e(nodes[0]!), to: e(nodes.at(-1)!), verdict, branches: [{ service: null, verdict: verdict === 'delivered' ? 'delivered' : 'no-route', at: nodes.at(-1)!, reason: 'r', hops, mtu: 1500 }], mtu: 1500 };
}

/** A REST double whose answers the test releases one by one. */
class FakeRest implements TraceSource {
  readonly calls: Array<{ kind: 'trace'; q: TraceQuery } | { kind: 'compare'; q: TraceCompareQuery }> = [];
  private readonly pending: Array<{ resolve: (v: never) => void; reject: (e: unknown) => void }> = [];

  trace(q: TraceQuery): Promise<TraceResult> {
    this.calls.push({ kind: 'trace', q });
    return new Promise((resolve, reject) => this.pending.push({ resolve: resolve as (v: never) => void, reject }));
  }

  traceCompare(q: TraceCompareQuery): Promise<TraceComparison> {
    this.calls.push({ kind: 'compare', q });
    return new Promise((resolve, reject) => this.pending.push({ resolve: resolve as (v: never) => void, reject }));
  }

  /** Answers the oldest request still open. */
  async answer(value: TraceResult | TraceComparison): Promise<void> {
    this.pending.shift()!.resolve(value as never);
    await vi.advanceTimersByTimeAsync(0);
  }

  async fail(error: unknown): Promise<void> {
    this.pending.shift()!.reject(error);
    await vi.advanceTimersByTimeAsync(0);
  }
}

const change = (node: string, kind: FactChange['kind'] = 'route'): FactChange => ({ node, kind, key: 'k', at: '2026-12-06T12:00:01.000Z', op: 'remove', before: null, after: null });

describe('TraceFollower', () => {
  let rest: FakeRest;
  let store: Emitter<LiveStoreEvents>;
  let updates: number;
  let f: TraceFollower;

  beforeEach(() => {
    vi.useFakeTimers();
    rest = new FakeRest();
    store = new Emitter<LiveStoreEvents>();
    updates = 0;
    f = new TraceFollower(rest, store, () => updates++, 300);
  });

  afterEach(() => {
    f.destroy();
    vi.useRealTimers();
  });

  const emit = (...changes: FactChange[]) => store.emit('changes', changes, { catchUp: false });

  it('live: asks for now; a batch touching a forwarding fact of a node on the path asks again 300 ms later, once for a burst', async () => {
    f.follow({ src: 'a', dst: 'b', time: LIVE });
    expect(rest.calls).toEqual([{ kind: 'trace', q: { from: 'a', to: 'b', at: null } }]);
    expect(f.loading).toBe(true);
    await rest.answer(answer(['n1', 'n2']));
    expect(f.result?.verdict).toBe('delivered');
    expect([f.loading, f.runs, f.error]).toEqual([false, 1, null]);
    expect(updates).toBeGreaterThanOrEqual(2);

    // not on the path, or not what forwarding reads: nothing
    emit(change('n3'), change('n1', 'bgpSession'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(rest.calls).toHaveLength(1);

    // a burst on the path: one request, no later than 300 ms after its first batch
    emit(change('n1'));
    await vi.advanceTimersByTimeAsync(200);
    emit(change('n2', 'neigh'));
    await vi.advanceTimersByTimeAsync(99);
    expect(rest.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(rest.calls).toHaveLength(2);
    // the answer shown meanwhile is the last one (no flicker)
    expect(f.result?.verdict).toBe('delivered');
    await rest.answer(answer(['n1'], 'failed'));
    expect(f.result?.verdict).toBe('failed');
    expect(f.runs).toBe(2);
  });

  it('a batch that arrives while a re-run is in flight asks once more after it', async () => {
    f.follow({ src: 'a', dst: 'b', time: LIVE });
    await rest.answer(answer(['n1', 'n2']));
    emit(change('n1'));
    await vi.advanceTimersByTimeAsync(300);
    expect(rest.calls).toHaveLength(2);
    emit(change('n2'));
    await vi.advanceTimersByTimeAsync(300);
    expect(rest.calls).toHaveLength(2);
    await rest.answer(answer(['n1'], 'failed'));
    expect(rest.calls).toHaveLength(3);
    await rest.answer(answer(['n1', 'n2']));
    expect(f.result?.verdict).toBe('delivered');
  });

  it('at a moment: asked once at that moment, live changes do not move it; the same question is not asked twice unless forced', async () => {
    const at = new Date('2026-12-06T11:00:00Z');
    f.follow({ src: 'a', dst: 'b', time: { mode: 'at', at } });
    expect(rest.calls).toEqual([{ kind: 'trace', q: { from: 'a', to: 'b', at } }]);
    await rest.answer(answer(['n1', 'n2']));
    emit(change('n1'));
    await vi.advanceTimersByTimeAsync(1000);
    f.follow({ src: 'a', dst: 'b', time: { mode: 'at', at: new Date(at) } });
    expect(rest.calls).toHaveLength(1);
    f.follow({ src: 'a', dst: 'b', time: { mode: 'at', at } }, true);
    expect(rest.calls).toHaveLength(2);
  });

  it('back to live from a moment keeps the answer shown until the new one comes; new endpoints clear it', async () => {
    f.follow({ src: 'a', dst: 'b', time: { mode: 'at', at: new Date('2026-12-06T11:00:00Z') } });
    await rest.answer(answer(['n1', 'n2']));
    f.follow({ src: 'a', dst: 'b', time: LIVE });
    expect(f.result).not.toBeNull();
    f.follow({ src: 'a', dst: 'c', time: LIVE });
    expect(f.result).toBeNull();
  });

  it('comparing: the compare endpoint with both moments; the later trace is the one shown', async () => {
    const from = new Date('2026-12-06T11:00:00Z');
    const to = new Date('2026-12-06T11:15:00Z');
    f.follow({ src: 'a', dst: 'b', time: { mode: 'compare', from, to } });
    expect(rest.calls).toEqual([{ kind: 'compare', q: { from: 'a', to: 'b', at1: from, at2: to } }]);
    const before = answer(['n1', 'n2']);
    const after = answer(['n1'], 'failed');
    await rest.answer({ before, after, changedAt: { node: 'n1', hop: 0, before: before.branches[0]!.hops[0]!, after: after.branches[0]!.hops[0]! }, changes: [] });
    expect(f.result).toBe(after);
    expect(f.comparison?.before).toBe(before);
  });

  it('a question asked while another is answered: only the newer answer counts', async () => {
    f.follow({ src: 'a', dst: 'b', time: LIVE });
    f.follow({ src: 'a', dst: 'c', time: LIVE });
    await rest.answer(answer(['n1', 'n2']));
    expect(f.result).toBeNull();
    expect(f.loading).toBe(true);
    await rest.answer(answer(['n1', 'n3']));
    expect(f.result?.to.node).toBe('n3');
  });

  it("an error is the answer; the last path's changes still ask again (a route coming back)", async () => {
    f.follow({ src: 'a', dst: 'b', time: LIVE });
    await rest.answer(answer(['n1', 'n2']));
    emit(change('n1'));
    await vi.advanceTimersByTimeAsync(300);
    await rest.fail(new Error('to: no such thing'));
    expect(f.result).toBeNull();
    expect((f.error as Error).message).toBe('to: no such thing');
    emit(change('n2'));
    await vi.advanceTimersByTimeAsync(300);
    expect(rest.calls).toHaveLength(3);
    await rest.answer(answer(['n1', 'n2']));
    expect([f.error, f.result?.verdict]).toEqual([null, 'delivered']);
  });

  it('nothing followed: no request, no re-run, and an answer on its way is dropped', async () => {
    f.follow({ src: 'a', dst: 'b', time: LIVE });
    f.follow(null);
    await rest.answer(answer(['n1', 'n2']));
    expect([f.result, f.loading, f.current]).toEqual([null, false, null]);
    emit(change('n1'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(rest.calls).toHaveLength(1);
  });
});
