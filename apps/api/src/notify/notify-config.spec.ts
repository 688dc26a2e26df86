// NETATLAS_WEBHOOKS, NETATLAS_NOTIFY_CONFIG and friends: parsed at start, clear errors that never
// quote a receiver's URL or headers.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../settings.js';
import { describeReceiver, loadNotifyConfig, redact } from './notify-config.js';
import { backoffMs } from './outbox.js';

const listen = { host: '127.0.0.1', port: 3000 };
const SECRET = 's3cr3t-t0ken-value';

describe('notification configuration', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netatlas-notify-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (name: string, content: unknown) => {
    const path = join(dir, name);
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const errorOf = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected an error');
  };

  it('defaults: no receivers, links to http://HOST:PORT, back-off up to 5 minutes', () => {
    expect(loadConfig({}).notify).toEqual({ receivers: [], externalUrl: 'http://127.0.0.1:3000', maxBackoffMs: 300_000 });
    expect(loadConfig({ HOST: '::1', PORT: '8080' }).notify.externalUrl).toBe('http://[::1]:8080');
    expect(loadConfig({ NETATLAS_EXTERNAL_URL: 'https://netatlas.example.org/' }).notify.externalUrl).toBe('https://netatlas.example.org');
  });

  it('NETATLAS_WEBHOOKS: [name=]url[#json|#alertmanager], comma-separated', () => {
    const { receivers } = loadNotifyConfig(
      {
        NETATLAS_WEBHOOKS: `http://hooks.example.org:8080/netatlas, pager=https://user:pw@pager.example.org/api/v1/am?token=${SECRET}#alertmanager ,chat=http://10.0.0.1/x?a=b#json`,
        NETATLAS_NOTIFY_TIMEOUT_S: '2.5',
      },
      listen,
    );
    expect(receivers).toEqual([
      { name: 'hooks.example.org:8080', url: 'http://hooks.example.org:8080/netatlas', format: 'json', headers: {}, timeoutMs: 2500, minSeverity: 'info', maxAlerts: 0 },
      {
        name: 'pager',
        url: `https://user:pw@pager.example.org/api/v1/am?token=${SECRET}`,
        format: 'alertmanager',
        headers: {},
        timeoutMs: 2500,
        minSeverity: 'info',
        maxAlerts: 0,
      },
      { name: 'chat', url: 'http://10.0.0.1/x?a=b', format: 'json', headers: {}, timeoutMs: 2500, minSeverity: 'info', maxAlerts: 0 },
    ]);
    expect(describeReceiver(receivers[1]!)).toBe('pager (pager.example.org)');
  });

  it('NETATLAS_NOTIFY_CONFIG: a JSON file of receivers with headers, time limit, severity floor; ${VAR} from the environment', async () => {
    const path = await file('receivers.json', {
      receivers: [
        { name: 'am', url: 'http://127.0.0.1:9093/api/hook', format: 'alertmanager', headers: { Authorization: 'Bearer ${HOOK_TOKEN}' }, timeoutMs: 3000, minSeverity: 'critical' },
        { name: 'plain', url: 'https://example.org/${HOOK_PATH}', maxAlerts: 50 },
      ],
    });
    const config = loadNotifyConfig({ NETATLAS_NOTIFY_CONFIG: path, HOOK_TOKEN: SECRET, HOOK_PATH: 'in/x', NETATLAS_WEBHOOKS: 'env=http://127.0.0.1:1/' }, listen);
    expect(config.receivers.map((r) => r.name)).toEqual(['env', 'am', 'plain']);
    expect(config.receivers[1]).toEqual({
      name: 'am',
      url: 'http://127.0.0.1:9093/api/hook',
      format: 'alertmanager',
      headers: { Authorization: `Bearer ${SECRET}` },
      timeoutMs: 3000,
      minSeverity: 'critical',
      maxAlerts: 0,
    });
    expect(config.receivers[2]).toMatchObject({ url: 'https://example.org/in/x', format: 'json', timeoutMs: 10_000, minSeverity: 'info', maxAlerts: 50 });
  });

  it('refuses mistakes with a message naming the variable and the problem, never the URL or header values', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ NETATLAS_WEBHOOKS: `ftp://host/${SECRET}` }, /NETATLAS_WEBHOOKS entry 1: the URL must be an http:\/\/ or https:\/\/ URL/],
      [{ NETATLAS_WEBHOOKS: `ops=ftp://u:pw@host/${SECRET}` }, /NETATLAS_WEBHOOKS entry 1: the URL must be an http:\/\/ or https:\/\/ URL/],
      [{ NETATLAS_WEBHOOKS: `http://ok/, nope-${SECRET}` }, /NETATLAS_WEBHOOKS entry 2: the URL is not a URL/],
      [{ NETATLAS_WEBHOOKS: `http://h/${SECRET}#slack` }, /entry 1: unknown format #slack after the URL: use #json or #alertmanager/],
      [{ NETATLAS_WEBHOOKS: `http://h/${SECRET}, http://h/other` }, /two webhook receivers are named h/],
      [{ NETATLAS_WEBHOOKS: "a=http://h/${NETATLAS_TEST_MISSING}" }, /refers to \$\{NETATLAS_TEST_MISSING\}, which is not set/],
      [{ NETATLAS_NOTIFY_MAX_BACKOFF_S: '0' }, /NETATLAS_NOTIFY_MAX_BACKOFF_S must be a number of seconds/],
      [{ NETATLAS_NOTIFY_TIMEOUT_S: 'soon' }, /NETATLAS_NOTIFY_TIMEOUT_S must be a number of seconds/],
      [{ NETATLAS_EXTERNAL_URL: 'netatlas.local' }, /NETATLAS_EXTERNAL_URL is not a URL/],
      [{ NETATLAS_NOTIFY_CONFIG: join(tmpdir(), 'netatlas-no-such-file.json') }, /NETATLAS_NOTIFY_CONFIG: cannot read .*: ENOENT/],
    ];
    for (const [env, message] of cases) {
      const error = errorOf(() => loadConfig(env));
      expect(error, JSON.stringify(env)).toMatch(message);
      expect(error).not.toContain(SECRET);
    }
    const bad = async (content: unknown, message: RegExp) => {
      const path = await file('bad.json', content);
      const error = errorOf(() => loadConfig({ NETATLAS_NOTIFY_CONFIG: path }));
      expect(error).toMatch(message);
      expect(error).toContain(path);
      expect(error).not.toContain(SECRET);
    };
    await bad(`{"receivers": [{"name": "x", "url": "http://h/${SECRET}",}]}`, /not valid JSON/);
    await bad({ receivers: [{ name: 'x', url: `http://h/${SECRET}`, format: 'slack' }] }, /receivers\[0\]\.format/);
    await bad({ receivers: [{ name: 'x', url: `mailto:${SECRET}` }] }, /receivers\[0\] \(x\)\.url must be an http/);
    await bad({ receivers: [{ name: 'x', url: 'http://h/', headers: { Authorization: 42 } }] }, /receivers\[0\]\.headers\.Authorization/);
    await bad({ receivers: [{ name: 'x', url: 'http://h/', minSeverity: 'high' }] }, /receivers\[0\]\.minSeverity/);
    await bad({ receivers: [{ name: 'x', url: 'http://h/', timeoutMs: 5 }] }, /receivers\[0\]\.timeoutMs/);
    await bad({ receivers: [{ name: 'x', url: 'http://h/', urll: 'typo' }] }, /urll/);
    await bad({ receivers: [{ name: 'has space', url: 'http://h/' }] }, /receivers\[0\]\.name/);
    await bad({ hooks: [] }, /receivers/);
  });

  it('redact replaces a receiver\'s URL, path, query, credentials and header values', () => {
    const receiver = { url: `https://bot:pa55word@hooks.example.org/services/T0/B0/${SECRET}?key=${SECRET}k`, headers: { Authorization: `Bearer ${SECRET}b` } };
    const text = `POST ${receiver.url} failed; path /services/T0/B0/${SECRET}; user bot pass pa55word; token ${SECRET}b; key ${SECRET}k; host hooks.example.org`;
    const out = redact(text, [receiver]);
    for (const secret of [SECRET, 'pa55word', '/services/T0']) expect(out).not.toContain(secret);
    expect(out).toContain('host hooks.example.org');
  });

  it('back-off: 1 s doubling to the cap, with jitter between half and all of it', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 9, 10, 40].map((n) => backoffMs(n, 300_000, () => 1))).toEqual([1000, 2000, 4000, 8000, 256_000, 300_000, 300_000]);
    expect(backoffMs(1, 300_000, () => 0)).toBe(500);
    expect(backoffMs(3, 300_000, mid)).toBe(3000);
    // a cap under 1 s (tests) starts at the cap
    expect(backoffMs(1, 200, () => 1)).toBe(200);
    expect(backoffMs(5, 200, () => 0)).toBe(100);
  });
});
