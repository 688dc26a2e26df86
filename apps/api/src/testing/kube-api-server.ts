// Test support: a small Kubernetes API server for Nodes and Pods that speaks the real list/watch wire
// protocol (DESIGN.md "Kubernetes": no kube-apiserver can be installed here, the client library is
// real). Like the real one it keeps one resourceVersion counter for everything, lists answer with
// the current resourceVersion, and a watch from resourceVersion N first replays what happened after
// N from its event log, then streams newline-delimited watch events and stays open. A watch from a
// resourceVersion older than the log (after compact()) gets an ERROR event carrying a 410 Status,
// as the real server answers "too old resource version", and is closed. Tests can also send
// BOOKMARKs, close watches the way the server's watch timeout does, drop them (socket destroyed),
// and see every request it got.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';

export type KubeResource = 'nodes' | 'pods';

export interface KubeObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface KubeRequest {
  at: number;
  method: string;
  /** the path without the query string */
  path: string;
  resource: KubeResource | null;
  watch: boolean;
  /** the resourceVersion parameter as sent (null: absent) */
  resourceVersion: string | null;
  allowWatchBookmarks: boolean;
  /** the Authorization header as sent */
  authorization: string | null;
}

interface LogEntry {
  rv: number;
  resource: KubeResource;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

interface OpenWatch {
  resource: KubeResource;
  res: ServerResponse;
  socket: Socket;
  bookmarks: boolean;
}

const KINDS: Record<KubeResource, string> = { nodes: 'Node', pods: 'Pod' };

const clone = <T>(v: T): T => structuredClone(v);
const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export interface KubeApiServerOptions {
  /** the bearer token clients must send (default: a random one) */
  token?: string;
}

export class KubeApiServer {
  /** every request, oldest first */
  readonly requests: KubeRequest[] = [];
  readonly token: string;
  private rv = 100;
  /** watches from a resourceVersion below this are answered with 410 Gone */
  private compactedRv = 0;
  private readonly objects: Record<KubeResource, Map<string, KubeObject>> = { nodes: new Map(), pods: new Map() };
  private readonly log: LogEntry[] = [];
  private readonly watches = new Set<OpenWatch>();
  private readonly sockets = new Set<Socket>();
  private readonly goneNext: Record<KubeResource, 'event' | 'status' | null> = { nodes: null, pods: null };
  private readonly watchWaiters: Array<{ test: (r: KubeRequest) => boolean; resolve: (r: KubeRequest) => void }> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    token: string,
  ) {
    this.token = token;
  }

