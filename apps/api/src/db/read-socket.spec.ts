// The read pool's socket (read-socket.ts) against a real TCP peer and a real Postgres: a listener
// marked `borrowing` is lent the one buffer the socket reads into, every chunk of it; any other
// listener gets copies that stay intact while the socket reads on; pg's own parser, given copies,
// answers queries of large rows on such a connection. (copy-out.spec runs all of copyRows on it.)
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { borrowing, readSocket } from './read-socket.js';

/** A server on loopback that sends `bytes` to whoever connects, then closes. */
async function sender(bytes: Buffer): Promise<Server> {
  const server = createServer((socket) => socket.end(bytes));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** What a listener saw of `bytes` sent through a read socket: each chunk as given, and a copy made at once. */
async function receive(bytes: Buffer, listen: (socket: ReturnType<typeof readSocket>, onChunk: (chunk: Buffer) => void) => void): Promise<{ given: Buffer[]; copies: Buffer[] }> {
  const server = await sender(bytes);
  try {
    const socket = readSocket();
    const given: Buffer[] = [];
    const copies: Buffer[] = [];
    listen(socket, (chunk) => {
      given.push(chunk);
      copies.push(Buffer.from(chunk));
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('end', resolve).once('error', reject);
      socket.connect((server.address() as AddressInfo).port, '127.0.0.1');
    });
    socket.destroy();
    return { given, copies };
  } finally {
    server.close();
  }
}

describe('read pool socket', () => {
  const bytes = randomBytes(4 << 20);

  it('lends a borrowing listener its one read buffer, chunk after chunk', async () => {
    const { given, copies } = await receive(bytes, (socket, onChunk) => socket.on('data', borrowing(onChunk)));
    expect(Buffer.concat(copies).equals(bytes), 'what was read during each call is what was sent').toBe(true);
    expect(given.length, 'many chunks').toBeGreaterThan(10);
    expect(new Set(given.map((c) => c.buffer)).size, 'one ArrayBuffer for every chunk: no allocation per read').toBe(1);
  });

  it('gives any other listener a copy of each chunk, intact after the socket has read on', async () => {
    const { given } = await receive(bytes, (socket, onChunk) => socket.on('data', onChunk));
    expect(given.length).toBeGreaterThan(10);
    expect(new Set(given.map((c) => c.buffer)).size, 'a buffer of its own per chunk').toBe(given.length);
    expect(Buffer.concat(given).equals(bytes), 'the chunks kept are the bytes sent').toBe(true);
  });

  it('keeps what comes before anyone listens, for the first listener', async () => {
    const { given } = await receive(bytes, (socket, onChunk) => socket.once('connect', () => setTimeout(() => socket.on('data', onChunk), 100)));
    expect(Buffer.concat(given).equals(bytes)).toBe(true);
  });

  describe('as the stream of a Postgres connection', () => {
    let database: TestDatabase;
    afterAll(async () => database?.drop());

    it("answers queries through pg's parser, rows of 1 MB included, in turn with other queries", async () => {
      database = await createTestDatabase('readsocket');
      const pool = new pg.Pool({ connectionString: database.url, max: 2, stream: readSocket });
      try {
        const big = (await pool.query("SELECT g, repeat(chr(64 + g), 1000000) AS s FROM generate_series(1, 5) g")).rows as Array<{ g: number; s: string }>;
        expect(big.map((r) => [r.g, r.s.length, r.s[0], r.s.at(-1)])).toEqual([1, 2, 3, 4, 5].map((g) => [g, 1_000_000, String.fromCharCode(64 + g), String.fromCharCode(64 + g)]));
        const both = await Promise.all([pool.query('SELECT count(*)::int AS n FROM generate_series(1, 100000)'), pool.query("SELECT md5(repeat('x', 300000)) AS h")]);
        expect(both[0].rows[0].n).toBe(100_000);
        expect(both[1].rows[0].h).toBe((await pool.query("SELECT md5(repeat('x', 300000)) AS h")).rows[0].h);
      } finally {
        await pool.end();
      }
    });
  });
});
