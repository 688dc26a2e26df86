// The alert rules, as a pure function of what the API knows at one moment: node statuses, the
// expected-state findings and the BGP sessions. Root cause first: a node that the others lost (its
// collector, or their routes and sessions to it) is one root-cause alert, and the route and session
// symptoms that involve it are grouped under it instead of flooding.
import type { AlertRule, AlertSeverity, ExpectedNode, Finding, NodeStatus } from '@netatlas/wire';
import type { SessionSignal, UplinkSignal } from './checks-worker.js';

export interface RuleSpec {
  severity: AlertSeverity;
  /** how long the condition must hold before the alert fires (ms) */
  forMs: number;
  description: string;
}

export const RULES: Record<AlertRule, RuleSpec> = {
  NodeUnreachable: { severity: 'critical', forMs: 10_000, description: 'most other nodes lost their routes or BGP sessions to a node' },
  RouteLoss: { severity: 'critical', forMs: 10_000, description: "a node has no route to another live node's pod CIDR" },
  StaleRoute: { severity: 'warning', forMs: 30_000, description: 'a route to a node that left, or via the wrong next hop' },
  BgpSessionDown: { severity: 'warning', forMs: 10_000, description: 'a BGP session is not Established' },
  CollectorLost: { severity: 'critical', forMs: 0, description: "a node's collector stopped reporting" },
  IpsetDrift: { severity: 'warning', forMs: 30_000, description: "kube-router's ipsets disagree with the cluster" },
  MtuMismatch: { severity: 'warning', forMs: 0, description: 'a pod or tunnel MTU the underlay cannot carry' },
  NodeLeft: { severity: 'info', forMs: 0, description: 'a node left the cluster on purpose' },
};

export interface NodeSignal {
  name: string;
  status: NodeStatus;
  /** when the status was last set (ms since epoch) */
  since: number;
}

export interface RuleInput {
  now: number;
  nodes: readonly NodeSignal[];
  findings: readonly Finding[];
  expected: readonly ExpectedNode[];
  sessions: readonly SessionSignal[];
  /** nodes whose underlay interface is not up (default none) */
  uplinksDown?: readonly UplinkSignal[];
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

/** Every condition that holds now. */
export function evaluateRules(input: RuleInput): Condition[] {
  const out: Condition[] = [];
  const add = (rule: AlertRule, labels: Record<string, string>, summary: string, root: string | null = null) =>
    out.push({ rule, severity: RULES[rule].severity, labels, fingerprint: fingerprintOf(rule, labels), summary, rootFingerprint: root });

  const status = new Map(input.nodes.map((n) => [n.name, n]));
  const reporting = (name: string) => REPORTING.has(status.get(name)?.status ?? 'pending');
  const inCluster = (name: string) => status.get(name)?.status !== 'left';
  const owner = new Map<string, string>();
  for (const e of input.expected) for (const a of e.addresses) owner.set(a.split('/')[0]!, e.name);

  // symptoms between pairs of nodes, before grouping
  const routeLoss = input.findings.filter((f) => f.type === 'route-missing' && reporting(f.node) && (f.peer === null || inCluster(f.peer)));
  const sessionsDown = input.sessions
    .filter((s) => s.state !== 'established' && reporting(s.node))
    .map((s) => ({ ...s, peerNode: owner.get(s.peerAddress) ?? null }))
    .filter((s) => s.peerNode === null || inCluster(s.peerNode));

  // root causes: a lost collector, or a node most others cannot reach
  const roots = new Map<string, string>();
  for (const n of input.nodes) {
    if (n.status === 'lost') {
      const labels = { node: n.name };
      roots.set(n.name, fingerprintOf('CollectorLost', labels));
      add('CollectorLost', labels, `${n.name}: its collector stopped reporting`);
    }
  }
  // a node whose own uplink is down is cut off now: its peers would only tell after their hold timer
  for (const u of input.uplinksDown ?? []) {
    if (!inCluster(u.node) || roots.has(u.node) || !reporting(u.node)) continue;
    const labels = { node: u.node };
    roots.set(u.node, fingerprintOf('NodeUnreachable', labels));
    add('NodeUnreachable', labels, `${u.node} is unreachable: its underlay interface ${u.ifname} is ${u.operstate}`);
  }
  const reportingCount = input.nodes.filter((n) => reporting(n.name)).length;
  // who lost routes or sessions to whom, indexed once (a broken cluster has N x (N-1) of them)
  const affectedBy = new Map<string, Set<string>>();
  const touch = (peer: string | null, node: string) => {
    if (peer === null || peer === node) return;
    let set = affectedBy.get(peer);
    if (!set) affectedBy.set(peer, (set = new Set()));
    set.add(node);
  };
  for (const f of routeLoss) touch(f.peer, f.node);
  for (const s of sessionsDown) touch(s.peerNode, s.node);
  for (const n of input.nodes) {
    if (!inCluster(n.name) || roots.has(n.name)) continue;
    const others = reportingCount - (reporting(n.name) ? 1 : 0);
    const affected = affectedBy.get(n.name) ?? new Set<string>();
    if (others >= 2 && affected.size >= Math.max(2, Math.ceil((2 * others) / 3))) {
      const labels = { node: n.name };
      roots.set(n.name, fingerprintOf('NodeUnreachable', labels));
      add('NodeUnreachable', labels, `${n.name} is unreachable: ${affected.size} of ${others} nodes lost their routes or BGP sessions to it`);
    }
  }
  const rootOf = (node: string, peer: string | null) => (peer !== null ? roots.get(peer) : undefined) ?? roots.get(node) ?? null;

  for (const f of routeLoss) {
    add('RouteLoss', { node: f.node, peer: f.peer ?? '', prefix: f.subject }, f.message, rootOf(f.node, f.peer));
  }
  for (const f of input.findings) {
    if ((f.type === 'route-stale' || f.type === 'route-wrong-nexthop') && reporting(f.node)) {
      add('StaleRoute', { node: f.node, peer: f.peer ?? '', prefix: f.subject }, f.message, rootOf(f.node, f.peer));
    } else if (f.type === 'mtu-mismatch' && reporting(f.node)) {
      add('MtuMismatch', { node: f.node, interface: f.subject }, f.message);
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
    add('BgpSessionDown', { node: s.node, peer, daemon: s.daemon }, `${s.node}: ${s.daemon} session to ${peer} (${s.peerAddress}) is ${s.state}`, rootOf(s.node, s.peerNode));
  }
  for (const n of input.nodes) {
    if (n.status === 'left' && input.now - n.since < input.nodeLeftShowMs) add('NodeLeft', { node: n.name }, `${n.name} left the cluster`);
  }
  // one condition per fingerprint (two findings can map to the same labels)
  const seen = new Set<string>();
  return out.filter((c) => (seen.has(c.fingerprint) ? false : (seen.add(c.fingerprint), true)));
}
