// Notification settings (README "Notifications"): webhook receivers from NETATLAS_WEBHOOKS and/or the
// JSON file NETATLAS_NOTIFY_CONFIG, checked at start. Receiver URLs and headers may carry secrets
// (tokens in the path or query, user:password, Authorization): no message made here quotes them, and
// everything else names a receiver as `name (host)` (describeReceiver).
import { readFileSync } from 'node:fs';
import { ALERT_SEVERITIES, describeZodError, type AlertSeverity } from '@netatlas/wire';
import { z } from 'zod';

/** Injection token of the notifications' settings (NotifyConfig), provided at start from settings.ts. */
export const NOTIFY_CONFIG = Symbol('NOTIFY_CONFIG');

export const RECEIVER_FORMATS = ['json', 'alertmanager'] as const;
export type ReceiverFormat = (typeof RECEIVER_FORMATS)[number];

export interface Receiver {
  /** stable: outbox rows are kept per receiver name, across restarts */
  name: string;
  /** http(s); may carry credentials (user:password@, a token in the path or query) */
  url: string;
  format: ReceiverFormat;
  /** extra request headers (Authorization, …) */
  headers: Record<string, string>;
  /** one request's time limit */
  timeoutMs: number;
  /** notices whose most severe alert is below this are not sent (unless the group was already sent) */
  minSeverity: AlertSeverity;
  /** at most this many alerts per body (0: all); the rest are counted in truncatedAlerts */
  maxAlerts: number;
}

export interface NotifyConfig {
  receivers: Receiver[];
  /** the address people open netatlas at, for links in notifications (no trailing slash) */
  externalUrl: string;
  /** retries back off from 1 s (or this, if smaller), doubling, up to this */
  maxBackoffMs: number;
}

export const NOTIFY_DEFAULTS = {
  timeoutS: 10,
  maxBackoffS: 300,
} as const;

type Env = Record<string, string | undefined>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function checkUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (!parsed.hostname) return 'has no host';
  return null;
}

/** `${NAME}` in a URL or header value is replaced by that environment variable (for secrets kept out of the file). */
function expand(value: string, env: Env, where: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) throw new Error(`${where} refers to \${${name}}, which is not set`);
    return v;
  });
}

const ReceiverFileSchema = z.strictObject({
  name: z.string().regex(NAME, 'must be 1-63 letters, digits, ".", "_", ":" or "-", starting with a letter or digit'),
  // checked after ${VAR} expansion, with messages that never quote it
  url: z.string().min(1),
  format: z.enum(RECEIVER_FORMATS).default('json'),
  headers: z
    .record(z.string().regex(HEADER_NAME, 'is not a valid header name'), z.string())
    .default({}),
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
  minSeverity: z.enum(ALERT_SEVERITIES).default('info'),
  maxAlerts: z.number().int().min(0).default(0),
});

const NotifyFileSchema = z.strictObject({
  receivers: z.array(ReceiverFileSchema),
});

/** `name (host)`: how receivers appear in logs and errors, never with the path, query or credentials. */
export function describeReceiver(receiver: Pick<Receiver, 'name' | 'url'>): string {
  try {
    return `${receiver.name} (${new URL(receiver.url).host})`;
  } catch {
    return receiver.name;
  }
}

/** The pieces of a receiver that must never be shown: the URL's path, query, credentials, the header values. */
export function secretsOf(receiver: Pick<Receiver, 'url' | 'headers'>): string[] {
  const secrets = [receiver.url];
  try {
    const u = new URL(receiver.url);
    secrets.push(u.href);
    if (u.username) secrets.push(u.username, decodeURIComponent(u.username));
    if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
    if (u.pathname.length > 1) secrets.push(u.pathname);
    if (u.search) secrets.push(u.search.slice(1));
    for (const value of u.searchParams.values()) secrets.push(value);
  } catch {
    // an unparseable URL is refused at start; only the whole string is known here
  }
  for (const value of Object.values(receiver.headers)) {
    secrets.push(value);
    // `Bearer <token>`, `Basic <credentials>`: the credentials alone too
    const scheme = /^\S+\s+(\S+)$/.exec(value.trim());
    if (scheme) secrets.push(scheme[1]!);
  }
  return [...new Set(secrets.filter((s) => s.length >= 3))].sort((a, b) => b.length - a.length);
}

