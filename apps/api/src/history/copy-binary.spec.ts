// The binary COPY reader on streams the real Postgres sends: awkward text (quotes, backslashes,
// control characters, non-ASCII, empty) and NULLs come out byte for byte, however the stream is cut
// into chunks; a stream cut short, a wrong signature and data after the trailer are errors.
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';
import { CopyBinaryError, CopyBinaryReader } from './copy-binary.js';

const TEXTS = ['plain', '', 'quote " and \\ backslash', 'tab\tnewline\nreturn\r', 'ünïcödé ✓ 𝄞', '\u0001\u001f', 'x'.repeat(300_000)];

describe('CopyBinaryReader', () => {
  let database: TestDatabase;
  let client: pg.Client;
  let stream: Buffer;

  setupOnce(async () => {
    database = await createTestDatabase('copybinary');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('CREATE TABLE t (i int, a text, b text)');
    for (const [i, a] of TEXTS.entries()) await client.query('INSERT INTO t VALUES ($1, $2, $3)', [i, a, i % 2 ? null : `${a}!`]);
    const chunks: Buffer[] = [];
    for await (const c of client.query(copyTo('COPY (SELECT a, b FROM t ORDER BY i) TO STDOUT (FORMAT binary)')) as AsyncIterable<Buffer>) chunks.push(c);
    stream = Buffer.concat(chunks);
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  const expected = TEXTS.map((a, i) => [a, i % 2 ? null : `${a}!`]);
  const read = (pieces: Buffer[]) => {
    const reader = new CopyBinaryReader();
    const rows = pieces.flatMap((p) => reader.push(p));
    reader.finish();
    return rows.map((r) => r.map((f) => (f === null ? null : f.toString('utf8'))));
  };

  it('reads every row and field, NULLs included, from one chunk', () => {
    expect(read([stream])).toEqual(expected);
  });

  it('reads the same whatever the chunking: byte by byte at the edges, random cuts, 64 kB pieces', () => {
    const cuts = (sizes: () => number) => {
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length; ) {
        const n = Math.max(1, sizes());
        out.push(stream.subarray(at, at + n));
        at += n;
      }
      return out;
    };
    let i = 0;
    expect(read(cuts(() => (i++ < 200 ? 1 : 977)))).toEqual(expected);
    for (let run = 0; run < 20; run++) expect(read(cuts(() => Math.floor(Math.random() * 5000)))).toEqual(expected);
    expect(read(cuts(() => 65536))).toEqual(expected);
  });

  it('rejects a stream cut short, a wrong signature and data after the trailer', () => {
    expect(() => read([stream.subarray(0, stream.length - 1)])).toThrow(CopyBinaryError);
    expect(() => read([stream.subarray(0, 100_000)])).toThrow('ended early');
    const bad = Buffer.from(stream);
    bad[0] = 0x51;
    expect(() => new CopyBinaryReader().push(bad)).toThrow('bad signature');
    expect(() => read([stream, Buffer.from([0])])).toThrow('after the end');
  });
});
