// A test double of the API for the browser bench (npm run bench:web): one node:http server on
// 127.0.0.1 that serves the built web app (dist/apps/web) and answers what the page asks for at
// startup — /api/auth/me (an anonymous viewer, as an API without sign-in configured answers),
// /api/topology (a synthetic N×M cluster from src/testing/synthetic-topology.ts, in the wire form
// the API would send: `full`, or `compact` from COMPACT_FROM_HOSTS hosts on — the healthy
// host-to-host edges counted in the host nodes' `data.relations`; gzipped, at level 1 as the API
// does, when the browser takes it), /api/topology/edges (the full edges of the asked hosts: what the
// compact form leaves out is generated for just those hosts from the synthetic cluster's rules),
// /api/nodes, /api/health, /api/kubernetes/health (off), and empty /api/changes, /api/events,
// /api/diff, /api/state, /api/alerts, /api/silences and /api/checks — plus the real socket.io
// `/live` namespace speaking the API's protocol (apps/api/src/live/live.gateway.ts): `subscribe`
// is validated with the same schema and acknowledged with {ok, serverTime}; the bench then emits
// `changes` batches and `topology` patches to the subscribers, as the LiveHub does.
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
  type TopologyForm,
  type TopologyPatch,
  takesGzip,
} from '@netatlas/wire';
import { topologyFormFor } from '@netatlas/graph';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { createGzip } from 'node:zlib';
import { Server, type Namespace } from 'socket.io';
import {
  syntheticBgpEdge,
  syntheticBgpId,
  syntheticHostIndex,
  syntheticNameWidth,
  syntheticRouteEdge,
  syntheticTopology,
} from '../src/testing/synthetic-topology.js';

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

export type FormOption = TopologyForm | 'auto';

export interface ClusterSize {
  hosts: number;
  podsPerHost: number;
  /** full-mesh BGP and routes between every pair of hosts, as kube-router does by default */
  mesh: boolean;
  /** the wire form /api/topology answers in (auto: compact from NETATLAS_TOPOLOGY_COMPACT_FROM hosts on, 41 by default, as the API) */
  form: FormOption;
}

/** Where `auto` turns compact: the API's setting (NETATLAS_TOPOLOGY_COMPACT_FROM), else libs/graph's COMPACT_FROM_HOSTS. */
const COMPACT_FROM = (() => {
  const raw = process.env['NETATLAS_TOPOLOGY_COMPACT_FROM'];
  const n = Number(raw);
  return raw !== undefined && Number.isInteger(n) && n >= 1 ? n : undefined;
})();

/** The form the API would send a cluster of this size in. */
export const resolveForm = (form: FormOption, hosts: number): TopologyForm => (form === 'auto' ? topologyFormFor(hosts, COMPACT_FROM) : form);

export interface TopologyBody {
  form: TopologyForm;
  bytes: number;
  nodes: number;
  edges: number;
  /** time to serialize it (once per topology version; answers reuse it) */
  serializeMs: number;
  /** its gzip (level 1, as the API), made once too (null: --no-gzip) */
  gzipBytes: number | null;
  gzipMs: number | null;
}

type LiveNamespace = Namespace<LiveClientToServer, LiveServerToClient>;

/** /api/topology's answer (at: null) in pieces, its gzip, and what it holds */
interface Body {
  chunks: Buffer[];
  gzip: Buffer | null;
  info: TopologyBody;
}

export class BenchServer {
  readonly nodes = new Map<string, TopoNode>();
  readonly edges = new Map<string, TopoEdge>();
  size: ClusterSize = { hosts: 0, podsPerHost: 0, mesh: true, form: 'auto' };
  /** the form the topology is held and sent in */
  form: TopologyForm = 'full';
  /** requests answered per path (without the query), for the report */
  readonly requests = new Map<string, number>();
  private readonly subscribers = new Map<string, LiveSubscription>();
  /** the answer to /api/topology (at: null), plain and gzipped, of the topology's current version */
  private body: Body | null = null;
  private bodyMaking: Promise<Body> | null = null;
  /** the topology's version: a new cluster or a patch makes the next */
  private version = 0;
  /** host → the ids of the held edges that start at it or its elements (made on the first ask) */
  private edgesByHost: Map<string, Set<string>> | null = null;
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

