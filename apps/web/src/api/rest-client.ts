// A typed client for the API's REST endpoints (README "API"). Times go out as ISO 8601; a failed
// request throws an ApiError that carries the status, its kind (signed out, forbidden, …) and the
// API's own message (a 400 names the bad parameter, a 403 the role it needs). A 401 also tells
// `onUnauthorized`: the session is gone wherever the request came from, and the shell shows the
// sign-in screen. Unsafe requests (POST, DELETE) are same-origin fetches with the session cookie;
// the API checks the browser's Origin header, so they need no header of their own.
import {
  ROLES,
  type AcknowledgeResponse,
  type AddressHistory,
  type AdminSetting,
  type AdminSettingsResponse,
  type AlertsResponse,
  type ApiTokenCreatedResponse,
  type ApiTokenRevokedResponse,
  type ApiTokensResponse,
  type ChangesPage,
  type DiffResponse,
  type EventsResponse,
  type FactsResponse,
  type LogoutResponse,
  type NodesResponse,
  type SilenceEndedResponse,
  type SilenceResponse,
  type SilencesResponse,
  type StateResponse,
  type TokenLoginResponse,
  type TopologyEdgesResponse,
  type TopologyResponse,
  type Alert,
  type AlertRule,
  type AlertState,
  type ApiToken,
  type AuthMe,
  type ChecksResult,
  type FactChange,
  type FactKind,
  type Health,
  type KubernetesHealthStatus,
  type NodeSummary,
  type Role,
  type Silence,
  type SilenceRequest,
  type TraceComparison,
  type TraceResult,
  type Viewer,
} from '@netatlas/wire/core';

// The answers' shapes are the API's own, declared once as zod schemas in libs/wire (rest-schemas.ts
// and the modules' *-schemas.ts) and typed from them; re-exported for the views. The client does not
// validate at run time (the schemas stay out of the bundle): the API's specs parse every answer.
export type {
  AdminSetting,
  ChangesPage,
  DiffResponse,
  EventsResponse,
  FactsResponse,
  Health,
  KindDiff,
  SilenceRequest,
  StateDiff,
  StateResponse,
  TopologyEdgesResponse,
  TopologyResponse,
} from '@netatlas/wire/core';

export type Instant = Date | string;

export interface ChangesQuery {
  from: Instant;
  to?: Instant;
  node?: string;
  kind?: FactKind;
  limit?: number;
  after?: string;
}

export interface AlertsQuery {
  /** only alerts in this state now */
  state?: AlertState;
  /** alerts open at some moment of [from, to]; the API's default is the 24 hours before `to` */
  from?: Instant;
  /** default: now */
  to?: Instant;
  rule?: AlertRule;
  /** alerts about this node (as `node` or `peer`) */
  node?: string;
  /** at most this many (the API's default is 1000) */
  limit?: number;
}

/** GET /api/trace: `from` and `to` are a node name, an IP, or `namespace/name` of a pod (pod names: now only, with Kubernetes). */
export interface TraceQuery {
  from: string;
  to: string;
  /** the moment traced; default now */
  at?: Instant | null;
}

/** GET /api/trace/compare: the same trace at two moments. */
export interface TraceCompareQuery {
  from: string;
  to: string;
  at1: Instant;
  /** default now */
  at2?: Instant | null;
}

export type { AlertsResponse } from '@netatlas/wire/core';

/** What a failed request means to the UI. */
export type ApiErrorKind = 'unauthorized' | 'forbidden' | 'not-found' | 'invalid' | 'unavailable' | 'failed';

export function errorKind(status: number): ApiErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  if (status >= 400 && status < 500) return 'invalid';
  return 'failed';
}

/** The roles in a 403's message, `needs role operator; you are viewer` (null: another message). */
export function parseForbidden(message: string): { needed: Role; have: Role } | null {
  const m = /needs role (\w+); you are (\w+)/.exec(message);
  if (!m) return null;
  const isRole = (r: string | undefined): r is Role => (ROLES as readonly string[]).includes(r ?? '');
  return isRole(m[1]) && isRole(m[2]) ? { needed: m[1], have: m[2] } : null;
}

