// The browser's side of the /live namespace (socket.io): connects, subscribes, hands the typed
// events on, and tracks the connection state for the header. socket.io reconnects by itself with
// back-off; after every (re)connection the client subscribes again and reports `synced` so the
// store can catch up on what it missed (README "API", Live). The socket carries the session cookie;
// an API that refuses it (`connect_error` 'unauthenticated') does not let socket.io retry, and the
// shell shows the sign-in screen (`onRefused`).
import {
  decodeTopologyPatch,
  LIVE_NAMESPACE,
  type LiveClientToServer,
  type LiveEvents,
  type LiveServerToClient,
  type LiveSubscription,
} from '@netatlas/wire/core';
import { io, type Socket } from 'socket.io-client';
import { initialConnectionState, nextConnectionState, type ConnectionEvent, type ConnectionState } from './connection-state.js';

/** the `connect_error` message of a connection the API refused for want of a session */
export const UNAUTHENTICATED = 'unauthenticated';

/** handlers get the events decoded (the topology patch from its bytes) */
type Handler<E extends keyof LiveEvents> = LiveEvents[E];

/** What the live store needs from a live connection (a fake in tests). */
export interface LiveSource {
  readonly state: ConnectionState;
  on<E extends keyof LiveEvents>(event: E, handler: Handler<E>): () => void;
  /** after each acknowledged subscription: `reconnect` is false the first time */
  onSynced(handler: (info: { reconnect: boolean; serverTime: string }) => void): () => void;
  onState(handler: (state: ConnectionState) => void): () => void;
}

export interface LiveClientOptions {
  /** the API's origin; '' (default) is this page's origin */
  url?: string;
  subscription?: LiveSubscription;
  /** how often the connection state is re-evaluated while disconnected */
  tickMs?: number;
}

export class LiveClient implements LiveSource {
  private socket: Socket<LiveServerToClient, LiveClientToServer> | null = null;
  private current: ConnectionState = initialConnectionState(new Date());
  private readonly handlers = new Map<keyof LiveServerToClient, Set<(...args: never[]) => void>>();
  private readonly syncedHandlers = new Set<(info: { reconnect: boolean; serverTime: string }) => void>();
  private readonly stateHandlers = new Set<(state: ConnectionState) => void>();
  private readonly refusedHandlers = new Set<(message: string) => void>();
  private syncedOnce = false;
  private ticker: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly options: LiveClientOptions = {}) {}

  get state(): ConnectionState {
    return this.current;
  }

  start(): void {
    if (this.socket) return;
    const socket: Socket<LiveServerToClient, LiveClientToServer> = io(`${this.options.url ?? ''}${LIVE_NAMESPACE}`, {
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.dispatch({ type: 'connect' });
      socket.emit('subscribe', this.options.subscription ?? {}, (reply) => {
        if (!reply.ok) {
          this.dispatch({ type: 'error', message: reply.error });
          return;
        }
        this.dispatch({ type: 'subscribed' });
        const reconnect = this.syncedOnce;
        this.syncedOnce = true;
        for (const h of this.syncedHandlers) h({ reconnect, serverTime: reply.serverTime });
      });
    });
    socket.on('disconnect', (reason) => this.dispatch({ type: 'disconnect', reason }));
    socket.on('connect_error', (error) => {
      this.dispatch({ type: 'error', message: error.message });
      if (error.message === UNAUTHENTICATED) for (const h of this.refusedHandlers) h(error.message);
    });
    socket.io.on('reconnect_attempt', () => this.dispatch({ type: 'attempt' }));
    for (const event of ['changes', 'topology', 'nodeEvent', 'alerts'] as const) {
      socket.on(event, (payload: never) => {
        const decoded = (event === 'topology' ? decodeTopologyPatch(payload) : payload) as never;
        for (const h of this.handlers.get(event) ?? []) h(decoded);
      });
    }
    this.ticker = setInterval(() => this.dispatch({ type: 'tick' }), this.options.tickMs ?? 1000);
  }

  stop(): void {
    this.socket?.disconnect();
    this.socket = null;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  on<E extends keyof LiveEvents>(event: E, handler: Handler<E>): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    const h = handler as unknown as (...args: never[]) => void;
    set.add(h);
    return () => set.delete(h);
  }

  onSynced(handler: (info: { reconnect: boolean; serverTime: string }) => void): () => void {
    this.syncedHandlers.add(handler);
    return () => this.syncedHandlers.delete(handler);
  }

  onState(handler: (state: ConnectionState) => void): () => void {
    this.stateHandlers.add(handler);
    return () => this.stateHandlers.delete(handler);
  }

  /** The API refused the connection: not signed in (any more). */
  onRefused(handler: (message: string) => void): () => void {
    this.refusedHandlers.add(handler);
    return () => this.refusedHandlers.delete(handler);
  }

  private dispatch(e: ConnectionEvent): void {
    const next = nextConnectionState(this.current, e, new Date());
    const changed = next !== this.current;
    this.current = next;
    // a tick that changes nothing still refreshes "disconnected since … (2m ago)"
    if (changed || (e.type === 'tick' && next.status === 'disconnected')) for (const h of this.stateHandlers) h(next);
  }
}
