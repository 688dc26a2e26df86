// GET /api/state over HTTP with the nodes' JSON buffers reused from response to response
// (db/repositories/history/buffer-pool.ts): a buffer goes back only once the socket has written it,
// so a client that reads slowly, while other responses at other moments are built and sent, still
// gets its own bytes.
import http from 'node:http';
import type { Fact } from '@netatlas/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { FactWriter } from '../db/repositories/history/fact-writer.js';
import { chunkStats } from '../db/repositories/history/node-chunks.js';
import { route } from '../testing/facts.js';
import { startTestApi, type TestApi } from '../testing/api.js';
import { WHOLE_READS, WHOLE_READS_AT_ONCE } from './whole-reads.js';
import { spoolStats } from './response-spool.js';
import { setupOnce } from '../testing/setup.js';
import { withBigNode } from '../testing/big-node.js';

const NODES = 12;
const ROUTES = 1500; // ~0.5 MB of JSON a node, ~6 MB a response: more than the sockets' buffers hold
const EPOCH = 1_764_000_000_000;
const name = (i: number) => `sr-${String(i).padStart(2, '0')}`;
const sorted = (facts: Fact[]) => [...facts].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

/** GET `url`, reading nothing for `pauseMs` after the headers; the body parsed */
function slowGet(url: string, pauseMs: number): Promise<{ nodes: Record<string, Fact[]> }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.pause();
        setTimeout(() => res.resume(), pauseMs);
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('GET /api/state with reused buffers', () => {
  let t: TestApi;
  /** the expected state of each node at each of the moments */
  const moments: Array<{ at: string; state: Map<string, Fact[]> }> = [];

  setupOnce(async () => {
    t = await startTestApi('stateresp');
    const writer = new FactWriter(t.api.database.pool);
    for (let i = 0; i < NODES; i++) await writer.hello(name(i), { epoch: EPOCH, bootId: 'boot', readers: {} });
    // three moments; each moves every route to another gateway, so every node's bytes differ between them
    for (let m = 0; m < 3; m++) {
      const state = new Map<string, Fact[]>();
      for (let i = 0; i < NODES; i++) {
        const facts = Array.from({ length: ROUTES }, (_, r) => route(`10.${i}.${r % 250}.${Math.floor(r / 250)}/32`, `172.20.${m}.${(i % 250) + 1}`));
        await writer.applySnapshot(name(i), { epoch: EPOCH + m, seq: 1, takenAt: new Date().toISOString(), facts, readers: {} }, 'unknown');
        state.set(name(i), sorted(facts));
      }
      moments.push({ at: new Date().toISOString(), state });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('a slow reader and quick ones at other moments each get their own state', async () => {
    const url = (at: string) => `${t.url}/api/state?at=${encodeURIComponent(at)}`;
    for (let round = 0; round < 2; round++) {
      const [slow, ...quick] = await Promise.all([
        slowGet(url(moments[0]!.at), 400),
        slowGet(url(moments[1]!.at), 0),
        slowGet(url(moments[2]!.at), 0),
        slowGet(url(moments[1]!.at), 0),
      ]);
      const check = (body: { nodes: Record<string, Fact[]> }, m: number) => {
        expect(Object.keys(body.nodes).sort()).toEqual([...moments[m]!.state.keys()]);
        for (const [node, facts] of moments[m]!.state) expect(sorted(body.nodes[node]!), `${node} at moment ${m}`).toEqual(facts);
      };
      check(slow, 0);
      check(quick[0]!, 1);
      check(quick[1]!, 2);
      check(quick[2]!, 1);
    }
    // (whole-cluster reads go one at a time: beside other suites on two cores, 5 s was too short)
  }, 60_000);

  it('a node larger than a piece reaches a slow reader whole, while its spool spills to a file and other reads reuse buffers', async () => {
    const writer = new FactWriter(t.api.database.pool);
    await writer.hello('sr-big', { epoch: EPOCH, bootId: 'boot', readers: {} });
    // 40k routes: ~13 MB of JSON in 1 MB pieces, more than the spool keeps in memory (8 MB)
    const facts = Array.from({ length: 40_000 }, (_, r) => route(`10.200.${r >> 8}.${r & 255}/32`, '172.21.0.1'));
    await writer.applySnapshot('sr-big', { epoch: EPOCH, seq: 1, takenAt: new Date().toISOString(), facts, readers: {} }, 'unknown');
    const files = spoolStats.fileSpools;
    try {
      const [slow, quick] = await Promise.all([slowGet(`${t.url}/api/state`, 600), slowGet(`${t.url}/api/state?at=${encodeURIComponent(moments[2]!.at)}`, 0)]);
      expect(sorted(slow.nodes['sr-big']!)).toEqual(sorted(facts));
      expect(sorted(quick.nodes[name(0)]!)).toEqual(moments[2]!.state.get(name(0)));
      expect(spoolStats.fileSpools, 'the slow response went on in a file').toBeGreaterThan(files);
    } finally {
      await writer.applySnapshot('sr-big', { epoch: EPOCH, seq: 2, takenAt: new Date().toISOString(), facts: [], readers: {} }, 'unknown');
    }
  }, 60_000);

  it('a client that leaves while its state is read has what was being read for it cancelled, and the next read is whole', async () => {
    const pool = t.api.database.pool;
    // 150k routes, ~30 MB of COPY in the read's second chunk (the first is the eight lead nodes)
    await withBigNode(pool, { name: 'sr-huge', routes: 150_000, octet: 97, note: 100 }, async () => {
      const before = chunkStats.cancelled;
      // leave at the first bytes: the lead nodes are written while the huge chunk is still read
      await new Promise<void>((resolve, reject) => {
        const req = http.get(`${t.url}/api/state`, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
          res.on('error', () => undefined);
        });
        req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      });
      await expect.poll(() => chunkStats.cancelled - before, { timeout: 10_000 }).toBe(1);
      const after = await slowGet(`${t.url}/api/state`, 0);
      expect(after.nodes['sr-huge']).toHaveLength(150_000);
    });
  }, 60_000);

  it('a client that leaves while its diff is built has its statements cancelled, and the next diff is whole', async () => {
    const pool = t.api.database.pool;
    const from = new Date(Date.now() - 60_000).toISOString();
    // 150k routes that begin now: all of them added in the last minute; a diff writes nothing until
    // it is built whole (nodes in name order), so a client that leaves has had no byte
    await withBigNode(pool, { name: 'sr-huge-diff', routes: 150_000, octet: 96, note: 100 }, async () => {
      const url = `${t.url}/api/diff?from=${encodeURIComponent(from)}`;
      const before = chunkStats.cancelled;
      await new Promise<void>((resolve) => {
        const req = http.get(url, () => undefined);
        req.on('error', () => undefined);
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 300);
      });
      await expect.poll(() => chunkStats.cancelled - before, { timeout: 10_000, message: 'statements cancelled' }).toBeGreaterThanOrEqual(1);
      const t0 = performance.now();
      const after = (await slowGet(url, 0)) as unknown as { nodes: Record<string, { route?: { added: Fact[] } }> };
      expect(after.nodes['sr-huge-diff']?.route?.added, `the diff, built in ${Math.round(performance.now() - t0)} ms`).toHaveLength(150_000);
    });
  }, 60_000);

  it('whole-cluster reads beyond the line are refused with 503 and Retry-After, and answered once it shortens', async () => {
    // the reads that may run, running, and 32 waiting: the line is full
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holders = Array.from({ length: WHOLE_READS_AT_ONCE + 32 }, () => WHOLE_READS.run(() => held));
    try {
      expect(WHOLE_READS.active).toBe(WHOLE_READS_AT_ONCE);
      expect(WHOLE_READS.queued).toBe(32);
      for (const path of ['/api/state', `/api/diff?from=${encodeURIComponent(moments[0]!.at)}`]) {
        const res = await fetch(`${t.url}${path}`);
        expect(res.status, path).toBe(503);
        expect(res.headers.get('retry-after')).toBe('2');
        expect(((await res.json()) as { message: string }).message).toMatch(/too many whole-cluster reads/);
      }
    } finally {
      release();
      await Promise.all(holders);
    }
    const res = await fetch(`${t.url}/api/state?at=${encodeURIComponent(moments[0]!.at)}`);
    expect(res.status).toBe(200);
    expect(Object.keys(((await res.json()) as { nodes: object }).nodes)).toHaveLength(NODES);
  });
});
