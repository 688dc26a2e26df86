// The REST API's answers (README "API"): declared once, as zod schemas (rest-schemas.ts, and the
// trace's, checks', auth's and Kubernetes' in their own *-schemas.ts); these are their types, which
// the API's controllers return and the web client reads. Types only: the collector and the web
// import them from @netatlas/wire/core without loading zod.
import type { z } from 'zod';
import type { NewSilenceSchema } from './auth-schemas.js';
import type {
  AcknowledgeResponseSchema,
  AdminSettingSchema,
  AdminSettingsResponseSchema,
  AlertsResponseSchema,
  ApiTokenCreatedResponseSchema,
  ApiTokenRevokedResponseSchema,
  ApiTokensResponseSchema,
  ChangesPageSchema,
  DiffResponseSchema,
  EventsResponseSchema,
  FactsResponseSchema,
  HealthSchema,
  KindDiffSchema,
  LogoutResponseSchema,
  NodesResponseSchema,
  SilenceEndedResponseSchema,
  SilenceResponseSchema,
  SilencesResponseSchema,
  StateDiffSchema,
  StateResponseSchema,
  TokenLoginResponseSchema,
  TopologyEdgesResponseSchema,
  TopologyResponseSchema,
} from './rest-schemas.js';

/** GET /api/health and /api/health/ready */
export type Health = z.infer<typeof HealthSchema>;

/** GET /api/nodes */
export type NodesResponse = z.infer<typeof NodesResponseSchema>;

/** GET /api/nodes/:name/facts */
export type FactsResponse = z.infer<typeof FactsResponseSchema>;

/** GET /api/state (streamed) */
export type StateResponse = z.infer<typeof StateResponseSchema>;

/** GET /api/changes: one page */
export type ChangesPage = z.infer<typeof ChangesPageSchema>;

export type KindDiff = z.infer<typeof KindDiffSchema>;

/** node → kind → what differs between `from` and `to` */
export type StateDiff = z.infer<typeof StateDiffSchema>;

/** GET /api/diff (streamed) */
export type DiffResponse = z.infer<typeof DiffResponseSchema>;

/** GET /api/events */
export type EventsResponse = z.infer<typeof EventsResponseSchema>;

/** GET /api/topology */
export type TopologyResponse = z.infer<typeof TopologyResponseSchema>;

/** GET /api/topology/edges: the full edges that start at the asked hosts or their elements, sorted by id */
export type TopologyEdgesResponse = z.infer<typeof TopologyEdgesResponseSchema>;

/** GET /api/alerts */
export type AlertsResponse = z.infer<typeof AlertsResponseSchema>;

/** POST /api/alerts/:id/acknowledge */
export type AcknowledgeResponse = z.infer<typeof AcknowledgeResponseSchema>;

/** GET /api/silences */
export type SilencesResponse = z.infer<typeof SilencesResponseSchema>;

/** POST /api/silences */
export type SilenceResponse = z.infer<typeof SilenceResponseSchema>;

/** DELETE /api/silences/:id */
export type SilenceEndedResponse = z.infer<typeof SilenceEndedResponseSchema>;

/** GET /api/admin/tokens */
export type ApiTokensResponse = z.infer<typeof ApiTokensResponseSchema>;

/** POST /api/admin/tokens: the secret is shown once, here */
export type ApiTokenCreatedResponse = z.infer<typeof ApiTokenCreatedResponseSchema>;

/** DELETE /api/admin/tokens/:id */
export type ApiTokenRevokedResponse = z.infer<typeof ApiTokenRevokedResponseSchema>;

/** One setting in force, secrets redacted */
export type AdminSetting = z.infer<typeof AdminSettingSchema>;

/** GET /api/admin/settings */
export type AdminSettingsResponse = z.infer<typeof AdminSettingsResponseSchema>;

/** POST /api/auth/token-login */
export type TokenLoginResponse = z.infer<typeof TokenLoginResponseSchema>;

/** POST /api/auth/logout: where the browser goes next (the OpenID provider's logout), if anywhere */
export type LogoutResponse = z.infer<typeof LogoutResponseSchema>;

/** POST /api/silences: the body as a client sends it (`comment` may be left out) */
export type SilenceRequest = z.input<typeof NewSilenceSchema>;
