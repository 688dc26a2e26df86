-- Fact values as json, the text as the API wrote it, rather than jsonb. Every read of the state or
-- a diff hands the values out as text, and jsonb's output function rebuilt that text from the
-- binary form on each read: 0.1 s of Postgres CPU per 100 nodes of state (108 k values), more than
-- half of the read, against ~0.01 s to copy json's text (apps/api/bench). The text is also smaller
-- (no spaces after ':' and ','). json has no equality, so values are compared as text first and,
-- where the text differs, as jsonb (history/value-sql.ts); the versions converted here keep
-- jsonb's text, which the comparison takes as the same value as the API's.
ALTER TABLE facts ALTER COLUMN value TYPE json USING value::json;
-- jsonb refused what json accepts (\u0000 in a string): kept out, so that every stored value still
-- converts to jsonb for the comparison above
ALTER TABLE facts ADD CONSTRAINT facts_value_jsonb CHECK (value::jsonb IS NOT NULL);
