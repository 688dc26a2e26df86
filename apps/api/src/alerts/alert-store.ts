// Alerts in Postgres: the open ones (pending, firing) are kept in memory too; each evaluation's
// transitions are written in one transaction together with the notices for the receivers. The
// statements are AlertsRepository's; the lifecycle and the grouping into notices are here.
import { isAlertTransition, type Alert, type AlertCause, type AlertRule, type AlertState, type AlertTransition } from '@netatlas/wire';
import type pg from 'pg';
import type { AlertQuery, AlertRow, AlertsRepository, AlertUpdate, NewAlert } from '../db/repositories/alerts.repository.js';
import type { AlertNotice } from '../notify/notice.js';
import type { Condition } from './rules.js';

export type { AlertQuery } from '../db/repositories/alerts.repository.js';

/**
 * The history with its open spell closed at `at` (a symptom left its root, or resolved). A spell
 * under a root that never fired is dropped instead: a cause claimed for a moment and given up
 * before it held (a session seen down an evaluation before its daemon's reader said the daemon
 * was gone) is no part of the symptom's story. `fired(id)`: whether that root has fired.
 */
function closeCauses(causes: readonly AlertCause[], at: string, fired: (rootId: string) => boolean): AlertCause[] {
  return causes.flatMap((c) => (c.to !== null ? [c] : fired(c.rootId) ? [{ ...c, to: at }] : []));
}

/** The history after the symptom moved under `root` (or out of any) at `at`. */
function regroup(causes: readonly AlertCause[], root: AlertRow | undefined, at: string, fired: (rootId: string) => boolean): AlertCause[] {
  const closed = closeCauses(causes, at, fired);
  return root ? [...closed, { rootId: String(root.id), rule: root.rule, fingerprint: root.fingerprint, summary: root.summary, from: at, to: null }] : closed;
}

/** root id -> how many open alerts it groups */
function symptomCounts(rows: Iterable<AlertRow>): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) if (r.root_id !== null && r.state !== 'resolved') out.set(r.root_id, (out.get(r.root_id) ?? 0) + 1);
  return out;
}

export function alertOf(row: AlertRow, symptoms = Number(row.symptoms ?? 0)): Alert {
  return {
    id: String(row.id),
    rule: row.rule,
    severity: row.severity,
    state: row.state,
    labels: row.labels,
    fingerprint: row.fingerprint,
    summary: row.summary,
    startsAt: row.starts_at.toISOString(),
    firedAt: row.fired_at?.toISOString() ?? null,
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    rootId: row.root_id === null ? null : String(row.root_id),
    symptoms,
    cause: row.cause,
    clear: row.clear,
    causes: row.causes ?? [],
    acknowledged: row.acknowledged_by !== null && row.acknowledged_at !== null ? { by: row.acknowledged_by, at: row.acknowledged_at.toISOString() } : null,
    silencedBy: null,
  };
}

export interface ApplyResult {
  transitions: AlertTransition[];
  notices: AlertNotice[];
}

export class AlertStore {
  /** open alerts by fingerprint */
  private open = new Map<string, AlertRow>();
  private loaded = false;

  constructor(private readonly repository: AlertsRepository) {}

  get isLoaded(): boolean {
    return this.loaded;
  }

  async load(): Promise<void> {
    const rows = await this.repository.open();
    this.open = new Map(rows.map((r) => [r.fingerprint, r]));
    this.loaded = true;
  }

  openAlerts(): Alert[] {
    const counts = symptomCounts(this.open.values());
    return [...this.open.values()].map((r) => alertOf(r, counts.get(r.id) ?? 0));
  }

  /** Whether any open alert is still pending (the engine keeps evaluating while one is). */
  hasPending(): boolean {
    for (const r of this.open.values()) if (r.state === 'pending') return true;
    return false;
  }

