// While Postgres is down the REST API says so, 503 with Retry-After, on every endpoint that reads
// the store (never a 500: nothing is wrong with the request), and answers normally once it is back.
// Its own Postgres (embedded, in a temporary folder), so that the test may stop it.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../settings.js';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded-postgres.js';
import { DATABASE_RETRY_AFTER_S } from '../http/errors.filter.js';
import { startApi, type RunningApi } from '../start.js';
import { FakeCollector, TEST_TOKEN } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';

const READS = [
  '/api/nodes',
  '/api/nodes/d1/facts',
  '/api/state',
  '/api/state?at=2026-01-01T00:00:00Z',
  '/api/topology?at=2026-01-01T00:00:00Z',
  '/api/changes?from=2026-01-01T00:00:00Z',
  '/api/diff?from=2026-01-01T00:00:00Z',
  '/api/events',
  '/api/alerts',
];

describe('the REST API while the database is down', () => {
  let pg: EmbeddedPostgres;
  let api: RunningApi;
  let dataDir: string;
  let port: number;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'netatlas-dbdown-'));
    await chmod(dataDir, 0o755); // as root, Postgres runs as `postgres`, which must reach its folder
    port = await freePort();
    pg = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port });
    const config = { ...loadConfig({}), databaseUrl: pg.url, port: await freePort(), token: TEST_TOKEN, retentionDays: 0 };
    api = await startApi(config, { logger: false, log: () => undefined, version: 'test' });
    const c = await FakeCollector.connect(api.url, 'd1');
    open.push(c);
    await c.snapshot([route('10.7.0.0/24')]);
  }, 120_000);

  afterAll(async () => {
    for (const s of open) s.close();
    await api?.close();
    await pg?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('answers 503 with Retry-After on every read, then 200 once Postgres is back', async () => {
    for (const path of READS) expect((await fetch(`${api.url}${path}`)).status, path).toBe(200);
    await pg.stop();
    for (const path of READS) {
      const r = await fetch(`${api.url}${path}`);
      const body = (await r.json()) as { message?: string };
      expect(r.status, `${path}: ${JSON.stringify(body)}`).toBe(503);
      expect(r.headers.get('retry-after'), path).toBe(String(DATABASE_RETRY_AFTER_S));
      expect(body.message, path).toBe('the database is unavailable; retry later');
    }
    // bad input is still named as such, database or not
    expect((await fetch(`${api.url}/api/state?at=2026-02-30`)).status).toBe(400);
    pg = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port });
    const deadline = Date.now() + 30_000;
    for (const path of READS) {
      let status = 0;
      while (Date.now() < deadline && (status = (await fetch(`${api.url}${path}`)).status) !== 200) await new Promise((r) => setTimeout(r, 250));
      expect(status, path).toBe(200);
    }
  }, 120_000);

  it('changes refused while Postgres was down are recorded with a gap over the outage', async () => {
    const c = await FakeCollector.connect(api.url, 'd2');
    open.push(c);
    expect(await c.snapshot([route('10.7.1.0/24')])).toMatchObject({ ok: true });
    await pg.stop();
    const down = Date.now();
    const change = route('10.7.2.0/24');
    expect(await c.delta([change], [], 2)).toMatchObject({ ok: false, code: 'unavailable' });
    await new Promise((r) => setTimeout(r, 1500));
    pg = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port });
    // the collector sends the same message again until it is taken
    let ack: { ok: boolean; at?: string } = { ok: false };
    const deadline = Date.now() + 30_000;
    while (!ack.ok && Date.now() < deadline) {
      ack = (await c.delta([change], [], 2)) as typeof ack;
      if (!ack.ok) await new Promise((r) => setTimeout(r, 250));
    }
    expect(ack).toMatchObject({ ok: true });
    const read = async () => (await (await fetch(`${api.url}/api/events?node=d2`)).json()) as { events: Array<{ type: string; detail: Record<string, unknown> }> };
    await expect.poll(async () => (await read()).events.some((e) => e.type === 'gap'), { timeout: 5000 }).toBe(true);
    const gap = (await read()).events.find((e) => e.type === 'gap')!.detail as { from: string; to: string; changes: number; reason: string };
    expect(gap).toMatchObject({ changes: 1, reason: 'database unavailable', to: ack.at });
    // the window holds the real outage: it starts within 1 s of it
    expect(Math.abs(Date.parse(gap.from) - down)).toBeLessThan(1000);
    expect(Date.parse(gap.to) - Date.parse(gap.from)).toBeGreaterThanOrEqual(1500);
  }, 120_000);

  it("a resync's gap starts at the last message received before the outage, not at the hello", async () => {
    const c = await FakeCollector.connect(api.url, 'd3', Date.now());
    expect(await c.snapshot([route('10.7.3.0/24')])).toMatchObject({ ok: true });
    const last = Date.now();
    c.close();
    await new Promise((r) => setTimeout(r, 3000));
    const back = await FakeCollector.connect(api.url, 'd3', Date.now());
    open.push(back);
    const ack = (await back.snapshot([route('10.7.3.0/24'), route('10.7.4.0/24')])) as { ok: boolean; at: string };
    expect(ack.ok).toBe(true);
    const events = ((await (await fetch(`${api.url}/api/events?node=d3`)).json()) as { events: Array<{ type: string; detail: Record<string, unknown> }> }).events;
    const gap = events.find((e) => e.type === 'gap')!.detail as { from: string; to: string };
    expect(Math.abs(Date.parse(gap.from) - last)).toBeLessThan(1000);
    expect(gap.to).toBe(ack.at);
    expect(Date.parse(gap.to) - Date.parse(gap.from)).toBeGreaterThanOrEqual(3000);
  }, 60_000);
});
