// npm run bench:collector [-- --routes 10000 --neighbors 2000 --members 5000 --runs 5]
// Builds a network namespace holding that many routes, neighbors and ipset members (root needed),
// then measures the real collector on it: full snapshot time, time to turn 100 changes into a
// delta, and the collector process's memory. Prints the figures; removes the namespace.
// `-- --bgp [--runs 50]`: what one BGP poll costs instead, on a lab mixing BIRD, GoBGP and FRR (bgp-poll.ts).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Collector } from '../src/collector.js';
import { COLLECTOR_NODE_FLAGS } from '../src/node-flags.js';
import { ALL_READERS } from '../src/readers/registry.js';
import { SystemRunner } from '../src/runner.js';
import { Watcher } from '../src/watch.js';
import { benchBgpPoll } from './bgp-poll.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const ROUTES = flag('routes', 10_000);
const NEIGHBORS = flag('neighbors', 2_000);
const MEMBERS = flag('members', 5_000);
const RUNS = flag('runs', 5);
const NS = `nabench${process.pid % 10000}`;

const ipBatch = (lines: string[]) => execFileSync('ip', ['-n', NS, '-batch', '-'], { input: lines.join('\n') + '\n' });
const ipset = (lines: string[]) => execFileSync('ip', ['netns', 'exec', NS, 'ipset', 'restore'], { input: lines.join('\n') + '\n' });
const addr = (i: number, base: number) => `10.${base + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

function setup(): void {
  execFileSync('ip', ['netns', 'add', NS]);
  ipBatch(['link set lo up', 'link add br0 type bridge', 'link set br0 up', 'addr add 10.0.0.1/16 dev br0']);
  ipBatch(Array.from({ length: ROUTES }, (_, i) => `route add ${addr(i << 8, 100)}/24 via 10.0.0.2 dev br0 onlink`));
  // mostly static entries: the kernel's neighbor table (gc_thresh3, 1024 by default and not
  // settable per namespace) refuses more than that many dynamic entries
  const states = ['permanent', 'noarp', 'permanent', 'noarp', 'permanent', 'noarp', 'permanent', 'noarp', 'stale', 'reachable'];
  ipBatch(
    Array.from({ length: NEIGHBORS }, (_, i) =>
      `neigh add 10.0.${1 + (i >> 8)}.${i & 255} lladdr 02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')} dev br0 nud ${states[i % states.length]}`,
    ),
  );
  ipset(['create bench-members hash:ip family inet hashsize 4096 maxelem 65536', ...Array.from({ length: MEMBERS }, (_, i) => `add bench-members ${addr(i, 200)}`)]);
}

function teardown(): void {
  try {
    execFileSync('ip', ['netns', 'del', NS]);
  } catch {
    /* already gone */
  }
}

