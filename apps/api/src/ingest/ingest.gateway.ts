// The collectors' socket.io namespace: token check at connection, then each event handed to the
// IngestService in arrival order, its reply sent as the ack (and, for rejections, an ingestError).
import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import {
  INGEST_NAMESPACE,
  SMALL_MESSAGE_MAX_BYTES,
  type IngestClientToServer,
  type IngestRejection,
  type IngestServerToClient,
} from '@netatlas/wire';
import type { Socket as NetSocket } from 'node:net';
import type { Namespace, Socket } from 'socket.io';
import { API_CONFIG } from '../app-tokens.js';
import type { CoreConfig } from '../config.js';
import { SocketServer } from '../realtime/socket-server.js';
import { RAW_PART } from './decoded-part.js';
import { IngestService, type IngestSession } from './ingest.service.js';
import { LARGE_MESSAGE_BYTES } from './large-message-gate.js';
import { tokenMatches } from './token.js';
import { CollectorTokensRepository } from '../db/repositories/collector-tokens.repository.js';
import { CollectorTokenReview, looksLikeJwt } from '../kube/collector-token-review.js';
import { KubeWatcher } from '../kube/kube-watcher.js';

type IngestSocket = Socket<IngestClientToServer, IngestServerToClient>;
/** what the handshake learnt: the node a per-node token speaks for (null: the shared token, any node) */
interface SocketData {
  speaksFor?: string | null;
}

