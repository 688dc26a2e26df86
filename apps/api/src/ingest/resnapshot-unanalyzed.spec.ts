// A resnapshot costs linear time whatever the planner knows (issue 15, finding 4): on a facts
// table without statistics (new, never analyzed, autovacuum off) the first round's anti-join was
// nested — 40k → 120k facts took 4 min 5 s. The figure (the API's part under 10 s) is
// measured by npm run bench:resnapshot (8.5–9.3 s on this machine, 2026-12-07); here the API's part
// must stay under 60 s, which the quadratic plan fails by four times and a loaded CI machine does
// not (it took the API 10.9 s in a CI run whose lab tests ran 15–50 % slower than the run before).
// The test's own part (building, serialising and sending 30 MB) is printed beside it.
import { afterAll, describe, expect, it } from 'vitest';
import { IngestService } from './ingest.service.js';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { withClient } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';

const routes = (n: number, base: number) => Array.from({ length: n }, (_, i) => route(`10.${base + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`));

describe('a resnapshot on a table without statistics', () => {
  let t: TestApi;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    t = await startTestApi('resnapshot-unanalyzed', { maxMessageBytes: 64 * 1024 * 1024 });
    await withClient(t.database.url, (c) => c.query('ALTER TABLE facts SET (autovacuum_enabled = false)'));
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  it('40k facts, then a snapshot of 120k others: linear time (under 60 s; the quadratic plan took 4 min), every fact accounted for', async () => {
    const c = await FakeCollector.connect(t.url, 'big');
    open.push(c);
    expect(await c.snapshot(routes(40_000, 0))).toMatchObject({ ok: true, changes: 40_000 });
    // no statistics: the planner knows nothing of the table
    const stats = await withClient(t.database.url, (db) =>
      db.query<{ analyzed: boolean; n: string }>(
        `SELECT (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analyzed, (SELECT count(*) FROM pg_stats WHERE tablename = 'facts')::text AS n
         FROM pg_stat_user_tables WHERE relname = 'facts'`,
      ),
    );
    expect(stats.rows[0]).toEqual({ analyzed: false, n: '0' });
    const t0 = Date.now();
    const ack = await c.snapshot(routes(120_000, 100));
    const ms = Date.now() - t0;
    const api = t.api.app.get(IngestService).stats.lastSnapshot;
    process.stdout.write(`resnapshot 40k → 120k on an unanalyzed table: the API ${api?.ms.toFixed(0)} ms (validation to commit), end to end ${ms} ms\n`);
    expect(ack).toMatchObject({ ok: true, changes: 160_000 });
    expect(api?.facts).toBe(120_000);
    expect(api!.ms).toBeLessThan(60_000);
    const current = await withClient(t.database.url, (db) => db.query<{ n: string }>(`SELECT count(*)::text AS n FROM facts WHERE valid_to IS NULL`));
    expect(current.rows[0]?.n).toBe('120000');
  }, 120_000);
});
