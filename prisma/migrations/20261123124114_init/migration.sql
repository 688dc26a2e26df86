-- netatlas history store: nodes, facts as validity intervals, node lifecycle events.
-- Tables, columns, keys and the plain indexes mirror prisma/schema.prisma (a test compares them);
-- the partial unique index, the CHECK and the GiST index exist only here.

-- GiST over (integer, tstzrange): the integer needs btree_gist's operator class.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TYPE node_status AS ENUM ('pending', 'connected', 'disconnected', 'lost', 'left');

CREATE TYPE node_event_type AS ENUM (
  'first_seen', 'connected', 'disconnected', 'lost', 'resynced', 'gap', 'k8s_added', 'k8s_deleted'
);

CREATE TABLE nodes (
  id            SERIAL          NOT NULL,
  name          TEXT            NOT NULL,
  first_seen    TIMESTAMPTZ(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP,
  last_seen     TIMESTAMPTZ(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP,
  status        node_status     NOT NULL DEFAULT 'pending',
  acked_epoch   BIGINT,
  acked_seq     BIGINT,
  boot_id       TEXT,
  cni_style     TEXT,
  reader_status JSONB           NOT NULL DEFAULT '{}',
  CONSTRAINT nodes_pkey PRIMARY KEY (id)
);

CREATE UNIQUE INDEX nodes_name_key ON nodes (name);

-- One row per version of a fact, valid over [valid_from, valid_to); valid_to is null while the
-- version is current. Changing a fact closes its current row and inserts the next version with
-- valid_from = the closing valid_to; deleting it only closes the row.
CREATE TABLE facts (
  id         BIGSERIAL       NOT NULL,
  node_id    INTEGER         NOT NULL,
  kind       TEXT            NOT NULL,
  key        TEXT            NOT NULL,
  value      JSONB           NOT NULL,
  valid_from TIMESTAMPTZ(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP,
  valid_to   TIMESTAMPTZ(6),
  CONSTRAINT facts_pkey PRIMARY KEY (id),
  CONSTRAINT facts_node_id_fkey FOREIGN KEY (node_id) REFERENCES nodes (id) ON DELETE CASCADE ON UPDATE CASCADE,
  -- a version lasts for a while: an interval that ends where (or before) it starts is a bug
  CONSTRAINT facts_valid_interval CHECK (valid_to IS NULL OR valid_to > valid_from)
);

-- Current state ("what is it now"), and the guarantee that a fact has at most one current version.
CREATE UNIQUE INDEX facts_current_key ON facts (node_id, kind, key) WHERE valid_to IS NULL;

-- State at time T: WHERE node_id = $1 AND tstzrange(valid_from, valid_to, '[)') @> $2 (write the
-- predicate exactly so: the planner cannot use this index for valid_from <= T AND valid_to > T).
-- Chosen by measurement (apps/api/bench/history-indexes.sql; 1.98 million rows = 200 nodes x 1000
-- facts, 100 of them churning 90 times over 7 days; one node's state at an early / middle / late T):
--   this GiST index              0.7 / 0.4 / 0.5 ms    155 MB   ~150 us per change (close + insert)
--   btree (node_id, valid_from)  1.6 / 6.1 / 11 ms      77 MB   ~115 us
--   btree (node_id, valid_to)     27 / 8.4 / 0.8 ms     55 MB   ~130 us
--   neither (indexes below only) 181 / 327 / 20 ms              ~90 us
-- The btrees' cost grows with the history on one side of T; the GiST index does not. Every node's
-- state at T (200,000 rows) takes 100-120 ms through it, but at the default random_page_cost (4) the
-- planner prefers a sequential scan (520-740 ms): run that query with SET LOCAL random_page_cost = 1.1.
-- The index also serves the foreign key's node_id lookups.
CREATE INDEX facts_node_validity ON facts USING gist (node_id, tstzrange(valid_from, valid_to, '[)'));

-- Every change between T1 and T2: versions that began in the window, and versions that ended in it.
CREATE INDEX facts_valid_from ON facts (valid_from);
CREATE INDEX facts_valid_to ON facts (valid_to);

CREATE TABLE node_events (
  id      BIGSERIAL        NOT NULL,
  node_id INTEGER          NOT NULL,
  type    node_event_type  NOT NULL,
  at      TIMESTAMPTZ(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP,
  detail  JSONB            NOT NULL DEFAULT '{}',
  CONSTRAINT node_events_pkey PRIMARY KEY (id),
  CONSTRAINT node_events_node_id_fkey FOREIGN KEY (node_id) REFERENCES nodes (id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX node_events_at ON node_events (at);
CREATE INDEX node_events_node_at ON node_events (node_id, at);
