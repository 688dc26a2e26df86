-- Which index answers "state at time T" over a long fact history? The measurement behind the
-- choice in prisma/migrations/*_init/migration.sql (facts_node_validity).
--
--   createdb -h 127.0.0.1 -U postgres netatlas_bench    # a scratch database (btree_gist gets installed)
--   psql -X -h 127.0.0.1 -U postgres -d netatlas_bench -f apps/api/bench/history-indexes.sql
--   (-v nodes=1000 -v versions=90 to change the volume; about 2 minutes at the defaults)
--
-- Builds a throw-away schema bench_history (dropped at the end) with a history shaped like the
-- bench of issue 4: :nodes nodes x 1000 facts, of which 100 per node churn (:versions versions
-- each, spread evenly over 7 days) and 900 stay put — about 2 million rows at the defaults, inserted
-- in time order as ingest would. Then, for each candidate index, it times (EXPLAIN ANALYZE, second
-- of two runs, warm cache) one node's state and every node's state at an early, a middle and a late
-- T, and the cost of 20,000 changes (close the current version, insert the next) with it in place.
-- Candidates (always present: the partial unique index on current versions and btrees on
-- valid_from and valid_to):
--   gist       GiST (node_id, tstzrange(valid_from, valid_to, '[)')) queried with @> T
--   node_from  btree (node_id, valid_from) INCLUDE (valid_to)
--   node_to    btree (node_id, valid_to)
--   none       only the always-present indexes
\set ON_ERROR_STOP on
\set QUIET on
\if :{?nodes} \else \set nodes 200 \endif
\if :{?versions} \else \set versions 90 \endif
\pset pager off
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_history CASCADE;
CREATE SCHEMA bench_history;
CREATE EXTENSION IF NOT EXISTS btree_gist;
SET search_path = bench_history, public;
SET maintenance_work_mem = '256MB';

CREATE TABLE facts (
  id bigserial PRIMARY KEY,
  node_id integer NOT NULL,
  kind text NOT NULL,
  key text NOT NULL,
  value jsonb NOT NULL,
  valid_from timestamptz(6) NOT NULL DEFAULT now(),
  valid_to timestamptz(6),
  CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE TABLE nodes AS SELECT g AS id FROM generate_series(1, :nodes) g;

\echo generating the history ...
\timing on
WITH stable AS (
  SELECT n AS node_id, f, timestamptz '2026-11-01T00:00:00Z' + n * interval '10 seconds' + f * interval '1 millisecond' AS valid_from,
         NULL::timestamptz AS valid_to
  FROM generate_series(1, :nodes) n, generate_series(1, 900) f
), churny AS (
  -- version i of a churning fact starts somewhere in its own slot of 7 days / :versions
  SELECT n AS node_id, f, i,
         timestamptz '2026-11-01T01:00:00Z' + (i - 1 + random() * 0.98) * (interval '167 hours' / :versions) AS valid_from
  FROM generate_series(1, :nodes) n, generate_series(901, 1000) f, generate_series(1, :versions) i
), churny_closed AS (
  SELECT node_id, f, valid_from,
         coalesce(lead(valid_from) OVER w,
                  CASE WHEN random() < 0.5 THEN NULL ELSE valid_from + interval '20 minutes' END) AS valid_to
  FROM churny WINDOW w AS (PARTITION BY node_id, f ORDER BY i)
), all_rows AS (
  SELECT node_id, f, valid_from, valid_to FROM stable
  UNION ALL SELECT node_id, f, valid_from, valid_to FROM churny_closed
)
INSERT INTO facts (node_id, kind, key, value, valid_from, valid_to)
SELECT node_id, (ARRAY['route', 'neigh', 'link', 'addr', 'ipsetMember'])[1 + f % 5],
       'main|inet|10.' || node_id % 250 || '.' || f % 250 || '.0/24|0|' || f || '|eth0',
       jsonb_build_object('table', 'main', 'family', 'inet', 'dst', '10.' || node_id % 250 || '.' || f % 250 || '.0/24',
         'type', 'unicast', 'protocol', 'bird', 'scope', 'global', 'gateway', '172.20.0.' || f % 200, 'dev', 'eth0',
         'prefsrc', NULL, 'metric', 0, 'tos', 0, 'flags', '[]'::jsonb, 'nexthops', '[]'::jsonb,
         'version', extract(epoch FROM valid_from)::bigint),
       valid_from, valid_to
FROM all_rows ORDER BY valid_from;

\echo building the indexes ...
CREATE UNIQUE INDEX facts_current_key ON facts (node_id, kind, key) WHERE valid_to IS NULL;
CREATE INDEX facts_valid_from ON facts (valid_from);
CREATE INDEX facts_valid_to ON facts (valid_to);
CREATE INDEX cand_gist ON facts USING gist (node_id, tstzrange(valid_from, valid_to, '[)'));
CREATE INDEX cand_node_from ON facts (node_id, valid_from) INCLUDE (valid_to);
CREATE INDEX cand_node_to ON facts (node_id, valid_to);
\timing off
ANALYZE facts;
ANALYZE nodes;
SELECT count(*) AS rows, count(*) FILTER (WHERE valid_to IS NULL) AS current_rows,
       pg_size_pretty(pg_table_size('facts')) AS heap FROM facts;
SELECT indexrelname AS index, pg_size_pretty(pg_relation_size(indexrelid)) AS size
FROM pg_stat_user_indexes WHERE schemaname = 'bench_history' AND relname = 'facts' ORDER BY 1;

-- Times per (candidate, query): a PL/pgSQL helper runs EXPLAIN ANALYZE twice and keeps the second.
CREATE FUNCTION explain_ms(q text, OUT ms numeric, OUT rows bigint, OUT plan text) LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || q INTO j;
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || q INTO j;
  ms := round((j -> 0 ->> 'Execution Time')::numeric, 1);
  rows := (j -> 0 -> 'Plan' ->> 'Actual Rows')::bigint;
  SELECT string_agg(DISTINCT m[1], ', ') INTO plan
  FROM regexp_matches(j::text, '"Index Name": "([a-z_]+)"|"Node Type": "(Seq Scan)"', 'g') AS m0,
       LATERAL (SELECT ARRAY[coalesce(m0[1], m0[2])]) AS x(m);
END $$;

-- (results are returned, not stored: each candidate is measured in a transaction that drops the
-- other candidates and is rolled back)
CREATE FUNCTION measure(candidate text) RETURNS TABLE (index text, query text, at text, ms numeric, rows bigint, plan text)
LANGUAGE plpgsql AS $$
DECLARE t record; at_t text; state text; r record;
BEGIN
  FOR t IN SELECT * FROM (VALUES ('early', '2026-11-02T00:00:00Z'), ('middle', '2026-11-04T12:00:00Z'), ('late', '2026-11-07T22:00:00Z')) v(name, ts) LOOP
    at_t := quote_literal(t.ts) || '::timestamptz';
    state := CASE WHEN candidate = 'gist' THEN format('tstzrange(valid_from, valid_to, %L) @> %s', '[)', at_t)
                  ELSE format('valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)', at_t, at_t) END;
    r := explain_ms(format('SELECT kind, key, value FROM facts WHERE node_id = 100 AND %s', state));
    index := candidate; query := 'one node'; at := t.name; ms := r.ms; rows := r.rows; plan := r.plan; RETURN NEXT;
    r := explain_ms(format('SELECT node_id, kind, key, value FROM facts WHERE %s', state));
    query := 'all nodes'; ms := r.ms; rows := r.rows; plan := r.plan; RETURN NEXT;
    IF candidate = 'gist' THEN
      -- the same with the planner told that random reads are cheap (data in cache / SSD)
      SET LOCAL random_page_cost = 1.1;
      r := explain_ms(format('SELECT node_id, kind, key, value FROM facts WHERE %s', state));
      query := 'all nodes, random_page_cost 1.1'; ms := r.ms; rows := r.rows; plan := r.plan; RETURN NEXT;
      RESET random_page_cost;
    END IF;
  END LOOP;
END $$;

CREATE FUNCTION churn(candidate text, changes int) RETURNS TABLE (index text, query text, at text, ms numeric, rows bigint, plan text)
LANGUAGE plpgsql AS $$
DECLARE n int; f int; k text; kd text; t timestamptz; started timestamptz := clock_timestamp();
BEGIN
  FOR i IN 1..changes LOOP
    n := 1 + floor(random() * (SELECT count(*) FROM nodes))::int;
    f := 901 + floor(random() * 100)::int;
    kd := (ARRAY['route', 'neigh', 'link', 'addr', 'ipsetMember'])[1 + f % 5];
    k := 'main|inet|10.' || n % 250 || '.' || f % 250 || '.0/24|0|' || f || '|eth0';
    t := clock_timestamp();
    UPDATE facts SET valid_to = t WHERE node_id = n AND kind = kd AND key = k AND valid_to IS NULL;
    INSERT INTO facts (node_id, kind, key, value, valid_from)
    VALUES (n, kd, k, jsonb_build_object('dst', '10.0.0.0/24', 'gateway', '172.20.0.1', 'dev', 'eth0', 'version', i), t);
  END LOOP;
  index := candidate; query := changes || ' changes (close + insert)'; at := '-';
  ms := round(extract(epoch FROM clock_timestamp() - started)::numeric * 1000, 1); rows := changes; RETURN NEXT;
END $$;

\echo measuring ...
BEGIN; DROP INDEX cand_node_from, cand_node_to; SELECT * FROM measure('gist') UNION ALL SELECT * FROM churn('gist', 20000); ROLLBACK;
BEGIN; DROP INDEX cand_gist, cand_node_to; SELECT * FROM measure('node_from') UNION ALL SELECT * FROM churn('node_from', 20000); ROLLBACK;
BEGIN; DROP INDEX cand_gist, cand_node_from; SELECT * FROM measure('node_to') UNION ALL SELECT * FROM churn('node_to', 20000); ROLLBACK;
BEGIN; DROP INDEX cand_gist, cand_node_from, cand_node_to; SELECT * FROM measure('none') UNION ALL SELECT * FROM churn('none', 20000); ROLLBACK;

\echo changes in one hour: the always-present indexes on valid_from and valid_to
DROP INDEX cand_gist, cand_node_from, cand_node_to;
SELECT 'one node' AS scope, * FROM explain_ms($q$
  SELECT * FROM facts WHERE node_id = 100 AND ((valid_from >= '2026-11-04T12:00:00Z' AND valid_from < '2026-11-04T13:00:00Z')
                                            OR (valid_to >= '2026-11-04T12:00:00Z' AND valid_to < '2026-11-04T13:00:00Z'))$q$)
UNION ALL SELECT 'all nodes', * FROM explain_ms($q$
  SELECT * FROM facts WHERE (valid_from >= '2026-11-04T12:00:00Z' AND valid_from < '2026-11-04T13:00:00Z')
                         OR (valid_to >= '2026-11-04T12:00:00Z' AND valid_to < '2026-11-04T13:00:00Z')$q$);
RESET search_path;
DROP SCHEMA bench_history CASCADE;
