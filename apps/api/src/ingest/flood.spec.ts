// A flooding collector costs itself, never the server (issue 15, finding 5): 20k deltas sent as
// fast as one socket can are taken at most 512 at a time, the rest refused at once as unavailable
// (send again after the acks); the queue goes with its socket; snapshots of many sockets wait for
// a budget of bytes in flight; other collectors keep their pace meanwhile.
import { afterAll, describe, expect, it } from 'vitest';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';
import { IngestService, PENDING_MAX } from './ingest.service.js';

describe('a flooding collector', () => {
  let t: TestApi;
  let ingest: IngestService;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    t = await startTestApi('flood', { maxMessageBytes: 1 << 20 });
    ingest = t.api.app.get(IngestService);
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  it('is taken 512 messages at a time, the rest refused at once; its queue goes with its socket', async () => {
    const flooder = await FakeCollector.connect(t.url, 'flood');
    open.push(flooder);
    await flooder.snapshot([]);
    const quiet = await FakeCollector.connect(t.url, 'quiet');
    open.push(quiet);
    await quiet.snapshot([]);
    const throttled = ingest.stats.throttled;
    const codes = new Map<string, number>();
    const N = 20_000;
    const replies = Array.from({ length: N }, (_, i) =>
      flooder.delta([route(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`)], [], i + 2).then(
        (r) => {
          const code = r.ok ? 'ok' : (r as { code: string }).code;
          codes.set(code, (codes.get(code) ?? 0) + 1);
        },
        () => codes.set('no reply', (codes.get('no reply') ?? 0) + 1),
      ),
    );
    // meanwhile another collector is answered as usual
    const t0 = performance.now();
    expect(await quiet.delta([route('10.99.0.0/24')], [], 2)).toMatchObject({ ok: true });
    const quietMs = performance.now() - t0;
    await Promise.race([Promise.all(replies), new Promise((r) => setTimeout(r, 20_000))]);
    process.stdout.write(`flood of ${N} deltas: ${JSON.stringify(Object.fromEntries(codes))}, most waiting ${ingest.stats.pendingHighWater}, another collector's delta ${quietMs.toFixed(0)} ms\n`);
    expect(ingest.stats.pendingHighWater).toBeLessThanOrEqual(PENDING_MAX);
    expect(ingest.stats.throttled - throttled).toBeGreaterThan(0);
    expect((codes.get('unavailable') ?? 0) + (codes.get('ok') ?? 0) + (codes.get('out-of-order') ?? 0)).toBe(N);

    // a second flood, then the socket goes: nothing of it is applied afterwards
    const before = ingest.stats.messages;
    const raw = flooder.socket as unknown as { emit(event: string, message: unknown): void };
    for (let i = 0; i < 2000; i++) raw.emit('delta', { epoch: flooder.epoch, seq: N + 2 + i, takenAt: new Date().toISOString(), upserts: [route(`10.200.${i >> 8}.${i & 255}/32`)], deletes: [] });
    await new Promise((r) => setTimeout(r, 50));
    flooder.close();
    await new Promise((r) => setTimeout(r, 1000));
    const after = ingest.stats.messages;
    await new Promise((r) => setTimeout(r, 2000));
    expect(ingest.stats.messages).toBe(after); // nothing more applied once it was gone
    expect(after - before).toBeLessThan(2000);
  }, 60_000);

  it('snapshots from many sockets wait for the budget of bytes in flight, and all get through on retry', async () => {
    const collectors = await Promise.all(Array.from({ length: 8 }, (_, i) => FakeCollector.connect(t.url, `herd${i}`)));
    open.push(...collectors);
    // ~600 kB each: the budget (2 × 1 MB) holds three at once
    const facts = (n: number) => Array.from({ length: 3000 }, (_, i) => route(`10.${100 + n}.${i >> 8}.${i & 255}/32`));
    const throttled = ingest.stats.throttled;
    const results = await Promise.all(
      collectors.map(async (c, n) => {
        for (let attempt = 0; attempt < 50; attempt++) {
          const r = await c.snapshot(facts(n), 1);
          if (r.ok) return attempt;
          expect(r).toMatchObject({ code: 'unavailable' });
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return -1;
      }),
    );
    expect(results.every((a) => a >= 0)).toBe(true);
    expect(ingest.stats.throttled - throttled).toBeGreaterThan(0);
  }, 60_000);
});
