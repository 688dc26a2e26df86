// Streams a node's state to the API over socket.io (DESIGN.md "Data flow" step 4, the protocol in
// libs/wire/src/protocol.ts): hello, a snapshot, then deltas numbered (epoch, seq), pipelined and
// kept until the API acks them after commit.
//
//   disconnected --timer--> connecting --hello ack--> streaming --socket lost--> disconnected
//                                ^                        |
//                                +------- no-hello -------+
//
// While streaming, every message gets the next seq of the epoch (never reused, also across
// reconnects) and stays in `unacked` until an ok ack for it (or a later seq) arrives. A rejection
// stops new sends until every in-flight message has its reply, then: `unavailable` resends the
// unacked messages with their seqs after a back-off (later rejections in the same round are its
// consequence); `out-of-order`, `invalid` and `too-large` drop the buffered deltas and send a
// snapshot (which holds their effect); `no-hello` redoes the hello. A buffer over its bounds, and a disconnection, also drop the deltas: a snapshot follows.
// A large snapshot goes in parts (SnapshotPart) when the API takes them: one part at a time, the next
// when the previous is acked `staged`; deltas wait until its last part is acked, and a resend starts
// again from part 0.
// In protocol 3 every snapshot waits for its turn: the client asks (snapshotTurn) once the messages
// in flight have their replies, sends the snapshot when granted, and when told `retryAfterMs` asks
// again after that long; a snapshot refused as `unavailable` is taken anew after the back-off, in a
// new turn. So a herd of collectors reconnecting after an API restart sends its snapshots a few at a
// time. Reconnecting itself waits a back-off with full jitter (0 to 0.5 s, doubling to 0 to 10 s),
// which spreads such a herd over the whole window.
// An API of a protocol before ours (a rolling upgrade with the collectors first) refuses our hello
// naming the protocol: the collector then says hello again in the one before (3 → 2: snapshots
// unasked; 2 → 1: and whole), and tries its own again on its next connection.
import { io, type Socket } from 'socket.io-client';
import {
  INGEST_NAMESPACE,
  PROTOCOL_VERSION,
  SNAPSHOT_PART_BYTES,
  SUPPORTED_PROTOCOLS,
  snapshotParts,
  type Delta,
  type DeltaMessage,
  type Fact,
  type Hello,
  type HelloAck,
  type IngestAck,
  type IngestClientToServer,
  type ProtocolVersion,
  type IngestErrorCode,
  type IngestErrorEvent,
  type IngestServerToClient,
  type LeaveMessage,
  type ReaderStatus,
  type SnapshotMessage,
  type SnapshotTurnReply,
  type StreamPosition,
} from '@netatlas/wire/core';
import { Backoff, type BackoffOptions } from './backoff.js';

type IngestSocket = Socket<IngestServerToClient, IngestClientToServer>;

/** The longest wait for a snapshot turn the client takes from the API's retryAfterMs. */
export const TURN_WAIT_MAX_MS = 120_000;

/** This process's epoch: its start time. A restarted collector has a larger one. */
export const PROCESS_EPOCH = Date.now();

/**
 * The connection's lifecycle, by name:
 *   disconnected — no connection; the next attempt waits for its back-off (and the start)
 *   connecting   — a socket is being opened (transport, token)
 *   hello        — hello sent on it (or sent again: the API had lost it), its ack awaited
 *   resyncing    — the API took the hello; a snapshot is due (protocol 3: its turn asked for, or
 *                  awaited for retryAfterMs), or on its way (whole or in parts)
 *   streaming    — the snapshot is acked: deltas go out as they come
 *   closed       — close() or leave(): for good
 */
export type StreamState = 'disconnected' | 'connecting' | 'hello' | 'resyncing' | 'streaming' | 'closed';

/** What each state may become; setState refuses anything else (counted in `illegalTransitions`). */
export const STREAM_TRANSITIONS: Readonly<Record<StreamState, readonly StreamState[]>> = {
  disconnected: ['connecting', 'closed'],
  connecting: ['hello', 'disconnected', 'closed'],
  hello: ['resyncing', 'disconnected', 'closed'],
  resyncing: ['streaming', 'hello', 'disconnected', 'closed'],
  streaming: ['resyncing', 'hello', 'disconnected', 'closed'],
  closed: [],
};

export interface StreamSnapshot {
  facts: Fact[];
  readers: Record<string, ReaderStatus>;
  takenAt?: string;
}

