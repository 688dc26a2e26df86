// The abuses of bench:abuse, each in a process of its own: `abuser.ts flood URL` (one socket sending
// 10k deltas a second, acks ignored), `abuser.ts herd URL` (20 collectors resyncing ~31 MB states
// in parts, a refused one sent again after the collector's back-off) or `abuser.ts whole URL` (20 sockets sending
// ~31 MB snapshots as one message each, over the message limit). Prints `ready` once its state is
// built, runs until SIGTERM, then prints one line: what it did.
//
// The abuse's bytes are serialised once, not per send (PreEncodingEncoder): the API receives what
// it would from an abuser on another machine, while this one, sharing the API's two cores, spends
// ~a core less on JSON.stringify (a 31 MB snapshot is ~0.3 s of it) than when every send was encoded.
import { SNAPSHOT_PART_BYTES, snapshotParts, type Fact, type SnapshotMessage } from '@netatlas/wire';
import * as parser from 'socket.io-parser';
import { connectIngest, FakeCollector, TEST_TOKEN } from '../src/testing/api.js';
import { route } from '../src/testing/facts.js';

/** Fact lists whose JSON text is known: a message holding one is sent with that text spliced in. */
const encoded = new WeakMap<Fact[], string>();
const preEncode = (facts: Fact[]): Fact[] => (encoded.set(facts, JSON.stringify(facts)), facts);
/** messages written with pre-encoded facts: a herd's parts, the whole snapshots (0 in a phase: it measured no abuse) */
let preEncodedSent = 0;

/**
 * socket.io's own encoder, but an event whose message holds a pre-encoded `facts` is written as
 * `JSON.stringify` would write it, with the facts' text spliced in: the same bytes, made once.
 */
class PreEncodingEncoder extends parser.Encoder {
  override encode(packet: parser.Packet): Array<string | Buffer> {
    if (packet.type !== parser.PacketType.EVENT || !Array.isArray(packet.data)) return super.encode(packet);
    const [event, message] = packet.data as [string, { facts?: Fact[] } | undefined];
    const facts = message?.facts ? encoded.get(message.facts) : undefined;
    if (facts === undefined) return super.encode(packet);
    preEncodedSent += 1;
    const empty = JSON.stringify({ ...message, facts: [] });
    const at = empty.indexOf('"facts":[]'); // its first occurrence: no value before it can hold it
    const nsp = packet.nsp && packet.nsp !== '/' ? `${packet.nsp},` : '';
    return [`${parser.PacketType.EVENT}${nsp}${packet.id ?? ''}[${JSON.stringify(event)},${empty.slice(0, at)}"facts":${facts}${empty.slice(at + 10)}]`];
  }
}
const preEncoding = { parser: { Encoder: PreEncodingEncoder, Decoder: parser.Decoder } };

/** A collector whose snapshots of pre-encoded facts go out as their text */
async function connectPreEncoding(url: string, node: string): Promise<FakeCollector> {
  const c = new FakeCollector(await connectIngest(url, TEST_TOKEN, preEncoding), node);
  const ack = await c.hello();
  if (!ack.ok) {
    c.close();
    throw new Error(`hello rejected: ${ack.error}`);
  }
  return c;
}

const [mode, url] = process.argv.slice(2) as [string, string];
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
let stopped = false;
const started = Date.now();
let report = (): string => `${mode}: stopped before it reported`;
/** tells bench:abuse the abuse begins: what came before (building a 31 MB state) is not measured */
const ready = () => process.stdout.write('ready\n');

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
    if (sent === 0) ready();
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
  preEncode(facts);
  process.stderr.write(`[abuser] ${mode}: ${facts.length} facts, ${(encoded.get(facts)!.length / 1048576).toFixed(1)} MB a snapshot\n`);
  return facts;
}

/** 20 collectors resyncing a ~31 MB state each, over and over, in parts as collectors send it (a refused one again after a back-off) */
async function herd(): Promise<string> {
  let accepted = 0;
  let refused = 0;
  let cut = 0;
  const facts = herdFacts();
  // cut once: every snapshot's parts are these slices (their text made once) under its own seq
  const slices = snapshotParts({ epoch: 0, seq: 0, takenAt: new Date().toISOString(), facts, readers: { links: { status: 'ok', error: null } } }, SNAPSHOT_PART_BYTES).map((p) => preEncode(p.facts));
  const partsFor = (c: FakeCollector, seq: number): SnapshotMessage[] =>
    slices.map((slice, index) => ({ part: { index, count: slices.length }, epoch: c.epoch, seq, takenAt: new Date().toISOString(), readers: { links: { status: 'ok', error: null } }, facts: slice }));
  report = () => `20 sockets × 31 MB snapshots in ${slices.length} parts (${facts.length} facts): ${preEncodedSent} parts sent, ${accepted} snapshots taken, ${refused} refused (sent again after a back-off), ${cut} connection(s) cut`;
  ready();
  await Promise.all(
    Array.from({ length: 20 }, async (_, n) => {
      while (!stopped) {
        const c = await connectPreEncoding(url, `herd-${n}`).catch(() => null);
        if (!c) {
          await sleep(200);
          continue;
        }
        // a refused snapshot's parts are sent again as they are, as the collector's StreamClient does
        let parts = partsFor(c, 1);
        let refusedInARow = 0;
        while (!stopped && c.socket.connected) {
          const r = await c.sendParts(parts).catch(() => ({ ok: false }));
          if (r.ok) {
            accepted++;
            refusedInARow = 0;
            parts = partsFor(c, parts[0]!.seq + 1);
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
  ready();
  await Promise.all(
    Array.from({ length: 20 }, async (_, n) => {
      while (!stopped) {
        const c = await connectPreEncoding(url, `whole-${n}`).catch(() => null);
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
