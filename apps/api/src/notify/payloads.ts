// The bodies POSTed to webhook receivers, built from an AlertNotice when it is queued (the outbox keeps
// the body, so what is sent does not depend on what the API knows later):
//   - `alertmanager`: the Prometheus Alertmanager webhook body, version "4", field for field as
//     Alertmanager sends it (notify/webhook/webhook.go Message, template/template.go Data), so
//     receivers written for Alertmanager work unchanged;
//   - `json`: netatlas's own body, the notice with the full Alert objects.
import type { Alert, AlertSeverity, AlertTransition } from '@netatlas/wire';
import type { Receiver } from './notify-config.js';
import type { AlertNotice } from './notice.js';

/** Alertmanager's zero time: an alert that has not ended. */
export const ALERTMANAGER_ZERO_TIME = '0001-01-01T00:00:00Z';

export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface AlertmanagerWebhook {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: AlertmanagerAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

export interface JsonWebhook {
  version: 1;
  receiver: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  /** when the alerts engine decided the notice */
  at: string;
  externalURL: string;
  /** the group's alerts: the root cause first, then its symptoms (at most the receiver's maxAlerts) */
  alerts: Alert[];
  /** what changed to cause this notice */
  transitions: AlertTransition[];
  truncatedAlerts: number;
}

export type WebhookBody = AlertmanagerWebhook | JsonWebhook;

const SEVERITY_RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

export function severityRank(severity: AlertSeverity): number {
  return SEVERITY_RANK[severity] ?? 0;
}

/** The most severe alert of the notice (info for an empty one). */
export function noticeSeverity(notice: AlertNotice): AlertSeverity {
  let worst: AlertSeverity = 'info';
  for (const a of notice.alerts) if (severityRank(a.severity) > severityRank(worst)) worst = a.severity;
  return worst;
}

// FNV-1a, 64 bits (prometheus/common model: hashNew/hashAdd/hashAddByte)
const FNV_OFFSET = 14695981039346656037n;
const FNV_PRIME = 1099511628211n;
const MASK64 = (1n << 64n) - 1n;

/**
 * Alertmanager's alert fingerprint: model.LabelSet.Fingerprint() (FNV-1a 64 over the sorted label
 * names and values, each followed by the separator byte 0xff), as 16 hex digits.
 */
export function labelsFingerprint(labels: Record<string, string>): string {
  let sum = FNV_OFFSET;
  const add = (bytes: Uint8Array) => {
    for (const b of bytes) {
      sum ^= BigInt(b);
      sum = (sum * FNV_PRIME) & MASK64;
    }
  };
  const encoder = new TextEncoder();
  const separator = Uint8Array.of(0xff);
  for (const name of Object.keys(labels).sort()) {
    add(encoder.encode(name));
    add(separator);
    add(encoder.encode(labels[name]!));
    add(separator);
  }
  return sum.toString(16).padStart(16, '0');
}

/** Alertmanager's `{k="v", …}` rendering of a label set (sorted, values quoted like Go's %q for plain text). */
function renderLabelSet(labels: Record<string, string>): string {
  const quote = (v: string) => JSON.stringify(v);
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${quote(labels[k]!)}`)
    .join(', ')}}`;
}

/** An alert's labels as Alertmanager sees them: alertname (the rule), severity, then the alert's own. */
export function alertLabels(alert: Alert): Record<string, string> {
  return { alertname: alert.rule, severity: alert.severity, ...alert.labels };
}

/** A link back to netatlas: the Changes view over the window that caused the alert, else the Alerts view. */
export function alertLink(alert: Alert, externalUrl: string): string {
  if (alert.cause) return `${externalUrl}/#/changes?from=${encodeURIComponent(alert.cause.from)}&to=${encodeURIComponent(alert.cause.to)}`;
  return `${externalUrl}/#/alerts`;
}

function annotations(alert: Alert, root: Alert | undefined): Record<string, string> {
  const out: Record<string, string> = { summary: alert.summary, alert_id: alert.id, netatlas_fingerprint: alert.fingerprint };
  if (alert.rootId !== null) {
    out['root_cause_id'] = alert.rootId;
    if (root && root.id === alert.rootId) {
      out['root_cause'] = root.fingerprint;
      out['root_cause_summary'] = root.summary;
    }
  }
  if (alert.symptoms > 0) out['symptoms'] = String(alert.symptoms);
  if (alert.cause) {
    out['cause_from'] = alert.cause.from;
    out['cause_to'] = alert.cause.to;
  }
  if (alert.clear) {
    out['clear_from'] = alert.clear.from;
    out['clear_to'] = alert.clear.to;
  }
  return out;
}

/** Go's regexp.QuoteMeta: a backslash before each of \\.+*?()|[]{}^$ */
export function quoteMeta(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** The labels every member has with the same value (Alertmanager's commonLabels/commonAnnotations). */
function common(sets: Array<Record<string, string>>): Record<string, string> {
  if (sets.length === 0) return {};
  const out: Record<string, string> = { ...sets[0] };
  for (const set of sets.slice(1)) for (const k of Object.keys(out)) if (set[k] !== out[k]) delete out[k];
  return out;
}

function truncate<T>(items: readonly T[], max: number): { items: T[]; truncated: number } {
  if (max > 0 && items.length > max) return { items: items.slice(0, max), truncated: items.length - max };
  return { items: [...items], truncated: 0 };
}

/**
 * The Alertmanager webhook body (version 4). Pending alerts are left out (Alertmanager never hears of
 * them: Prometheus sends an alert once it fires). groupLabels are the root cause's labels (the group
 * is the root cause and its symptoms), and groupKey renders them the way Alertmanager does
 * (`{}:{alertname="…", …}`). startsAt is when the alert fired, endsAt when it resolved, or the zero
 * time while it fires.
 */
export function alertmanagerBody(notice: AlertNotice, receiver: Pick<Receiver, 'name' | 'maxAlerts'>, externalUrl: string): AlertmanagerWebhook {
  const root = notice.alerts[0];
  const sent = notice.alerts.filter((a) => a.state !== 'pending');
  const { items, truncated } = truncate(sent, receiver.maxAlerts);
  const alerts: AlertmanagerAlert[] = items.map((a) => ({
    status: a.state === 'resolved' ? 'resolved' : 'firing',
    labels: alertLabels(a),
    annotations: annotations(a, root),
    startsAt: a.firedAt ?? a.startsAt,
    endsAt: a.state === 'resolved' ? (a.resolvedAt ?? notice.at) : ALERTMANAGER_ZERO_TIME,
    generatorURL: alertLink(a, externalUrl),
    fingerprint: labelsFingerprint(alertLabels(a)),
  }));
  const groupLabels = root ? alertLabels(root) : { netatlas_group: notice.groupKey };
  return {
    // Alertmanager passes the receiver's name through regexp.QuoteMeta (template.Data)
    receiver: quoteMeta(receiver.name),
    status: notice.status,
    alerts,
    groupLabels,
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: externalUrl,
    version: '4',
    groupKey: `{}:${renderLabelSet(groupLabels)}`,
    truncatedAlerts: truncated,
  };
}

/** netatlas's own body: the notice as it is, with the receiver and a link base. */
export function jsonBody(notice: AlertNotice, receiver: Pick<Receiver, 'name' | 'maxAlerts'>, externalUrl: string): JsonWebhook {
  const { items, truncated } = truncate(notice.alerts, receiver.maxAlerts);
  return {
    version: 1,
    receiver: receiver.name,
    groupKey: notice.groupKey,
    status: notice.status,
    at: notice.at,
    externalURL: externalUrl,
    alerts: items,
    transitions: notice.transitions,
    truncatedAlerts: truncated,
  };
}

export function buildBody(notice: AlertNotice, receiver: Pick<Receiver, 'name' | 'maxAlerts' | 'format'>, externalUrl: string): WebhookBody {
  return receiver.format === 'alertmanager' ? alertmanagerBody(notice, receiver, externalUrl) : jsonBody(notice, receiver, externalUrl);
}
