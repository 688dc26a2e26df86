// A websocket frame over the transport's limit costs its sender, not the API (issue 15, bench:abuse's
// oversized messages): its connection is cut as soon as the frame's header is read, instead of ws
// answering with a close frame and reading (and throwing away) the rest of the frame until the
// sender's close comes. Spoken over a raw TCP socket, so the test sees exactly what the API does.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { setupOnce } from '../testing/setup.js';
import { socketStats } from './socket-server.js';

/** A websocket on socket.io's engine, opened by hand: the socket, and the bytes that came after the 101. */
async function openWebsocket(url: string): Promise<{ socket: Socket; received: Buffer[] }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const received: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${head.split('\r\n')[0]}`));
      const rest = Buffer.from(head.slice(end + 4), 'latin1');
      if (rest.length) received.push(rest);
      socket.on('data', (more: Buffer) => received.push(more));
      resolve();
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  return { socket, received };
}

/** The header of a masked text frame of `length` bytes (a client's frames are masked). */
function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x81; // FIN, text
  header[1] = 0x80 | 127; // masked, 64-bit length
  header.writeBigUInt64BE(BigInt(length), 2);
  randomBytes(4).copy(header, 10);
  return header;
}

describe('a websocket frame over the transport limit', () => {
  let t: TestApi;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    // 1 MB messages: the transport's limit is twice that plus 1 MB
    t = await startTestApi('oversized_frames', { maxMessageBytes: 1 << 20 });
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  it('has its connection cut at its header: the rest of the frame is never read', async () => {
    const cutBefore = socketStats.oversizedFramesCut;
    const { socket, received } = await openWebsocket(t.url);
    socket.on('error', () => undefined); // the reset, seen by the write below
    // a 32 MB frame, whole, as a hostile or broken sender writes it. ws alone answers its header
    // with a close frame, ends its side, and reads (and throws away) all 32 MB before it lets go:
    // the write would succeed. Cut at the header, the rest meets a reset and the write fails.
    const payload = Buffer.alloc(32 << 20, 0x61);
    const written = await new Promise<string>((resolve) => socket.write(Buffer.concat([frameHeader(payload.length), payload]), (error) => resolve(error ? `failed: ${(error as NodeJS.ErrnoException).code ?? error.message}` : 'all written')));
    expect(written, 'the API did not read the frame to its end').toMatch(/^failed: /);
    expect(socketStats.oversizedFramesCut).toBe(cutBefore + 1);
    // what came before was the engine's open packet (a text frame starting with "0"): the socket was open
    const bytes = Buffer.concat(received);
    expect([bytes[0], bytes.subarray(2, 3).toString()], "engine.io's open packet").toEqual([0x81, '0']);
    socket.destroy();
  });

  it('leaves the API answering collectors as before', async () => {
    const c = await FakeCollector.connect(t.url, 'after-oversized');
    open.push(c);
    expect((await c.snapshot([])).ok).toBe(true);
  });
});
