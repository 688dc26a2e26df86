// One socket.io server on the API's HTTP server (same port as REST), shared by the collectors'
// namespace and the browsers' namespace.
import { type BeforeApplicationShutdown, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { API_CONFIG } from '../app-tokens.js';
import type { CoreConfig } from '../config.js';

/** Counters for /metrics and the tests. */
export const socketStats = { oversizedFramesCut: 0 };

/** What cutOversizedFrames reaches of engine.io's connection: its transport's ws socket, if any. */
interface EngineConnection {
  transport?: { socket?: unknown };
  on(event: 'upgrade', listener: () => void): void;
}
interface WsSocket {
  on(event: 'error', listener: (error: { code?: string }) => void): void;
  /** ws' own cut: the TCP socket destroyed, no close handshake */
  terminate(): void;
}

/**
 * A websocket frame over maxHttpBufferSize is refused by ws as soon as its header is read, but ws
 * then answers with a close frame and goes on reading, and throwing away, the rest of the frame
 * until the sender's own close comes (or 30 s pass). Twenty senders of 31 MB frames had the API
 * read ~300 MB/s for nothing, taking the others' acks to 2–4× (npm run bench:abuse, oversized
 * messages). The connection is cut at once instead: the sender learns no more than ws's close
 * would have told it (its connection is gone), and the kernel refuses the rest of its bytes.
 */
function cutOversizedFrames(conn: EngineConnection): void {
  const watch = () => {
    const ws = conn.transport?.socket as WsSocket | undefined;
    if (!ws || typeof ws.on !== 'function' || typeof ws.terminate !== 'function') return; // polling: the engine's own HTTP limit
    ws.on('error', (error) => {
      if (error.code !== 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return;
      socketStats.oversizedFramesCut += 1;
      ws.terminate();
    });
  };
  watch();
  conn.on('upgrade', watch);
}

@Injectable()
export class SocketServer implements OnModuleInit, BeforeApplicationShutdown {
  private server: Server | null = null;

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(API_CONFIG) private readonly config: CoreConfig,
  ) {}

  get io(): Server {
    if (!this.server) throw new Error('the socket.io server is not attached yet');
    return this.server;
  }

  onModuleInit(): void {
    const http = this.adapterHost.httpAdapter.getHttpServer() as HttpServer;
    this.server = new Server(http, {
      serveClient: false,
      // Messages up to the limit get a clear rejection from the ingest service; far beyond it the
      // transport itself closes the connection rather than buffer without bound.
      maxHttpBufferSize: this.config.maxMessageBytes * 2 + 1024 * 1024,
      // browsers load the app from this same origin; no cross-origin access
      cors: undefined,
      // A pong must come within pingTimeout, but a pong waits behind a busy event loop on either
      // side: after an API restart 1000 collectors resync at once, and at 10 s the API dropped
      // some of them mid-resync (bench:api --nodes 1000). Dead collectors are found by their
      // heartbeats anyway (NETATLAS_LOST_AFTER_S).
      pingInterval: 10_000,
      pingTimeout: 30_000,
    });
    this.server.engine.on('connection', cutOversizedFrames);
  }

  beforeApplicationShutdown(): void {
    // Before Nest closes the HTTP server, which would wait for these connections to end.
    // Not io.close(): that closes the HTTP server too, which Nest does itself.
    this.server?.disconnectSockets(true);
    this.server?.engine.close();
  }
}
