import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { factId, makeFact, PROTOCOL_VERSION, type Delta, type Fact } from '@netatlas/wire/core';
import { STREAM_TRANSITIONS, StreamClient, type StreamClientOptions, type StreamState } from './stream-client.js';
import { ScriptedApi, waitFor } from './testing-server.js';

const EPOCH = 1_700_000_000_000;

/** A node whose state the tests change, as the Collector would. */
class FakeNode {
  readonly facts = new Map<string, Fact>();
  constructor(initial = 2) {
    for (let i = 0; i < initial; i++) this.add(i);
  }

  member(i: number): Fact {
    return makeFact('ipsetMember', { set: 'pods', element: `10.0.0.${i}`, timeout: null, comment: null });
  }

  add(...ids: number[]): Delta {
    const upserts = ids.map((i) => this.member(i));
    for (const f of upserts) this.facts.set(factId(f), f);
    return { upserts, deletes: [] };
  }

  remove(i: number): Delta {
    const f = this.member(i);
    this.facts.delete(factId(f));
    return { upserts: [], deletes: [{ kind: f.kind, key: f.key }] };
  }

  snapshot = () => ({ facts: [...this.facts.values()], readers: { ipsets: { status: 'ok' as const, error: null } } });
}

const apis: ScriptedApi[] = [];
const clients: StreamClient[] = [];

afterEach(async () => {
  const done = clients.splice(0);
  await Promise.all(done.map((c) => c.close()));
  await Promise.all(apis.splice(0).map((a) => a.close()));
  // every test's clients moved only along STREAM_TRANSITIONS
  expect(done.flatMap((c) => c.illegalTransitions)).toEqual([]);
});

async function startApi(options: Parameters<typeof ScriptedApi.start>[0] = {}): Promise<ScriptedApi> {
  const api = await ScriptedApi.start({ token: 'secret', ...options });
  apis.push(api);
  return api;
}

function startClient(url: string, node: FakeNode, over: Partial<StreamClientOptions> = {}): { client: StreamClient; logs: string[] } {
  const logs: string[] = [];
  const client = new StreamClient({
    url,
    token: 'secret',
    node: 'node1',
    bootId: 'boot-1',
    version: '1.2.3-test',
    epoch: EPOCH,
    snapshot: node.snapshot,
    log: (m) => logs.push(m),
    backoff: { initialMs: 20, maxMs: 100, jitter: 0 },
    ...over,
  });
  clients.push(client);
  client.start();
  return { client, logs };
}

