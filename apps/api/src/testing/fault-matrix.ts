// The fault matrix (issue 14): for every lab shape, the faults that apply to it, each with the
// alerts it must raise written down *before* anything runs — the root causes, and the symptoms
// under each. The expectations come from how the shape is built (who peers with whom, who installs
// what, which daemon keeps its routes when it stops), never from netatlas's own code: a small model
// of the shape's routing below says which node still delivers to which once the fault has taken
// effect. `npm run bench:faults` runs it against real labs; a subset runs in CI.
import type { AlertRule } from '@netatlas/wire';
import type { LabStatus, Shape } from '@netatlas/lab-testing';
import { fingerprintOf } from '../alerts/rules.js';

export type LabNode = LabStatus['nodes'][0];

/** An alert the cell expects: its fingerprint and the fingerprint of the root it must hang on. */
export interface ExpectedAlert {
  fingerprint: string;
  rule: AlertRule;
  /** null: a root cause, or a symptom that stands alone */
  root: string | null;
  /** it reaches the other nodes only when their BGP hold timer runs out */
  afterHoldTimer: boolean;
  /** it may resolve on its own before the fault is undone (a transient the fault causes) */
  transient?: boolean;
}

export type FaultKind =
  | 'daemon-stop'
  | 'daemon-kill'
  | 'session-cut'
  | 'link-down'
  | 'pod-route-del'
  | 'node-route-del'
  | 'mtu'
  | 'ipset-del'
  | 'collector-kill'
  | 'node-remove';

export const FAULT_KINDS: readonly FaultKind[] = ['daemon-stop', 'daemon-kill', 'session-cut', 'link-down', 'pod-route-del', 'node-route-del', 'mtu', 'ipset-del', 'collector-kill', 'node-remove'];

/** What the runner does for a fault: lab commands and shell steps, and their undo. */
export type Step =
  | { lab: string[] }
  | { sh: [string, ...string[]] }
  /** delete a route from a node's main table, keeping its line so that `restoreRoute` puts it back as it was */
  | { delRoute: { ns: string; dst: string } }
  | { restoreRoute: { ns: string; dst: string } }
  | { collector: 'kill' | 'start'; node: string }
  | { kube: 'delete-node'; node: string };

export interface Cell {
  shape: string;
  fault: FaultKind;
  /** one line: what is done to which node */
  what: string;
  run: Step[];
  /** how to undo it (empty: it is not undone; the matrix runs such cells last) */
  undo: Step[];
  expected: ExpectedAlert[];
}

// ------------------------------------------------------------------ the shape's routing model

interface Model {
  shape: Shape;
  lab: string;
  nodes: LabNode[];
  byName: Map<string, LabNode>;
  index: (n: LabNode) => number;
  rr: LabNode | null;
  /** node -> the node it routes everything through (--install-none I:VIA) */
  installNone: Map<string, string>;
  /** [node, of]: node announces of's block too (--also-announce) */
  alsoAnnounce: Array<[string, string]>;
}

/** The values of `--flag A:B,C:D` in a shape's `up` arguments. */
function flagPairs(up: readonly string[], flag: string): Array<[number, number]> {
  const i = up.indexOf(flag);
  if (i < 0) return [];
  return (up[i + 1] ?? '').split(',').map((x) => x.split(':').map(Number) as [number, number]);
}

function model(shape: Shape, status: LabStatus): Model {
  const index = (n: LabNode) => Number(/node(\d+)$/.exec(n.name)?.[1] ?? 0);
  const byIndex = new Map(status.nodes.map((n) => [index(n), n]));
  const name = (i: number) => byIndex.get(i)?.name ?? `?${i}`;
  return {
    shape,
    lab: status.name,
    nodes: status.nodes,
    byName: new Map(status.nodes.map((n) => [n.name, n])),
    index,
    rr: shape.routeReflector === null ? null : (byIndex.get(shape.routeReflector) ?? null),
    installNone: new Map(flagPairs(shape.up, '--install-none').map(([n, via]) => [name(n), name(via)])),
    alsoAnnounce: flagPairs(shape.up, '--also-announce').map(([n, of]) => [name(n), name(of)]),
  };
}

