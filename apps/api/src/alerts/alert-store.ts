// Alerts in Postgres: the open ones (pending, firing) are kept in memory too; each evaluation's
// transitions are written in one transaction together with the notices for the receivers.
import type { Alert, AlertRule, AlertSeverity, AlertState, AlertTransition } from '@netatlas/wire';
import type pg from 'pg';
import type { AlertNotice } from '../notify/notice.js';
import type { Condition } from './rules.js';

interface AlertRow {
  id: string;
  fingerprint: string;
  rule: AlertRule;
  severity: AlertSeverity;
  labels: Record<string, string>;
  summary: string;
  state: AlertState;
  starts_at: Date;
  fired_at: Date | null;
  resolved_at: Date | null;
  root_id: string | null;
  cause: { from: string; to: string } | null;
  clear: { from: string; to: string } | null;
  symptoms?: string | number;
}

const COLUMNS = 'id, fingerprint, rule, severity, labels, summary, state, starts_at, fired_at, resolved_at, root_id, cause, clear';

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
  };
}

export interface ApplyResult {
  transitions: AlertTransition[];
  notices: AlertNotice[];
}

export interface AlertQuery {
  state?: AlertState;
  from: Date;
  to: Date;
  rule?: AlertRule;
  node?: string;
  limit: number;
}

export class AlertStore {
  /** open alerts by fingerprint */
  private open = new Map<string, AlertRow>();
  private loaded = false;

  constructor(private readonly pool: pg.Pool) {}

  get isLoaded(): boolean {
    return this.loaded;
  }

  async load(): Promise<void> {
    const { rows } = await this.pool.query<AlertRow>(`SELECT ${COLUMNS} FROM alerts WHERE state <> 'resolved'`);
    this.open = new Map(rows.map((r) => [r.fingerprint, r]));
    this.loaded = true;
  }

  openAlerts(): Alert[] {
    return [...this.open.values()].map((r) => alertOf(r, this.symptomsOf(r.id)));
  }

