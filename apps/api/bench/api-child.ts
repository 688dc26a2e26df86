// The API under bench, in its own process (so the simulated collectors do not share its event
// loop): the real startApi with the configuration from the environment, as main.ts does, with
// Nest's logger at warn/error only. Spawned by api-process.ts through an IPC channel, on which it
// answers { type: 'stats' } with its event-loop delay, CPU, memory and database-pool figures since
// the previous answer.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { loadConfig } from '../src/settings.js';
import { FactWriter } from '../src/db/repositories/history/fact-writer.js';
import { IngestService } from '../src/ingest/ingest.service.js';
import { startApi } from '../src/start.js';
import { CurrentState } from '../src/state/current-state.js';
import { AlertEngine } from '../src/alerts/alert-engine.js';

export interface ChildStats {
  type: 'stats';
  /** event-loop delay since the last stats, ms */
  loopP50: number;
  loopP99: number;
  loopMax: number;
  /** CPU seconds (user + system) since the last stats */
  cpuS: number;
  rssMb: number;
  maxRssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  /** Buffers and other memory outside the V8 heaps that JS objects hold (the main thread's) */
  externalMb: number;
  /** the current state's worker's V8 heap: in use after its last piece of work, the most in use since the last stats, allocated (null: not started) */
  state: { heapUsedMb: number; heapPeakMb: number; heapTotalMb: number; collections: number; lastCollectionMs: number } | null;
  /** database pool: most clients waiting for a connection at once since the last stats */
  poolWaitingMax: number;
  poolTotal: number;
  /** delta batches written since the last stats, and the deltas in them (fact-writer.ts) */
  deltaBatches: number;
  batchedDeltas: number;
  /** the most RSS since the last stats, sampled every 50 ms (maxRssMb is the process's whole life's) */
  rssPeakMb: number;
  /** protocol 3's snapshot turns since the last stats: the most held and waiting at once, granted, deferred, taken back */
  turns: { mostHeld: number; mostWaiting: number; granted: number; handedOver: number; deferred: number; takenBack: number; meanTurnMs: number };
  /** messages refused at once as unavailable since the last stats (a snapshot over the budget, without its turn, …: IngestStats.throttled) */
  throttled: number;
  /** the alert engine's runs of the expected-state checks since the last stats, and their time in the current state's worker */
  checks: { runs: number; ms: number };
}

const api = await startApi(loadConfig(), { logger: ['warn', 'error'], log: () => undefined, version: 'bench' });
const pool = api.database.pool;
const RESOLUTION_MS = 5;
const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loop.enable();
let waitingMax = 0;
const sampler = setInterval(() => (waitingMax = Math.max(waitingMax, pool.waitingCount)), 20);
sampler.unref();
let rssPeak = 0;
const rssSampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 50);
rssSampler.unref();
let cpu = process.cpuUsage();
const ingest = api.app.get(IngestService);
let turns = { ...ingest.turns.stats };
let throttled = ingest.stats.throttled;
const writer = api.app.get(FactWriter);
let batches = { ...writer.batchStats };
const alerts = api.app.get(AlertEngine);
let checks = { ...alerts.evaluations };

const current = api.app.get(CurrentState);
/** the state worker's heap after its last piece of work, and its largest since the last stats */
let stateHeapPeak = 0;
const stateSampler = setInterval(() => (stateHeapPeak = Math.max(stateHeapPeak, current.workerHeap.used)), 200);
stateSampler.unref();

