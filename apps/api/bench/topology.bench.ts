// npm run bench:topology [-- --nodes 200 --rate 2000 --patches 8]
//
// The live topology's own cost, without the API around it: the current-state worker's IncrementalTopology
// over the API bench's simulated fleet (fleet.ts, ~1100 facts a node), fed the fleet's churn as the
// worker gets it (committed changes with before and after values, topology kinds only). Prints
// the first full derivation, then for each patch the changes since the last one, the hosts derived
// again, the patch's size, and where the time went (indexing hosts, deriving their parts, the rest).
import { parseArgs } from 'node:util';
import { IncrementalTopology } from '@netatlas/graph';
import { factId, type Fact, type FactChange, type FactKind } from '@netatlas/wire';
import { applyToMirror, type FactMirror } from '../src/state/fact-mirror.js';
import { TOPOLOGY_KINDS } from '../src/state/state-kinds.js';
import { SimNode } from './fleet.js';
import { int, ms } from './stats.js';

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '200' },
    rate: { type: 'string', default: '2000' },
    'patch-seconds': { type: 'string', default: '4' },
    patches: { type: 'string', default: '8' },
    'max-ops': { type: 'string', default: '4' },
  },
});
const NODES = Number(args.nodes);
const RATE = Number(args.rate);
const PATCH_S = Number(args['patch-seconds']);
const PATCHES = Number(args.patches);
const MAX_OPS = Number(args['max-ops']);
// the kinds the current state's topology is derived from
const KINDS = new Set<FactKind>(TOPOLOGY_KINDS);
const log = (line: string) => process.stdout.write(`${line}\n`);

const fleet = Array.from({ length: NODES }, (_, i) => new SimNode(i, NODES));
const mirror: FactMirror = new Map();
for (const n of fleet) mirror.set(n.name, new Map(n.facts().filter((f) => KINDS.has(f.kind)).map((f) => [factId(f), f])));
const topology = new IncrementalTopology((node) => mirror.get(node)?.values());

log(`topology bench: ${NODES} nodes, ${int([...mirror.values()].reduce((s, m) => s + m.size, 0))} topology facts, churn ${RATE} changes/s, a patch every ${PATCH_S} s of churn`);
let t0 = performance.now();
for (const n of mirror.keys()) topology.touch(n);
const first = topology.patch();
log(`first derivation: ${ms(performance.now() - t0)}; ${topology.form} form (compact from 41 hosts), ${int(first.upsertNodes.length)} nodes, ${int(first.upsertEdges.length)} edges`);

/** One simulated delta as the changes the worker would get (before from the mirror). */
function changesOf(node: SimNode): FactChange[] {
  const body = node.nextDelta(1 + Math.floor(Math.random() * MAX_OPS));
  const byId = mirror.get(node.name)!;
  const at = new Date().toISOString();
  const out: FactChange[] = [];
  for (const f of body.upserts as Fact[]) {
    if (!KINDS.has(f.kind)) continue;
    const before = byId.get(factId(f))?.value ?? null;
    out.push({ node: node.name, kind: f.kind, key: f.key, at, op: before === null ? 'add' : 'change', before, after: f.value } as FactChange);
  }
  for (const d of body.deletes) {
    if (!KINDS.has(d.kind)) continue;
    const before = byId.get(factId(d))?.value;
    if (before === undefined) continue;
    out.push({ node: node.name, kind: d.kind, key: d.key, at, op: 'remove', before, after: null } as FactChange);
  }
  return out;
}

const perPatch = RATE * PATCH_S;
const times: number[] = [];
for (let p = 0; p < PATCHES; p++) {
  let changes = 0;
  let offered = 0;
  while (offered < perPatch) {
    const node = fleet[Math.floor(Math.random() * NODES)]!;
    const list = changesOf(node);
    offered += Math.max(1, list.length);
    applyToMirror(mirror, list);
    for (const c of list) topology.change(c.node, c.kind, c.before, c.after);
    changes += list.length;
  }
  t0 = performance.now();
  const patch = topology.patch();
  const took = performance.now() - t0;
  times.push(took);
  const w = topology.lastWork;
  log(
    `patch ${p + 1}: ${ms(took)} for ${int(changes)} topology changes; ${w.hosts} hosts derived again${w.all ? ' (all: the context changed)' : ''}; ` +
      `+${int(patch.upsertNodes.length)} / -${int(patch.removeNodes.length)} nodes, +${int(patch.upsertEdges.length)} / -${int(patch.removeEdges.length)} edges, ${(JSON.stringify(patch).length / 1024).toFixed(0)} KB` +
      (`; index ${ms(w.ms.index)}, context ${ms(w.ms.context)}, parts ${ms(w.ms.parts)}, diff ${ms(w.ms.diff)}, shared ${ms(w.ms.shared)}`),
  );
}
times.sort((a, b) => a - b);
log(`patch median ${ms(times[Math.floor(times.length / 2)]!)}, max ${ms(times.at(-1)!)}`);