  static async start(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
    const token = options.token ?? `test-${randomUUID()}`;
    let self: KubeApiServer | null = null;
    const server = createServer((req, res) => self!.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('no address');
    self = new KubeApiServer(server, `http://127.0.0.1:${address.port}`, token);
    server.on('connection', (socket) => {
      self!.sockets.add(socket);
      socket.on('close', () => self!.sockets.delete(socket));
    });
    return self;
  }

  /** The current resourceVersion (of the last change or bookmark). */
  get resourceVersion(): string {
    return String(this.rv);
  }

  /** The open watch connections of `resource` (or all). */
  openWatches(resource?: KubeResource): number {
    return [...this.watches].filter((w) => !resource || w.resource === resource).length;
  }

  /** The requests for `resource`: lists and watches. */
  lists(resource: KubeResource): KubeRequest[] {
    return this.requests.filter((r) => r.resource === resource && !r.watch);
  }

  watchRequests(resource: KubeResource): KubeRequest[] {
    return this.requests.filter((r) => r.resource === resource && r.watch);
  }

  /** Resolves with the next watch request for `resource` (matching `test`) made from now on. */
  nextWatch(resource: KubeResource, test: (r: KubeRequest) => boolean = () => true): Promise<KubeRequest> {
    return new Promise((resolve) => this.watchWaiters.push({ test: (r) => r.resource === resource && r.watch && test(r), resolve }));
  }

  // ------------------------------------------------------------------ changing the cluster

  add(resource: KubeResource, object: KubeObject): KubeObject {
    const stored = clone(object);
    if (this.objects[resource].has(keyOf(stored))) throw new Error(`${resource} ${keyOf(stored)} already exists`);
    stored.metadata.uid ??= randomUUID();
    stored.metadata['creationTimestamp'] ??= new Date().toISOString();
    return this.change(resource, 'ADDED', stored);
  }

  /** Replaces the object (found by namespace and name), or applies `mutate` to a copy of it. */
  modify(resource: KubeResource, name: string, mutate: (o: KubeObject) => void, namespace?: string): KubeObject {
    const current = this.get(resource, name, namespace);
    if (!current) throw new Error(`no ${resource} ${namespace ?? ''}/${name}`);
    const next = clone(current);
    mutate(next);
    return this.change(resource, 'MODIFIED', next);
  }

  delete(resource: KubeResource, name: string, namespace?: string): KubeObject {
    const current = this.get(resource, name, namespace);
    if (!current) throw new Error(`no ${resource} ${namespace ?? ''}/${name}`);
    return this.change(resource, 'DELETED', clone(current));
  }

  get(resource: KubeResource, name: string, namespace?: string): KubeObject | undefined {
    const o = this.objects[resource].get(`${namespace ?? ''}/${name}`);
    return o && clone(o);
  }

  list(resource: KubeResource): KubeObject[] {
    return [...this.objects[resource].values()].map(clone);
  }

  /** Sends a BOOKMARK at a new resourceVersion to the open watches of `resource` that asked for them. */
  bookmark(resource: KubeResource): string {
    this.rv++;
    const event = { type: 'BOOKMARK', object: { kind: KINDS[resource], apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } };
    for (const w of this.watches) if (w.resource === resource && w.bookmarks) w.res.write(`${JSON.stringify(event)}\n`);
    return String(this.rv);
  }

  /** Forgets the event log: any watch from an older resourceVersion than now gets 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    this.log.length = 0;
  }

  /**
   * The next watch of `resource` is answered with 410 Gone, whatever its resourceVersion: as an ERROR
   * watch event carrying a Status (`event`, what the real server does), or as an HTTP 410 (`status`).
   */
  goneOnNextWatch(resource: KubeResource, how: 'event' | 'status' = 'event'): void {
    this.goneNext[resource] = how;
  }

  /** Ends the open watches cleanly, as the server's watch timeout does. */
  closeWatches(resource?: KubeResource): number {
    let n = 0;
    for (const w of [...this.watches]) {
      if (resource && w.resource !== resource) continue;
      this.watches.delete(w);
      w.res.end();
      n++;
    }
    return n;
  }

  /** Drops the open watch connections (the socket is destroyed mid-stream). */
  dropWatches(resource?: KubeResource): number {
    let n = 0;
    for (const w of [...this.watches]) {
      if (resource && w.resource !== resource) continue;
      this.watches.delete(w);
      w.socket.destroy();
      n++;
    }
    return n;
  }

  /** Writes a kubeconfig for this server (plain http, bearer token) and returns its path. */
  async writeKubeconfig(dir: string, file = 'kubeconfig'): Promise<string> {
    const path = join(dir, file);
    await writeFile(path, kubeconfigYaml(this.url, this.token));
    return path;
  }

  async close(): Promise<void> {
    for (const w of this.watches) w.res.destroy();
    this.watches.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------------ internals

  private change(resource: KubeResource, type: LogEntry['type'], object: KubeObject): KubeObject {
    this.rv++;
    object.metadata.resourceVersion = String(this.rv);
    if (type === 'DELETED') this.objects[resource].delete(keyOf(object));
    else this.objects[resource].set(keyOf(object), object);
    const entry: LogEntry = { rv: this.rv, resource, type, object: clone(object) };
    this.log.push(entry);
    for (const w of this.watches) if (w.resource === resource) this.send(w.res, entry);
    return clone(object);
  }

  private send(res: ServerResponse, entry: LogEntry): void {
    res.write(`${JSON.stringify({ type: entry.type, object: { kind: KINDS[entry.resource], apiVersion: 'v1', ...entry.object } })}\n`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const resource: KubeResource | null = url.pathname === '/api/v1/nodes' ? 'nodes' : url.pathname === '/api/v1/pods' ? 'pods' : null;
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const request: KubeRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path: url.pathname,
      resource,
      watch,
      resourceVersion: url.searchParams.get('resourceVersion'),
      allowWatchBookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
      authorization: req.headers.authorization ?? null,
    };
    this.requests.push(request);
    if (request.authorization !== `Bearer ${this.token}`) return status(res, 401, 'Unauthorized', 'Unauthorized');
    if (!resource) return status(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    if (request.method !== 'GET') return status(res, 405, 'MethodNotAllowed', `${request.method} is not supported here`);
    if (!watch) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: `${KINDS[resource]}List`,
          apiVersion: 'v1',
          metadata: { resourceVersion: String(this.rv) },
          items: [...this.objects[resource].values()],
        }),
      );
      return;
    }
    for (const waiter of [...this.watchWaiters]) {
      if (!waiter.test(request)) continue;
      this.watchWaiters.splice(this.watchWaiters.indexOf(waiter), 1);
      waiter.resolve(request);
    }
    const gone = this.goneNext[resource];
    this.goneNext[resource] = null;
    const from = request.resourceVersion === null || request.resourceVersion === '' ? null : Number(request.resourceVersion);
    const tooOld = from !== null && from !== 0 && (!Number.isInteger(from) || from < this.compactedRv);
    if (gone === 'status') return status(res, 410, 'Expired', `too old resource version: ${request.resourceVersion} (${this.compactedRv})`);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (gone === 'event' || tooOld) {
      const object = statusObject(410, 'Expired', `too old resource version: ${request.resourceVersion} (${Math.max(this.compactedRv, this.rv)})`);
      res.end(`${JSON.stringify({ type: 'ERROR', object })}\n`);
      return;
    }
    const open: OpenWatch = { resource, res, socket: req.socket, bookmarks: request.allowWatchBookmarks };
    this.watches.add(open);
    res.on('close', () => this.watches.delete(open));
    if (from === null || from === 0) {
      // "any" or "now": the current state as synthetic ADDED events, then the changes
      for (const object of this.objects[resource].values()) this.send(res, { rv: this.rv, resource, type: 'ADDED', object });
    } else {
      for (const entry of this.log) if (entry.resource === resource && entry.rv > from) this.send(res, entry);
    }
  }
}

