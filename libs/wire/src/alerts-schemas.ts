// An alert as the API sends it (GET /api/alerts, POST /api/alerts/{id}/acknowledge, the live
// `alerts` batches): the one declaration of its shape; alerts.ts infers the types (and holds the
// rules, severities, states and the lifecycle).
import { z } from 'zod';
import { ALERT_RULES, ALERT_SEVERITIES, ALERT_STATES } from './alerts.js';
import { AlertAcknowledgementSchema } from './auth-schemas.js';
import { instant } from './fact.js';

export const AlertRuleSchema = z.enum(ALERT_RULES);
export const AlertSeveritySchema = z.enum(ALERT_SEVERITIES);
export const AlertStateSchema = z.enum(ALERT_STATES);

/** One spell of a symptom under a root cause. */
export const AlertCauseSchema = z.strictObject({
  rootId: z.string(),
  rule: AlertRuleSchema,
  fingerprint: z.string(),
  summary: z.string(),
  from: instant(),
  /** null while it still is */
  to: instant().nullable(),
});

/** A window of changes (links to /api/diff) */
const WindowSchema = z.strictObject({ from: instant(), to: instant() });

export const AlertSchema = z.strictObject({
  id: z.string(),
  rule: AlertRuleSchema,
  severity: AlertSeveritySchema,
  state: AlertStateSchema,
  /** identity: the rule and these labels (node, peer, prefix, set, member, interface …) */
  labels: z.record(z.string(), z.string()),
  /** `rule{k=v,…}`, stable across evaluations */
  fingerprint: z.string(),
  summary: z.string(),
  /** when the condition was first seen (pending since) */
  startsAt: instant(),
  /** when it started firing (null while pending, or if it cleared before `for` ran out) */
  firedAt: instant().nullable(),
  resolvedAt: instant().nullable(),
  /** the root-cause alert this one is a symptom of now */
  rootId: z.string().nullable(),
  /**
   * every root cause it was grouped under, oldest first: a symptom whose root resolves keeps this
   * history ("caused by #12 until 14:02") and is grouped under another open cause or stands alone
   */
  causes: z.array(AlertCauseSchema),
  /** for a root cause: how many symptom alerts it groups now */
  symptoms: z.number(),
  /** the window of changes that caused it and that cleared it (links to /api/diff) */
  cause: WindowSchema.nullable(),
  clear: WindowSchema.nullable(),
  /** an operator said they are on it (null: nobody has) */
  acknowledged: AlertAcknowledgementSchema.nullable(),
  /** the silence that keeps it from receivers now (null: none) */
  silencedBy: z.number().nullable(),
});