const daemonOf = (n: LabNode): 'bird' | 'gobgp' | 'frr' | null => n.daemon;
/** Whether the node's kernel keeps what its daemon learned when the daemon stops (BIRD: persist; GoBGP: the route agent; FRR: zebra drops them). */
const keepsRoutes = (n: LabNode): boolean => n.daemon !== 'frr';

/** The BGP sessions a node has: a full mesh, or client <-> reflector. */
function peersOf(m: Model, n: LabNode): LabNode[] {
  if (daemonOf(n) === null) return [];
  if (m.rr === null) return m.nodes.filter((x) => x !== n);
  return n === m.rr ? m.nodes.filter((x) => x !== n) : [m.rr];
}

/** What a fault breaks, in the model's terms. */
interface Broken {
  /** nodes whose daemon is stopped */
  daemonDown: Set<string>;
  /** nodes whose underlay link is down */
  linkDown: Set<string>;
  /** sessions cut, as "a|b" both ways */
  cut: Set<string>;
  /** [node, prefix] routes deleted by hand and not put back */
  deleted: Set<string>;
}

const none = (): Broken => ({ daemonDown: new Set(), linkDown: new Set(), cut: new Set(), deleted: new Set() });
const sessionUp = (m: Model, b: Broken, x: LabNode, y: LabNode) =>
  !b.cut.has(`${x.name}|${y.name}`) && !b.daemonDown.has(x.name) && !b.daemonDown.has(y.name) && !b.linkDown.has(x.name) && !b.linkDown.has(y.name);

/** Whether node x holds a BGP route to y's block now (learned over an intact path). */
function learns(m: Model, b: Broken, x: LabNode, y: LabNode): boolean {
  if (m.rr === null || x === m.rr || y === m.rr) return sessionUp(m, b, x, y);
  return sessionUp(m, b, x, m.rr) && sessionUp(m, b, m.rr, y);
}

/**
 * The next hops x's kernel uses for y's block, or null when it has no route: BGP-learned (kept when
 * x's own daemon stopped and it keeps routes), through a node that also announces the block (ECMP),
 * or the install-none node's aggregate via its gateway.
 */
function nextHops(m: Model, b: Broken, x: LabNode, y: LabNode, prefix: string): LabNode[] | null {
  if (b.deleted.has(`${x.name}|${prefix}`)) return null;
  const via = m.installNone.get(x.name);
  if (via !== undefined) return [m.byName.get(via) as LabNode];
  if (daemonOf(x) === null) return b.linkDown.has(x.name) ? null : [y]; // flannel: static routes
  const frozen = b.daemonDown.has(x.name) && keepsRoutes(x) && !b.linkDown.has(x.name);
  const hops: LabNode[] = [];
  if (frozen || learns(m, b, x, y)) hops.push(y);
  for (const [a, of] of m.alsoAnnounce) {
    const an = m.byName.get(a) as LabNode;
    if (of === y.name && an !== x && (frozen || learns(m, b, x, an))) hops.push(an);
  }
  return hops.length > 0 ? hops : null;
}

/** Whether what x sends into y's block (`prefix`, default its IPv4 one) reaches y, after the fault has fully taken effect. */
function delivers(m: Model, b: Broken, x: LabNode, y: LabNode, prefix: string = y.podCidr, seen: Set<string> = new Set()): boolean {
  if (b.linkDown.has(x.name) || b.linkDown.has(y.name)) return false;
  const hops = nextHops(m, b, x, y, prefix);
  if (hops === null) return false;
  return hops.every((h) => h === y || (!seen.has(h.name) && !b.linkDown.has(h.name) && delivers(m, b, h, y, prefix, new Set([...seen, x.name]))));
}

