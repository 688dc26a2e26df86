// One Kubernetes resource kept in memory by a client-node informer (ListWatch): its records, its
// restarts after failures, and how healthy it is.
//
// The informer lists, then watches from the list's resourceVersion, and keeps the last
// resourceVersion it saw (events and BOOKMARKs, which TrackingWatch asks for). When a watch ends
// cleanly (the server's watch timeout) it watches again from there; when the server says 410 Gone it
// relists, and objects missing from the new list are reported deleted. When a list or a watch fails
// (a dropped connection, an unreachable or refusing server, a list or watch that hangs) the informer
// stops; the stream starts it again after a back-off, and it resumes from the resourceVersion it
// holds, so nothing is relisted unless the server asks for it.
//
// A resource the cluster may not have (a CRD: `optional`) that answers 404 is *absent*, not failing:
// its records are reported deleted and it is listed again every `recheckMs`.
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '@nestjs/common';
import type { KubeChange } from './kube-types.js';

export type Log = Pick<Logger, 'log' | 'warn' | 'error' | 'debug'>;

export interface StreamSettings<T extends KubernetesObject, R> {
  /** the resource's name in logs and errors (nodes, pods, blockaffinities) */
  resource: string;
  kc: KubeConfig;
  /** the collection's path (watched with ?watch=true) */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  convert: (object: T) => R;
  key: (record: R) => string;
  log: Log;
  /** the first retry after a failure; doubles up to maxBackoffMs (with ±20% jitter) */
  backoffMs: number;
  maxBackoffMs: number;
  /** a watch open this long counts as recovered (failures reset) even without events */
  healthyAfterMs: number;
  /** the server ends each watch after this many seconds (up to twice as many, jittered) */
  watchTimeoutS: number;
  /** a watch still open this long after its timeoutSeconds lost its connection: it is dropped */
  watchGraceMs: number;
  /** a resource the cluster may not have: 404 means absent; listed again every recheckMs */
  optional?: { recheckMs: number };
  onChange: (change: KubeChange, record: R, previous: R | null) => void;
  onListed: (records: R[], first: boolean) => void;
  /** listed, failing, recovered, absent: something health() reads changed */
  onState: () => void;
}

export class ResourceStream<T extends KubernetesObject, R> {
  readonly items = new Map<string, R>();
  /** listed at least once (stays true while it recovers from failures) */
  listed = false;
  /** an optional resource the server does not have (404) */
  absent = false;
  /** the current failure, while the informer has not listed or connected again; null otherwise */
  error: string | null = null;
  private informer!: ListWatch<T>;
  private readonly watch: TrackingWatch;
  private lists = 0;
  /** failures since the informer last worked (a list, an event, or a watch open for a while) */
  private failures = 0;
  private lastLogged: string | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private healthyTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private pendingList: { records: R[]; first: boolean } | null = null;

  constructor(private readonly s: StreamSettings<T, R>) {
    this.watch = new TrackingWatch(s.kc, {
      timeoutS: s.watchTimeoutS,
      graceMs: s.watchGraceMs,
      starting: () => this.beforeWatch(),
      event: () => this.healthy(),
      connected: () => {
        // the server took the watch: the source works again (the back-off resets only once the
        // watch has stayed open for a while, so a watch dropped at once still backs off)
        this.setError(null);
        if (this.healthyTimer) clearTimeout(this.healthyTimer);
        this.healthyTimer = setTimeout(() => this.healthy(), s.healthyAfterMs);
        this.healthyTimer.unref?.();
      },
      closed: () => {
        if (this.healthyTimer) clearTimeout(this.healthyTimer);
        this.healthyTimer = null;
      },
    });
    this.informer = this.makeInformer();
  }

  get resourceVersion(): string {
    return this.informer.latestResourceVersion();
  }

  /** Listed, or known to be absent: nothing more to wait for before the source is in sync. */
  get ready(): boolean {
    return this.listed || this.absent;
  }

  /**
   * Failing: a stream that never listed fails at its first failure; one that did gets one free
   * resume (a watch dropped by a load balancer or an API server restart is routine) and fails when
   * that fails too.
   */
  get failing(): boolean {
    return this.error !== null && (!this.ready || this.failures >= 2);
  }

  start(): void {
    this.informer.start().catch((error: unknown) => this.failed(error));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    this.watch.close();
    await this.informer.stop();
  }

