// The abuses of bench:abuse, each in a process of its own: `abuser.ts flood URL` (one socket sending
// 10k deltas a second, acks ignored), `abuser.ts herd URL` (20 collectors resyncing ~31 MB states
// in parts, a refused one sent again after the collector's back-off) or `abuser.ts whole URL` (20 sockets sending
// ~31 MB snapshots as one message each, over the message limit). Runs until SIGTERM, then prints one line: what it did.
import { SNAPSHOT_PART_BYTES, type Fact } from '@netatlas/wire';
import { connectIngest, FakeCollector } from '../src/testing/api.js';
import { route } from '../src/testing/facts.js';

const [mode, url] = process.argv.slice(2) as [string, string];
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
let stopped = false;
const started = Date.now();
let report = (): string => `${mode}: stopped before it reported`;

async function flood(): Promise<string> {
  let sent = 0;
  let disconnected = 0;
  report = () => `${sent} deltas from one socket (${Math.round(sent / ((Date.now() - started) / 1000))}/s), cut off ${disconnected} time(s) and reconnected`;
  while (!stopped) {
    const socket = await connectIngest(url).catch(() => null);
    if (!socket) {
      await sleep(100);
      continue;
    }
    const f = new FakeCollector(socket, 'flooder');
    await f.hello();
    await f.snapshot([]);
    const raw = socket as unknown as { emit(event: string, message: unknown, ack: () => void): void };
    let seq = 2;
    const t0 = Date.now();
    let k = 0;
    while (!stopped && socket.connected) {
      // 10k deltas a second, in bursts of 100 every 10 ms
      for (let i = 0; i < 100; i++) raw.emit('delta', { epoch: f.epoch, seq: seq++, takenAt: new Date().toISOString(), upserts: [route(`10.250.${(seq >> 8) & 255}.${seq & 255}/32`)], deletes: [] }, () => undefined);
      sent += 100;
      k += 100;
      await sleep(Math.max(0, t0 + (k / 10_000) * 1000 - Date.now()));
    }
    if (!socket.connected) disconnected++;
    socket.close();
  }
  return report();
}

/** ~31 MB of JSON: ~117k routes */
function herdFacts(): Fact[] {
  const all: Fact[] = Array.from({ length: 140_000 }, (_, i) => route(`10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`, '172.20.0.11', 'eth0'));
  const perFact = JSON.stringify(all).length / all.length;
  const facts = all.slice(0, Math.floor((31 * 1024 * 1024 - 512) / perFact));
  process.stderr.write(`[abuser] ${mode}: ${facts.length} facts, ${(JSON.stringify(facts).length / 1048576).toFixed(1)} MB a snapshot\n`);
  return facts;
}

/** 20 collectors resyncing a ~31 MB state each, over and over, in parts as collectors send it (a refused one again after a back-off) */
async function herd(): Promise<string> {
  let accepted = 0;
  let refused = 0;
  let cut = 0;
  const facts = herdFacts();
  report = () => `20 sockets × 31 MB snapshots in parts (${facts.length} facts): ${accepted} taken, ${refused} refused (sent again after a back-off), ${cut} connection(s) cut`;
  await Promise.all(
    Array.from({ length: 20 }, async (_, n) => {
      while (!stopped) {
        const c = await FakeCollector.connect(url, `herd-${n}`).catch(() => null);
        if (!c) {
          await sleep(200);
          continue;
        }
        // the parts are cut once per snapshot and sent again as they are when refused, as the
        // collector's StreamClient does (cutting them is a serialisation of all 31 MB)
        let parts = c.partsOf(facts, SNAPSHOT_PART_BYTES, 1);
        let refusedInARow = 0;
        while (!stopped && c.socket.connected) {
          const r = await c.sendParts(parts).catch(() => ({ ok: false }));
          if (r.ok) {
            accepted++;
            refusedInARow = 0;
            parts = c.partsOf(facts, SNAPSHOT_PART_BYTES, parts[0]!.seq + 1);
          } else {
            refused++;
            // backing off as the collector's StreamClient does after `unavailable`: 0.5 s doubling
            // up to 10 s, each ± 50 % (apps/collector/src/stream/backoff.ts)
            await sleep(Math.min(10_000, 500 * 2 ** refusedInARow++) * (0.5 + Math.random()));
          }
        }
        if (!c.socket.connected) cut++;
        c.close();
      }
    }),
  );
  return report();
}

/** 20 sockets sending each ~31 MB snapshot as one message, over the API's message limit (an old or hostile client) */
async function whole(): Promise<string> {
  let sent = 0;
  let refused = 0;
  let cut = 0;
  const facts = herdFacts();
  report = () => `20 sockets × 31 MB whole snapshots: ${sent} sent, ${refused} refused, ${cut} connection(s) cut (reconnected after 200 ms)`;
  await Promise.all(
    Array.from({ length: 20 }, async (_, n) => {
      while (!stopped) {
        const c = await FakeCollector.connect(url, `whole-${n}`).catch(() => null);
        if (!c) {
          await sleep(200);
          continue;
        }
        while (!stopped && c.socket.connected) {
          sent++;
          const r = await c.snapshot(facts, 1).catch(() => ({ ok: false }));
          if (!r.ok) {
            refused++;
            await sleep(200);
          }
        }
        if (!c.socket.connected) cut++;
        c.close();
        await sleep(200);
      }
    }),
  );
  return report();
}

process.once('SIGTERM', () => {
  stopped = true;
  // a 31 MB snapshot may be on its way: report what was done rather than wait for it
  setTimeout(() => {
    process.stdout.write(`${report()}\n`);
    process.exit(0);
  }, 3000).unref();
});
const run = mode === 'flood' ? flood() : mode === 'herd' ? herd() : mode === 'whole' ? whole() : Promise.reject(new Error(`abuser: unknown mode ${mode}`));
process.stdout.write(`${await run}\n`);
process.exit(0);