// ------------------------------------------------------------------ expected alerts

const fp = (rule: AlertRule, labels: Record<string, string>) => fingerprintOf(rule, labels);
const routeLoss = (x: LabNode, y: LabNode, prefix: string, root: string | null, afterHoldTimer: boolean): ExpectedAlert => ({
  fingerprint: fp('RouteLoss', { node: x.name, peer: y.name, prefix }),
  rule: 'RouteLoss',
  root,
  afterHoldTimer,
});
const sessionDown = (x: LabNode, y: LabNode, root: string | null, afterHoldTimer: boolean): ExpectedAlert => ({
  fingerprint: fp('BgpSessionDown', { node: x.name, peer: y.name, daemon: daemonOf(x) ?? 'bird' }),
  rule: 'BgpSessionDown',
  root,
  afterHoldTimer,
});

/**
 * A node's pod ranges as x must reach them: its IPv4 block, and its IPv6 block where both speak
 * IPv6 (a dual-stack lab routes both families over the same peerings; no IPv6 is expected of a
 * node without it).
 */
function rangesTo(x: LabNode, y: LabNode): string[] {
  return [y.podCidr, ...(y.podCidr6 && x.underlayIp6 ? [y.podCidr6] : [])];
}

/** Every RouteLoss the fault causes: pairs (and each of their families) that delivered before and do not after. */
function lostRoutes(m: Model, b: Broken, root: string | null, afterHoldTimer: (x: LabNode, y: LabNode) => boolean): ExpectedAlert[] {
  const out: ExpectedAlert[] = [];
  for (const x of m.nodes) for (const y of m.nodes) {
    if (x === y || !delivers(m, none(), x, y)) continue;
    for (const prefix of rangesTo(x, y)) if (!delivers(m, b, x, y, prefix)) out.push(routeLoss(x, y, prefix, root, afterHoldTimer(x, y)));
  }
  return out;
}

function node(m: Model, i: number): LabNode {
  const n = m.nodes.find((x) => m.index(x) === i);
  if (!n) throw new Error(`shape ${m.shape.name} has no node ${i}`);
  return n;
}

/** The node a fault of this kind hits in this shape (the interesting one: the reflector, a transit node …). */
function target(m: Model, fault: FaultKind): LabNode {
  const s = m.shape.name;
  switch (fault) {
    case 'daemon-stop':
      // the reflector (its clients lose each other), an FRR node (zebra drops its routes), the ECMP transit
      return s === 'calico-rr' ? node(m, 1) : s === 'mixed' ? node(m, 3) : s === 'calico-ecmp' ? node(m, 2) : node(m, 2);
    case 'daemon-kill':
      return s === 'mixed' ? node(m, 2) : s === 'calico-sparse' ? node(m, 1) : node(m, 2);
    case 'link-down':
      // another node's uplink: a client, the gateway of the node that installs nothing, the ECMP transit
      return s === 'calico-sparse' ? node(m, 1) : node(m, 2);
    case 'node-remove':
      return s === 'calico-ecmp' ? node(m, 1) : node(m, m.nodes.length);
    default:
      return node(m, 2);
  }
}

