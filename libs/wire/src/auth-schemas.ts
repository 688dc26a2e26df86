// Runtime schemas for the bodies viewers send (the API validates every one with these), and below
// them the one declaration of what the API answers about viewers, tokens and silences (auth.ts
// infers the types).
import { z } from 'zod';
import { ALERT_RULES } from './alerts.js';
import { AUTH_VIAS, ROLES } from './auth.js';
import { instant, text } from './fact.js';

/** POST /api/auth/token-login */
export const TokenLoginSchema = z.object({ token: text().min(1).max(200) }).strict();

/** POST /api/admin/tokens */
export const NewApiTokenSchema = z
  .object({
    name: text()
      .min(1)
      .max(100)
      .regex(/^[\w .@-]+$/, 'letters, digits, space and . _ @ - only'),
    role: z.enum(ROLES),
  })
  .strict();

/** POST /api/silences: at least a minute, at most 30 days */
export const NewSilenceSchema = z
  .object({
    rule: z.enum(ALERT_RULES).nullable(),
    labels: z.record(text().min(1).max(64), text().max(512)).refine((l) => Object.keys(l).length <= 16, 'at most 16 labels'),
    durationS: z.number().int().min(60).max(30 * 24 * 3600),
    comment: text().max(500).default(''),
  })
  .strict()
  .refine((s) => s.rule !== null || Object.keys(s.labels).length > 0, { message: 'a silence names a rule or at least one label (it would silence everything)' });

// ------------------------------------------------------------------ what the API answers

export const RoleSchema = z.enum(ROLES);
export const AuthViaSchema = z.enum(AUTH_VIAS);

export const ViewerSchema = z.strictObject({
  /** the OIDC subject, the proxy's user, `token:<name>`, or `anonymous` */
  subject: z.string(),
  /** what to show: the name claim, the proxy's user, the token's name */
  name: z.string(),
  role: RoleSchema,
  via: AuthViaSchema,
});

/** GET /api/auth/me (open to all): who this is, and how one may sign in */
export const AuthMeSchema = z.strictObject({
  /** null: not signed in (every other endpoint answers 401) */
  viewer: ViewerSchema.nullable(),
  methods: z.strictObject({
    /** sign in through the OpenID provider at GET /api/auth/login?return=… (null: not configured) */
    oidc: z.strictObject({ issuer: z.string() }).nullable(),
    /** sign in by pasting an API token (POST /api/auth/token-login) */
    token: z.boolean(),
  }),
  /** POST /api/auth/logout ends the session (false for anonymous and proxy viewers, whose access is not a session) */
  canLogout: z.boolean(),
});

/** An API token as GET /api/admin/tokens lists it (its secret is shown once, on creation) */
export const ApiTokenSchema = z.strictObject({
  id: z.number(),
  name: z.string(),
  role: RoleSchema,
  createdAt: instant(),
  createdBy: z.string().nullable(),
  lastUsedAt: instant().nullable(),
});

/** A silence: alerts of `rule` (any rule when null) whose labels include `labels` are not notified until `until` */
export const SilenceSchema = z.strictObject({
  id: z.number(),
  rule: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  until: instant(),
  comment: z.string(),
  createdBy: z.string(),
  createdAt: instant(),
});

/** Who acknowledged an alert, and when */
export const AlertAcknowledgementSchema = z.strictObject({
  by: z.string(),
  at: instant(),
});
