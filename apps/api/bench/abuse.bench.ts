// npm run bench:abuse [-- --phase-s 15]: what hostile or broken clients cost everyone else. The API
// runs in its own process on a fresh database; ten well-behaved collectors send a delta every 50 ms
// each and a prober asks /api/health every 100 ms, and their latencies are measured
//   - with nobody else (the baseline),
//   - with five readers of /api/state that read nothing (a 16-node state of 80k facts),
//   - with one socket flooding deltas as fast as it can (acks ignored),
//   - with twenty sockets sending ~31 MB snapshots over and over (refused ones sent again),
// and printed side by side with the API's largest RSS in each phase. The issue's bound: with abuse,
// the p99s stay within 2× of the baseline's. The bench client shares the machine's cores with the
// API and Postgres, so an abuse that costs the client CPU (serialising 31 MB snapshots) shows too.
import { readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { parseArgs } from 'node:util';
import type { Fact } from '@netatlas/wire';
import { connectIngest, FakeCollector, TEST_TOKEN } from '../src/testing/api.js';
import { route } from '../src/testing/facts.js';
import { createTestDatabase } from '../src/testing/postgres.js';
import { startApiProcess } from './api-process.js';
import { ms, quantile, table } from './stats.js';

const { values } = parseArgs({ options: { 'phase-s': { type: 'string', default: '15' } } });
const PHASE_MS = Number(values['phase-s']) * 1000;
const log = (line: string) => process.stderr.write(`[abuse] ${line}\n`);
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

const rssOf = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

interface PhaseResult {
  name: string;
  ack: number[];
  health: number[];
  rssMaxMb: number;
  note: string;
}

const db = await createTestDatabase('bench_abuse');
const api = await startApiProcess({ DATABASE_URL: db.url, NETATLAS_TOKEN: TEST_TOKEN, PORT: '0', HOST: '127.0.0.1', NETATLAS_MAX_MESSAGE_MB: '32', NETATLAS_SLOW_READER_TIMEOUT_S: '600' });
const open: Array<{ close(): void }> = [];
try {
  log(`API pid ${api.pid} at ${api.url}; loading a 16-node state of 80k facts`);
  for (let n = 0; n < 16; n++) {
    const c = await FakeCollector.connect(api.url, `state-${n}`);
    open.push(c);
    await c.snapshot(Array.from({ length: 5000 }, (_, i) => route(`10.${n}.${i >> 8}.${i & 255}/32`)));
  }
  const good = await Promise.all(Array.from({ length: 10 }, (_, i) => FakeCollector.connect(api.url, `good-${i}`)));
  open.push(...good);
  for (const c of good) await c.snapshot([]);

  /** The well-behaved load and the probes for `PHASE_MS`, while `abuse` runs; what they measured. */
  const phase = async (name: string, abuse: () => { stop(): Promise<string> } | null): Promise<PhaseResult> => {
    log(`${name}…`);
    const ack: number[] = [];
    const health: number[] = [];
    let rssMaxMb = rssOf(api.pid);
    let running = true;
    const a = abuse();
    await sleep(1000); // the abuse gets going
    const end = Date.now() + PHASE_MS;
    const senders = good.map(async (c, i) => {
      let k = 0;
      while (Date.now() < end) {
        const t0 = performance.now();
        const r = await c.delta([route(`10.${100 + i}.${(k >> 8) & 255}.${k & 255}/32`)], [], c.seq + 1).catch(() => ({ ok: false }));
        if (r.ok) {
          c.seq += 1;
          ack.push(performance.now() - t0);
        } else ack.push(Infinity);
        k++;
        await sleep(50);
      }
    });
    const prober = (async () => {
      while (Date.now() < end) {
        const t0 = performance.now();
        const ok = await fetch(`${api.url}/api/health`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.ok, () => false);
        health.push(ok ? performance.now() - t0 : Infinity);
        await sleep(100);
      }
    })();
    const sampler = setInterval(() => {
      if (running) rssMaxMb = Math.max(rssMaxMb, rssOf(api.pid));
    }, 200);
    await Promise.all([...senders, prober]);
    running = false;
    clearInterval(sampler);
    const note = a ? await a.stop() : '';
    await sleep(2000); // let the API settle before the next phase
    return { name, ack, health, rssMaxMb, note };
  };

  const slowReaders = () => {
    const reqs: Array<{ destroy(): void }> = [];
    for (let i = 0; i < 5; i++) {
      const req = request(`${api.url}/api/state`, (res: IncomingMessage) => {
        res.on('error', () => undefined);
        res.pause();
      });
      req.on('error', () => undefined);
      req.end();
      reqs.push(req);
    }
    return {
      stop: async () => {
        for (const r of reqs) r.destroy();
        return '5 readers of /api/state reading nothing';
      },
    };
  };

  const flood = () => {
    let sent = 0;
    let stopped = false;
    const done = (async () => {
      const socket = await connectIngest(api.url);
      const f = new FakeCollector(socket, 'flooder');
      await f.hello();
      await f.snapshot([]);
      const raw = socket as unknown as { emit(event: string, message: unknown, ack: () => void): void };
      let seq = 2;
      const t0 = Date.now();
      while (!stopped) {
        // 10k deltas a second, in bursts of 100 every 10 ms
        for (let i = 0; i < 100; i++) raw.emit('delta', { epoch: f.epoch, seq: seq++, takenAt: new Date().toISOString(), upserts: [route(`10.250.${(seq >> 8) & 255}.${seq & 255}/32`)], deletes: [] }, () => undefined);
        sent += 100;
        await sleep(Math.max(0, t0 + (sent / 10_000) * 1000 - Date.now()));
      }
      socket.close();
    })();
    return {
      stop: async () => {
        stopped = true;
        await done;
        return `${sent} deltas from one socket (${Math.round(sent / ((PHASE_MS + 1000) / 1000))}/s)`;
      },
    };
  };

  const herd = () => {
    let stopped = false;
    let accepted = 0;
    let refused = 0;
    // ~31 MB of JSON: 140k routes (one array, serialised for each socket)
    const facts: Fact[] = Array.from({ length: 140_000 }, (_, i) => route(`10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`, '172.20.0.11', 'eth0'));
    const done = Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        const c = await FakeCollector.connect(api.url, `herd-${n}`);
        let seq = 1;
        while (!stopped) {
          const r = await c.snapshot(facts, seq).catch(() => ({ ok: false }));
          if (r.ok) {
            accepted++;
            seq++;
          } else {
            refused++;
            await sleep(200);
          }
        }
        c.close();
      }),
    );
    return {
      stop: async () => {
        stopped = true;
        await done;
        return `20 sockets × 31 MB snapshots: ${accepted} taken, ${refused} refused (sent again)`;
      },
    };
  };

  const results = [await phase('baseline', () => null), await phase('slow readers', slowReaders), await phase('flood', flood), await phase('oversized snapshots', herd)];
  const base = results[0]!;
  const p = (xs: number[], q: number) => quantile(Float64Array.from(xs).sort(), q);
  const rows = [['phase', 'ack p50', 'ack p99', 'health p50', 'health p99', 'API RSS max', 'within 2×', 'abuse']];
  for (const r of results) {
    const within = p(r.ack, 0.99) <= 2 * p(base.ack, 0.99) && p(r.health, 0.99) <= 2 * p(base.health, 0.99);
    rows.push([r.name, ms(p(r.ack, 0.5)), ms(p(r.ack, 0.99)), ms(p(r.health, 0.5)), ms(p(r.health, 0.99)), `${r.rssMaxMb.toFixed(0)} MB`, r === base ? '' : within ? 'yes' : 'NO', r.note]);
  }
  process.stdout.write(`${table(rows)}\n`);
  process.stdout.write(`(${results.map((r) => `${r.name}: ${r.ack.length} acks, ${r.health.length} probes`).join('; ')})\n`);
} finally {
  for (const s of open) s.close();
  await api.stop();
  await db.drop();
}