/** The cells of one shape, in the order they run (those that cannot be undone last). */
export function cellsFor(shape: Shape, status: LabStatus, faults: readonly FaultKind[] = FAULT_KINDS): Cell[] {
  const m = model(shape, status);
  const bgp = m.nodes.some((n) => daemonOf(n) !== null);
  const cells: Cell[] = [];
  const lab = (...args: string[]) => ({ lab: [...args, '--name', m.lab] });
  const add = (fault: FaultKind, what: string, run: Step[], undo: Step[], expected: ExpectedAlert[]) => {
    if (faults.includes(fault)) cells.push({ shape: shape.name, fault, what, run, undo, expected });
  };

  if (bgp) {
    for (const kill of [false, true]) {
      const t = target(m, kill ? 'daemon-kill' : 'daemon-stop');
      const daemon = daemonOf(t) ?? 'bird';
      const root = fp('BgpDaemonDown', { node: t.name, daemon });
      const b = { ...none(), daemonDown: new Set([t.name]) };
      // a graceful stop tells the peers at once; a killed daemon's connections are closed by the
      // kernel, which peers may notice only on their hold timer: allowed that long
      const slow = kill;
      add(
        kill ? 'daemon-kill' : 'daemon-stop',
        `${kill ? 'kill -9' : 'stop'} ${daemon} on ${t.name}`,
        [lab('stop-bgp', t.name, ...(kill ? ['--kill'] : []))],
        [lab('start-bgp', t.name)],
        [
          { fingerprint: root, rule: 'BgpDaemonDown', root: null, afterHoldTimer: false },
          ...m.nodes.filter((p) => p !== t && peersOf(m, p).includes(t)).map((p) => sessionDown(p, t, root, kill)),
          // the node's own routes go at once when zebra drops them; the others' when they hear it
          ...lostRoutes(m, b, root, (x) => (x === t ? false : slow)),
        ],
      );
    }
    {
      const a = m.rr ?? node(m, 1);
      const c = m.rr ? node(m, 2) : node(m, 2);
      const [x, y] = a.name < c.name ? [a, c] : [c, a];
      const root = fp('BgpPeeringDown', { node: x.name, peer: y.name });
      const b = { ...none(), cut: new Set([`${a.name}|${c.name}`, `${c.name}|${a.name}`]) };
      add(
        'session-cut',
        `a firewall rule on ${a.name} drops BGP to and from ${c.name}`,
        [lab('cut-session', a.name, c.name)],
        [lab('restore-session', a.name, c.name)],
        [
          { fingerprint: root, rule: 'BgpPeeringDown', root: null, afterHoldTimer: true },
          sessionDown(a, c, root, true),
          sessionDown(c, a, root, true),
          ...lostRoutes(m, b, root, () => true),
        ],
      );
    }
  }
  {
    const t = target(m, 'link-down');
    const root = fp('UnderlayDown', { node: t.name, interface: 'eth0' });
    const b = { ...none(), linkDown: new Set([t.name]) };
    const transient: ExpectedAlert[] = [];
    // an ECMP branch through the node dies at once; the route loses that branch when BGP notices
    for (const [an, of] of m.alsoAnnounce) {
      if (an !== t.name) continue;
      const y = m.byName.get(of) as LabNode;
      for (const x of m.nodes) if (x !== t && x !== y && delivers(m, b, x, y)) transient.push({ ...routeLoss(x, y, y.podCidr, root, false), transient: true });
    }
    add(
      'link-down',
      `${t.name}'s underlay port goes down`,
      [lab('link-down', t.name)],
      [lab('link-up', t.name)],
      [
        { fingerprint: root, rule: 'UnderlayDown', root: null, afterHoldTimer: false },
        // the node's own sessions close at once (it sees its link go); its peers' on their hold timer
        // (BIRD drops direct sessions when their device goes; GoBGP waits for its hold timer)
        ...(bgp ? peersOf(m, t).flatMap((p) => [sessionDown(t, p, root, daemonOf(t) !== 'bird'), ...(peersOf(m, p).includes(t) ? [sessionDown(p, t, root, true)] : [])]) : []),
        // what is sent to or from it is lost at once, before BGP notices
        ...lostRoutes(m, b, root, () => false),
        ...transient,
      ],
    );
  }
  {
    const t = target(m, 'pod-route-del');
    const pod = t.pods[0];
    if (pod) {
      const calicoStyle = m.shape.up.includes('calico');
      // an IPv6-only pod (shape calico-dual) has no IPv4 address (`ip` null): its /128 then
      const podIp = pod.ip ?? pod.ip6 ?? '';
      const dst = calicoStyle ? (pod.ip !== null ? `${pod.ip}/32` : `${podIp}/128`) : t.podCidr;
      add(
        'pod-route-del',
        `delete ${dst} on ${t.name} (${calicoStyle ? "the pod's /32" : "the bridge's subnet route"})`,
        [{ delRoute: { ns: t.namespace, dst } }],
        [{ restoreRoute: { ns: t.namespace, dst } }],
        [{ fingerprint: fp('PodRouteMissing', { node: t.name, pod: podIp }), rule: 'PodRouteMissing', root: null, afterHoldTimer: false }],
      );
    }
  }
  {
    const a = node(m, m.shape.name === 'mixed' ? 2 : 1);
    const bn = node(m, m.shape.name === 'mixed' ? 3 : 2);
    // BIRD's kernel protocol puts a route deleted under it back within its scan time (2 s): nothing
    // fires; zebra, GoBGP's route agent (like kube-router, until its periodic resync) and flannel's
    // static routes leave it deleted
    const restored = daemonOf(a) === 'bird' && !m.installNone.has(a.name);
    const b = { ...none(), deleted: new Set([`${a.name}|${bn.podCidr}`]) };
    add(
      'node-route-del',
      `delete ${a.name}'s route to ${bn.name}'s pods (${bn.podCidr})${restored ? '; BIRD puts it back' : ''}`,
      [{ delRoute: { ns: a.namespace, dst: bn.podCidr } }],
      restored ? [] : [{ restoreRoute: { ns: a.namespace, dst: bn.podCidr } }],
      restored ? [] : lostRoutes(m, b, null, () => false),
    );
  }
  {
    const t = target(m, 'mtu');
    const pod = t.pods[0];
    if (pod) {
      const flannel = m.shape.up.includes('flannel');
      const mtu = flannel ? 1500 : 9000;
      add(
        'mtu',
        `${t.name}'s pod interface ${pod.hostVeth} to MTU ${mtu}`,
        [lab('set-mtu', t.name, pod.hostVeth, String(mtu))],
        [lab('set-mtu', t.name, pod.hostVeth, flannel ? '1450' : '1500')],
        [{ fingerprint: fp('MtuMismatch', { node: t.name, interface: pod.hostVeth }), rule: 'MtuMismatch', root: null, afterHoldTimer: false }],
      );
    }
  }
  if (m.shape.up.includes('kube-router')) {
    const a = node(m, 1);
    const bn = node(m, 2);
    add(
      'ipset-del',
      `remove ${bn.podCidr} from ${a.name}'s kube-router-pod-subnets`,
      [{ sh: ['ip', 'netns', 'exec', a.namespace, 'ipset', 'del', 'kube-router-pod-subnets', bn.podCidr] }],
      [{ sh: ['ip', 'netns', 'exec', a.namespace, 'ipset', 'add', 'kube-router-pod-subnets', bn.podCidr] }],
      [{ fingerprint: fp('IpsetDrift', { node: a.name, set: 'kube-router-pod-subnets' }), rule: 'IpsetDrift', root: null, afterHoldTimer: false }],
    );
  }
  {
    const t = target(m, 'collector-kill');
    add(
      'collector-kill',
      `kill -9 ${t.name}'s collector`,
      [{ collector: 'kill', node: t.name }],
      [{ collector: 'start', node: t.name }],
      [{ fingerprint: fp('CollectorLost', { node: t.name }), rule: 'CollectorLost', root: null, afterHoldTimer: false }],
    );
  }
  {
    const t = target(m, 'node-remove');
    // graceful, as an operator does it: Kubernetes deletes the Node, then the node goes
    add(
      'node-remove',
      `kubectl delete node ${t.name}, then remove it from the lab`,
      [{ kube: 'delete-node', node: t.name }, lab('remove-node', t.name)],
      [],
      [{ fingerprint: fp('NodeLeft', { node: t.name }), rule: 'NodeLeft', root: null, afterHoldTimer: false }],
    );
  }
  return cells;
}
