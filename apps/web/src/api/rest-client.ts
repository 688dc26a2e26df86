// A typed client for the API's REST endpoints (README "API"). Times go out as ISO 8601; a failed
// request throws an ApiError that carries the API's own message (a 400 names the bad parameter).
import type {
  Alert,
  AlertRule,
  AlertState,
  ChecksResult,
  Fact,
  FactChange,
  FactKind,
  KubernetesHealthStatus,
  NodeEvent,
  NodeSummary,
  Topology,
} from '@netatlas/wire/core';

export interface Health {
  version: string;
  database: unknown;
  [key: string]: unknown;
}

export interface FactsResponse {
  node: string;
  at: string | null;
  facts: Fact[];
}

export interface StateResponse {
  at: string | null;
  nodes: Record<string, Fact[]>;
}

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

export interface DiffResponse {
  from: string;
  to: string;
  nodes: StateDiff;
}

export interface EventsResponse {
  from: string;
  to: string;
  events: NodeEvent[];
}

export type TopologyResponse = { at: string | null } & Topology;

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

export interface AlertsResponse {
  from: string;
  to: string;
  /** newest first */
  alerts: Alert[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type FetchLike = (input: string, init?: { signal?: AbortSignal; headers?: Record<string, string> }) => Promise<{
  ok: boolean;
  status: number;
  statusText: string;
  json(): Promise<unknown>;
  text(): Promise<string>;
}>;

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
}

export class RestClient {
  private readonly base: string;
  private readonly fetchImpl: FetchLike;

  constructor(options: RestClientOptions = {}) {
    this.base = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  private async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    const res = await this.fetchImpl(`${this.base}${path}`, { signal, headers: { accept: 'application/json' } });
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      try {
        const body = (await res.json()) as { message?: unknown };
        if (typeof body.message === 'string') message = body.message;
        else if (Array.isArray(body.message)) message = body.message.join('; ');
      } catch {
        // not JSON: keep the status line
      }
      throw new ApiError(res.status, message, path);
    }
    return (await res.json()) as T;
  }

  health(signal?: AbortSignal): Promise<Health> {
    return this.get('/api/health', signal);
  }

  /** The API's Kubernetes source: mode, server, state (off, syncing, synced, failing), error, since, lastSyncAt. */
  kubernetesHealth(signal?: AbortSignal): Promise<KubernetesHealthStatus> {
    return this.get('/api/kubernetes/health', signal);
  }

  async nodes(signal?: AbortSignal): Promise<NodeSummary[]> {
    return (await this.get<{ nodes: NodeSummary[] }>('/api/nodes', signal)).nodes;
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

  /** The expected-state findings of every node, now or at a past moment. */
  checks(at?: Instant | null, signal?: AbortSignal): Promise<ChecksResult> {
    return this.get(`/api/checks${queryString({ at: at == null ? undefined : iso(at) })}`, signal);
  }
}
