-- Alerts (libs/wire/src/alerts.ts): one row per alert instance, from pending through firing to
-- resolved. At most one open (pending or firing) instance per fingerprint, guaranteed here.
CREATE TYPE alert_state AS ENUM ('pending', 'firing', 'resolved');

CREATE TABLE alerts (
  id          BIGSERIAL      NOT NULL,
  fingerprint TEXT           NOT NULL,
  rule        TEXT           NOT NULL,
  severity    TEXT           NOT NULL,
  labels      JSONB          NOT NULL DEFAULT '{}',
  summary     TEXT           NOT NULL,
  state       alert_state    NOT NULL,
  starts_at   TIMESTAMPTZ(6) NOT NULL,
  fired_at    TIMESTAMPTZ(6),
  resolved_at TIMESTAMPTZ(6),
  root_id     BIGINT,
  -- the windows of changes that caused and cleared it: {from, to}
  cause       JSONB,
  clear       JSONB,
  CONSTRAINT alerts_pkey PRIMARY KEY (id),
  CONSTRAINT alerts_root_id_fkey FOREIGN KEY (root_id) REFERENCES alerts (id) ON DELETE SET NULL ON UPDATE CASCADE
);

CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (fingerprint) WHERE state <> 'resolved';
-- GET /api/alerts?from=&to=: alerts that were open at some moment of the window
CREATE INDEX alerts_starts_at ON alerts (starts_at);
CREATE INDEX alerts_resolved_at ON alerts (resolved_at);

-- Notifications waiting for (or given to) a webhook receiver: written in the transaction that
-- changes the alert, sent with retries and back-off, so neither a slow receiver nor an API restart
-- loses one.
CREATE TABLE notification_outbox (
  id              BIGSERIAL      NOT NULL,
  receiver        TEXT           NOT NULL,
  payload         JSONB          NOT NULL,
  created_at      TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  attempts        INTEGER        NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  last_error      TEXT,
  delivered_at    TIMESTAMPTZ(6),
  CONSTRAINT notification_outbox_pkey PRIMARY KEY (id)
);

CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE delivered_at IS NULL;
