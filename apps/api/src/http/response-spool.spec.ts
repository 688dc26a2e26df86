// The spool between a whole-cluster read and its client, on a real stream that takes nothing until
// the test reads it: what waits goes to the spool's file, a buffer written there is given back only
// once the file has its bytes (the read reuses it at once for the next node), and a file that fails
// (a full disk) fails the response, never the API.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ResponseSpool } from './response-spool.js';

/** A client's socket that takes one byte, then waits until read. */
const stalledClient = () => new PassThrough({ highWaterMark: 1 });

const drain = async (client: PassThrough): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of client) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

describe('ResponseSpool', () => {
  it('gives a buffer back only once its file has the bytes: a buffer reused at once does not change what the client gets', async () => {
    const client = stalledClient();
    const spool = new ResponseSpool(client, { memoryBytes: 0, stallMs: 10_000 });
    await spool.write('[');
    const expected: Buffer[] = [Buffer.from('[')];
    // small buffers (under the file stream's 16 kB high-water mark: its write says "more" at once),
    // each overwritten the moment it is given back, as the next node's JSON would overwrite it
    for (let i = 0; i < 200; i++) {
      const buf = Buffer.alloc(1000, 0x30 + (i % 10));
      expected.push(Buffer.from(buf));
      await spool.write(buf, () => buf.fill(0x78));
    }
    const body = drain(client);
    await spool.finish(']');
    expected.push(Buffer.from(']'));
    expect((await body).equals(Buffer.concat(expected))).toBe(true);
  });

  it('a full disk fails the response with its reason, not the API (an uncaught error of the file stopped it)', async () => {
    // a 64 kB tmpfs (needs root, as the lab does): the spool's file runs out of room
    const dir = await mkdtemp(join(tmpdir(), 'spool-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    try {
      const client = stalledClient();
      const spool = new ResponseSpool(client, { memoryBytes: 0, stallMs: 10_000, dir });
      await spool.write('[');
      // the disk nearly full already; a write under the file stream's 16 kB mark is queued with nobody
      // waiting on the file, and fails there
      await writeFile(join(dir, 'filler'), Buffer.alloc(60_000));
      await spool.write(Buffer.alloc(10_000, 0x61));
      await new Promise((r) => setTimeout(r, 100));
      const writes = spool.write(Buffer.alloc(1000, 0x61));
      await expect(writes).rejects.toThrow(/ENOSPC/);
      await spool.discard();
      expect(await readdir(dir), 'its file is gone').toEqual(['filler']);
    } finally {
      execFileSync('umount', [dir]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