/** streaming, and the first snapshot acked */
async function streaming(client: StreamClient, seq = 1): Promise<void> {
  await waitFor(() => client.state === 'streaming' && (client.lastAcked?.seq ?? 0) >= seq, `streaming with seq ${seq} acked`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stateOf = (facts: Iterable<Fact>) => new Map([...facts].map((f) => [factId(f), f]));

/** a port nothing listens on (for now) */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('StreamClient', () => {
  it('sends its token in auth; an unauthorized connect error is logged once and retried at the max back-off', async () => {
    const api = await startApi();
    const node = new FakeNode();
    const { client, logs } = startClient(api.url, node, { token: 'wrong', backoff: { initialMs: 5, maxMs: 60, jitter: 0 } });
    await waitFor(() => api.attempts.length >= 4, 'four connection attempts');
    expect(api.attempts.every((a) => a.token === 'wrong')).toBe(true);
    const gaps = api.attempts.slice(1).map((a, i) => a.at - api.attempts[i]!.at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(50);
    const refused = logs.filter((l) => /refused the token/.test(l));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/unauthorized: invalid token.*NETATLAS_TOKEN/);
    expect(client.state).not.toBe('streaming');
    expect(api.of('hello')).toHaveLength(0);

    const good = startClient(api.url, node);
    await streaming(good.client);
    expect(api.attempts.at(-1)!.token).toBe('secret');
  });

  it('says hello, sends a snapshot, then deltas with consecutive seqs in the same epoch', async () => {
    const api = await startApi();
    const node = new FakeNode(2);
    const { client, logs } = startClient(api.url, node);
    await streaming(client);
    client.pushDelta(node.add(3));
    client.pushDelta(node.remove(0));
    client.pushDelta(node.add(4, 5));
    client.pushDelta({ upserts: [], deletes: [] }); // nothing: not sent
    await streaming(client, 4);

    expect(api.of('hello').map((h) => h.message)).toEqual([
      { protocol: PROTOCOL_VERSION, node: 'node1', bootId: 'boot-1', epoch: EPOCH, version: '1.2.3-test', readers: { ipsets: { status: 'ok', error: null } } },
    ]);
    expect(api.sequence()).toEqual(['snapshot:1', 'delta:2', 'delta:3', 'delta:4']);
    for (const r of api.received) if (r.event !== 'hello') expect(r.message.epoch).toBe(EPOCH);
    expect(api.of('snapshot')[0]!.message.facts.map((f) => f.key)).toEqual(['pods|10.0.0.0', 'pods|10.0.0.1']);
    expect(api.facts).toEqual(stateOf(node.facts.values()));
    expect(client.lastAcked).toEqual({ epoch: EPOCH, seq: 4 });
    expect(client.unackedCount).toBe(0);
    expect(client.counters).toMatchObject({ sent: 4, acked: 4, snapshots: 1, retries: 0, dropped: 0, connects: 1 });
    expect(logs).toContain(`connected to ${api.url}/ingest as node1 (epoch ${EPOCH})`);
  });

  it('a hello refused for its epoch starts a new stream: epoch now, seq 1, a snapshot first', async () => {
    const api = await startApi({ acked: { epoch: EPOCH + 10_000, seq: 7 } });
    const node = new FakeNode(2);
    const before = Date.now();
    const { client, logs } = startClient(api.url, node);
    await streaming(client);
    expect(client.epoch).toBeGreaterThanOrEqual(before);
    const hellos = api.of('hello').map((h) => h.message.epoch);
    expect(hellos).toEqual([EPOCH, client.epoch]);
    expect(api.sequence()).toEqual(['snapshot:1']);
    expect(api.of('snapshot')[0]!.message.epoch).toBe(client.epoch);
    expect(client.lastAcked).toEqual({ epoch: client.epoch, seq: 1 });
    expect(logs.some((l) => l.startsWith(`the API refused epoch ${EPOCH} (epoch ${EPOCH} is older than the last stream (epoch ${EPOCH + 10_000})); starting a new stream with epoch ${client.epoch}`))).toBe(true);
    client.pushDelta(node.add(3));
    await streaming(client, 2);
    expect(api.sequence()).toEqual(['snapshot:1', 'delta:2']);
  });

  it('pipelines deltas without waiting for acks and clears them from the buffer as acks arrive', async () => {
    const api = await startApi();
    const node = new FakeNode();
    const { client } = startClient(api.url, node);
    await streaming(client);
    api.holding = true;
    client.pushDelta(node.add(10));
    client.pushDelta(node.add(11));
    client.pushDelta(node.add(12));
    await waitFor(() => api.sequence().includes('delta:4'), 'all three deltas, unacked');
    expect(client.unackedCount).toBe(3);
    expect(client.lastAcked?.seq).toBe(1);
    api.release();
    await waitFor(() => client.unackedCount === 0, 'acks');
    expect(client.lastAcked).toEqual({ epoch: EPOCH, seq: 4 });
  });

  it('replaces the deltas with one snapshot when the unacked buffer would exceed maxUnacked', async () => {
    const api = await startApi();
    const node = new FakeNode();
    const { client, logs } = startClient(api.url, node, { maxUnacked: 3 });
    await streaming(client);
    api.holding = true;
    for (const i of [10, 11, 12]) client.pushDelta(node.add(i)); // seq 2-4, in flight
    client.pushDelta(node.add(13)); // over the bound: the three are dropped, a snapshot is due
    client.pushDelta(node.remove(10)); // covered by the coming snapshot
    await waitFor(() => api.sequence().length === 4, 'the three deltas');
    await sleep(50);
    // nothing more while the API catches up
    expect(api.sequence()).toEqual(['snapshot:1', 'delta:2', 'delta:3', 'delta:4']);
    expect(client.counters.dropped).toBe(5);
    api.release();
    await streaming(client, 5);
    expect(api.sequence()).toEqual(['snapshot:1', 'delta:2', 'delta:3', 'delta:4', 'snapshot:5']);
    expect(api.of('snapshot')[1]!.message.facts).toEqual(node.snapshot().facts);
    client.pushDelta(node.add(14));
    await streaming(client, 6);
    expect(api.sequence().at(-1)).toBe('delta:6');
    expect(api.facts).toEqual(stateOf(node.facts.values()));
    expect(client.counters.snapshots).toBe(2);
    expect(logs.some((l) => /the API is behind: 3 messages.*sending a snapshot instead/.test(l))).toBe(true);
  });

  it('sends a snapshot instead of a delta with more facts than maxUnackedFacts', async () => {
    const api = await startApi();
    const node = new FakeNode();
    const { client } = startClient(api.url, node, { maxUnackedFacts: 5 });
    await streaming(client);
    client.pushDelta(node.add(20, 21, 22));
    client.pushDelta(node.add(23, 24, 25)); // 6 facts unacked: over
    await waitFor(() => api.facts.size === node.facts.size && client.unackedCount === 0, 'the state applied');
    expect(api.sequence()).toEqual(['snapshot:1', 'delta:2', 'snapshot:3']);
    expect(api.facts).toEqual(stateOf(node.facts.values()));
  });

  it('on unavailable resends the same messages, with the same seqs, after a growing back-off', async () => {
    const api = await startApi();
    const node = new FakeNode();
    const { client, logs } = startClient(api.url, node, { backoff: { initialMs: 60, maxMs: 1000, jitter: 0 } });
    await streaming(client);
    // round 1: both rejected. Round 2: seq 2 rejected, 3 and 4 out of order because of it (which
    // is no reason for a snapshot). Round 3: all applied.
    api.script.push('unavailable', 'unavailable', 'unavailable');
    client.pushDelta(node.add(30));
    client.pushDelta(node.remove(0));
    await waitFor(() => client.counters.rejected === 2, 'the first rejections');
    client.pushDelta(node.add(31)); // held back until the resend, then seq 4 right after it
    await streaming(client, 4);

    expect(api.sequence()).toEqual([
      'snapshot:1',
      'delta:2', 'delta:3',
      'delta:2', 'delta:3', 'delta:4',
      'delta:2', 'delta:3', 'delta:4',
    ]);
    const twos = api.of('delta').filter((d) => d.message.seq === 2);
    expect(twos[1]!.message).toEqual(twos[0]!.message);
    expect(twos[2]!.message).toEqual(twos[0]!.message);
    expect(twos[1]!.at - twos[0]!.at).toBeGreaterThanOrEqual(55);
    expect(twos[2]!.at - twos[1]!.at).toBeGreaterThanOrEqual(115);
    expect(client.counters).toMatchObject({ retries: 5, rejected: 5, snapshots: 1, dropped: 0 });
    expect(api.facts).toEqual(stateOf(node.facts.values()));
    expect(logs.some((l) => /unavailable \(scripted unavailable\); resending 2 messages \(seq 2-3\) in 0\.06s/.test(l))).toBe(true);
    expect(logs.some((l) => /the API rejected delta seq 2: unavailable: scripted unavailable/.test(l))).toBe(true);
  });

  it('on out-of-order sends a snapshot with the next seq', async () => {
    const api = await startApi();
    const node = new FakeNode();
    const { client, logs } = startClient(api.url, node);
    await streaming(client);
    api.script.push('out-of-order');
    client.pushDelta(node.add(40));
    await streaming(client, 3);
    client.pushDelta(node.add(41));
    await streaming(client, 4);
    expect(api.sequence()).toEqual(['snapshot:1', 'delta:2', 'snapshot:3', 'delta:4']);
    expect(api.facts).toEqual(stateOf(node.facts.values()));
    expect(logs.some((l) => /delta seq 2 is out of order.*sending a snapshot$/.test(l))).toBe(true);
  });

  it('on too-large logs the limit and retries a snapshot with back-off', async () => {
    const api = await startApi({ maxMessageBytes: 4096 });
    const node = new FakeNode();
    const { client, logs } = startClient(api.url, node, { backoff: { initialMs: 40, maxMs: 1000, jitter: 0 } });
    await streaming(client);
    api.script.push('too-large', 'too-large');
    client.pushDelta(node.add(50));
    await waitFor(() => client.counters.rejected === 1, 'the delta rejected');
    client.pushDelta(node.add(51)); // a snapshot is due: not sent
    await streaming(client, 4);
    expect(api.sequence()).toEqual(['snapshot:1', 'delta:2', 'snapshot:3', 'snapshot:4']);
    const snaps = api.of('snapshot');
    expect(snaps[2]!.at - snaps[1]!.at).toBeGreaterThanOrEqual(75);
    expect(logs.some((l) => /delta seq 2 as too large .*limit 4096 bytes.*sending a snapshot in 0\.04s/.test(l))).toBe(true);
    expect(logs.some((l) => /snapshot seq 3 as too large .*this node's state exceeds the API's limit \(maxMessageBytes 4096 bytes\); retrying a snapshot in 0\.08s/.test(l))).toBe(true);
    expect(api.facts).toEqual(stateOf(node.facts.values()));
  });

  it('sends a large snapshot in parts when the API takes them, one at a time; deltas pushed meanwhile follow its last part', async () => {
    // 2000 members of ~110 bytes: ~220 kB, in parts of at most 10 kB (half of maxMessageBytes)
    const api = await startApi({ maxMessageBytes: 20_000, maxSnapshotBytes: 10_000_000 });
    const node = new FakeNode(2000);
    api.holding = true;
    const { client } = startClient(api.url, node);
    await waitFor(() => api.of('snapshot').length === 1, 'part 0 sent');
    client.pushDelta(node.add(5000)); // while the snapshot is on its way
    await sleep(50);
    expect(api.of('snapshot')).toHaveLength(1); // the next part waits for part 0's ack
    api.release();
    await streaming(client, 2);
    const parts = api.of('snapshot').map((r) => r.message);
    expect(parts.length).toBeGreaterThan(20);
    expect(parts.map((m) => m.part)).toEqual(parts.map((_, index) => ({ index, count: parts.length })));
    for (const m of parts) {
      expect(m.seq).toBe(1);
      expect(JSON.stringify(m).length).toBeLessThanOrEqual(10_000);
    }
    expect(api.sequence().at(-1)).toBe('delta:2');
    expect(api.facts).toEqual(stateOf(node.facts.values()));
    expect(client.counters.parts).toBe(parts.length - 1);
  });

  it('a part refused as unavailable sends the snapshot again from part 0, with the same seq', async () => {
    const api = await startApi({ maxMessageBytes: 20_000, maxSnapshotBytes: 10_000_000 });
    const node = new FakeNode(500);
    const { client } = startClient(api.url, node);
    await streaming(client);
    const count = api.of('snapshot')[0]!.message.part!.count;
    // the delta is refused, so a snapshot (seq 3) follows: its part 0 is kept, its part 1 refused
    api.script.push('out-of-order', null, 'unavailable');
    client.pushDelta(node.add(5000));
    await streaming(client, 3);
    const third = api.of('snapshot').filter((r) => r.message.seq === 3).map((r) => r.message.part!.index);
    expect(third.slice(0, 2)).toEqual([0, 0 + 1]);
    expect(third.slice(2)).toEqual(Array.from({ length: count }, (_, i) => i)); // from part 0 again, to the last
    expect(client.counters.retries).toBe(1);
    expect(api.facts).toEqual(stateOf(node.facts.values()));
  });

  it('sends a snapshot whole to an API that does not announce parts', async () => {
    const api = await startApi({ maxMessageBytes: 20_000 });
    const node = new FakeNode(500);
    const { client } = startClient(api.url, node);
    await streaming(client);
    expect(api.of('snapshot')).toHaveLength(1);
    expect(api.of('snapshot')[0]!.message.part).toBeUndefined();
  });

  it('an API of the previous protocol refuses our hello: says hello again in its protocol, streams with whole snapshots, and tries ours again on the next connection', async () => {
    const api = await startApi({ speaksOnly: PROTOCOL_VERSION - 1, maxMessageBytes: 20_000 });
    const node = new FakeNode(500);
    const { client, logs } = startClient(api.url, node);
    await streaming(client);
    const hellos = () => api.of('hello').map((r) => r.message.protocol);
    expect(hellos()).toEqual([PROTOCOL_VERSION, PROTOCOL_VERSION - 1]);
    expect(logs.some((l) => l.includes(`does not speak protocol ${PROTOCOL_VERSION}`) && l.includes('snapshots sent without asking for a turn'))).toBe(true);
    expect(api.of('snapshot').every((r) => r.message.part === undefined)).toBe(true);
    // protocol 2 asks for no turn: the snapshot goes unasked
    expect(api.of('snapshotTurn')).toHaveLength(0);
    client.pushDelta(node.add(600));
    await streaming(client, 2);
    expect(api.facts).toEqual(stateOf(node.facts.values()));
    // the API restarts (upgraded or not): the next connection tries our protocol first again
    await api.close();
    apis.splice(apis.indexOf(api), 1);
    await waitFor(() => client.state !== 'streaming', 'the disconnection');
    const again = await startApi({ port: api.port, acked: api.acked, facts: api.facts, speaksOnly: PROTOCOL_VERSION - 1, maxMessageBytes: 20_000 });
    await streaming(client, 3);
    expect(again.of('hello').map((r) => r.message.protocol)).toEqual([PROTOCOL_VERSION, PROTOCOL_VERSION - 1]);
    expect(again.facts).toEqual(stateOf(node.facts.values()));
  });

  it('an API of our protocol is never spoken to in the previous one', async () => {
    const api = await startApi({ speaksOnly: PROTOCOL_VERSION });
    const node = new FakeNode();
    const { client } = startClient(api.url, node);
    await streaming(client);
    expect(api.of('hello').map((r) => r.message.protocol)).toEqual([PROTOCOL_VERSION]);
  });

  it('asks for a turn before each snapshot and, told to wait, asks again only after retryAfterMs', async () => {
    const api = await startApi();
    api.turnScript.push({ ok: true, granted: false, retryAfterMs: 150, ahead: 7 }, { ok: true, granted: false, retryAfterMs: 100, ahead: 2 });
    const node = new FakeNode(3);
    const { client, logs } = startClient(api.url, node);
    await waitFor(() => api.of('snapshotTurn').length === 1, 'the first ask');
    // a delta while waiting for the turn is not sent: the snapshot will hold it
    client.pushDelta(node.add(70));
    await streaming(client);
    const asks = api.of('snapshotTurn');
    expect(asks.map((a) => a.message)).toEqual([{ epoch: EPOCH }, { epoch: EPOCH }, { epoch: EPOCH }]);
    expect(asks[1]!.at - asks[0]!.at).toBeGreaterThanOrEqual(145);
    expect(asks[2]!.at - asks[1]!.at).toBeGreaterThanOrEqual(95);
    // the snapshot came after the granted ask, never without a turn, and holds the delta
    const snapshot = api.of('snapshot')[0]!;
    expect(snapshot.at).toBeGreaterThanOrEqual(asks[2]!.at);
    expect(api.snapshotsWithoutTurn).toBe(0);
    expect(api.sequence()).toEqual(['snapshot:1']);
    expect(api.facts).toEqual(stateOf(node.facts.values()));
    expect(client.counters).toMatchObject({ turnAsks: 3, turnWaits: 2, snapshots: 1 });
    expect(logs.some((l) => /waiting for a turn to send the snapshot: 7 ahead, asking again in 0\.15s/.test(l))).toBe(true);
    // the next snapshot (after an out-of-order delta) asks again
    api.script.push('out-of-order');
    client.pushDelta(node.add(71));
    await streaming(client, 3);
    expect(api.of('snapshotTurn')).toHaveLength(4);
    expect(api.sequence()).toEqual(['snapshot:1', 'delta:2', 'snapshot:3']);
    expect(api.snapshotsWithoutTurn).toBe(0);
  });

  it('a snapshot refused as unavailable is sent again, with its seq, only in a new turn', async () => {
    const api = await startApi();
    const node = new FakeNode(3);
    const { client } = startClient(api.url, node, { backoff: { initialMs: 60, maxMs: 1000, jitter: 0 } });
    api.script.push('unavailable');
    api.turnScript.push({ ok: true, granted: true, idleMs: 10_000 }, { ok: true, granted: false, retryAfterMs: 80, ahead: 0 });
    await streaming(client);
    expect(api.sequence()).toEqual(['snapshot:1', 'snapshot:1']);
    const [first, again] = api.of('snapshot');
    expect(again!.message).toEqual(first!.message);
    // back-off, then an ask told to wait, then a granted one, then the snapshot again
    const asks = api.of('snapshotTurn').map((a) => a.at);
    expect(asks).toHaveLength(3);
    expect(asks[1]! - first!.at).toBeGreaterThanOrEqual(55);
    expect(asks[2]! - asks[1]!).toBeGreaterThanOrEqual(75);
    expect(again!.at).toBeGreaterThanOrEqual(asks[2]!);
    expect(api.snapshotsWithoutTurn).toBe(0);
    expect(client.counters).toMatchObject({ retries: 1, turnAsks: 3, turnWaits: 1 });
  });

  it('a turn request refused for no-hello says hello again, then asks again', async () => {
    const api = await startApi();
    api.turnScript.push({ ok: false, code: 'no-hello', error: 'say hello first', retry: false });
    const node = new FakeNode(2);
    const { client } = startClient(api.url, node);
    await streaming(client);
    expect(api.of('hello')).toHaveLength(2);
    expect(api.of('snapshotTurn')).toHaveLength(2);
    expect(api.snapshotsWithoutTurn).toBe(0);
  });

  it('reconnects after a back-off with full jitter: anywhere from 0 to 0.5 s doubling, not ±50 % around it', async () => {
    // a server that takes each connection and drops it: every attempt fails, and waits the next back-off
    const attempts: number[] = [];
    const dropper = createServer((socket) => {
      attempts.push(Date.now());
      socket.destroy();
    });
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', () => r()));
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.99);
    try {
      const node = new FakeNode();
      // the default back-off (no `backoff` option): with random 0.99 each wait is 1 % of 0.5 s, 1 s, 2 s, …;
      // ±50 % would have been 0.75 s at least
      const { client } = startClient(`http://127.0.0.1:${(dropper.address() as { port: number }).port}`, node, { backoff: undefined });
      await sleep(400);
      expect(attempts.length).toBeGreaterThanOrEqual(4);
      await client.close();
    } finally {
      random.mockRestore();
      dropper.close();
    }
  });

  it('on no-hello says hello again and sends a snapshot', async () => {
    const api = await startApi();
    const node = new FakeNode();
    const { client } = startClient(api.url, node);
    await streaming(client);
    api.script.push('no-hello');
    client.pushDelta(node.add(60));
    await streaming(client, 3);
    const hellos = api.of('hello');
    expect(hellos).toHaveLength(2);
    expect(hellos[1]!.socket).toBe(hellos[0]!.socket);
    expect(api.sequence()).toEqual(['snapshot:1', 'delta:2', 'snapshot:3']);
  });

  it('after an API restart reconnects, says hello and sends a snapshot with a higher seq in the same epoch', async () => {
    const first = await startApi();
    const node = new FakeNode();
    const { client, logs } = startClient(first.url, node);
    await streaming(client);
    client.pushDelta(node.add(70));
    client.pushDelta(node.add(71));
    await streaming(client, 3);
    first.holding = true;
    client.pushDelta(node.add(72)); // seq 4: sent, never acked
    await waitFor(() => first.sequence().includes('delta:4'), 'delta 4');

    await first.close();
    apis.splice(apis.indexOf(first), 1);
    await waitFor(() => client.state !== 'streaming', 'the disconnection');
    expect(logs.some((l) => /^disconnected: transport close, retrying in 0\.02s \(1 unacked messages: a snapshot follows\)$/.test(l))).toBe(true);
    client.pushDelta(node.add(73)); // while disconnected: not sent, not kept

    const second = await startApi({ port: first.port, acked: first.acked, facts: first.facts });
    await streaming(client, 5);
    expect(second.of('hello').map((h) => h.message.epoch)).toEqual([EPOCH]);
    expect(second.sequence()).toEqual(['snapshot:5']);
    expect(second.facts).toEqual(stateOf(node.facts.values()));
    expect(client.counters).toMatchObject({ connects: 2, snapshots: 2, dropped: 2 });
    expect(logs.filter((l) => l.startsWith('connected to'))).toHaveLength(2);
    expect(logs.at(-1)).toMatch(/connected to .*; 2 deltas from while disconnected are covered by the snapshot/);
  });

  it('does not send deltas pushed while disconnected: the first snapshot holds them', async () => {
    const port = await freePort();
    const node = new FakeNode();
    const { client, logs } = startClient(`http://127.0.0.1:${port}`, node);
    await waitFor(() => logs.some((l) => l.startsWith('cannot connect to')), 'a failed attempt');
    client.pushDelta(node.add(80));
    client.pushDelta(node.remove(0));
    expect(client.counters.dropped).toBe(2);
    const api = await startApi({ port });
    await streaming(client);
    await sleep(30);
    expect(api.sequence()).toEqual(['snapshot:1']);
    expect(api.of('snapshot')[0]!.message.facts.map((f) => f.key)).toEqual(['pods|10.0.0.1', 'pods|10.0.0.80']);
    expect(logs.filter((l) => l.startsWith('cannot connect to'))).toHaveLength(1);
  });

  it('sends a heartbeat with the last seq sent every heartbeatMs', async () => {
    const api = await startApi({ heartbeatMs: 40 });
    const node = new FakeNode();
    const { client } = startClient(api.url, node);
    await streaming(client);
    await sleep(250);
    const beats = api.of('heartbeat');
    expect(beats.length).toBeGreaterThanOrEqual(4);
    expect(beats.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < beats.length; i++) expect(beats[i]!.at - beats[i - 1]!.at).toBeGreaterThanOrEqual(30);
    expect(beats.map((b) => b.message)).toContainEqual({ epoch: EPOCH, seq: 1 });
    client.pushDelta(node.add(90));
    await streaming(client, 2);
    const n = api.of('heartbeat').length;
    await waitFor(() => api.of('heartbeat').length > n, 'the next heartbeat');
    expect(api.of('heartbeat').at(-1)!.message).toEqual({ epoch: EPOCH, seq: 2 });
  });

  it('close() waits for the unacked messages to be acked, then disconnects', async () => {
    const api = await startApi();
    const node = new FakeNode();
    const { client } = startClient(api.url, node);
    await streaming(client);
    api.holding = true;
    client.pushDelta(node.add(95));
    await waitFor(() => api.sequence().includes('delta:2'), 'delta 2');
    setTimeout(() => api.release(), 30);
    await client.close(2000);
    expect(client.state).toBe('closed');
    expect(client.lastAcked?.seq).toBe(2);
    client.pushDelta(node.add(96)); // ignored after close
    expect(client.counters.dropped).toBe(0);
  });

  it('leave() waits for the unacked deltas, sends the leave as the next seq, and closes once it is acked', async () => {
    const api = await startApi();
    const node = new FakeNode(3);
    const { client } = startClient(api.url, node);
    await streaming(client);
    api.holding = true;
    client.pushDelta(node.add(90));
    await waitFor(() => api.sequence().includes('delta:2'), 'delta 2');
    setTimeout(() => api.release(), 50);
    expect(await client.leave('namespace removed', 3000)).toBe(true);
    expect(api.sequence()).toEqual(['snapshot:1', 'delta:2', 'leave:3']);
    expect(api.of('leave')[0]?.message).toMatchObject({ epoch: EPOCH, seq: 3, reason: 'namespace removed' });
    expect(api.facts.size).toBe(0);
    expect(client.state).toBe('closed');
    client.pushDelta(node.add(91)); // nothing after the leave
    expect(api.sequence()).toHaveLength(3);
  });

  it('leave() after an out-of-order rejection resends a snapshot first, then the leave', async () => {
    const api = await startApi();
    const node = new FakeNode();
    const { client } = startClient(api.url, node);
    await streaming(client);
    // the API lost track of this stream (as after a restore): the leave does not follow its last message
    api.acked = { epoch: EPOCH, seq: 0 };
    expect(await client.leave('namespace removed', 3000)).toBe(true);
    expect(api.sequence()).toEqual(['snapshot:1', 'leave:2', 'snapshot:3', 'leave:4']);
  });

  it('leave() gives up after its timeout when the API cannot be reached', async () => {
    const api = await startApi();
    const node = new FakeNode();
    const { client, logs } = startClient(api.url, node);
    await streaming(client);
    await api.close();
    const t0 = Date.now();
    expect(await client.leave('namespace removed', 400)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(logs.some((l) => l.includes('could not tell'))).toBe(true);
    expect(client.state).toBe('closed');
  });

  it('walks every transition of STREAM_TRANSITIONS, and no other', async () => {
    const seen = new Set<string>();
    const watch = (): Partial<StreamClientOptions> => {
      let from: StreamState = 'disconnected';
      return {
        onState: (to) => {
          seen.add(`${from} -> ${to}`);
          from = to;
        },
      };
    };
    const clientsMade: StreamClient[] = [];
    const run = (url: string, node: FakeNode, over: Partial<StreamClientOptions> = {}) => {
      const { client } = startClient(url, node, { ...watch(), helloTimeoutMs: 300, ...over });
      clientsMade.push(client);
      return client;
    };
    const node = new FakeNode();

    // disconnected -> connecting -> hello -> resyncing -> streaming; streaming -> resyncing (out of
    // order) -> streaming; streaming -> hello (no-hello); resyncing -> hello (no-hello on the
    // snapshot); streaming -> closed
    const api = await startApi();
    const a = run(api.url, node);
    await streaming(a);
    api.script.push('out-of-order');
    a.pushDelta(node.add(80));
    await streaming(a, 3);
    api.script.push('no-hello', 'no-hello');
    a.pushDelta(node.add(81));
    await streaming(a, 6);
    await a.close();

    // connecting -> disconnected (nothing listens), disconnected -> closed
    const nobody = await freePort();
    const b = run(`http://127.0.0.1:${nobody}`, node);
    await waitFor(() => b.counters.connects === 0 && b.state === 'disconnected', 'a failed connect');
    await b.close();

    // hello -> disconnected (no reply within the hello time-out), hello -> closed
    api.ignoringHellos = true;
    const c = run(api.url, node);
    await waitFor(() => seen.has('hello -> disconnected'), 'a hello time-out');
    await waitFor(() => c.state === 'hello', 'hello again');
    await c.close();
    api.ignoringHellos = false;

    // resyncing -> closed (the snapshot's ack held), resyncing -> disconnected (the API goes meanwhile)
    api.holding = true;
    const d = run(api.url, node);
    await waitFor(() => d.state === 'resyncing' && api.of('snapshot').length > 0, 'a snapshot on its way');
    await d.close();
    const e = run(api.url, node);
    await waitFor(() => e.state === 'resyncing', 'resyncing');
    await api.close();
    apis.splice(apis.indexOf(api), 1);
    await waitFor(() => e.state === 'disconnected', 'the API gone while resyncing');
    await e.close();

    // streaming -> disconnected; connecting -> closed (a server that takes the connection and never answers)
    const api2 = await startApi();
    const f = run(api2.url, node);
    await streaming(f);
    await api2.close();
    apis.splice(apis.indexOf(api2), 1);
    await waitFor(() => f.state === 'disconnected', 'the API gone while streaming');
    await f.close();
    const mute = createServer(() => undefined);
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    try {
      const g = run(`http://127.0.0.1:${(mute.address() as { port: number }).port}`, node, { connectTimeoutMs: 60_000 });
      await waitFor(() => g.state === 'connecting', 'connecting');
      await g.close();
    } finally {
      mute.close();
    }

    const table = Object.entries(STREAM_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from} -> ${to}`));
    expect([...seen].sort()).toEqual(table.sort());
    expect(clientsMade.flatMap((client) => client.illegalTransitions)).toEqual([]);
  });
});