function newCollector(): Collector {
  return new Collector({ nodeName: NS, runner: new SystemRunner(NS), readers: ALL_READERS, options: {}, timeoutMs: 10_000 });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** 100 kernel changes: 40 routes change gateway, 25 added, 25 removed, 10 neighbors replaced. */
function change100(round: number): void {
  const r: string[] = [];
  for (let i = 0; i < 40; i++) r.push(`route replace ${addr((i + round * 40) << 8, 100)}/24 via 10.0.0.${3 + (round % 2)} dev br0 onlink`);
  for (let i = 0; i < 25; i++) r.push(`route add ${addr((i + round * 25) << 8, 150)}/24 via 10.0.0.2 dev br0 onlink`);
  for (let i = 0; i < 25; i++) r.push(`route del ${addr((ROUTES - 1 - i - round * 25) << 8, 100)}/24`);
  for (let i = 0; i < 10; i++) r.push(`neigh replace 10.0.${1 + ((i + round * 10) >> 8)}.${(i + round * 10) & 255} lladdr 02:aa:00:00:00:${(round & 255).toString(16).padStart(2, '0')} dev br0 nud permanent`);
  ipBatch(r);
}

/** The collector as it ships: bundled by the same esbuild command as `nx build collector`. */
async function bundle(): Promise<string> {
  const { build } = await import('esbuild');
  // inside the repo (tmp/ is git-ignored) so the bundle finds node_modules
  const outfile = fileURLToPath(new URL('../../../tmp/bench/collector-main.js', import.meta.url));
  await build({
    entryPoints: [fileURLToPath(new URL('../src/main.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

async function collectorRss(): Promise<{ afterSnapshotMb: number; afterDeltasMb: number; eventToDeltaMs: number }> {
  const main = await bundle();
  const nodeFlags = (process.env['BENCH_NODE_FLAGS'] ?? COLLECTOR_NODE_FLAGS.join(' ')).split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeFlags, main, '--watch', '--netns', NS], { stdio: ['ignore', 'pipe', 'ignore'] });
  let exited = false;
  child.on('exit', () => (exited = true));
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  let lines = 0;
  let lastLineAt = 0;
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const n = buf.split('\n').length - 1;
    if (n > 0) {
      lines += n;
      lastLineAt = Date.now();
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    }
  });
  while (lines < 1) {
    if (exited) throw new Error('the bundled collector exited before printing its snapshot');
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 500));
  const afterSnapshotMb = rss();
  const before = lines;
  const t0 = Date.now();
  change100(2 * RUNS + 1);
  while (lines === before) await new Promise((r) => setTimeout(r, 5));
  const eventToDeltaMs = lastLineAt - t0;
  await new Promise((r) => setTimeout(r, 1500));
  const afterDeltasMb = rss();
  child.kill('SIGTERM');
  return { afterSnapshotMb, afterDeltasMb, eventToDeltaMs };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:collector needs root (it builds a network namespace)');
  teardown();
  process.stderr.write(`building ${NS}: ${ROUTES} routes, ${NEIGHBORS} neighbors, ipset of ${MEMBERS} members\n`);
  setup();
  try {
    const snapshots: number[] = [];
    const perReader = new Map<string, number[]>();
    let facts = 0;
    for (let i = 0; i < RUNS; i++) {
      const c = newCollector();
      const t0 = performance.now();
      await c.start();
      snapshots.push(performance.now() - t0);
      facts = c.snapshot().facts.length;
      for (const r of c.lastRuns) perReader.set(`${r.reader} (${r.status})`, [...(perReader.get(`${r.reader} (${r.status})`) ?? []), r.ms]);
    }
    // the event path, as --watch runs it: ip monitor events applied as facts
    const c = newCollector();
    await c.start();
    const seen: { at: number; ms: number; changes: number }[] = [];
    const watcher = new Watcher(c, {
      netns: NS,
      debounceMs: 100,
      pollSeconds: { kernel: 3600, bgp: 3600, ipset: 3600, ipvs: 3600, cni: 3600 },
      onDelta: (d) => seen.push({ at: performance.now(), ms: c.lastDeltaMs, changes: d.upserts.length + d.deletes.length }),
      onLog: (m) => process.stderr.write(`${m}\n`),
    });
    await watcher.start();
    const eventDelta: number[] = [];
    const eventEndToEnd: number[] = [];
    let eventChanges = 0;
    for (let round = 0; round < RUNS; round++) {
      seen.length = 0;
      const t0 = performance.now();
      change100(round);
      while (seen.reduce((n, x) => n + x.changes, 0) < 100 && performance.now() - t0 < 5000) await sleep(5);
      await sleep(300);
      eventChanges = seen.reduce((n, x) => n + x.changes, 0);
      eventDelta.push(seen.reduce((n, x) => n + x.ms, 0));
      eventEndToEnd.push(Math.max(...seen.map((x) => x.at)) - t0);
    }
    watcher.stop();
    // the safety-net poll: the same 100 changes found by re-reading the tables
    const rereadDelta: number[] = [];
    const rereadEndToEnd: number[] = [];
    for (let round = RUNS; round < 2 * RUNS; round++) {
      change100(round);
      const t0 = performance.now();
      await c.refresh(['routes', 'neighbors']);
      rereadEndToEnd.push(performance.now() - t0);
      rereadDelta.push(c.lastDeltaMs);
    }
    ipset(Array.from({ length: 10 }, (_, i) => `del bench-members ${addr(i, 200)}`));
    const t1 = performance.now();
    await c.refresh(['ipsets']);
    const ipsetPoll = performance.now() - t1;
    const mem = await collectorRss();
    const out = [
      `collector benchmark: ${ROUTES} routes, ${NEIGHBORS} neighbors, ipset of ${MEMBERS} members (${facts} facts), ${RUNS} runs`,
      `full snapshot (all readers, tools included):   median ${fmt(median(snapshots))}, min ${fmt(Math.min(...snapshots))}   target < 300 ms`,
      `  per reader (median; readers run in parallel): ${[...perReader].map(([k, v]) => `${k} ${median(v).toFixed(0)}`).join(', ')}`,
      `delta for 100 kernel changes, applied from ip monitor events (${eventChanges} fact changes):`,
      `  computing the delta:                        median ${fmt(median(eventDelta))}, max ${fmt(Math.max(...eventDelta))}   target < 20 ms`,
      `  kernel change -> delta (100 ms debounce):   median ${fmt(median(eventEndToEnd))}`,
      `the same changes found by re-reading the tables (the ${'30 s'} safety-net poll): computing ${fmt(median(rereadDelta))}, end to end ${fmt(median(rereadEndToEnd))}`,
      `ipset poll (re-read ${MEMBERS} members, 10 removed): ${fmt(ipsetPoll)}`,
      `kernel change -> delta line printed by the bundled --watch process: ${mem.eventToDeltaMs} ms`,
      `collector RSS (the bundled --watch process, node ${COLLECTOR_NODE_FLAGS.join(' ')}): ${mem.afterSnapshotMb.toFixed(0)} MB after the snapshot, ${mem.afterDeltasMb.toFixed(0)} MB after deltas   target < 100 MB`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    teardown();
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    teardown();
    process.exit(130);
  });
}

(process.argv.includes('--bgp') ? benchBgpPoll(flag('runs', 50)) : main()).catch((err: Error) => {
  teardown();
  process.stderr.write(`bench:collector: ${err.message}\n`);
  process.exit(1);
});
