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

/** `a` resolved at `at`, cleared by the changes of the 2 s before. */
export function resolvedAlert(a: Alert, at: string): Alert {
  return { ...a, state: 'resolved', resolvedAt: at, clear: { from: new Date(Date.parse(at) - 2000).toISOString(), to: at } };
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
