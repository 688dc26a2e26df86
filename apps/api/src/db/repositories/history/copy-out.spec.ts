// copyRows against the real Postgres: awkward text (quotes, backslashes, control characters,
// non-ASCII, empty, 300 kB) and NULLs come out byte for byte; 50,000 rows cross many socket chunks
// (messages cut anywhere, even inside their 5-byte header); after a query error, a stream that is
// not binary COPY and a consumer that throws, the call rejects and the connection still works.
// All of it on a plain socket and on the read pool's, which lends copy-out one buffer it reads
// into again and again (read-socket.ts): what copy-out keeps past a chunk must be its own copy.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/postgres.js';
import { setupOnce } from '../../../testing/setup.js';
import { pauseTurnsWhile } from '../../../realtime/turns.js';
import { readSocket } from '../../read-socket.js';
import { copyPacing, copyRows, type RawRow } from './copy-out.js';

const TEXTS = ['plain', '', 'quote " and \\ backslash', 'tab\tnewline\nreturn\r', 'ünïcödé ✓ 𝄞', '\u0001\u001f', 'x'.repeat(300_000)];

describe.each([
  ['a plain socket', undefined],
  ['a read pool socket (one read buffer, reused)', readSocket],
])('copyRows on %s', (_, stream) => {
  let database: TestDatabase;
  let client: pg.Client;

  setupOnce(async () => {
    database = await createTestDatabase('copyout');
    client = new pg.Client({ connectionString: database.url, ...(stream ? { stream } : {}) });
    await client.connect();
    await client.query('CREATE TABLE t (i int, a text, b text)');
    for (const [i, a] of TEXTS.entries()) await client.query('INSERT INTO t VALUES ($1, $2, $3)', [i, a, i % 2 ? null : `${a}!`]);
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  const texts = (into: Array<Array<string | null>>): RawRow => (buf, starts, lengths, fields) => {
    const row: Array<string | null> = [];
    for (let i = 0; i < fields; i++) row.push(lengths[i]! < 0 ? null : buf.toString('utf8', starts[i]!, starts[i]! + lengths[i]!));
    into.push(row);
  };

  it('gives every row and field byte for byte, NULLs included', async () => {
    const got: Array<Array<string | null>> = [];
    expect(await copyRows(client, 'COPY (SELECT a, b FROM t ORDER BY i) TO STDOUT (FORMAT binary)', texts(got))).toBe(TEXTS.length);
    expect(got).toEqual(TEXTS.map((a, i) => [a, i % 2 ? null : `${a}!`]));
  });

  it('reads rows that cross socket chunks, whatever their sizes', async () => {
    let sum = 0;
    let bytes = 0;
    // lengths from 0 to 1200 bytes: the 64 kB chunks cut messages at every possible offset
    const n = await copyRows(client, "COPY (SELECT g, repeat('y', (g * 7919) % 1201) FROM generate_series(1, 50000) g) TO STDOUT (FORMAT binary)", (buf, starts, lengths) => {
      const g = buf.readInt32BE(starts[0]!);
      sum += g;
      if (lengths[1] !== (g * 7919) % 1201) throw new Error(`row ${g}: ${lengths[1]} bytes`);
      bytes += lengths[1]!;
    });
    expect(n).toBe(50_000);
    expect(sum).toBe((50_000 * 50_001) / 2);
    expect(bytes).toBeGreaterThan(20_000_000);
  });

  it('pauses between turns while ingest works, and still gives every row; reads flat out otherwise', async () => {
    const read = async () => {
      let sum = 0;
      const n = await copyRows(client, "COPY (SELECT g, repeat('z', 300) FROM generate_series(1, 100000) g) TO STDOUT (FORMAT binary)", (buf, starts) => {
        sum += buf.readInt32BE(starts[0]!);
      });
      return { n, sum };
    };
    const whole = { n: 100_000, sum: (100_000 * 100_001) / 2 };
    let before = copyPacing.pauses;
    expect(await read()).toEqual(whole);
    expect(copyPacing.pauses - before, 'nobody waits: no pause').toBe(0);
    pauseTurnsWhile(() => true);
    try {
      before = copyPacing.pauses;
      expect(await read()).toEqual(whole);
      expect(copyPacing.pauses - before, 'ingest works: pauses').toBeGreaterThan(0);
    } finally {
      pauseTurnsWhile(() => false);
    }
  });

  it('gives the event loop a round after every turn even when nobody waits (libuv would hand over a batch of up to 32 chunks at once)', async () => {
    // each row costs ~20 µs here: a turn (TURN_MS) is ~100 rows, a 64 kB chunk of these rows ~200;
    // between two rounds of the loop (a setImmediate ticker) at most a turn and the chunk it ended in
    let rows = 0;
    let lastTick = 0;
    let most = 0;
    let done = false;
    const tick = () => {
      most = Math.max(most, rows - lastTick);
      lastTick = rows;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const n = await copyRows(client, "COPY (SELECT g, repeat('z', 300) FROM generate_series(1, 30000) g) TO STDOUT (FORMAT binary)", () => {
      rows += 1;
      const until = performance.now() + 0.02;
      while (performance.now() < until);
    });
    done = true;
    expect(n).toBe(30_000);
    expect(most, 'rows handed over in one round of the event loop').toBeLessThan(1000);
  });

  it('rejects on a query error, a stream that is not binary COPY and a consumer that throws; the connection goes on', async () => {
    await expect(copyRows(client, 'COPY (SELECT 1 / (g - 3) FROM generate_series(1, 5) g) TO STDOUT (FORMAT binary)', () => undefined)).rejects.toThrow(/division by zero/);
    expect((await client.query('SELECT 41 + 1 AS n')).rows[0]).toEqual({ n: 42 });
    await expect(copyRows(client, 'COPY (SELECT 1) TO STDOUT', () => undefined)).rejects.toThrow('bad signature');
    expect((await client.query('SELECT 2 AS n')).rows[0]).toEqual({ n: 2 });
    const failing: RawRow = () => {
      throw new Error('the consumer failed');
    };
    await expect(copyRows(client, 'COPY (SELECT g FROM generate_series(1, 10) g) TO STDOUT (FORMAT binary)', failing)).rejects.toThrow('the consumer failed');
    expect((await client.query('SELECT 3 AS n')).rows[0]).toEqual({ n: 3 });
    await expect(copyRows(client, 'COPY (SELECT * FROM no_such_table) TO STDOUT (FORMAT binary)', () => undefined)).rejects.toThrow(/no_such_table/);
    expect((await client.query('SELECT 4 AS n')).rows[0]).toEqual({ n: 4 });
  });
});
