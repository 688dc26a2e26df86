// Notifications through the real API, Postgres and HTTP receivers on loopback: notices queued in a
// transaction reach every receiver in order (firing before resolved), in the receiver's format; a
// receiver that is down, failing or slow gets everything once it answers and holds up no other; an
// API restart loses and repeats nothing; no secret reaches the log.
import type { LoggerService, LogLevel } from '@nestjs/common';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type ApiConfig } from '../settings.js';
import { startApi, type RunningApi } from '../start.js';
import { startTestApi, TEST_TOKEN, type TestApi } from '../testing/api.js';
import { SilencesRepository } from '../db/repositories/silences.repository.js';
import { createTestDatabase, withClient, type TestDatabase } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';
import { WebhookReceiver } from '../testing/webhook-receiver.js';
import type { AlertNotice } from './notice.js';
import type { NotifyConfig, Receiver } from './notify-config.js';
import { Notifier } from './notifier.js';
import { OutboxSender } from './outbox.js';
import type { AlertmanagerWebhook, JsonWebhook } from './payloads.js';
import { nodeDownGroup, testAlert, testNotice } from './test-notices.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function receiver(name: string, url: string, over: Partial<Receiver> = {}): Receiver {
  return { name, url, format: 'json', headers: {}, timeoutMs: 2000, minSeverity: 'info', maxAlerts: 0, ...over };
}

function notify(receivers: Receiver[]): NotifyConfig {
  // a short back-off cap, so that retries come every 100-200 ms
  return { receivers, externalUrl: 'http://netatlas.test', maxBackoffMs: 200 };
}

