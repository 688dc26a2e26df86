// Alerts and notices for the notification tests, shaped as the alerts engine makes them.
import type { Alert, AlertRule, AlertSeverity, AlertState } from '@netatlas/wire';
import type { AlertNotice } from './notice.js';

let nextId = 1000;

export function testAlert(
  rule: AlertRule,
  labels: Record<string, string>,
  over: Partial<Omit<Alert, 'rule' | 'labels'>> & { state?: AlertState; severity?: AlertSeverity } = {},
): Alert {
  const state = over.state ?? 'firing';
  const startsAt = over.startsAt ?? '2026-11-23T10:00:00.000Z';
  const fingerprint = `${rule}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}}`;
  return {
    id: String(nextId++),
    rule,
    severity: 'critical',
    labels,
    fingerprint,
    summary: `${rule} ${Object.values(labels).join(' ')}`,
    startsAt,
    firedAt: state === 'pending' ? null : '2026-11-23T10:00:10.000Z',
    resolvedAt: state === 'resolved' ? '2026-11-23T10:05:00.000Z' : null,
    rootId: null,
    symptoms: 0,
    cause: { from: '2026-11-23T09:59:59.000Z', to: '2026-11-23T10:00:00.000Z' },
    clear: state === 'resolved' ? { from: '2026-11-23T10:04:59.000Z', to: '2026-11-23T10:05:00.000Z' } : null,
    ...over,
    causes: over.causes ?? [],
    acknowledged: over.acknowledged ?? null,
    silencedBy: over.silencedBy ?? null,
    state,
  };
}

/** A notice for a group: the root first, then its symptoms; transitions to the group's status. */
export function testNotice(alerts: Alert[], status: 'firing' | 'resolved' = alerts.some((a) => a.state === 'firing') ? 'firing' : 'resolved'): AlertNotice {
  const at = status === 'firing' ? '2026-11-23T10:00:10.000Z' : '2026-11-23T10:05:00.000Z';
  return {
    groupKey: alerts[0]!.fingerprint,
    status,
    alerts,
    transitions: alerts.map((alert) => ({ alert, from: status === 'firing' ? 'pending' : 'firing', to: status, at })),
    at,
  };
}

/** A node-down group: the root cause and `n` RouteLoss symptoms towards it. */
export function nodeDownGroup(node: string, n: number, state: 'firing' | 'resolved' = 'firing'): Alert[] {
  const root = testAlert('NodeUnreachable', { node }, { state, symptoms: state === 'firing' ? n : 0 });
  const symptoms = Array.from({ length: n }, (_, i) =>
    testAlert('RouteLoss', { node: `peer${i + 1}`, peer: node }, { state, rootId: root.id, severity: i % 2 ? 'warning' : 'critical' }),
  );
  return [root, ...symptoms];
}
