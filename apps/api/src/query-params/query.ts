// Query-string parsing for the REST endpoints: one zod schema per endpoint (also the source of the
// OpenAPI document), and a 400 that says which parameter is wrong and why.
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ALERT_RULES, ALERT_STATE_FILTERS, FactKindSchema, NodeNameSchema } from '@netatlas/wire';
import { z } from 'zod';

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-](\d{2}):?(\d{2})))?$/;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * An ISO 8601 time with a zone, or a date (midnight UTC), as a Date — or why it is none. Strict
 * where `new Date` is lenient: 2026-02-30 is no day (JavaScript reads it as March 2), year 0000 is
 * no year (Postgres refuses it), and an hour is below 24.
 */
export function parseInstant(s: string): Date | string {
  const m = ISO_TIME.exec(s);
  if (!m) return `must be an ISO 8601 time with a zone (e.g. 2026-11-23T14:00:00Z) or a date, got ${JSON.stringify(s.slice(0, 64))}`;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1) return `year ${m[1]} does not exist (the first is 0001)`;
  if (month < 1 || month > 12) return `month ${m[2]} does not exist`;
  if (day < 1 || day > daysIn(year, month)) return `${MONTHS[month - 1]} ${year} has no day ${m[3]} (it has ${daysIn(year, month)})`;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return `${m[4]}:${m[5]}${m[6] ? `:${m[6]}` : ''} is no time of day`;
  if (m[8] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return `zone offset ${m[7]} is out of range`;
  const date = new Date(m[4] === undefined ? `${m[1]}-${m[2]}-${m[3]}T00:00:00Z` : s);
  return Number.isNaN(date.getTime()) ? `${JSON.stringify(s)} is not a time` : date;
}

export const instant = z
  .string()
  .meta({ format: 'date-time' })
  .transform((s, ctx) => {
    const date = parseInstant(s);
    if (typeof date === 'string') {
      ctx.addIssue({ code: 'custom', message: date });
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
export const TopologyQuerySchema = z.strictObject({
  at: instant.optional().describe('a past moment (default: now)'),
  form: z
    .enum(['auto', 'full', 'compact'])
    .default('auto')
    .describe('full: every edge; compact: healthy edges between hosts counted in the hosts\' data.relations; auto (default): compact from NETATLAS_TOPOLOGY_COMPACT_FROM hosts on (41)'),
});

/** The most hosts one GET /api/topology/edges names (the ones in focus on a screen). */
export const MAX_EDGE_HOSTS = 100;

export const TopologyEdgesQuerySchema = z.strictObject({
  hosts: z
    .string()
    .transform((s) => [...new Set(s.split(',').filter(Boolean))])
    .pipe(z.array(NodeNameSchema).min(1).max(MAX_EDGE_HOSTS))
    .describe(`comma-separated node names (1–${MAX_EDGE_HOSTS})`),
  at: instant.optional().describe('a past moment (default: now)'),
});

/** A window's length when its start is not given: `from` is 24 hours before `to` everywhere. */
export const DEFAULT_WINDOW_MS = 24 * 3600_000;

/**
 * The one default of every window (changes, events, alerts, an address's history): `to` now,
 * `from` DEFAULT_WINDOW_MS before `to`. A schema's output then always has both.
 */
export function withWindow<T extends { from?: Date | undefined; to?: Date | undefined }>(q: T): Omit<T, 'from' | 'to'> & { from: Date; to: Date } {
  const to = q.to ?? new Date();
  return { ...q, to, from: q.from ?? new Date(to.getTime() - DEFAULT_WINDOW_MS) };
}

const windowFrom = (what: string) => instant.optional().describe(`${what} (default: 24 hours before \`to\`)`);
const windowTo = (what: string) => instant.optional().describe(`${what} (default: now)`);

export const ChangesQuerySchema = z
  .strictObject({
    from: windowFrom('window start, exclusive'),
    to: windowTo('window end, inclusive'),
    node: NodeNameSchema.optional(),
    kind: FactKindSchema.optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000).describe('changes per page (1–10000, default 1000)'),
    after: z.string().optional().describe('the `next` cursor of the previous page (with the `to` of the first page\'s answer)'),
  })
  .transform(withWindow);
/** Two moments, not a window: the earlier one is always named (a diff of every node over a day is a big read to make by default). */
export const DiffQuerySchema = z.strictObject({
  from: instant.describe('the earlier moment'),
  to: instant.optional().describe('the later moment (default now)'),
  node: NodeNameSchema.optional(),
});
export const EventsQuerySchema = z
  .strictObject({
    from: windowFrom('window start'),
    to: windowTo('window end'),
    node: NodeNameSchema.optional(),
  })
  .transform(withWindow);

export const ChecksQuerySchema = z.strictObject({ at: instant.optional().describe('a past moment (default: now, with Kubernetes when watched)') });

export const AlertsQuerySchema = z
  .strictObject({
    state: z.enum(ALERT_STATE_FILTERS).optional().describe('only alerts in this state now; `open`: pending or firing'),
    from: windowFrom('alerts open at some moment after this'),
    to: windowTo('and before this'),
    rule: z.enum(ALERT_RULES).optional(),
    node: NodeNameSchema.optional().describe('alerts about this node (as `node` or `peer`)'),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .transform(withWindow);

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

/** A request body checked against its schema: the parsed body, or a 400 naming each bad field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
    return `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`;
  });
  throw new BadRequestException(problems.join('; '));
}

/** A numeric id from the path; anything else names nothing here (404). */
export function idParam(raw: string, what: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new NotFoundException(`no ${what} with id ${JSON.stringify(raw)}`);
  return Number(raw);
}