export interface StreamClientOptions {
  /** the API's base URL, e.g. http://netatlas-api:3000 (the client connects to its /ingest namespace) */
  url: string;
  /** the API token, or how to read it at each connection (a rotating service-account token) */
  token: string | (() => string);
  node: string;
  bootId: string;
  /** the collector's version, for hello */
  version: string;
  /** default: this process's start time */
  epoch?: number;
  /** the node's whole current state (Collector.snapshot()) */
  snapshot: () => StreamSnapshot;
  /** the readers' statuses for hello (default: snapshot().readers) */
  readers?: () => Record<string, ReaderStatus>;
  log?: (message: string) => void;
  onState?: (state: StreamState) => void;
  /**
   * back-off of reconnections (default 500 ms doubling to 10 s, full jitter: anywhere from 0 to that)
   * and of resends (the same, ±50 %); given, both use it as given
   */
  backoff?: BackoffOptions;
  /** at most this many messages waiting for their ack (default 256); more: a snapshot instead */
  maxUnacked?: number;
  /** at most this many facts in deltas waiting for their ack (default 100,000) */
  maxUnackedFacts?: number;
  /** no reply to hello in this long: reconnect (default 10 s) */
  helloTimeoutMs?: number;
  /** no ack for a snapshot or delta in this long: reconnect (default 60 s) */
  ackTimeoutMs?: number;
  /** the transport must open within this long (default 10 s) */
  connectTimeoutMs?: number;
}

export interface StreamCounters {
  /** snapshots and deltas emitted, resends included */
  sent: number;
  /** ok acks (duplicates included) */
  acked: number;
  /** snapshots sent (resends not counted) */
  snapshots: number;
  /** messages resent after `unavailable` */
  retries: number;
  /** negative acks */
  rejected: number;
  /** deltas given up on (not sent, or no longer kept for a resend): a snapshot carries their effect */
  dropped: number;
  heartbeats: number;
  /** hello acks received */
  connects: number;
  /** snapshot parts the API kept (acked `staged`) */
  parts: number;
  /** protocol 3: snapshot turns asked for, and the answers "not yet" among them */
  turnAsks: number;
  turnWaits: number;
}

type Outgoing =
  /** `parts`: what goes on the wire (the message alone, or its parts); `next`: the part to send next */
  | { type: 'snapshot'; message: SnapshotMessage; parts: SnapshotMessage[]; next: number; facts: 0 }
  | { type: 'delta'; message: DeltaMessage; facts: number };

interface Queued {
  delta: Delta;
  takenAt: string;
  facts: number;
}

interface Trouble {
  type: Outgoing['type'];
  seq: number;
  code: IngestErrorCode;
  error: string;
}

/** 20 -> "0.02s", 1500 -> "1.5s", 10000 -> "10s" */
function secs(ms: number): string {
  return `${ms >= 10_000 ? Math.round(ms / 1000) : Number((ms / 1000).toFixed(2))}s`;
}

/** Logs a line per key at most once per window; the next one says how many were left out. */
class LimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly log: (message: string) => void,
    private readonly windowMs = 30_000,
  ) {}

  write(key: string, message: string): void {
    const now = Date.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.windowMs) {
      seen.suppressed += 1;
      return;
    }
    const more = seen?.suppressed ? ` (${seen.suppressed} similar left out)` : '';
    this.last.set(key, { at: now, suppressed: 0 });
    this.log(message + more);
  }
}

export class StreamClient {
  /** this stream's epoch: the process's start time, or the moment a refused stream was started anew */
  epoch: number;
  readonly url: string;
  readonly counters: StreamCounters = { sent: 0, acked: 0, snapshots: 0, retries: 0, rejected: 0, dropped: 0, heartbeats: 0, connects: 0, parts: 0, turnAsks: 0, turnWaits: 0 };
  /** the last message of this epoch the API acked */
  lastAcked: StreamPosition | null = null;
  /** what the API announced in its last hello ack */
  limits: { heartbeatMs: number; maxMessageBytes: number; maxSnapshotBytes: number | null } | null = null;

