// The browsers' socket.io namespace: a browser subscribes (what kinds, which nodes, topology or
// not) and then receives the LiveHub's batches.
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import {
  describeZodError,
  LIVE_NAMESPACE,
  LiveSubscriptionSchema,
  type LiveClientToServer,
  type LiveServerToClient,
} from '@netatlas/wire';
import type { Namespace } from 'socket.io';
import { AuthService } from '../auth/auth.service.js';
import { SocketServer } from '../realtime/socket-server.js';
import { LiveHub } from './live-hub.js';

/** What a browser's or script's socket is tied to: logout and revoke drop it */
interface LiveSocketData {
  session?: string | null;
  tokenId?: number | null;
}

@Injectable()
export class LiveGateway implements OnModuleInit {
  constructor(
    @Inject(SocketServer) private readonly sockets: SocketServer,
    @Inject(LiveHub) private readonly hub: LiveHub,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  onModuleInit(): void {
    const namespace = this.sockets.io.of(LIVE_NAMESPACE) as Namespace<LiveClientToServer, LiveServerToClient>;
    // the same viewers as REST: the browser's session cookie, a script's API token (auth.token or
    // Authorization), the trusted proxy's headers, or the anonymous role; else the handshake fails
    namespace.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const creds = { headers: socket.request.headers, remoteAddress: socket.request.socket.remoteAddress, token: typeof token === 'string' ? token : undefined };
      this.auth
        .resolve(creds)
        .then((viewer) => {
          if (!viewer) return next(new Error('unauthenticated'));
          // a browser's socket lives as long as its session: logout drops it
          const data = socket.data as LiveSocketData;
          if (typeof token !== 'string' && !socket.request.headers.authorization) data.session = this.auth.sessionIdOf(socket.request.headers);
          // and a script's socket as long as its token
          data.tokenId = this.auth.tokenIdOf(creds);
          next();
        })
        .catch((error: Error) => next(new Error(/unknown or revoked|none of the groups/.test(error.message) ? 'unauthenticated' : 'unavailable')));
    });
    this.auth.onSessionEnded((session) => {
      for (const socket of namespace.sockets.values()) if ((socket.data as LiveSocketData).session === session) socket.disconnect(true);
    });
    this.auth.onTokenRevoked((id) => {
      for (const socket of namespace.sockets.values()) if ((socket.data as LiveSocketData).tokenId === id) socket.disconnect(true);
    });
    namespace.on('connection', (socket) => {
      socket.on('subscribe', (raw, ack) => {
        const parsed = LiveSubscriptionSchema.safeParse(raw ?? {});
        const reply = parsed.success
          ? ({ ok: true, serverTime: new Date().toISOString() } as const)
          : ({ ok: false, error: `invalid subscription: ${describeZodError(parsed.error)}` } as const);
        if (parsed.success) {
          this.hub.subscribe({ id: socket.id, subscription: parsed.data, emit: (event, ...args) => socket.emit(event, ...args) });
        }
        if (typeof ack === 'function') ack(reply);
      });
      socket.on('disconnect', () => this.hub.unsubscribe(socket.id));
    });
  }
}
