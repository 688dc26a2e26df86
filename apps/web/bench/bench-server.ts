// A test double of the API for the browser bench (npm run bench:web): one node:http server on
// 127.0.0.1 that serves the built web app (dist/apps/web) and answers what the page asks for at
// startup — /api/auth/me (an anonymous viewer, as an API without sign-in configured answers),
// /api/topology (a synthetic N×M cluster from src/testing/synthetic-topology.ts), /api/nodes,
// /api/health, and empty /api/changes, /api/events, /api/diff, /api/state, /api/alerts and
// /api/silences — plus the real socket.io `/live` namespace speaking the API's protocol
// (apps/api/src/live/live.gateway.ts): `subscribe` is validated with the same schema and
// acknowledged with {ok, serverTime}; the bench then emits `changes` batches and `topology`
// patches to the subscribers, as the LiveHub does.
import {
  describeZodError,
  encodeTopologyPatch,
  type AuthMe,
  LIVE_NAMESPACE,
  LiveSubscriptionSchema,
  type FactChange,
  type LiveClientToServer,
  type LiveServerToClient,
  type LiveSubscription,
  type NodeSummary,
  type TopoEdge,
  type TopoNode,
  type TopologyPatch,
} from '@netatlas/wire';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { Server, type Namespace } from 'socket.io';
import { syntheticTopology } from '../src/testing/synthetic-topology.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export interface ClusterSize {
  hosts: number;
  podsPerHost: number;
  /** full-mesh BGP and routes between every pair of hosts, as kube-router does by default */
  mesh: boolean;
}

export interface TopologyBody {
  bytes: number;
  nodes: number;
  edges: number;
  /** time to serialize it (once per topology version; answers reuse it) */
  serializeMs: number;
}

type LiveNamespace = Namespace<LiveClientToServer, LiveServerToClient>;

