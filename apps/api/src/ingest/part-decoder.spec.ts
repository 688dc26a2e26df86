// The part decoder (part-decoder.ts): snapshot parts of 16 kB and more are decoded and validated in
// a worker thread, held packed, and unpacked when the last part comes. What it gives must be what
// the API's own parse gives (the same facts, the same refusals with the same reasons); a worker
// that dies loses no part; and against the real API and Postgres, a snapshot whose parts went
// through it is stored exactly, a repeat across its parts or a bad fact in one is refused, and a
// client cannot pass its own text off as a part the gateway handed over.
import { cniSigns } from '@netatlas/graph';
import { describeZodError, snapshotParts, SnapshotMessageSchema, type Fact, type SnapshotMessage } from '@netatlas/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { EncodedFact, valueJsonOf } from '../db/repositories/history/encoded-fact.js';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';
import { decodePartText, RAW_PART, unpackFacts } from './decoded-part.js';
import { PartDecoder } from './part-decoder.js';

const routes = (n: number, third: number) => Array.from({ length: n }, (_, i) => route(`10.${third}.${i >> 8}.${i & 255}/32`, '172.20.0.11', 'eth0'));
const sortFacts = (facts: Fact[]) => [...facts].sort((a, b) => (a.kind + a.key < b.kind + b.key ? -1 : 1));
const head = { epoch: 1, seq: 2, takenAt: '2026-12-07T10:00:00.000Z', readers: { links: { status: 'ok' as const, error: null } } };
/** the event's arguments as socket.io writes them */
const argsText = (message: unknown) => JSON.stringify(['snapshot', message]);

describe('a part decoded in the worker is what the API would have parsed', () => {
  const facts: Fact[] = [...routes(50, 1), route('10.99.0.0/24', null, 'eth0', { protocol: 'bird' })];
  const message: SnapshotMessage = { part: { index: 0, count: 2 }, ...head, facts };

  it('gives the same facts, values as JSON text, the node fact and the CNI signs', () => {
    const decoded = decodePartText(argsText(message));
    if ('error' in decoded) throw new Error(decoded.error);
    const parsed = SnapshotMessageSchema.parse(message);
    const { facts: parsedFacts, ...parsedHead } = parsed;
    expect(decoded.head).toEqual(parsedHead);
    expect(decoded.count).toBe(facts.length);
    expect(decoded.signs).toEqual([...cniSigns(parsedFacts)]);
    expect(decoded.signs).toContain('calico:bird-route');
    expect(decoded.nodeValue).toBeNull();
    const unpacked = unpackFacts(decoded.packed);
    expect(unpacked.map((f) => ({ kind: f.kind, key: f.key, value: f.value }))).toEqual(parsedFacts);
    // the value's text is what the writer would have written for it
    expect(unpacked.map(valueJsonOf)).toEqual(parsedFacts.map((f) => JSON.stringify(f.value)));
  });

  it('refuses what the API refuses, with the same reason', () => {
    const bad = { ...message, facts: [facts[0], { kind: 'route', key: 'k', value: { dst: 42 } }] };
    const decoded = decodePartText(argsText(bad));
    expect('error' in decoded && decoded.error).toBe(describeZodError(SnapshotMessageSchema.safeParse(bad).error!));
    expect(decodePartText('["snapshot",{"part":{"index":1,')).toEqual({ error: expect.stringMatching(/^the message is not JSON: /) });
    expect(decodePartText('{"not":"an array"}')).toEqual({ error: describeZodError(SnapshotMessageSchema.safeParse(undefined).error!) });
    // the schemas are strict: a key they do not know is refused, not dropped
    const smuggled = { ...message, facts: [{ ...facts[0]!, value: { ...facts[0]!.value, smuggled: 'x' } }] };
    const refused = decodePartText(argsText(smuggled));
    expect('error' in refused && refused.error).toBe(describeZodError(SnapshotMessageSchema.safeParse(smuggled).error!));
    expect('error' in refused && refused.error).toMatch(/smuggled/);
  });

  it('an encoded fact parses its value once, when first read', () => {
    const fact = new EncodedFact('route', 'main|10.0.0.0/8', '{"dst":"10.0.0.0/8"}');
    expect(fact.value).toEqual({ dst: '10.0.0.0/8' });
    expect(fact.value).toBe(fact.value);
    expect(valueJsonOf(fact)).toBe('{"dst":"10.0.0.0/8"}');
    expect(valueJsonOf({ value: null })).toBe('null');
    expect(valueJsonOf({ value: undefined })).toBe('null');
  });
});