  /**
   * Moves the open alerts to what `conditions` say at `now`: new ones start pending (or firing with
   * a zero `for`), pending ones fire once they held for `for`, open ones whose condition is gone
   * resolve. `window` is the span of changes since the previous evaluation (the cause or clear).
   * `enqueue` writes the receivers' notices in the same transaction. Set-based statements, so a
   * cluster-wide failure (N x (N-1) symptoms) is a few statements, not thousands.
   */
  async apply(
    conditions: readonly Condition[],
    now: Date,
    forMs: Record<AlertRule, number>,
    window: { from: string; to: string },
    enqueue: ((client: pg.PoolClient, notice: AlertNotice) => Promise<void>) | null,
  ): Promise<ApplyResult> {
    const wanted = new Map(conditions.map((c) => [c.fingerprint, c]));
    const nowIso = now.toISOString();
    const countsBefore = symptomCounts(this.open.values());
    const next = new Map(this.open);
    const transitions: Array<{ row: AlertRow; from: AlertState | null; to: AlertState }> = [];
    const record = (row: AlertRow, from: AlertState | null, to: AlertState): void => {
      // the lifecycle's table (libs/wire ALERT_TRANSITIONS): anything else is a bug, and the whole
      // evaluation is rolled back rather than stored or notified
      if (!isAlertTransition(from, to)) throw new Error(`alert ${row.fingerprint}: ${from ?? 'new'} -> ${to} is not a transition of the alert lifecycle`);
      transitions.push({ row, from, to });
    };
    const notices = await this.repository.transaction(async (client) => {
      // whether a root has fired: the open ones as held, and (kept by id) the ones resolving now
      const firedById = new Map<string, boolean>();
      for (const r of this.open.values()) firedById.set(String(r.id), r.fired_at !== null);
      const fired = (id: string) => firedById.get(id) ?? true; // a root resolved before: it was kept only if it fired
      // resolve what no longer holds
      const gone = [...this.open.values()].filter((r) => !wanted.has(r.fingerprint));
      if (gone.length) {
        const rows = await this.repository.resolve(
          client,
          gone.map((r) => ({ id: r.id, causes: closeCauses(r.causes ?? [], nowIso, fired) })),
          now,
          window,
        );
        for (const row of rows) {
          record(row, this.open.get(row.fingerprint)?.state ?? 'firing', 'resolved');
          next.delete(row.fingerprint);
        }
      }
      // start what is new, fire what held long enough: roots first, so symptoms can point at them
      const passes = [conditions.filter((c) => c.rootFingerprint === null), conditions.filter((c) => c.rootFingerprint !== null)];
      for (const pass of passes) {
        const inserts: NewAlert[] = [];
        const updates: AlertUpdate[] = [];
        for (const c of pass) {
          const root = c.rootFingerprint ? next.get(c.rootFingerprint) : undefined;
          const rootId = root?.id ?? null;
          // a symptom fires with its root cause, not before it while the root is still pending: the
          // root's condition often starts an evaluation later (most nodes must lose a node before it
          // is unreachable), and its group's first notice must lead with it
          const rootPending = root?.state === 'pending';
          const row = next.get(c.fingerprint);
          if (!row) {
            inserts.push({
              fingerprint: c.fingerprint,
              rule: c.rule,
              severity: c.severity,
              labels: c.labels,
              summary: c.summary,
              firing: forMs[c.rule] <= 0 && !rootPending,
              rootId,
              causes: regroup([], root, nowIso, fired),
            });
            continue;
          }
          const fire = row.state === 'pending' && !rootPending && now.getTime() - row.starts_at.getTime() >= forMs[c.rule];
          const moved = row.root_id !== rootId;
          const causes = moved ? regroup(row.causes ?? [], root, nowIso, fired) : (row.causes ?? []);
          if (fire || moved || row.summary !== c.summary) updates.push({ id: row.id, fire, rootId, summary: c.summary, causes, oldRootId: row.root_id });
        }
        if (inserts.length) {
          for (const row of await this.repository.insert(client, inserts, now, window)) {
            next.set(row.fingerprint, row);
            firedById.set(String(row.id), row.fired_at !== null);
            record(row, null, 'pending');
            if (row.state === 'firing') record(row, 'pending', 'firing');
          }
        }
        if (updates.length) {
          for (const { fired_now: firedNow, moved, ...row } of await this.repository.update(client, updates, now)) {
            next.set(row.fingerprint, row);
            firedById.set(String(row.id), row.fired_at !== null);
            if (firedNow) record(row, 'pending', 'firing');
            else if (moved) record(row, row.state, row.state);
          }
        }
      }
      const notices = this.notices(transitions, next, now);
      if (enqueue) for (const notice of notices) await enqueue(client, notice);
      return notices;
    });
    this.open = next;
    const counts = symptomCounts(next.values());
    // a root whose count of symptoms changed is regrouped too (browsers show the count)
    const touched = new Set(transitions.map((t) => t.row.id));
    for (const row of next.values()) {
      if (!touched.has(row.id) && (countsBefore.get(row.id) ?? 0) !== (counts.get(row.id) ?? 0)) record(row, row.state, row.state);
    }
    return {
      transitions: transitions.map((t) => ({ alert: alertOf(t.row, counts.get(t.row.id) ?? 0), from: t.from, to: t.to, at: now.toISOString() })),
      notices,
    };
  }

