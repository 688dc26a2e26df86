// Alerts for specs: a factory that fills in what a test does not care about, transitions, the
// captured /api/checks answers of broken labs (fixtures/checks-labs.json), and the alerts of a lab
// where BGP stopped on one node (a root cause with its symptoms) next to unrelated ones.
import type { Alert, AlertState, AlertTransition, ChecksResult } from '@netatlas/wire/core';
import checksLabs from './fixtures/checks-labs.json' with { type: 'json' };

export type AlertSpec = Partial<Alert> & Pick<Alert, 'id' | 'rule'>;

export function alert(spec: AlertSpec): Alert {
  const labels = spec.labels ?? {};
  const state = spec.state ?? 'firing';
  const startsAt = spec.startsAt ?? '2026-11-23T15:00:00.000Z';
  return {
    severity: 'critical',
    fingerprint: `${spec.rule}{${Object.entries(labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}}`,
    summary: `${spec.rule} ${Object.values(labels).join(' ')}`,
    firedAt: state === 'pending' ? null : startsAt,
    resolvedAt: null,
    rootId: null,
    symptoms: 0,
    cause: { from: '2026-11-23T14:59:58.000Z', to: startsAt },
    clear: null,
    acknowledged: null,
    silencedBy: null,
    ...spec,
    causes: spec.causes ?? [],
    labels,
    state,
    startsAt,
  };
}

export function transition(a: Alert, from: AlertState | null, to: AlertState, at = '2026-11-23T15:01:00.000Z'): AlertTransition {
  return { alert: { ...a, state: to }, from, to, at };
}

/** `a` resolved at `at`, cleared by the changes of the 2 s before; its open spell under a root cause ends then (it keeps its `rootId`, as the API does). */
export function resolvedAlert(a: Alert, at: string): Alert {
  const causes = a.causes.map((c) => (c.to === null ? { ...c, to: at } : c));
  return { ...a, state: 'resolved', resolvedAt: at, causes, clear: { from: new Date(Date.parse(at) - 2000).toISOString(), to: at } };
}

/**
 * `stop-bgp` on lab-node2 of a 3-node kube-router lab, 15:00: lab-node2 unreachable (the root
 * cause, 10) explains two RouteLoss and two BgpSessionDown (one still pending); a RouteLoss whose
 * root cause (9) is not in the list; an MtuMismatch, a pending StaleRoute and a resolved NodeLeft
 * on their own.
 */
export function stopBgpAlerts(): Alert[] {
  const peer2 = { peer: 'lab-node2', prefix: '10.233.2.0/24' };
  return [
    alert({ id: '10', rule: 'NodeUnreachable', labels: { node: 'lab-node2' }, startsAt: '2026-11-23T15:00:02.000Z', firedAt: '2026-11-23T15:00:32.000Z', symptoms: 4 }),
    alert({ id: '11', rule: 'RouteLoss', labels: { node: 'lab-node1', ...peer2 }, startsAt: '2026-11-23T15:00:03.000Z', rootId: '10' }),
    alert({ id: '12', rule: 'RouteLoss', labels: { node: 'lab-node3', ...peer2 }, startsAt: '2026-11-23T15:00:04.000Z', rootId: '10' }),
    alert({ id: '13', rule: 'BgpSessionDown', severity: 'warning', labels: { node: 'lab-node1', peer: 'lab-node2', daemon: 'gobgp' }, startsAt: '2026-11-23T15:00:02.500Z', rootId: '10' }),
    alert({ id: '14', rule: 'BgpSessionDown', severity: 'warning', state: 'pending', labels: { node: 'lab-node3', peer: 'lab-node2', daemon: 'gobgp' }, startsAt: '2026-11-23T15:00:05.000Z', rootId: '10' }),
    alert({ id: '20', rule: 'RouteLoss', labels: { node: 'lab-node3', peer: 'lab-node1', prefix: '10.233.1.0/24' }, startsAt: '2026-11-23T14:58:00.000Z', rootId: '9' }),
    alert({ id: '30', rule: 'MtuMismatch', severity: 'warning', labels: { node: 'lab-node1', interface: 'flannel.1' }, startsAt: '2026-11-23T14:00:00.000Z' }),
    alert({ id: '32', rule: 'StaleRoute', severity: 'warning', state: 'pending', labels: { node: 'lab-node1', prefix: '10.233.9.0/24' }, startsAt: '2026-11-23T15:00:10.000Z' }),
    resolvedAlert(alert({ id: '31', rule: 'NodeLeft', severity: 'info', labels: { node: 'lab-node4' }, startsAt: '2026-11-23T14:30:00.000Z' }), '2026-11-23T14:45:00.000Z'),
  ];
}