export class BenchServer {
  readonly nodes = new Map<string, TopoNode>();
  readonly edges = new Map<string, TopoEdge>();
  size: ClusterSize = { hosts: 0, podsPerHost: 0, mesh: true };
  /** requests answered per path (without the query), for the report */
  readonly requests = new Map<string, number>();
  private readonly subscribers = new Map<string, LiveSubscription>();
  private body: { chunks: Buffer[]; info: TopologyBody } | null = null;
  private summaries: NodeSummary[] = [];
  private io: Server | null = null;
  private live: LiveNamespace | null = null;
  private readonly http = createServer((req, res) => {
    this.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ statusCode: 500, message: (error as Error).message }));
    });
  });
  url = '';

  constructor(private readonly webDir: string) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.http.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    // the API's options (apps/api/src/realtime/socket-server.ts)
    this.io = new Server(this.http, { serveClient: false, pingInterval: 10_000, pingTimeout: 10_000 });
    const live = this.io.of(LIVE_NAMESPACE) as LiveNamespace;
    this.live = live;
    live.on('connection', (socket) => {
      socket.on('subscribe', (raw, ack) => {
        const parsed = LiveSubscriptionSchema.safeParse(raw ?? {});
        const reply = parsed.success
          ? ({ ok: true, serverTime: new Date().toISOString() } as const)
          : ({ ok: false, error: `invalid subscription: ${describeZodError(parsed.error)}` } as const);
        if (parsed.success) this.subscribers.set(socket.id, parsed.data);
        if (typeof ack === 'function') ack(reply);
      });
      socket.on('disconnect', () => this.subscribers.delete(socket.id));
    });
  }

  async close(): Promise<void> {
    this.io?.disconnectSockets(true);
    await new Promise<void>((resolve) => (this.io ? this.io.close(() => resolve()) : this.http.close(() => resolve())));
  }

  /** Browsers subscribed on /live (with topology patches unless they asked for none). */
  subscriberCount(topologyOnly = true): number {
    let n = 0;
    for (const s of this.subscribers.values()) if (!topologyOnly || s.topology !== false) n++;
    return n;
  }

  /** Replaces the cluster: what /api/topology and /api/nodes answer from now on. */
  setCluster(size: ClusterSize): void {
    const t = syntheticTopology({ hosts: size.hosts, podsPerHost: size.podsPerHost, mesh: size.mesh });
    this.size = size;
    this.nodes.clear();
    this.edges.clear();
    for (const n of t.nodes) this.nodes.set(n.id, n);
    for (const e of t.edges) this.edges.set(e.id, e);
    this.body = null;
    const now = new Date().toISOString();
    this.summaries = t.nodes
      .filter((n) => n.type === 'host')
      .map((n) => ({ name: n.label, status: 'connected', firstSeen: '2026-11-23T14:00:00.000Z', lastSeen: now, cniStyle: 'kube-router', readers: {} }));
  }

  /** Serializes the topology now (so the first page load does not pay for it) and says how big it is. */
  topologyBody(): TopologyBody {
    if (this.body) return this.body.info;
    const started = performance.now();
    // in pieces: a 1000-host mesh is more JSON than one string may hold
    const chunks: Buffer[] = [];
    const write = (items: Iterable<unknown>) => {
      let part: string[] = [];
      let first = true;
      for (const item of items) {
        part.push(JSON.stringify(item));
        if (part.length === 2000) {
          chunks.push(Buffer.from((first ? '' : ',') + part.join(',')));
          part = [];
          first = false;
        }
      }
      if (part.length > 0) chunks.push(Buffer.from((first ? '' : ',') + part.join(',')));
    };
    const byId = <T extends { id: string }>(m: Map<string, T>) => [...m.keys()].sort().map((id) => m.get(id)!);
    chunks.push(Buffer.from('"nodes":['));
    write(byId(this.nodes));
    chunks.push(Buffer.from('],"edges":['));
    write(byId(this.edges));
    chunks.push(Buffer.from(']}'));
    const info: TopologyBody = {
      bytes: chunks.reduce((s, c) => s + c.length, 0),
      nodes: this.nodes.size,
      edges: this.edges.size,
      serializeMs: performance.now() - started,
    };
    this.body = { chunks, info };
    return info;
  }

  /**
   * Sends a batch to every subscriber as the LiveHub does at the end of a batch interval: the fact
   * changes (all subscribers here subscribe to every kind and node), then the topology patch, which
   * this server also applies to what /api/topology answers.
   */
  emit(patch: TopologyPatch, changes: FactChange[]): void {
    for (const id of patch.removeNodes) this.nodes.delete(id);
    for (const id of patch.removeEdges) this.edges.delete(id);
    for (const n of patch.upsertNodes) this.nodes.set(n.id, n);
    for (const e of patch.upsertEdges) this.edges.set(e.id, e);
    this.body = null;
    const live = this.live;
    if (!live) throw new Error('the bench server is not started');
    const at = changes[0]?.at ?? new Date().toISOString();
    // as the API sends it: the patch's JSON, made once (topology-bytes.ts)
    const bytes = encodeTopologyPatch(patch);
    for (const [id, subscription] of this.subscribers) {
      const socket = live.sockets.get(id);
      if (!socket) continue;
      if (changes.length > 0) socket.emit('changes', { at, changes });
      if (subscription.topology !== false) socket.emit('topology', bytes);
    }
  }

  // ---------------------------------------------------------------- HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://bench');
    const path = url.pathname;
    if (path.startsWith('/api/')) {
      this.requests.set(path, (this.requests.get(path) ?? 0) + 1);
      return this.api(path, url.searchParams, res);
    }
    return this.file(path, res);
  }

  private api(path: string, q: URLSearchParams, res: ServerResponse): void {
    const json = (body: unknown, status = 200) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const now = new Date().toISOString();
    const from = q.get('from') ?? new Date(Date.now() - 24 * 3600_000).toISOString();
    const to = q.get('to') ?? now;
    if (path === '/api/topology') {
      // every moment looks like now: the bench measures the canvas, not history
      this.topologyBody();
      const { chunks, info } = this.body!;
      const head = Buffer.from(`{"at":${JSON.stringify(q.get('at'))},`);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': head.length + info.bytes });
      res.write(head);
      for (const chunk of chunks) res.write(chunk);
      res.end();
      return;
    }
    if (path === '/api/auth/me') {
      const me: AuthMe = { viewer: { subject: 'anonymous', name: 'anonymous', role: 'viewer', via: 'anonymous' }, methods: { oidc: null, token: false }, canLogout: false };
      return json(me);
    }
    if (path === '/api/nodes') return json({ nodes: this.summaries });
    if (path === '/api/health' || path === '/api/health/ready') return json({ version: 'bench', database: { ok: true } });
    if (path === '/api/changes') return json({ from, to, changes: [], next: null });
    if (path === '/api/events') return json({ from, to, events: [] });
    if (path === '/api/diff') return json({ from, to, nodes: {} });
    if (path === '/api/state') return json({ at: q.get('at'), nodes: {} });
    if (path === '/api/alerts') return json({ from: q.get('from') ?? to, to, alerts: [] });
    if (path === '/api/silences') return json({ silences: [] });
    const facts = /^\/api\/nodes\/([^/]+)\/facts$/.exec(path);
    if (facts) return json({ node: decodeURIComponent(facts[1]!), at: q.get('at'), facts: [] });
    return json({ statusCode: 404, message: `the bench server does not answer ${path}`, error: 'Not Found' }, 404);
  }

  private async file(path: string, res: ServerResponse): Promise<void> {
    const relative = normalize(decodeURIComponent(path === '/' ? '/index.html' : path)).replace(/^([/\\])+/, '');
    const file = join(this.webDir, relative);
    if (!file.startsWith(this.webDir + sep)) {
      res.writeHead(403).end();
      return;
    }
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': relative.startsWith('assets/') ? 'max-age=31536000, immutable' : 'no-cache',
    });
    createReadStream(file).pipe(res);
  }
}