  /** One notice per group (root cause, or lone alert) with an alert that fired or resolved. */
  private notices(transitions: Array<{ row: AlertRow; from: AlertState | null; to: AlertState }>, open: Map<string, AlertRow>, now: Date): AlertNotice[] {
    const byId = new Map<string, AlertRow>();
    for (const r of open.values()) byId.set(r.id, r);
    for (const t of transitions) byId.set(t.row.id, t.row);
    const members = new Map<string, AlertRow[]>();
    for (const r of open.values()) if (r.root_id !== null && r.root_id !== r.id) members.set(r.root_id, [...(members.get(r.root_id) ?? []), r]);
    const counts = symptomCounts(open.values());
    const groupOf = (row: AlertRow): AlertRow => (row.root_id !== null ? (byId.get(row.root_id) ?? row) : row);
    const groups = new Map<string, { root: AlertRow; transitions: typeof transitions }>();
    for (const t of transitions) {
      if (t.to === 'pending' || t.from === t.to || (t.to === 'resolved' && t.row.fired_at === null)) continue;
      const root = groupOf(t.row);
      const g = groups.get(root.id) ?? { root, transitions: [] };
      g.transitions.push(t);
      groups.set(root.id, g);
    }
    return [...groups.values()].map(({ root, transitions: ts }) => {
      const list = [root, ...(members.get(root.id) ?? [])];
      const ids = new Set(list.map((m) => m.id));
      for (const t of ts) if (!ids.has(t.row.id)) list.push(t.row);
      const current = list.map((m) => byId.get(m.id) ?? m);
      return {
        groupKey: root.fingerprint,
        status: current.some((m) => m.state === 'firing') ? 'firing' : 'resolved',
        alerts: current.map((m) => alertOf(m, m.id === root.id ? (counts.get(root.id) ?? 0) : 0)),
        transitions: ts.map((t) => ({ alert: alertOf(t.row, 0), from: t.from, to: t.to, at: now.toISOString() })),
        at: now.toISOString(),
      } satisfies AlertNotice;
    });
  }

  /**
   * Records that `by` acknowledged an open alert; the alert as it is now, or null when there is no
   * open alert with that id (resolved ones are history, not acknowledged).
   */
  async acknowledge(id: string, by: string): Promise<Alert | null> {
    const row = await this.repository.acknowledge(id, by);
    if (!row) return null;
    const open = this.open.get(row.fingerprint);
    if (open && String(open.id) === String(row.id)) {
      open.acknowledged_by = row.acknowledged_by;
      open.acknowledged_at = row.acknowledged_at;
    }
    return alertOf(row);
  }

  /** Alerts open at some moment of [from, to], newest first. */
  async query(q: AlertQuery): Promise<Alert[]> {
    return (await this.repository.query(q)).map((r) => alertOf(r));
  }
}