export type ChecksLab = keyof (typeof checksLabs)['labs'];

/** What GET /api/checks answered for a broken lab (a fresh copy). */
export function checksOf(lab: ChecksLab): { commands: string[]; response: ChecksResult } {
  return structuredClone(checksLabs.labs[lab]) as unknown as { commands: string[]; response: ChecksResult };
}

/**
 * `a` moved under `root` (or out of any root: null) at `at`, as the API regroups it: the open spell
 * of its cause history closed, a new one opened under `root`.
 */
export function regrouped(a: Alert, root: Alert | null, at: string): Alert {
  const closed = a.causes.map((c) => (c.to === null ? { ...c, to: at } : c));
  return {
    ...a,
    rootId: root?.id ?? null,
    causes: root ? [...closed, { rootId: root.id, rule: root.rule, fingerprint: root.fingerprint, summary: root.summary, from: at, to: null }] : closed,
  };
}

/** A regrouping on /live: the alert in the same state, moved (or a root whose count changed). */
export function regrouping(a: Alert, at = '2026-11-23T15:01:00.000Z'): AlertTransition {
  return { alert: a, from: a.state, to: a.state, at };
}

/**
 * `stop-bgp` on h4-node2 of a 3-node calico lab at 15:00: its BIRD is gone (BgpDaemonDown, 50, the
 * root cause), and under it the route losses towards its block and from it, and the sessions of the
 * other nodes to it. 56 is a RouteLoss still pending and alone (the evaluation that saw it had not
 * grouped it yet); the root's own `symptoms` count is as the API last sent it.
 */
export function calicoStopBgpAlerts(): Alert[] {
  const root = alert({
    id: '50',
    rule: 'BgpDaemonDown',
    labels: { node: 'h4-node2', daemon: 'bird' },
    summary: 'h4-node2: its BGP daemon is down — its bird reader is failed: connect ENOENT /run/bird/h4-node2.ctl',
    startsAt: '2026-11-23T15:00:02.000Z',
    firedAt: '2026-11-23T15:00:12.000Z',
    symptoms: 4,
  });
  const under = (spec: AlertSpec): Alert => regrouped(alert(spec), root, spec.startsAt ?? '2026-11-23T15:00:03.000Z');
  const block2 = { peer: 'h4-node2', prefix: '10.48.0.64/26' };
  return [
    root,
    under({ id: '51', rule: 'RouteLoss', labels: { node: 'h4-node1', ...block2 }, startsAt: '2026-11-23T15:00:03.000Z', firedAt: '2026-11-23T15:00:12.000Z' }),
    under({ id: '52', rule: 'RouteLoss', labels: { node: 'h4-node3', ...block2 }, startsAt: '2026-11-23T15:00:03.000Z', firedAt: '2026-11-23T15:00:12.000Z' }),
    under({ id: '53', rule: 'BgpSessionDown', severity: 'warning', labels: { node: 'h4-node1', peer: 'h4-node2', daemon: 'bird' }, startsAt: '2026-11-23T15:00:04.000Z', firedAt: '2026-11-23T15:00:14.000Z' }),
    under({ id: '54', rule: 'BgpSessionDown', severity: 'warning', labels: { node: 'h4-node3', peer: 'h4-node2', daemon: 'bird' }, startsAt: '2026-11-23T15:00:04.000Z', firedAt: '2026-11-23T15:00:14.000Z' }),
    alert({ id: '56', rule: 'RouteLoss', state: 'pending', labels: { node: 'h4-node2', peer: 'h4-node1', prefix: '10.48.0.0/26' }, startsAt: '2026-11-23T15:00:05.000Z' }),
  ];
}