/** The roles of a 403's body (`{ needed, role }`, as the API's auth guard sends them), else null. */
export function forbiddenRoles(body: unknown): { needed: Role; have: Role } | null {
  if (typeof body !== 'object' || body === null) return null;
  const { needed, role } = body as { needed?: unknown; role?: unknown };
  const isRole = (r: unknown): r is Role => typeof r === 'string' && (ROLES as readonly string[]).includes(r);
  return isRole(needed) && isRole(role) ? { needed, have: role } : null;
}

/** The API's message from an error body (`{ message }`, a list of them for validation), else the status line. */
export function errorMessage(status: number, statusText: string, body: unknown): string {
  const message = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
  if (typeof message === 'string' && message !== '') return message;
  if (Array.isArray(message) && message.length > 0) return message.join('; ');
  return `${status} ${statusText}`.trim();
}

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  /** a 403's roles, when its message names them */
  readonly roles: { needed: Role; have: Role } | null;

  constructor(
    readonly status: number,
    message: string,
    readonly path: string,
    body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
    this.kind = errorKind(status);
    this.roles = this.kind === 'forbidden' ? (forbiddenRoles(body) ?? parseForbidden(message)) : null;
  }
}

/** How a failure reads on screen: a 403 names the roles, a 401 says the session ended. */
export function describeFailure(error: unknown): { kind: ApiErrorKind | 'network'; text: string; needed: Role | null } {
  if (error instanceof ApiError) {
    if (error.kind === 'forbidden') {
      const r = error.roles;
      return { kind: 'forbidden', text: r ? `This needs the ${r.needed} role; you are ${r.have}.` : `Not allowed: ${error.message}`, needed: r?.needed ?? null };
    }
    if (error.kind === 'unauthorized') return { kind: 'unauthorized', text: 'You are signed out.', needed: null };
    return { kind: error.kind, text: error.message, needed: null };
  }
  // fetch rejects with a TypeError when the API cannot be reached at all
  return { kind: 'network', text: error instanceof Error ? error.message : String(error), needed: null };
}

export interface FetchInit {
  method?: 'GET' | 'POST' | 'DELETE';
  signal?: AbortSignal;
  headers?: Record<string, string>;
  body?: string;
  credentials?: 'same-origin' | 'include' | 'omit';
}

export type FetchLike = (input: string, init?: FetchInit) => Promise<{
  ok: boolean;
  status: number;
  statusText: string;
  json(): Promise<unknown>;
  text(): Promise<string>;
}>;

/**
 * What GET /api/auth/me stands for with an API from before viewer login (it answers 404): everyone
 * reads, nobody signs in or out.
 */
export const OPEN_API_ME: AuthMe = {
  viewer: { subject: 'anonymous', name: 'anonymous', role: 'viewer', via: 'anonymous' },
  methods: { oidc: null, token: false },
  canLogout: false,
};

const iso = (t: Instant): string => (typeof t === 'string' ? t : t.toISOString());

