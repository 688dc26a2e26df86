// The forwarding engine (libs/graph/src/forwarding.ts) against the real kernel, on every lab shape
// (issue 14: "agrees with ip route get on every node/destination pair of every lab shape"): each
// shape of SHAPES is brought up (h5o<i><name>), its nodes read with the real collector, and every
// node x destination compared with `ip route get` (testing/forwarding-oracle.ts); on one shape,
// walk there and back is compared with a real ping too. Then routes no shape builds, on a 2-node
// lab. Every lab is taken down, whatever happens. `npm run bench:forwarding` prints the same in full.
import { inCI, labPrerequisites, netnsNames, SHAPES } from '@netatlas/lab-testing';
import { afterAll, describe, expect, test } from 'vitest';
import { formatEdgeReport, formatShape, formatTotals, labName, proveEdgeRoutes, proveShape, type ShapeReport } from './testing/forwarding-oracle.js';

const missing = labPrerequisites();
if (missing.length > 0 && inCI) {
  test('lab prerequisites for the forwarding oracle', () => {
    throw new Error(`missing ${missing.join(', ')}`);
  });
}

/** the shape whose pod-range destinations are pinged: vxlan's neighbor -> fdb -> VTEP chain */
const PING_SHAPE = SHAPES.some((s) => s.name === 'flannel') ? 'flannel' : (SHAPES[0]?.name ?? '');

const leftovers = async (lab: string) => (await netnsNames()).filter((n) => n.startsWith(`${lab}-`));

describe.skipIf(missing.length > 0)('the forwarding engine agrees with the kernel', () => {
  const reports: ShapeReport[] = [];

  afterAll(() => {
    if (reports.length > 0) process.stdout.write(`${formatTotals(reports)}\n`);
  });

  for (const [i, shape] of SHAPES.entries()) {
    const name = labName('h5o', i, shape);
    const ping = shape.name === PING_SHAPE;
    test(`${shape.name}: ip route get on every node/destination pair${ping ? '; walk there and back with ping' : ''}`, async () => {
      const r = await proveShape(shape, name, { ping });
      reports.push(r);
      process.stdout.write(`${formatShape(r)}\n`);
      expect(await leftovers(name)).toEqual([]);
      // every node asked about every node's pod range (first address, one inside, and another's as a
      // whole), every node IP, the underlay gateway and an address outside, at least
      expect(r.nodes).toBe(shape.nodes);
      expect(r.pairs + r.notComparable.length).toBeGreaterThanOrEqual(shape.nodes * (4 * shape.nodes + 1));
      expect(r.disagreements).toEqual([]);
      expect(r.agreed).toBe(r.pairs);
      if (ping) {
        expect(r.ping?.disagreements).toEqual([]);
        // both answers occur: pods answer, addresses no pod or node holds do not
        expect(r.ping?.answered).toBeGreaterThan(0);
        expect(r.ping?.answered).toBeLessThan(r.ping?.pairs ?? 0);
      }
    });
  }

  test('routes no shape builds: route types, metrics, dead and carrier-less multipath hops, local and main in one IPv4 trie, IPv6 anycast', async () => {
    const r = await proveEdgeRoutes('h5oedge', 'flannel');
    process.stdout.write(`${formatEdgeReport(r)}\n`);
    expect(await leftovers('h5oedge')).toEqual([]);
    expect(r.disagreements).toEqual([]);
    expect(r.agreed).toBe(r.pairs);
    // the engine drops what route get cannot see: the carrier-less next hop (on each of the 8
    // addresses, whichever hop the kernel hashed them to) and the gateway whose neighbor FAILED
    expect(r.stateDrops).toHaveLength(9);
  });
});
