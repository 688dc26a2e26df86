// Issue 19, point 3: every window has one default, the 24 hours before `to` (now by default) —
// /api/changes answered 400 without `from` while /api/events and /api/alerts took the last day —
// and /api/alerts?state=open (the alerts view's own filter) means pending or firing.
import type { Alert } from '@netatlas/wire';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultAlertConfig } from '../alerts/alert-config.js';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';

const DAY_MS = 24 * 3600_000;

describe('REST windows and filters', () => {
  let t: TestApi;
  let collector: FakeCollector;
  const alertIds: Record<'pending' | 'firing' | 'resolved' | 'olderFiring', string> = { pending: '', firing: '', resolved: '', olderFiring: '' };

  setupOnce(async () => {
    const alerts = defaultAlertConfig();
    alerts.evalMs = 3600_000; // the engine leaves the rows this test writes alone
    t = await startTestApi('windows', { alerts });
    collector = await FakeCollector.connect(t.url, 'w1');
    expect(await collector.snapshot([route('10.19.0.0/24')])).toMatchObject({ ok: true });
    expect(await collector.delta([route('10.19.1.0/24')], [])).toMatchObject({ ok: true });
    // alerts in each state, as the engine writes them (their statements are the engine's; the rows are what matters here)
    const client = new pg.Client({ connectionString: t.database.url });
    await client.connect();
    try {
      const now = Date.now();
      const insert = async (fingerprint: string, state: string, startsAgoMs: number, resolvedAgoMs: number | null) => {
        const { rows } = await client.query<{ id: string }>(
          `INSERT INTO alerts (fingerprint, rule, severity, labels, summary, state, starts_at, fired_at, resolved_at)
           VALUES ($1, 'BgpSessionDown', 'warning', $2, $3, $4, $5, $6, $7) RETURNING id::text`,
          [
            fingerprint,
            JSON.stringify({ node: 'w1', peer: fingerprint }),
            `session ${fingerprint} down`,
            state,
            new Date(now - startsAgoMs),
            state === 'pending' ? null : new Date(now - startsAgoMs + 1000),
            resolvedAgoMs === null ? null : new Date(now - resolvedAgoMs),
          ],
        );
        return rows[0]!.id;
      };
      alertIds.olderFiring = await insert('172.20.0.91', 'firing', 3 * 3600_000, null);
      alertIds.resolved = await insert('172.20.0.92', 'resolved', 2 * 3600_000, 3600_000);
      alertIds.firing = await insert('172.20.0.93', 'firing', 20 * 60_000, null);
      alertIds.pending = await insert('172.20.0.94', 'pending', 60_000, null);
    } finally {
      await client.end();
    }
  });

  afterAll(async () => {
    collector?.close();
    await t?.close();
  });

  const window = async (path: string) => {
    const before = Date.now();
    const r = await t.get<{ from: string; to: string; message?: string }>(path);
    const after = Date.now();
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(200);
    return { ...r.body, before, after };
  };

  it.each(['/api/changes', '/api/events', '/api/alerts', '/api/addresses/10.19.0.1/history'])('GET %s without from or to is the 24 hours before now', async (path) => {
    const w = await window(path);
    const to = Date.parse(w.to);
    expect(to).toBeGreaterThanOrEqual(w.before - 5);
    expect(to).toBeLessThanOrEqual(w.after + 5);
    expect(to - Date.parse(w.from)).toBe(DAY_MS);
  });

  it.each(['/api/changes', '/api/events', '/api/alerts', '/api/addresses/10.19.0.1/history'])('GET %s with only `to` is the 24 hours before it', async (path) => {
    const w = await window(`${path}?to=2026-03-02T12:00:00Z`);
    expect({ from: w.from, to: w.to }).toEqual({ from: '2026-03-01T12:00:00.000Z', to: '2026-03-02T12:00:00.000Z' });
    // and a `from` given is kept
    const given = await window(`${path}?from=2026-02-01T00:00:00Z&to=2026-03-02T12:00:00Z`);
    expect(given.from).toBe('2026-02-01T00:00:00.000Z');
  });

  it('the default window of /api/changes holds the changes of the last day, and pages through them', async () => {
    const recent = await t.get<{ changes: Array<{ key: string }>; next: string | null; to: string }>('/api/changes');
    expect(recent.body.changes.map((c) => c.key)).toEqual(expect.arrayContaining([expect.stringContaining('10.19.0.0/24'), expect.stringContaining('10.19.1.0/24')]));
    // a day that ended before they were written holds none of them
    const before = await t.get<{ changes: unknown[] }>(`/api/changes?to=${new Date(Date.now() - 3600_000).toISOString()}`);
    expect(before.body.changes).toEqual([]);
    // the cursor goes on within the first page's window
    const first = await t.get<{ changes: Array<{ key: string }>; next: string | null; to: string }>('/api/changes?limit=1');
    expect(first.body.changes).toHaveLength(1);
    expect(first.body.next).not.toBeNull();
    const second = await t.get<{ changes: Array<{ key: string }> }>(`/api/changes?limit=1&to=${encodeURIComponent(first.body.to)}&after=${first.body.next}`);
    expect(second.status).toBe(200);
    expect(second.body.changes).toHaveLength(1);
    expect(second.body.changes[0]!.key).not.toBe(first.body.changes[0]!.key);
  });

  const alerts = async (query: string) => {
    const r = await t.get<{ alerts: Alert[]; message?: string }>(`/api/alerts${query}`);
    expect(r.status, `${query}: ${JSON.stringify(r.body)}`).toBe(200);
    return r.body.alerts.map((a) => [a.id, a.state]);
  };

  it('GET /api/alerts?state=open is the pending and firing alerts, newest first, within the limit', async () => {
    const { pending, firing, resolved, olderFiring } = alertIds;
    expect(await alerts('')).toEqual([
      [pending, 'pending'],
      [firing, 'firing'],
      [resolved, 'resolved'],
      [olderFiring, 'firing'],
    ]);
    expect(await alerts('?state=open')).toEqual([
      [pending, 'pending'],
      [firing, 'firing'],
      [olderFiring, 'firing'],
    ]);
    expect(await alerts('?state=open&limit=2')).toEqual([
      [pending, 'pending'],
      [firing, 'firing'],
    ]);
    expect(await alerts('?state=firing')).toEqual([
      [firing, 'firing'],
      [olderFiring, 'firing'],
    ]);
    expect(await alerts('?state=pending')).toEqual([[pending, 'pending']]);
    expect(await alerts('?state=resolved')).toEqual([[resolved, 'resolved']]);
    // open within a window: the one that started 3 h ago is outside the last 2 h
    expect(await alerts(`?state=open&from=${new Date(Date.now() - 2 * 3600_000).toISOString()}`)).toEqual([
      [pending, 'pending'],
      [firing, 'firing'],
      [olderFiring, 'firing'],
    ]);
    expect(await alerts(`?state=open&to=${new Date(Date.now() - 2.5 * 3600_000).toISOString()}`)).toEqual([[olderFiring, 'firing']]);
    const bad = await t.get<{ message: string }>('/api/alerts?state=opened');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^state: .*"open"/);
  });

  it('the OpenAPI document says so', async () => {
    type Parameter = { name: string; required: boolean; description?: string; schema: { enum?: string[] } };
    const doc = await t.get<{ paths: Record<string, { get: { parameters: Parameter[] } }> }>('/api/docs/openapi.json');
    const param = (path: string, name: string) => doc.body.paths[path]!.get.parameters.find((p) => p.name === name);
    for (const path of ['/api/changes', '/api/events', '/api/alerts', '/api/addresses/{ip}/history']) {
      expect(param(path, 'from'), path).toMatchObject({ required: false, description: expect.stringContaining('default: 24 hours before `to`') });
      expect(param(path, 'to'), path).toMatchObject({ required: false, description: expect.stringContaining('default: now') });
    }
    expect(param('/api/alerts', 'state')).toMatchObject({ required: false, description: expect.stringContaining('`open`: pending or firing'), schema: { enum: ['pending', 'firing', 'resolved', 'open'] } });
    // a diff compares two moments: the earlier one is always named
    expect(param('/api/diff', 'from')).toMatchObject({ required: true });
  });
});
