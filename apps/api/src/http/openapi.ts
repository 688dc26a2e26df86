// The OpenAPI document, built from the same zod schemas that parse the query strings, so the
// documentation cannot drift from what the endpoints accept.
import { z } from 'zod';
import {
  AlertsQuerySchema,
  ChangesQuerySchema,
  ChecksQuerySchema,
  DiffQuerySchema,
  EventsQuerySchema,
  FactsQuerySchema,
  StateQuerySchema,
  TopologyQuerySchema,
} from './query.js';

interface Route {
  path: string;
  summary: string;
  query?: z.ZodObject;
  pathParams?: Record<string, string>;
  responses?: Record<string, string>;
}

const ROUTES: Route[] = [
  { path: '/api/health', summary: 'Liveness: the version, and whether the database answers' },
  { path: '/api/health/ready', summary: 'Readiness: 503 while the database does not answer', responses: { '503': 'database unavailable' } },
  { path: '/api/nodes', summary: 'Every node: name, status, first and last seen, CNI style, reader status' },
  {
    path: '/api/nodes/{name}/facts',
    summary: "A node's facts now, or at a past moment",
    query: FactsQuerySchema,
    pathParams: { name: 'the node name' },
    responses: { '404': 'no such node' },
  },
  { path: '/api/state', summary: "Every node's facts now, or at a past moment: { at, nodes: { <name>: Fact[] } }, nodes in the order they were first seen, a node's facts in no particular order", query: StateQuerySchema },
  {
    path: '/api/changes',
    summary: 'Every fact change in (from, to], oldest first, with before and after values; paginated by `next`',
    query: ChangesQuerySchema,
  },
  { path: '/api/diff', summary: 'The net difference between the states at two moments: { from, to, nodes: { <name>: { <kind>: { added, removed, changed } } } }, nodes in name order, kinds and each list in key order (bytewise)', query: DiffQuerySchema },
  { path: '/api/events', summary: 'Node lifecycle events in [from, to]', query: EventsQuerySchema },
  { path: '/api/topology', summary: 'The topology derived from the facts now, or at a past moment', query: TopologyQuerySchema },
  {
    path: '/api/checks',
    summary: 'Expected state and its findings now or at a moment: missing, stale and wrong-next-hop routes, kube-router ipset drift, MTU mismatches',
    query: ChecksQuerySchema,
  },
  {
    path: '/api/alerts',
    summary: 'Alerts open at some moment of [from, to] (pending, firing, resolved), newest first, with their root cause',
    query: AlertsQuerySchema,
  },
  {
    path: '/api/kubernetes',
    summary:
      'The Kubernetes connection (mode off, in-cluster or kubeconfig; server; synced; error; health) and what the API holds of Nodes (name, InternalIPs, podCIDRs, Ready, labels), Pods (namespace, name, IPs, node, phase) and Calico IPAM block affinities (node, cidr, state, deleted, type; blockAffinitiesCrd: installed, absent or unknown)',
  },
  {
    path: '/api/kubernetes/health',
    summary:
      "The Kubernetes source's health: mode, server, state (off, syncing, synced, failing), error (what fails, per resource), since (when the state began), lastSyncAt (now while synced, else when it was last synced)",
  },
];

export function openApiDocument(version: string): Record<string, unknown> {
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
    const responses: Record<string, unknown> = { '200': { description: 'OK', content: { 'application/json': {} } } };
    if (route.query) responses['400'] = { description: 'a parameter is wrong; the message says which and why' };
    for (const [code, description] of Object.entries(route.responses ?? {})) responses[code] = { description };
    paths[route.path] = { get: { summary: route.summary, parameters, responses } };
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