/** `text` with every secret of the receivers replaced by `[redacted]`. */
export function redact(text: string, receivers: readonly Pick<Receiver, 'url' | 'headers'>[]): string {
  let out = text;
  for (const receiver of receivers) for (const secret of secretsOf(receiver)) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * NETATLAS_WEBHOOKS: comma-separated entries `[name=]url[#format]`. Without a name the receiver is
 * named after the URL's host (host:port); the format is `#json` (the default) or `#alertmanager`
 * (a URL fragment is never sent over HTTP, so it cannot clash with a real URL).
 */
export function parseWebhooksEnv(raw: string, env: Env, defaults: { timeoutMs: number }): Receiver[] {
  const receivers: Receiver[] = [];
  const entries = raw.split(',').map((e) => e.trim());
  entries.forEach((entry, i) => {
    if (entry === '') return;
    const where = `NETATLAS_WEBHOOKS entry ${i + 1}`;
    let name: string | null = null;
    let rest = entry;
    const eq = entry.indexOf('=');
    if (eq > 0 && NAME.test(entry.slice(0, eq)) && /^[a-z][a-z0-9+.-]*:\/\//i.test(entry.slice(eq + 1))) {
      name = entry.slice(0, eq);
      rest = entry.slice(eq + 1);
    }
    let format: ReceiverFormat = 'json';
    const hash = rest.lastIndexOf('#');
    if (hash >= 0) {
      const suffix = rest.slice(hash + 1);
      if (!(RECEIVER_FORMATS as readonly string[]).includes(suffix)) {
        const shown = /^[A-Za-z-]{1,20}$/.test(suffix) ? ` #${suffix}` : '';
        throw new Error(`${where}: unknown format${shown} after the URL: use #json or #alertmanager`);
      }
      format = suffix as ReceiverFormat;
      rest = rest.slice(0, hash);
    }
    const url = expand(rest, env, where);
    const problem = checkUrl(url);
    if (problem) throw new Error(`${where}: the URL ${problem} (expected [name=]http(s)://host[:port]/path[#json|#alertmanager])`);
    const host = new URL(url).host;
    receivers.push({ name: name ?? host, url, format, headers: {}, timeoutMs: defaults.timeoutMs, minSeverity: 'info', maxAlerts: 0 });
  });
  return receivers;
}

/** NETATLAS_NOTIFY_CONFIG: `{"receivers": [{name, url, format?, headers?, timeoutMs?, minSeverity?, maxAlerts?}]}`. */
export function parseNotifyFile(text: string, path: string, env: Env, defaults: { timeoutMs: number }): Receiver[] {
  const where = `NETATLAS_NOTIFY_CONFIG (${path})`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where}: not valid JSON: ${(error as Error).message.replace(/".*"/s, '…')}`, { cause: error });
  }
  const result = NotifyFileSchema.safeParse(json);
  if (!result.success) throw new Error(`${where}: ${describeZodError(result.error)}`);
  return result.data.receivers.map((r, i) => {
    const at = `${where}: receivers[${i}] (${r.name})`;
    const url = expand(r.url, env, `${at}.url`);
    const problem = checkUrl(url);
    if (problem) throw new Error(`${at}.url ${problem}`);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers)) headers[k] = expand(v, env, `${at}.headers.${k}`);
    return {
      name: r.name,
      url,
      format: r.format,
      headers,
      timeoutMs: r.timeoutMs ?? defaults.timeoutMs,
      minSeverity: r.minSeverity,
      maxAlerts: r.maxAlerts,
    };
  });
}

function seconds(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number of seconds from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * NETATLAS_WEBHOOKS, NETATLAS_NOTIFY_CONFIG (both may be set: the receivers add up; names must be
 * unique), NETATLAS_NOTIFY_TIMEOUT_S (default 10), NETATLAS_NOTIFY_MAX_BACKOFF_S (default 300),
 * NETATLAS_EXTERNAL_URL (default http://HOST:PORT).
 */
export function loadNotifyConfig(env: Env, listen: { host: string; port: number }): NotifyConfig {
  const timeoutMs = Math.round(seconds(env, 'NETATLAS_NOTIFY_TIMEOUT_S', NOTIFY_DEFAULTS.timeoutS, 0.1, 600) * 1000);
  const maxBackoffMs = Math.round(seconds(env, 'NETATLAS_NOTIFY_MAX_BACKOFF_S', NOTIFY_DEFAULTS.maxBackoffS, 0.01, 86_400) * 1000);
  const receivers: Receiver[] = [];
  const webhooks = env['NETATLAS_WEBHOOKS'];
  if (webhooks) receivers.push(...parseWebhooksEnv(webhooks, env, { timeoutMs }));
  const file = env['NETATLAS_NOTIFY_CONFIG'];
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`NETATLAS_NOTIFY_CONFIG: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
    receivers.push(...parseNotifyFile(text, file, env, { timeoutMs }));
  }
  const seen = new Set<string>();
  for (const r of receivers) {
    if (seen.has(r.name)) {
      throw new Error(
        `two webhook receivers are named ${r.name}: give each a name of its own (NETATLAS_WEBHOOKS: name=url; a receiver without one is named after its host)`,
      );
    }
    seen.add(r.name);
  }
  let externalUrl = (env['NETATLAS_EXTERNAL_URL'] ?? '').trim();
  if (externalUrl) {
    const problem = checkUrl(externalUrl);
    if (problem) throw new Error(`NETATLAS_EXTERNAL_URL ${problem}, got ${JSON.stringify(externalUrl)}`);
  } else {
    const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
    externalUrl = `http://${host}:${listen.port}`;
  }
  return { receivers, externalUrl: externalUrl.replace(/\/+$/, ''), maxBackoffMs };
}
