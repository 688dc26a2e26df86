// npm run bench:trace [-- --nodes 200 --samples 200 --history-minutes 60 --history-rate 200]
// What a path trace costs on a cluster-sized history: the API (its own process, a fresh database)
// is fed the API bench's fleet (kube-router-shaped nodes, 50 pods each: fleet.ts) and an hour of
// synthetic history before it (history.ts); then
//   - GET /api/trace between random pods at random moments inside the hour, and now: p50/p99. Each
//     request reads the facts of one moment once (link, addr, route, neigh, fdb, rule, sysctl, node of every node:
//     one query through the GiST index on validity), indexes them and walks (TraceService);
//   - all pairs from one pod: the simulator in this process on one moment's state (read through
//     /api/state), to one pod on every node and to every pod of the cluster.
// The issue's bounds: a trace at T < 100 ms p99 at 200 nodes; all pairs for one source pod < 2 s.
import { findEndpoint, indexHosts, trace, traceState } from '@netatlas/graph';
import type { Fact, TraceResult } from '@netatlas/wire';
import { parseArgs } from 'node:util';
import { FakeCollector, TEST_TOKEN } from '../src/testing/api.js';
import { createTestDatabase } from '../src/testing/postgres.js';
import { startApiProcess } from './api-process.js';
import { PODS, SimNode } from './fleet.js';
import { insertSyntheticHour } from './history.js';
import { ms, quantile, table } from './stats.js';

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '200' }, samples: { type: 'string', default: '200' }, 'history-minutes': { type: 'string', default: '60' }, 'history-rate': { type: 'string', default: '200' } },
});
const NODES = Number(values.nodes);
const SAMPLES = Number(values.samples);
const log = (line: string) => process.stderr.write(`[trace] ${line}\n`);
const podIp = (i: number, slot: number) => `10.${64 + (i >> 8)}.${i & 255}.${2 + slot}`;
const pick = (n: number) => Math.floor(Math.random() * n);
const p = (xs: number[], q: number) => quantile(Float64Array.from(xs).sort(), q);

const db = await createTestDatabase('bench_trace');
const api = await startApiProcess({ DATABASE_URL: db.url, NETATLAS_TOKEN: TEST_TOKEN, PORT: '0', HOST: '127.0.0.1' });
try {
  const fleet = Array.from({ length: NODES }, (_, i) => new SimNode(i, NODES));
  log(`API pid ${api.pid}; ${NODES} nodes × ${PODS} pods, ~${fleet[0]!.facts().length} facts each`);
  const collectors: FakeCollector[] = [];
  for (let k = 0; k < NODES; k += 20) {
    await Promise.all(
      fleet.slice(k, k + 20).map(async (node) => {
        const c = await FakeCollector.connect(api.url, node.name);
        collectors.push(c);
        const ack = await c.snapshot(node.facts());
        if (!ack.ok) throw new Error(`${node.name}: ${ack.error}`);
      }),
    );
  }
  const history = await insertSyntheticHour(db.url, fleet, { minutes: Number(values['history-minutes']), rate: Number(values['history-rate']), log });
  log(`history: ${history.rows} rows, ${history.changes} changes over ${values['history-minutes']} min`);
  const span = history.hourEnd.getTime() - history.hourStart.getTime();

  const get = async (path: string): Promise<{ ms: number; body: unknown }> => {
    const t0 = performance.now();
    const r = await fetch(`${api.url}${path}`);
    const body = (await r.json()) as unknown;
    if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - t0, body };
  };
  const pair = () => {
    const [a, b] = [pick(NODES), pick(NODES)];
    return [podIp(a, pick(PODS)), podIp(b === a ? (b + 1) % NODES : b, pick(PODS))] as const;
  };

  // a few to warm the API up (JIT, plans, caches)
  for (let k = 0; k < 5; k++) await get(`/api/trace?from=${pair()[0]}&to=${pair()[1]}`);
  const atT: number[] = [];
  const verdicts = new Map<string, number>();
  for (let k = 0; k < SAMPLES; k++) {
    const [from, to] = pair();
    const at = new Date(history.hourStart.getTime() + pick(span)).toISOString();
    const r = await get(`/api/trace?from=${from}&to=${to}&at=${at}`);
    atT.push(r.ms);
    const v = (r.body as TraceResult).verdict;
    verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
  }
  const nowMs: number[] = [];
  for (let k = 0; k < Math.min(50, SAMPLES); k++) {
    const [from, to] = pair();
    nowMs.push((await get(`/api/trace?from=${from}&to=${to}`)).ms);
  }

  // all pairs from one pod, on one moment's state
  const mid = new Date(history.hourStart.getTime() + span / 2).toISOString();
  const t0 = performance.now();
  const state = (await get(`/api/state?at=${mid}&kind=link,addr,route,neigh,fdb,rule,sysctl,node`)).body as { nodes: Record<string, Fact[]> };
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  const ts = traceState(indexHosts(state.nodes));
  const indexMs = performance.now() - t1;
  const source = findEndpoint(ts, podIp(0, 0))!;
  const t2 = performance.now();
  let delivered = 0;
  for (let i = 0; i < NODES; i++) if (trace(ts, source, findEndpoint(ts, podIp(i, i % PODS))!, mid).verdict === 'delivered') delivered++;
  const perNodeMs = performance.now() - t2;
  const t3 = performance.now();
  let deliveredAll = 0;
  for (let i = 0; i < NODES; i++) for (let s = 0; s < PODS; s++) if (trace(ts, source, findEndpoint(ts, podIp(i, s))!, mid).verdict === 'delivered') deliveredAll++;
  const allMs = performance.now() - t3;

  process.stdout.write(
    `${table([
      ['measure', 'p50', 'p99', 'max', 'bound', 'within'],
      [`GET /api/trace at T (${SAMPLES}, random pods and moments)`, ms(p(atT, 0.5)), ms(p(atT, 0.99)), ms(Math.max(...atT)), '< 100 ms p99', p(atT, 0.99) < 100 ? 'yes' : 'NO'],
      [`GET /api/trace now (${nowMs.length})`, ms(p(nowMs, 0.5)), ms(p(nowMs, 0.99)), ms(Math.max(...nowMs)), '', ''],
    ])}\n`,
  );
  process.stdout.write(`verdicts at T: ${[...verdicts].map(([v, n]) => `${v} ${n}`).join(', ')}\n`);
  const allPairs = indexMs + allMs;
  process.stdout.write(
    `all pairs from ${podIp(0, 0)} at ${mid}: state read through /api/state ${ms(loadMs)} (not part of the simulator), indexed in ${ms(indexMs)}; ` +
      `to one pod on each of ${NODES} nodes ${ms(perNodeMs)} (${delivered} delivered); to all ${NODES * PODS} pods ${ms(allMs)} (${deliveredAll} delivered); ` +
      `index + all pods ${ms(allPairs)} (bound < 2 s: ${allPairs < 2000 ? 'yes' : 'NO'})\n`,
  );
  for (const c of collectors) c.close();
} finally {
  await api.stop();
  await db.drop();
}
