// Slow readers cost themselves, never the server (issue 15, finding 3): five clients that read
// nothing of a large /api/state hold no database connection and no transaction; ingest keeps its
// pace, /metrics and /api/health answer at once; a reader that resumes gets the whole answer, and
// one that stays stalled is cut after the documented time-out.
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { spoolStats } from '../http/response-spool.js';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { withClient } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';

const NODES = 16;
const FACTS = 5000;

/** GET `path` and read nothing: the response waits, paused, in the socket. */
function stalledGet(url: string): Promise<{ res: IncomingMessage; abort(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      res.on('error', () => undefined); // cut by the server: expected for the stalled ones
      res.pause();
      resolve({ res, abort: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.99) - 1]!;

describe('slow readers', () => {
  let t: TestApi;
  let writer: FakeCollector;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    t = await startTestApi('slow-readers', { slowReaderTimeoutMs: 10_000, maxMessageBytes: 16 << 20 });
    for (let n = 0; n < NODES; n++) {
      const c = await FakeCollector.connect(t.url, `s${n}`);
      open.push(c);
      await c.snapshot(Array.from({ length: FACTS }, (_, i) => route(`10.${n}.${i >> 8}.${i & 255}/32`, '172.20.0.11', 'eth0')));
    }
    writer = await FakeCollector.connect(t.url, 'writer');
    open.push(writer);
    await writer.snapshot([]);
  }, 120_000);

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  const deltaTimes = async (count: number) => {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const ack = await writer.delta([route(`10.200.${i >> 8}.${i & 255}/32`)], [], writer.seq + 1);
      writer.seq += 1;
      expect(ack).toMatchObject({ ok: true });
      times.push(performance.now() - t0);
    }
    return times;
  };

  it('five stalled readers hold no connection and no transaction; ingest, /metrics and /api/health keep their pace', async () => {
    const before = p99(await deltaTimes(100));
    const spooled = spoolStats.spooledResponses;
    const cutBefore = spoolStats.stalledCut;
    const readers = await Promise.all(Array.from({ length: 5 }, () => stalledGet(`${t.url}/api/state`)));
    // the reads end on their own: their answers wait in the spools, not in Postgres
    await expect
      .poll(
        async () =>
          (
            await withClient(t.database.url, (c) =>
              c.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name LIKE 'netatlas-api%' AND state <> 'idle'`),
            )
          ).rows[0]?.n,
        { timeout: 15_000, interval: 250 },
      )
      .toBe('0');
    expect(spoolStats.spooledResponses - spooled).toBe(5);
    const during = p99(await deltaTimes(100));
    process.stdout.write(`delta ack p99 without readers ${before.toFixed(1)} ms, with 5 stalled readers ${during.toFixed(1)} ms\n`);
    expect(during).toBeLessThan(Math.max(2 * before, before + 20));
    for (const path of ['/metrics', '/api/health']) {
      const t0 = performance.now();
      const r = await fetch(`${t.url}${path}`);
      expect(r.status, path).toBe(200);
      const body = await r.text();
      if (path === '/metrics') expect(body).toMatch(/^netatlas_database_up 1$/m);
      expect(performance.now() - t0, path).toBeLessThan(1000);
    }
    // one reader resumes: the whole answer, every node and fact
    const resumed = readers[0]!;
    const chunks: Buffer[] = [];
    resumed.res.on('data', (d: Buffer) => chunks.push(d));
    resumed.res.resume();
    const how = await new Promise<string>((r) => {
      resumed.res.once('end', () => r('end'));
      resumed.res.once('aborted', () => r('aborted'));
    });
    expect(how).toBe('end');
    const state = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { nodes: Record<string, unknown[]> };
    expect(Object.keys(state.nodes)).toHaveLength(NODES + 1);
    expect(state.nodes['s3']).toHaveLength(FACTS);
    // the others stay stalled: the server cuts them after the time-out (10 s here, 60 s by
    // default) and they find the answer incomplete once they read again
    await expect.poll(() => spoolStats.stalledCut - cutBefore, { timeout: 20_000, interval: 250 }).toBe(4);
    const cut = await Promise.all(
      readers.slice(1).map(
        (r) =>
          new Promise<string>((resolve) => {
            const done = () => resolve(r.res.complete ? 'complete' : 'cut');
            r.res.once('end', done);
            r.res.once('aborted', done);
            r.res.once('error', done);
            r.res.resume();
          }),
      ),
    );
    expect(cut).toEqual(['cut', 'cut', 'cut', 'cut']);
    for (const r of readers) r.abort();
  }, 120_000);
});
