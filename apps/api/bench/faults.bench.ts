// npm run bench:faults [-- --shapes calico,calico-rr --faults daemon-stop,link-down --for default --healthy 5m --settle 6s]
//
// The fault matrix (issue 14): every lab shape (tools/lab/src/shapes.ts) × every fault that applies
// to it (apps/api/src/testing/fault-matrix.ts), on real labs with collectors streaming into the
// real API and Postgres, Kubernetes served by the test harness (Calico shapes: podCIDRs allocated
// that Calico ignores, and its blocks as block affinities). Each shape is first watched healthy
// (any alert or finding is false); then each fault's expected alerts — roots, and the symptoms
// under each, written down before it runs — are compared with what fired and under which root.
// Prints per shape and fault: expected vs fired, false and missed alerts, the firing delay against
// its target (`for` + 5 s, + the BGP hold timer where the fault acts through it) and the resolve
// delay after the undo; at the end precision and recall over all cells. Root, the lab's Debian
// packages and Postgres needed.
import { SHAPES, shapeNamed } from '@netatlas/lab-testing';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration } from '../src/alerts/alert-config.js';
import { FAULT_KINDS, type FaultKind } from '../src/testing/fault-matrix.js';
import { report, runShape, totals, type CellResult } from '../src/testing/fault-runner.js';

const { values: args } = parseArgs({
  options: {
    shapes: { type: 'string', default: SHAPES.map((s) => s.name).join(',') },
    faults: { type: 'string', default: FAULT_KINDS.join(',') },
    for: { type: 'string', default: 'default' },
    healthy: { type: 'string', default: '5m' },
    settle: { type: 'string', default: '6s' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(`npm run bench:faults [-- --shapes a,b] [--faults x,y] [--for default|2s] [--healthy 5m] [--settle 6s]

shapes: ${SHAPES.map((s) => s.name).join(', ')}
faults: ${FAULT_KINDS.join(', ')}
--for      the \`for\` of the rules the faults fire (RouteLoss, BgpSessionDown and the root causes):
           default, each rule's own (as users get them), or one duration for all of them, shorter
           to go faster (transients of a cluster that reconverges may then fire, as they would)
--healthy  how long each shape is watched healthy before its faults (any alert or finding is false)
--settle   how long to keep watching after a fault's expected alerts fired, for unexpected ones
Writes the results as JSON to tmp/faults.json too.
`);
  process.exit(0);
}
if (process.getuid?.() !== 0) throw new Error('the lab needs root');
const shapes = args.shapes.split(',').map((s) => shapeNamed(s.trim()));
const faults = args.faults.split(',').map((f) => f.trim()) as FaultKind[];
for (const f of faults) if (!FAULT_KINDS.includes(f)) throw new Error(`unknown fault '${f}' (faults: ${FAULT_KINDS.join(', ')})`);
const forMs = args.for === 'default' ? null : parseDuration(args.for, '--for');
const healthyMs = parseDuration(args.healthy, '--healthy');
const settleMs = parseDuration(args.settle, '--settle');

const t0 = Date.now();
const log = (line: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(7)} s] ${line}\n`);
const results: CellResult[] = [];
for (const [i, shape] of shapes.entries()) {
  log(`shape ${i + 1}/${shapes.length}: ${shape.name} — ${shape.description}`);
  results.push(...(await runShape(shape, `fm${i}`, { forMs, healthyMs, settleMs, faults, log })));
}

process.stdout.write(`\nfault matrix: ${shapes.length} shape(s), for = ${forMs === null ? "each rule's own" : `${forMs} ms`}, healthy ${Math.round(healthyMs / 1000)} s each, ${((Date.now() - t0) / 60_000).toFixed(1)} min\n\n`);
process.stdout.write(`${report(results)}\n`);
mkdirSync('tmp', { recursive: true });
writeFileSync('tmp/faults.json', JSON.stringify({ at: new Date().toISOString(), forMs, healthyMs, results, totals: totals(results) }, null, 2));