  private _state: StreamState = 'disconnected';
  /** transitions asked for that STREAM_TRANSITIONS does not allow (a bug: the tests expect none) */
  illegalTransitions: string[] = [];
  private socket: IngestSocket | null = null;
  private started = false;
  private draining = false;
  /** leave() was called: no more deltas */
  private leaving = false;
  private readonly connectBackoff: Backoff;
  private readonly streamBackoff: Backoff;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private nextSeq = 1;
  /** the protocol of this connection's hello: ours, or the one before it for an API that refused ours */
  private protocol: ProtocolVersion = PROTOCOL_VERSION;
  /** the next connection says hello in this protocol (set when an API refused ours), then ours again */
  private fallBackTo: ProtocolVersion | null = null;
  /** protocol 3: a snapshot turn asked for on this connection and not answered yet */
  private askingTurn = false;
  /** sent, waiting for an ok ack, in seq order */
  private unacked: Outgoing[] = [];
  /** deltas held back while a rejection is being dealt with */
  private queued: Queued[] = [];
  private bufferedFacts = 0;
  /** messages emitted on this connection without a reply yet */
  private inFlight = 0;
  /** rejections since the last time every in-flight message had its reply */
  private trouble: Trouble[] = [];
  private snapshotNeeded = false;
  /** deltas not sent while there was no connection (for the log) */
  private missed = 0;
  private lastConnectError: string | null = null;
  private unauthorizedLogged = false;
  private drainWaiters: (() => void)[] = [];
  private readonly log: (message: string) => void;
  private readonly limited: LimitedLog;
  private readonly maxUnacked: number;
  private readonly maxUnackedFacts: number;

  constructor(private readonly opts: StreamClientOptions) {
    this.epoch = opts.epoch ?? PROCESS_EPOCH;
    this.url = opts.url.replace(/\/+$/, '') + INGEST_NAMESPACE;
    this.connectBackoff = new Backoff(opts.backoff ?? { jitter: 1, full: true });
    this.streamBackoff = new Backoff(opts.backoff);
    this.maxUnacked = opts.maxUnacked ?? 256;
    this.maxUnackedFacts = opts.maxUnackedFacts ?? 100_000;
    this.log = opts.log ?? (() => undefined);
    this.limited = new LimitedLog(this.log);
  }

  get state(): StreamState {
    return this._state;
  }

  /** the API took this connection's hello: messages may go out (a snapshot first) */
  private get helloed(): boolean {
    return this._state === 'resyncing' || this._state === 'streaming';
  }

  /** messages sent and not acked yet */
  get unackedCount(): number {
    return this.unacked.length;
  }

  /** the seq of the last message sent in this epoch (0 before the first) */
  get lastSent(): number {
    return this.nextSeq - 1;
  }

  /** Connect (and keep reconnecting until close()). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.open();
  }

  /**
   * A delta from the Watcher. While streaming it is sent at once with the next seq; while not
   * connected it is only counted (the snapshot after the next hello holds its effect).
   */
  pushDelta(delta: Delta, takenAt: string = new Date().toISOString()): void {
    if (this._state === 'closed' || this.draining || this.leaving) return;
    const facts = delta.upserts.length + delta.deletes.length;
    if (facts === 0) return;
    if (!this.helloed) {
      this.counters.dropped += 1;
      this.missed += 1;
      return;
    }
    if (this.snapshotNeeded) {
      this.counters.dropped += 1;
      return;
    }
    if (this.unacked.length + this.queued.length + 1 > this.maxUnacked || this.bufferedFacts + facts > this.maxUnackedFacts) {
      this.counters.dropped += 1;
      this.limited.write(
        'overflow',
        `the API is behind: ${this.unacked.length + this.queued.length} messages with ${this.bufferedFacts} facts unacked ` +
          `(limits ${this.maxUnacked} / ${this.maxUnackedFacts}); sending a snapshot instead of the deltas`,
      );
      this.needSnapshot();
      this.pump();
      return;
    }
    const item: Queued = { delta, takenAt, facts };
    if (this.retryTimer !== null || this.trouble.length > 0 || this.askingTurn || this.partsUnderway()) {
      this.queued.push(item);
      this.bufferedFacts += facts;
      return;
    }
    this.sendDelta(item);
  }

