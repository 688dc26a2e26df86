// The OpenAPI document, built from the same zod schemas that parse the query strings and bodies, so
// the documentation cannot drift from what the endpoints accept, and from the schemas of their
// answers in libs/wire (rest-schemas.ts and the modules' *-schemas.ts), which the API's specs parse
// every answer with (docs/responses.spec.ts), so it cannot drift from what they send either.
import { z } from 'zod';
import {
  AcknowledgeResponseSchema,
  AddressHistorySchema,
  AdminSettingsResponseSchema,
  AlertsResponseSchema,
  ApiTokenCreatedResponseSchema,
  ApiTokenRevokedResponseSchema,
  ApiTokensResponseSchema,
  AuthMeSchema,
  ChangesPageSchema,
  ChecksResultSchema,
  DiffResponseSchema,
  EventsResponseSchema,
  FactsResponseSchema,
  HealthSchema,
  KubernetesHealthStatusSchema,
  KubernetesStatusSchema,
  LogoutResponseSchema,
  NewApiTokenSchema,
  NewSilenceSchema,
  NodesResponseSchema,
  SilenceEndedResponseSchema,
  SilenceResponseSchema,
  SilencesResponseSchema,
  StateResponseSchema,
  TokenLoginResponseSchema,
  TokenLoginSchema,
  TopologyEdgesResponseSchema,
  TopologyResponseSchema,
  TraceComparisonSchema,
  TraceResultSchema,
} from '@netatlas/wire';
import {
  AlertsQuerySchema,
  ChangesQuerySchema,
  ChecksQuerySchema,
  DiffQuerySchema,
  EventsQuerySchema,
  FactsQuerySchema,
  StateQuerySchema,
  TopologyEdgesQuerySchema,
  TopologyQuerySchema,
} from '../query-params/query.js';
import { AddressHistoryQuerySchema, TraceCompareQuerySchema, TraceQuerySchema } from '../trace/trace-query.js';

export interface Route {
  path: string;
  /** default get */
  method?: 'get' | 'post' | 'delete';
  summary: string;
  /** the JSON body's schema (POST) */
  body?: z.ZodType;
  /**
   * The answer's schema (200, or 201 for a POST that creates something); null: no JSON, the answer
   * is a redirect (`responses` says where)
   */
  response: z.ZodType | null;
  /** the least role that may call it (default viewer; `open` needs no sign-in) */
  role?: 'open' | 'operator' | 'admin';
  /** an object of query parameters, possibly piped into a transform (a window's defaults): documented as its input */
  query?: z.ZodObject | z.ZodPipe<z.ZodObject, z.ZodTransform>;
  pathParams?: Record<string, string>;
  responses?: Record<string, string>;
}