describe('the part decoder', () => {
  const text = argsText({ part: { index: 0, count: 2 }, ...head, facts: routes(20, 2) });

  it('decodes in its worker thread, and its thread is idle again after', async () => {
    const decoder = new PartDecoder();
    try {
      const decoded = await decoder.decode(text);
      expect('error' in decoded ? decoded.error : decoded.count).toBe(20);
      expect(decoder.stats).toEqual({ decoded: 1, decodedHere: 0 });
      const since = decoder.utilisation();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(decoder.utilisation(since).utilization).toBeLessThan(0.5);
    } finally {
      decoder.close();
    }
  });

  it("a worker that dies loses no part: what it had is decoded on the API's thread, and the next starts it again", async () => {
    const decoder = new PartDecoder();
    try {
      await decoder.decode(text);
      const worker = (decoder as unknown as { worker: { terminate(): Promise<number> } }).worker;
      const waiting = decoder.decode(text);
      await worker.terminate();
      const decoded = await waiting;
      expect('error' in decoded ? decoded.error : decoded.count).toBe(20);
      expect(decoder.stats).toEqual({ decoded: 1, decodedHere: 1 });
      const again = await decoder.decode(text);
      expect('error' in again ? again.error : again.count).toBe(20);
      expect(decoder.stats).toEqual({ decoded: 2, decodedHere: 1 });
    } finally {
      decoder.close();
    }
  });

  it('after close, decodes on the calling thread', async () => {
    const decoder = new PartDecoder();
    decoder.close();
    const decoded = await decoder.decode(text);
    expect('error' in decoded ? decoded.error : decoded.count).toBe(20);
    expect(decoder.stats).toEqual({ decoded: 0, decodedHere: 1 });
  });
});

describe('snapshot parts through the part decoder, against the API', () => {
  let t: TestApi;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    t = await startTestApi('part_decoder', { maxMessageBytes: 256 * 1024, maxSnapshotBytes: 4 * 1024 * 1024 });
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
  const decodedInWorker = async () => Number(/^netatlas_ingest_snapshot_parts_decoded_total\{thread="worker"\} (\S+)$/m.exec(await fetch(`${t.url}/metrics`).then((r) => r.text()))?.[1]);
  const message = (c: FakeCollector, facts: Fact[], seq: number): SnapshotMessage => ({ epoch: c.epoch, seq, takenAt: new Date().toISOString(), facts, readers: { links: { status: 'ok', error: null } } });

  it('stores exactly the facts of a snapshot whose parts were decoded in the worker', async () => {
    const c = await collector('d1');
    await c.snapshot([route('10.9.0.0/24')]);
    const before = await decodedInWorker();
    const facts = routes(3000, 3);
    const parts = snapshotParts(message(c, facts, 2), 64 * 1024);
    expect(parts.length).toBeGreaterThan(4);
    for (const part of parts.slice(0, -1)) expect(await c.raw('snapshot', part)).toMatchObject({ ok: true, staged: part.part!.index });
    expect(await factsOf('d1')).toEqual([route('10.9.0.0/24')]);
    expect(await c.raw('snapshot', parts.at(-1))).toMatchObject({ ok: true, seq: 2, changes: 3001 });
    expect(sortFacts(await factsOf('d1'))).toEqual(sortFacts(facts));
    // every part of 16 kB and more went through the worker (the last may be smaller)
    expect((await decodedInWorker()) - before).toBeGreaterThanOrEqual(parts.length - 1);
    // a resnapshot that changes one value (compared in Postgres against the text it came as) records that one change
    const changed = facts.map((f, i) => (i === 7 ? route('10.3.0.7/32', '172.20.0.12', 'eth0') : f));
    const again = await c.snapshotInParts(changed, 64 * 1024, 3);
    expect(again).toMatchObject({ ok: true, seq: 3, changes: 1 });
    expect(sortFacts(await factsOf('d1'))).toEqual(sortFacts(changed));
  });

  it('refuses a fact repeated across parts when the last comes, and applies nothing of it', async () => {
    const c = await collector('d2');
    await c.snapshot([route('10.9.0.0/24')]);
    const facts = routes(1500, 4);
    facts.push(facts[3]!);
    const parts = snapshotParts(message(c, facts, 2), 64 * 1024);
    for (const part of parts.slice(0, -1)) expect(await c.raw('snapshot', part)).toMatchObject({ ok: true });
    expect(await c.raw('snapshot', parts.at(-1))).toMatchObject({ ok: false, code: 'invalid', error: `facts[1500] repeats route ${JSON.stringify(facts[3]!.key)}` });
    expect(await factsOf('d2')).toEqual([route('10.9.0.0/24')]);
  });

  it('refuses a bad fact in a part with the schema\'s reason', async () => {
    const c = await collector('d3');
    const facts: unknown[] = routes(1500, 5);
    facts[1200] = { kind: 'route', key: 'main|x', value: { dst: 42 } };
    const parts = snapshotParts(message(c, facts as Fact[], 1), 64 * 1024);
    const bad = parts.findIndex((p) => p.facts.includes(facts[1200] as Fact));
    for (const part of parts.slice(0, bad)) expect(await c.raw('snapshot', part)).toMatchObject({ ok: true });
    const expected = describeZodError(SnapshotMessageSchema.safeParse(parts[bad]).error!);
    expect(await c.raw('snapshot', parts[bad])).toMatchObject({ ok: false, code: 'invalid', error: expected });
  });

  it('a client\'s own field named like the stand-in is not taken for a handed-over part', async () => {
    const c = await collector('d4');
    const mine = [route('10.10.0.0/24')];
    const smuggled = argsText({ ...message(c, [route('10.66.0.0/24')], 1), part: { index: 0, count: 1 } });
    expect(await c.raw('snapshot', { ...message(c, mine, 1), [RAW_PART]: smuggled })).toMatchObject({ ok: true, changes: 1 });
    expect(await factsOf('d4')).toEqual(mine);
  });
});
