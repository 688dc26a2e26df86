// The fault matrix's written expectations, read back on lab statuses shaped like the real ones: the
// cases the issue names come out as it says (a stopped reflector is no node's unreachability; a
// node whose block has no blackhole is still missed when it goes; another node's uplink blames that
// node), and every cell names what it does and how it is undone.
import { SHAPES, shapeNamed, type LabStatus, type Shape } from '@netatlas/lab-testing';
import { describe, expect, it } from 'vitest';
import { cellsFor, type Cell } from './fault-matrix.js';

/** A lab status as `lab status --json` gives it for a shape (names, addresses, blocks, one pod each). */
function statusOf(shape: Shape, lab = 'fm'): LabStatus {
  const calico = shape.up.includes('calico');
  const flannel = shape.up.includes('flannel');
  const nodes = Array.from({ length: shape.nodes }, (_, k) => {
    const i = k + 1;
    const name = `${lab}-node${i}`;
    const podCidr = calico ? `10.48.${(i * 64) >> 8}.${(i * 64) & 255}/26` : flannel ? `10.244.${i}.0/24` : `10.233.${i}.0/24`;
    const daemon = shape.daemons(i);
    const flag = (f: string) => (shape.up.includes(f) ? (shape.up[shape.up.indexOf(f) + 1] ?? '').split(',').map(Number) : []);
    const v6 = shape.up.includes('--ipv6') && !flag('--ipv6-except').includes(i);
    const v6only = flag('--ipv6-only-pods').includes(i);
    return {
      name,
      namespace: name,
      underlayIp: `172.20.0.${10 + i}`,
      underlayIp6: v6 ? `fd00:20::${10 + i}` : null,
      podCidr6: v6 ? `fd00:48:0:${i}::/122` : null,
      state: 'up',
      bgp: daemon === 'none' ? null : 'running',
      daemon: daemon === 'none' ? null : daemon,
      bgpControl: null,
      collectorArgs: [],
      bgpSessions: [],
      podCidr,
      pods: [
        {
          name: `${name}-pod1`,
          namespace: `${name}-pod1`,
          ip: v6only ? null : podCidr.replace(/\.(\d+)\/\d+$/, (_, d: string) => `.${Number(d) + (calico ? 1 : 2)}`),
          ip6: v6 ? `fd00:48:0:${i}::1` : null,
          hostVeth: `veth${i}`,
        },
      ],
    };
  });
  return { name: lab, nodes } as unknown as LabStatus;
}

const cell = (shape: string, fault: Cell['fault']): Cell => {
  const c = cellsFor(shapeNamed(shape), statusOf(shapeNamed(shape))).find((x) => x.fault === fault);
  if (!c) throw new Error(`no ${fault} cell for ${shape}`);
  return c;
};
const roots = (c: Cell) => c.expected.filter((e) => e.root === null).map((e) => e.fingerprint);
const under = (c: Cell, root: string) => c.expected.filter((e) => e.root === root).map((e) => e.fingerprint).sort();

