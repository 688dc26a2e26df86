// The notification outbox (table notification_outbox): a notice becomes one row per receiver, written
// in the alerts engine's own transaction, so a notice exists exactly when the alert change that caused
// it does. OutboxSender delivers the rows:
//   - per receiver in id order, one request at a time: a receiver never gets notice N+1 before N was
//     delivered (so firing always comes before its resolved), and a slow or failing receiver holds up
//     only itself;
//   - a row is claimed by one short UPDATE (attempts + 1, next_attempt_at pushed past the request's
//     time limit), sent with no transaction open, then marked delivered; a failed attempt is retried
//     after an exponential back-off with jitter (1 s doubling to NETATLAS_NOTIFY_MAX_BACKOFF_S);
//   - a 2xx is delivered; a 4xx other than 408 and 429 means the receiver refuses that body, which
//     will not change: the row is finished with its error (Alertmanager does the same) instead of
//     blocking every later notice; anything else (5xx, timeout, connection refused) is retried, forever;
//   - the database being down only postpones: rows stay until they are delivered, across restarts.
// Delivery is at least once: if the API stops between a receiver's 2xx and marking the row, the row
// is sent again after the claim expires. The statements are OutboxRepository's.
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type pg from 'pg';
import { API_CONFIG } from '../app-tokens.js';
import type { CoreConfig } from '../config.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { OutboxRepository, type ClaimedNotification } from '../db/repositories/outbox.repository.js';
import { describeReceiver, NOTIFY_CONFIG, redact, type NotifyConfig, type Receiver } from './notify-config.js';
import type { AlertNotice } from './notice.js';
import { buildBody, noticeSeverity, severityRank } from './payloads.js';

/** how often due rows are looked for even without a kick (retries wake their own timer too) */
const POLL_MS = 1000;
/** delivered rows are deleted after NETATLAS_RETENTION_DAYS, checked this often */
const PRUNE_EVERY_MS = 3600_000;
/** a claimed row is due again this long after its request's time limit (the API died mid-request) */
const CLAIM_MARGIN_MS = 5000;
/** on shutdown, requests in flight get this long to finish before they are aborted */
const SHUTDOWN_GRACE_MS = 2000;
/** error text kept per row */
const MAX_ERROR_CHARS = 500;

/**
 * Writes one outbox row per receiver that should get the notice, in the caller's transaction
 * (`client` has BEGIN issued). A receiver with a minSeverity gets the notices of a group whose most
 * severe alert reaches it, and then every later notice of that group up to its resolution (so a
 * receiver that got the firing also gets the resolved). Returns the number of rows written.
 */
export async function enqueueNotice(
  outbox: OutboxRepository,
  client: pg.PoolClient | pg.Client,
  notice: AlertNotice,
  config: Pick<NotifyConfig, 'receivers' | 'externalUrl'>,
): Promise<number> {
  if (config.receivers.length === 0) return 0;
  const severity = severityRank(noticeSeverity(notice));
  const names: string[] = [];
  const payloads: string[] = [];
  for (const receiver of config.receivers) {
    const body = buildBody(notice, receiver, config.externalUrl);
    if (severity < severityRank(receiver.minSeverity)) {
      // below the receiver's threshold: sent only if this group's last notice to it was a firing one
      if ((await outbox.lastStatus(client, receiver.name, body.groupKey)) !== 'firing') continue;
    }
    names.push(receiver.name);
    payloads.push(JSON.stringify(body));
  }
  if (names.length === 0) return 0;
  await outbox.insert(client, names, payloads);
  return names.length;
}

