// Alerts in Postgres (table alerts): the open ones loaded at start, each evaluation's transitions
// written set-based in one transaction (a cluster-wide failure, N x (N-1) symptoms, is a few
// statements, not thousands), acknowledgements, and the alerts of a window. The lifecycle rules
// (when an alert fires, which root it hangs under, the notices) are AlertStore's (alerts/).
import type { AlertCause, AlertRule, AlertSeverity, AlertState } from '@netatlas/wire';
import type pg from 'pg';
import { withTransaction } from '../transaction.js';

export interface AlertRow {
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
  causes: AlertCause[];
  acknowledged_by: string | null;
  acknowledged_at: Date | null;
  /** open alerts grouped under it (acknowledge and query count them) */
  symptoms?: string | number;
}

/** A span of changes: what caused an alert, or cleared it. */
export interface ChangeWindow {
  from: string;
  to: string;
}

export interface NewAlert {
  fingerprint: string;
  rule: AlertRule;
  severity: AlertSeverity;
  labels: Record<string, string>;
  summary: string;
  /** firing at once (else pending) */
  firing: boolean;
  rootId: string | null;
  causes: AlertCause[];
}

export interface AlertUpdate {
  id: string;
  /** fires now (it was pending) */
  fire: boolean;
  rootId: string | null;
  summary: string;
  causes: AlertCause[];
  /** the root it had, to tell whether it moved */
  oldRootId: string | null;
}

export interface AlertQuery {
  state?: AlertState;
  from: Date;
  to: Date;
  rule?: AlertRule;
  node?: string;
  limit: number;
}

const COLUMNS = 'id, fingerprint, rule, severity, labels, summary, state, starts_at, fired_at, resolved_at, root_id, cause, clear, causes, acknowledged_by, acknowledged_at';
/** COLUMNS of the row aliased `a` (an UPDATE ... FROM returns the updated row's) */
const A_COLUMNS = COLUMNS.split(', ').map((c) => `a.${c}`).join(', ');
const SYMPTOMS = `(SELECT count(*) FROM alerts s WHERE s.root_id = a.id AND s.state <> 'resolved') AS symptoms`;

export class AlertsRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** One transaction: BEGIN, run, COMMIT (ROLLBACK on an error). */
  transaction<T>(run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, run);
  }

  /** The alerts not resolved (pending, firing). */
  async open(): Promise<AlertRow[]> {
    const { rows } = await this.pool.query<AlertRow>(`SELECT ${COLUMNS} FROM alerts WHERE state <> 'resolved'`);
    return rows;
  }

  /** Resolves the alerts at `at`, cleared by `clear`, each with its history of causes as given; the rows after. */
  async resolve(client: pg.PoolClient, alerts: ReadonlyArray<{ id: string; causes: AlertCause[] }>, at: Date, clear: ChangeWindow): Promise<AlertRow[]> {
    const { rows } = await client.query<AlertRow>(
      `UPDATE alerts a SET state = 'resolved', resolved_at = $2, clear = $3, causes = u.causes
       FROM unnest($1::bigint[], $4::jsonb[]) AS u(id, causes)
       WHERE a.id = u.id RETURNING ${A_COLUMNS}`,
      [alerts.map((r) => r.id), at, clear, alerts.map((r) => JSON.stringify(r.causes))],
    );
    return rows;
  }

  /** New alerts starting at `at` (fired then too when firing), caused by `cause`; the rows, with their ids. */
  async insert(client: pg.PoolClient, alerts: readonly NewAlert[], at: Date, cause: ChangeWindow): Promise<AlertRow[]> {
    const { rows } = await client.query<AlertRow>(
      `INSERT INTO alerts (fingerprint, rule, severity, labels, summary, state, starts_at, fired_at, root_id, cause, causes)
       SELECT u.fingerprint, u.rule, u.severity, u.labels::jsonb, u.summary, u.state::alert_state, $7,
              CASE WHEN u.state = 'firing' THEN $7::timestamptz END, u.root_id, $8, u.causes
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $9::bigint[], $10::jsonb[])
         AS u(fingerprint, rule, severity, labels, summary, state, root_id, causes)
       RETURNING ${COLUMNS}`,
      [
        alerts.map((i) => i.fingerprint),
        alerts.map((i) => i.rule),
        alerts.map((i) => i.severity),
        alerts.map((i) => JSON.stringify(i.labels)),
        alerts.map((i) => i.summary),
        alerts.map((i) => (i.firing ? 'firing' : 'pending')),
        at,
        cause,
        alerts.map((i) => i.rootId),
        alerts.map((i) => JSON.stringify(i.causes)),
      ],
    );
    return rows;
  }

  /**
   * Fires (at `at`), regroups and re-summarises open alerts; the rows after, each saying whether it
   * fired now and whether its root changed.
   */
  async update(client: pg.PoolClient, alerts: readonly AlertUpdate[], at: Date): Promise<Array<AlertRow & { fired_now: boolean; moved: boolean }>> {
    const { rows } = await client.query<AlertRow & { fired_now: boolean; moved: boolean }>(
      `UPDATE alerts a SET state = CASE WHEN u.fire THEN 'firing'::alert_state ELSE a.state END,
                           fired_at = CASE WHEN u.fire THEN $5::timestamptz ELSE a.fired_at END,
                           root_id = u.root_id, summary = u.summary, causes = u.causes
       FROM unnest($1::bigint[], $2::bool[], $3::bigint[], $4::text[], $6::jsonb[], $7::bigint[]) AS u(id, fire, root_id, summary, causes, old_root)
       WHERE a.id = u.id
       RETURNING ${A_COLUMNS}, u.fire AS fired_now, a.root_id IS DISTINCT FROM u.old_root AS moved`,
      [
        alerts.map((u) => u.id),
        alerts.map((u) => u.fire),
        alerts.map((u) => u.rootId),
        alerts.map((u) => u.summary),
        at,
        alerts.map((u) => JSON.stringify(u.causes)),
        alerts.map((u) => u.oldRootId),
      ],
    );
    return rows;
  }

  /** Records that `by` acknowledged the open alert `id`; the row with its count of symptoms, or null when no open alert has that id. */
  async acknowledge(id: string, by: string): Promise<AlertRow | null> {
    const { rows } = await this.pool.query<AlertRow>(
      `UPDATE alerts a SET acknowledged_by = $2, acknowledged_at = now() WHERE a.id = $1::bigint AND a.state <> 'resolved'
       RETURNING ${A_COLUMNS},
                 ${SYMPTOMS}`,
      [id, by],
    );
    return rows[0] ?? null;
  }

  /** Alerts open at some moment of [from, to], newest first, with their counts of symptoms. */
  async query(q: AlertQuery): Promise<AlertRow[]> {
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
      `SELECT ${A_COLUMNS},
              ${SYMPTOMS}
       FROM alerts a
       WHERE a.starts_at <= $2 AND (a.resolved_at IS NULL OR a.resolved_at >= $1) ${filters.map((f) => `AND ${f}`).join(' ')}
       ORDER BY a.starts_at DESC, a.id DESC LIMIT $3`,
      params,
    );
    return rows;
  }
}
