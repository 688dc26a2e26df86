// Bad input from the network is a 4xx that names what is wrong, never a 500 and never a
// half-applied message (issue 15, finding 8 and 6): impossible dates, forged cursors, text
// Postgres cannot store, and a hello far larger than any collector sends.
import { PROTOCOL_VERSION, type Fact } from '@netatlas/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { connectIngest, FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { IngestService } from '../ingest/ingest.service.js';
import { setupOnce } from '../testing/setup.js';
import { encodeCursor, parseInstant } from '../query-params/query.js';

describe('parseInstant', () => {
  it('reads ISO times with a zone and plain dates', () => {
    expect((parseInstant('2026-11-23T14:00:00Z') as Date).toISOString()).toBe('2026-11-23T14:00:00.000Z');
    expect((parseInstant('2026-11-23T14:00:00.123+02:00') as Date).toISOString()).toBe('2026-11-23T12:00:00.123Z');
    expect((parseInstant('2024-02-29') as Date).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect((parseInstant('0001-01-01') as Date).getUTCFullYear()).toBe(1);
  });

  it('refuses what new Date would bend into another day', () => {
    expect(parseInstant('2026-02-30')).toBe('February 2026 has no day 30 (it has 28)');
    expect(parseInstant('2025-02-29')).toMatch(/February 2025 has no day 29/);
    expect(parseInstant('2026-13-01')).toBe('month 13 does not exist');
    expect(parseInstant('0000-01-01')).toMatch(/year 0000 does not exist/);
    expect(parseInstant('2026-01-01T24:00:00Z')).toMatch(/is no time of day/);
    expect(parseInstant('2026-01-01T10:00:00+25:00')).toMatch(/zone offset/);
    expect(parseInstant('yesterday')).toMatch(/must be an ISO 8601 time/);
  });
});

describe('refusals', () => {
  let t: TestApi;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    t = await startTestApi('refusals');
    const c = await FakeCollector.connect(t.url, 'r1');
    open.push(c);
    await c.snapshot([route('10.9.0.0/24')]);
    await c.delta([route('10.9.1.0/24')], []);
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  const expect400 = async (path: string, names: RegExp) => {
    const r = await t.get<{ statusCode: number; message: string }>(path);
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(400);
    expect(r.body.message).toMatch(names);
  };

  it('an impossible moment is a 400 naming the parameter', async () => {
    await expect400('/api/state?at=0000-01-01', /^at: year 0000 does not exist/);
    await expect400('/api/state?at=2026-02-30', /^at: February 2026 has no day 30/);
    await expect400('/api/topology?at=2026-02-30T10:00:00Z', /^at: February 2026 has no day 30/);
    await expect400('/api/nodes/r1/facts?at=2026-04-31', /^at: April 2026 has no day 31/);
    await expect400('/api/changes?from=0000-12-31T00:00:00Z', /^from: year 0000/);
    await expect400('/api/diff?from=2026-01-01&to=2026-01-01T25:00:00Z', /^to: 25:00:00 is no time of day/);
    await expect400('/api/alerts?from=2026-06-31', /^from: June 2026 has no day 31/);
    await expect400('/api/checks?at=1999-02-29', /^at: February 1999 has no day 29/);
  });

  it('a forged `after` cursor is a 400, whatever it holds', async () => {
    const first = await t.get<{ changes: unknown[]; next: string | null }>('/api/changes?from=2000-01-01T00:00:00Z&limit=1');
    expect(first.status).toBe(200);
    expect(first.body.next).not.toBeNull();
    // the real cursor works
    expect((await t.get(`/api/changes?from=2000-01-01T00:00:00Z&limit=1&after=${first.body.next}`)).status).toBe(200);
    const forged = [
      { at: '0000-01-01T00:00:00Z', nodeId: 1, kind: 'route', key: 'x' },
      { at: '2026-02-30T00:00:00Z', nodeId: 1, kind: 'route', key: 'x' },
      { at: '2026-01-01T00:00:00Z', nodeId: 99_999_999_999, kind: 'route', key: 'x' },
      { at: '2026-01-01T00:00:00Z', nodeId: -1, kind: 'route', key: 'x' },
      { at: '2026-01-01T00:00:00Z', nodeId: 1, kind: 'route', key: 'nul\u0000inside' },
      { at: '2026-01-01T00:00:00Z', nodeId: 1, kind: 'route', key: 'lone \ud800 surrogate' },
      { at: '2026-01-01T00:00:00Z', nodeId: 1, kind: 'no-such-kind', key: 'x' },
      { at: '2026-01-01T00:00:00Z', nodeId: 1, kind: 'route', key: 'x'.repeat(10_000) },
      ['not', 'an', 'object'],
    ];
    for (const cursor of forged) await expect400(`/api/changes?from=2000-01-01T00:00:00Z&after=${encodeCursor(cursor)}`, /^after: not a cursor/);
    await expect400('/api/changes?from=2000-01-01T00:00:00Z&after=%00%01garbage', /^after: not a cursor/);
  });

  it('text Postgres cannot store is refused by the schema with its path, and nothing of the message is applied', async () => {
    const c = await FakeCollector.connect(t.url, 'r2');
    open.push(c);
    expect(await c.snapshot([route('10.8.0.0/24')])).toMatchObject({ ok: true });
    const nul = route('10.8.1.0/24', '172.20.0.11', 'eth\u00000');
    const lone = route('10.8.2.0/24', '172.20.0.11', 'eth\udc00');
    for (const [bad, path] of [
      [nul, 'upserts[1].value.dev'],
      [lone, 'upserts[1].value.dev'],
    ] as Array<[Fact, string]>) {
      const reply = (await c.raw('delta', { epoch: c.epoch, seq: 2, takenAt: new Date().toISOString(), upserts: [route('10.8.3.0/24'), bad], deletes: [] })) as { ok: boolean; code: string; error: string };
      expect(reply).toMatchObject({ ok: false, code: 'invalid' });
      expect(reply.error).toContain(`${path}: contains NUL or an unpaired surrogate`);
    }
    const badKey = (await c.raw('delta', { epoch: c.epoch, seq: 2, takenAt: new Date().toISOString(), upserts: [], deletes: [{ kind: 'route', key: 'a\u0000b' }] })) as { error: string };
    expect(badKey.error).toContain('deletes[0].key: contains NUL');
    const facts = (await t.get<{ facts: Fact[] }>('/api/nodes/r2/facts')).body.facts;
    expect(facts.map((f) => (f.value as { dst: string }).dst)).toEqual(['10.8.0.0/24']);
    // a well-formed surrogate pair is fine
    expect(await c.delta([route('10.8.4.0/24', '172.20.0.11', 'eth\ud83d\ude00')], [], 2)).toMatchObject({ ok: true });
  });

  it('a 30 MB hello is refused for its size before it is stored, and /api/nodes stays small', async () => {
    const hugeHello = (mb: number) => ({
      protocol: PROTOCOL_VERSION,
      node: 'r3',
      bootId: 'b',
      epoch: Date.now(),
      version: 'test',
      readers: { routes: { status: 'failed', error: 'x'.repeat(mb * 1024 * 1024) } },
    });
    // 30 MB is over twice the message limit (4 MB): socket.io cuts the connection at the frame's header
    const cut = await connectIngest(t.url);
    open.push(cut);
    const closed = new Promise<string>((resolve) => cut.once('disconnect', resolve));
    new FakeCollector(cut, 'r3').raw('hello', hugeHello(30)).catch(() => undefined);
    expect(await closed).toBe('transport close');
    // 5 MB (under the cut, over a hello's 256 kB; over 4 MB, so it takes its turn, which the cut
    // connection does not hold): refused with its size, undecoded
    const socket = await connectIngest(t.url);
    open.push(socket);
    const c = new FakeCollector(socket, 'r3');
    const reply = (await c.raw('hello', hugeHello(5))) as { ok: boolean; code: string; error: string };
    expect(reply).toMatchObject({ ok: false, code: 'too-large' });
    expect(reply.error).toMatch(/^a hello is \d{7} bytes; the limit is 262144$/);
    const nodes = await fetch(`${t.url}/api/nodes`);
    expect((await nodes.text()).length).toBeLessThan(10_000);
    // under the byte limit, a reader error longer than the wire allows is named too
    const long = (await c.raw('hello', {
      protocol: PROTOCOL_VERSION,
      node: 'r3',
      bootId: 'b',
      epoch: Date.now(),
      version: 'test',
      readers: { routes: { status: 'failed', error: 'y'.repeat(5000) } },
    })) as { error: string };
    expect(long.error).toMatch(/readers\.routes\.error: .*2000/);
    const many = (await c.raw('hello', {
      protocol: PROTOCOL_VERSION,
      node: 'r3',
      bootId: 'b',
      epoch: Date.now(),
      version: 'test',
      readers: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`r${i}`, { status: 'ok', error: null }])),
    })) as { error: string };
    expect(many.error).toMatch(/readers: at most 64 readers/);
    expect((await t.get<{ nodes: Array<{ name: string }> }>('/api/nodes')).body.nodes.map((n) => n.name)).not.toContain('r3');
  });

  it('a connection that said hello as one node cannot re-hello as another', async () => {
    const c = await FakeCollector.connect(t.url, 'r4');
    open.push(c);
    const before = await t.get<{ nodes: Array<{ name: string }> }>('/api/nodes');
    const other = new FakeCollector(c.socket, 'r5', c.epoch);
    const reply = (await other.hello()) as { ok: boolean; code: string; error: string };
    expect(reply).toMatchObject({ ok: false, code: 'invalid' });
    expect(reply.error).toBe('this connection speaks for node r4; a collector speaks for one node (open another connection for r5)');
    const after = await t.get<{ nodes: Array<{ name: string }> }>('/api/nodes');
    expect(after.body.nodes.map((n) => n.name)).toEqual(before.body.nodes.map((n) => n.name));
    expect(t.api.app.get(IngestService).connectedNodes().filter((n) => n === 'r4' || n === 'r5')).toEqual(['r4']);
    // and it still streams for the node it is
    expect(await c.snapshot([route('10.6.0.0/24')])).toMatchObject({ ok: true });
  });

  it('a flood of bad messages writes a bounded number of log lines', async () => {
    const c = await FakeCollector.connect(t.url, 'r6');
    open.push(c);
    const budget = t.api.app.get(IngestService).rejectionLog;
    const suppressed = budget.suppressed;
    const replies = await Promise.all(Array.from({ length: 300 }, () => c.raw('delta', { epoch: c.epoch, seq: 'x' })));
    expect(replies.every((r) => (r as { code: string }).code === 'invalid')).toBe(true);
    // at most 20 lines per 10 s window were written; the rest were counted
    expect(budget.suppressed - suppressed).toBeGreaterThanOrEqual(280);
  });
});

