-- A fact's versions by identity: the change feed pairs a version with the one it replaced
-- (prev.valid_to = next.valid_from), and the diff looks up a touched fact's version at two moments.
-- Neither the partial current-key index (current rows only) nor the GiST index (no kind/key) serves
-- those lookups.
CREATE INDEX facts_node_kind_key ON facts (node_id, kind, key);
