// Test support: a small Kubernetes API server for Nodes, Pods and Calico's BlockAffinities (a CRD)
// that speaks the real list/watch wire protocol over plain http (DESIGN.md "Kubernetes": no
// kube-apiserver can be installed here, the client library is real). Like the real one it keeps one
// resourceVersion counter for everything, lists answer with the current resourceVersion, and a watch
// from resourceVersion N first replays what happened after N from its event log, then streams
// newline-delimited watch events and stays open (until its timeoutSeconds, when the client sent one).
// A watch from a resourceVersion older than the log (after compact()) gets an ERROR event carrying a
// 410 Status, as the real server answers "too old resource version", and is closed. A CRD that is not
// installed answers 404, as the real server does for a resource it does not know.
//
// It wants a bearer token (its kubeconfig has one), or none at all (`token: null`: what `kubectl
// proxy` serves, whose kubeconfig has no user). Tests can also send BOOKMARKs, close watches the way
// the server's watch timeout does, drop them (socket destroyed), stall them (open, silent, never
// closed: a connection lost without a word), refuse a resource (403, as RBAC does), hang requests
// unanswered, stop answering altogether (pause: connections refused) and come back on the same port,
// and see every request. It also reviews service-account tokens it issued (POST tokenreviews, as
// the real server does for a projected token: user, audiences, the pod it is bound to) and serves
// a pod by name.
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';

export type KubeResource = 'nodes' | 'pods' | 'blockaffinities';

/** The resources that are CRDs: served only once installed (installCrd), else 404. */
export type KubeCrd = 'blockaffinities';

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
  /** the timeoutSeconds parameter as sent (null: absent) */
  timeoutSeconds: number | null;
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
  /** ends the watch when its timeoutSeconds is up, as the real server does */
  timer: NodeJS.Timeout | null;
  /** stalled: gets nothing more and is never ended (stallWatches) */
  stalled: boolean;
}

const KINDS: Record<KubeResource, string> = { nodes: 'Node', pods: 'Pod', blockaffinities: 'BlockAffinity' };
const API_VERSIONS: Record<KubeResource, string> = { nodes: 'v1', pods: 'v1', blockaffinities: 'crd.projectcalico.org/v1' };
const PATHS: Record<string, KubeResource> = {
  '/api/v1/nodes': 'nodes',
  '/api/v1/pods': 'pods',
  '/apis/crd.projectcalico.org/v1/blockaffinities': 'blockaffinities',
};
const GROUPS: Record<KubeResource, string> = { nodes: '', pods: '', blockaffinities: 'crd.projectcalico.org' };

const clone = <T>(v: T): T => structuredClone(v);
const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export interface KubeApiServerOptions {
  /** the bearer token clients must send (default: a random one); null: no authentication, as `kubectl proxy` */
  token?: string | null;
  /** the CRDs installed from the start */
  crds?: KubeCrd[];
}