export const ROUTES: readonly Route[] = [
  { path: '/api/health', response: HealthSchema, summary: 'Liveness: the version, and whether the database answers', role: 'open' },
  { path: '/api/health/ready', response: HealthSchema, summary: 'Readiness: 503 while the database does not answer', responses: { '503': 'database unavailable' }, role: 'open' },
  { path: '/api/auth/me', response: AuthMeSchema, summary: 'Who this is ({ viewer: { subject, name, role, via } | null }) and the ways to sign in', role: 'open' },
  { path: '/api/auth/login', response: null, summary: 'Starts the OpenID Connect sign-in (302 to the provider); ?return=#/view is where the browser comes back to', role: 'open', responses: { '302': 'to the provider' } },
  { path: '/api/auth/callback', response: null, summary: 'Where the OpenID provider sends the browser back; sets the session cookie', role: 'open', responses: { '302': 'to the app' } },
  { path: '/api/auth/token-login', method: 'post', response: TokenLoginResponseSchema, summary: 'A browser session from an API token ({ token })', body: TokenLoginSchema, role: 'open', responses: { '401': 'unknown or revoked token' } },
  { path: '/api/auth/logout', method: 'post', response: LogoutResponseSchema, summary: "Ends this browser's session; { redirect } is the provider's end-session page, or null", role: 'open' },
  { path: '/api/admin/tokens', response: ApiTokensResponseSchema, summary: 'The API tokens (never their secrets)', role: 'admin' },
  { path: '/api/admin/tokens', method: 'post', response: ApiTokenCreatedResponseSchema, summary: 'A new API token ({ name, role }); the answer holds its secret, shown once', body: NewApiTokenSchema, role: 'admin' },
  { path: '/api/admin/tokens/{id}', method: 'delete', response: ApiTokenRevokedResponseSchema, summary: 'Revokes an API token', pathParams: { id: 'the token id' }, role: 'admin', responses: { '404': 'no live token with that id' } },
  { path: '/api/admin/settings', response: AdminSettingsResponseSchema, summary: 'The settings in force, secrets redacted', role: 'admin' },
  { path: '/api/silences', response: SilencesResponseSchema, summary: 'The alert silences in force' },
  { path: '/api/silences', method: 'post', response: SilenceResponseSchema, summary: 'Silences alerts of a rule and/or labels for durationS seconds', body: NewSilenceSchema, role: 'operator' },
  { path: '/api/silences/{id}', method: 'delete', response: SilenceEndedResponseSchema, summary: 'Ends a silence', pathParams: { id: 'the silence id' }, role: 'operator', responses: { '404': 'no silence in force with that id' } },
  { path: '/api/alerts/{id}/acknowledge', method: 'post', response: AcknowledgeResponseSchema, summary: 'Records that the caller is on an open alert', pathParams: { id: 'the alert id' }, role: 'operator', responses: { '404': 'no open alert with that id' } },
  { path: '/api/nodes', response: NodesResponseSchema, summary: 'Every node: name, status, first and last seen, CNI style, reader status' },
  {
    path: '/api/nodes/{name}/facts',
    response: FactsResponseSchema,
    summary: "A node's facts now, or at a past moment",
    query: FactsQuerySchema,
    pathParams: { name: 'the node name' },
    responses: { '404': 'no such node' },
  },
  { path: '/api/state', response: StateResponseSchema, summary: "Every node's facts now, or at a past moment: { at, nodes: { <name>: Fact[] } }, nodes in the order they were first seen, a node's facts in no particular order", query: StateQuerySchema },
  {
    path: '/api/changes',
    response: ChangesPageSchema,
    summary: 'Every fact change in (from, to], oldest first, with before and after values; paginated by `next`',
    query: ChangesQuerySchema,
  },
  { path: '/api/diff', response: DiffResponseSchema, summary: 'The net difference between the states at two moments: { from, to, nodes: { <name>: { <kind>: { added, removed, changed } } } }, nodes in name order, kinds and each list in key order (bytewise)', query: DiffQuerySchema },
  { path: '/api/events', response: EventsResponseSchema, summary: 'Node lifecycle events in [from, to]', query: EventsQuerySchema },
  {
    path: '/api/topology',
    response: TopologyResponseSchema,
    summary:
      'The topology derived from the facts now, or at a past moment: { at, form, nodes, edges }. In the compact form (auto: from NETATLAS_TOPOLOGY_COMPACT_FROM hosts on, 41) the healthy edges between hosts are counted in each host node\'s data.relations instead of listed',
    query: TopologyQuerySchema,
  },
  {
    path: '/api/topology/edges',
    response: TopologyEdgesResponseSchema,
    summary: "Every edge (full form) that starts at the named hosts or their elements, now or at a past moment: { at, hosts, edges } (the compact form's on-demand part)",
    query: TopologyEdgesQuerySchema,
  },
  {
    path: '/api/trace',
    response: TraceResultSchema,
    summary: 'How a packet from `from` to `to` travels through the nodes\' forwarding facts now or at a past moment: branches (ECMP), hops (route, next hop, device, neighbor, encapsulation, MTU, the facts read) and a verdict per branch',
    query: TraceQuerySchema,
    responses: { '404': 'an endpoint is no node, address or pod at that moment' },
  },
  {
    path: '/api/trace/compare',
    response: TraceComparisonSchema,
    summary: 'The trace at two moments, the first hop whose decision changed, and the fact changes between them on the paths\' nodes that touch what they read',
    query: TraceCompareQuerySchema,
    responses: { '404': 'an endpoint is no node, address or pod at that moment' },
  },
  {
    path: '/api/addresses/{ip}/history',
    response: AddressHistorySchema,
    summary: 'On which node, interface and pod an address lived over a window: { ip, from, to, entries: [{ node, interface, via, mac, firstSeen, lastSeen, pod }] }',
    query: AddressHistoryQuerySchema,
    pathParams: { ip: 'an IPv4 or IPv6 address' },
  },
  {
    path: '/api/checks',
    response: ChecksResultSchema,
    summary: 'Expected state and its findings now or at a moment: missing, stale and wrong-next-hop routes, kube-router ipset drift, MTU mismatches',
    query: ChecksQuerySchema,
  },
  {
    path: '/api/alerts',
    response: AlertsResponseSchema,
    summary: 'Alerts open at some moment of [from, to] (pending, firing, resolved), newest first, with their root cause',
    query: AlertsQuerySchema,
  },
  {
    path: '/api/kubernetes',
    response: KubernetesStatusSchema,
    summary:
      'The Kubernetes connection (mode off, in-cluster or kubeconfig; server; synced; error; health) and what the API holds of Nodes (name, InternalIPs, podCIDRs, Ready, labels), Pods (namespace, name, IPs, node, phase) and Calico IPAM block affinities (node, cidr, state, deleted, type; blockAffinitiesCrd: installed, absent or unknown)',
  },
  {
    path: '/api/kubernetes/health',
    response: KubernetesHealthStatusSchema,
    summary:
      "The Kubernetes source's health: mode, server, state (off, syncing, synced, failing), error (what fails, per resource), since (when the state began), lastSyncAt (now while synced, else when it was last synced)",
  },
];

