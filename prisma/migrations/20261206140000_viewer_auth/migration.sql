-- Viewers (README "Security"): API tokens for scripts and the token sign-in, sessions of signed-in
-- browsers, alert silences, and who acknowledged an alert. Tokens and session ids are kept as their
-- SHA-256 only; the secrets themselves are shown once (a token) or live in a signed cookie (a session).
CREATE TABLE "api_tokens" (
    "id" BIGSERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "token_hash" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT,
    "last_used_at" TIMESTAMPTZ(6),
    "revoked_at" TIMESTAMPTZ(6),

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");

CREATE TABLE "viewer_sessions" (
    "id_hash" BYTEA NOT NULL,
    "subject" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "via" TEXT NOT NULL,
    "id_token" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "ended_at" TIMESTAMPTZ(6),

    CONSTRAINT "viewer_sessions_pkey" PRIMARY KEY ("id_hash")
);

CREATE INDEX "viewer_sessions_expires_at" ON "viewer_sessions"("expires_at");

CREATE TABLE "alert_silences" (
    "id" BIGSERIAL NOT NULL,
    "rule" TEXT,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "until" TIMESTAMPTZ(6) NOT NULL,
    "comment" TEXT NOT NULL DEFAULT '',
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(6),

    CONSTRAINT "alert_silences_pkey" PRIMARY KEY ("id")
);

ALTER TABLE "alerts" ADD COLUMN "acknowledged_by" TEXT, ADD COLUMN "acknowledged_at" TIMESTAMPTZ(6);
