// The Alerts view's model, apart from the DOM: each alert's state at the moment shown, the links to
// the route diffs that caused and cleared it, the filters, the grouping of symptoms under their
// root cause (root causes first, lone alerts after), live transitions merged into the list, and the
// counts of the summary and the header's badge. Pure: the moment and `now` are passed in.
import type { Alert, AlertRule, AlertSeverity, AlertState, AlertTransition } from '@netatlas/wire/core';
import { ALERT_RULES } from '@netatlas/wire/core';
import { formatDuration } from '../../format/time.js';
import { laterAlert, sameAlert, transitionAlert } from '../../state/live-store.js';
import { formatHash } from '../../state/route.js';

/** open: pending or firing; firing; all: every alert of the window (resolved ones too). */
export const STATE_FILTERS = ['all', 'open', 'firing'] as const;
export type StateFilter = (typeof STATE_FILTERS)[number];

export const STATE_FILTER_TITLES: Record<StateFilter, string> = {
  all: 'all in the window',
  open: 'open (pending, firing)',
  firing: 'firing',
};

export interface AlertFilters {
  state: StateFilter;
  /** only this rule; null: every rule */
  rule: AlertRule | null;
}

/** The filters a route's view options say (`state=open|firing`, `rule=RouteLoss`); unknown values are ignored. */
export function filtersFromParams(params: ReadonlyMap<string, string>): AlertFilters {
  const state = params.get('state');
  const rule = params.get('rule');
  return {
    state: (STATE_FILTERS as readonly string[]).includes(state ?? '') ? (state as StateFilter) : 'all',
    rule: (ALERT_RULES as readonly string[]).includes(rule ?? '') ? (rule as AlertRule) : null,
  };
}

/**
 * The state an alert was in at a moment (null: now, its state as recorded), from its times:
 * resolved once `resolvedAt` passed, firing once `firedAt` passed, else pending; null when it had
 * not started yet.
 */
export function stateAt(a: Alert, at: Date | null): AlertState | null {
  if (at === null) return a.state;
  const t = at.getTime();
  if (Date.parse(a.startsAt) > t) return null;
  if (a.resolvedAt !== null && Date.parse(a.resolvedAt) <= t) return 'resolved';
  if (a.firedAt !== null && Date.parse(a.firedAt) <= t) return 'firing';
  // a record that says resolved without a time (it should not happen): resolved
  return a.state === 'resolved' && a.resolvedAt === null ? 'resolved' : 'pending';
}

/** The Changes view over a window of changes (`#/changes?from=…&to=…`), or null for a bad window. */
export function changesHref(window: { from: string; to: string } | null): string | null {
  if (!window) return null;
  const from = new Date(window.from);
  const to = new Date(window.to);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return null;
  return formatHash({ view: 'changes', node: null, time: from <= to ? { mode: 'compare', from, to } : { mode: 'compare', from: to, to: from }, params: new Map() });
}

export interface AlertRow {
  alert: Alert;
  /** its state at the moment shown (live: now; a compare range: at its end) */
  state: AlertState;
  /** when it entered that state (ISO) */
  since: string;
  /** the route diff of the changes that caused it (a Changes view link) */
  causeHref: string | null;
  /** once resolved: the route diff of the changes that cleared it */
  clearHref: string | null;
}

export function alertRow(a: Alert, at: Date | null): AlertRow {
  const state = stateAt(a, at) ?? a.state;
  const since = state === 'resolved' ? (a.resolvedAt ?? a.startsAt) : state === 'firing' ? (a.firedAt ?? a.startsAt) : a.startsAt;
  return { alert: a, state, since, causeHref: changesHref(a.cause), clearHref: a.resolvedAt !== null ? changesHref(a.clear) : null };
}

/** `firing for 3m 05s`, `pending for 40 s`, or for a resolved one how long it was open. */
export function sinceText(row: AlertRow, now: Date): string {
  const a = row.alert;
  if (row.state === 'resolved') {
    const end = a.resolvedAt ? Date.parse(a.resolvedAt) : now.getTime();
    return `was open ${formatDuration(Math.max(0, end - Date.parse(a.startsAt)))}`;
  }
  return `${row.state} for ${formatDuration(Math.max(0, now.getTime() - Date.parse(row.since)))}`;
}

const SHOW_ORDER: Record<AlertState, number> = { firing: 0, pending: 1, resolved: 2 };
export const SEVERITY_ORDER: Record<AlertSeverity, number> = { critical: 0, warning: 1, info: 2 };

const compareIds = (a: string, b: string): number => (/^\d+$/.test(a) && /^\d+$/.test(b) ? (a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)) : a < b ? -1 : a > b ? 1 : 0);

/** Firing, then pending, then resolved; then by severity; then newest first. */
export function compareRows(x: AlertRow, y: AlertRow): number {
  return (
    SHOW_ORDER[x.state] - SHOW_ORDER[y.state] ||
    (SEVERITY_ORDER[x.alert.severity] ?? 3) - (SEVERITY_ORDER[y.alert.severity] ?? 3) ||
    Date.parse(y.alert.startsAt) - Date.parse(x.alert.startsAt) ||
    compareIds(y.alert.id, x.alert.id)
  );
}

export function filterAlertRows(rows: readonly AlertRow[], f: AlertFilters): AlertRow[] {
  return rows.filter((r) => (f.rule === null || r.alert.rule === f.rule) && (f.state === 'all' || r.state === 'firing' || (f.state === 'open' && r.state === 'pending')));
}