describe('the fault matrix', () => {
  it('has cells for every shape, each with a command, an undo (but node removal) and expectations in known rules', () => {
    for (const shape of SHAPES) {
      const cells = cellsFor(shape, statusOf(shape));
      expect(cells.length).toBeGreaterThanOrEqual(shape.up.includes('flannel') ? 6 : 8);
      for (const c of cells) {
        expect(c.run.length).toBeGreaterThan(0);
        if (c.fault !== 'node-remove' && c.expected.length > 0) expect(c.undo.length).toBeGreaterThan(0);
        // every symptom hangs on a root the cell expects too
        const rs = new Set(roots(c));
        for (const e of c.expected) if (e.root !== null) expect(rs.has(e.root)).toBe(true);
      }
      // removal runs last: nothing comes after a node that is gone
      expect(cells.at(-1)?.fault).toBe('node-remove');
    }
  });

  it("the reflector's BIRD stopped: BgpDaemonDown on it, its clients' sessions to it and every client pair's routes under it; nothing about unreachable nodes", () => {
    const c = cell('calico-rr', 'daemon-stop');
    const root = 'BgpDaemonDown{daemon=bird,node=fm-node1}';
    expect(roots(c)).toEqual([root]);
    const symptoms = under(c, root);
    expect(symptoms.filter((s) => s.startsWith('BgpSessionDown'))).toEqual(['2', '3', '4'].map((i) => `BgpSessionDown{daemon=bird,node=fm-node${i},peer=fm-node1}`));
    // 3 clients lose each other (6) and the reflector's own block (3); the reflector keeps its routes (persist)
    expect(symptoms.filter((s) => s.startsWith('RouteLoss'))).toHaveLength(9);
    expect(symptoms.some((s) => s.includes('RouteLoss{node=fm-node1'))).toBe(false);
    expect(c.expected.some((e) => e.rule === 'NodeUnreachable')).toBe(false);
  });

  it("another node's uplink down: UnderlayDown on that node, the routes to and from it and its sessions under it", () => {
    const c = cell('calico-rr', 'link-down');
    const root = 'UnderlayDown{interface=eth0,node=fm-node2}';
    expect(roots(c)).toEqual([root]);
    expect(under(c, root)).toEqual(
      [
        'BgpSessionDown{daemon=bird,node=fm-node1,peer=fm-node2}',
        'BgpSessionDown{daemon=bird,node=fm-node2,peer=fm-node1}',
        ...['1', '3', '4'].flatMap((i) => [`RouteLoss{node=fm-node2,peer=fm-node${i},prefix=${statusOf(shapeNamed('calico-rr')).nodes[Number(i) - 1]!.podCidr}}`, `RouteLoss{node=fm-node${i},peer=fm-node2,prefix=10.48.0.128/26}`]),
      ].sort(),
    );
  });

  it("a node whose block has no blackhole stopping its BIRD: the others' loss of its block is expected (it is known from what it announced)", () => {
    const c = cell('calico-sparse', 'daemon-stop');
    expect(roots(c)).toEqual(['BgpDaemonDown{daemon=bird,node=fm-node2}']);
    // node1 and node4 lose it over BGP; node3 (no routes of its own) loses it at its gateway node1
    expect(c.expected.filter((e) => e.rule === 'RouteLoss').map((e) => e.fingerprint).sort()).toEqual(['1', '3', '4'].map((i) => `RouteLoss{node=fm-node${i},peer=fm-node2,prefix=10.48.0.128/26}`));
  });

  it("the gateway of the node that installs nothing losing its uplink takes that node's every route with it", () => {
    const c = cell('calico-sparse', 'link-down');
    const root = 'UnderlayDown{interface=eth0,node=fm-node1}';
    expect(under(c, root).filter((s) => s.startsWith('RouteLoss{node=fm-node3'))).toHaveLength(3);
  });

  it('an FRR node whose bgpd stops loses its own routes too (zebra drops them), BIRD and GoBGP nodes keep theirs', () => {
    const frr = cell('mixed', 'daemon-stop');
    expect(roots(frr)).toEqual(['BgpDaemonDown{daemon=frr,node=fm-node3}']);
    expect(frr.expected.filter((e) => e.fingerprint.startsWith('RouteLoss{node=fm-node3'))).toHaveLength(3);
    const gobgp = cell('mixed', 'daemon-kill');
    expect(roots(gobgp)).toEqual(['BgpDaemonDown{daemon=gobgp,node=fm-node2}']);
    expect(gobgp.expected.some((e) => e.fingerprint.startsWith('RouteLoss{node=fm-node2'))).toBe(false);
  });

  it('a session cut between two healthy nodes: one BgpPeeringDown, both sides and both route losses under it', () => {
    const c = cell('calico', 'session-cut');
    const root = 'BgpPeeringDown{node=fm-node1,peer=fm-node2}';
    expect(roots(c)).toEqual([root]);
    expect(under(c, root)).toHaveLength(4);
  });

  it("a route BIRD puts back is no alert; one kube-router's agent leaves deleted is a lone RouteLoss", () => {
    expect(cell('calico', 'node-route-del').expected).toEqual([]);
    expect(cell('kube-router', 'node-route-del').expected.map((e) => [e.fingerprint, e.root])).toEqual([['RouteLoss{node=fm-node1,peer=fm-node2,prefix=10.233.2.0/24}', null]]);
  });

  it('dual stack: a link down loses both families between IPv6 nodes, only IPv4 towards the node without IPv6; an IPv6-only pod is named by its IPv6 address', () => {
    const c = cell('calico-dual', 'link-down');
    const losses = c.expected.filter((e) => e.rule === 'RouteLoss').map((e) => e.fingerprint);
    // node2 to and from node1 and node4 in both families (8), to and from node3 in IPv4 only (2)
    expect(losses).toHaveLength(10);
    expect(losses).toContain('RouteLoss{node=fm-node1,peer=fm-node2,prefix=fd00:48:0:2::/122}');
    expect(losses.some((f) => f.includes('node=fm-node3') && f.includes('fd00'))).toBe(false);
    expect(cell('calico-dual', 'pod-route-del').expected.map((e) => e.fingerprint)).toEqual(['PodRouteMissing{node=fm-node2,pod=fd00:48:0:2::1}']);
  });

  it('the ECMP transit losing its uplink: a transient loss of that branch on top of its own losses', () => {
    const c = cell('calico-ecmp', 'link-down');
    expect(c.expected.filter((e) => e.transient).map((e) => e.fingerprint)).toEqual(['RouteLoss{node=fm-node1,peer=fm-node3,prefix=10.48.0.192/26}']);
  });
});
