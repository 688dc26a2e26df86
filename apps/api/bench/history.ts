// An hour of synthetic history, written straight into the facts table, so that "diff over an hour"
// and the change feed can be measured without an hour of ingest. Run after the fleet's first
// snapshots, while no delta is in flight; it rewrites the table as if the same nodes had been
// reporting for the hour before (T0 = the first snapshot's commit), insert-only, and in the order the
// API would have left the rows on disk: a version's row is last written when it is closed (the
// UPDATE puts the closed version at the end of the heap) or, while current, when it was opened; so
// rows go in by coalesce(valid_to, valid_from). (Written fact by fact instead, every version of a
// fact shares a page and the state at a moment touches a page per fact: 7x the pages, which made
// "state at T" look 2x slower than anything real ingest produces.)
//   - the current versions are copied aside and the table truncated (so no dead tuples are left
//     for the churn's inserts to reuse: bytes per change stay honest);
//   - every fact gets back its current version, valid from before the hour (H0) on;
//   - churning facts (neighbors that are not NOARP, the routes to other nodes' pod CIDRs, the
//     members of the service sets) instead get v or v + 1 versions (at random, so about half of
//     them end the hour as they began it) before the current one: [H0, b0),
//     [b0, b1), … [b(v-1), ∞), the boundaries spread evenly over the hour with a random phase per
//     fact; values alternate (neighbor state, route gateway) or presence alternates (ipset
//     members), so every boundary is a real change and the last version is the current value;
//   - each node had pods that were removed during the hour: closed versions of their 5 facts in
//     pod slots that are empty now (so their keys have no other version).
// Intervals never overlap, valid_to > valid_from holds, one current version per fact. The fleet's
// next snapshot must then find nothing changed (the bench checks it).
import pg from 'pg';
import { CHURN_SETS, PODS, POD_SLOTS, podFacts, type SimNode } from './fleet.js';

export interface HistoryResult {
  /** the hour: diff and changes over (hourStart, hourEnd] */
  hourStart: Date;
  hourEnd: Date;
  rows: number;
  /** fact changes inside the hour, by construction */
  changes: number;
  /** mean versions per churning fact in the hour */
  versionsPerFact: number;
  churningFacts: number;
  ms: number;
}

const CHURNING = `(
  (kind = 'neigh' AND NOT value::jsonb->'state' @> '["NOARP"]')
  OR (kind = 'route' AND value->>'table' = 'main' AND value->>'protocol' = '17')
  OR (kind = 'ipsetMember' AND value->>'set' IN ('${CHURN_SETS[0]}', '${CHURN_SETS[1]}'))
)`;

// values are json (the API's text); the other version is made as jsonb, and keeps jsonb's text
const ALT = `CASE c.kind
  WHEN 'neigh' THEN jsonb_set(c.value::jsonb, '{state}', CASE WHEN c.value::jsonb->'state' @> '["STALE"]' THEN '["REACHABLE"]'::jsonb ELSE '["STALE"]'::jsonb END)::json
  WHEN 'route' THEN jsonb_set(c.value::jsonb, '{gateway}', to_jsonb('172.21.' || (abs(hashtext(c.key)) % 250) || '.1'))::json
  ELSE c.value END`;