// BENCH_API_TRACE=file: a timeline of what may stall the others, one JSON line each with its wall
// time `t` (ms, to line up with the bench's own samples): event-loop blocks over 15 ms, GC pauses
// over 5 ms (V8's kind: 1 young generation, 4 full), the pool's waiters whenever any wait, and every
// 250 ms with snapshot parts coming: parts staged since, those whose ack the pacer held, the snapshots
// in parts and turns held, and each snapshot applied (facts, ms)
const traceFile = process.env['BENCH_API_TRACE'];
// BENCH_API_TRACE_MEMORY=1 adds, every 5 ms, the thread's heap and its Buffers' memory (what V8 counts
// towards a full collection: a sawtooth of ArrayBuffers was how read-socket.ts was found)
const traceMemory = process.env['BENCH_API_TRACE_MEMORY'] === '1';
if (traceFile) {
  const mark = (what: Record<string, unknown>) => appendFileSync(traceFile, `${JSON.stringify({ t: Date.now(), ...what })}\n`);
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last > 20) mark({ block: Math.round(now - last - 5) });
    if (traceMemory) {
      const m = process.memoryUsage();
      mark({ externalMb: Math.round(m.external / 1048576), arrayBuffersMb: Math.round(m.arrayBuffers / 1048576), heapUsedMb: Math.round(m.heapUsed / 1048576) });
    }
    if (pool.waitingCount > 0) mark({ poolWaiting: pool.waitingCount, idle: pool.idleCount, total: pool.totalCount });
    last = now;
  }, 5).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.duration > 5) mark({ gc: Math.round(e.duration), kind: (e.detail as { kind?: number } | undefined)?.kind });
  }).observe({ entryTypes: ['gc'] });
  let staged = 0;
  let lastSnapshot: unknown = null;
  setInterval(() => {
    const s = ingest.stats;
    if (s.partsStaged !== staged || s.lastSnapshot !== lastSnapshot) mark({ parts: s.partsStaged - staged, paced: ingest.partPacer.stats.held, pacedMs: Math.round(ingest.partPacer.stats.heldMs), inParts: ingest.snapshotsInParts, turnsHeld: ingest.turns.holding, decoded: ingest.partDecoder.stats.decoded, applied: s.lastSnapshot !== lastSnapshot ? s.lastSnapshot : undefined });
    staged = s.partsStaged;
    lastSnapshot = s.lastSnapshot;
  }, 250).unref();
}

process.on('message', (message: { type?: string }) => {
  if (message?.type !== 'stats') return;
  const heap = current.workerHeap;
  const state = heap.used > 0 ? { heapUsedMb: heap.used / 1048576, heapPeakMb: stateHeapPeak / 1048576, heapTotalMb: heap.total / 1048576, collections: heap.collections, lastCollectionMs: heap.lastCollectionMs } : null;
  stateHeapPeak = 0;
  const used = process.cpuUsage(cpu);
  cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const stats: ChildStats = {
    type: 'stats',
    // the histogram holds whole timer intervals: less the resolution, the lag
    loopP50: Math.max(0, loop.percentile(50) / 1e6 - RESOLUTION_MS),
    loopP99: Math.max(0, loop.percentile(99) / 1e6 - RESOLUTION_MS),
    loopMax: Math.max(0, loop.max / 1e6 - RESOLUTION_MS),
    cpuS: (used.user + used.system) / 1e6,
    rssMb: memory.rss / 1048576,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: memory.heapUsed / 1048576,
    heapTotalMb: memory.heapTotal / 1048576,
    externalMb: memory.external / 1048576,
    state,
    poolWaitingMax: waitingMax,
    poolTotal: pool.totalCount,
    deltaBatches: writer.batchStats.batches - batches.batches,
    batchedDeltas: writer.batchStats.deltas - batches.deltas,
    rssPeakMb: Math.max(rssPeak, memory.rss) / 1048576,
    turns: {
      mostHeld: ingest.turns.stats.mostHeld,
      mostWaiting: ingest.turns.stats.mostWaiting,
      granted: ingest.turns.stats.granted - turns.granted,
      handedOver: ingest.turns.stats.handedOver - turns.handedOver,
      deferred: ingest.turns.stats.deferred - turns.deferred,
      takenBack: ingest.turns.stats.takenBack - turns.takenBack,
      meanTurnMs: ingest.turns.meanTurnMs,
    },
    throttled: ingest.stats.throttled - throttled,
    checks: { runs: alerts.evaluations.checked - checks.checked, ms: alerts.evaluations.checkMs - checks.checkMs },
  };
  checks = { ...alerts.evaluations };
  batches = { ...writer.batchStats };
  rssPeak = 0;
  ingest.turns.resetPeaks();
  turns = { ...ingest.turns.stats };
  throttled = ingest.stats.throttled;
  loop.reset();
  waitingMax = 0;
  process.send?.(stats);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  api.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
process.stdout.write(`LISTENING ${api.url}\n`);