/** Queues the notices the way the alerts engine does: in one transaction, then a kick after COMMIT. */
async function enqueue(api: RunningApi, ...notices: AlertNotice[]): Promise<void> {
  const notifier = api.app.get(Notifier);
  const client = await api.database.pool.connect();
  try {
    await client.query('BEGIN');
    for (const n of notices) await notifier.enqueue(client, n);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  notifier.kick();
}

interface OutboxRow {
  id: string;
  receiver: string;
  attempts: number;
  last_error: string | null;
  delivered: boolean;
  status: string;
}

async function outbox(api: RunningApi, receiverName?: string): Promise<OutboxRow[]> {
  const { rows } = await api.database.pool.query<OutboxRow>(
    `SELECT id::text, receiver, attempts, last_error, delivered_at IS NOT NULL AS delivered, payload->>'status' AS status
     FROM notification_outbox WHERE $1::text IS NULL OR receiver = $1 ORDER BY notification_outbox.id`,
    [receiverName ?? null],
  );
  return rows;
}

/** `groupKey:status` of each body, the order a receiver saw them in. */
const seen = (r: WebhookReceiver) => r.accepted<JsonWebhook>().map((b) => `${b.groupKey}:${b.status}`);

/** A group firing, then resolved: two notices. */
function lifecycle(node: string, symptoms = 1): [AlertNotice, AlertNotice] {
  const firing = nodeDownGroup(node, symptoms, 'firing');
  const resolved = firing.map((a) => ({ ...a, state: 'resolved' as const, resolvedAt: '2026-11-23T10:05:00.000Z', symptoms: 0 }));
  return [testNotice(firing, 'firing'), testNotice(resolved, 'resolved')];
}

describe('notifications: delivery', () => {
  let t: TestApi;
  let hook: WebhookReceiver;
  let am: WebhookReceiver;
  let crit: WebhookReceiver;

  setupOnce(async () => {
    hook = await WebhookReceiver.start();
    am = await WebhookReceiver.start();
    crit = await WebhookReceiver.start();
    t = await startTestApi('notify_delivery', {
      notify: notify([
        receiver('hook', hook.url('/hook')),
        receiver('am', `http://alert:manager@127.0.0.1:${am.port}/api/v2/hook?token=abc123`, { format: 'alertmanager', headers: { 'X-Team': 'net' } }),
        receiver('crit', crit.url('/crit'), { minSeverity: 'critical' }),
      ]),
    });
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([hook?.close(), am?.close(), crit?.close()]);
  });

  it('sends firing, then resolved, to each receiver in its format, once each', async () => {
    const [firing, resolved] = lifecycle('n1', 2);
    await enqueue(t.api, firing);
    await enqueue(t.api, resolved);
    await hook.waitForAccepted(2);
    await am.waitForAccepted(2);
    expect(seen(hook)).toEqual(['NodeUnreachable{node=n1}:firing', 'NodeUnreachable{node=n1}:resolved']);
    const json = hook.accepted<JsonWebhook>();
    expect(json[0]).toMatchObject({ version: 1, receiver: 'hook', status: 'firing', externalURL: 'http://netatlas.test', alerts: firing.alerts, transitions: firing.transitions });
    expect(hook.requests[0]).toMatchObject({ method: 'POST', path: '/hook' });
    expect(hook.requests[0]!.headers['content-type']).toBe('application/json');

    const bodies = am.accepted<AlertmanagerWebhook>();
    expect(bodies.map((b) => [b.version, b.receiver, b.status, b.alerts.length])).toEqual([
      ['4', 'am', 'firing', 3],
      ['4', 'am', 'resolved', 3],
    ]);
    expect(bodies[1]!.alerts.every((a) => a.status === 'resolved' && a.endsAt === '2026-11-23T10:05:00.000Z')).toBe(true);
    // the URL's credentials go as Basic authentication, the configured headers along
    expect(am.requests[0]!.path).toBe('/api/v2/hook?token=abc123');
    expect(am.requests[0]!.headers['authorization']).toBe(`Basic ${Buffer.from('alert:manager').toString('base64')}`);
    expect(am.requests[0]!.headers['x-team']).toBe('net');

    // the critical-only receiver got it too (the group's root cause is critical)
    await crit.waitForAccepted(2);
    await expect.poll(async () => (await outbox(t.api)).filter((r) => !r.delivered)).toEqual([]);
    const rows = await outbox(t.api);
    expect(rows.every((r) => r.attempts === 1 && r.last_error === null)).toBe(true);
    await sleep(300);
    expect(hook.requests).toHaveLength(2);
    expect(am.requests).toHaveLength(2);
  }, 30_000);

  it('a notice whose transaction rolls back is never sent', async () => {
    const before = hook.requests.length;
    const rowsBefore = (await outbox(t.api)).length;
    const notifier = t.api.app.get(Notifier);
    const client = await t.api.database.pool.connect();
    try {
      await client.query('BEGIN');
      await notifier.enqueue(client, lifecycle('rolled-back')[0]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    notifier.kick();
    await sleep(1500);
    expect(hook.requests.length).toBe(before);
    expect(await outbox(t.api)).toHaveLength(rowsBefore);
  }, 30_000);

  it('minSeverity: a group below it is not sent; a group sent once is followed to its resolution', async () => {
    const start = crit.accepted().length;
    const warningOnly = testAlert('IpsetDrift', { node: 'w1', set: 'kube-router-pod-subnets' }, { severity: 'warning' });
    await enqueue(t.api, testNotice([warningOnly], 'firing'));
    // critical at first: sent; then only its warning symptom still fires: still sent, and so is the resolution
    const root = testAlert('BgpSessionDown', { node: 'c1', peer: 'p1' }, { severity: 'critical' });
    const symptom = testAlert('RouteLoss', { node: 'c1', peer: 'p1' }, { severity: 'warning', rootId: root.id });
    await enqueue(t.api, testNotice([root, symptom], 'firing'));
    const rootGone = { ...root, severity: 'warning' as const };
    await enqueue(t.api, testNotice([rootGone, symptom], 'firing'));
    await enqueue(t.api, testNotice([{ ...rootGone, state: 'resolved' }, { ...symptom, state: 'resolved' }], 'resolved'));
    await enqueue(t.api, testNotice([{ ...warningOnly, state: 'resolved' }], 'resolved'));
    await crit.waitForAccepted(start + 3);
    await sleep(500);
    expect(seen(crit).slice(start)).toEqual([
      'BgpSessionDown{node=c1,peer=p1}:firing',
      'BgpSessionDown{node=c1,peer=p1}:firing',
      'BgpSessionDown{node=c1,peer=p1}:resolved',
    ]);
    // every notice went to the receivers without a floor
    await expect.poll(() => seen(hook).filter((s) => s.startsWith('IpsetDrift')).length).toBe(2);
  }, 30_000);

  it('a 4xx is a refusal: not retried, recorded, and the next notice goes through', async () => {
    const start = hook.requests.length;
    hook.behaviour = { kind: 'status', status: 400, body: 'bad payload' };
    await enqueue(t.api, lifecycle('refused')[0]);
    await expect.poll(() => hook.requests.length).toBe(start + 1);
    await sleep(800);
    expect(hook.requests.length).toBe(start + 1);
    const refused = (await outbox(t.api, 'hook')).at(-1)!;
    expect(refused).toMatchObject({ delivered: true, attempts: 1, last_error: 'HTTP 400 Bad Request: bad payload' });
    hook.behaviour = { kind: 'ok' };
    await enqueue(t.api, lifecycle('after-refusal')[0]);
    await expect.poll(() => seen(hook).at(-1)).toBe('NodeUnreachable{node=after-refusal}:firing');
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toContain('netatlas_notifications_rejected_total{receiver="hook"} 1');
    expect(metrics).toMatch(/netatlas_notifications_delivered_total\{receiver="am"\} \d+/);
  }, 30_000);

  it('delivered rows older than the retention are deleted; undelivered ones never', async () => {
    await t.api.database.pool.query(
      `INSERT INTO notification_outbox (receiver, payload, created_at, delivered_at, next_attempt_at) VALUES
       ('hook', '{"old":1}', now() - interval '40 days', now() - interval '40 days', now()),
       ('gone-receiver', '{"old":2}', now() - interval '40 days', NULL, now())`,
    );
    const deleted = await t.api.app.get(OutboxSender).prune(new Date(Date.now() - 30 * 86400_000));
    expect(deleted).toBe(1);
    const { rows } = await t.api.database.pool.query<{ payload: unknown }>(`SELECT payload FROM notification_outbox WHERE payload ? 'old'`);
    expect(rows.map((r) => r.payload)).toEqual([{ old: 2 }]);
  }, 30_000);

  it('a silenced group is not sent while the silence holds; an ended silence lets the next notice through', async () => {
    const silences = t.api.app.get(SilencesRepository);
    const silence = await silences.create({ rule: null, labels: { node: 'silenced-1' }, durationS: 600, comment: 'maintenance' }, 'spec');
    const before = hook.accepted().length;
    const requestsBefore = hook.requests.length;
    const rowsBefore = (await outbox(t.api)).length;
    const [firing] = lifecycle('silenced-1');
    await enqueue(t.api, firing);
    await sleep(1000);
    expect(hook.requests.length).toBe(requestsBefore);
    expect(await outbox(t.api)).toHaveLength(rowsBefore);
    // another node's group is not covered
    await enqueue(t.api, lifecycle('silenced-2')[0]);
    await hook.waitForAccepted(before + 1);
    expect(await silences.end(silence.id)).toBe(true);
    await enqueue(t.api, lifecycle('silenced-1')[1]);
    await hook.waitForAccepted(before + 2);
    expect(seen(hook).slice(-2)).toEqual(['NodeUnreachable{node=silenced-2}:firing', 'NodeUnreachable{node=silenced-1}:resolved']);
  }, 30_000);
});

describe('notifications: receivers that are down, failing or slow', () => {
  let t: TestApi;
  let steady: WebhookReceiver;
  let flaky: WebhookReceiver;

  setupOnce(async () => {
    steady = await WebhookReceiver.start();
    flaky = await WebhookReceiver.start();
    t = await startTestApi('notify_outage', {
      notify: notify([receiver('steady', steady.url()), receiver('flaky', flaky.url(), { timeoutMs: 3000, format: 'alertmanager' })]),
    });
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([steady?.close(), flaky?.close()]);
  });

  it('a receiver that is down for a minute gets every notice once it is back, in order, and holds up no other', async () => {
    await flaky.down();
    const notices = ['a', 'b', 'c'].flatMap((n) => lifecycle(`down-${n}`));
    // firing a, b, c, then resolved a, b, c, each in its own transaction
    const order = [notices[0]!, notices[2]!, notices[4]!, notices[1]!, notices[3]!, notices[5]!];
    const began = Date.now();
    for (const n of order) await enqueue(t.api, n);
    await steady.waitForAccepted(6, 5000);
    expect(Date.now() - began).toBeLessThan(2000);

    // the receiver stays down for a minute (issue 6): the first notice is retried, the rest wait their turn
    await sleep(60_000);
    const waiting = await outbox(t.api, 'flaky');
    expect(waiting.filter((r) => !r.delivered)).toHaveLength(6);
    expect(waiting[0]!.attempts).toBeGreaterThan(3);
    expect(waiting[0]!.last_error).toMatch(/ECONNREFUSED/);
    expect(waiting.slice(1).every((r) => r.attempts === 0)).toBe(true);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toContain('netatlas_notifications_pending{receiver="flaky"} 6');
    expect(metrics).toContain('netatlas_notifications_pending{receiver="steady"} 0');
    expect(metrics).toMatch(/netatlas_notifications_failed_attempts_total\{receiver="flaky"\} [1-9]\d*/);

    await flaky.up();
    await flaky.waitForAccepted(6, 5000);
    const bodies = flaky.accepted<AlertmanagerWebhook>();
    expect(bodies.map((b) => `${b.alerts[0]!.labels['node']}:${b.status}`)).toEqual([
      'down-a:firing',
      'down-b:firing',
      'down-c:firing',
      'down-a:resolved',
      'down-b:resolved',
      'down-c:resolved',
    ]);
    expect(seen(steady)).toEqual(
      ['a', 'b', 'c', 'a', 'b', 'c'].map((n, i) => `NodeUnreachable{node=down-${n}}:${i < 3 ? 'firing' : 'resolved'}`),
    );
    await sleep(300);
    expect(flaky.requests).toHaveLength(6);
    await expect.poll(async () => (await outbox(t.api, 'flaky')).every((r) => r.delivered && r.last_error === null)).toBe(true);
  }, 90_000);

  it('the database dropping every connection only postpones delivery', async () => {
    const start = flaky.accepted().length;
    await flaky.down();
    const [firing, resolved] = lifecycle('db-outage');
    await enqueue(t.api, firing);
    await enqueue(t.api, resolved);
    // every connection of the API is killed (57P01) a few times while the sender retries
    for (let i = 0; i < 5; i++) {
      await withClient(t.database.url, (c) =>
        c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`),
      );
      await sleep(200);
    }
    await flaky.up();
    await flaky.waitForAccepted(start + 2, 10_000);
    expect(flaky.accepted<AlertmanagerWebhook>().slice(start).map((b) => `${b.alerts[0]!.labels['node']}:${b.status}`)).toEqual([
      'db-outage:firing',
      'db-outage:resolved',
    ]);
    expect((await fetch(`${t.url}/api/health`)).status).toBe(200);
  }, 30_000);

  it('a receiver answering 500 is retried with back-off until it accepts, in order', async () => {
    const start = { steady: steady.accepted().length, flaky: flaky.accepted().length, requests: flaky.requests.length };
    flaky.behaviour = { kind: 'status', status: 500 };
    const [firing, resolved] = lifecycle('five-hundred');
    await enqueue(t.api, firing);
    await enqueue(t.api, resolved);
    await steady.waitForAccepted(start.steady + 2, 3000);
    await expect.poll(() => flaky.requests.length - start.requests, { timeout: 5000 }).toBeGreaterThanOrEqual(4);
    // only the first notice was tried
    expect(flaky.requests.slice(start.requests).every((r) => (r.body as AlertmanagerWebhook).status === 'firing')).toBe(true);
    expect((await outbox(t.api, 'flaky')).at(-2)!.last_error).toMatch(/^HTTP 500 Internal Server Error/);
    flaky.behaviour = { kind: 'ok' };
    await flaky.waitForAccepted(start.flaky + 2, 5000);
    expect(flaky.accepted<AlertmanagerWebhook>().slice(start.flaky).map((b) => b.status)).toEqual(['firing', 'resolved']);
  }, 30_000);

  it('a slow receiver holds up only itself; one slower than its time limit is retried', async () => {
    const start = { steady: steady.accepted().length, flaky: flaky.accepted().length, requests: flaky.requests.length };
    flaky.behaviour = { kind: 'slow', delayMs: 2000 };
    await enqueue(t.api, lifecycle('slow-1')[0]);
    const began = Date.now();
    await steady.waitForAccepted(start.steady + 1, 3000);
    expect(Date.now() - began).toBeLessThan(1500);
    await flaky.waitForAccepted(start.flaky + 1, 5000);

    // slower than its 3 s limit: the attempt fails, and the next one (once it is quick) delivers
    flaky.behaviour = { kind: 'slow', delayMs: 4000 };
    await enqueue(t.api, lifecycle('slow-2')[0]);
    await expect.poll(async () => (await outbox(t.api, 'flaky')).at(-1)!.last_error, { timeout: 8000 }).toBe('no answer within 3000 ms');
    flaky.behaviour = { kind: 'ok' };
    await flaky.waitForAccepted(start.flaky + 2, 5000);
    expect(flaky.accepted<AlertmanagerWebhook>().at(-1)!.alerts[0]!.labels['node']).toBe('slow-2');
  }, 30_000);
});

describe('notifications: an API restart', () => {
  let database: TestDatabase;
  let first: TestApi | null = null;
  let second: TestApi | null = null;
  let r: WebhookReceiver;

  setupOnce(async () => {
    r = await WebhookReceiver.start();
    database = await createTestDatabase('notify_restart');
  });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await r?.close();
    await database?.drop();
  });

  it('loses nothing that was pending and sends nothing again that was delivered', async () => {
    const overrides = { notify: notify([receiver('r', r.url())]) };
    first = await startTestApi('notify_restart', overrides, database);
    const [a1, a2] = lifecycle('before');
    await enqueue(first.api, a1);
    await enqueue(first.api, a2);
    await r.waitForAccepted(2);

    // the receiver goes down; three notices wait; the API stops while they do
    await r.down();
    const later = [...lifecycle('during'), lifecycle('during-2')[0]];
    for (const n of later) await enqueue(first.api, n);
    await expect.poll(async () => (await outbox(first!.api, 'r'))[2]!.attempts, { timeout: 5000 }).toBeGreaterThan(1);
    await first.stop();
    expect((await outboxOf(database)).map((x) => x.delivered)).toEqual([true, true, false, false, false]);

    // it comes back, and so does the API (a new process on the same database)
    await r.up();
    second = await startTestApi('notify_restart', overrides, database);
    await r.waitForAccepted(5, 10_000);
    await sleep(1500);
    expect(seen(r)).toEqual([
      'NodeUnreachable{node=before}:firing',
      'NodeUnreachable{node=before}:resolved',
      'NodeUnreachable{node=during}:firing',
      'NodeUnreachable{node=during}:resolved',
      'NodeUnreachable{node=during-2}:firing',
    ]);
    expect(r.requests).toHaveLength(5);
    expect((await outboxOf(database)).every((x) => x.delivered)).toBe(true);
  }, 30_000);
});

async function outboxOf(database: TestDatabase): Promise<Array<{ delivered: boolean }>> {
  return withClient(database.url, async (c) => (await c.query<{ delivered: boolean }>(`SELECT delivered_at IS NOT NULL AS delivered FROM notification_outbox ORDER BY id`)).rows);
}

/** Nest's logger, keeping every line. */
class CaptureLogger implements LoggerService {
  readonly lines: string[] = [];
  private keep(level: string, message: unknown, rest: unknown[]) {
    this.lines.push(`${level} ${[message, ...rest].map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ')}`);
  }
  log(message: unknown, ...rest: unknown[]) {
    this.keep('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.keep('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.keep('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.keep('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.keep('verbose', message, rest);
  }
}

describe('notifications: secrets', () => {
  const TOKEN = 'tok-9f8e7d6c5b4a';
  const PASSWORD = 'pw-0a1b2c3d4e';
  const BEARER = 'bearer-55aa66bb77cc';
  const KEY = 'key-1234abcd5678';
  let database: TestDatabase;
  let api: RunningApi | null = null;
  let failing: WebhookReceiver;
  let gone: WebhookReceiver;
  const logger = new CaptureLogger();
  const startLines: string[] = [];

  setupOnce(async () => {
    failing = await WebhookReceiver.start();
    gone = await WebhookReceiver.start();
    database = await createTestDatabase('notify_secrets');
    const config: ApiConfig = {
      ...loadConfig({}),
      databaseUrl: database.url,
      port: 0,
      token: TEST_TOKEN,
      retentionDays: 0,
      notify: notify([
        receiver('failing', `http://ops:${PASSWORD}@127.0.0.1:${failing.port}/hooks/${TOKEN}?key=${KEY}`, {
          format: 'alertmanager',
          headers: { Authorization: `Bearer ${BEARER}` },
        }),
        receiver('gone', `http://127.0.0.1:${gone.port}/x/${TOKEN}`),
      ]),
    };
    // the failing receiver echoes the path (with the token and key) in its error body
    failing.behaviour = { kind: 'status', status: 503 };
    await gone.down();
    api = await startApi(config, { logger: logger as unknown as LogLevel[], log: (line) => startLines.push(line), version: 'test' });
  });

  afterAll(async () => {
    await api?.close();
    await Promise.all([failing?.close(), gone?.close()]);
    await database?.drop();
  });

  it('never logs or stores a receiver\'s credentials, token, query or headers', async () => {
    await enqueue(api!, lifecycle('secret')[0]);
    await expect.poll(() => failing.requests.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    expect(failing.requests[0]!.headers['authorization']).toBe(`Bearer ${BEARER}`);
    const stored = await withClient(database.url, async (c) => (await c.query<{ last_error: string | null }>(`SELECT last_error FROM notification_outbox ORDER BY id`)).rows);
    const errors = stored.map((s) => s.last_error ?? '').join('\n');
    expect(errors).toMatch(/HTTP 503 Service Unavailable: cannot handle \[redacted\]/);
    expect(errors).toMatch(/fetch failed \(ECONNREFUSED\)/);
    failing.behaviour = { kind: 'ok' };
    await gone.up();
    await failing.waitForAccepted(1, 5000);
    await gone.waitForAccepted(1, 5000);
    await api!.close();

    const log = [...startLines, ...logger.lines].join('\n');
    expect(log).toContain(`failing (127.0.0.1:${failing.port})`);
    expect(log).toContain(`gone (127.0.0.1:${gone.port})`);
    expect(log).toMatch(/failing \(127\.0\.0\.1:\d+\): HTTP 503 Service Unavailable: cannot handle \[redacted\]/);
    expect(log).toMatch(/gone \(127\.0\.0\.1:\d+\): fetch failed \(ECONNREFUSED\)/);
    expect(log).toMatch(/answers again after/);
    for (const secret of [TOKEN, PASSWORD, BEARER, KEY, 'ops:', '/hooks/', '/x/']) {
      expect(log, secret).not.toContain(secret);
      expect(errors, secret).not.toContain(secret);
    }
  }, 30_000);
});