describe('shutdown with a backlog', () => {
  it('refuses what it can no longer apply as unavailable (send it again), never as internal', async () => {
    const t = await startTestApi('refusals-shutdown');
    try {
      const c = await FakeCollector.connect(t.url, 's1');
      expect(await c.snapshot([route('10.5.0.0/24')])).toMatchObject({ ok: true });
      const ingest = t.api.app.get(IngestService);
      const sent = Array.from({ length: 400 }, (_, i) => c.delta([route(`10.5.${Math.floor(i / 200) + 1}.${i % 200}/32`)], []).catch(() => undefined));
      // stop once a backlog is there (a fixed 20 ms was too short on a loaded machine: nothing had
      // arrived yet, and there was nothing to refuse)
      const until = Date.now() + 10_000;
      while (ingest.stats.pendingHighWater < 20 && Date.now() < until) await new Promise((r) => setImmediate(r));
      expect(ingest.stats.pendingHighWater).toBeGreaterThanOrEqual(20);
      await t.stop();
      await Promise.all(sent);
      c.close();
      // the backlog was there and was refused (the acks die with the socket; the counts stay)
      expect(ingest.stats.rejectedByCode['unavailable'] ?? 0).toBeGreaterThan(0);
      expect(ingest.stats.rejectedByCode['internal'] ?? 0).toBe(0);
    } finally {
      await t.close();
    }
  }, 60_000);
});
