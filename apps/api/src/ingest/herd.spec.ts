// A herd of protocol-3 collectors against the real API and Postgres (issue 18): each asks for its
// turn before its snapshot; at most NETATLAS_SNAPSHOT_TURNS hold one at once, the next few are kept
// waiting for the turns that free, and the rest are told when to ask again, from their place in line; every snapshot sent in its turn is taken (none is
// sent only to be refused); a turn-holder that goes frees its turn; a snapshot without a turn is
// refused before it costs anything; malformed turn requests are `invalid`; collectors of protocols 1
// and 2 still send their snapshots unasked, as before, while the turns are all held.
import { type Fact, type SnapshotTurnReply } from '@netatlas/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeCollector, connectIngest, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';
import { IngestService } from './ingest.service.js';
import { TURN_MS_GUESS } from './snapshot-turns.js';

const TURNS = 3;
const routes = (n: number, second: number) => Array.from({ length: n }, (_, i) => route(`10.${second}.${i >> 8}.${i & 255}/32`, '172.20.0.11', 'eth0'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a herd of collectors taking turns', () => {
  let t: TestApi;
  let ingest: IngestService;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    t = await startTestApi('snapshot_turns', { snapshotTurns: TURNS, maxMessageBytes: 1 << 20 });
    ingest = t.api.app.get(IngestService);
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  const collector = async (node: string, protocol?: 1 | 2 | 3) => {
    const c = await FakeCollector.connect(t.url, node, undefined, protocol);
    open.push(c);
    return c;
  };
  const routesOf = async (node: string) => (await t.get<{ facts: Fact[] }>(`/api/nodes/${node}/facts?kind=route`)).body.facts;
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await fetch(`${t.url}/metrics`).then((r) => r.text()))?.[1]);
  /** every turn given back (the holders' answers sent) */
  const allFree = () => expect.poll(() => ingest.turns.holding, { timeout: 5000 }).toBe(0);

  it(`grants ${TURNS} turns, keeps the next ${2 * TURNS} asks waiting for the turns that free, in order, tells the rest when to ask again, and refuses a snapshot without a turn`, async () => {
    const cs = await Promise.all(Array.from({ length: 12 }, (_, i) => collector(`ask-${i}`)));
    for (const c of cs.slice(0, TURNS)) expect(await c.askTurn()).toEqual({ ok: true, granted: true, idleMs: 10_000 });
    // the next ones are kept waiting for their answer (one at a time here, so that their order is known)
    const kept: Promise<SnapshotTurnReply>[] = [];
    for (const c of cs.slice(TURNS, 3 * TURNS)) {
      const answer = c.askTurn();
      answer.catch(() => undefined); // the last ones go unanswered: their sockets close below
      kept.push(answer);
      await expect.poll(() => ingest.turns.parkedNow).toBe(kept.length);
    }
    // the rest are told when to ask again: their place in line (behind the kept ones), a third of a
    // turn's time each (three turns at once; nothing measured yet: TURN_MS_GUESS a turn), ± half a turn
    const told: Array<Extract<SnapshotTurnReply, { granted: false }>> = [];
    for (const c of cs.slice(3 * TURNS)) {
      const reply = await c.askTurn();
      if (!reply.ok || reply.granted) throw new Error(`expected "ask again", got ${JSON.stringify(reply)}`);
      told.push(reply);
    }
    expect(told.map((w) => w.ahead)).toEqual([6, 7, 8]);
    for (const w of told) {
      expect(w.retryAfterMs).toBeGreaterThanOrEqual(Math.floor(TURN_MS_GUESS * (w.ahead / TURNS - 0.5)));
      expect(w.retryAfterMs).toBeLessThanOrEqual(Math.ceil(TURN_MS_GUESS * (w.ahead / TURNS + 0.5)));
    }
    expect(await metric('netatlas_ingest_snapshot_turns_held')).toBe(TURNS);
    expect(await metric('netatlas_ingest_snapshot_turns_waiting')).toBe(12 - TURNS);

    // one told to wait sends its snapshot anyway: refused before it is applied, and nothing is stored
    const rude = cs[3 * TURNS]!;
    const refusedBefore = ingest.stats.refusedNoTurn;
    expect(await rude.raw('snapshot', { epoch: rude.epoch, seq: 1, takenAt: new Date().toISOString(), facts: [route('10.0.0.0/24')], readers: {} })).toMatchObject({
      ok: false,
      code: 'unavailable',
      retry: true,
      error: expect.stringMatching(/holds no turn to send a snapshot .*ask for one \(snapshotTurn\)/),
    });
    expect(ingest.stats.refusedNoTurn - refusedBefore).toBe(1);
    expect(await routesOf(rude.node)).toEqual([]);

    // each turn that frees goes to the first kept waiting, at once
    expect(await cs[0]!.snapshot(routes(3, 10))).toMatchObject({ ok: true, changes: 3 });
    expect(await kept[0]).toMatchObject({ ok: true, granted: true });
    for (const [i, holder] of cs.slice(1, TURNS).entries()) {
      holder.close();
      expect(await kept[i + 1]).toMatchObject({ ok: true, granted: true });
    }
    expect(ingest.turns.parkedNow).toBe(2 * TURNS - TURNS);
    expect(ingest.turns.holding).toBe(TURNS);
    for (const c of cs) c.close();
    await allFree();
    // the ones still kept waiting gave their places up when they went
    expect(ingest.turns.parkedNow).toBe(0);
    expect(ingest.turns.waiting).toBe(0);
  });

  it(`a herd of 24 is taken ${TURNS} at a time: every snapshot sent in its turn is applied, none refused`, async () => {
    const cs = await Promise.all(Array.from({ length: 24 }, (_, i) => collector(`herd-${i}`)));
    const throttled = ingest.stats.throttled;
    const rejected = ingest.stats.rejected;
    ingest.turns.resetPeaks();
    let mostHeld = 0;
    let mostStaged = 0;
    const sampler = setInterval(() => {
      mostHeld = Math.max(mostHeld, ingest.turns.holding);
      mostStaged = Math.max(mostStaged, ingest.snapshotsInParts);
    }, 1);
    // ~250 kB each: half whole, half in parts of 32 kB, made before any asks so that the herd asks at once
    const facts = cs.map((_, i) => routes(2000, 20 + i));
    const parts = cs.map((c, i) => (i % 2 === 1 ? c.partsOf(facts[i]!, 32 * 1024) : null));
    const replies = await Promise.all(cs.map((c, i) => (parts[i] ? c.sendParts(parts[i]) : c.snapshot(facts[i]!))));
    clearInterval(sampler);
    expect(replies).toEqual(cs.map(() => expect.objectContaining({ ok: true, duplicate: false, changes: 2000 })));
    expect(mostHeld).toBe(TURNS);
    expect(ingest.turns.stats.mostHeld).toBe(TURNS);
    // the turns, not the one place for snapshots in parts of protocol 2, bound those in parts
    expect(mostStaged).toBeLessThanOrEqual(TURNS);
    // the 21 not granted at first waited in line: all of them counted at once
    expect(ingest.turns.stats.mostWaiting).toBe(24 - TURNS);
    expect(ingest.stats.throttled - throttled).toBe(0);
    expect(ingest.stats.rejected - rejected).toBe(0);
    for (const c of cs) expect(await routesOf(c.node)).toHaveLength(2000);
    await allFree();
    // the mean time of a turn is now measured, and what the waits are reckoned from
    expect(ingest.turns.meanTurnMs).not.toBe(TURN_MS_GUESS);
    expect(await metric('netatlas_ingest_snapshot_turn_seconds')).toBeCloseTo(ingest.turns.meanTurnMs / 1000, 3);
  }, 60_000);

  it(`${TURNS} turn-holders send snapshots in parts at once, applied one at a time (protocol 2 takes one at a time)`, async () => {
    const cs = await Promise.all(Array.from({ length: TURNS }, (_, i) => collector(`parts-${i}`)));
    const parts = cs.map((c, i) => c.partsOf(routes(1000, 80 + i), 16 * 1024, 1));
    for (const c of cs) expect(await c.askTurn()).toMatchObject({ ok: true, granted: true });
    for (const [i, c] of cs.entries()) expect(await c.raw('snapshot', parts[i]![0])).toMatchObject({ ok: true, staged: 0 });
    expect(ingest.snapshotsInParts).toBe(TURNS);
    // a protocol-2 collector's part 0 finds no room meanwhile, as before
    const v2 = await collector('parts-v2', 2);
    expect(await v2.raw('snapshot', v2.partsOf(routes(1000, 89), 16 * 1024, 1)[0])).toMatchObject({ ok: false, code: 'unavailable', error: expect.stringMatching(/snapshots in parts/) });
    for (const [i, c] of cs.entries()) {
      for (const part of parts[i]!.slice(1, -1)) expect(await c.raw('snapshot', part)).toMatchObject({ ok: true, staged: part.part!.index });
    }
    // their last parts at once: received together, applied one at a time
    const applied = await Promise.all(cs.map((c, i) => c.raw('snapshot', parts[i]!.at(-1))));
    for (const a of applied) expect(a).toMatchObject({ ok: true, changes: 1000 });
    expect(ingest.stats.partsApplyingMost).toBe(1);
    expect(ingest.stats.partsApplyWaited).toBeGreaterThan(0);
    expect(ingest.snapshotsInParts).toBe(0);
    await allFree();
  });

  it('a turn-holder that disconnects frees its turn for the next in line', async () => {
    const holders = await Promise.all(Array.from({ length: TURNS }, (_, i) => collector(`holder-${i}`)));
    for (const h of holders) expect(await h.askTurn()).toMatchObject({ ok: true, granted: true });
    const next = await collector('next');
    const asked = next.askTurn();
    await expect.poll(() => ingest.turns.parkedNow).toBe(1);
    // the first holder sends part 0 of a snapshot in parts, then goes: neither the turn nor the part stays
    const parts = holders[0]!.partsOf(routes(1000, 90), 16 * 1024, 1);
    expect(await holders[0]!.raw('snapshot', parts[0])).toMatchObject({ ok: true, staged: 0 });
    expect(ingest.snapshotsInParts).toBe(1);
    holders[0]!.close();
    expect(await asked).toEqual({ ok: true, granted: true, idleMs: 10_000 });
    expect(ingest.turns.holding).toBe(TURNS);
    await expect.poll(() => ingest.snapshotsInParts, { timeout: 5000 }).toBe(0);
    expect(await next.snapshot(routes(10, 91))).toMatchObject({ ok: true, changes: 10 });
    expect(await routesOf('holder-0')).toEqual([]);
    // one that goes while kept waiting for a turn gives its place up
    const filler = await collector('filler');
    expect(await filler.askTurn()).toMatchObject({ ok: true, granted: true });
    const waiter = await collector('waiter');
    void waiter.askTurn().catch(() => undefined);
    await expect.poll(() => ingest.turns.waiting).toBe(1);
    waiter.close();
    await expect.poll(() => ingest.turns.waiting, { timeout: 5000 }).toBe(0);
    expect(ingest.turns.parkedNow).toBe(0);
    for (const h of [...holders.slice(1), filler]) h.close();
    await allFree();
  });

  it('the turn ends with the snapshot\'s answer, a refusal too: the next snapshot needs a new one', async () => {
    const c = await collector('one-turn');
    expect(await c.snapshot(routes(5, 92))).toMatchObject({ ok: true, changes: 5 });
    expect(ingest.turns.holding).toBe(0);
    expect(await c.raw('snapshot', { epoch: c.epoch, seq: 5, takenAt: new Date().toISOString(), facts: [], readers: {} })).toMatchObject({ ok: false, code: 'unavailable' });
    // in its turn, an invalid snapshot is refused as invalid, and the turn is over
    await c.turn();
    expect(await c.raw('snapshot', 'not a snapshot')).toMatchObject({ ok: false, code: 'invalid' });
    expect(ingest.turns.holding).toBe(0);
    expect(await c.snapshot(routes(6, 92))).toMatchObject({ ok: true, changes: 1 });
  });

  it('validates the turn request like every other message', async () => {
    const c = await collector('bad-asks');
    const reply = (m: unknown) => c.raw('snapshotTurn', m) as Promise<{ ok: boolean; code?: string; error?: string }>;
    expect(await reply({ epoch: c.epoch, extra: 1 })).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/extra/) });
    expect(await reply({})).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/^epoch: /) });
    expect(await reply({ epoch: 'now' })).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/^epoch: /) });
    expect(await reply('turn, please')).toMatchObject({ ok: false, code: 'invalid' });
    expect(await reply({ epoch: c.epoch + 1 })).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/is not the epoch of this connection's hello/) });
    expect(ingest.turns.holding).toBe(0);
    // before hello
    const anonymous = await connectIngest(t.url);
    open.push(anonymous);
    expect(await anonymous.timeout(5000).emitWithAck('snapshotTurn', { epoch: 1 })).toMatchObject({ ok: false, code: 'no-hello' });
    // from a collector of protocol 2, which sends its snapshots unasked
    const v2 = await collector('bad-asks-v2', 2);
    expect(await v2.raw('snapshotTurn', { epoch: v2.epoch })).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/snapshot turns are protocol 3; this connection said hello with protocol 2/) });
  });

  it('collectors of protocols 1 and 2 send their snapshots unasked and are applied, while every turn is held', async () => {
    const holders = await Promise.all(Array.from({ length: TURNS }, (_, i) => collector(`busy-${i}`)));
    for (const h of holders) expect(await h.askTurn()).toMatchObject({ ok: true, granted: true });
    const v2 = await collector('old-v2', 2);
    const v1 = await collector('old-v1', 1);
    expect(await v2.snapshot(routes(300, 93))).toMatchObject({ ok: true, changes: 300 });
    expect(await v2.snapshotInParts(routes(600, 93), 8 * 1024)).toMatchObject({ ok: true, changes: 300 });
    expect(await v1.snapshot(routes(300, 94))).toMatchObject({ ok: true, changes: 300 });
    expect(await routesOf('old-v2')).toHaveLength(600);
    expect(await routesOf('old-v1')).toHaveLength(300);
    expect(ingest.turns.holding).toBe(TURNS);
    for (const h of holders) h.close();
    await allFree();
  });

  it('an ask kept waiting is granted the moment a turn frees, and its snapshot taken', async () => {
    const holder = await collector('slow-holder');
    const others = await Promise.all(Array.from({ length: TURNS - 1 }, (_, i) => collector(`slow-other-${i}`)));
    for (const c of [holder, ...others]) expect(await c.askTurn()).toMatchObject({ granted: true });
    const waiter = await collector('patient');
    const asked = performance.now();
    const answer = waiter.askTurn();
    // the holder takes its time, then sends: its answer frees the turn
    await sleep(300);
    expect(await holder.raw('snapshot', { epoch: holder.epoch, seq: 1, takenAt: new Date().toISOString(), facts: [route('10.95.0.0/24')], readers: {} })).toMatchObject({ ok: true });
    expect(await answer).toMatchObject({ ok: true, granted: true });
    expect(performance.now() - asked).toBeGreaterThanOrEqual(300);
    expect(ingest.turns.stats.handedOver).toBeGreaterThan(0);
    expect(await waiter.raw('snapshot', { epoch: waiter.epoch, seq: 1, takenAt: new Date().toISOString(), facts: [route('10.95.1.0/24')], readers: {} })).toMatchObject({ ok: true, changes: 1 });
    for (const c of others) c.close();
    await allFree();
  });
});
