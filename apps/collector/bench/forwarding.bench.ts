// npm run bench:forwarding [-- --shapes calico,flannel] [--ping all|none|<shape>,...]
//
// The forwarding engine (libs/graph/src/forwarding.ts) against the real kernel on every lab shape
// (SHAPES in tools/lab/src/shapes.ts; root and the lab's Debian packages needed): each shape's lab
// is brought up as `h5b<i><name>`, every node read with the real collector, and for every node x
// destination (every node's pod ranges: network address, an address inside, the range as a whole;
// every pod IP, every node IP, the underlay gateway, 8.8.8.8) the engine's `forwardOn` is compared
// with `ip route get` and `ip route get fibmatch`; `walk` there and back with `ping -c1 -W1` for the
// pod-range destinations; then routes no shape builds, added to a 2-node lab (edgeCommands). Prints
// each disagreement with both sides and the totals; exits 1 when any.
// Every lab is taken down afterwards, also on Ctrl-C.
import { lab, labPrerequisites, SHAPES } from '@netatlas/lab-testing';
import { parseArgs } from 'node:util';
import { formatEdgeReport, formatReport, labName, proveEdgeRoutes, proveShape, type EdgeReport, type ShapeReport } from '../src/testing/forwarding-oracle.js';

const { values: args } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'all' },
    ping: { type: 'string', default: 'all' },
    verbose: { type: 'boolean', short: 'v', default: false },
    'skip-edge': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(`npm run bench:forwarding [-- --shapes all|<shape>,...] [--ping all|none|<shape>,...] [--verbose]

Shapes: ${SHAPES.map((s) => s.name).join(', ')}. Brings each up, compares the forwarding engine with
ip route get on every node/destination pair and (--ping) walk with ping, and takes it down.
--verbose prints every pair with both sides, not only the disagreements. Then routes no shape
builds (every route type, metrics, multipath with a dead and a carrier-less next hop, local and
main in one IPv4 trie, throw, tos, IPv6 anycast...) on a 2-node lab (--skip-edge: not).
`);
  process.exit(0);
}
const missing = labPrerequisites();
if (missing.length > 0) throw new Error(`the lab needs: ${missing.join(', ')}`);
const names = args.shapes === 'all' ? SHAPES.map((s) => s.name) : args.shapes.split(',');
for (const s of names) if (!SHAPES.some((x) => x.name === s)) throw new Error(`no shape '${s}' (shapes: ${SHAPES.map((x) => x.name).join(', ')})`);
const pinged = (shape: string) => args.ping === 'all' || (args.ping !== 'none' && args.ping.split(',').includes(shape));

const t0 = Date.now();
const log = (line: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);

// Ctrl-C: the lab being built comes down before the process goes
let current: string | null = null;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: taking lab ${current ?? '-'} down`);
    const done = () => process.exit(130);
    if (current === null) done();
    else lab(['down', '--name', current]).then(done, done);
  });
}

const reports: ShapeReport[] = [];
for (const [i, shape] of SHAPES.entries()) {
  if (!names.includes(shape.name)) continue;
  current = labName('h5b', i, shape);
  const r = await proveShape(shape, current, { ping: pinged(shape.name), verbose: args.verbose, log });
  current = null;
  reports.push(r);
  log(`${shape.name}: ${r.agreed} of ${r.pairs} pairs agree${r.ping ? `; ping ${r.ping.agreed} of ${r.ping.pairs}` : ''}`);
}
let edge: EdgeReport | null = null;
if (!args['skip-edge']) {
  current = 'h5bedge';
  edge = await proveEdgeRoutes(current, 'flannel', { verbose: args.verbose, log });
  current = null;
}
process.stdout.write(`${formatReport(reports)}\n${edge ? `${formatEdgeReport(edge)}\n` : ''}(${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
const bad = reports.some((r) => r.disagreements.length > 0 || (r.ping?.disagreements.length ?? 0) > 0) || (edge?.disagreements.length ?? 0) > 0;
process.exitCode = bad ? 1 : 0;
