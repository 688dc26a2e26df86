// The sockets of the read pool's connections: each reads into one buffer of its own, reused for
// every read, rather than into a new Buffer per read as a net.Socket does. A whole-cluster read
// brings hundreds of MB through its connection (the state of 400k facts: 152 MB), and every
// Buffer allocated counts towards V8's old-generation limit as external memory until the next
// full collection: five readers of that state had the API's thread run a mark-compact every
// 150–250 ms (each 5–18 ms of pause and 10–40 ms of marking steps), on the thread that acks the
// collectors' deltas. With this socket: mark-compacts over 5 ms in 15 s of those readers 20 → 8,
// GC pauses over 5 ms 299 → 215 ms (the acks' p99 did not move beyond its noise; README, bench:abuse).
//
// A chunk of a reused buffer is valid only while its 'data' listeners run. Listeners marked
// `borrowing` (copy-out.ts, which copies what it keeps) are given it as it is; any other listener
// (pg's own parser, which keeps a message cut at a chunk's end in the chunk it came in) is given
// a copy. So only COPY's bytes go uncopied, which is where the volume is.
// https://nodejs.org/api/net.html#socketconnectoptions-connectlistener (onread)
import net from 'node:net';

const BORROWS = Symbol('reads its chunk only during the call');

/** Marks a socket 'data' listener that reads its chunk only during the call and copies what it keeps. */
export function borrowing<L extends (chunk: Buffer) => void>(listener: L): L {
  (listener as L & { [BORROWS]?: true })[BORROWS] = true;
  return listener;
}

/** the buffer each socket reads into: libuv's own read size (a plain socket's chunks are up to 64 kB) */
const READ_BYTES = 64 * 1024;

/**
 * A socket for node-postgres' `stream` option (it calls this with the connection's settings): one
 * that reads into a buffer it reuses, or a plain one when the connection is TLS (a TLS socket
 * reads its underlying socket's handle itself).
 */
export function readSocket(settings?: { ssl?: unknown }): net.Socket {
  if (settings?.ssl) return new net.Socket();
  // `onread` is read by the constructor (net.connect passes its options on to it); Node's types list it for connect only
  const socket: net.Socket = new net.Socket({
    onread: {
      buffer: Buffer.allocUnsafe(READ_BYTES),
      callback: (bytes: number, buffer: Uint8Array) => {
        const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
        const listeners = socket.listeners('data') as Array<(chunk: Buffer) => void>;
        // nobody listening yet: kept (a copy) in the stream's buffer, for the first listener
        if (listeners.length === 0) return void socket.push(Buffer.from(chunk));
        const lend = listeners.every((l) => (l as { [BORROWS]?: true })[BORROWS]);
        socket.emit('data', lend ? chunk : Buffer.from(chunk));
      },
    },
  } as net.SocketConstructorOpts);
  return socket;
}
