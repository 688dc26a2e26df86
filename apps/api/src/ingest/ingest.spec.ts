// The collectors' protocol against the real API and Postgres: authentication, hello, snapshot,
// numbered deltas, idempotence, and every kind of bad message rejected with nothing applied.
import type { Fact } from '@netatlas/wire';
import { decodeTopologyPatch } from '@netatlas/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { connectIngest, connectLive, FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { member, neigh, route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';

const sortFacts = (facts: Fact[]) => [...facts].sort((a, b) => (a.kind + a.key < b.kind + b.key ? -1 : 1));

describe('ingest', () => {
  let t: TestApi;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    t = await startTestApi('ingest', { lostAfterMs: 1500, heartbeatMs: 500, maxMessageBytes: 200_000 });
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  const collector = async (node: string, epoch?: number) => {
    const c = await FakeCollector.connect(t.url, node, epoch);
    open.push(c);
    return c;
  };
  const factsOf = async (node: string, query = '') => (await t.get<{ facts: Fact[] }>(`/api/nodes/${node}/facts${query}`)).body.facts;

  it('refuses a connection without a token or with a wrong one', async () => {
    await expect(connectIngest(t.url, null)).rejects.toThrow(/unauthorized: no token/);
    await expect(connectIngest(t.url, 'not-the-token-at-all')).rejects.toThrow(/unauthorized: wrong token/);
    expect((await t.get<{ nodes: unknown[] }>('/api/nodes')).body.nodes).toEqual([]);
  });

  it('hello, snapshot, then deltas: the state follows, and each ack comes after commit', async () => {
    const c = await collector('n1');
    const a = route('10.233.2.0/24', '172.20.0.12');
    const b = route('10.233.3.0/24', '172.20.0.13');
    const ack1 = await c.snapshot([a, b, neigh('172.20.0.12', 'aa:bb:cc:00:00:02')]);
    expect(ack1).toMatchObject({ ok: true, seq: 1, duplicate: false, changes: 3 });
    expect(sortFacts(await factsOf('n1', '?kind=route'))).toEqual(sortFacts([a, b]));

    const b2 = route('10.233.3.0/24', '172.20.0.13', 'eth0');
    (b2.value as { protocol: string }).protocol = 'bgp';
    const ack2 = await c.delta([b2, member('kube-router-pod-subnets', '10.233.4.0/24')], [{ kind: 'route', key: a.key }]);
    expect(ack2).toMatchObject({ ok: true, seq: 2, duplicate: false, changes: 3 });
    expect(sortFacts(await factsOf('n1', '?kind=route'))).toEqual([b2]);
    // the state just before the delta is still there
    const before = new Date(Date.parse((ack2 as { at: string }).at) - 1).toISOString();
    expect(sortFacts(await factsOf('n1', `?kind=route&at=${before}`))).toEqual(sortFacts([a, b]));

    const nodes = (await t.get<{ nodes: Array<{ name: string; status: string }> }>('/api/nodes')).body.nodes;
    expect(nodes.find((n) => n.name === 'n1')).toMatchObject({ status: 'connected' });
  });

  it('a leave ends every fact of the node, marks it left, refuses more of the stream, and a new hello rejoins it', async () => {
    const live = await connectLive(t.url, { nodes: ['nleave'], topology: false });
    open.push(live);
    const events: Array<{ type: string; status: string }> = [];
    live.on('nodeEvent', (e) => events.push(e));
    const c = await collector('nleave');
    const facts = [route('10.7.0.0/24'), route('10.7.1.0/24'), neigh('172.20.0.70', 'aa:bb:cc:00:00:70')];
    const snap = await c.snapshot(facts);
    expect(await c.raw('leave', { epoch: c.epoch, seq: 2, takenAt: new Date().toISOString(), reason: '' })).toMatchObject({ ok: false, code: 'invalid' });
    const ack = await c.leave('namespace removed');
    expect(ack).toMatchObject({ ok: true, seq: 2, duplicate: false, changes: 3 });
    const at = (ack as { at: string }).at;
    expect(await factsOf('nleave')).toEqual([]);
    // the moment before the leave still holds everything
    expect(sortFacts(await factsOf('nleave', `?at=${new Date(Date.parse(at) - 1).toISOString()}`))).toEqual(sortFacts(facts));
    expect(Date.parse(at)).toBeGreaterThan(Date.parse((snap as { at: string }).at));
    const node = (await t.get<{ nodes: Array<{ name: string; status: string }> }>('/api/nodes')).body.nodes.find((n) => n.name === 'nleave');
    expect(node?.status).toBe('left');
    const recorded = (await t.get<{ events: Array<{ type: string; detail: Record<string, unknown> }> }>(`/api/events?node=nleave`)).body.events;
    expect(recorded.find((e) => e.type === 'left')?.detail).toEqual({ reason: 'namespace removed', facts: 3 });
    await expect.poll(() => events.find((e) => e.type === 'left')).toMatchObject({ status: 'left' });
    // nothing more through this connection, and a disconnect does not turn `left` into `disconnected`
    expect(await c.delta([route('10.7.2.0/24')], [])).toMatchObject({ ok: false, code: 'invalid' });
    c.close();
    await new Promise((r) => setTimeout(r, 300));
    expect((await t.get<{ nodes: Array<{ name: string; status: string }> }>('/api/nodes')).body.nodes.find((n) => n.name === 'nleave')?.status).toBe('left');
    // a collector for the node again: connected, and its snapshot brings the facts back
    const again = await collector('nleave');
    expect(await again.snapshot(facts)).toMatchObject({ ok: true, changes: 3 });
    expect((await t.get<{ nodes: Array<{ name: string; status: string }> }>('/api/nodes')).body.nodes.find((n) => n.name === 'nleave')?.status).toBe('connected');
  });

  it('acknowledges a repeated or old (epoch, seq) without applying it again', async () => {
    const c = await collector('n2');
    await c.snapshot([route('10.0.0.0/24')]);
    const ack = await c.delta([route('10.0.1.0/24')], []);
    const changesBefore = (await t.get<{ changes: unknown[] }>(`/api/changes?from=2000-01-01T00:00:00Z&node=n2`)).body.changes.length;
    // the same seq again, with different content: acknowledged as a duplicate, ignored
    const again = await c.delta([route('10.0.2.0/24')], [], 2);
    expect(again).toEqual({ ok: true, epoch: c.epoch, seq: 2, duplicate: true, at: null, changes: 0 });
    const old = await c.snapshot([], 1);
    expect(old).toMatchObject({ ok: true, duplicate: true });
    expect(ack).toMatchObject({ ok: true, duplicate: false });
    expect((await t.get<{ changes: unknown[] }>(`/api/changes?from=2000-01-01T00:00:00Z&node=n2`)).body.changes.length).toBe(changesBefore);
    expect((await factsOf('n2', '?kind=route')).map((f) => (f.value as { dst: string }).dst).sort()).toEqual(['10.0.0.0/24', '10.0.1.0/24']);
  });

  it('rejects an out-of-order delta and applies nothing of it; a snapshot recovers', async () => {
    const c = await collector('n3');
    await c.snapshot([route('10.1.0.0/24')]);
    const skip = await c.delta([route('10.1.9.0/24')], [], 5);
    expect(skip).toMatchObject({ ok: false, code: 'out-of-order', retry: false });
    expect((skip as { error: string }).error).toContain('expected seq 2');
    expect(c.errors.at(-1)).toMatchObject({ event: 'delta', seq: 5, code: 'out-of-order' });
    expect(await factsOf('n3', '?kind=route')).toHaveLength(1);
    expect(await c.snapshot([route('10.1.0.0/24'), route('10.1.1.0/24')], 6)).toMatchObject({ ok: true, changes: 1 });
    expect(await c.delta([], [{ kind: 'route', key: route('10.1.0.0/24').key }], 7)).toMatchObject({ ok: true, changes: 1 });
  });

  it('rejects a delta before any snapshot of its epoch', async () => {
    const c = await collector('n3b');
    expect(await c.delta([route('10.9.0.0/24')], [])).toMatchObject({ ok: false, code: 'out-of-order' });
  });

  it('rejects malformed messages with the problem named, and applies nothing of them', async () => {
    const c = await collector('n4');
    await c.snapshot([route('10.2.0.0/24')]);
    const good = route('10.2.1.0/24');
    const bad = { ...route('10.2.2.0/24') } as Fact;
    (bad.value as unknown as { metric: string }).metric = 'high';
    const reply = (await c.raw('delta', { epoch: c.epoch, seq: 2, takenAt: new Date().toISOString(), upserts: [good, bad], deletes: [] })) as {
      ok: boolean;
      code: string;
      error: string;
    };
    expect(reply).toMatchObject({ ok: false, code: 'invalid', retry: false });
    expect(reply.error).toContain('upserts[1].value.metric');
    expect(c.errors.at(-1)).toMatchObject({ event: 'delta', code: 'invalid', seq: 2 });

    const unknownField = (await c.raw('delta', { epoch: c.epoch, seq: 2, takenAt: new Date().toISOString(), upserts: [], deletes: [], extra: 1 })) as { error: string };
    expect(unknownField.error).toMatch(/extra/);
    // a snapshot goes in its turn (protocol 3); in it, one that is no object is invalid
    await c.turn();
    const notAnObject = (await c.raw('snapshot', 'hello')) as { code: string };
    expect(notAnObject.code).toBe('invalid');
    const repeated = (await c.raw('delta', { epoch: c.epoch, seq: 2, takenAt: new Date().toISOString(), upserts: [good, good], deletes: [] })) as { error: string };
    expect(repeated.error).toContain('upserts[1] repeats route');
    const wrongEpoch = (await c.raw('delta', { epoch: c.epoch + 1, seq: 2, takenAt: new Date().toISOString(), upserts: [], deletes: [] })) as { error: string };
    expect(wrongEpoch.error).toContain('not the epoch of this connection');

    expect((await factsOf('n4', '?kind=route')).map((f) => (f.value as { dst: string }).dst)).toEqual(['10.2.0.0/24']);
    // the stream goes on from where it was
    expect(await c.delta([good], [], 2)).toMatchObject({ ok: true, changes: 1 });
  });

  it('rejects an oversized message with its size and the limit', async () => {
    const c = await collector('n5');
    const many = Array.from({ length: 1200 }, (_, i) => route(`10.${Math.floor(i / 250)}.${i % 250}.0/24`));
    const reply = await c.snapshot(many);
    expect(reply).toMatchObject({ ok: false, code: 'too-large' });
    expect((reply as { error: string }).error).toMatch(/the message is \d+ bytes; the limit is 200000/);
    expect(await factsOf('n5')).toEqual([]);
  });

  it('refuses snapshots and deltas before hello', async () => {
    const socket = await connectIngest(t.url);
    open.push(socket);
    const c = new FakeCollector(socket, 'n6');
    expect(await c.snapshot([route('10.3.0.0/24')])).toMatchObject({ ok: false, code: 'no-hello' });
  });

  it('refuses a hello from an older epoch than the node last streamed', async () => {
    const c = await collector('n7', 2_000_000);
    await c.snapshot([]);
    const older = new FakeCollector(await connectIngest(t.url), 'n7', 1_000_000);
    open.push(older);
    const reply = await older.hello();
    expect(reply).toMatchObject({ ok: false, code: 'stale-epoch' });
    expect((reply as { error: string }).error).toContain('another collector runs with the same node name');
  });

  it('a reconnect snapshot records the difference as changes and marks the gap', async () => {
    const c1 = await collector('n8', 3_000_000);
    const keep = route('10.4.0.0/24');
    const lost = route('10.4.1.0/24');
    await c1.snapshot([keep, lost]);
    c1.close();
    await expect.poll(async () => (await t.get<{ nodes: Array<{ name: string; status: string }> }>('/api/nodes')).body.nodes.find((n) => n.name === 'n8')?.status).toBe('disconnected');
    const c2 = await collector('n8', 3_000_001);
    const added = route('10.4.2.0/24');
    const ack = await c2.snapshot([keep, added]);
    expect(ack).toMatchObject({ ok: true, changes: 2 });
    const events = (await t.get<{ events: Array<{ type: string; detail: Record<string, unknown> }> }>('/api/events?node=n8')).body.events;
    expect(events.map((e) => e.type)).toEqual(['first_seen', 'connected', 'disconnected', 'connected', 'resynced', 'gap']);
    expect(events.at(-1)!.detail).toMatchObject({ changes: 2 });
    const changes = (await t.get<{ changes: Array<{ key: string; op: string }> }>('/api/changes?from=2000-01-01T00:00:00Z&node=n8')).body.changes;
    expect(changes.filter((ch) => ch.op === 'remove').map((ch) => ch.key)).toEqual([lost.key]);
  });

  it('marks a collector lost when its heartbeats stop, and connected again when they resume', async () => {
    const c = await collector('n9');
    await c.snapshot([]);
    const status = async () => (await t.get<{ nodes: Array<{ name: string; status: string }> }>('/api/nodes')).body.nodes.find((n) => n.name === 'n9')?.status;
    expect(await status()).toBe('connected');
    await expect.poll(status, { timeout: 6000, interval: 200 }).toBe('lost');
    c.socket.emit('heartbeat', { epoch: c.epoch, seq: c.seq });
    await expect.poll(status, { timeout: 3000 }).toBe('connected');
    const types = (await t.get<{ events: Array<{ type: string }> }>('/api/events?node=n9')).body.events.map((e) => e.type);
    expect(types).toEqual(['first_seen', 'connected', 'lost', 'connected']);
  });

  it('pages through changes with the next cursor, in order, without losing or repeating one', async () => {
    const c = await collector('n11');
    await c.snapshot([route('10.6.0.0/24'), route('10.6.1.0/24'), route('10.6.2.0/24')]);
    await c.delta([route('10.6.3.0/24'), route('10.6.1.0/24', '172.20.0.99')], [{ kind: 'route', key: route('10.6.0.0/24').key }]);
    await c.delta([], [{ kind: 'route', key: route('10.6.2.0/24').key }]);
    type Page = { changes: Array<{ key: string; op: string; at: string }>; next: string | null };
    const all = (await t.get<Page>('/api/changes?from=2000-01-01T00:00:00Z&node=n11&limit=10000')).body;
    expect(all.next).toBeNull();
    expect(all.changes.map((ch) => ch.op)).toEqual(['add', 'add', 'add', 'remove', 'change', 'add', 'remove']);
    const paged: Page['changes'] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 20; guard++) {
      const page: Page = (await t.get<Page>(`/api/changes?from=2000-01-01T00:00:00Z&node=n11&limit=2${after ? `&after=${after}` : ''}`)).body;
      paged.push(...page.changes);
      after = page.next;
      if (!after) break;
    }
    expect(paged).toEqual(all.changes);
  });

  it('sends topology patches (derived in a worker thread) to browsers that ask for them', async () => {
    const live = await connectLive(t.url, { topology: true, nodes: ['n12'] });
    open.push(live);
    const patches: Array<{ upsertNodes: Array<{ id: string }>; removeNodes: string[] }> = [];
    live.on('topology', (p) => patches.push(decodeTopologyPatch(p)));
    // give the worker its initial state before the node appears
    await new Promise((r) => setTimeout(r, 500));
    const c = await collector('n12');
    await c.snapshot([route('10.7.0.0/24')]);
    // the worker starts, reads the state and derives at a lower CPU priority: slower when the
    // machine is busy (as while the other test files run)
    await expect.poll(() => patches.flatMap((p) => p.upsertNodes.map((n) => n.id)), { timeout: 20_000 }).toContain('host:n12');
  }, 30_000);

  it('pushes committed changes to a browser subscribed on /live, batched', async () => {
    const live = await connectLive(t.url, { topology: false, nodes: ['n10'] });
    open.push(live);
    const received: Array<{ node: string; key: string; op: string }> = [];
    live.on('changes', (batch) => received.push(...batch.changes));
    const c = await collector('n10');
    await c.snapshot([route('10.5.0.0/24')]);
    await c.delta([route('10.5.1.0/24')], [{ kind: 'route', key: route('10.5.0.0/24').key }]);
    await expect.poll(() => received.length, { timeout: 3000 }).toBe(3);
    expect(received.map((r) => [r.op, r.key])).toEqual([
      ['add', route('10.5.0.0/24').key],
      ['add', route('10.5.1.0/24').key],
      ['remove', route('10.5.0.0/24').key],
    ]);
  });
});
