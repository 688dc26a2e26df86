-- Every root cause a symptom was grouped under, oldest first ({rootId, rule, fingerprint, summary,
-- from, to}; libs/wire/src/alerts.ts AlertCause): a symptom whose root resolves keeps its history
-- ("caused by #12 until 14:02") instead of silently losing its grouping. Alerts grouped before
-- this migration get their current root as their history.
ALTER TABLE alerts ADD COLUMN causes JSONB NOT NULL DEFAULT '[]';

UPDATE alerts s
SET causes = jsonb_build_array(jsonb_build_object(
  'rootId', r.id::text, 'rule', r.rule, 'fingerprint', r.fingerprint, 'summary', r.summary,
  'from', to_char(s.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'to', CASE WHEN s.resolved_at IS NULL THEN NULL ELSE to_char(s.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END))
FROM alerts r
WHERE s.root_id = r.id;
