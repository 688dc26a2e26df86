// Alerting settings from the environment (README "Configuration"): how often the rules run, each
// rule's `for` duration, and how long NodeLeft stays up.
import { ALERT_RULES, type AlertRule } from '@netatlas/wire';
import { RULES } from './rules.js';

/** Injection token of the alert rules' settings (AlertConfig), provided at start from settings.ts. */
export const ALERT_CONFIG = Symbol('ALERT_CONFIG');

export interface AlertConfig {
  /** evaluate the rules this often (ms) */
  evalMs: number;
  /** each rule's `for` duration (ms) */
  forMs: Record<AlertRule, number>;
  /** NodeLeft stays active this long after a node left (ms) */
  nodeLeftShowMs: number;
}

type Env = Record<string, string | undefined>;

/** `90s`, `2m`, `500ms`, `0` -> ms */
export function parseDuration(raw: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw new Error(`${what}: ${JSON.stringify(raw)} is not a duration (e.g. 0, 500ms, 10s, 2m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Math.round(Number(m[1]) * unit);
}

export function defaultAlertConfig(): AlertConfig {
  return {
    evalMs: 1000,
    forMs: Object.fromEntries(ALERT_RULES.map((r) => [r, RULES[r].forMs])) as Record<AlertRule, number>,
    nodeLeftShowMs: 600_000,
  };
}

/**
 * NETATLAS_ALERT_EVAL_MS (default 1000), NETATLAS_ALERT_FOR (`RouteLoss=10s,BgpSessionDown=30s`;
 * the rest keep their defaults), NETATLAS_NODE_LEFT_SHOW (default 10m).
 */
export function loadAlertConfig(env: Env): AlertConfig {
  const config = defaultAlertConfig();
  const evalMs = env['NETATLAS_ALERT_EVAL_MS'];
  if (evalMs !== undefined && evalMs !== '') {
    const n = Number(evalMs);
    if (!Number.isInteger(n) || n < 100 || n > 60_000) throw new Error(`NETATLAS_ALERT_EVAL_MS must be an integer from 100 to 60000, got ${JSON.stringify(evalMs)}`);
    config.evalMs = n;
  }
  for (const part of (env['NETATLAS_ALERT_FOR'] ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [rule, value] = part.split('=') as [string, string | undefined];
    if (!(ALERT_RULES as readonly string[]).includes(rule)) {
      throw new Error(`NETATLAS_ALERT_FOR: unknown rule ${JSON.stringify(rule)}; the rules are ${ALERT_RULES.join(', ')}`);
    }
    if (value === undefined) throw new Error(`NETATLAS_ALERT_FOR: ${rule} needs a duration (${rule}=10s)`);
    config.forMs[rule as AlertRule] = parseDuration(value, `NETATLAS_ALERT_FOR ${rule}`);
  }
  const show = env['NETATLAS_NODE_LEFT_SHOW'];
  if (show !== undefined && show !== '') config.nodeLeftShowMs = parseDuration(show, 'NETATLAS_NODE_LEFT_SHOW');
  return config;
}
