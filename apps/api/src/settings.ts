// The API's configuration, all from environment variables (README "Configuration"), read at the
// composition root: the shared settings (config.ts) and each module's own. Every value is checked at
// start, so a typo stops the API with a message instead of misbehaving later.
import { loadAlertConfig, type AlertConfig } from './alerts/alert-config.js';
import { AUTH_ENV, loadAuthConfig, type AuthConfig } from './auth/auth-config.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { buildKubeConfig } from './kube/kube-client.js';
import { loadNotifyConfig, type NotifyConfig } from './notify/notify-config.js';
import type { KubeMode } from './kube/kube-types.js';
import { CONFIG_DEFAULTS, type CoreConfig } from './config.js';

/** Everything the API is configured with: the shared settings and each module's own. */
export interface ApiConfig extends CoreConfig {
  /** alert rules: evaluation interval, `for` durations (alerts/alert-config.ts) */
  alerts: AlertConfig;
  /** webhook receivers, links and retry back-off for notifications (notify/notify-config.ts) */
  notify: NotifyConfig;
  /** who may read and act: anonymous role, OIDC, trusted proxy, sessions (auth/auth-config.ts) */
  auth: AuthConfig;
}

export const KUBERNETES_MODES = ['auto', 'off', 'in-cluster', 'kubeconfig'] as const;

type Env = Record<string, string | undefined>;

/**
 * Every environment variable the API reads: loadConfig's (with alerts/alert-config.ts and
 * notify/notify-config.ts), and at start NETATLAS_MIGRATIONS_DIR (db/migrate.ts) and the version it
 * reports (app-version.ts: NETATLAS_VERSION, else npm's npm_package_version). KUBERNETES_SERVICE_HOST
 * and _PORT are set by Kubernetes in every pod; HOME locates ~/.kube/config. A `${NAME}` in a webhook
 * URL or header reads NAME too. docker-compose.yml and the Kubernetes manifests may set only these
 * (tools/deploy checks it; config-env.spec.ts checks the list against the code).
 */
export const API_ENV = [
  'DATABASE_URL',
  'NETATLAS_DATA_DIR',
  'HOST',
  'PORT',
  'NETATLAS_TOKEN',
  'NETATLAS_HEARTBEAT_S',
  'NETATLAS_LOST_AFTER_S',
  'NETATLAS_RETENTION_DAYS',
  'NETATLAS_MAX_MESSAGE_MB',
  'NETATLAS_MAX_SNAPSHOT_MB',
  'NETATLAS_SNAPSHOT_TURNS',
  'NETATLAS_LIVE_BATCH_MS',
  'NETATLAS_SLOW_READER_TIMEOUT_S',
  'NETATLAS_TOPOLOGY_COMPACT_FROM',
  'NETATLAS_METRICS_TOKEN',
  'NETATLAS_COLLECTOR_AUDIENCE',
  'NETATLAS_COLLECTOR_SERVICE_ACCOUNT',
  'NETATLAS_WEB_DIR',
  'NETATLAS_MIGRATIONS_DIR',
  'NETATLAS_KUBERNETES',
  'KUBERNETES_SERVICE_HOST',
  'KUBERNETES_SERVICE_PORT',
  'KUBECONFIG',
  'HOME',
  'NETATLAS_ALERT_EVAL_MS',
  'NETATLAS_ALERT_FOR',
  'NETATLAS_NODE_LEFT_SHOW',
  'NETATLAS_WEBHOOKS',
  'NETATLAS_NOTIFY_CONFIG',
  'NETATLAS_NOTIFY_TIMEOUT_S',
  'NETATLAS_NOTIFY_MAX_BACKOFF_S',
  'NETATLAS_EXTERNAL_URL',
  ...AUTH_ENV,
  'NETATLAS_VERSION',
  'npm_package_version',
  'NETATLAS_STATE_RETAINED',
] as const;

/** The variables of API_ENV read at start outside loadConfig (NETATLAS_STATE_RETAINED: by the state worker, a bench diagnostic). */
export const API_ENV_OUTSIDE_CONFIG = ['NETATLAS_MIGRATIONS_DIR', 'NETATLAS_VERSION', 'npm_package_version', 'NETATLAS_STATE_RETAINED'] as const;

/**
 * NETATLAS_KUBERNETES: `auto` (the default) is in-cluster inside a pod (KUBERNETES_SERVICE_HOST is
 * set), else the KUBECONFIG file(s) when KUBECONFIG is set, else off. `kubeconfig` reads KUBECONFIG,
 * or ~/.kube/config.
 */
