// GET /metrics on the real API after real ingest: valid Prometheus text, and the series it promises
// (alerts, ingest counters, collector freshness and status, BGP sessions per node and state, outbox).
import { afterAll, describe, expect, it } from 'vitest';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { bgpSession as bgp, route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';

interface Family {
  help: string | null;
  type: string | null;
  samples: Array<{ labels: Record<string, string>; value: number }>;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const VALUE = String.raw`(?:[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|NaN|[-+]Inf)`;
const LABEL_PAIR = String.raw`${LABEL}="(?:[^"\\\n]|\\[\\"n])*"`;
const SAMPLE = new RegExp(String.raw`^(${NAME})(?:\{((?:${LABEL_PAIR})(?:,${LABEL_PAIR})*)?\})? (${VALUE})$`);

/**
 * A strict reading of the text format (0.0.4): every line is HELP, TYPE or a sample; a family's HELP
 * and TYPE come once, before its samples, which are contiguous; no series repeats. Throws on the
 * first problem, naming the line.
 */
function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const series = new Set<string>();
  let current: string | null = null;
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { help: null, type: null, samples: [] }));
    return f;
  };
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const where = `line ${i + 1} ${JSON.stringify(line)}`;
      const help = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
      const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
      if (help) {
        const f = family(help[1]!);
        if (f.help !== null || f.samples.length) throw new Error(`${where}: HELP repeated or after samples`);
        f.help = help[2]!;
        current = help[1]!;
        return;
      }
      if (type) {
        const f = family(type[1]!);
        if (f.type !== null || f.samples.length) throw new Error(`${where}: TYPE repeated or after samples`);
        f.type = type[2]!;
        current = type[1]!;
        return;
      }
      const sample = SAMPLE.exec(line);
      if (!sample) throw new Error(`${where}: not a HELP, TYPE or sample line`);
      const name = sample[1]!;
      if (name !== current) throw new Error(`${where}: sample of ${name} outside its family's block`);
      const f = families.get(name)!;
      if (f.help === null || f.type === null) throw new Error(`${where}: ${name} has no HELP or TYPE before its samples`);
      if (f.type === 'counter' && !name.endsWith('_total')) throw new Error(`${where}: a counter's name should end in _total`);
      const labels: Record<string, string> = {};
      for (const m of (sample[2] ?? '').matchAll(new RegExp(String.raw`(${LABEL})="((?:[^"\\\n]|\\[\\"n])*)"`, 'g'))) {
        if (m[1]! in labels) throw new Error(`${where}: label ${m[1]} twice`);
        labels[m[1]!] = m[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
      const id = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (series.has(id)) throw new Error(`${where}: series repeated`);
      series.add(id);
      f.samples.push({ labels, value: Number(sample[3]!.replace('Inf', 'Infinity')) });
    });
  return families;
}

