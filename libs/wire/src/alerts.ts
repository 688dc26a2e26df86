// Alerts (issue 6): rules evaluated by the API over the expected-state findings, BGP sessions and
// node lifecycle; each alert goes pending -> firing -> resolved and is kept in Postgres. Symptoms of
// one failing node are grouped under a root-cause alert (`rootId`). Shared with the web app.

export const ALERT_RULES = [
  /** a node is unreachable from the others (routes and sessions to it lost): the root cause */
  'NodeUnreachable',
  /** A has no route to B's pods while B is alive */
  'RouteLoss',
  /** a route to a node that left, or via the wrong next hop */
  'StaleRoute',
  /** a BGP session not Established for longer than `for` */
  'BgpSessionDown',
  /** a node's collector stopped reporting */
  'CollectorLost',
  /** kube-router's ipsets disagree with the cluster's pod CIDRs and node IPs */
  'IpsetDrift',
  /** a pod or tunnel MTU the underlay cannot carry once encapsulated */
  'MtuMismatch',
  /** a node left the cluster on purpose (informational) */
  'NodeLeft',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_STATES = ['pending', 'firing', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export interface Alert {
  id: string;
  rule: AlertRule;
  severity: AlertSeverity;
  state: AlertState;
  /** identity: the rule and these labels (node, peer, prefix, set, member, interface …) */
  labels: Record<string, string>;
  /** `rule{k=v,…}`, stable across evaluations */
  fingerprint: string;
  summary: string;
  /** when the condition was first seen (pending since) */
  startsAt: string;
  /** when it started firing (null while pending, or if it cleared before `for` ran out) */
  firedAt: string | null;
  resolvedAt: string | null;
  /** the root-cause alert this one is a symptom of */
  rootId: string | null;
  /** for a root cause: how many symptom alerts it groups now */
  symptoms: number;
  /** the window of changes that caused it and that cleared it (links to /api/diff) */
  cause: { from: string; to: string } | null;
  clear: { from: string; to: string } | null;
}

/** Sent to browsers on /live and recorded for receivers when an alert changes state. */
export interface AlertTransition {
  alert: Alert;
  from: AlertState | null;
  to: AlertState;
  at: string;
}