export type AlertGroup =
  /** a root cause with the symptoms of the list that name it (directly or through another symptom) */
  | { kind: 'root'; id: string; root: AlertRow; symptoms: AlertRow[] }
  /**
   * symptoms whose root cause is not in the list (filtered out, or outside the window): grouped
   * all the same; `root` is the root cause when it is known (the unfiltered alerts)
   */
  | { kind: 'orphans'; id: string; root: Alert | null; symptoms: AlertRow[] }
  /** an alert that is nobody's symptom and has none */
  | { kind: 'lone'; id: string; alert: AlertRow };

/**
 * The rows as groups: root causes (and symptoms whose root is missing) first, each with its
 * symptoms, ordered by `compareRows` of the root (of the first symptom when it is missing); lone
 * alerts after. An alert is a root cause when a symptom in the list names it or the API counts
 * open symptoms for it. `known`: alerts that may be missing from the rows (to name a missing root).
 */
export function groupAlerts(rows: readonly AlertRow[], known: ReadonlyMap<string, Alert> = new Map()): AlertGroup[] {
  const byId = new Map(rows.map((r) => [r.alert.id, r]));
  /** the outermost root cause in the list, or the id of one that is not in it */
  const top = (r: AlertRow): { id: string; inList: boolean } => {
    let cur = r.alert;
    const seen = new Set([cur.id]);
    while (cur.rootId !== null) {
      // roots that go round in a circle (they should not): each alert of it stands on its own
      if (seen.has(cur.rootId)) return { id: r.alert.id, inList: true };
      const up = byId.get(cur.rootId);
      if (!up) return { id: cur.rootId, inList: false };
      seen.add(up.alert.id);
      cur = up.alert;
    }
    return { id: cur.id, inList: true };
  };
  const members = new Map<string, AlertRow[]>();
  const missing = new Set<string>();
  const heads: AlertRow[] = [];
  for (const r of rows) {
    const t = top(r);
    if (t.inList && t.id === r.alert.id) {
      heads.push(r);
      continue;
    }
    if (!t.inList) missing.add(t.id);
    let m = members.get(t.id);
    if (!m) members.set(t.id, (m = []));
    m.push(r);
  }
  const rooted: { key: AlertRow; group: AlertGroup }[] = [];
  const lone: { key: AlertRow; group: AlertGroup }[] = [];
  for (const r of heads) {
    const symptoms = (members.get(r.alert.id) ?? []).sort(compareRows);
    if (symptoms.length > 0 || r.alert.symptoms > 0) rooted.push({ key: r, group: { kind: 'root', id: r.alert.id, root: r, symptoms } });
    else lone.push({ key: r, group: { kind: 'lone', id: r.alert.id, alert: r } });
  }
  for (const id of missing) {
    const symptoms = members.get(id)!.sort(compareRows);
    rooted.push({ key: symptoms[0]!, group: { kind: 'orphans', id, root: known.get(id) ?? null, symptoms } });
  }
  const order = (x: { key: AlertRow }, y: { key: AlertRow }) => compareRows(x.key, y.key);
  return [...rooted.sort(order), ...lone.sort(order)].map((x) => x.group);
}

/** Live transitions merged into a list of alerts by id, never going back (pending → firing → resolved). Returns whether it changed. */
export function mergeTransitions(alerts: Map<string, Alert>, transitions: readonly AlertTransition[]): boolean {
  let changed = false;
  for (const t of transitions) {
    const a = transitionAlert(t);
    const prev = alerts.get(a.id);
    if (laterAlert(prev, a) === prev || (prev && sameAlert(prev, a))) continue;
    alerts.set(a.id, a);
    changed = true;
  }
  return changed;
}

/** Drops resolved alerts that were resolved before `from` (live: the window moves on). Returns how many. */
export function pruneResolved(alerts: Map<string, Alert>, from: Date): number {
  let n = 0;
  for (const [id, a] of alerts) {
    if (a.state === 'resolved' && a.resolvedAt !== null && Date.parse(a.resolvedAt) < from.getTime()) {
      alerts.delete(id);
      n++;
    }
  }
  return n;
}

export interface AlertCounts {
  firing: number;
  pending: number;
  resolved: number;
  total: number;
}

/** How many rows are in each state (at the moment shown). */
export function countRows(rows: readonly AlertRow[]): AlertCounts {
  const c: AlertCounts = { firing: 0, pending: 0, resolved: 0, total: rows.length };
  for (const r of rows) c[r.state]++;
  return c;
}

/** How many rows each rule has, in the rules' order. */
export function ruleCounts(rows: readonly AlertRow[]): Map<AlertRule, number> {
  const out = new Map<AlertRule, number>();
  for (const rule of ALERT_RULES) {
    const n = rows.filter((r) => r.alert.rule === rule).length;
    if (n > 0) out.set(rule, n);
  }
  return out;
}

const LEADING_LABELS = ['node', 'peer', 'prefix'];

/** The labels to show, node, peer and prefix first, then the others by name. */
export function labelParts(labels: Readonly<Record<string, string>>): { key: string; value: string }[] {
  const lead = LEADING_LABELS.filter((k) => labels[k] !== undefined && labels[k] !== '');
  const rest = Object.keys(labels)
    .filter((k) => !LEADING_LABELS.includes(k) && labels[k] !== '')
    .sort();
  return [...lead, ...rest].map((key) => ({ key, value: labels[key]! }));
}
