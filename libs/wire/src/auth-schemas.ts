// Runtime schemas for the bodies viewers send (the API validates every one with these).
import { z } from 'zod';
import { ALERT_RULES } from './alerts.js';
import { ROLES } from './auth.js';
import { text } from './fact.js';

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
