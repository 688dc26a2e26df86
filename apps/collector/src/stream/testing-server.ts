// A scripted stand-in for the API's ingest namespace, for the stream client's tests: a real
// socket.io Server on 127.0.0.1 that speaks the protocol (token check, hello, in-order apply with
// dedup and out-of-order detection, acks, heartbeats) and can be told to reject or hold replies.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import {
  INGEST_NAMESPACE,
  type DeltaMessage,
  type Fact,
  type Heartbeat,
  type Hello,
  type HelloAck,
  type IngestAck,
  type IngestClientToServer,
  type IngestErrorCode,
  type IngestServerToClient,
  type LeaveMessage,
  type SnapshotMessage,
  type SnapshotTurnReply,
  type SnapshotTurnRequest,
  type StreamPosition,
} from '@netatlas/wire/core';

/** Polls until `check` holds. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export type Received =
  | { event: 'hello'; message: Hello; at: number; socket: string }
  | { event: 'snapshot'; message: SnapshotMessage; at: number; socket: string }
  | { event: 'delta'; message: DeltaMessage; at: number; socket: string }
  | { event: 'leave'; message: LeaveMessage; at: number; socket: string }
  | { event: 'heartbeat'; message: Heartbeat; at: number; socket: string }
  | { event: 'snapshotTurn'; message: SnapshotTurnRequest; at: number; socket: string };

export interface ScriptedApiOptions {
  /** 0 (default): any free port */
  port?: number;
  token?: string;
  heartbeatMs?: number;
  maxMessageBytes?: number;
  /** set: snapshots are taken in parts (announced in the hello ack, as the API does) */
  maxSnapshotBytes?: number;
  /**
   * set: the only protocol this API speaks, as an API of that version did: a hello in another is
   * refused `invalid`, naming the field, the way the zod schema of the protocol-1 API worded it
   */
  speaksOnly?: number;
  /** what the API already holds for the node (carried over a restart) */
  acked?: StreamPosition | null;
  facts?: Map<string, Fact>;
}

type IngestSocket = Socket<IngestClientToServer, IngestServerToClient>;

export class ScriptedApi {
  /** every message received, in order */
  readonly received: Received[] = [];
  /** the auth token of every connection attempt, with its time */
  readonly attempts: { token: unknown; at: number }[] = [];
  /** last applied message */
  acked: StreamPosition | null;
  /** the node's facts as applied, by kind|key */
  facts: Map<string, Fact>;
  /** rejections for the next snapshot/delta messages, first first (null: that one is applied as usual) */
  readonly script: (IngestErrorCode | null)[] = [];
  /**
   * answers to the next snapshot turn requests, first first (protocol 3); when empty, a turn is
   * granted. As the API does, a protocol-3 snapshot (or part 0) sent without a granted turn is refused
   * as `unavailable`, and the turn ends with the snapshot's answer.
   */
  readonly turnScript: SnapshotTurnReply[] = [];
  /** snapshots of protocol 3 received without a turn */
  snapshotsWithoutTurn = 0;
  /** while set, snapshot/delta replies wait in `held` until release() */
  holding = false;
  /** while set, hellos are recorded and never answered (an API that hangs mid-handshake) */
  ignoringHellos = false;
  private held: (() => void)[] = [];
  /** the facts of a snapshot coming in parts, and the part expected next */
  private staging: { seq: number; next: number; facts: Fact[] } | null = null;

  private constructor(
    private readonly io: Server,
    private readonly http: HttpServer,
    readonly port: number,
    private readonly options: ScriptedApiOptions,
  ) {
    this.acked = options.acked ?? null;
    this.facts = options.facts ?? new Map();
  }

