// What /api/health and /metrics ask the database, on the probe pool (two connections of their own,
// a 5 s statement timeout), so that they answer whatever ingest and the readers are doing. The
// deadlines are the callers': each answers without the database rather than late.
import type pg from 'pg';

// Simple-protocol multi-statement query: one round trip, five result sets.
const METRICS_SQL = `
SELECT rule, severity, state::text AS state, count(*)::int AS n FROM alerts WHERE state <> 'resolved' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT rule, severity, count(*)::int AS n FROM alerts WHERE state = 'resolved' AND resolved_at > now() - interval '1 hour' GROUP BY 1, 2 ORDER BY 1, 2;
SELECT name, status::text AS status, extract(epoch FROM last_seen)::float8 AS last_seen, extract(epoch FROM now() - last_seen)::float8 AS age FROM nodes ORDER BY name;
SELECT n.name, s.state, s.n FROM nodes n CROSS JOIN LATERAL (
  SELECT f.value->>'state' AS state, count(*)::int AS n FROM facts f
  WHERE f.node_id = n.id AND f.kind = 'bgpSession' AND f.valid_to IS NULL GROUP BY 1
) s ORDER BY 1, 2;
SELECT receiver, count(*)::int AS n, extract(epoch FROM now() - min(created_at))::float8 AS oldest FROM notification_outbox WHERE delivered_at IS NULL GROUP BY 1 ORDER BY 1;
`;

/** The database's part of /metrics. */
export interface MetricsSnapshot {
  /** open alerts counted by rule, severity and state */
  open: Array<{ rule: string; severity: string; state: string; n: number }>;
  /** alerts resolved during the last hour, by rule and severity */
  resolved: Array<{ rule: string; severity: string; n: number }>;
  /** every node: its status, when it was last heard from (Unix seconds) and how long ago (s) */
  nodes: Array<{ name: string; status: string; last_seen: number; age: number }>;
  /** current BGP sessions counted by node and state (null: a session fact without a state) */
  bgp: Array<{ name: string; state: string | null; n: number }>;
  /** undelivered notifications by receiver, and the oldest one's age (s) */
  outbox: Array<{ receiver: string; n: number; oldest: number }>;
}

export class ProbeRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** One trivial round trip: the database answers. */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** The counts /metrics shows, in one round trip of five small indexed queries. */
  async metricsSnapshot(): Promise<MetricsSnapshot> {
    const results = (await this.pool.query(METRICS_SQL)) as unknown as pg.QueryResult[];
    const [open, resolved, nodes, bgp, outbox] = results.map((r) => r.rows);
    return { open, resolved, nodes, bgp, outbox } as MetricsSnapshot;
  }
}
