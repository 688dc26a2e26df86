-- Fact values as json, the text as the API wrote it, rather than jsonb. Every read of the state or
-- a diff hands the values out as text, and jsonb's output function rebuilt that text from the
-- binary form on each read: the COPY of 100 nodes' state (108 k values) took 176 ms of Postgres
-- with jsonb, 70-84 ms with json, 44 ms with no values at all (apps/api/bench, 6.6 M versions).
-- The text is also smaller (no spaces after ':' and ','). json has no equality, so values are
-- compared as text first and, where the text differs, as jsonb (history/value-sql.ts); the
-- versions converted here keep jsonb's text, which the comparison takes as the same value as the
-- API's.
ALTER TABLE facts ALTER COLUMN value TYPE json USING value::json;
-- jsonb refused what json accepts (\u0000 in a string): kept out, so that every stored value still
-- converts to jsonb for the comparison above
ALTER TABLE facts ADD CONSTRAINT facts_value_jsonb CHECK (value::jsonb IS NOT NULL);