export function queryString(params: Readonly<Record<string, string | number | readonly string[] | Date | null | undefined>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    const text = v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.join(',') : String(v);
    if (text === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(text)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export interface RestClientOptions {
  /** where the API is: '' for the same origin (the default) */
  baseUrl?: string;
  fetch?: FetchLike;
  /** any request answered 401 (but a token sign-in's): the session ended */
  onUnauthorized?: (error: ApiError) => void;
}

export class RestClient {
  readonly base: string;
  private readonly fetchImpl: FetchLike;
  private readonly onUnauthorized: (error: ApiError) => void;

  constructor(options: RestClientOptions = {}) {
    this.base = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.onUnauthorized = options.onUnauthorized ?? (() => undefined);
  }

  private get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { signal });
  }

  private async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, opts: { signal?: AbortSignal; body?: unknown; quiet401?: boolean } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchImpl(`${this.base}${path}`, {
      method,
      signal: opts.signal,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
    });
    if (!res.ok) {
      let body: unknown = null;
      try {
        body = await res.json();
      } catch {
        // not JSON: keep the status line
      }
      const error = new ApiError(res.status, errorMessage(res.status, res.statusText, body), path, body);
      if (error.kind === 'unauthorized' && !opts.quiet401) this.onUnauthorized(error);
      throw error;
    }
    return (await res.json()) as T;
  }

  // --- viewers: who this is, signing in and out (README "Security") ---

  /** Who this is and how one may sign in; an API without viewer login (404) lets everyone read. */
  async me(signal?: AbortSignal): Promise<AuthMe> {
    try {
      return await this.get<AuthMe>('/api/auth/me', signal);
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'not-found') return OPEN_API_ME;
      throw error;
    }
  }

  /** Where the OpenID sign-in starts; the provider sends the browser back to `returnHash`. */
  loginUrl(returnHash: string): string {
    return `${this.base}/api/auth/login?return=${encodeURIComponent(returnHash)}`;
  }

  /** Signs in with an API token (a session cookie comes back); a bad token is an ApiError 401 with the API's message. */
  async tokenLogin(token: string): Promise<Viewer> {
    return (await this.request<TokenLoginResponse>('POST', '/api/auth/token-login', { body: { token }, quiet401: true })).viewer;
  }

  /** Ends the session; `redirect` is the provider's end-session page to go to, if any. */
  logout(): Promise<LogoutResponse> {
    return this.request('POST', '/api/auth/logout');
  }

  // --- admin ---

  async apiTokens(signal?: AbortSignal): Promise<ApiToken[]> {
    return (await this.get<ApiTokensResponse>('/api/admin/tokens', signal)).tokens;
  }

  /** A new API token; its `secret` is in this answer only. */
  createApiToken(name: string, role: Role): Promise<ApiTokenCreatedResponse> {
    return this.request('POST', '/api/admin/tokens', { body: { name, role } });
  }

  revokeApiToken(id: number): Promise<ApiTokenRevokedResponse> {
    return this.request('DELETE', `/api/admin/tokens/${encodeURIComponent(String(id))}`);
  }

  /** The API's settings, secrets redacted by the API. */
  async settings(signal?: AbortSignal): Promise<AdminSetting[]> {
    return (await this.get<AdminSettingsResponse>('/api/admin/settings', signal)).settings;
  }

  // --- operators: acknowledging and silencing alerts ---

  async acknowledgeAlert(id: string): Promise<Alert> {
    return (await this.request<AcknowledgeResponse>('POST', `/api/alerts/${encodeURIComponent(id)}/acknowledge`)).alert;
  }

  /** The silences in force now. */
  async silences(signal?: AbortSignal): Promise<Silence[]> {
    return (await this.get<SilencesResponse>('/api/silences', signal)).silences;
  }

  async createSilence(req: SilenceRequest): Promise<Silence> {
    return (await this.request<SilenceResponse>('POST', '/api/silences', { body: req })).silence;
  }

  endSilence(id: number): Promise<SilenceEndedResponse> {
    return this.request('DELETE', `/api/silences/${encodeURIComponent(String(id))}`);
  }

  // --- reading ---

  health(signal?: AbortSignal): Promise<Health> {
    return this.get('/api/health', signal);
  }

  /** The API's Kubernetes source: mode, server, state (off, syncing, synced, failing), error, since, lastSyncAt. */
  kubernetesHealth(signal?: AbortSignal): Promise<KubernetesHealthStatus> {
    return this.get('/api/kubernetes/health', signal);
  }

  async nodes(signal?: AbortSignal): Promise<NodeSummary[]> {
    return (await this.get<NodesResponse>('/api/nodes', signal)).nodes;
  }

  nodeFacts(name: string, q: { kind?: readonly FactKind[]; at?: Instant | null } = {}, signal?: AbortSignal): Promise<FactsResponse> {
    return this.get(`/api/nodes/${encodeURIComponent(name)}/facts${queryString({ kind: q.kind, at: q.at == null ? undefined : iso(q.at) })}`, signal);
  }

  state(q: { kind?: readonly FactKind[]; at?: Instant | null } = {}, signal?: AbortSignal): Promise<StateResponse> {
    return this.get(`/api/state${queryString({ kind: q.kind, at: q.at == null ? undefined : iso(q.at) })}`, signal);
  }

  changes(q: ChangesQuery, signal?: AbortSignal): Promise<ChangesPage> {
    return this.get(
      `/api/changes${queryString({ from: iso(q.from), to: q.to === undefined ? undefined : iso(q.to), node: q.node, kind: q.kind, limit: q.limit, after: q.after })}`,
      signal,
    );
  }

  /**
   * Every change of a window, following `next` page by page, at most `maxChanges` (the newest are
   * dropped beyond it; `truncated` says so). `to` is pinned to the first page's answer so the pages
   * describe one window.
   */
  async allChanges(q: Omit<ChangesQuery, 'after'>, maxChanges = 20_000, signal?: AbortSignal): Promise<{ changes: FactChange[]; to: string; truncated: boolean }> {
    const out: FactChange[] = [];
    let page = await this.changes({ ...q, limit: q.limit ?? Math.min(maxChanges, 5000) }, signal);
    const to = page.to;
    out.push(...page.changes);
    while (page.next !== null && out.length < maxChanges) {
      page = await this.changes({ ...q, to, after: page.next, limit: q.limit ?? Math.min(maxChanges - out.length, 5000) }, signal);
      out.push(...page.changes);
    }
    return { changes: out.slice(0, maxChanges), to, truncated: page.next !== null || out.length > maxChanges };
  }

  diff(q: { from: Instant; to?: Instant; node?: string }, signal?: AbortSignal): Promise<DiffResponse> {
    return this.get(`/api/diff${queryString({ from: iso(q.from), to: q.to === undefined ? undefined : iso(q.to), node: q.node })}`, signal);
  }

  events(q: { from?: Instant; to?: Instant; node?: string } = {}, signal?: AbortSignal): Promise<EventsResponse> {
    return this.get(
      `/api/events${queryString({ from: q.from === undefined ? undefined : iso(q.from), to: q.to === undefined ? undefined : iso(q.to), node: q.node })}`,
      signal,
    );
  }

  topology(q: { at?: Instant | null } = {}, signal?: AbortSignal): Promise<TopologyResponse> {
    return this.get(`/api/topology${queryString({ at: q.at == null ? undefined : iso(q.at) })}`, signal);
  }

  /**
   * The full edges that start at some hosts or their elements (the compact topology leaves their
   * healthy edges to other hosts out). No hosts: no request.
   */
  async topologyEdges(q: { hosts: readonly string[]; at?: Instant | null }, signal?: AbortSignal): Promise<TopologyEdgesResponse> {
    const at = q.at == null ? undefined : iso(q.at);
    if (q.hosts.length === 0) return { at: at ?? null, hosts: [], edges: [] };
    // each name encoded, the list joined by plain commas: `hosts=a,b` as the API documents it
    const hosts = `hosts=${q.hosts.map(encodeURIComponent).join(',')}`;
    return this.get(`/api/topology/edges?${hosts}${at === undefined ? '' : `&at=${encodeURIComponent(at)}`}`, signal);
  }

  /** Alerts open at some moment of a window (from = to: open at that moment), newest first. */
  alerts(q: AlertsQuery = {}, signal?: AbortSignal): Promise<AlertsResponse> {
    return this.get(
      `/api/alerts${queryString({
        state: q.state,
        from: q.from === undefined ? undefined : iso(q.from),
        to: q.to === undefined ? undefined : iso(q.to),
        rule: q.rule,
        node: q.node,
        limit: q.limit,
      })}`,
      signal,
    );
  }

  /** How a packet from `from` to `to` travels at a moment, branch by branch, hop by hop. */
  trace(q: TraceQuery, signal?: AbortSignal): Promise<TraceResult> {
    return this.get(`/api/trace${queryString({ from: q.from, to: q.to, at: q.at == null ? undefined : iso(q.at) })}`, signal);
  }

  /** The trace at two moments, the first hop whose decision differs, and the fact changes between them on the path. */
  traceCompare(q: TraceCompareQuery, signal?: AbortSignal): Promise<TraceComparison> {
    return this.get(`/api/trace/compare${queryString({ from: q.from, to: q.to, at1: iso(q.at1), at2: q.at2 == null ? undefined : iso(q.at2) })}`, signal);
  }

  /** Where an address lived over a window (the API's default: the 24 hours before `to`, now). */
  addressHistory(ip: string, q: { from?: Instant; to?: Instant } = {}, signal?: AbortSignal): Promise<AddressHistory> {
    return this.get(
      `/api/addresses/${encodeURIComponent(ip)}/history${queryString({ from: q.from === undefined ? undefined : iso(q.from), to: q.to === undefined ? undefined : iso(q.to) })}`,
      signal,
    );
  }

  /** The expected-state findings of every node, now or at a past moment. */
  checks(at?: Instant | null, signal?: AbortSignal): Promise<ChecksResult> {
    return this.get(`/api/checks${queryString({ at: at == null ? undefined : iso(at) })}`, signal);
  }
}