  private makeInformer(): ListWatch<T> {
    const informer = new ListWatch<T>(this.s.path, this.watch, () => this.listOnce(), false);
    // an informer replaced by gone() may still report what was in flight: not ours any more
    const current = () => informer === this.informer;
    informer.on('add', (o) => current() && this.upsert(o, 'added'));
    informer.on('update', (o) => current() && this.upsert(o, 'modified'));
    informer.on('delete', (o) => {
      if (!current()) return;
      const record = this.s.convert(o);
      const key = this.s.key(record);
      const previous = this.items.get(key) ?? null;
      this.items.delete(key);
      this.s.onChange('deleted', record, previous);
    });
    informer.on('connect', () => {
      if (!current()) return;
      const rv = informer.latestResourceVersion();
      if (rv) this.s.log.debug?.(`${this.s.resource}: watching from resourceVersion ${rv}`);
      else if (this.lists > 0 && this.failures === 0 && !this.absent) {
        this.s.log.log(`${this.s.resource}: relisting (410 Gone: the server no longer has the history from our resourceVersion)`);
      }
    });
    informer.on('error', (error) => current() && this.failed(error));
    return informer;
  }

  private async listOnce(): Promise<KubernetesListObject<T>> {
    const list = await this.s.list();
    if (this.stopped) throw new StoppedError();
    const first = this.lists === 0;
    this.lists++;
    this.s.log.log(`${this.s.resource}: ${first ? 'listed' : 'relisted'} ${list.items.length} at resourceVersion ${list.metadata?.resourceVersion ?? ''}`);
    this.absent = false;
    // told with the list, once the informer has taken it in (it watches right after): not syncing in between
    this.healthy(false);
    this.pendingList = { records: list.items.map((o) => this.s.convert(o)), first };
    return list;
  }

  /** The informer has applied its list and starts watching. */
  private beforeWatch(): void {
    const pending = this.pendingList;
    if (!pending) return;
    this.pendingList = null;
    this.listed = true;
    this.s.onListed(pending.records, pending.first);
    this.s.onState();
  }

  private upsert(object: T, change: 'added' | 'modified'): void {
    const record = this.s.convert(object);
    const key = this.s.key(record);
    const previous = this.items.get(key) ?? null;
    this.items.set(key, record);
    this.s.onChange(previous ? 'modified' : change, record, previous);
  }

  private healthy(notify = true): void {
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    this.healthyTimer = null;
    if (this.failures > 0) this.s.log.log(`${this.s.resource}: recovered after ${this.failures} failure(s)`);
    this.failures = 0;
    this.lastLogged = null;
    this.setError(null, notify);
  }

  private setError(error: string | null, notify = true): void {
    if (this.error === error) return;
    this.error = error;
    if (notify) this.s.onState();
  }

  private failed(error: unknown): void {
    if (this.stopped || error instanceof StoppedError) return;
    if (this.s.optional && statusOf(error) === 404) return this.gone(this.s.optional.recheckMs);
    this.failures++;
    const message = describeError(error);
    const rv = this.informer.latestResourceVersion();
    const delay = Math.round(Math.min(this.s.maxBackoffMs, this.s.backoffMs * 2 ** (this.failures - 1)) * (0.8 + Math.random() * 0.4));
    const line = `${this.s.resource}: ${message}; ${rv ? `resuming from resourceVersion ${rv}` : 'listing again'} in ${delay} ms`;
    // the first failure of a streak, a different one, and every 10th are worth a warning; the rest is noise
    if (message !== this.lastLogged || this.failures % 10 === 0) {
      this.s.log.warn(this.failures > 1 ? `${line} (failure ${this.failures})` : line);
      this.lastLogged = message;
    } else {
      this.s.log.debug?.(line);
    }
    // the message may be the same as before, but the count of failures decides `failing` too
    this.error = message;
    this.s.onState();
    this.restartIn(delay);
  }

  /**
   * The server does not have this (optional) resource: whatever was held is reported deleted, and a
   * fresh informer lists again later (a CRD installed meanwhile is found then).
   */
  private gone(recheckMs: number): void {
    if (!this.absent) this.s.log.log(`${this.s.resource}: not served by this cluster (404); looking again every ${Math.round(recheckMs / 1000)} s`);
    this.absent = true;
    this.failures = 0;
    this.lastLogged = null;
    const held = [...this.items.values()];
    this.items.clear();
    for (const record of held) this.s.onChange('deleted', record, record);
    const old = this.informer;
    this.informer = this.makeInformer();
    void old.stop();
    this.setError(null);
    this.s.onState();
    this.restartIn(recheckMs);
  }