/** The status of a route's answer: 201 for a POST that creates something, else 200. */
export function okStatus(route: Route): '200' | '201' {
  return (route.method ?? 'get') === 'post' && !route.path.startsWith('/api/auth/') ? '201' : '200';
}

/** An answer's JSON Schema, as the API sends it (output: defaults applied, transforms done). */
export function responseJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
}

let built: { version: string; document: Record<string, unknown> } | null = null;

/** The document (built once per version: it does not change while the API runs). */
export function openApiDocument(version: string): Record<string, unknown> {
  if (built?.version !== version) built = { version, document: buildDocument(version) };
  return built.document;
}

function buildDocument(version: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const route of ROUTES) {
    const parameters: unknown[] = [];
    for (const [name, description] of Object.entries(route.pathParams ?? {})) {
      parameters.push({ name, in: 'path', required: true, description, schema: { type: 'string' } });
    }
    if (route.query) {
      const schema = z.toJSONSchema(route.query, { io: 'input', unrepresentable: 'any' }) as {
        properties?: Record<string, { description?: string }>;
        required?: string[];
      };
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        const { description, ...rest } = property;
        parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, description, schema: rest });
      }
    }
    const method = route.method ?? 'get';
    const responses: Record<string, unknown> = {};
    if (route.response) responses[okStatus(route)] = { description: 'OK', content: { 'application/json': { schema: responseJsonSchema(route.response) } } };
    if (route.query || route.body) responses['400'] = { description: 'a parameter or field is wrong; the message says which and why' };
    if (route.role !== 'open') responses['401'] = { description: 'not signed in: send a session cookie or Authorization: Bearer <API token>' };
    if (route.role === 'operator' || route.role === 'admin') responses['403'] = { description: `needs role ${route.role}` };
    for (const [code, description] of Object.entries(route.responses ?? {})) responses[code] = { description };
    const operation: Record<string, unknown> = { summary: route.summary, parameters, responses };
    if (route.body) operation['requestBody'] = { required: true, content: { 'application/json': { schema: z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }) } } };
    paths[route.path] = { ...((paths[route.path] as object | undefined) ?? {}), [method]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'netatlas API',
      version,
      description:
        'The history of a cluster’s network. Times are ISO 8601. Collectors stream over socket.io namespace /ingest, browsers subscribe on /live (event types in libs/wire/src/protocol.ts).',
    },
    paths,
  };
}

export const DOCS_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>netatlas API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script></body></html>
`;

export const DOCS_INIT_JS = `window.ui = SwaggerUIBundle({ url: '/api/docs/openapi.json', dom_id: '#ui' });\n`;