  static async start(options: ScriptedApiOptions = {}): Promise<ScriptedApi> {
    const http = createServer();
    const io = new Server(http, { transports: ['websocket'] });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const api = new ScriptedApi(io, http, (http.address() as AddressInfo).port, options);
    api.attach();
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  of<E extends Received['event']>(event: E): Extract<Received, { event: E }>[] {
    return this.received.filter((r): r is Extract<Received, { event: E }> => r.event === event);
  }

  /** snapshots, deltas and leaves as `snapshot:seq` / `delta:seq` / `leave:seq`, in arrival order */
  sequence(): string[] {
    return this.received
      .filter((r) => r.event === 'snapshot' || r.event === 'delta' || r.event === 'leave')
      .map((r) => `${r.event}:${(r.message as StreamPosition).seq}`);
  }

  release(): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const reply of held) reply();
  }

  /** Stops like a dying API process: the connections just close. */
  async close(): Promise<void> {
    this.held = [];
    await this.io.close();
    this.http.closeAllConnections();
  }

  private attach(): void {
    const nsp = this.io.of(INGEST_NAMESPACE);
    nsp.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown }).token;
      this.attempts.push({ token, at: Date.now() });
      if (this.options.token !== undefined && token !== this.options.token) next(new Error('unauthorized: invalid token'));
      else next();
    });
    nsp.on('connection', (socket: IngestSocket) => {
      let hello: Hello | null = null;
      let turn = false;
      const record = (r: Received) => this.received.push(r);
      socket.on('hello', (message, ack: (reply: HelloAck) => void) => {
        record({ event: 'hello', message, at: Date.now(), socket: socket.id });
        if (this.ignoringHellos) return;
        // as the API does: an epoch older than the last stream's is refused
        if (this.acked && message.epoch < this.acked.epoch) {
          ack({ ok: false, code: 'stale-epoch', error: `epoch ${message.epoch} is older than the last stream (epoch ${this.acked.epoch})`, retry: false });
          return;
        }
        if (this.options.speaksOnly !== undefined && message.protocol !== this.options.speaksOnly) {
          ack({ ok: false, code: 'invalid', error: `protocol: Invalid input: expected ${this.options.speaksOnly}`, retry: false });
          return;
        }
        hello = message;
        ack({ ok: true, acked: this.acked, heartbeatMs: this.options.heartbeatMs ?? 60_000, maxMessageBytes: this.options.maxMessageBytes ?? 1e6, maxSnapshotBytes: this.options.maxSnapshotBytes });
      });
      socket.on('heartbeat', (message) => record({ event: 'heartbeat', message, at: Date.now(), socket: socket.id }));
      socket.on('snapshotTurn', (message, ack: (reply: SnapshotTurnReply) => void) => {
        record({ event: 'snapshotTurn', message, at: Date.now(), socket: socket.id });
        if (!hello) return ack({ ok: false, code: 'no-hello', error: 'say hello first', retry: false });
        const reply = this.turnScript.shift() ?? { ok: true, granted: true, idleMs: 10_000 };
        if (reply.ok && reply.granted) turn = true;
        ack(reply);
      });
      const handle = (event: 'snapshot' | 'delta' | 'leave', message: SnapshotMessage | DeltaMessage | LeaveMessage, ack: (reply: IngestAck) => void) => {
        record({ event, message, at: Date.now(), socket: socket.id } as Received);
        let reply: IngestAck;
        if (event === 'snapshot' && hello && hello.protocol >= 3 && !turn) {
          this.snapshotsWithoutTurn += 1;
          reply = { ok: false, code: 'unavailable', error: 'no turn: ask for one (snapshotTurn)', retry: true };
        } else reply = this.apply(hello, event, message);
        if (event === 'snapshot' && !(reply.ok && reply.staged !== undefined)) turn = false;
        if (!reply.ok) socket.emit('ingestError', { event, epoch: message.epoch, seq: message.seq, code: reply.code, error: reply.error });
        if (this.holding || this.held.length > 0) this.held.push(() => ack(reply));
        else ack(reply);
      };
      socket.on('snapshot', (message, ack) => handle('snapshot', message, ack));
      socket.on('delta', (message, ack) => handle('delta', message, ack));
      socket.on('leave', (message, ack) => handle('leave', message, ack));
    });
  }

  private apply(hello: Hello | null, event: 'snapshot' | 'delta' | 'leave', m: SnapshotMessage | DeltaMessage | LeaveMessage): IngestAck {
    const scripted = this.script.shift();
    if (scripted) return { ok: false, code: scripted, error: `scripted ${scripted}`, retry: scripted === 'unavailable' };
    if (!hello) return { ok: false, code: 'no-hello', error: 'say hello first', retry: false };
    const last = this.acked;
    if (last && last.epoch === m.epoch && m.seq <= last.seq) return { ok: true, epoch: m.epoch, seq: m.seq, duplicate: true, at: null, changes: 0 };
    let changes = 0;
    const part = event === 'snapshot' ? (m as SnapshotMessage).part : undefined;
    if (part) {
      // as the API does: part 0 starts anew, a part out of turn is invalid, the last applies them all
      if (part.index === 0) this.staging = { seq: m.seq, next: 0, facts: [] };
      const staging = this.staging;
      if (!staging || staging.seq !== m.seq || staging.next !== part.index) {
        this.staging = null;
        return { ok: false, code: 'invalid', error: `part ${part.index} of seq ${m.seq} out of turn`, retry: false };
      }
      staging.facts.push(...(m as SnapshotMessage).facts);
      staging.next += 1;
      if (part.index < part.count - 1) return { ok: true, epoch: m.epoch, seq: m.seq, duplicate: false, at: null, changes: 0, staged: part.index };
      this.staging = null;
      m = { ...(m as SnapshotMessage), part: undefined, facts: staging.facts };
    }
    if (event === 'snapshot') {
      const next = new Map((m as SnapshotMessage).facts.map((f) => [`${f.kind}|${f.key}`, f]));
      changes = [...next.keys()].filter((k) => JSON.stringify(next.get(k)) !== JSON.stringify(this.facts.get(k))).length;
      changes += [...this.facts.keys()].filter((k) => !next.has(k)).length;
      this.facts = next;
    } else {
      if (!last || last.epoch !== m.epoch || m.seq !== last.seq + 1) {
        return { ok: false, code: 'out-of-order', error: `${event} seq ${m.seq} does not follow ${last ? `${last.epoch}/${last.seq}` : 'nothing'}`, retry: false };
      }
      if (event === 'leave') {
        changes = this.facts.size;
        this.facts = new Map();
        this.acked = { epoch: m.epoch, seq: m.seq };
        return { ok: true, epoch: m.epoch, seq: m.seq, duplicate: false, at: new Date().toISOString(), changes };
      }
      const d = m as DeltaMessage;
      for (const r of d.deletes) changes += this.facts.delete(`${r.kind}|${r.key}`) ? 1 : 0;
      for (const f of d.upserts) {
        const id = `${f.kind}|${f.key}`;
        if (JSON.stringify(this.facts.get(id)) !== JSON.stringify(f)) changes += 1;
        this.facts.set(id, f);
      }
    }
    this.acked = { epoch: m.epoch, seq: m.seq };
    return { ok: true, epoch: m.epoch, seq: m.seq, duplicate: false, at: new Date().toISOString(), changes };
  }
}