export class KubeApiServer {
  /** every request, oldest first */
  readonly requests: KubeRequest[] = [];
  /** null: no authentication (kubectl proxy) */
  readonly token: string | null;
  private rv = 100;
  /** watches from a resourceVersion below this are answered with 410 Gone */
  private compactedRv = 0;
  private readonly objects: Record<KubeResource, Map<string, KubeObject>> = { nodes: new Map(), pods: new Map(), blockaffinities: new Map() };
  private readonly crds = new Set<KubeCrd>();
  private readonly forbidden = new Set<KubeResource>();
  private readonly hanging = new Set<KubeResource>();
  private paused = false;
  /** service-account tokens issued by issueToken: token → what a TokenReview says of it */
  private readonly issued = new Map<string, { namespace: string; serviceAccount: string; pod: string; podUid: string; audiences: string[]; expires: number }>();
  private readonly log: LogEntry[] = [];
  private readonly watches = new Set<OpenWatch>();
  private readonly sockets = new Set<Socket>();
  private readonly goneNext: Record<KubeResource, 'event' | 'status' | null> = { nodes: null, pods: null, blockaffinities: null };
  private readonly watchWaiters: Array<{ test: (r: KubeRequest) => boolean; resolve: (r: KubeRequest) => void }> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly port: number,
    token: string | null,
  ) {
    this.token = token;
  }

  static async start(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
    const token = options.token === undefined ? `test-${randomUUID()}` : options.token;
    let self: KubeApiServer | null = null;
    const server = createServer((req, res) => self!.handle(req, res));
    await listen(server, 0);
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('no address');
    self = new KubeApiServer(server, `http://127.0.0.1:${address.port}`, address.port, token);
    for (const crd of options.crds ?? []) self.crds.add(crd);
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
    const event = { type: 'BOOKMARK', object: { kind: KINDS[resource], apiVersion: API_VERSIONS[resource], metadata: { resourceVersion: String(this.rv) } } };
    for (const w of this.watches) if (w.resource === resource && w.bookmarks && !w.stalled) w.res.write(`${JSON.stringify(event)}\n`);
    return String(this.rv);
  }

  /** Installs a CRD: its list and watch are served from now on. */
  installCrd(crd: KubeCrd): void {
    this.crds.add(crd);
  }

  /**
   * Removes a CRD as `kubectl delete crd` does: its objects go (no events: their watches end first)
   * and its list and watch answer 404 from now on.
   */
  uninstallCrd(crd: KubeCrd): void {
    this.crds.delete(crd);
    this.closeWatches(crd);
    this.objects[crd].clear();
  }

  /** Refuses `resource` with 403 Forbidden (as RBAC does for a missing permission), or accepts it again. */
  forbid(resource: KubeResource, forbidden = true): void {
    if (forbidden) this.forbidden.add(resource);
    else this.forbidden.delete(resource);
  }

  /**
   * Requests for `resource` are taken and never answered (no status, no headers), as by a server or
   * proxy that hangs; `false` answers new ones again (the hanging ones stay so until the client gives up).
   */
  hang(resource: KubeResource, hanging = true): void {
    if (hanging) this.hanging.add(resource);
    else this.hanging.delete(resource);
  }

  /**
   * Stops answering: every connection is destroyed and new ones are refused (the port is closed),
   * as when the API server is down or unreachable. resume() listens again on the same port.
   */
  async pause(): Promise<void> {
    this.paused = true;
    for (const w of this.watches) this.endWatch(w, 'destroy');
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async resume(): Promise<void> {
    if (!this.paused) return;
    await listen(this.server, this.port);
    this.paused = false;
  }

  /**
   * The open watches of `resource` (or all) go silent: they get no more events and are never ended,
   * not even at their timeoutSeconds, as a connection that was lost without a word (a NAT or load
   * balancer that forgot it). New watches are served as usual.
   */
  stallWatches(resource?: KubeResource): number {
    let n = 0;
    for (const w of this.watches) {
      if (resource && w.resource !== resource) continue;
      w.stalled = true;
      if (w.timer) clearTimeout(w.timer);
      w.timer = null;
      n++;
    }
    return n;
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
      this.endWatch(w, 'end');
      n++;
    }
    return n;
  }

  /** Drops the open watch connections (the socket is destroyed mid-stream). */
  dropWatches(resource?: KubeResource): number {
    let n = 0;
    for (const w of [...this.watches]) {
      if (resource && w.resource !== resource) continue;
      this.endWatch(w, 'destroy');
      n++;
    }
    return n;
  }

  /**
   * Writes a kubeconfig for this server and returns its path: plain http with the bearer token, or
   * (`token: null`) as for `kubectl proxy`: a cluster and a context, no user.
   */
  async writeKubeconfig(dir: string, file = 'kubeconfig'): Promise<string> {
    const path = join(dir, file);
    await writeFile(path, kubeconfigYaml(this.url, this.token));
    return path;
  }

  /**
   * A projected service-account token, as the kubelet mounts it for `pod` (bound to it, for
   * `audiences`, valid `ttlSeconds`). Only a TokenReview tells what it is; the string means nothing.
   */
  issueToken(o: { namespace: string; serviceAccount: string; pod: string; podUid: string; audiences: string[]; ttlSeconds?: number }): string {
    const token = `eyJhbGciOiJSUzI1NiJ9.${randomBytes(24).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    this.issued.set(token, { ...o, expires: Date.now() + (o.ttlSeconds ?? 3600) * 1000 });
    return token;
  }

  /** The token no longer authenticates (expired, or its pod deleted). */
  expireToken(token: string): void {
    this.issued.delete(token);
  }

  async close(): Promise<void> {
    for (const w of [...this.watches]) this.endWatch(w, 'destroy');
    for (const s of this.sockets) s.destroy();
    if (!this.paused) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------------ internals

  private change(resource: KubeResource, type: LogEntry['type'], object: KubeObject): KubeObject {
    this.rv++;
    object.metadata.resourceVersion = String(this.rv);
    if (type === 'DELETED') this.objects[resource].delete(keyOf(object));
    else this.objects[resource].set(keyOf(object), object);
    const entry: LogEntry = { rv: this.rv, resource, type, object: clone(object) };
    this.log.push(entry);
    for (const w of this.watches) if (w.resource === resource && !w.stalled) this.send(w.res, entry);
    return clone(object);
  }

  private send(res: ServerResponse, entry: LogEntry): void {
    res.write(`${JSON.stringify({ type: entry.type, object: { kind: KINDS[entry.resource], apiVersion: API_VERSIONS[entry.resource], ...entry.object } })}\n`);
  }

  private endWatch(w: OpenWatch, how: 'end' | 'destroy'): void {
    this.watches.delete(w);
    if (w.timer) clearTimeout(w.timer);
    w.timer = null;
    if (how === 'end') w.res.end();
    else w.socket.destroy();
  }

  /** POST tokenreviews: what the real server answers for a bound service-account token. */
  private tokenReview(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      const review = JSON.parse(body || '{}') as { spec?: { token?: string; audiences?: string[] } };
      const t = this.issued.get(review.spec?.token ?? '');
      const wanted = review.spec?.audiences ?? [];
      const audiences = t ? (wanted.length ? wanted.filter((a) => t.audiences.includes(a)) : t.audiences) : [];
      const ok = t !== undefined && t.expires > Date.now() && audiences.length > 0;
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'TokenReview',
          apiVersion: 'authentication.k8s.io/v1',
          metadata: { creationTimestamp: null },
          spec: { token: review.spec?.token, audiences: wanted },
          status: ok
            ? {
                authenticated: true,
                user: {
                  username: `system:serviceaccount:${t.namespace}:${t.serviceAccount}`,
                  uid: randomUUID(),
                  groups: ['system:serviceaccounts', `system:serviceaccounts:${t.namespace}`, 'system:authenticated'],
                  extra: { 'authentication.kubernetes.io/pod-name': [t.pod], 'authentication.kubernetes.io/pod-uid': [t.podUid] },
                },
                audiences,
              }
            : { user: {}, error: t === undefined ? '[invalid bearer token, token lookup failed]' : 'token audiences do not match or the token expired' },
        }),
      );
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const resource: KubeResource | null = PATHS[url.pathname] ?? null;
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const timeoutSeconds = url.searchParams.get('timeoutSeconds');
    const request: KubeRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path: url.pathname,
      resource,
      watch,
      resourceVersion: url.searchParams.get('resourceVersion'),
      allowWatchBookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
      authorization: req.headers.authorization ?? null,
      timeoutSeconds: timeoutSeconds === null ? null : Number(timeoutSeconds),
    };
    this.requests.push(request);
    if (resource && this.hanging.has(resource)) return;
    if (this.token !== null && request.authorization !== `Bearer ${this.token}`) return status(res, 401, 'Unauthorized', 'Unauthorized');
    if (url.pathname === '/apis/authentication.k8s.io/v1/tokenreviews' && request.method === 'POST') return void this.tokenReview(req, res);
    const pod = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(url.pathname);
    if (pod && request.method === 'GET') {
      const found = this.objects.pods.get(`${decodeURIComponent(pod[1]!)}/${decodeURIComponent(pod[2]!)}`);
      if (!found) return status(res, 404, 'NotFound', `pods "${decodeURIComponent(pod[2]!)}" not found`);
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ kind: 'Pod', apiVersion: 'v1', ...found }));
    }
    // a CRD that is not installed is a resource the server does not know
    if (!resource || (isCrd(resource) && !this.crds.has(resource))) {
      return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    }
    if (this.forbidden.has(resource)) {
      const group = GROUPS[resource];
      return status(
        res,
        403,
        'Forbidden',
        `${resource}${group ? `.${group}` : ''} is forbidden: User "system:serviceaccount:netatlas:netatlas-api" cannot ${watch ? 'watch' : 'list'} resource "${resource}" in API group "${group}" at the cluster scope`,
      );
    }
    if (request.method !== 'GET') return status(res, 405, 'MethodNotAllowed', `${request.method} is not supported here`);
    if (!watch) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: `${KINDS[resource]}List`,
          apiVersion: API_VERSIONS[resource],
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
    const open: OpenWatch = { resource, res, socket: req.socket, bookmarks: request.allowWatchBookmarks, timer: null, stalled: false };
    this.watches.add(open);
    res.on('close', () => {
      this.watches.delete(open);
      if (open.timer) clearTimeout(open.timer);
    });
    if (request.timeoutSeconds !== null && request.timeoutSeconds > 0) {
      open.timer = setTimeout(() => this.endWatch(open, 'end'), request.timeoutSeconds * 1000);
      open.timer.unref();
    }
    if (from === null || from === 0) {
      // "any" or "now": the current state as synthetic ADDED events, then the changes
      for (const object of this.objects[resource].values()) this.send(res, { rv: this.rv, resource, type: 'ADDED', object });
    } else {
      for (const entry of this.log) if (entry.resource === resource && entry.rv > from) this.send(res, entry);
    }
  }
}

const isCrd = (resource: KubeResource): resource is KubeCrd => resource === 'blockaffinities';

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function statusObject(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(statusObject(code, reason, message)));
}

/**
 * A kubeconfig for `server` as a user writes one: a plain `http://` server with the bearer token, or
 * (`token` null) the kubectl proxy form: a cluster and a context, no user and no credentials. Neither
 * marks the cluster insecure-skip-tls-verify: the API must cope with http as it is.
 */
export function kubeconfigYaml(server: string, token: string | null): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${server}`,
    ...(token === null ? [] : ['users:', '- name: test', '  user:', `    token: ${token}`]),
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    ...(token === null ? [] : ['    user: test']),
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

export interface TestBlockAffinityOptions {
  /** confirmed (the default), pending, pendingDeletion */
  state?: string;
  /** spec.deleted, a string as Calico writes it (default 'false') */
  deleted?: 'true' | 'false';
  /** spec.type: absent by default (older Calico), `host` or `virtual` */
  type?: string;
}

/**
 * A BlockAffinity as Calico's Kubernetes datastore writes it (crd.projectcalico.org/v1, cluster
 * scoped, named `<node>-<cidr with . : / as ->`, spec {state, node, cidr, deleted} with deleted a string).
 */
export function testBlockAffinity(node: string, cidr: string, options: TestBlockAffinityOptions = {}): KubeObject {
  return {
    metadata: { name: `${node}-${cidr.replace(/[.:/]/g, '-')}` },
    spec: { state: options.state ?? 'confirmed', node, cidr, deleted: options.deleted ?? 'false', ...(options.type ? { type: options.type } : {}) },
  };
}