function kubernetes(env: Env): { kubernetes: KubeMode; kubeconfig: string | null } {
  const raw = (env['NETATLAS_KUBERNETES'] ?? '').trim();
  const asked = raw === '' ? 'auto' : raw;
  if (!(KUBERNETES_MODES as readonly string[]).includes(asked)) {
    throw new Error(`NETATLAS_KUBERNETES must be one of ${KUBERNETES_MODES.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  const host = env['KUBERNETES_SERVICE_HOST'] || null;
  const port = env['KUBERNETES_SERVICE_PORT'] || null;
  const kubeconfigEnv = env['KUBECONFIG'] || null;
  const mode: KubeMode = asked === 'auto' ? (host ? 'in-cluster' : kubeconfigEnv ? 'kubeconfig' : 'off') : (asked as KubeMode);
  if (mode === 'in-cluster' && (!host || !port)) {
    throw new Error(
      `NETATLAS_KUBERNETES=${asked} ${asked === 'auto' ? 'found KUBERNETES_SERVICE_HOST but' : 'needs KUBERNETES_SERVICE_HOST and'} ` +
        'KUBERNETES_SERVICE_PORT (Kubernetes sets both in every pod); set NETATLAS_KUBERNETES=off or kubeconfig outside a cluster',
    );
  }
  if (mode !== 'kubeconfig') return { kubernetes: mode, kubeconfig: null };
  const settings = { kubernetes: mode, kubeconfig: kubeconfigEnv ?? join(env['HOME'] || homedir(), '.kube', 'config') };
  // a missing or unreadable kubeconfig stops the API here, before anything starts
  buildKubeConfig(settings);
  return settings;
}

function number(env: Env, name: string, fallback: number, check: (n: number) => boolean, what: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new Error(`${name} must be ${what}, got ${JSON.stringify(raw)}`);
  return n;
}

export function loadConfig(env: Env = process.env): ApiConfig {
  const port = number(env, 'PORT', CONFIG_DEFAULTS.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'an integer from 0 to 65535');
  const lostAfterS = number(env, 'NETATLAS_LOST_AFTER_S', CONFIG_DEFAULTS.lostAfterS, (n) => n > 0, 'a positive number of seconds');
  const heartbeatS = number(env, 'NETATLAS_HEARTBEAT_S', CONFIG_DEFAULTS.heartbeatS, (n) => n > 0, 'a positive number of seconds');
  if (heartbeatS * 2 > lostAfterS) {
    throw new Error(`NETATLAS_LOST_AFTER_S (${lostAfterS}) must be at least twice NETATLAS_HEARTBEAT_S (${heartbeatS})`);
  }
  const token = env['NETATLAS_TOKEN'] || null;
  if (token !== null && token.length < 16) throw new Error('NETATLAS_TOKEN must be at least 16 characters');
  const host = env['HOST'] || CONFIG_DEFAULTS.host;
  const notify = loadNotifyConfig(env, { host, port });
  return {
    databaseUrl: env['DATABASE_URL'] || null,
    dataDir: env['NETATLAS_DATA_DIR'] || CONFIG_DEFAULTS.dataDir,
    host,
    port,
    token,
    lostAfterMs: lostAfterS * 1000,
    heartbeatMs: heartbeatS * 1000,
    retentionDays: number(env, 'NETATLAS_RETENTION_DAYS', CONFIG_DEFAULTS.retentionDays, (n) => n >= 0, 'a number of days (0 keeps everything)'),
    maxMessageBytes:
      number(env, 'NETATLAS_MAX_MESSAGE_MB', CONFIG_DEFAULTS.maxMessageMb, (n) => n > 0 && n <= 1024, 'a size in MB from 1 to 1024') * 1024 * 1024,
    maxSnapshotBytes:
      number(env, 'NETATLAS_MAX_SNAPSHOT_MB', CONFIG_DEFAULTS.maxSnapshotMb, (n) => n >= 1 && n <= 4096, 'a size in MB from 1 to 4096') * 1024 * 1024,
    snapshotTurns: number(env, 'NETATLAS_SNAPSHOT_TURNS', CONFIG_DEFAULTS.snapshotTurns, (n) => Number.isInteger(n) && n >= 1 && n <= 1000, 'an integer from 1 to 1000'),
    metricsToken: secret(env['NETATLAS_METRICS_TOKEN'], 'NETATLAS_METRICS_TOKEN'),
    collectorAudience: env['NETATLAS_COLLECTOR_AUDIENCE']?.trim() || 'netatlas',
    collectorServiceAccount: serviceAccount(env['NETATLAS_COLLECTOR_SERVICE_ACCOUNT']),
    slowReaderTimeoutMs:
      number(env, 'NETATLAS_SLOW_READER_TIMEOUT_S', CONFIG_DEFAULTS.slowReaderTimeoutS, (n) => n >= 1 && n <= 3600, 'a number of seconds from 1 to 3600') * 1000,
    topologyCompactFrom: number(env, 'NETATLAS_TOPOLOGY_COMPACT_FROM', CONFIG_DEFAULTS.topologyCompactFrom, (n) => Number.isInteger(n) && n >= 1, 'a number of hosts, 1 or more'),
    liveBatchMs: number(env, 'NETATLAS_LIVE_BATCH_MS', CONFIG_DEFAULTS.liveBatchMs, (n) => Number.isInteger(n) && n >= 10 && n <= 5000, 'an integer from 10 to 5000'),
    webDir: env['NETATLAS_WEB_DIR'] || null,
    ...kubernetes(env),
    alerts: loadAlertConfig(env),
    notify,
    auth: loadAuthConfig(env, host, notify.externalUrl),
  };
}

/** NETATLAS_COLLECTOR_SERVICE_ACCOUNT: `namespace:name` (default netatlas:netatlas-collector). */
function serviceAccount(raw: string | undefined): string {
  const value = raw?.trim() || 'netatlas:netatlas-collector';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(value)) {
    throw new Error(`NETATLAS_COLLECTOR_SERVICE_ACCOUNT must be namespace:name (e.g. netatlas:netatlas-collector), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A token setting: unset or empty is none; a set one has at least 16 characters. */
function secret(raw: string | undefined, name: string): string | null {
  if (!raw) return null;
  if (raw.length < 16) throw new Error(`${name} must be at least 16 characters`);
  return raw;
}
