// npm run bench:checks [-- --nodes 200,1000 --runs 7]
//
// The expected-state checks' own cost, without the API around them: evaluateChecks and
// gatherEvidence (what the current-state worker runs for every evaluation of the alert rules) over the API
// bench's simulated fleet (fleet.ts: kube-router nodes, ~1100 facts each, N x (N-1) routes), as
// the worker holds it, with the worker's cap on findings built (MAX_FINDINGS: the checks stop at the
// first finding past it; --no-cap builds them all). Prints per fleet size the median and range of a
// whole evaluation and of its parts, and the findings (a healthy fleet: 0; past 200 nodes the
// fleet's 199 routes a node leave the rest missing, so there the cap is reached).
import { evaluateChecks, gatherEvidence } from '@netatlas/graph';
import type { Fact } from '@netatlas/wire';
import { parseArgs } from 'node:util';
import { MAX_FINDINGS } from '../src/state/checks-run.js';
import { CHECK_KINDS } from '../src/state/state-kinds.js';
import { SimNode } from './fleet.js';
import { int, ms } from './stats.js';

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '200,1000' },
    runs: { type: 'string', default: '7' },
    'no-cap': { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const maxFindings = args['no-cap'] ? undefined : MAX_FINDINGS;
const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;

for (const n of args.nodes.split(',').map(Number)) {
  const kinds = new Set(CHECK_KINDS);
  const state = new Map<string, Fact[]>(Array.from({ length: n }, (_, i) => new SimNode(i, n)).map((node) => [node.name, node.facts().filter((f) => kinds.has(f.kind))]));
  const facts = [...state.values()].reduce((s, f) => s + f.length, 0);
  const live = [...state.keys()];
  // warm the JIT, as a running worker is
  evaluateChecks(state, { live, maxFindings });
  const checks: number[] = [];
  const evidence: number[] = [];
  let findings = 0;
  let truncated = false;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    const result = evaluateChecks(state, { live, maxFindings });
    const t1 = performance.now();
    gatherEvidence(state, result.nodes);
    const t2 = performance.now();
    checks.push(t1 - t0);
    evidence.push(t2 - t1);
    findings = result.findings.length;
    truncated = result.truncated;
  }
  log(
    `${int(n)} nodes, ${int(facts)} facts, ${int(n * (n - 1))} node pairs: checks median ${ms(median(checks))} (${ms(Math.min(...checks))}-${ms(Math.max(...checks))}), ` +
      `evidence median ${ms(median(evidence))}; ${int(findings)} findings built${truncated ? `, and more: the checks stopped at the cap (${int(MAX_FINDINGS)})` : ''}`,
  );
}
