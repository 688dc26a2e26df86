// Test support: the real API (Nest, socket.io, a fresh database on the real Postgres) on a free
// loopback port, and a minimal collector-side socket.io client that speaks the ingest protocol.
import {
  INGEST_NAMESPACE,
  LIVE_NAMESPACE,
  PROTOCOL_VERSION,
  type ProtocolVersion,
  snapshotParts,
  type SnapshotMessage,
  type Fact,
  type FactRef,
  type HelloAck,
  type IngestAck,
  type IngestClientToServer,
  type IngestErrorEvent,
  type IngestRejection,
  type IngestServerToClient,
  type SnapshotTurnReply,
  type LiveClientToServer,
  type LiveServerToClient,
} from '@netatlas/wire';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { loadConfig, type ApiConfig } from '../settings.js';
import { startApi, type RunningApi } from '../start.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

export interface TestApi {
  api: RunningApi;
  url: string;
  database: TestDatabase;
  config: ApiConfig;
  /** GET a path under the API; the body parsed as JSON */
  get<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  /** Stops the API (the database stays until drop) */
  stop(): Promise<void>;
  /** Stops the API and drops its database */
  close(): Promise<void>;
}

export async function startTestApi(label: string, overrides: Partial<ApiConfig> = {}, database?: TestDatabase): Promise<TestApi> {
  const db = database ?? (await createTestDatabase(label));
  const config: ApiConfig = {
    ...loadConfig({}),
    databaseUrl: db.url,
    port: 0,
    token: TEST_TOKEN,
    retentionDays: 0,
    ...overrides,
  };
  const api = await startApi(config, { logger: process.env['NETATLAS_TEST_LOG'] ? ['log', 'warn', 'error'] : false, log: () => undefined, version: 'test' });
  const get = async <T>(path: string) => {
    const response = await fetch(`${api.url}${path}`);
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await api.close();
  };
  return {
    api,
    url: api.url,
    database: db,
    config,
    get,
    stop,
    close: async () => {
      await stop();
      await db.drop();
    },
  };
}

export type IngestClient = Socket<IngestServerToClient, IngestClientToServer>;

