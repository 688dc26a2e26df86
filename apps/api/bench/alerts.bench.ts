// npm run bench:alerts [-- --style kube-router|calico|both --for 2s --runs 3]
//
// How long after a fault each alert fires, on real labs (root, the lab's Debian packages and
// Postgres needed): collectors streaming from every lab node into the real API and Postgres, with
// Kubernetes served by the test harness. Faults: del-route (kube-router; BIRD puts a deleted route
// back by itself), stop-bgp, fail-node. Target: under 5 s plus the rule's `for`.
import { lab, sh } from '@netatlas/lab-testing';
import { parseArgs } from 'node:util';
import { parseDuration } from '../src/alerts/alert-config.js';
import { startAlertLab, type AlertLab } from '../src/testing/alert-lab.js';

const { values: args } = parseArgs({
  options: {
    style: { type: 'string', default: 'both' },
    for: { type: 'string', default: '2s' },
    runs: { type: 'string', default: '2' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(`npm run bench:alerts [-- --style kube-router|calico|both] [--for 2s] [--runs 2]

Builds a 4-node lab per style, runs each fault --runs times and prints, per alert, the time from the
fault command's start to the alert firing, and that minus the rule's \`for\`. Target: under 5 s + for.
`);
  process.exit(0);
}
const FOR_MS = parseDuration(args.for, '--for');
const RUNS = Number(args.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got ${args.runs}`);
const styles = args.style === 'both' ? (['kube-router', 'calico'] as const) : ([args.style] as const);
for (const s of styles) if (s !== 'kube-router' && s !== 'calico') throw new Error(`--style must be kube-router, calico or both, got ${s}`);
if (process.getuid?.() !== 0) throw new Error('the lab needs root');

const t0Bench = Date.now();
const log = (line: string) => process.stderr.write(`[${((Date.now() - t0Bench) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
const rows: Array<{ style: string; fault: string; alert: string; ms: number }> = [];

async function measure(l: AlertLab, style: string, fault: string, run: () => Promise<void>, fingerprints: string[], undo: () => Promise<void>, timeoutMs = 30_000) {
  const since = new Date().toISOString();
  const t0 = Date.now();
  await run();
  for (const fp of fingerprints) {
    const alert = await l.firing(fp, since, timeoutMs);
    rows.push({ style, fault, alert: fp, ms: Date.parse(alert.firedAt!) - t0 });
    log(`  ${fault}: ${fp} fired ${Date.parse(alert.firedAt!) - t0} ms after the fault`);
  }
  await undo();
}

for (const style of styles as readonly ('kube-router' | 'calico')[]) {
  const name = style === 'calico' ? 'nabenchalc' : 'nabenchalk';
  const l = await startAlertLab({ style, name, nodes: 4, forMs: FOR_MS, log });
  try {
    log(`${style}: waiting for a quiet cluster`);
    await l.healthy(60_000);
    const [a, b, c] = [l.node(0), l.node(1), l.node(2)];
    for (let r = 0; r < RUNS; r++) {
      if (style === 'kube-router') {
        const line = (await sh('ip', ['-n', a.namespace, 'route', 'show', c.podCidr])).trim();
        await measure(
          l, style, 'del-route',
          () => lab(['del-route', '--name', name, a.namespace, c.podCidr]).then(() => undefined),
          [`RouteLoss{node=${a.namespace},peer=${c.namespace},prefix=${c.podCidr}}`],
          async () => {
            await sh('ip', ['-n', a.namespace, 'route', 'add', ...line.split(/\s+/)]);
            await l.healthy(30_000);
          },
        );
      }
      await measure(
        l, style, 'stop-bgp',
        () => lab(['stop-bgp', '--name', name, b.namespace]).then(() => undefined),
        [`NodeUnreachable{node=${b.namespace}}`, `RouteLoss{node=${a.namespace},peer=${b.namespace},prefix=${b.podCidr}}`, `BgpSessionDown{daemon=${style === 'calico' ? 'bird' : 'gobgp'},node=${a.namespace},peer=${b.namespace}}`],
        async () => {
          await lab(['start-bgp', '--name', name, b.namespace]);
          await l.healthy(60_000);
        },
      );
    }
    // last: a failed node does not come back
    await measure(
      l, style, 'fail-node',
      () => lab(['fail-node', '--name', name, c.namespace]).then(() => undefined),
      [`NodeUnreachable{node=${c.namespace}}`],
      async () => undefined,
      60_000,
    );
  } finally {
    await l.close();
  }
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
const groups = new Map<string, number[]>();
for (const r of rows) groups.set(`${r.style}\u0000${r.fault}\u0000${r.alert.replace(/\{.*/, '')}`, [...(groups.get(`${r.style}\u0000${r.fault}\u0000${r.alert.replace(/\{.*/, '')}`) ?? []), r.ms]);
process.stdout.write(`\nalert firing delay after the fault (for = ${FOR_MS} ms; target < 5000 ms + for)\n`);
process.stdout.write(`${'style'.padEnd(12)} ${'fault'.padEnd(10)} ${'alert'.padEnd(16)} ${'median'.padStart(8)} ${'max'.padStart(8)} ${'max - for'.padStart(10)}  runs\n`);
for (const [k, ms] of groups) {
  const [style, fault, rule] = k.split('\u0000') as [string, string, string];
  const max = Math.max(...ms);
  const verdict = max - FOR_MS < 5000 ? 'ok' : fault === 'fail-node' ? 'MISSED (BGP hold timer)' : 'MISSED';
  process.stdout.write(`${style.padEnd(12)} ${fault.padEnd(10)} ${rule.padEnd(16)} ${`${median(ms)} ms`.padStart(8)} ${`${max} ms`.padStart(8)} ${`${max - FOR_MS} ms`.padStart(10)}  ${ms.length}  ${verdict}\n`);
}
