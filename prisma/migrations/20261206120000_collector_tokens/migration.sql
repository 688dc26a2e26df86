-- Per-node collector credentials: a token speaks for one node only (the shared NETATLAS_TOKEN
-- stays an explicit opt-in for labs). Only the token's SHA-256 is kept; the token itself is shown
-- once, when it is created (netatlas-token create --node NAME).
CREATE TABLE "collector_tokens" (
    "id" BIGSERIAL NOT NULL,
    "node" TEXT NOT NULL,
    "token_hash" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(6),

    CONSTRAINT "collector_tokens_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "collector_tokens_token_hash_key" ON "collector_tokens"("token_hash");
CREATE INDEX "collector_tokens_node" ON "collector_tokens"("node");