/** 1 s (or the cap, if smaller) doubling per attempt up to the cap, then a random 50-100 % of that. */
export function backoffMs(attempts: number, maxBackoffMs: number, random: () => number = Math.random): number {
  const first = Math.min(1000, maxBackoffMs);
  const exp = Math.min(maxBackoffMs, first * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

export interface ReceiverStats {
  /** requests answered 2xx */
  delivered: number;
  /** attempts that failed and will be retried */
  failedAttempts: number;
  /** rows given up because the receiver refused them (4xx) */
  rejected: number;
  /** the current run of failures (0 once a request succeeds) */
  failingSince: number | null;
  lastError: string | null;
}

type Outcome = { ok: true } | { ok: false; error: string; retry: boolean };

@Injectable()
export class OutboxSender implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('notify');
  private readonly receivers: Map<string, Receiver>;
  private readonly stats = new Map<string, ReceiverStats>();
  /** receiver name → its request in flight */
  private readonly inFlight = new Map<string, { abort: AbortController; done: Promise<void> }>();
  /** timers to clear on shutdown (retry wake-ups, the first pruning) */
  private readonly wakeups = new Set<NodeJS.Timeout>();
  private poller: NodeJS.Timeout | null = null;
  private pruner: NodeJS.Timeout | null = null;
  private running = false;
  private runs: Promise<void> = Promise.resolve();
  private again = false;
  private stopped = false;
  private databaseDown = false;

  constructor(
    @Inject(OutboxRepository) private readonly outbox: OutboxRepository,
    @Inject(API_CONFIG) private readonly config: CoreConfig,
    @Inject(NOTIFY_CONFIG) private readonly settings: NotifyConfig,
  ) {
    this.receivers = new Map(settings.receivers.map((r) => [r.name, r]));
    for (const r of settings.receivers) this.stats.set(r.name, { delivered: 0, failedAttempts: 0, rejected: 0, failingSince: null, lastError: null });
  }

  onModuleInit(): void {
    const receivers = [...this.receivers.values()];
    if (receivers.length === 0) {
      this.log.log('no webhook receivers (NETATLAS_WEBHOOKS, NETATLAS_NOTIFY_CONFIG): alerts are not sent anywhere');
    } else {
      this.log.log(`webhook receivers: ${receivers.map((r) => `${describeReceiver(r)} ${r.format}`).join(', ')}`);
    }
    void this.reportOrphans();
    this.poller = setInterval(() => this.kick(), POLL_MS);
    this.poller.unref();
    if (this.config.retentionDays > 0) {
      const prune = () =>
        void this.prune(new Date(Date.now() - this.config.retentionDays * 86400_000)).catch((error: unknown) => {
          if (!isDatabaseUnavailable(error)) this.log.error(`pruning the outbox failed: ${(error as Error).message}`);
        });
      const first = setTimeout(() => {
        this.wakeups.delete(first);
        prune();
      }, 10_000);
      first.unref();
      this.wakeups.add(first);
      this.pruner = setInterval(prune, PRUNE_EVERY_MS);
      this.pruner.unref();
    }
    this.kick();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    if (this.pruner) clearInterval(this.pruner);
    for (const t of this.wakeups) clearTimeout(t);
    this.wakeups.clear();
    // a claim in progress gives its rows back (run sees `stopped`)
    await this.runs;
    const pending = [...this.inFlight.values()];
    if (pending.length === 0) return;
    const all = Promise.all(pending.map((p) => p.done));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)));
    await Promise.race([all, graceOver]);
    clearTimeout(timer);
    for (const p of this.inFlight.values()) p.abort.abort(new Error('the API is stopping'));
    await all;
  }

  /** Looks for due rows now (after the engine commits new ones). Cheap; never throws. */
  kick(): void {
    if (this.stopped || this.receivers.size === 0) return;
    this.again = true;
    if (this.running) return;
    this.running = true;
    this.runs = this.run()
      .catch((error: unknown) => this.log.error(`sending notifications failed: ${this.redact((error as Error)?.message ?? String(error))}`))
      .finally(() => {
        this.running = false;
        if (this.again) this.kick();
      });
  }

  /** Per receiver: what has been sent since the API started. */
  receiverStats(): Map<string, ReceiverStats> {
    return new Map([...this.stats].map(([k, v]) => [k, { ...v }]));
  }

  receiverList(): Receiver[] {
    return [...this.receivers.values()];
  }

  /** Deletes delivered rows older than `cutoff`. */
  async prune(cutoff: Date): Promise<number> {
    const deleted = await this.outbox.deleteDeliveredBefore(cutoff);
    if (deleted) this.log.log(`deleted ${deleted} delivered notifications older than ${cutoff.toISOString()}`);
    return deleted;
  }

  // ---------------------------------------------------------------- internals

  private async run(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      const idle = [...this.receivers.keys()].filter((name) => !this.inFlight.has(name));
      if (idle.length === 0) return;
      let rows: ClaimedNotification[];
      try {
        rows = await this.claim(idle);
        if (this.databaseDown) {
          this.databaseDown = false;
          this.log.log('the database answers again: sending notifications');
        }
      } catch (error) {
        // the poll tries again; no busy loop on a database that is down
        this.again = false;
        if (isDatabaseUnavailable(error)) {
          if (!this.databaseDown) this.log.warn(`the database is unavailable; notifications wait (${(error as Error).message})`);
          this.databaseDown = true;
        } else {
          this.log.error(`could not take notifications from the outbox: ${(error as Error).message}`);
        }
        return;
      }
      if (this.stopped) {
        // claimed just as the API stops: give them back
        await this.outbox.release(rows.map((r) => r.id)).catch(() => undefined);
        return;
      }
      for (const row of rows) this.start(row);
    }
  }

  /**
   * Claims the first undelivered row of each idle receiver, if it is due, for the longest of their
   * request time limits and a margin (a row held by another sender is skipped, the order kept).
   */
  private async claim(receivers: string[]): Promise<ClaimedNotification[]> {
    const leaseMs = Math.max(...receivers.map((n) => this.receivers.get(n)!.timeoutMs)) + CLAIM_MARGIN_MS;
    return this.outbox.claim(receivers, leaseMs);
  }

  private start(row: ClaimedNotification): void {
    const receiver = this.receivers.get(row.receiver)!;
    const abort = new AbortController();
    const done = this.deliver(receiver, row, abort.signal)
      .catch((error: unknown) => this.log.error(`notification ${row.id} to ${describeReceiver(receiver)}: ${this.redact((error as Error).message)}`))
      .finally(() => {
        this.inFlight.delete(receiver.name);
        // the next one of this receiver, if any
        this.kick();
      });
    this.inFlight.set(receiver.name, { abort, done });
  }

  private async deliver(receiver: Receiver, row: ClaimedNotification, signal: AbortSignal): Promise<void> {
    const outcome = await this.post(receiver, row.payload, signal);
    const stats = this.stats.get(receiver.name)!;
    const who = describeReceiver(receiver);
    if (outcome.ok) {
      stats.delivered += 1;
      if (stats.failingSince !== null) {
        this.log.log(`${who} answers again after ${Math.round((Date.now() - stats.failingSince) / 1000)} s; delivering what waited`);
        stats.failingSince = null;
      }
      await this.markDelivered(row.id);
      return;
    }
    const error = this.redact(outcome.error).slice(0, MAX_ERROR_CHARS);
    stats.lastError = error;
    if (!outcome.retry) {
      stats.rejected += 1;
      this.log.error(`${who} refused notification ${row.id} (${error}); it is not sent again`);
      await this.outbox.markRefused(row.id, error).catch(() => undefined);
      return;
    }
    stats.failedAttempts += 1;
    const delay = backoffMs(row.attempts, this.settings.maxBackoffMs);
    if (stats.failingSince === null) {
      stats.failingSince = Date.now();
      // once per run of failures; the outbox and /metrics show the rest
      this.log.warn(`${who}: ${error}; retrying with back-off (up to ${Math.round(this.settings.maxBackoffMs / 1000)} s) until it answers`);
    }
    try {
      await this.outbox.retryLater(row.id, error, delay);
    } catch {
      // the claim expires by itself and the row is tried again then
      return;
    }
    if (!this.stopped) {
      const timer = setTimeout(() => {
        this.wakeups.delete(timer);
        this.kick();
      }, delay + 5);
      timer.unref();
      this.wakeups.add(timer);
    }
  }

  /**
   * Marks a row delivered. The receiver has it, so while the database does not answer this is
   * retried (the receiver's queue waits meanwhile) rather than sending the row again.
   */
  private async markDelivered(id: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.outbox.markDelivered(id);
        return;
      } catch (error) {
        if (!isDatabaseUnavailable(error) || this.stopped || attempt >= 60) throw error;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async post(receiver: Receiver, payload: unknown, signal: AbortSignal): Promise<Outcome> {
    const url = new URL(receiver.url);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'netatlas' };
    if (url.username || url.password) {
      // fetch refuses URLs with credentials: send them as Basic authentication, as Go's client does
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    for (const [k, v] of Object.entries(receiver.headers)) headers[k.toLowerCase()] = v;
    const timeout = AbortSignal.timeout(receiver.timeoutMs);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        signal: AbortSignal.any([signal, timeout]),
        redirect: 'error',
      });
      const text = await response.text().catch(() => '');
      if (response.ok) return { ok: true };
      const detail = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${text ? `: ${text.slice(0, 200)}` : ''}`;
      const retry = response.status >= 500 || response.status === 408 || response.status === 429 || response.status < 400;
      return { ok: false, error: detail, retry };
    } catch (error) {
      if (timeout.aborted) return { ok: false, error: `no answer within ${receiver.timeoutMs} ms`, retry: true };
      if (signal.aborted) return { ok: false, error: 'aborted: the API is stopping', retry: true };
      const e = error as Error & { cause?: { code?: string; message?: string } };
      const cause = e.cause?.code ?? e.cause?.message;
      return { ok: false, error: cause ? `${e.message} (${cause})` : e.message, retry: true };
    }
  }

  private redact(text: string): string {
    return redact(text, [...this.receivers.values()]);
  }

  /** Rows waiting for receivers that are no longer configured stay; say so once at start. */
  private async reportOrphans(): Promise<void> {
    try {
      for (const r of await this.outbox.waitingForOthers([...this.receivers.keys()])) this.log.warn(`${r.n} notification(s) wait for receiver ${r.receiver}, which is not configured; they are kept until it is`);
    } catch {
      // the database may be down at start; nothing depends on this
    }
  }
}