  /**
   * The node leaves for good (LeaveMessage): once everything sent is acked, send the leave as the
   * stream's next message, wait for its ack, then close. Reconnects meanwhile as usual, for at most
   * `timeoutMs`. Resolves true when the API recorded the leave.
   */
  async leave(reason: string, timeoutMs = 10_000): Promise<boolean> {
    if (this._state === 'closed') return false;
    this.leaving = true;
    const deadline = Date.now() + timeoutMs;
    let recorded = false;
    while (!recorded && Date.now() < deadline) {
      const socket = this.socket;
      const settled = this.unacked.length === 0 && this.queued.length === 0 && this.inFlight === 0 && !this.snapshotNeeded && this.retryTimer === null;
      if (this._state !== 'streaming' || !socket?.connected || !settled) {
        await new Promise((r) => setTimeout(r, 25));
        continue;
      }
      const message: LeaveMessage = { epoch: this.epoch, seq: this.nextSeq++, takenAt: new Date().toISOString(), reason };
      this.counters.sent += 1;
      const reply = await socket
        .timeout(Math.max(1, deadline - Date.now()))
        .emitWithAck('leave', message)
        .catch(() => null);
      if (reply?.ok && reply.duplicate) {
        // the API already held this seq from someone else: its state is not ours; resync, then leave
        this.log(`the API took the leave (seq ${message.seq}) for a duplicate; sending a snapshot first`);
        if (this.socket === socket) {
          this.needSnapshot();
          this.pump();
        }
      } else if (reply?.ok) {
        recorded = true;
        this.counters.acked += 1;
        this.lastAcked = { epoch: this.epoch, seq: message.seq };
      } else if (reply) {
        this.counters.rejected += 1;
        this.log(`leave rejected (${reply.code}): ${reply.error}`);
        // the API does not hold what we sent before: a snapshot first, then the leave again
        if (reply.code === 'out-of-order' && this.socket === socket) {
          this.needSnapshot();
          this.pump();
        } else if (!reply.retry) break;
      }
    }
    if (!recorded) this.log(`could not tell ${this.url} that node ${this.opts.node} left (${reason})`);
    await this.close();
    return recorded;
  }

  /**
   * Stop: wait up to `drainMs` for the unacked messages' acks, then disconnect. Deltas pushed
   * meanwhile are ignored.
   */
  async close(drainMs = 0): Promise<void> {
    if (this._state === 'closed') return;
    this.draining = true;
    if (drainMs > 0 && this.helloed && this.unacked.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainMs);
        this.drainWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.teardown();
    this.setState('closed');
  }

  // ---------------------------------------------------------------- connection

  private setState(state: StreamState): void {
    if (this._state === state) return;
    if (!STREAM_TRANSITIONS[this._state].includes(state)) {
      // never silently: a state the table does not know is a bug here, not something to act on
      this.illegalTransitions.push(`${this._state} -> ${state}`);
      this.limited.write('illegal-transition', `stream client: ${this._state} -> ${state} is not a transition it knows (a bug; ignored)`);
      return;
    }
    this._state = state;
    this.opts.onState?.(state);
  }

  /** The token file's content now; a file that cannot be read is said (once per failure) and sent as empty, which the API refuses. */
  private readToken(read: () => string): string {
    try {
      return read();
    } catch (error) {
      this.limited.write('token-file', (error as Error).message);
      return '';
    }
  }

