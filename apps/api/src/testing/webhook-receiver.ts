// Test support: a webhook receiver on 127.0.0.1 (node:http) that records what it is sent and can be
// made to misbehave: answer 500 (or any status), answer slowly, or go down altogether (its port
// closed: connection refused) and come back later on the same port.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** path and query */
  path: string;
  headers: IncomingHttpHeaders;
  /** the body parsed as JSON (the raw text when it is not JSON) */
  body: unknown;
  /** the status it was answered with (null: the client went away before the answer) */
  status: number | null;
  at: number;
}

export type ReceiverBehaviour =
  /** 200 at once */
  | { kind: 'ok' }
  /** this status at once, with this body (default: the request's path, as some servers echo it) */
  | { kind: 'status'; status: number; body?: string }
  /** 200 after `delayMs` */
  | { kind: 'slow'; delayMs: number };

export class WebhookReceiver {
  /** every request, in arrival order */
  readonly requests: ReceivedRequest[] = [];
  behaviour: ReceiverBehaviour = { kind: 'ok' };
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private waiters: Array<() => void> = [];

  private constructor(public port: number) {}

  /** A receiver listening on a free loopback port (or on `port`). */
  static async start(port = 0): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(port);
    await receiver.up();
    return receiver;
  }

  /** The receiver's URL for `path`. */
  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The bodies of the requests it answered with a 2xx, in order. */
  accepted<T = unknown>(): T[] {
    return this.requests.filter((r) => r.status !== null && r.status >= 200 && r.status < 300).map((r) => r.body as T);
  }

  get isUp(): boolean {
    return this.server !== null;
  }

  /** Listens again on the same port (after down). */
  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        const request: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, status: null, at: Date.now() };
        this.requests.push(request);
        this.answer(request, res);
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops every connection: clients get connection refused until up(). */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Resolves once `count` requests were answered with a 2xx (or fails after `timeoutMs`). */
  async waitForAccepted(count: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.accepted().length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the receiver on port ${this.port} accepted ${this.accepted().length} of ${count} requests within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await this.down();
  }

  private answer(request: ReceivedRequest, res: ServerResponse): void {
    const b = this.behaviour;
    const send = (status: number, body: string) => {
      if (res.destroyed) return; // the client gave up (its time limit)
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
      request.status = status;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    };
    if (b.kind === 'ok') send(200, 'ok');
    else if (b.kind === 'status') send(b.status, b.body ?? `cannot handle ${request.path}`);
    else setTimeout(() => send(200, 'ok'), b.delayMs);
  }
}