/** a socket.io EVENT packet on the ingest namespace (ack id optional): `2/ingest,12["snapshot",` */
const EVENT_PACKET_HEAD = /^(2\/ingest,\d*)\["(\w{1,20})",/;
/** what follows the head of a snapshot's part 0 as collectors write it (`part` first) */
const FIRST_PART = /^\{"part":\{"index":0,/;
/** …and of any part: its index */
const A_PART = /^\{"part":\{"index":(\d{1,9}),/;
/** snapshot parts from this size on are decoded in the part decoder's thread (part-decoder.ts) */
const PART_HANDOVER_MIN_BYTES = 16 * 1024;
/** the stand-in's one field: why the message was refused undecoded, and its size */
const UNDECODED = '$netatlasUndecoded';
interface Undecoded {
  why: 'too-large' | 'over-budget' | 'no-room-for-parts' | 'no-turn';
  bytes: number;
}
/**
 * After a refused large message the connection's socket is not read for a while (1 s, doubling with
 * each refusal in a row up to 10 s): TCP holds its sender back, so a client that sends 30 MB again
 * and again costs the API one receipt per pause, not one per send. A collector, which backs off
 * after a refusal anyway, barely notices.
 */
const PAUSE_FIRST_MS = 1000;
/** a large message admitted through the gate must arrive whole within this, or its connection is cut */
const LARGE_MESSAGE_STALL_MS = 60_000;
const PAUSE_MAX_MS = 10_000;

@Injectable()
export class IngestGateway implements OnModuleInit {
  private readonly log = new Logger('ingest');

  constructor(
    @Inject(SocketServer) private readonly sockets: SocketServer,
    @Inject(IngestService) private readonly ingest: IngestService,
    @Inject(API_CONFIG) private readonly config: CoreConfig,
    @Inject(CollectorTokensRepository) private readonly tokens: CollectorTokensRepository,
    @Optional() @Inject(KubeWatcher) private readonly kube: KubeWatcher | null = null,
  ) {}

  private reviewer: CollectorTokenReview | null | undefined;

  /** TokenReview of collectors' service-account tokens, when the API talks to Kubernetes. */
  private review(): CollectorTokenReview | null {
    if (this.reviewer === undefined) {
      const kc = this.kube?.kubeConfig ?? null;
      this.reviewer = kc ? new CollectorTokenReview(kc, this.config.collectorAudience, this.config.collectorServiceAccount) : null;
    }
    return this.reviewer;
  }

  onModuleInit(): void {
    const namespace = this.sockets.io.of(INGEST_NAMESPACE) as Namespace<IngestClientToServer, IngestServerToClient>;
    if (!this.config.token) this.log.log('NETATLAS_TOKEN is not set: only collectors with a per-node token (npm run token -- create --node NAME) can connect');
    namespace.use((socket, next) => {
      const given = (socket.handshake.auth as Record<string, unknown> | undefined)?.['token'];
      if (given === undefined) return next(new Error('unauthorized: no token (auth.token)'));
      const refuse = () => {
        this.ingest.rejectionLog.log(`refused a collector from ${socket.handshake.address}: wrong token`);
        next(new Error('unauthorized: wrong token'));
      };
      if (typeof given !== 'string' || given.length > 8192) return refuse();
      // the shared token (an explicit opt-in, for labs) speaks for any node; a per-node token for its own
      if (this.config.token && tokenMatches(this.config.token, given)) {
        (socket.data as SocketData).speaksFor = null;
        return next();
      }
      // a projected service-account token (on Kubernetes): the node its pod runs on
      const review = this.review();
      const check: Promise<string | null> =
        review && looksLikeJwt(given)
          ? review.review(given).then((outcome) => {
              if ('node' in outcome) return outcome.node;
              this.ingest.rejectionLog.log(`refused a collector from ${socket.handshake.address}: ${outcome.refused}`);
              return null;
            })
          : this.tokens.nodeOf(given);
      check.then(
        (node) => {
          if (node === null) return refuse();
          (socket.data as SocketData).speaksFor = node;
          next();
        },
        (error: unknown) => next(new Error(`unavailable: the token cannot be checked now (${(error as Error).message})`)),
      );
    });
    namespace.on('connection', (socket) => this.connected(socket));
  }

  private connected(socket: IngestSocket): void {
    const session: IngestSession = {
      id: socket.id,
      speaksFor: (socket.data as SocketData).speaksFor ?? null,
      node: null,
      epoch: null,
      left: false,
      queue: Promise.resolve(),
      pending: 0,
      gone: false,
      lastPacketBytes: 0,
      overruns: 0,
      staging: null,
      close: (reason) => {
        socket.emit('ingestError', { event: 'hello', epoch: null, seq: null, code: 'invalid', error: reason });
        socket.disconnect(true);
      },
    };
    // The raw size of each message, seen before socket.io decodes it. A message over its size limit,
    // or a snapshot over the budget of snapshot bytes in flight, is refused undecoded (decoding 30 MB
    // of JSON holds the event loop for ~0.3 s): the packet is replaced by a stand-in that keeps its
    // event and ack id, which handle() answers at once.
    let refusedInARow = 0;
    // snapshot parts handed to the part decoder undecoded: stand-in id → the event's arguments' text
    const rawParts = new Map<number, string>();
    let nextRaw = 1;
    // reading is held by a refusal's pause and by the gate for large messages; it resumes when neither holds it
    const tcp = (socket.conn as unknown as { transport?: { socket?: { _socket?: NetSocket } } }).transport?.socket?._socket ?? null;
    let holds = 0;
    const hold = () => {
      if (holds++ === 0) tcp?.pause();
    };
    const release = () => {
      if (--holds === 0 && tcp && !tcp.destroyed) tcp.resume();
    };
    let pausedForRefusal = false;
    const pauseReading = (ms: number) => {
      if (!tcp || pausedForRefusal) return;
      pausedForRefusal = true;
      hold();
      setTimeout(() => {
        pausedForRefusal = false;
        release();
      }, ms).unref();
    };
    // bytes on the wire since the last whole packet: past LARGE_MESSAGE_BYTES, the message takes its turn
    let received = 0;
    let inGate = false;
    let waitingForGate = false;
    let stall: NodeJS.Timeout | null = null;
    const leaveGate = () => {
      if (stall) clearTimeout(stall);
      stall = null;
      if (waitingForGate) {
        waitingForGate = false;
        release();
      }
      if (!inGate) return;
      inGate = false;
      this.ingest.largeMessages.leave(socket.id);
    };
    tcp?.on('data', (chunk: Buffer) => {
      received += chunk.length;
      // chunks read before a cut connection is torn down still come: they take no turn
      if (received <= LARGE_MESSAGE_BYTES || inGate || waitingForGate || session.gone) return;
      const admitted = this.ingest.largeMessages.enter(socket.id, () => {
        waitingForGate = false;
        inGate = true;
        release();
      });
      if (admitted) inGate = true;
      else {
        waitingForGate = true;
        hold();
      }
      // a sender that stops halfway must not keep the others waiting
      stall = setTimeout(() => {
        leaveGate();
        socket.disconnect(true);
      }, LARGE_MESSAGE_STALL_MS);
      stall.unref();
    });
    socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
      received = 0;
      if (stall) clearTimeout(stall);
      stall = null;
      if (packet.type !== 'message') return;
      const data = packet.data;
      const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data instanceof Buffer ? data.length : 0;
      session.lastPacketBytes = bytes;
      if (typeof data !== 'string' || bytes < PART_HANDOVER_MIN_BYTES) return;
      const head = EVENT_PACKET_HEAD.exec(data.slice(0, 64));
      if (!head) return;
      const event = head[2]!;
      // a part is decoded and validated in the part decoder's thread, not by socket.io here: the
      // stand-in keeps its event, ack id and index, and its text waits for the handler
      const handOver = () => {
        const part = event === 'snapshot' ? A_PART.exec(data.slice(head[0].length, head[0].length + 32)) : null;
        if (!part) return;
        const id = nextRaw++;
        rawParts.set(id, data.slice(head[1]!.length));
        packet.data = `${head[1]}["snapshot",{"${RAW_PART}":${id},"part":{"index":${Number(part[1])}}}]`;
      };
      // a small message is never refused unread
      if (bytes <= SMALL_MESSAGE_MAX_BYTES) return handOver();
      const firstPart = event === 'snapshot' && FIRST_PART.test(data.slice(head[0].length, head[0].length + 24));
      // protocol 3: a snapshot comes in its turn (the turns bound them), else it is refused unread
      const turns = event === 'snapshot' && this.ingest.takesTurns(session);
      const why =
        bytes > this.ingest.sizeLimit(event)
          ? 'too-large'
          : turns
            ? this.ingest.holdsTurn(session)
              ? null
              : 'no-turn'
            : firstPart && !this.ingest.hasRoomForParts(session)
            ? 'no-room-for-parts'
            : event === 'snapshot' && !firstPart && !this.ingest.admitsSnapshot(bytes)
              ? 'over-budget'
              : null;
      if (!why) {
        refusedInARow = 0;
        return handOver();
      }
      packet.data = `${head[1]}["${event}",${JSON.stringify({ [UNDECODED]: { why, bytes } satisfies Undecoded })}]`;
      refusedInARow += 1;
      pauseReading(Math.min(PAUSE_MAX_MS, PAUSE_FIRST_MS * 2 ** (refusedInARow - 1)));
    });
    const handle = <R>(event: string, raw: unknown, ack: unknown, run: (bytes: number) => Promise<R>) => {
      const bytes = session.lastPacketBytes;
      // a stand-in's text is the handler's from here (the handler runs as soon as socket.io decodes it)
      const rawId = raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[RAW_PART] : undefined;
      if (typeof rawId === 'number' && rawParts.has(rawId)) {
        (raw as Record<string, unknown>)[RAW_PART] = rawParts.get(rawId);
        rawParts.delete(rawId);
      } else if (rawId !== undefined) {
        // the client's own field of that name is not a stand-in: the message is read as it was sent
        delete (raw as Record<string, unknown>)[RAW_PART];
      }
      const undecoded = raw && typeof raw === 'object' && UNDECODED in raw ? (raw as Record<string, Undecoded>)[UNDECODED]! : null;
      // the gate's slot is this message's until it is answered
      const gated = inGate;
      if (undecoded) {
        const reply =
          undecoded.why === 'over-budget'
            ? this.ingest.refuseSnapshot(session, true)
            : undecoded.why === 'no-room-for-parts'
              ? this.ingest.refuseParts(session)
              : undecoded.why === 'no-turn'
                ? this.ingest.refuseNoTurn(session, true)
                : this.ingest.refuseTooLarge(session, event, undecoded.bytes);
        socket.emit('ingestError', { event, epoch: null, seq: null, code: reply.code, error: reply.error });
        if (typeof ack === 'function') (ack as (r: unknown) => void)(reply);
        if (gated) leaveGate();
        return;
      }
      void this.ingest.enqueue(session, event, () => run(bytes), bytes).then((reply) => {
        if (gated) leaveGate();
        if (isRejection(reply)) {
          const position = raw && typeof raw === 'object' ? (raw as { epoch?: unknown; seq?: unknown }) : {};
          socket.emit('ingestError', {
            event,
            epoch: typeof position.epoch === 'number' ? position.epoch : null,
            seq: typeof position.seq === 'number' ? position.seq : null,
            code: reply.code,
            error: reply.error,
          });
        }
        if (typeof ack === 'function') (ack as (r: unknown) => void)(reply);
      });
    };
    socket.on('hello', (raw, ack) => handle('hello', raw, ack, (bytes) => this.ingest.hello(session, raw, bytes)));
    socket.on('snapshotTurn', (raw, ack) => handle('snapshotTurn', raw, ack, (bytes) => this.ingest.snapshotTurn(session, raw, bytes)));
    socket.on('snapshot', (raw, ack) => handle('snapshot', raw, ack, (bytes) => this.ingest.snapshot(session, raw, bytes)));
    socket.on('delta', (raw, ack) => handle('delta', raw, ack, (bytes) => this.ingest.delta(session, raw, bytes)));
    socket.on('leave', (raw, ack) => handle('leave', raw, ack, (bytes) => this.ingest.leave(session, raw, bytes)));
    socket.on('heartbeat', (raw) => handle('heartbeat', raw, undefined, (bytes) => this.ingest.heartbeat(session, raw, bytes)));
    // whichever goes first, the connection's turn goes with it
    tcp?.once('close', () => leaveGate());
    socket.on('disconnect', (reason) => {
      leaveGate();
      // its place in line for a snapshot turn goes at once (its turn, once what it sent is done with)
      this.ingest.turns.leave(session.id);
      session.gone = true; // what still waits is not applied: its sender cannot be answered
      void session.queue.finally(() => this.ingest.disconnected(session, reason));
    });
  }
}

function isRejection(reply: unknown): reply is IngestRejection {
  return typeof reply === 'object' && reply !== null && (reply as { ok?: unknown }).ok === false;
}