  /** A fresh socket (and manager) per attempt: nothing of a previous connection is ever re-sent. */
  private open(): void {
    this.reconnectTimer = null;
    if (this.draining) return;
    this.setState('connecting');
    this.protocol = this.fallBackTo ?? PROTOCOL_VERSION;
    this.fallBackTo = null;
    const socket: IngestSocket = io(this.url, {
      auth: { token: typeof this.opts.token === 'function' ? this.readToken(this.opts.token) : this.opts.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: this.opts.connectTimeoutMs ?? 10_000,
    });
    this.socket = socket;
    socket.on('connect', () => {
      if (this.socket === socket) this.hello(socket, false);
    });
    socket.on('connect_error', (err) => {
      if (this.socket === socket) this.onConnectError(err);
    });
    socket.on('disconnect', (reason) => {
      if (this.socket === socket) this.reconnect(`disconnected: ${reason}`);
    });
    socket.on('ingestError', (event) => {
      if (this.socket === socket) this.onIngestError(event);
    });
  }

  private hello(socket: IngestSocket, again: boolean): void {
    this.setState('hello');
    const hello: Hello = {
      protocol: this.protocol,
      node: this.opts.node,
      bootId: this.opts.bootId,
      epoch: this.epoch,
      version: this.opts.version,
      readers: this.opts.readers ? this.opts.readers() : this.opts.snapshot().readers,
    };
    const timeoutMs = this.opts.helloTimeoutMs ?? 10_000;
    socket.timeout(timeoutMs).emit('hello', hello, (err: Error | null, reply: HelloAck) => {
      if (this.socket !== socket) return;
      if (err) return this.reconnect(`no reply to hello within ${secs(timeoutMs)}`);
      if (reply?.ok !== true) {
        if (reply?.code === 'stale-epoch') this.newStream(reply.error);
        if (reply?.code === 'invalid' && /\bprotocol\b/i.test(reply.error) && this.protocol > SUPPORTED_PROTOCOLS[0]) return this.fallBack(reply.error);
        return this.reconnect(`hello rejected (${reply?.code ?? 'no reply'}): ${reply?.error ?? ''}`);
      }
      this.onHelloAck(reply, again);
    });
  }

  /** The API refused our protocol: connect again at once and say hello in the one before it. */
  private fallBack(error: string): void {
    const previous = (this.protocol - 1) as ProtocolVersion;
    const how = previous >= 2 ? 'snapshots sent without asking for a turn' : 'snapshots whole';
    this.limited.write('protocol-fallback', `the API at ${this.url} does not speak protocol ${this.protocol} (${error}): speaking protocol ${previous}, ${how}`);
    this.fallBackTo = previous;
    this.teardown();
    this.scheduleReconnect(0);
  }

  private onHelloAck(reply: Extract<HelloAck, { ok: true }>, again: boolean): void {
    this.connectBackoff.reset();
    this.lastConnectError = null;
    this.unauthorizedLogged = false;
    this.counters.connects += 1;
    this.limits = { heartbeatMs: reply.heartbeatMs, maxMessageBytes: reply.maxMessageBytes, maxSnapshotBytes: reply.maxSnapshotBytes ?? null };
    const acked = reply.acked;
    if (acked && acked.epoch > this.epoch) {
      this.limited.write(
        'newer-epoch',
        `the API already holds messages for node ${this.opts.node} from a newer collector run (epoch ${acked.epoch} > ours ${this.epoch}): ` +
          'is another collector running with this node name, or did the clock go back?',
      );
    }
    if (acked && acked.epoch === this.epoch) {
      // never reuse a seq the API holds, whoever sent it
      if (acked.seq >= this.nextSeq) this.nextSeq = acked.seq + 1;
      if (!this.lastAcked || acked.seq > this.lastAcked.seq) this.lastAcked = { epoch: acked.epoch, seq: acked.seq };
    }
    const missed = this.missed;
    this.missed = 0;
    this.log(
      again
        ? `said hello again to ${this.url} (the API had no session for this connection)`
        : `connected to ${this.url} as ${this.opts.node} (epoch ${this.epoch})` +
            (missed > 0 ? `; ${missed} deltas from while disconnected are covered by the snapshot` : ''),
    );
    this.setState('resyncing');
    this.startHeartbeat(reply.heartbeatMs);
    this.needSnapshot();
    this.pump();
  }

  private onConnectError(err: Error): void {
    const message = err.message;
    let delay: number;
    if (/^unauthorized/i.test(message)) {
      // the token will not become valid by itself: retry slowly until an operator fixes it
      delay = this.connectBackoff.max();
      if (!this.unauthorizedLogged) {
        this.unauthorizedLogged = true;
        this.log(
          `the API at ${this.url} refused the token (${message}); check --token / NETATLAS_TOKEN (or the token file). ` +
            `Retrying every ${secs(this.connectBackoff.maxMs)}`,
        );
      }
    } else {
      delay = this.connectBackoff.next();
      if (message !== this.lastConnectError) this.log(`cannot connect to ${this.url}: ${message}, retrying in ${secs(delay)}`);
    }
    this.lastConnectError = message;
    this.teardown();
    this.scheduleReconnect(delay);
  }

  /** Drop the connection (lost, or no longer trusted) and connect again after a back-off. */
  private reconnect(reason: string): void {
    const delay = this.connectBackoff.next();
    const lost = this.unacked.length;
    this.log(`${reason}, retrying in ${secs(delay)}` + (lost > 0 ? ` (${lost} unacked messages: a snapshot follows)` : ''));
    this.teardown();
    this.scheduleReconnect(delay);
  }

  private scheduleReconnect(delay: number): void {
    this.setState('disconnected');
    if (this.draining) return;
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  /** Forget the socket and everything tied to it; the buffered deltas go (a snapshot follows). */
  private teardown(): void {
    this.stopHeartbeat();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.off();
      socket.disconnect();
    }
    const deltas = this.dropBuffered();
    this.missed += deltas;
    this.inFlight = 0;
    this.trouble = [];
    this.snapshotNeeded = false;
    this.askingTurn = false;
    this.resolveDrain();
  }

  private startHeartbeat(heartbeatMs: number): void {
    this.stopHeartbeat();
    const every = Number.isFinite(heartbeatMs) && heartbeatMs > 0 ? heartbeatMs : 15_000;
    this.heartbeatTimer = setInterval(() => {
      const socket = this.socket;
      if (!this.helloed || !socket?.connected) return;
      socket.emit('heartbeat', { epoch: this.epoch, seq: this.lastSent });
      this.counters.heartbeats += 1;
    }, every);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private onIngestError(event: IngestErrorEvent): void {
    const at = event.seq != null ? ` seq ${event.seq}` : '';
    this.limited.write(`ingestError:${event.code}`, `the API rejected ${event.event}${at}: ${event.code}: ${event.error}`);
  }

  // ---------------------------------------------------------------- messages

  /** Drop every buffered delta (sent or not) and count them; returns how many. */
  private dropBuffered(): number {
    const deltas = this.unacked.filter((m) => m.type === 'delta').length + this.queued.length;
    this.counters.dropped += deltas;
    this.unacked = [];
    this.queued = [];
    this.bufferedFacts = 0;
    return deltas;
  }

  /**
   * The API refused this stream's epoch (ahead of its clock, or older than the node's last
   * stream): start a new stream, epoch now by this host's clock, seq from 1, a snapshot first.
   */
  private newStream(why: string): void {
    const previous = this.epoch;
    this.epoch = Math.max(Date.now(), previous + 1);
    this.nextSeq = 1;
    this.lastAcked = null;
    this.needSnapshot();
    this.limited.write('stale-epoch', `the API refused epoch ${previous} (${why}); starting a new stream with epoch ${this.epoch}`);
  }

  private needSnapshot(): void {
    this.dropBuffered();
    this.snapshotNeeded = true;
    if (this._state === 'streaming') this.setState('resyncing');
  }

  /** Send what may be sent now. */
  private pump(): void {
    if (!this.helloed || this.retryTimer !== null || this.trouble.length > 0 || this.askingTurn) return;
    if (this.snapshotNeeded) {
      // after the in-flight messages' replies: a slow API is not sent more while it catches up
      if (this.inFlight === 0) {
        if (this.protocol >= 3) this.askTurn(() => this.sendSnapshot(), () => this.pump());
        else this.sendSnapshot();
      }
      return;
    }
    if (this.partsUnderway()) return;
    const queued = this.queued;
    this.queued = [];
    for (const item of queued) {
      this.bufferedFacts -= item.facts;
      this.sendDelta(item);
    }
  }

  /**
   * Protocol 3: asks for a turn to send a snapshot (anew, or again after `unavailable`); granted,
   * `go`; told to wait, `again` after retryAfterMs. Nothing else is sent meanwhile.
   */
  private askTurn(go: () => void, again: () => void): void {
    const socket = this.socket;
    if (!socket || this.askingTurn) return;
    this.askingTurn = true;
    this.counters.turnAsks += 1;
    const timeoutMs = this.opts.helloTimeoutMs ?? 10_000;
    socket.timeout(timeoutMs).emit('snapshotTurn', { epoch: this.epoch }, (err: Error | null, reply: SnapshotTurnReply) => {
      if (this.socket !== socket || !this.askingTurn) return;
      this.askingTurn = false;
      if (err) return this.reconnect(`no answer to the snapshot turn request within ${secs(timeoutMs)}`);
      if (!this.helloed) return;
      if (reply?.ok === true && reply.granted) return go();
      if (reply?.ok === true) {
        this.counters.turnWaits += 1;
        // the API says when: never sooner, and never so late that a bad answer parks the collector
        const wait = Math.min(TURN_WAIT_MAX_MS, Math.max(0, Number(reply.retryAfterMs) || 0));
        this.limited.write('turn-wait', `waiting for a turn to send the snapshot: ${reply.ahead} ahead, asking again in ${secs(wait)}`);
        this.later(wait, again);
        return;
      }
      if (reply?.code === 'no-hello') {
        this.dropBuffered();
        this.log(`the API has no hello for this connection (${reply.error}); saying hello again`);
        this.stopHeartbeat();
        this.hello(socket, true);
        return;
      }
      const delay = this.streamBackoff.next();
      this.limited.write(`turn-refused:${reply?.code ?? 'malformed'}`, `the API refused the snapshot turn request (${reply?.code ?? 'malformed reply'}: ${reply?.error ?? ''}); asking again in ${secs(delay)}`);
      this.later(delay, again);
    });
  }

  private sendSnapshot(): void {
    let snap: StreamSnapshot;
    try {
      snap = this.opts.snapshot();
    } catch (error) {
      const delay = this.streamBackoff.next();
      this.log(`taking the snapshot failed: ${error instanceof Error ? error.message : String(error)}; retrying in ${secs(delay)}`);
      this.later(delay, () => this.pump());
      return;
    }
    this.snapshotNeeded = false;
    const message: SnapshotMessage = {
      epoch: this.epoch,
      seq: this.nextSeq++,
      takenAt: snap.takenAt ?? new Date().toISOString(),
      facts: snap.facts,
      readers: snap.readers,
    };
    // in parts when the API takes them (an older API: whole, as ever)
    const parts = this.limits?.maxSnapshotBytes ? snapshotParts(message, Math.min(SNAPSHOT_PART_BYTES, Math.floor(this.limits.maxMessageBytes / 2))) : [message];
    const out: Outgoing = { type: 'snapshot', message, parts, next: 0, facts: 0 };
    this.unacked.push(out);
    this.counters.snapshots += 1;
    this.emit(out);
  }

  private sendDelta(item: Queued): void {
    const message: DeltaMessage = {
      epoch: this.epoch,
      seq: this.nextSeq++,
      takenAt: item.takenAt,
      upserts: item.delta.upserts,
      deletes: item.delta.deletes,
    };
    this.unacked.push({ type: 'delta', message, facts: item.facts });
    this.bufferedFacts += item.facts;
    this.emit(this.unacked[this.unacked.length - 1]!);
  }

  private emit(out: Outgoing): void {
    const socket = this.socket;
    if (!socket) return;
    const timeoutMs = this.opts.ackTimeoutMs ?? 60_000;
    const onReply = (err: Error | null, reply: IngestAck): void => {
      if (this.socket !== socket) return;
      if (err) return this.reconnect(`no ack for ${out.type} seq ${out.message.seq} within ${secs(timeoutMs)}`);
      this.onReply(out, reply);
    };
    this.inFlight += 1;
    this.counters.sent += 1;
    if (out.type === 'snapshot') socket.timeout(timeoutMs).emit('snapshot', out.parts[out.next]!, onReply);
    else socket.timeout(timeoutMs).emit('delta', out.message, onReply);
  }

  /** Replies come in send order (the API handles one socket's messages in order). */
  private onReply(out: Outgoing, reply: IngestAck): void {
    this.inFlight -= 1;
    const seq = out.message.seq;
    if (out.type === 'snapshot' && reply?.ok === true && reply.staged !== undefined) {
      // a part kept: the next one, unless this snapshot was given up meanwhile (a newer one follows)
      this.counters.parts += 1;
      if (!this.unacked.includes(out)) {
        if (this.inFlight === 0) this.settle();
        return;
      }
      if (reply.staged === out.next && out.next + 1 < out.parts.length) {
        out.next += 1;
        this.emit(out);
        return;
      }
      // the API kept a part other than the one sent, or wants one past the last: start it again
      reply = { ok: false, code: 'invalid', error: `the API kept part ${reply.staged} of snapshot seq ${seq} when part ${out.next} of ${out.parts.length} was sent`, retry: false };
    }
    if (reply?.ok === true) {
      this.counters.acked += 1;
      this.streamBackoff.reset();
      if (!this.lastAcked || this.lastAcked.epoch !== this.epoch || seq > this.lastAcked.seq) this.lastAcked = { epoch: this.epoch, seq };
      // an ok ack covers everything before it: the API applies a delta only right after its predecessor
      while (this.unacked.length > 0 && this.unacked[0]!.message.seq <= seq) this.bufferedFacts -= this.unacked.shift()!.facts;
      if (this.unacked.length === 0) this.resolveDrain();
      // the snapshot is in and no other is due: in sync
      if (this._state === 'resyncing' && !this.snapshotNeeded && !this.unacked.some((o) => o.type === 'snapshot')) this.setState('streaming');
    } else {
      this.counters.rejected += 1;
      this.trouble.push({ type: out.type, seq, code: reply?.code ?? 'invalid', error: reply?.error ?? 'malformed reply' });
    }
    if (this.inFlight === 0) this.settle();
  }

  /** Every in-flight message has its reply: deal with the rejections among them, if any. */
  private settle(): void {
    const trouble = this.trouble;
    if (trouble.length === 0) return this.pump();
    this.trouble = [];
    const codes = new Set(trouble.map((t) => t.code));
    const first = trouble[0]!;
    const what = (t: Trouble) => `${t.type} seq ${t.seq}`;
    if (codes.has('no-hello')) {
      this.dropBuffered();
      this.log(`the API has no hello for this connection (${first.error}); saying hello again`);
      this.stopHeartbeat();
      if (this.socket) this.hello(this.socket, true);
      return;
    }
    // too large or invalid: the same message would fail again. Out of order first: the API lost
    // track. Out of order after an `unavailable`: only because the message before it failed.
    const fatal = trouble.find((t) => t.code === 'too-large') ?? trouble.find((t) => t.code === 'invalid');
    if (fatal || first.code === 'out-of-order') {
      this.needSnapshot();
      // out of order alone: a snapshot at once (the first time); the rest would fail the same way again
      const immediate = !fatal && this.streamBackoff.attempts === 0;
      const delay = immediate ? 0 : this.streamBackoff.next();
      if (immediate) this.streamBackoff.attempts += 1;
      let message: string;
      if (fatal?.code === 'too-large') {
        const limit = this.limits ? `${this.limits.maxMessageBytes} bytes` : 'unknown';
        message =
          fatal.type === 'snapshot'
            ? `the API rejected ${what(fatal)} as too large (${fatal.error}): this node's state exceeds the API's limit ` +
              `(maxMessageBytes ${limit}); retrying a snapshot in ${secs(delay)}`
            : `the API rejected ${what(fatal)} as too large (${fatal.error}; limit ${limit}); sending a snapshot in ${secs(delay)}`;
      } else if (fatal) {
        message = `the API rejected ${what(fatal)} as invalid: ${fatal.error}; sending a snapshot in ${secs(delay)}`;
      } else {
        const ooo = trouble.find((t) => t.code === 'out-of-order')!;
        message = `the API says ${what(ooo)} is out of order (${ooo.error}); sending a snapshot` + (delay > 0 ? ` in ${secs(delay)}` : '');
      }
      this.limited.write(`settle:${fatal?.code ?? 'out-of-order'}:${fatal?.type ?? ''}`, message);
      this.later(delay, () => this.pump());
      return;
    }
    // unavailable: the same messages again later (the API drops what it already applied)
    if (this.unacked.length === 0) return this.pump();
    const delay = this.streamBackoff.next();
    const from = this.unacked[0]!.message.seq;
    const to = this.unacked[this.unacked.length - 1]!.message.seq;
    this.limited.write(
      'settle:unavailable',
      `the API is unavailable (${first.error}); resending ${this.unacked.length} messages (seq ${from}-${to}) in ${secs(delay)}`,
    );
    this.later(delay, () => this.resend());
  }

  private later(delay: number, fn: () => void): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.helloed) fn();
    }, delay);
  }

  private resend(): void {
    // protocol 3: a snapshot among them goes again only in a new turn (its turn ended with the refusal)
    if (this.protocol >= 3 && this.unacked.some((out) => out.type === 'snapshot')) {
      this.askTurn(
        () => this.resendNow(),
        () => this.resend(),
      );
      return;
    }
    this.resendNow();
  }

  private resendNow(): void {
    for (const out of this.unacked) {
      this.counters.retries += 1;
      if (out.type === 'snapshot') out.next = 0;
      this.emit(out);
    }
    this.pump();
  }

  /** a snapshot is going out in parts: deltas wait for its last part's ack (the API applies them after it) */
  private partsUnderway(): boolean {
    return this.unacked.some((out) => out.type === 'snapshot' && out.parts.length > 1);
  }

  private resolveDrain(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
