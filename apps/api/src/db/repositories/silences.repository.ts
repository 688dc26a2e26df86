// Alert silences: created and ended by operators, read by the alerts view and by notifications
// (a notice whose firing alerts are all silenced is not sent).
import type { Silence } from '@netatlas/wire';
import type pg from 'pg';

interface Row {
  id: string;
  rule: string | null;
  labels: Record<string, string>;
  until: Date;
  comment: string;
  created_by: string;
  created_at: Date;
}

const COLUMNS = 'id::text, rule, labels, until, comment, created_by, created_at';

function silenceOf(r: Row): Silence {
  return { id: Number(r.id), rule: r.rule, labels: r.labels, until: r.until.toISOString(), comment: r.comment, createdBy: r.created_by, createdAt: r.created_at.toISOString() };
}

export interface NewSilence {
  rule: string | null;
  labels: Record<string, string>;
  durationS: number;
  comment: string;
}

export class SilencesRepository {
  constructor(private readonly pool: pg.Pool) {}

  async create(s: NewSilence, createdBy: string): Promise<Silence> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO alert_silences (rule, labels, until, comment, created_by)
       VALUES ($1, $2::jsonb, now() + make_interval(secs => $3), $4, $5) RETURNING ${COLUMNS}`,
      [s.rule, JSON.stringify(s.labels), s.durationS, s.comment, createdBy],
    );
    return silenceOf(rows[0]!);
  }

  /** The silences in force now (in `client`'s transaction when given). */
  async active(client: pg.Pool | pg.PoolClient = this.pool): Promise<Silence[]> {
    const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM alert_silences WHERE ended_at IS NULL AND until > now() ORDER BY id`);
    return rows.map(silenceOf);
  }

  /** Ends a silence in force; false when there is none with that id. */
  async end(id: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE alert_silences SET ended_at = now() WHERE id = $1 AND ended_at IS NULL AND until > now()`, [id]);
    return (rowCount ?? 0) > 0;
  }
}
