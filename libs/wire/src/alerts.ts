// Alerts: rules evaluated by the API over the expected-state findings, the nodes' evidence (daemon
// readers, underlay links, BGP sessions) and node lifecycle; each alert goes pending -> firing ->
// resolved and is kept in Postgres. Symptoms are grouped under the root cause on their path
// (`rootId`, with the history in `causes`). Shared with the web app. An alert's shape is declared
// once, as a schema (alerts-schemas.ts); the types here are its.
import type { z } from 'zod';
import type { AlertCauseSchema, AlertSchema } from './alerts-schemas.js';

export const ALERT_RULES = [
  // root causes: each claimed on evidence, named in its summary
  /** a node's collector is lost and the other nodes lost their BGP sessions or routes to it */
  'NodeUnreachable',
  /** a node's collector stopped reporting */
  'CollectorLost',
  /** an interface holding a node's own address is down */
  'UnderlayDown',
  /** a node's BGP daemon does not answer (its reader says the daemon or its socket is gone) */
  'BgpDaemonDown',
  /** a BGP session is down between two nodes that are otherwise healthy */
  'BgpPeeringDown',
  /** the Kubernetes API the API watches cannot be synced */
  'KubernetesUnavailable',
  /** a node left the cluster on purpose (informational) */
  'NodeLeft',
  // symptoms: grouped under the root cause on their path, or alone
  /** A does not deliver B's pod range towards B while B is alive */
  'RouteLoss',
  /** a node does not deliver one of its own pods (its /32, or the bridge route, is gone) */
  'PodRouteMissing',
  /** a route into a pod range no live node holds (a node that left, an unknown gateway) */
  'StaleRoute',
  /** a BGP session not Established for longer than `for` */
  'BgpSessionDown',
  /** kube-router's ipsets disagree with the cluster's pod CIDRs and node IPs */
  'IpsetDrift',
  /** a pod or tunnel MTU the underlay cannot carry once encapsulated */
  'MtuMismatch',
  /** a pod's address lies outside its node's pod bridge subnets */
  'PodAddressOutsideRange',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_STATES = ['pending', 'firing', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/**
 * What GET /api/alerts?state= filters on: an alert's state now, or `open` for pending or firing
 * (the alerts view's `state=open`: not yet resolved).
 */
export const ALERT_STATE_FILTERS = [...ALERT_STATES, 'open'] as const;
export type AlertStateFilter = (typeof ALERT_STATE_FILTERS)[number];
/** the states each filter stands for */
export const ALERT_STATES_OF_FILTER: Readonly<Record<AlertStateFilter, readonly AlertState[]>> = {
  pending: ['pending'],
  firing: ['firing'],
  resolved: ['resolved'],
  open: ['pending', 'firing'],
};

/**
 * An alert's lifecycle: what each state may become (`new` is an alert not yet open). A condition
 * that appears opens a pending alert (firing at once when its rule's `for` is 0); pending fires
 * once it held for `for` (and its root cause is not pending), or resolves when it clears first;
 * firing resolves; resolved is final (the condition coming back opens a new alert). A state to
 * itself is a regrouping (another root, or a root's count of symptoms changed), never on a
 * resolved alert.
 */
export const ALERT_TRANSITIONS: Readonly<Record<AlertState | 'new', readonly AlertState[]>> = {
  new: ['pending'],
  pending: ['pending', 'firing', 'resolved'],
  firing: ['firing', 'resolved'],
  resolved: [],
};

/** Whether `from` → `to` is in ALERT_TRANSITIONS (`from` null: a new alert). */
export function isAlertTransition(from: AlertState | null, to: AlertState): boolean {
  return ALERT_TRANSITIONS[from ?? 'new'].includes(to);
}

export type Alert = z.infer<typeof AlertSchema>;

/** One spell of a symptom under a root cause. */
export type AlertCause = z.infer<typeof AlertCauseSchema>;

/**
 * Sent to browsers on /live and recorded for receivers when an alert changes state. `from` equal
 * to `to` is a regrouping: the alert moved under another root cause (or out of one), or a root's
 * count of symptoms changed; receivers are not notified of those.
 */
export interface AlertTransition {
  alert: Alert;
  from: AlertState | null;
  to: AlertState;
  at: string;
}
