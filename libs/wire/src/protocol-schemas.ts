// Runtime schemas for every message the API receives (protocol.ts holds their types). The API
// validates at its boundary with these and nothing else. Below them, the schemas of what the API
// sends of a node (its summary, its fact changes, its lifecycle events): the one declaration of
// those, protocol.ts infers their types.
import { z } from 'zod';
import { CniStyleSchema, FactKindSchema, FactSchema, FactValueSchema, instant, ReaderStatusSchema, text } from './fact.js';
import { FactRefSchema } from './messages.js';
import { NODE_EVENT_TYPES, NODE_STATUSES, READERS_MAX, SNAPSHOT_PARTS_MAX, SUPPORTED_PROTOCOLS } from './protocol.js';

/** A Kubernetes node name, a hostname, or a lab namespace name. */
export const NodeNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'a node name is letters, digits, ".", "_" and "-"');

const epoch = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const readers = z
  .record(text().max(64), ReaderStatusSchema)
  .refine((r) => Object.keys(r).length <= READERS_MAX, { message: `at most ${READERS_MAX} readers` });

export const HelloSchema = z.strictObject({
  protocol: z.literal(SUPPORTED_PROTOCOLS, {
    error: `protocol must be one of ${SUPPORTED_PROTOCOLS.join(', ')} (this API speaks ${SUPPORTED_PROTOCOLS.at(-1)} and the ones before it)`,
  }),
  node: NodeNameSchema,
  bootId: text().max(64),
  epoch,
  version: text().max(64),
  readers,
});

export const SnapshotPartSchema = z
  .strictObject({ index: z.number().int().min(0), count: z.number().int().min(2).max(SNAPSHOT_PARTS_MAX) })
  .refine((p) => p.index < p.count, { message: 'index must be below count', path: ['index'] });

export const SnapshotMessageSchema = z.strictObject({
  part: SnapshotPartSchema.optional(),
  epoch,
  seq,
  takenAt: z.iso.datetime({ offset: true }),
  facts: z.array(FactSchema),
  readers,
});

export const SnapshotTurnRequestSchema = z.strictObject({ epoch });

export const DeltaMessageSchema = z.strictObject({
  epoch,
  seq,
  takenAt: z.iso.datetime({ offset: true }),
  upserts: z.array(FactSchema),
  deletes: z.array(FactRefSchema),
});

export const LeaveMessageSchema = z.strictObject({
  epoch,
  seq,
  takenAt: z.iso.datetime({ offset: true }),
  reason: text().min(1).max(256),
});

export const HeartbeatSchema = z.strictObject({ epoch, seq: z.number().int().min(0) });

export const LiveSubscriptionSchema = z.strictObject({
  kinds: z.array(FactKindSchema).optional(),
  nodes: z.array(NodeNameSchema).optional(),
  topology: z.boolean().optional(),
});

// ------------------------------------------------------------------ what the API sends

export const ChangeOpSchema = z.enum(['add', 'change', 'remove']);

/** One version change of one fact, as stored: `before` is null for add, `after` null for remove. */
export const FactChangeSchema = z.strictObject({
  node: z.string(),
  kind: FactKindSchema,
  key: z.string(),
  at: instant(),
  op: ChangeOpSchema,
  before: FactValueSchema.nullable(),
  after: FactValueSchema.nullable(),
});

export const NodeStatusSchema = z.enum(NODE_STATUSES);
export const NodeEventTypeSchema = z.enum(NODE_EVENT_TYPES);

export const NodeEventSchema = z.strictObject({
  id: z.string(),
  node: z.string(),
  type: NodeEventTypeSchema,
  at: instant(),
  detail: z.record(z.string(), z.unknown()),
});

export const NodeSummarySchema = z.strictObject({
  name: z.string(),
  status: NodeStatusSchema,
  firstSeen: instant(),
  lastSeen: instant(),
  cniStyle: CniStyleSchema.nullable(),
  readers: z.record(z.string(), ReaderStatusSchema),
});

/** "facts[3].value.mtu: expected number" — the first few problems, with where they are. */
export function describeZodError(error: z.ZodError, limit = 5): string {
  const parts = error.issues.slice(0, limit).map((issue) => {
    const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length > limit ? ` (and ${error.issues.length - limit} more)` : '';
  return parts.join('; ') + more;
}