/** A connected ingest socket (no reconnection), or the connect error's message. */
export async function connectIngest(url: string, token: string | null = TEST_TOKEN, options: Partial<ManagerOptions & SocketOptions> = {}): Promise<IngestClient> {
  const socket: IngestClient = io(`${url}${INGEST_NAMESPACE}`, {
    auth: token === null ? {} : { token },
    reconnection: false,
    transports: ['websocket'],
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
  return socket;
}

/**
 * A scripted collector: hello, then numbered snapshots and deltas. In protocol 3 (the default) it
 * asks for its turn before each snapshot, as a collector does, and waits the retryAfterMs it is told;
 * `raw` sends exactly what it is given, without a turn.
 */
export class FakeCollector {
  seq = 0;
  readonly errors: IngestErrorEvent[] = [];

  constructor(
    readonly socket: IngestClient,
    readonly node: string,
    readonly epoch = Date.now(),
    /** the protocol its hello speaks (a previous one: a collector not yet upgraded) */
    readonly protocol: ProtocolVersion = PROTOCOL_VERSION,
  ) {
    socket.on('ingestError', (e) => this.errors.push(e));
  }

  static async connect(url: string, node: string, epoch?: number, protocol?: ProtocolVersion): Promise<FakeCollector> {
    const collector = new FakeCollector(await connectIngest(url), node, epoch, protocol);
    const ack = await collector.hello();
    if (!ack.ok) throw new Error(`hello rejected: ${ack.error}`);
    return collector;
  }

  hello(): Promise<HelloAck> {
    return this.socket.timeout(10_000).emitWithAck('hello', {
      protocol: this.protocol,
      node: this.node,
      bootId: 'boot-test',
      epoch: this.epoch,
      version: 'test',
      readers: { links: { status: 'ok', error: null } },
    });
  }

  /** Protocol 3: asks for a turn once (granted, or when to ask again). */
  askTurn(): Promise<SnapshotTurnReply> {
    return this.socket.timeout(10_000).emitWithAck('snapshotTurn', { epoch: this.epoch });
  }

  /** Protocol 3: asks for a turn until it is granted (or refused), waiting each retryAfterMs; the replies, the last granted or refused. */
  async turn(): Promise<SnapshotTurnReply[]> {
    const replies: SnapshotTurnReply[] = [];
    for (;;) {
      const reply = await this.askTurn();
      replies.push(reply);
      if (!reply.ok || reply.granted) return replies;
      await new Promise((resolve) => setTimeout(resolve, reply.retryAfterMs));
    }
  }

  /** Protocol 3: a turn before a snapshot; null once granted (or in an older protocol), else the refusal, which stands for the snapshot's answer. */
  private async turnFirst(): Promise<IngestRejection | null> {
    if (this.protocol < 3) return null;
    const last = (await this.turn()).at(-1)!;
    return last.ok ? null : last;
  }

  async snapshot(facts: Fact[], seq = ++this.seq): Promise<IngestAck> {
    const refused = await this.turnFirst();
    if (refused) return refused;
    return this.socket.timeout(30_000).emitWithAck('snapshot', {
      epoch: this.epoch,
      seq,
      takenAt: new Date().toISOString(),
      facts,
      readers: { links: { status: 'ok', error: null } },
    });
  }

  /**
   * A snapshot in parts of about `partBytes`, as a collector sends it: one part at a time, the next
   * after the previous one's `staged` ack. The last part's ack, or the first refusal.
   */
  snapshotInParts(facts: Fact[], partBytes: number, seq = ++this.seq): Promise<IngestAck> {
    return this.sendParts(this.partsOf(facts, partBytes, seq));
  }

  /** A snapshot's parts, to send (and, refused, send again) with sendParts, as a collector does. */
  partsOf(facts: Fact[], partBytes: number, seq = ++this.seq): SnapshotMessage[] {
    const whole: SnapshotMessage = { epoch: this.epoch, seq, takenAt: new Date().toISOString(), facts, readers: { links: { status: 'ok', error: null } } };
    return snapshotParts(whole, partBytes);
  }

  /** Sends parts one at a time (in its turn, protocol 3), the next after the previous one's `staged` ack: the last part's ack, or the first refusal. */
  async sendParts(parts: SnapshotMessage[]): Promise<IngestAck> {
    const refused = await this.turnFirst();
    if (refused) return refused;
    for (const part of parts.slice(0, -1)) {
      const reply = await this.socket.timeout(30_000).emitWithAck('snapshot', part);
      if (!reply.ok || reply.staged === undefined) return reply;
    }
    return this.socket.timeout(30_000).emitWithAck('snapshot', parts[parts.length - 1]!);
  }

  delta(upserts: Fact[], deletes: FactRef[], seq = ++this.seq): Promise<IngestAck> {
    return this.socket.timeout(30_000).emitWithAck('delta', { epoch: this.epoch, seq, takenAt: new Date().toISOString(), upserts, deletes });
  }

  leave(reason: string, seq = ++this.seq): Promise<IngestAck> {
    return this.socket.timeout(30_000).emitWithAck('leave', { epoch: this.epoch, seq, takenAt: new Date().toISOString(), reason });
  }

  /** Sends anything as `event` (for malformed-message tests). */
  raw(event: 'hello' | 'snapshotTurn' | 'snapshot' | 'delta' | 'leave', message: unknown): Promise<unknown> {
    return (this.socket.timeout(10_000) as unknown as { emitWithAck(e: string, m: unknown): Promise<unknown> }).emitWithAck(event, message);
  }

  close(): void {
    this.socket.close();
  }
}

export type LiveClient = Socket<LiveServerToClient, LiveClientToServer>;

export async function connectLive(url: string, subscription: Parameters<LiveClientToServer['subscribe']>[0] = {}): Promise<LiveClient> {
  const socket: LiveClient = io(`${url}${LIVE_NAMESPACE}`, { reconnection: false, transports: ['websocket'] });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const reply = await socket.timeout(10_000).emitWithAck('subscribe', subscription);
  if (!reply.ok) throw new Error(reply.error);
  return socket;
}