/** The value of the one sample of `name` whose labels include `labels`. */
function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const matches = (families.get(name)?.samples ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matches.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${matches.length} series`);
  return matches[0]?.value;
}

describe('GET /metrics', () => {
  let t: TestApi;
  const open: FakeCollector[] = [];

  setupOnce(async () => {
    t = await startTestApi('metrics', {
      notify: {
        receivers: [{ name: 'hook', url: 'http://127.0.0.1:9/hook', format: 'json', headers: {}, timeoutMs: 1000, minSeverity: 'info', maxAlerts: 0 }],
        externalUrl: 'http://netatlas.test',
        maxBackoffMs: 1000,
      },
    });
  });

  afterAll(async () => {
    for (const c of open) c.close();
    await t?.close();
  });

  it('serves valid Prometheus text with the promised series after ingest', async () => {
    const m1 = await FakeCollector.connect(t.url, 'metrics-1');
    const m2 = await FakeCollector.connect(t.url, 'metrics-2');
    open.push(m1, m2);
    expect(await m1.snapshot([bgp('172.20.0.12', 'established'), bgp('172.20.0.13', 'established'), bgp('172.20.0.14', 'active'), route('10.233.2.0/24')])).toMatchObject({
      ok: true,
      changes: 4,
    });
    expect(await m2.snapshot([bgp('172.20.0.11', 'established')])).toMatchObject({ ok: true, changes: 1 });
    expect(await m2.delta([], [], 1)).toMatchObject({ ok: true, duplicate: true });
    // alerts as the engine stores them (rules and labels of their own, so the running engine leaves them be)
    await t.api.database.pool.query(
      `INSERT INTO alerts (fingerprint, rule, severity, labels, summary, state, starts_at, fired_at, resolved_at) VALUES
       ('MtuMismatch{node=metrics-a}', 'MtuMismatch', 'warning', '{"node":"metrics-a"}', 's', 'firing', now(), now(), NULL),
       ('MtuMismatch{node=metrics-b}', 'MtuMismatch', 'warning', '{"node":"metrics-b"}', 's', 'firing', now(), now(), NULL),
       ('MtuMismatch{node=metrics-c}', 'MtuMismatch', 'warning', '{"node":"metrics-c"}', 's', 'pending', now(), NULL, NULL),
       ('MtuMismatch{node=metrics-d}', 'MtuMismatch', 'warning', '{"node":"metrics-d"}', 's', 'resolved', now() - interval '10 minutes', now() - interval '9 minutes', now() - interval '5 minutes'),
       ('MtuMismatch{node=metrics-e}', 'MtuMismatch', 'warning', '{"node":"metrics-e"}', 's', 'resolved', now() - interval '1 day', now() - interval '1 day', now() - interval '2 hours')`,
    );
    await t.api.database.pool.query(`INSERT INTO notification_outbox (receiver, payload, next_attempt_at) VALUES ('hook', '{}', now() + interval '1 hour'), ('old-hook', '{}', now() + interval '1 hour')`);

    const response = await fetch(`${t.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheus(await response.text());

    for (const [name, type] of [
      ['netatlas_alerts', 'gauge'],
      ['netatlas_ingest_messages_total', 'counter'],
      ['netatlas_ingest_changes_total', 'counter'],
      ['netatlas_ingest_rejected_total', 'counter'],
      ['netatlas_ingest_duplicates_total', 'counter'],
      ['netatlas_collector_last_seen_seconds', 'gauge'],
      ['netatlas_node_status', 'gauge'],
      ['netatlas_bgp_sessions', 'gauge'],
      ['netatlas_notifications_pending', 'gauge'],
      ['netatlas_notifications_failed_attempts_total', 'counter'],
    ] as const) {
      expect(families.get(name)?.type, name).toBe(type);
      expect(families.get(name)?.help, name).toBeTruthy();
    }
    expect(value(families, 'netatlas_database_up')).toBe(1);
    expect(value(families, 'netatlas_build_info', { version: 'test' })).toBe(1);

    expect(value(families, 'netatlas_alerts', { rule: 'MtuMismatch', severity: 'warning', state: 'firing' })).toBe(2);
    expect(value(families, 'netatlas_alerts', { rule: 'MtuMismatch', severity: 'warning', state: 'pending' })).toBe(1);
    expect(families.get('netatlas_alerts')!.samples.some((s) => s.labels['state'] === 'resolved')).toBe(false);
    expect(value(families, 'netatlas_alerts_resolved_last_hour', { rule: 'MtuMismatch', severity: 'warning' })).toBe(1);

    expect(value(families, 'netatlas_ingest_messages_total')).toBeGreaterThanOrEqual(3);
    expect(value(families, 'netatlas_ingest_changes_total')).toBeGreaterThanOrEqual(5);
    expect(value(families, 'netatlas_ingest_duplicates_total')).toBeGreaterThanOrEqual(1);
    expect(value(families, 'netatlas_collectors_connected')).toBe(2);

    // one series per node and state, zeros included; none per peer
    const bgpSeries = families.get('netatlas_bgp_sessions')!.samples;
    expect(bgpSeries.every((s) => Object.keys(s.labels).sort().join() === 'node,state')).toBe(true);
    expect(bgpSeries.filter((s) => s.labels['node'] === 'metrics-1')).toHaveLength(6);
    expect(value(families, 'netatlas_bgp_sessions', { node: 'metrics-1', state: 'established' })).toBe(2);
    expect(value(families, 'netatlas_bgp_sessions', { node: 'metrics-1', state: 'active' })).toBe(1);
    expect(value(families, 'netatlas_bgp_sessions', { node: 'metrics-1', state: 'idle' })).toBe(0);
    expect(value(families, 'netatlas_bgp_sessions', { node: 'metrics-2', state: 'established' })).toBe(1);

    expect(value(families, 'netatlas_node_status', { node: 'metrics-1', status: 'connected' })).toBe(1);
    expect(value(families, 'netatlas_node_status', { node: 'metrics-1', status: 'lost' })).toBe(0);
    const age = value(families, 'netatlas_collector_last_seen_seconds', { node: 'metrics-1' })!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(30);
    const at = value(families, 'netatlas_collector_last_seen_timestamp_seconds', { node: 'metrics-1' })!;
    expect(Math.abs(at - Date.now() / 1000)).toBeLessThan(30);

    expect(value(families, 'netatlas_notifications_pending', { receiver: 'hook' })).toBe(1);
    // rows for a receiver no longer configured are counted too
    expect(value(families, 'netatlas_notifications_pending', { receiver: 'old-hook' })).toBe(1);
    expect(value(families, 'netatlas_notifications_failed_attempts_total', { receiver: 'hook' })).toBe(0);
  });

  it('a node that leaves loses its sessions and freshness series but keeps its status', async () => {
    const c = await FakeCollector.connect(t.url, 'metrics-3');
    open.push(c);
    await c.snapshot([bgp('172.20.0.11', 'idle')]);
    let families = parsePrometheus(await (await fetch(`${t.url}/metrics`)).text());
    expect(value(families, 'netatlas_bgp_sessions', { node: 'metrics-3', state: 'idle' })).toBe(1);
    await c.leave('test');
    families = parsePrometheus(await (await fetch(`${t.url}/metrics`)).text());
    expect(value(families, 'netatlas_bgp_sessions', { node: 'metrics-3', state: 'idle' })).toBeUndefined();
    expect(value(families, 'netatlas_collector_last_seen_seconds', { node: 'metrics-3' })).toBeUndefined();
    expect(value(families, 'netatlas_node_status', { node: 'metrics-3', status: 'left' })).toBe(1);
  });

  it('is served at /metrics only, not under /api', async () => {
    expect((await fetch(`${t.url}/api/metrics`)).status).toBe(404);
    expect((await fetch(`${t.url}/api/health`)).status).toBe(200);
  });
});

describe('GET /metrics with NETATLAS_METRICS_TOKEN', () => {
  let t: TestApi;
  const TOKEN = 'metrics-token-0123456789';

  setupOnce(async () => {
    t = await startTestApi('metrics-token', { metricsToken: TOKEN });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers only the bearer token, and says what is missing', async () => {
    const none = await fetch(`${t.url}/metrics`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { message: string }).message).toBe('metrics: send Authorization: Bearer <NETATLAS_METRICS_TOKEN>');
    const wrong = await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer not-the-metrics-token' } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toBe('metrics: wrong token');
    const right = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(right.status).toBe(200);
    expect(await right.text()).toMatch(/^netatlas_database_up 1$/m);
  });
});
