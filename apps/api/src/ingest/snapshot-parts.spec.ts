// Snapshots in parts (SnapshotPart, protocol.ts) against the real API and Postgres: the parts are
// kept until the last, which applies them as one snapshot; a part out of turn, a snapshot over
// NETATLAS_MAX_SNAPSHOT_MB and a third snapshot in parts at once are refused, and nothing of a
// snapshot whose parts did not all come is ever applied.
// The collectors here speak protocol 2, which sends a snapshot unasked: parts are the same in
// protocol 3, whose turns take the place of the one place for snapshots in parts (herd.spec.ts).
import { snapshotParts, type Fact, type SnapshotMessage } from '@netatlas/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';
import { STAGINGS_MAX } from './ingest.service.js';

const routes = (n: number, third: number) => Array.from({ length: n }, (_, i) => route(`10.${third}.${i >> 8}.${i & 255}/32`, '172.20.0.11', 'eth0'));
const sortFacts = (facts: Fact[]) => [...facts].sort((a, b) => (a.kind + a.key < b.kind + b.key ? -1 : 1));

describe('snapshots in parts', () => {
  let t: TestApi;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    // 2000 routes are ~250 kB: parts of 16 kB make ~16 of them; a snapshot may hold 1 MB in all
    t = await startTestApi('snapshot_parts', { maxMessageBytes: 64 * 1024, maxSnapshotBytes: 1024 * 1024 });
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  const collector = async (node: string) => {
    const c = await FakeCollector.connect(t.url, node, undefined, 2);
    open.push(c);
    return c;
  };
  const factsOf = async (node: string) => (await t.get<{ facts: Fact[] }>(`/api/nodes/${node}/facts?kind=route`)).body.facts;
  const message = (c: FakeCollector, facts: Fact[], seq: number): SnapshotMessage => ({ epoch: c.epoch, seq, takenAt: new Date().toISOString(), facts, readers: { links: { status: 'ok', error: null } } });
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await fetch(`${t.url}/metrics`).then((r) => r.text()))?.[1]);

  it('the hello ack announces parts and the snapshot limit', async () => {
    const c = await collector('p-hello');
    expect(await c.hello()).toMatchObject({ ok: true, maxMessageBytes: 64 * 1024, maxSnapshotBytes: 1024 * 1024 });
  });

  it('keeps each part until the last, then applies them all as one snapshot', async () => {
    const c = await collector('p1');
    await c.snapshot([route('10.9.0.0/24')]);
    const facts = routes(2000, 1);
    const parts = snapshotParts(message(c, facts, 2), 16 * 1024);
    expect(parts.length).toBeGreaterThan(10);
    for (const part of parts.slice(0, -1)) {
      expect(await c.raw('snapshot', part)).toEqual({ ok: true, epoch: c.epoch, seq: 2, duplicate: false, at: null, changes: 0, staged: part.part!.index });
    }
    // nothing applied yet: the state is the first snapshot's
    expect(await factsOf('p1')).toEqual([route('10.9.0.0/24')]);
    expect(await metric('netatlas_ingest_snapshots_in_parts')).toBe(1);
    const last = await c.raw('snapshot', parts[parts.length - 1]);
    expect(last).toMatchObject({ ok: true, seq: 2, duplicate: false, changes: 2001 });
    expect(sortFacts(await factsOf('p1'))).toEqual(sortFacts(facts));
    expect(await metric('netatlas_ingest_snapshots_in_parts')).toBe(0);
    // the next delta follows the snapshot's seq
    expect(await c.delta([route('10.9.1.0/24')], [], 3)).toMatchObject({ ok: true, seq: 3 });
  });

  it('refuses a part out of turn and drops what it had: the snapshot must start again from part 0', async () => {
    const c = await collector('p2');
    await c.snapshot([route('10.9.0.0/24')]);
    const parts = snapshotParts(message(c, routes(1000, 2), 2), 16 * 1024);
    expect(await c.raw('snapshot', parts[0])).toMatchObject({ ok: true, staged: 0 });
    expect(await c.raw('snapshot', parts[2])).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/part 2 of \d+ is out of turn \(expected part 1 of \d+ of seq 2\); send the snapshot again from part 0/) });
    // part 1 now has nothing to follow either
    expect(await c.raw('snapshot', parts[1])).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/expected part 0/) });
    // a part of another seq, or with another count, does not follow part 0 of this one
    expect(await c.raw('snapshot', parts[0])).toMatchObject({ ok: true, staged: 0 });
    expect(await c.raw('snapshot', { ...parts[1]!, seq: 3 })).toMatchObject({ ok: false, code: 'invalid' });
    expect(await factsOf('p2')).toEqual([route('10.9.0.0/24')]);
    // whole again from part 0: applied
    expect(await c.snapshotInParts(routes(1000, 2), 16 * 1024, 2)).toMatchObject({ ok: true, seq: 2, changes: 1001 });
    expect(await factsOf('p2')).toHaveLength(1000);
  });

  it('refuses a snapshot whose parts hold more than NETATLAS_MAX_SNAPSHOT_MB, with nothing applied', async () => {
    const c = await collector('p3');
    await c.snapshot([route('10.9.0.0/24')]);
    // ~1.3 MB in all, over the 1 MB limit
    const reply = await c.snapshotInParts(routes(10_000, 3), 48 * 1024, 2);
    expect(reply).toMatchObject({ ok: false, code: 'too-large', error: expect.stringMatching(/more than 1048576 bytes by part \d+ of \d+ \(NETATLAS_MAX_SNAPSHOT_MB\)/) });
    expect(await factsOf('p3')).toEqual([route('10.9.0.0/24')]);
    expect(await metric('netatlas_ingest_snapshots_in_parts')).toBe(0);
  });

  it(`takes ${STAGINGS_MAX} snapshot(s) in parts at once; part 0 of another is unavailable until one ends or its connection goes`, async () => {
    const cs = await Promise.all(Array.from({ length: STAGINGS_MAX + 2 }, (_, i) => collector(`p4-${i}`)));
    const parts = cs.map((c, i) => snapshotParts(message(c, routes(500, 40 + i), 1), 16 * 1024));
    const [extra, late] = [STAGINGS_MAX, STAGINGS_MAX + 1];
    for (let i = 0; i < STAGINGS_MAX; i++) expect(await cs[i]!.raw('snapshot', parts[i]![0])).toMatchObject({ ok: true, staged: 0 });
    expect(await cs[extra]!.raw('snapshot', parts[extra]![0])).toMatchObject({
      ok: false,
      code: 'unavailable',
      retry: true,
      error: expect.stringMatching(new RegExp(`receiving ${STAGINGS_MAX} snapshots in parts \\(at most ${STAGINGS_MAX} at once\\)`)),
    });
    // the first finishes: its place is free
    for (const part of parts[0]!.slice(1)) await cs[0]!.raw('snapshot', part);
    expect(await factsOf('p4-0')).toHaveLength(500);
    expect(await cs[extra]!.raw('snapshot', parts[extra]![0])).toMatchObject({ ok: true, staged: 0 });
    expect(await cs[late]!.raw('snapshot', parts[late]![0])).toMatchObject({ ok: false, code: 'unavailable' });
    // its connection goes halfway: the place is freed, and nothing of it was applied
    expect(await cs[extra]!.raw('snapshot', parts[extra]![1])).toMatchObject({ ok: true, staged: 1 });
    cs[extra]!.close();
    await expect.poll(() => metric('netatlas_ingest_snapshots_in_parts'), { timeout: 5000 }).toBe(STAGINGS_MAX - 1);
    expect(await factsOf(`p4-${extra}`)).toEqual([]);
    for (const part of parts[late]!) await cs[late]!.raw('snapshot', part);
    expect(await factsOf(`p4-${late}`)).toHaveLength(500);
    for (let i = 1; i < STAGINGS_MAX; i++) cs[i]!.close();
  });

  it('refuses a large part 0 there is no room for before decoding it', async () => {
    // parts over 256 kB are looked at before socket.io decodes them
    const big = await startTestApi('snapshot_parts_large', { maxMessageBytes: 4 * 1024 * 1024 });
    try {
      const [a, b] = await Promise.all([FakeCollector.connect(big.url, 'big-a', undefined, 2), FakeCollector.connect(big.url, 'big-b', undefined, 2)]);
      const partsOf = (c: FakeCollector, third: number) => snapshotParts(message(c, routes(6000, third), 1), 300 * 1024);
      const [pa, pb] = [partsOf(a, 60), partsOf(b, 61)];
      expect(JSON.stringify(pa[0]).length).toBeGreaterThan(256 * 1024);
      expect(await a.raw('snapshot', pa[0])).toMatchObject({ ok: true, staged: 0 });
      expect(await b.raw('snapshot', pb[0])).toMatchObject({ ok: false, code: 'unavailable', retry: true, error: expect.stringMatching(/snapshots in parts/) });
      const text = await fetch(`${big.url}/metrics`).then((r) => r.text());
      expect(text).toMatch(/^netatlas_ingest_snapshots_refused_undecoded_total 1$/m);
      for (const part of pa.slice(1)) await a.raw('snapshot', part);
      expect(await b.snapshotInParts(routes(6000, 61), 300 * 1024, 1)).toMatchObject({ ok: true, changes: 6000 });
      a.close();
      b.close();
    } finally {
      await big.close();
    }
  });

  it('a whole snapshot after part 0 supersedes the parts', async () => {
    const c = await collector('p5');
    const parts = snapshotParts(message(c, routes(500, 5), 1), 16 * 1024);
    expect(await c.raw('snapshot', parts[0])).toMatchObject({ ok: true, staged: 0 });
    expect(await c.snapshot([route('10.5.99.0/24')], 2)).toMatchObject({ ok: true, seq: 2, changes: 1 });
    expect(await c.raw('snapshot', parts[1])).toMatchObject({ ok: false, code: 'invalid' });
    expect(await factsOf('p5')).toEqual([route('10.5.99.0/24')]);
    expect(await metric('netatlas_ingest_snapshots_in_parts')).toBe(0);
  });

  it('refuses a malformed part header naming the field', async () => {
    const c = await collector('p6');
    const whole = message(c, [route('10.6.0.0/24')], 1);
    expect(await c.raw('snapshot', { part: { index: 2, count: 2 }, ...whole })).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/part\.index: index must be below count/) });
    expect(await c.raw('snapshot', { part: { index: 0, count: 1 }, ...whole })).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/part\.count/) });
  });
});
