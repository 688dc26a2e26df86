// The REST API's answers (README "API"), one schema each: the one declaration of their shapes. The
// API's controllers return their types (rest.ts infers them), the web client reads them, the OpenAPI
// document's responses are made from them (apps/api/src/docs/openapi.ts), and the API's specs parse
// every answer with them. Each is strict where the answer is exact: a field the schema does not name
// fails the parse. An element's schema is with its module (fact.ts, protocol-schemas.ts,
// topology-schemas.ts, alerts-schemas.ts, auth-schemas.ts, kubernetes-schemas.ts); the trace's
// and the checks' answers are whole in trace-schemas.ts and checks-schemas.ts.
import { z } from 'zod';
import { AlertSchema } from './alerts-schemas.js';
import { ApiTokenSchema, SilenceSchema, ViewerSchema } from './auth-schemas.js';
import { FactKindSchema, FactSchema, FactValueSchema, instant } from './fact.js';
import { FactChangeSchema, NodeEventSchema, NodeSummarySchema } from './protocol-schemas.js';
import { TopoEdgeSchema, TopologyFormSchema, TopologySchema } from './topology-schemas.js';

/** GET /api/health and /api/health/ready */
export const HealthSchema = z.strictObject({
  /** degraded: the API runs but cannot reach its database */
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  database: z.strictObject({
    ok: z.boolean(),
    latencyMs: z.number().nullable(),
    error: z.string().nullable(),
    /** the API runs its own Postgres (no NETATLAS_DATABASE_URL) */
    embedded: z.boolean(),
  }),
});

/** GET /api/nodes */
export const NodesResponseSchema = z.strictObject({
  nodes: z.array(NodeSummarySchema),
});

/** GET /api/nodes/{name}/facts */
export const FactsResponseSchema = z.strictObject({
  node: z.string(),
  at: instant().nullable(),
  facts: z.array(FactSchema),
});

/** GET /api/state (streamed): nodes in the order they were first seen */
export const StateResponseSchema = z.strictObject({
  at: instant().nullable(),
  nodes: z.record(z.string(), z.array(FactSchema)),
});

/** GET /api/changes: one page */
export const ChangesPageSchema = z.strictObject({
  from: instant(),
  to: instant(),
  changes: z.array(FactChangeSchema),
  /** pass as `after` for the next page; null on the last one */
  next: z.string().nullable(),
});

/** What differs of one kind of a node's facts between two moments */
export const KindDiffSchema = z.strictObject({
  added: z.array(FactSchema),
  removed: z.array(FactSchema),
  changed: z.array(z.strictObject({ kind: FactKindSchema, key: z.string(), before: FactValueSchema, after: FactValueSchema })),
});

/** node → kind → what differs between `from` and `to` */
export const StateDiffSchema = z.record(z.string(), z.partialRecord(FactKindSchema, KindDiffSchema));

/** GET /api/diff (streamed) */
export const DiffResponseSchema = z.strictObject({
  from: instant(),
  to: instant(),
  nodes: StateDiffSchema,
});

/** GET /api/events */
export const EventsResponseSchema = z.strictObject({
  from: instant(),
  to: instant(),
  events: z.array(NodeEventSchema),
});

/** GET /api/topology */
export const TopologyResponseSchema = z.strictObject({
  at: instant().nullable(),
  form: TopologyFormSchema,
  ...TopologySchema.shape,
});

/** GET /api/topology/edges: the full edges that start at the asked hosts or their elements, sorted by id */
export const TopologyEdgesResponseSchema = z.strictObject({
  at: instant().nullable(),
  hosts: z.array(z.string()),
  edges: z.array(TopoEdgeSchema),
});

/** GET /api/alerts */
export const AlertsResponseSchema = z.strictObject({
  from: instant(),
  to: instant(),
  /** newest first */
  alerts: z.array(AlertSchema),
});

/** POST /api/alerts/{id}/acknowledge */
export const AcknowledgeResponseSchema = z.strictObject({
  alert: AlertSchema,
});

/** GET /api/silences */
export const SilencesResponseSchema = z.strictObject({
  silences: z.array(SilenceSchema),
});

/** POST /api/silences */
export const SilenceResponseSchema = z.strictObject({
  silence: SilenceSchema,
});

/** DELETE /api/silences/{id} */
export const SilenceEndedResponseSchema = z.strictObject({
  ended: z.literal(true),
});

/** GET /api/admin/tokens */
export const ApiTokensResponseSchema = z.strictObject({
  tokens: z.array(ApiTokenSchema),
});

/** POST /api/admin/tokens: the secret is shown once, here */
export const ApiTokenCreatedResponseSchema = z.strictObject({
  token: ApiTokenSchema,
  secret: z.string(),
});

/** DELETE /api/admin/tokens/{id} */
export const ApiTokenRevokedResponseSchema = z.strictObject({
  revoked: z.literal(true),
});

/** One setting in force, as the admin page shows it */
export const AdminSettingSchema = z.strictObject({
  name: z.string(),
  /** as the API shows it: secrets redacted */
  value: z.string(),
});

/** GET /api/admin/settings */
export const AdminSettingsResponseSchema = z.strictObject({
  settings: z.array(AdminSettingSchema),
});

/** POST /api/auth/token-login */
export const TokenLoginResponseSchema = z.strictObject({
  viewer: ViewerSchema,
});

/** POST /api/auth/logout: where the browser goes next (the OpenID provider's logout), if anywhere */
export const LogoutResponseSchema = z.strictObject({
  redirect: z.string().nullable(),
});
