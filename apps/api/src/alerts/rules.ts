// The alert rules, as a pure function of what the API knows at one moment: node statuses, the
// expected-state findings and the evidence the nodes' facts give (libs/graph evidence.ts). Root
// causes are claimed on evidence, never by counting: a BGP daemon that does not answer on its node,
// an underlay interface that is down, a lost collector, a BGP session down between two nodes that
// are otherwise healthy, a lost collector whose node the others lost too, a node that left. A
// symptom (RouteLoss, BgpSessionDown, …) hangs on the root cause that lies on *its* path — the two
// nodes, a route reflector between them, a session the route was learned over (the finding's
// `dependsOn`) — never on a node merely because it is the destination.
import type { AlertRule, AlertSeverity, ExpectedNode, Finding, FindingDependencies, NodeStatus } from '@netatlas/wire';
import type { ClusterEvidence, NodeEvidence, SessionSignal } from '@netatlas/graph';

export interface RuleSpec {
  severity: AlertSeverity;
  /** how long the condition must hold before the alert fires (ms) */
  forMs: number;
  /** a root cause (others are symptoms, or stand alone) */
  root: boolean;
  description: string;
}

export const RULES: Record<AlertRule, RuleSpec> = {
  NodeUnreachable: { severity: 'critical', forMs: 10_000, root: true, description: "a node's collector is lost and the other nodes lost their BGP sessions or routes to it" },
  CollectorLost: { severity: 'critical', forMs: 0, root: true, description: "a node's collector stopped reporting" },
  UnderlayDown: { severity: 'critical', forMs: 5_000, root: true, description: 'an interface holding a node address is down' },
  BgpDaemonDown: { severity: 'critical', forMs: 10_000, root: true, description: "a node's BGP daemon does not answer" },
  BgpPeeringDown: { severity: 'warning', forMs: 10_000, root: true, description: 'a BGP session is down between two nodes that are otherwise healthy' },
  KubernetesUnavailable: { severity: 'warning', forMs: 30_000, root: true, description: 'the Kubernetes API the API watches cannot be synced' },
  RouteLoss: { severity: 'critical', forMs: 10_000, root: false, description: "a node does not deliver another live node's pod range towards it" },
  PodRouteMissing: { severity: 'critical', forMs: 10_000, root: false, description: 'a node does not deliver one of its own pods to the pod' },
  StaleRoute: { severity: 'warning', forMs: 30_000, root: false, description: 'a route into a pod range no live node holds' },
  BgpSessionDown: { severity: 'warning', forMs: 10_000, root: false, description: 'a BGP session is not Established' },
  IpsetDrift: { severity: 'warning', forMs: 30_000, root: false, description: "kube-router's ipsets disagree with the cluster" },
  MtuMismatch: { severity: 'warning', forMs: 0, root: false, description: 'a pod or tunnel MTU the underlay cannot carry' },
  PodAddressOutsideRange: { severity: 'warning', forMs: 30_000, root: false, description: "a pod's address is outside its node's pod bridge subnets" },
  NodeLeft: { severity: 'info', forMs: 0, root: true, description: 'a node left the cluster on purpose' },
};

export interface NodeSignal {
  name: string;
  status: NodeStatus;
  /** when the status was last set (ms since epoch) */
  since: number;
}

/** The Kubernetes source as the rules see it (null: Kubernetes is off). */
export interface KubeSignal {
  state: 'syncing' | 'synced' | 'failing';
  error: string | null;
  server: string | null;
  /** when the state began (ms since epoch) */
  since: number;
}

/** A source that has not finished its first sync after this long is as good as failing. */
export const KUBE_SYNC_PATIENCE_MS = 60_000;

export interface RuleInput {
  now: number;
  nodes: readonly NodeSignal[];
  findings: readonly Finding[];
  expected: readonly ExpectedNode[];
  evidence: ClusterEvidence;
  kubernetes?: KubeSignal | null;
  /** NodeLeft stays active this long after the node left (ms) */
  nodeLeftShowMs: number;
}

export interface Condition {
  rule: AlertRule;
  severity: AlertSeverity;
  labels: Record<string, string>;
  fingerprint: string;
  summary: string;
  /** the fingerprint of the root-cause condition this one is a symptom of */
  rootFingerprint: string | null;
}

export function fingerprintOf(rule: AlertRule, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return `${rule}{${parts.join(',')}}`;
}

const REPORTING: ReadonlySet<NodeStatus> = new Set(['connected', 'disconnected']);
const DAEMON_DOWN: ReadonlySet<string> = new Set(['failed', 'timeout']);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const pair = (a: string, b: string): [string, string] => (a < b ? [a, b] : [b, a]);

