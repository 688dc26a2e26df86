// Sessions of signed-in browsers. The cookie carries a random id (signed, auth/session-cookie.ts);
// the row is found by the id's SHA-256, so neither a database dump nor a log gives a session away.
// Ending a session (logout) ends it for every API replica at once.
import type { AuthVia, Role, Viewer } from '@netatlas/wire';
import type pg from 'pg';
import { hashToken } from './collector-tokens.repository.js';

export interface SessionRecord {
  viewer: Viewer;
  expiresAt: Date;
  /** the OIDC ID token (for the provider's logout), null for a token sign-in */
  idToken: string | null;
}

export class ViewerSessionsRepository {
  constructor(private readonly pool: pg.Pool) {}

  async create(id: string, viewer: Viewer, expiresAt: Date, idToken: string | null): Promise<void> {
    await this.pool.query(
      `INSERT INTO viewer_sessions (id_hash, subject, name, role, via, id_token, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [hashToken(id), viewer.subject, viewer.name, viewer.role, viewer.via, idToken, expiresAt],
    );
  }

  /** The live session with this id, or null (unknown, ended or expired). */
  async find(id: string): Promise<SessionRecord | null> {
    const { rows } = await this.pool.query<{ subject: string; name: string; role: Role; via: AuthVia; id_token: string | null; expires_at: Date }>(
      `SELECT subject, name, role, via, id_token, expires_at FROM viewer_sessions
       WHERE id_hash = $1 AND ended_at IS NULL AND expires_at > now()`,
      [hashToken(id)],
    );
    const r = rows[0];
    return r ? { viewer: { subject: r.subject, name: r.name, role: r.role, via: r.via }, expiresAt: r.expires_at, idToken: r.id_token } : null;
  }

  /** Ends a session (logout); the ID token it held, for the provider's logout. */
  async end(id: string): Promise<{ idToken: string | null } | null> {
    const { rows } = await this.pool.query<{ id_token: string | null }>(
      `UPDATE viewer_sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL RETURNING id_token`,
      [hashToken(id)],
    );
    return rows[0] ? { idToken: rows[0].id_token } : null;
  }

  /** Deletes sessions that expired or ended more than a day ago; how many. */
  async prune(): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM viewer_sessions WHERE expires_at < now() - interval '1 day' OR ended_at < now() - interval '1 day'`,
    );
    return rowCount ?? 0;
  }
}