  private restartIn(delay: number): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopped) this.start();
    }, delay);
    this.restartTimer.unref?.();
  }
}

export class StoppedError extends Error {
  constructor() {
    super('stopped');
  }
}

interface WatchHooks {
  /** the server ends a watch after this many seconds (jittered up to twice as many) */
  timeoutS: number;
  /** how long after that a watch may stay open before it counts as lost */
  graceMs: number;
  starting(): void;
  event(): void;
  connected(): void;
  closed(): void;
}

/**
 * client-node's Watch, asking for BOOKMARKs (so a quiet watch still moves its resourceVersion on
 * and resumes without a relist) and for a server-side timeout, telling the stream when a watch is
 * open, sees an event or ends, and closing every open watch on stop (ListWatch.stop() misses one
 * whose request is in flight).
 *
 * A watch whose connection was lost without a word (a NAT or load balancer forgot it, a host
 * vanished) would otherwise stay open forever with nothing on it: the server is asked to end every
 * watch after timeoutSeconds (as client-go does, 5 to 10 minutes), and one still open `graceMs` after
 * that is dropped as failed. A watch whose request cannot even be built (a credential or TLS file
 * that went away) fails through `done` too: thrown, ListWatch would lose it as an unhandled rejection
 * when it restarts a watch by itself.
 */
class TrackingWatch extends Watch {
  private readonly open = new Set<AbortController>();
  private closed = false;

  constructor(
    config: KubeConfig,
    private readonly hooks: WatchHooks,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.hooks.starting();
    if (this.closed) {
      done(new StoppedError());
      return new AbortController();
    }
    let controller: AbortController | null = null;
    let finished = false;
    const timeoutS = this.hooks.timeoutS + Math.floor(Math.random() * this.hooks.timeoutS);
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      if (controller) this.open.delete(controller);
      this.hooks.closed();
      done(err);
    };
    const deadline = setTimeout(() => {
      // said first: aborting makes the request fail with a plain AbortError
      finish(new Error(`the watch got no word from the server ${Math.round(this.hooks.graceMs / 1000)} s after its ${timeoutS} s timeout (connection lost?)`));
      controller?.abort();
    }, timeoutS * 1000 + this.hooks.graceMs);
    deadline.unref?.();
    try {
      controller = await super.watch(
        path,
        { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: timeoutS },
        (phase, object, raw) => {
          if (finished) return;
          this.hooks.event();
          callback(phase, object, raw);
        },
        finish,
      );
    } catch (error) {
      finish(error);
      return new AbortController();
    }
    if (this.closed || finished) controller.abort();
    else {
      this.open.add(controller);
      this.hooks.connected();
    }
    return controller;
  }

  close(): void {
    this.closed = true;
    for (const c of this.open) c.abort();
    this.open.clear();
  }
}

/** The HTTP status of a failed request, when it got one. */
export function statusOf(error: unknown): number | null {
  const e = error as { code?: unknown; statusCode?: unknown } | null;
  if (!e || typeof e !== 'object') return null;
  return typeof e.statusCode === 'number' ? e.statusCode : typeof e.code === 'number' ? e.code : null;
}

/** A failure in one line: the HTTP status and the server's message when there is one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & { body?: unknown };
  const status = statusOf(error);
  if (status !== null) {
    let detail = e.message.split('\n')[0] ?? '';
    let body = e.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // not JSON
      }
    }
    if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') detail = (body as { message: string }).message;
    if (detail.startsWith('HTTP-Code:')) {
      // the generated client's ApiException: "HTTP-Code: 401\nMessage: Unauthorized\nBody: …"
      const message = /^Message: (.*)$/m.exec(e.message)?.[1] ?? '';
      detail = message === 'Unknown API Status Code!' ? '' : message;
    }
    return truncate(`HTTP ${status}${detail ? ` ${detail}` : ''}`);
  }
  if (e.name === 'AbortError') return truncate(`no answer in time (${oneLine(e.message)})`);
  return truncate(oneLine(e.message));
}

/** A message on one line, URLs without their query strings (a watch's resourceVersion changes every time). */
function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ').replace(/(https?:\/\/[^\s?]+)\?[^\s]*/g, '$1');
}

const truncate = (s: string) => (s.length > 300 ? `${s.slice(0, 297)}...` : s);
