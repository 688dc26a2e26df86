// Query-string parsing for the REST endpoints: one zod schema per endpoint (also the source of the
// OpenAPI document), and a 400 that says which parameter is wrong and why.
import { BadRequestException } from '@nestjs/common';
import { ALERT_RULES, ALERT_STATES, FactKindSchema, NodeNameSchema } from '@netatlas/wire';
import { z } from 'zod';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;
const instant = z
  .string()
  .meta({ format: 'date-time' })
  .transform((s, ctx) => {
    const date = ISO_TIME.test(s) ? new Date(s.length === 10 ? `${s}T00:00:00Z` : s) : null;
    if (!date || Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: `must be an ISO 8601 time with a zone (e.g. 2026-11-23T14:00:00Z) or a date, got ${JSON.stringify(s)}` });
      return z.NEVER;
    }
    return date;
  });
const kinds = z
  .string()
  .transform((s) => s.split(',').filter(Boolean))
  .pipe(z.array(FactKindSchema).min(1));

export const FactsQuerySchema = z.strictObject({
  kind: kinds.optional().describe('comma-separated fact kinds (default: all)'),
  at: instant.optional().describe('a past moment (default: now)'),
});
export const StateQuerySchema = FactsQuerySchema;
export const TopologyQuerySchema = z.strictObject({ at: instant.optional().describe('a past moment (default: now)') });

export const ChangesQuerySchema = z
  .strictObject({
    from: instant.describe('window start (exclusive)'),
    to: instant.optional().describe('window end (inclusive; default now)'),
    node: NodeNameSchema.optional(),
    kind: FactKindSchema.optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000).describe('changes per page (1–10000, default 1000)'),
    after: z.string().optional().describe('the `next` cursor of the previous page'),
  });
export const DiffQuerySchema = z.strictObject({
  from: instant.describe('the earlier moment'),
  to: instant.optional().describe('the later moment (default now)'),
  node: NodeNameSchema.optional(),
});
export const EventsQuerySchema = z.strictObject({
  from: instant.optional().describe('default: 24 hours before `to`'),
  to: instant.optional().describe('default: now'),
  node: NodeNameSchema.optional(),
});

export const ChecksQuerySchema = z.strictObject({ at: instant.optional().describe('a past moment (default: now, with Kubernetes when watched)') });

export const AlertsQuerySchema = z.strictObject({
  state: z.enum(ALERT_STATES).optional().describe('only alerts in this state now'),
  from: instant.optional().describe('alerts open at some moment after this (default: 24 hours before `to`)'),
  to: instant.optional().describe('default: now'),
  rule: z.enum(ALERT_RULES).optional(),
  node: NodeNameSchema.optional().describe('alerts about this node (as `node` or `peer`)'),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.length ? String(issue.path[0]) : 'query';
    if (issue.code === 'unrecognized_keys') return `unknown parameter(s): ${issue.keys.join(', ')}`;
    return `${name}: ${issue.message}`;
  });
  throw new BadRequestException(problems.join('; '));
}

/** The `after` cursor: base64url of JSON, opaque to clients. */
export function encodeCursor(cursor: object): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor<T>(raw: string, check: (v: unknown) => v is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // fall through
  }
  throw new BadRequestException('after: not a cursor returned by this endpoint');
}