/** Every condition that holds now. */
export function evaluateRules(input: RuleInput): Condition[] {
  const out: Condition[] = [];
  const add = (rule: AlertRule, labels: Record<string, string>, summary: string, root: string | null = null) =>
    out.push({ rule, severity: RULES[rule].severity, labels, fingerprint: fingerprintOf(rule, labels), summary, rootFingerprint: root });

  const status = new Map(input.nodes.map((n) => [n.name, n]));
  const reporting = (name: string) => REPORTING.has(status.get(name)?.status ?? 'pending');
  const inCluster = (name: string) => status.get(name)?.status !== 'left';
  const evidence = new Map<string, NodeEvidence>(input.evidence.nodes.map((e) => [e.node, e]));

  // ---------------------------------------------------------------- root causes, with their evidence
  /** per node, the root causes that hold on it (in the order a symptom looks for them) */
  const underlay = new Map<string, string>();
  const unreachable = new Map<string, string>();
  const daemonDown = new Map<string, string>();
  const collectorLost = new Map<string, string>();

  // route findings towards each node from reporting nodes (evidence that others lost it)
  const lostTowards = new Map<string, Set<string>>();
  for (const f of input.findings) {
    if ((f.type === 'route-missing' || f.type === 'route-wrong-nexthop') && f.peer !== null && reporting(f.node)) {
      lostTowards.set(f.peer, new Set([...(lostTowards.get(f.peer) ?? []), f.node]));
    }
  }

  for (const n of input.nodes) {
    if (n.status !== 'lost') continue;
    const e = evidence.get(n.name);
    const s = e?.sessionsToIt;
    const routesLost = lostTowards.get(n.name)?.size ?? 0;
    const sessionsLost = s !== undefined && s.down > 0 && s.established === 0;
    if (sessionsLost || (s !== undefined && s.down + s.established === 0 && routesLost > 0)) {
      // data-plane evidence: the collector is gone and so is the node, as its peers see it
      const labels = { node: n.name };
      const fp = fingerprintOf('NodeUnreachable', labels);
      unreachable.set(n.name, fp);
      const seen = sessionsLost
        ? `${s.down} of ${s.down} BGP session(s) to it are down (${s.downBy.join(', ')})`
        : `${routesLost} node(s) lost their routes to its pods (${[...(lostTowards.get(n.name) ?? [])].sort().join(', ')})`;
      add('NodeUnreachable', labels, `${n.name} is unreachable: its collector is lost (since ${iso(n.since)}) and ${seen}`);
    }
  }
  for (const n of input.nodes) {
    if (n.status !== 'lost') continue;
    const labels = { node: n.name };
    collectorLost.set(n.name, fingerprintOf('CollectorLost', labels));
    add('CollectorLost', labels, `${n.name}: its collector stopped reporting (last heard ${iso(n.since)})`, unreachable.get(n.name) ?? null);
  }
  for (const e of input.evidence.nodes) {
    if (!inCluster(e.node) || !reporting(e.node)) continue;
    const u = e.uplinksDown[0];
    if (u) {
      const labels = { node: e.node, interface: u.ifname };
      underlay.set(e.node, fingerprintOf('UnderlayDown', labels));
      add('UnderlayDown', labels, `${e.node}: its underlay interface ${u.ifname} is ${u.operstate} (it holds the node's address)`);
    }
    // a daemon reader that reports the daemon gone; or no daemon seen at all while every peer's
    // session to this node is down and its own underlay is up (a collector started after the daemon died)
    const down = e.daemons.find((d) => DAEMON_DOWN.has(d.status));
    const seenOk = e.daemons.some((d) => d.status === 'ok');
    const silent = !down && !seenOk && e.sessionsToIt.down > 0 && e.sessionsToIt.established === 0 && e.uplinksDown.length === 0;
    if (down || silent) {
      const daemon = down?.daemon ?? 'bgp';
      const labels = { node: e.node, daemon };
      daemonDown.set(e.node, fingerprintOf('BgpDaemonDown', labels));
      const why = down
        ? `its ${down.daemon} reader is ${down.status}: ${down.error ?? 'no detail'}`
        : `no BGP daemon answers on it and all ${e.sessionsToIt.down} session(s) to it are down (${e.sessionsToIt.downBy.join(', ')})`;
      add('BgpDaemonDown', labels, `${e.node}: its BGP daemon is down — ${why}`);
    }
  }
  // a node none of whose sessions is up, among several, is not "otherwise healthy" either: its BGP
  // as a whole is down (a daemon just (re)started and still connecting, a firewall on all of BGP),
  // not one peering
  const isolated = (node: string) => {
    const own = evidence.get(node)?.ownSessions;
    return own !== undefined && own.established === 0 && own.down >= 2;
  };
  const troubled = (node: string) => underlay.has(node) || unreachable.has(node) || daemonDown.has(node) || collectorLost.has(node) || !reporting(node) || isolated(node);

  // sessions down between two nodes that are both healthy: the peering itself is the cause
  const sessionsDown = input.evidence.sessionsDown.filter((s) => reporting(s.node) && inCluster(s.node) && (s.peerNode === null || inCluster(s.peerNode)));
  const peering = new Map<string, string>();
  const peeringSides = new Map<string, SessionSignal[]>();
  for (const s of sessionsDown) {
    if (s.peerNode === null || s.peerNode === s.node || troubled(s.node) || troubled(s.peerNode)) continue;
    // both ends must agree it is down: while one still calls it established the facts are mid-change
    // (a daemon that just stopped, seen by its peers before its own reader tells; a hold timer
    // that ran out on one side first), and a cut between two healthy nodes is down on both
    if (s.peerSide === 'established') continue;
    const [a, b] = pair(s.node, s.peerNode);
    const k = `${a}\u0000${b}`;
    peeringSides.set(k, [...(peeringSides.get(k) ?? []), s]);
  }
  for (const [k, sides] of [...peeringSides].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    // one end reporting down and the other end's facts gone is not enough either: its peer must report the session too
    if (!sides.some((x) => x.peerSide === 'down')) continue;
    const [a, b] = k.split('\u0000') as [string, string];
    const labels = { node: a, peer: b };
    peering.set(k, fingerprintOf('BgpPeeringDown', labels));
    const said = sides.map((s) => `${s.node}'s ${s.daemon} session is ${s.state}${s.since ? ` since ${s.since}` : ''}`).join('; ');
    add('BgpPeeringDown', labels, `the BGP session between ${a} and ${b} is down while both nodes are up: ${said}`);
  }
  const k = input.kubernetes;
  if (k && (k.state === 'failing' || (k.state === 'syncing' && input.now - k.since >= KUBE_SYNC_PATIENCE_MS))) {
    const why = k.state === 'failing' ? (k.error ?? 'no detail') : `still not synced after ${Math.round((input.now - k.since) / 1000)} s`;
    add('KubernetesUnavailable', {}, `the Kubernetes API${k.server ? ` at ${k.server}` : ''} cannot be synced: ${why} (expected routes rest on what the nodes announce meanwhile)`);
  }

  /** The open root cause on a symptom's path, in the order: links and lost nodes, peerings, daemons. */
  const rootOf = (dep: FindingDependencies): string | null => {
    for (const n of dep.nodes) {
      const fp = underlay.get(n) ?? unreachable.get(n);
      if (fp) return fp;
    }
    for (const [x, y] of dep.sessions) {
      const [a, b] = pair(x, y);
      const fp = peering.get(`${a}\u0000${b}`);
      if (fp) return fp;
    }
    for (const n of dep.nodes) {
      const fp = daemonDown.get(n);
      if (fp) return fp;
    }
    return null;
  };

  // ---------------------------------------------------------------- symptoms
  for (const f of input.findings) {
    if (!reporting(f.node)) continue; // a lost collector's view is frozen: it counts for nothing
    const deps = f.dependsOn ?? { nodes: [f.node], sessions: [] };
    switch (f.type) {
      case 'route-missing':
      case 'route-wrong-nexthop':
        if (f.peer !== null && !inCluster(f.peer)) break;
        add('RouteLoss', { node: f.node, peer: f.peer ?? '', prefix: f.subject }, f.message, rootOf(deps));
        break;
      case 'route-stale':
        add('StaleRoute', { node: f.node, peer: f.peer ?? '', prefix: f.subject }, f.message, rootOf(deps));
        break;
      case 'pod-route-missing':
        add('PodRouteMissing', { node: f.node, pod: f.subject }, f.message, rootOf(deps));
        break;
      case 'pod-address-outside-range':
        add('PodAddressOutsideRange', { node: f.node, pod: f.subject }, f.message);
        break;
      case 'mtu-mismatch':
        add('MtuMismatch', { node: f.node, interface: f.subject }, f.message);
        break;
      default:
        break;
    }
  }
  // ipset drift: one alert per node and set, however many members are off
  const drift = new Map<string, Finding[]>();
  for (const f of input.findings) {
    if ((f.type === 'ipset-missing' || f.type === 'ipset-extra') && reporting(f.node)) {
      const set = f.subject.split(' ')[0]!;
      const k = `${f.node}\u0000${set}`;
      drift.set(k, [...(drift.get(k) ?? []), f]);
    }
  }
  for (const [k, list] of drift) {
    const [node, set] = k.split('\u0000') as [string, string];
    const missing = list.filter((f) => f.type === 'ipset-missing').length;
    const extra = list.length - missing;
    add('IpsetDrift', { node, set }, `${node}: ipset ${set} lacks ${missing} and has ${extra} unexpected member(s): ${list.map((f) => f.subject.split(' ').slice(1).join(' ')).slice(0, 5).join(', ')}`);
  }
  for (const s of sessionsDown) {
    const peer = s.peerNode ?? s.peerAddress;
    const deps: FindingDependencies = { nodes: s.peerNode === null ? [s.node] : [s.node, s.peerNode], sessions: s.peerNode === null ? [] : [[s.node, s.peerNode]] };
    add('BgpSessionDown', { node: s.node, peer, daemon: s.daemon }, `${s.node}: ${s.daemon} session to ${peer} (${s.peerAddress}) is ${s.state}`, rootOf(deps));
  }
  for (const n of input.nodes) {
    if (n.status === 'left' && input.now - n.since < input.nodeLeftShowMs) add('NodeLeft', { node: n.name }, `${n.name} left the cluster`);
  }
  // one condition per fingerprint (two findings can map to the same labels)
  const seen = new Set<string>();
  return out.filter((c) => (seen.has(c.fingerprint) ? false : (seen.add(c.fingerprint), true)));
}
