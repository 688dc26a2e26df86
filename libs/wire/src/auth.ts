// Who a viewer is and what they may do (README "Security"): the roles, the signed-in user as
// GET /api/auth/me reports it, API tokens as the admin page lists them, and alert silences. Their
// shapes are declared once, as schemas (auth-schemas.ts); the types here are theirs.
import type { z } from 'zod';
import type { AlertAcknowledgementSchema, ApiTokenSchema, AuthMeSchema, SilenceSchema, ViewerSchema } from './auth-schemas.js';

/** viewer reads everything; operator also acknowledges and silences alerts; admin also manages tokens and reads settings */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** true when `role` may do what `needed` may */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** how a viewer got in */
export const AUTH_VIAS = ['oidc', 'token', 'proxy', 'anonymous'] as const;
export type AuthVia = (typeof AUTH_VIAS)[number];

export type Viewer = z.infer<typeof ViewerSchema>;

/** GET /api/auth/me (open to all): who this is, and how one may sign in */
export type AuthMe = z.infer<typeof AuthMeSchema>;

/** An API token as GET /api/admin/tokens lists it (its secret is shown once, on creation) */
export type ApiToken = z.infer<typeof ApiTokenSchema>;

/** A silence: alerts of `rule` (any rule when null) whose labels include `labels` are not notified until `until` */
export type Silence = z.infer<typeof SilenceSchema>;

/** Who acknowledged an alert, and when */
export type AlertAcknowledgement = z.infer<typeof AlertAcknowledgementSchema>;

/** Whether a silence covers an alert: the same rule (or any), and every label of the silence on the alert. */
export function silenceMatches(silence: Pick<Silence, 'rule' | 'labels'>, alert: { rule: string; labels: Record<string, string> }): boolean {
  if (silence.rule !== null && silence.rule !== alert.rule) return false;
  return Object.entries(silence.labels).every(([k, v]) => alert.labels[k] === v);
}
