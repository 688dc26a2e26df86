// Stopping the API is bounded whatever its clients do: a connection that keeps a request open (a
// browser's socket.io client that reconnected by long polling while the API was stopping; here,
// a request whose body never comes) is cut once every module has stopped, not waited for.
import { connect, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { startTestApi } from './testing/api.js';

it('stops within seconds while a client holds a request open, and cuts its connection', { timeout: 30_000 }, async () => {
  const t = await startTestApi('app_stop');
  let socket: Socket | undefined;
  try {
    const { hostname, port } = new URL(t.url);
    socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket!.once('connect', resolve).once('error', reject));
    const closed = new Promise<void>((resolve) => socket!.once('close', () => resolve()));
    socket.on('error', () => undefined);
    // headers and half of the body: the server waits for the rest (Node's own limit is 5 minutes)
    socket.write(`POST /api/auth/logout HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    const stopped = await Promise.race([t.stop().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000))]);
    expect(stopped, 'the API stopped within 10 s').toBe(true);
    expect(performance.now() - t0).toBeLessThan(5000);
    await closed; // its connection was cut
  } finally {
    socket?.destroy();
    await t.close();
  }
});