  constructor(
    private readonly webDir: string,
    /** gzip /api/topology when the browser takes it, as the API does */
    private readonly gzip = true,
  ) {}

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
    this.form = resolveForm(size.form, size.hosts);
    this.nodes.clear();
    this.edges.clear();
    this.version++;
    this.body = null;
    this.bodyMaking = null;
    this.edgesByHost = null;
    const t = syntheticTopology({ hosts: size.hosts, podsPerHost: size.podsPerHost, mesh: size.mesh, compact: this.form === 'compact' });
    this.size = size;
    for (const n of t.nodes) this.nodes.set(n.id, n);
    for (const e of t.edges) this.edges.set(e.id, e);
    const now = new Date().toISOString();
    this.summaries = t.nodes
      .filter((n) => n.type === 'host')
      .map((n) => ({ name: n.label, status: 'connected', firstSeen: '2026-11-23T14:00:00.000Z', lastSeen: now, cniStyle: 'kube-router', readers: {} }));
  }

  /** The host an edge starts at (at the host itself or at one of its elements). */
  hostOfSource(source: string): string | null {
    return source.startsWith('host:') ? source.slice(5) : (this.nodes.get(source)?.host ?? null);
  }

  /** The edges held now (in the held form) that start at these hosts or their elements. */
  heldEdgesOf(hosts: Iterable<string>): TopoEdge[] {
    if (!this.edgesByHost) {
      this.edgesByHost = new Map();
      for (const e of this.edges.values()) this.indexEdge(e);
    }
    const out: TopoEdge[] = [];
    for (const h of new Set(hosts)) for (const id of this.edgesByHost.get(h) ?? []) out.push(this.edges.get(id)!);
    return out;
  }

  private indexEdge(e: TopoEdge): void {
    const h = this.hostOfSource(e.source);
    if (h === null || !this.edgesByHost) return;
    let ids = this.edgesByHost.get(h);
    if (!ids) this.edgesByHost.set(h, (ids = new Set()));
    ids.add(e.id);
  }

  private unindexEdge(id: string): void {
    const e = this.edges.get(id);
    const h = e && this.edgesByHost ? this.hostOfSource(e.source) : null;
    if (h !== null) this.edgesByHost?.get(h)?.delete(id);
  }

  /**
   * What GET /api/topology/edges answers: the full edges of these hosts, sorted by id. The compact
   * form holds their problem edges; the healthy ones it leaves out are made for just these hosts by
   * the synthetic cluster's rules: host A has an established session to every other host B, and a
   * route into B's pod CIDR via B, unless the A→B session is held (then it is not established, and
   * its route is withdrawn).
   */
  fullEdgesOf(hosts: readonly string[]): TopoEdge[] {
    const out = this.heldEdgesOf(hosts);
    if (this.form === 'compact' && this.size.mesh) {
      const n = this.size.hosts;
      const width = syntheticNameWidth(n);
      for (const host of new Set(hosts)) {
        const i = syntheticHostIndex(host);
        if (!(i >= 1 && i <= n) || !this.nodes.has(`host:${host}`)) continue;
        for (let j = 1; j <= n; j++) {
          if (j === i || this.edges.has(syntheticBgpId(i, j, width))) continue;
          out.push(syntheticBgpEdge(i, j, width, 'established'), syntheticRouteEdge(i, j, width));
        }
      }
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Serializes (and gzips) the topology now, so the first page load does not pay for it, and says how big it is. */
  async topologyBody(): Promise<TopologyBody> {
    return (await this.currentBody()).info;
  }

  /** The answer for the current version (made once; a patch while gzipping makes it again). */
  private async currentBody(): Promise<Body> {
    for (;;) {
      if (this.body) return this.body;
      const version = this.version;
      const making = (this.bodyMaking ??= this.makeBody());
      const body = await making.finally(() => {
        if (this.bodyMaking === making) this.bodyMaking = null;
      });
      if (this.version === version) return (this.body = body);
    }
  }

  private async makeBody(): Promise<Body> {
    const started = performance.now();
    // in pieces: a 1000-host mesh is more JSON than one string may hold
    const chunks: Buffer[] = [Buffer.from(`{"at":null,"form":${JSON.stringify(this.form)},`)];
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
    const serializeMs = performance.now() - started;
    const counts = { form: this.form, nodes: this.nodes.size, edges: this.edges.size };
    const gzipStarted = performance.now();
    const gzip = this.gzip ? await gzipChunks(chunks) : null;
    const info: TopologyBody = {
      ...counts,
      bytes: chunks.reduce((s, c) => s + c.length, 0),
      serializeMs,
      gzipBytes: gzip?.length ?? null,
      gzipMs: gzip ? performance.now() - gzipStarted : null,
    };
    return { chunks, gzip, info };
  }

  /**
   * Sends a batch to every subscriber as the LiveHub does at the end of a batch interval: the fact
   * changes (all subscribers here subscribe to every kind and node), then the topology patch, which
   * this server also applies to what /api/topology answers.
   */
  emit(patch: TopologyPatch, changes: FactChange[]): void {
    // removals, then upserts; an edge's host is found through its source node (there before the
    // removals, and after the upserts), and an id names its source
    for (const id of patch.removeEdges) {
      this.unindexEdge(id);
      this.edges.delete(id);
    }
    for (const id of patch.removeNodes) this.nodes.delete(id);
    for (const n of patch.upsertNodes) this.nodes.set(n.id, n);
    for (const e of patch.upsertEdges) {
      this.edges.set(e.id, e);
      this.indexEdge(e);
    }
    this.version++;
    this.body = null;
    this.bodyMaking = null;
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
      return this.api(path, url.searchParams, req, res);
    }
    return this.file(path, res);
  }

  private async api(path: string, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const json = (body: unknown, status = 200) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const now = new Date().toISOString();
    const from = q.get('from') ?? new Date(Date.now() - 24 * 3600_000).toISOString();
    const to = q.get('to') ?? now;
    if (path === '/api/topology') {
      // every moment looks like now: the bench measures the canvas, not history; `form` is the held one
      const { chunks, gzip, info } = await this.currentBody();
      const at = q.get('at');
      const zipped = this.gzip && takesGzip(req.headers['accept-encoding']);
      // the answer made in advance says at: null; another `at` is put in (and gzipped) now
      const parts = at === null ? chunks : [Buffer.from(`{"at":${JSON.stringify(at)},"form":${JSON.stringify(info.form)},`), ...chunks.slice(1)];
      const body = zipped ? (at === null && gzip ? [gzip] : [await gzipChunks(parts)]) : parts;
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': body.reduce((s, c) => s + c.length, 0),
        vary: 'Accept-Encoding',
        ...(zipped ? { 'content-encoding': 'gzip' } : {}),
      });
      for (const chunk of body) res.write(chunk);
      res.end();
      return;
    }
    if (path === '/api/topology/edges') {
      // `hosts=a,b`: each name encoded, the list joined by plain commas (an encoded comma is part of a name)
      const raw = /(?:^|&)hosts=([^&]*)/.exec((req.url ?? '').split('?')[1] ?? '')?.[1] ?? '';
      const hosts = raw.split(',').filter(Boolean).map((h) => decodeURIComponent(h.replace(/\+/g, ' ')));
      if (hosts.length === 0) return json({ statusCode: 400, message: 'hosts: at least one host name', error: 'Bad Request' }, 400);
      return json({ at: q.get('at'), hosts, edges: this.fullEdgesOf(hosts) });
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
    // no Kubernetes source, and nothing found by the expected-state checks
    if (path === '/api/kubernetes/health') return json({ state: 'off', error: null, since: now, lastSyncAt: null, mode: 'off', server: null });
    if (path === '/api/checks') return json({ at: q.get('at'), nodes: [], findings: [] });
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


/** The chunks gzipped as one stream, at level 1 as the API does (off the event loop: zlib's thread pool). */
function gzipChunks(chunks: readonly Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gz = createGzip({ level: 1 });
    const out: Buffer[] = [];
    gz.on('data', (c: Buffer) => out.push(c));
    gz.on('end', () => resolve(Buffer.concat(out)));
    gz.on('error', reject);
    for (const c of chunks) gz.write(c);
    gz.end();
  });
}