function statusObject(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(statusObject(code, reason, message)));
}

export function kubeconfigYaml(server: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${server}`,
    // client-node refuses plain http unless TLS verification is (meaninglessly) off
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: test',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    '    user: test',
    'current-context: test',
    '',
  ].join('\n');
}

// ------------------------------------------------------------------ objects

export interface TestNodeOptions {
  internalIP?: string | string[];
  podCIDRs?: string[];
  ready?: boolean;
  labels?: Record<string, string>;
}

/** A Node as the real API returns it (the parts netatlas reads, and a few it does not). */
export function testNode(name: string, options: TestNodeOptions = {}): KubeObject {
  const ips = options.internalIP === undefined ? [] : Array.isArray(options.internalIP) ? options.internalIP : [options.internalIP];
  const podCIDRs = options.podCIDRs ?? [];
  return {
    metadata: { name, labels: options.labels ?? { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
    spec: { ...(podCIDRs[0] ? { podCIDR: podCIDRs[0] } : {}), podCIDRs },
    status: {
      addresses: [...ips.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: name }],
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
        { type: 'Ready', status: options.ready === false ? 'False' : 'True', reason: 'KubeletReady', lastTransitionTime: '2026-11-23T10:00:00Z' },
      ],
      nodeInfo: { kubeletVersion: 'v1.34.0', osImage: 'Debian GNU/Linux 13' },
    },
  };
}

export interface TestPodOptions {
  ip?: string | string[];
  node?: string;
  phase?: string;
  hostNetwork?: boolean;
}

export function testPod(namespace: string, name: string, options: TestPodOptions = {}): KubeObject {
  const ips = options.ip === undefined ? [] : Array.isArray(options.ip) ? options.ip : [options.ip];
  return {
    metadata: { name, namespace, labels: { app: name.replace(/-[a-z0-9]+$/, '') } },
    spec: { ...(options.node ? { nodeName: options.node } : {}), ...(options.hostNetwork ? { hostNetwork: true } : {}), containers: [{ name: 'main', image: 'busybox' }] },
    status: {
      phase: options.phase ?? 'Running',
      ...(ips[0] ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {}),
    },
  };
}
