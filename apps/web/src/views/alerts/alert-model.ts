// The Alerts view's model, apart from the DOM: each alert's state at the moment shown, the links to
// the route diffs that caused and cleared it, the filters, the grouping of symptoms under their
// root cause at the moment shown (root causes first, lone alerts after) with their open symptoms
// counted from the list itself, each symptom's cause history, live transitions (state changes and
// regroupings) merged into the list, and the counts of the summary and the header's badge. Pure:
// the moment and `now` are passed in.
import type { Alert, AlertCause, AlertRule, AlertSeverity, AlertState, AlertTransition } from '@netatlas/wire/core';
import { ALERT_RULES } from '@netatlas/wire/core';
import { formatClock, formatDateTime, formatDuration } from '../../format/time.js';
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

/** What each rule is: a root cause (claimed on evidence) or a symptom, and what it says, for titles. */
export const RULE_INFO: Record<AlertRule, { root: boolean; title: string }> = {
  NodeUnreachable: { root: true, title: "root cause: a node's collector is lost and the other nodes lost their BGP sessions or routes to it" },
  CollectorLost: { root: true, title: "root cause: a node's collector stopped reporting" },
  UnderlayDown: { root: true, title: "root cause: an interface holding a node's own address is down" },
  BgpDaemonDown: { root: true, title: "root cause: a node's BGP daemon does not answer (its reader says the daemon or its socket is gone)" },
  BgpPeeringDown: { root: true, title: 'root cause: a BGP session is down between two nodes that are otherwise healthy' },
  KubernetesUnavailable: { root: true, title: 'root cause: the Kubernetes API cannot be synced' },
  NodeLeft: { root: true, title: 'a node left the cluster on purpose (routes to it are expected to go)' },
  RouteLoss: { root: false, title: "symptom: a node does not deliver another live node's pod range towards it" },
  PodRouteMissing: { root: false, title: 'symptom: a node does not deliver one of its own pods (its /32, or the bridge route, is gone)' },
  StaleRoute: { root: false, title: 'symptom: a route into a pod range no live node holds, or via the wrong next hop' },
  BgpSessionDown: { root: false, title: 'symptom: a BGP session is not Established' },
  IpsetDrift: { root: false, title: "kube-router's ipsets lack or hold extra members" },
  MtuMismatch: { root: false, title: 'a pod or tunnel MTU the underlay cannot carry once encapsulated' },
  PodAddressOutsideRange: { root: false, title: "a pod's address lies outside its node's pod bridge subnets" },
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

/**
 * The root cause an alert was grouped under at a moment. Now (null): its `rootId`. At a moment: the
 * spell of its cause history that covers the moment; once resolved, the spell its resolution
 * closed (a resolved symptom stays with the root it had). Without a history (older alerts), its
 * `rootId`.
 */
export function rootAt(a: Alert, at: Date | null): string | null {
  const causes = a.causes ?? [];
  if (at === null || causes.length === 0) return a.rootId;
  const t = at.getTime();
  const during = causes.find((c) => Date.parse(c.from) <= t && (c.to === null || t < Date.parse(c.to)));
  if (during) return during.rootId;
  if (a.resolvedAt !== null && Date.parse(a.resolvedAt) <= t) {
    const closedBy = causes.find((c) => c.to !== null && Date.parse(c.to) === Date.parse(a.resolvedAt!));
    if (closedBy) return closedBy.rootId;
  }
  return null;
}

/** One spell of an alert under a root cause, as of the moment shown. */
export interface CauseSpell extends AlertCause {
  /** whether it is the spell the alert is in at the moment shown (its current root) */
  current: boolean;
}

/**
 * An alert's spells under root causes, oldest first, as of the moment shown: spells that began
 * after it are left out, one that ended after it still lasts. A resolved symptom's last spell was
 * closed by its resolution: it is not current.
 */
export function causeSpells(a: Alert, at: Date | null): CauseSpell[] {
  const t = at?.getTime() ?? Infinity;
  return (a.causes ?? [])
    .filter((c) => Date.parse(c.from) <= t)
    .map((c) => {
      const to = c.to !== null && Date.parse(c.to) <= t ? c.to : null;
      return { ...c, to, current: to === null };
    });
}

/** The labels in a fingerprint (`rule{k=v,…}`), or none. */
export function fingerprintLabels(fingerprint: string): Record<string, string> {
  const m = /^[^{]*\{(.*)\}$/.exec(fingerprint);
  const out: Record<string, string> = {};
  if (!m || m[1] === '') return out;
  for (const part of m[1]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** `#12 BgpDaemonDown (h4-node2, bird)`: a root cause by id, rule and label values. */
export function causeName(c: Pick<AlertCause, 'rootId' | 'rule' | 'fingerprint'>): string {
  const values = labelParts(fingerprintLabels(c.fingerprint)).map((l) => l.value);
  return `#${c.rootId} ${c.rule}${values.length ? ` (${values.join(', ')})` : ''}`;
}

/** `caused by #12 BgpDaemonDown (h4-node2, bird) since 14:00:03` or `… until 14:02:05`. */
export function spellText(s: CauseSpell): string {
  return `caused by ${causeName(s)} ${s.current ? `since ${formatClock(s.from)}` : `until ${formatClock(s.to!)}`}`;
}

/** The spell's root summary and both ends in full (UTC), for its title. */
export function spellTitle(s: CauseSpell): string {
  return `${s.summary}\n${formatDateTime(s.from)} – ${s.current ? 'now' : formatDateTime(s.to!)} UTC`;
}

export type AlertGroup =
  /**
   * a root cause with the symptoms of the list grouped under it (directly or through another
   * symptom); `open`: how many of all the alerts (not only the listed) are its open symptoms at the
   * moment shown
   */
  | { kind: 'root'; id: string; root: AlertRow; symptoms: AlertRow[]; open: number }
  /**
   * symptoms whose root cause is not in the list (filtered out, or outside the window): grouped
   * all the same; `root` is the root cause when it is known (the unfiltered alerts), `cause` the
   * spell of a symptom's history that names it (its rule and summary when it is not known)
   */
  | { kind: 'orphans'; id: string; root: Alert | null; cause: AlertCause | null; symptoms: AlertRow[]; open: number }
  /** an alert that is nobody's symptom and has none */
  | { kind: 'lone'; id: string; alert: AlertRow };

const OPEN: ReadonlySet<AlertState> = new Set(['pending', 'firing']);

/** Each alert's outermost root cause among `byId` at the moment (its own id when it has none, or when roots go round in a circle). */
function topOf(a: Alert, byId: ReadonlyMap<string, Alert>, at: Date | null): { id: string; inList: boolean } {
  let cur = a;
  const seen = new Set([cur.id]);
  for (let root = rootAt(cur, at); root !== null; root = rootAt(cur, at)) {
    // roots that go round in a circle (they should not): each alert of it stands on its own
    if (seen.has(root)) return { id: a.id, inList: true };
    const up = byId.get(root);
    if (!up) return { id: root, inList: false };
    seen.add(up.id);
    cur = up;
  }
  return { id: cur.id, inList: true };
}

/**
 * Root id → how many alerts are its open symptoms at the moment (through other symptoms too),
 * counted from the alerts themselves — never from a root's own `symptoms`, which is as stale as the
 * last transition of the root.
 */
export function openSymptomCounts(alerts: Iterable<Alert>, at: Date | null): Map<string, number> {
  const byId = new Map<string, Alert>();
  for (const a of alerts) if (stateAt(a, at) !== null) byId.set(a.id, a);
  const out = new Map<string, number>();
  for (const a of byId.values()) {
    const top = topOf(a, byId, at);
    if (top.id === a.id || !OPEN.has(stateAt(a, at)!)) continue;
    out.set(top.id, (out.get(top.id) ?? 0) + 1);
  }
  return out;
}

export interface GroupOptions {
  /** every alert of the window (the rows may be filtered): names a missing root, and counts open symptoms */
  known?: ReadonlyMap<string, Alert>;
  /** the moment shown (null: now) */
  at?: Date | null;
}

/**
 * The rows as groups: root causes (and symptoms whose root is missing), each with its symptoms,
 * and lone alerts; firing before pending before resolved (by the root, or the first symptom when
 * it is missing), groups before lone alerts, then by `compareRows`. Symptoms go under the root they had at the moment shown (`rootAt`). An alert is a
 * root cause when a symptom in the list names it or it has open symptoms among `known`.
 */
export function groupAlerts(rows: readonly AlertRow[], options: GroupOptions = {}): AlertGroup[] {
  const at = options.at ?? null;
  const listed = new Map(rows.map((r) => [r.alert.id, r.alert]));
  const counts = openSymptomCounts(options.known ? mergedAlerts(options.known, rows) : listed.values(), at);
  const members = new Map<string, AlertRow[]>();
  const missing = new Set<string>();
  const heads: AlertRow[] = [];
  for (const r of rows) {
    const t = topOf(r.alert, listed, at);
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
    const open = counts.get(r.alert.id) ?? 0;
    if (symptoms.length > 0 || open > 0) rooted.push({ key: r, group: { kind: 'root', id: r.alert.id, root: r, symptoms, open } });
    else lone.push({ key: r, group: { kind: 'lone', id: r.alert.id, alert: r } });
  }
  for (const id of missing) {
    const symptoms = members.get(id)!.sort(compareRows);
    const cause = symptoms.flatMap((s) => s.alert.causes ?? []).find((c) => c.rootId === id) ?? null;
    const root = options.known?.get(id) ?? null;
    const open = root ? (counts.get(id) ?? 0) : symptoms.filter((s) => OPEN.has(s.state)).length;
    rooted.push({ key: symptoms[0]!, group: { kind: 'orphans', id, root, cause, symptoms, open } });
  }
  // by the state of the group's lead (a firing lone alert before a resolved group), then groups
  // before lone alerts, then as the rows are ordered
  const all = [...rooted.map((x) => ({ ...x, rank: 0 })), ...lone.map((x) => ({ ...x, rank: 1 }))];
  all.sort((x, y) => SHOW_ORDER[x.key.state] - SHOW_ORDER[y.key.state] || x.rank - y.rank || compareRows(x.key, y.key));
  return all.map((x) => x.group);
}

/** The known alerts with the listed versions of those listed (the same alerts; the rows are what is drawn). */
function mergedAlerts(known: ReadonlyMap<string, Alert>, rows: readonly AlertRow[]): Alert[] {
  const out = new Map(known);
  for (const r of rows) out.set(r.alert.id, r.alert);
  return [...out.values()];
}

/**
 * Live transitions merged into a list of alerts by id, never going back (pending → firing →
 * resolved). A regrouping (`from` equal to `to`: the alert moved under another root cause or out of
 * one, or a root's count changed) replaces the alert in place, unless its cause history is behind
 * the one held (a transition older than the list). Returns whether it changed.
 */
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
