// Per-node collector tokens: created, listed, revoked, and looked up at the ingest handshake. The
// token is random (32 bytes, base64url, prefixed `nac_` so that a leaked one is recognisable); only
// its SHA-256 is stored, so the table gives nothing away.
import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../generated/prisma/client.js';

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

/**
 * Plain create/read/update on one table: the API's one path through the Prisma client (README,
 * "Database": raw SQL and COPY on the measured hot paths, Prisma where a query is simple CRUD).
 */
export class CollectorTokensRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** A new token for `node`: the token itself (shown once) and its row. */
  async create(node: string): Promise<{ token: string; row: CollectorTokenRow }> {
    const token = `${COLLECTOR_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const row = await this.prisma.collectorToken.create({ data: { node, tokenHash: new Uint8Array(hashToken(token)) }, select: COLUMNS });
    return { token, row: rowOf(row) };
  }

  /** The node a token speaks for, or null when it is unknown or revoked. */
  async nodeOf(token: string): Promise<string | null> {
    const row = await this.prisma.collectorToken.findUnique({ where: { tokenHash: new Uint8Array(hashToken(token)) }, select: { node: true, revokedAt: true } });
    return row && row.revokedAt === null ? row.node : null;
  }

  async list(node?: string): Promise<CollectorTokenRow[]> {
    const rows = await this.prisma.collectorToken.findMany({ where: node === undefined ? {} : { node }, orderBy: [{ node: 'asc' }, { id: 'asc' }], select: COLUMNS });
    return rows.map(rowOf);
  }

  /** Revokes one token by id (digits), or every token of a node; returns how many were revoked now. */
  async revoke(by: { id: string } | { node: string }): Promise<number> {
    const where = 'id' in by ? { id: BigInt(by.id), revokedAt: null } : { node: by.node, revokedAt: null };
    const { count } = await this.prisma.collectorToken.updateMany({ where, data: { revokedAt: new Date() } });
    return count;
  }
}

const COLUMNS = { id: true, node: true, createdAt: true, revokedAt: true } as const;

function rowOf(row: { id: bigint; node: string; createdAt: Date; revokedAt: Date | null }): CollectorTokenRow {
  return { id: String(row.id), node: row.node, createdAt: row.createdAt, revokedAt: row.revokedAt };
}
