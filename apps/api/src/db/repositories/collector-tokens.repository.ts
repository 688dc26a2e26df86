// Per-node collector tokens: created, listed, revoked, and looked up at the ingest handshake. The
// token is random (32 bytes, base64url, prefixed `nac_` so that a leaked one is recognisable); only
// its SHA-256 is stored, so the table gives nothing away.
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

export interface CollectorTokenRow {
  id: string;
  node: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export const COLLECTOR_TOKEN_PREFIX = 'nac_';

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export class CollectorTokensRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** A new token for `node`: the token itself (shown once) and its row. */
  async create(node: string): Promise<{ token: string; row: CollectorTokenRow }> {
    const token = `${COLLECTOR_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const { rows } = await this.pool.query<CollectorTokenRow>(
      `INSERT INTO collector_tokens (node, token_hash) VALUES ($1, $2)
       RETURNING id::text, node, created_at AS "createdAt", revoked_at AS "revokedAt"`,
      [node, hashToken(token)],
    );
    return { token, row: rows[0]! };
  }

  /** The node a token speaks for, or null when it is unknown or revoked. */
  async nodeOf(token: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ node: string }>(`SELECT node FROM collector_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, [hashToken(token)]);
    return rows[0]?.node ?? null;
  }

  async list(node?: string): Promise<CollectorTokenRow[]> {
    const { rows } = await this.pool.query<CollectorTokenRow>(
      `SELECT id::text, node, created_at AS "createdAt", revoked_at AS "revokedAt" FROM collector_tokens
       WHERE $1::text IS NULL OR node = $1 ORDER BY node, id`,
      [node ?? null],
    );
    return rows;
  }

  /** Revokes one token by id, or every token of a node; returns how many were revoked now. */
  async revoke(by: { id: string } | { node: string }): Promise<number> {
    const { rowCount } =
      'id' in by
        ? await this.pool.query(`UPDATE collector_tokens SET revoked_at = now() WHERE id = $1::bigint AND revoked_at IS NULL`, [by.id])
        : await this.pool.query(`UPDATE collector_tokens SET revoked_at = now() WHERE node = $1 AND revoked_at IS NULL`, [by.node]);
    return rowCount ?? 0;
  }
}