export async function insertSyntheticHour(
  url: string,
  fleet: readonly SimNode[],
  options: { minutes: number; rate: number; log: (line: string) => void },
): Promise<HistoryResult> {
  const t0 = performance.now();
  const clients = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
  await Promise.all(clients.map((c) => c.connect()));
  const [a, b] = clients as [pg.Client, pg.Client];
  try {
    // the time-ordered inserts sort ~3 M rows each: in memory rather than in 4 MB runs on disk
    await Promise.all(clients.map((c) => c.query(`SET work_mem = '256MB'`)));
    const first = (await a.query<{ t0: Date | null }>(`SELECT min(valid_from) AS t0 FROM facts`)).rows[0]!.t0;
    if (!first) throw new Error('no facts to build a history before');
    const hourEnd = new Date(first.getTime() - 1000);
    const spanMs = options.minutes * 60_000;
    const hourStart = new Date(hourEnd.getTime() - spanMs);
    const h0 = new Date(hourStart.getTime() - 60_000);
    const ids = new Map((await a.query<{ id: number; name: string }>(`SELECT id, name FROM nodes`)).rows.map((r) => [r.name, r.id]));

    // removed pods: up to 10 per node per hour, one per empty slot
    const perNode = Math.min(POD_SLOTS - PODS, Math.max(1, Math.round((10 * options.minutes) / 60)));
    const cols = { node: [] as number[], kind: [] as string[], key: [] as string[], value: [] as string[], from: [] as Date[], to: [] as Date[] };
    let podChanges = 0;
    for (const node of fleet) {
      const id = ids.get(node.name);
      if (id === undefined) continue;
      for (let k = 0; k < perNode; k++) {
        const slot = PODS + k;
        if (node.podUp[slot]) continue;
        const removedAt = hourStart.getTime() + Math.random() * spanMs;
        const addedAt = Math.random() < 0.5 ? h0.getTime() : hourStart.getTime() + Math.random() * (removedAt - hourStart.getTime());
        for (const f of podFacts(node.index, slot, 30_000 + k, 'STALE')) {
          cols.node.push(id);
          cols.kind.push(f.kind);
          cols.key.push(f.key);
          cols.value.push(JSON.stringify(f.value));
          cols.from.push(new Date(addedAt));
          cols.to.push(new Date(removedAt));
          podChanges += addedAt > hourStart.getTime() ? 2 : 1;
        }
      }
    }

    await a.query(`DROP TABLE IF EXISTS bench_current`);
    await a.query(
      `CREATE UNLOGGED TABLE bench_current AS
       SELECT node_id, kind, key, value, ${CHURNING} AS churning, kind = 'ipsetMember' AS toggle, random() AS jit, random() AS pick,
         (random() < 0.5)::int AS extra
       FROM facts WHERE valid_to IS NULL`,
    );
    const current = Number((await a.query<{ n: string }>(`SELECT count(*) AS n FROM bench_current`)).rows[0]!.n);
    const churning = Number((await a.query<{ n: string }>(`SELECT count(*) AS n FROM bench_current WHERE churning`)).rows[0]!.n);
    const wanted = Math.max(0, options.rate * (spanMs / 1000) - podChanges);
    const perFact = churning ? wanted / churning : 0;
    // v or v + 1 versions per fact at random (mean v + 0.5), so that about half of the facts end
    // the hour where they began it, as real churn would
    const v = Math.max(1, Math.round(perFact - 0.5));
    const fraction = Math.min(1, perFact / (v + 0.5));
    options.log(
      `  ${current.toLocaleString('en-US')} current facts, ${churning.toLocaleString('en-US')} of them churning: ${v} or ${v + 1} versions each (${(fraction * 100).toFixed(0)}% of them) over ${options.minutes} min; ${cols.node.length.toLocaleString('en-US')} rows of removed pods …`,
    );
    // the snapshot's versions go; nothing else writes facts now (heartbeats touch nodes only)
    await a.query(`TRUNCATE facts`);
    await a.query(`DROP TABLE IF EXISTS bench_removed`);
    await a.query(`CREATE UNLOGGED TABLE bench_removed (node_id int, kind text, key text, value json, valid_from timestamptz, valid_to timestamptz)`);
    for (let i = 0; i < cols.node.length; i += 20_000) {
      const s = (xs: unknown[]) => xs.slice(i, i + 20_000);
      await a.query(
        `INSERT INTO bench_removed SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::json[], $5::timestamptz[], $6::timestamptz[])`,
        [s(cols.node), s(cols.kind), s(cols.key), s(cols.value), s(cols.from), s(cols.to)],
      );
    }
    // two connections, half the nodes each; each writes its rows in time order, so a heap page
    // holds rows of one stretch of time, as when the API writes them
    const results = await Promise.all(
      [a, b].map(async (client, half) => {
        const inserted = await client.query(
          `INSERT INTO facts (node_id, kind, key, value, valid_from, valid_to)
           SELECT node_id, kind, key, value, valid_from, valid_to FROM (
             SELECT node_id, kind, key, value, $3::timestamptz AS valid_from, NULL::timestamptz AS valid_to FROM bench_current
             WHERE node_id % 2 = $5 AND NOT (churning AND pick < $6)
             UNION ALL
             SELECT c.node_id, c.kind, c.key,
               CASE WHEN (c.n - g.j) % 2 = 0 THEN c.value ELSE ${ALT} END,
               CASE WHEN g.j = 0 THEN $3::timestamptz ELSE $2::timestamptz + (c.jit + g.j - 1) * ($4::float8 / c.n) * interval '1 millisecond' END,
               CASE WHEN g.j = c.n THEN NULL ELSE $2::timestamptz + (c.jit + g.j) * ($4::float8 / c.n) * interval '1 millisecond' END
             FROM (SELECT *, $1::int + extra AS n FROM bench_current) c CROSS JOIN LATERAL generate_series(0, c.n) AS g(j)
             WHERE c.node_id % 2 = $5 AND c.churning AND c.pick < $6 AND (NOT c.toggle OR (c.n - g.j) % 2 = 0)
             UNION ALL
             SELECT node_id, kind, key, value, valid_from, valid_to FROM bench_removed WHERE node_id % 2 = $5
           ) v
           ORDER BY coalesce(v.valid_to, v.valid_from)`,
          [v, hourStart, h0, spanMs, half, fraction],
        );
        return inserted.rowCount ?? 0;
      }),
    );
    const chosen = (
      await a.query<{ facts: string; versions: string }>(
        `SELECT count(*) AS facts, coalesce(sum($2::int + extra), 0) AS versions FROM bench_current WHERE churning AND pick < $1`,
        [fraction, v],
      )
    ).rows[0]!;
    await a.query(`DROP TABLE bench_current`);
    await a.query(`DROP TABLE bench_removed`);
    options.log('  VACUUM ANALYZE facts, CHECKPOINT …');
    await a.query('VACUUM (ANALYZE) facts');
    // flush the bulk load now, so the churn does not pay for it in checkpoint I/O and full-page writes
    await a.query('CHECKPOINT').catch((error: unknown) => options.log(`  (no CHECKPOINT: ${(error as Error).message})`));
    return {
      hourStart,
      hourEnd,
      rows: results.reduce((s, n) => s + n, 0),
      changes: podChanges + Number(chosen.versions),
      versionsPerFact: v + 0.5,
      churningFacts: Number(chosen.facts),
      ms: performance.now() - t0,
    };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}
