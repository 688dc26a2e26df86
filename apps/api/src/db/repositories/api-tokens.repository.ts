// API tokens for scripts and for the token sign-in: created (by an admin or the CLI), listed,
// revoked, and looked up on every request that brings one. The token is random (32 bytes,
// base64url, prefixed `nat_` so a leaked one is recognisable); only its SHA-256 is stored.
import type { ApiToken, Role } from '@netatlas/wire';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { hashToken } from './collector-tokens.repository.js';

export const API_TOKEN_PREFIX = 'nat_';

interface Row {
  id: string;
  name: string;
  role: Role;
  created_at: Date;
  created_by: string | null;
  last_used_at: Date | null;
}

const COLUMNS = 'id::text, name, role, created_at, created_by, last_used_at';

function tokenOf(r: Row): ApiToken {
  return {
    id: Number(r.id),
    name: r.name,
    role: r.role,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
  };
}

export class ApiTokensRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** A new token: the secret (shown once) and its row. */
  async create(name: string, role: Role, createdBy: string | null): Promise<{ secret: string; token: ApiToken }> {
    const secret = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO api_tokens (name, role, token_hash, created_by) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [name, role, hashToken(secret), createdBy],
    );
    return { secret, token: tokenOf(rows[0]!) };
  }

  /**
   * The live token with this secret, or null. Its last use is recorded at most once a minute (a
   * script polling every second must not turn every read into a write).
   */
  async find(secret: string): Promise<ApiToken | null> {
    const { rows } = await this.pool.query<Row>(
      `WITH t AS (SELECT id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL),
            touched AS (UPDATE api_tokens a SET last_used_at = now() FROM t
                        WHERE a.id = t.id AND (a.last_used_at IS NULL OR a.last_used_at < now() - interval '1 minute'))
       SELECT ${COLUMNS} FROM api_tokens WHERE id IN (SELECT id FROM t)`,
      [hashToken(secret)],
    );
    return rows[0] ? tokenOf(rows[0]) : null;
  }

  /** The live tokens, oldest first. */
  async list(): Promise<ApiToken[]> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM api_tokens WHERE revoked_at IS NULL ORDER BY id`);
    return rows.map(tokenOf);
  }

  /** Revokes a live token; false when there is none with that id. */
  async revoke(id: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
    return (rowCount ?? 0) > 0;
  }
}
