// The REST API's answers (README "API"), one declaration each: the API's controllers return them
// and the web client reads them. (Trace, checks, auth and Kubernetes health have theirs in their own
// modules: trace.ts, checks.ts, auth.ts, kubernetes.ts.)
import type { Alert } from './alerts.js';
import type { ApiToken, Silence, Viewer } from './auth.js';
import type { Fact, FactKind } from './fact.js';
import type { FactChange, NodeEvent, NodeSummary } from './protocol.js';
import type { TopoEdge, Topology, TopologyForm } from './topology.js';

/** GET /api/nodes */
export interface NodesResponse {
  nodes: NodeSummary[];
}

/** GET /api/nodes/:name/facts */
export interface FactsResponse {
  node: string;
  at: string | null;
  facts: Fact[];
}

/** GET /api/state (streamed) */
export interface StateResponse {
  at: string | null;
  nodes: Record<string, Fact[]>;
}

/** GET /api/changes: one page */
export interface ChangesPage {
  from: string;
  to: string;
  changes: FactChange[];
  /** pass as `after` for the next page; null on the last one */
  next: string | null;
}

export interface KindDiff {
  added: Fact[];
  removed: Fact[];
  changed: { kind: FactKind; key: string; before: Fact['value']; after: Fact['value'] }[];
}

/** node → kind → what differs between `from` and `to` */
export type StateDiff = Record<string, Partial<Record<FactKind, KindDiff>>>;

/** GET /api/diff (streamed) */
export interface DiffResponse {
  from: string;
  to: string;
  nodes: StateDiff;
}

/** GET /api/events */
export interface EventsResponse {
  from: string;
  to: string;
  events: NodeEvent[];
}

/** GET /api/topology */
export type TopologyResponse = { at: string | null; form: TopologyForm } & Topology;

/** GET /api/topology/edges: the full edges that start at the asked hosts or their elements, sorted by id */
export interface TopologyEdgesResponse {
  at: string | null;
  hosts: string[];
  edges: TopoEdge[];
}

/** GET /api/alerts */
export interface AlertsResponse {
  from: string;
  to: string;
  /** newest first */
  alerts: Alert[];
}

/** POST /api/alerts/:id/acknowledge */
export interface AcknowledgeResponse {
  alert: Alert;
}

/** GET /api/silences */
export interface SilencesResponse {
  silences: Silence[];
}

/** POST /api/silences */
export interface SilenceResponse {
  silence: Silence;
}

/** DELETE /api/silences/:id */
export interface SilenceEndedResponse {
  ended: true;
}

/** GET /api/admin/tokens */
export interface ApiTokensResponse {
  tokens: ApiToken[];
}

/** POST /api/admin/tokens: the secret is shown once, here */
export interface ApiTokenCreatedResponse {
  token: ApiToken;
  secret: string;
}

/** DELETE /api/admin/tokens/:id */
export interface ApiTokenRevokedResponse {
  revoked: true;
}

/** POST /api/auth/token-login */
export interface TokenLoginResponse {
  viewer: Viewer;
}

/** POST /api/auth/logout: where the browser goes next (the OpenID provider's logout), if anywhere */
export interface LogoutResponse {
  redirect: string | null;
}
