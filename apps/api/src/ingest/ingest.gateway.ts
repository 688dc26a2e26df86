// The collectors' socket.io namespace: token check at connection, then each event handed to the
// IngestService in arrival order, its reply sent as the ack (and, for rejections, an ingestError).
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  INGEST_NAMESPACE,
  type IngestClientToServer,
  type IngestRejection,
  type IngestServerToClient,
} from '@netatlas/wire';
import type { Namespace, Socket } from 'socket.io';
import { API_CONFIG } from '../app-tokens.js';
import type { ApiConfig } from '../config.js';
import { SocketServer } from '../realtime/socket-server.js';
import { IngestService, type IngestSession } from './ingest.service.js';
import { tokenMatches } from './token.js';

type IngestSocket = Socket<IngestClientToServer, IngestServerToClient>;

@Injectable()
export class IngestGateway implements OnModuleInit {
  private readonly log = new Logger('ingest');

  constructor(
    @Inject(SocketServer) private readonly sockets: SocketServer,
    @Inject(IngestService) private readonly ingest: IngestService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  onModuleInit(): void {
    const namespace = this.sockets.io.of(INGEST_NAMESPACE) as Namespace<IngestClientToServer, IngestServerToClient>;
    if (!this.config.token) this.log.warn('NETATLAS_TOKEN is not set: collectors cannot connect');
    namespace.use((socket, next) => {
      const token = this.config.token;
      const given = (socket.handshake.auth as Record<string, unknown> | undefined)?.['token'];
      if (!token) return next(new Error('unauthorized: the API has no NETATLAS_TOKEN configured'));
      if (given === undefined) return next(new Error('unauthorized: no token (auth.token)'));
      if (!tokenMatches(token, given)) {
        this.log.warn(`refused a collector from ${socket.handshake.address}: wrong token`);
        return next(new Error('unauthorized: wrong token'));
      }
      next();
    });
    namespace.on('connection', (socket) => this.connected(socket));
  }

  private connected(socket: IngestSocket): void {
    const session: IngestSession = {
      id: socket.id,
      node: null,
      epoch: null,
      left: false,
      queue: Promise.resolve(),
      pending: 0,
      pendingBytes: 0,
      gone: false,
      lastPacketBytes: 0,
      close: (reason) => {
        socket.emit('ingestError', { event: 'hello', epoch: null, seq: null, code: 'invalid', error: reason });
        socket.disconnect(true);
      },
    };
    // the raw size of each message, seen before socket.io decodes it
    socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
      if (packet.type !== 'message') return;
      const data = packet.data;
      session.lastPacketBytes = typeof data === 'string' ? Buffer.byteLength(data) : data instanceof Buffer ? data.length : 0;
    });
    const handle = <R>(event: string, raw: unknown, ack: unknown, run: (bytes: number) => Promise<R>) => {
      const bytes = session.lastPacketBytes;
      void this.ingest.enqueue(session, event, () => run(bytes), bytes).then((reply) => {
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
    socket.on('snapshot', (raw, ack) => handle('snapshot', raw, ack, (bytes) => this.ingest.snapshot(session, raw, bytes)));
    socket.on('delta', (raw, ack) => handle('delta', raw, ack, (bytes) => this.ingest.delta(session, raw, bytes)));
    socket.on('leave', (raw, ack) => handle('leave', raw, ack, (bytes) => this.ingest.leave(session, raw, bytes)));
    socket.on('heartbeat', (raw) => handle('heartbeat', raw, undefined, (bytes) => this.ingest.heartbeat(session, raw, bytes)));
    socket.on('disconnect', (reason) => {
      session.gone = true; // what still waits is not applied: its sender cannot be answered
      void session.queue.finally(() => this.ingest.disconnected(session, reason));
    });
  }
}

function isRejection(reply: unknown): reply is IngestRejection {
  return typeof reply === 'object' && reply !== null && (reply as { ok?: unknown }).ok === false;
}