  /**
   * Moves the open alerts to what `conditions` say at `now`: new ones start pending (or firing with
   * a zero `for`), pending ones fire once they held for `for`, open ones whose condition is gone
   * resolve. `window` is the span of changes since the previous evaluation (the cause or clear).
   * `enqueue` writes the receivers' notices in the same transaction.
   */
  async apply(
    conditions: readonly Condition[],
    now: Date,
    forMs: Record<AlertRule, number>,
    window: { from: string; to: string },
    enqueue: ((client: pg.PoolClient, notice: AlertNotice) => Promise<void>) | null,
  ): Promise<ApplyResult> {
    const wanted = new Map(conditions.map((c) => [c.fingerprint, c]));
    const client = await this.pool.connect();
    let broken = false;
    const next = new Map(this.open);
    const transitions: Array<{ row: AlertRow; from: AlertState | null; to: AlertState }> = [];
    try {
      await client.query('BEGIN');
      // resolve what no longer holds
      for (const [fp, row] of this.open) {
        if (wanted.has(fp)) continue;
        const { rows } = await client.query<AlertRow>(
          `UPDATE alerts SET state = 'resolved', resolved_at = $2, clear = $3 WHERE id = $1 RETURNING ${COLUMNS}`,
          [row.id, now, window],
        );
        next.delete(fp);
        transitions.push({ row: rows[0]!, from: row.state, to: 'resolved' });
      }
      // start what is new, fire what held long enough (roots first, so symptoms can point at them)
      const ordered = [...conditions].sort((a, b) => Number(a.rootFingerprint !== null) - Number(b.rootFingerprint !== null));
      for (const c of ordered) {
        const rootId = c.rootFingerprint ? (next.get(c.rootFingerprint)?.id ?? null) : null;
        const row = next.get(c.fingerprint);
        if (!row) {
          const firing = forMs[c.rule] <= 0;
          const { rows } = await client.query<AlertRow>(
            `INSERT INTO alerts (fingerprint, rule, severity, labels, summary, state, starts_at, fired_at, root_id, cause)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
            [c.fingerprint, c.rule, c.severity, c.labels, c.summary, firing ? 'firing' : 'pending', now, firing ? now : null, rootId, window],
          );
          next.set(c.fingerprint, rows[0]!);
          transitions.push({ row: rows[0]!, from: null, to: 'pending' });
          if (firing) transitions.push({ row: rows[0]!, from: 'pending', to: 'firing' });
          continue;
        }
        const fire = row.state === 'pending' && now.getTime() - row.starts_at.getTime() >= forMs[c.rule];
        if (!fire && row.root_id === rootId && row.summary === c.summary) continue;
        const { rows } = await client.query<AlertRow>(
          `UPDATE alerts SET state = $2, fired_at = CASE WHEN $3 THEN $4::timestamptz ELSE fired_at END, root_id = $5, summary = $6
           WHERE id = $1 RETURNING ${COLUMNS}`,
          [row.id, fire ? 'firing' : row.state, fire, now, rootId, c.summary],
        );
        next.set(c.fingerprint, rows[0]!);
        if (fire) transitions.push({ row: rows[0]!, from: 'pending', to: 'firing' });
      }
      const notices = this.notices(transitions, next, now);
      if (enqueue) for (const notice of notices) await enqueue(client, notice);
      await client.query('COMMIT');
      this.open = next;
      const symptoms = (id: string) => [...next.values()].filter((r) => r.root_id === id).length;
      return {
        transitions: transitions.map((t) => ({ alert: alertOf(t.row, symptoms(t.row.id)), from: t.from, to: t.to, at: now.toISOString() })),
        notices,
      };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** One notice per group (root cause, or lone alert) with an alert that fired or resolved. */
  private notices(transitions: Array<{ row: AlertRow; from: AlertState | null; to: AlertState }>, open: Map<string, AlertRow>, now: Date): AlertNotice[] {
    const byId = new Map<string, AlertRow>();
    for (const r of open.values()) byId.set(r.id, r);
    for (const t of transitions) byId.set(t.row.id, t.row);
    const groupOf = (row: AlertRow): AlertRow => (row.root_id !== null ? (byId.get(row.root_id) ?? row) : row);
    const symptoms = (id: string) => [...open.values()].filter((r) => r.root_id === id).length;
    const groups = new Map<string, { root: AlertRow; transitions: typeof transitions }>();
    for (const t of transitions) {
      if (t.to === 'pending' || (t.to === 'resolved' && t.row.fired_at === null)) continue;
      const root = groupOf(t.row);
      const g = groups.get(root.id) ?? { root, transitions: [] };
      g.transitions.push(t);
      groups.set(root.id, g);
    }
    return [...groups.values()].map(({ root, transitions: ts }) => {
      const members = [root, ...[...open.values()].filter((r) => r.root_id === root.id && r.id !== root.id)];
      for (const t of ts) if (!members.some((m) => m.id === t.row.id)) members.push(t.row);
      const current = members.map((m) => byId.get(m.id) ?? m);
      return {
        groupKey: root.fingerprint,
        status: current.some((m) => m.state === 'firing') ? 'firing' : 'resolved',
        alerts: current.map((m) => alertOf(m, m.id === root.id ? symptoms(root.id) : 0)),
        transitions: ts.map((t) => ({ alert: alertOf(t.row, 0), from: t.from, to: t.to, at: now.toISOString() })),
        at: now.toISOString(),
      } satisfies AlertNotice;
    });
  }

  private symptomsOf(id: string): number {
    return [...this.open.values()].filter((r) => r.root_id === id).length;
  }

  /** Alerts open at some moment of [from, to], newest first. */
  async query(q: AlertQuery): Promise<Alert[]> {
    const params: unknown[] = [q.from, q.to, q.limit];
    const filters: string[] = [];
    if (q.state) {
      params.push(q.state);
      filters.push(`a.state = $${params.length}`);
    }
    if (q.rule) {
      params.push(q.rule);
      filters.push(`a.rule = $${params.length}`);
    }
    if (q.node) {
      params.push(q.node);
      filters.push(`(a.labels->>'node' = $${params.length} OR a.labels->>'peer' = $${params.length})`);
    }
    const { rows } = await this.pool.query<AlertRow>(
      `SELECT ${COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')},
              (SELECT count(*) FROM alerts s WHERE s.root_id = a.id AND s.state <> 'resolved') AS symptoms
       FROM alerts a
       WHERE a.starts_at <= $2 AND (a.resolved_at IS NULL OR a.resolved_at >= $1) ${filters.map((f) => `AND ${f}`).join(' ')}
       ORDER BY a.starts_at DESC, a.id DESC LIMIT $3`,
      params,
    );
    return rows.map((r) => alertOf(r));
  }
}
