// The collector tokens through the Prisma client on a real database: created (only the hash is
// stored), looked up, listed, revoked by id or by node, and refused once revoked.
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.js';
import { setupOnce } from '../../testing/setup.js';
import { createDatabase, type Database } from '../database.js';
import { migrate } from '../migrate.js';
import { COLLECTOR_TOKEN_PREFIX, CollectorTokensRepository, hashToken } from './collector-tokens.repository.js';

describe('CollectorTokensRepository', () => {
  let database: TestDatabase;
  let db: Database;
  let tokens: CollectorTokensRepository;

  setupOnce(async () => {
    database = await createTestDatabase('collector-tokens-repo');
    await migrate(database.url);
    db = createDatabase({ url: database.url, max: 2, readMax: 1 });
    await db.connect();
    tokens = new CollectorTokensRepository(db.prisma);
  });

  afterAll(async () => {
    await db?.disconnect();
    await database?.drop();
  });

  it('creates a token whose hash only is stored, and finds its node by it', async () => {
    const { token, row } = await tokens.create('node-a');
    expect(token.startsWith(COLLECTOR_TOKEN_PREFIX)).toBe(true);
    expect(row).toMatchObject({ node: 'node-a', revokedAt: null });
    expect(row.id).toMatch(/^\d+$/);
    const stored = await db.pool.query<{ token_hash: Buffer }>('SELECT token_hash FROM collector_tokens WHERE id = $1', [row.id]);
    expect(stored.rows[0]!.token_hash.equals(hashToken(token))).toBe(true);
    expect(await tokens.nodeOf(token)).toBe('node-a');
    expect(await tokens.nodeOf(`${COLLECTOR_TOKEN_PREFIX}not-a-token`)).toBeNull();
  });

  it('lists by node name then id, all or one node', async () => {
    const b1 = await tokens.create('node-b');
    const b2 = await tokens.create('node-b');
    expect((await tokens.list('node-b')).map((r) => r.id)).toEqual([b1.row.id, b2.row.id]);
    expect((await tokens.list()).map((r) => r.node)).toEqual(['node-a', 'node-b', 'node-b']);
    expect(await tokens.list('nobody')).toEqual([]);
  });

  it('revokes by id or every token of a node, once; a revoked token speaks for no node', async () => {
    const c1 = await tokens.create('node-c');
    const c2 = await tokens.create('node-c');
    const d = await tokens.create('node-d');
    expect(await tokens.revoke({ id: c1.row.id })).toBe(1);
    expect(await tokens.revoke({ id: c1.row.id })).toBe(0);
    expect(await tokens.nodeOf(c1.token)).toBeNull();
    expect(await tokens.nodeOf(c2.token)).toBe('node-c');
    expect(await tokens.revoke({ node: 'node-c' })).toBe(1);
    expect(await tokens.nodeOf(c2.token)).toBeNull();
    expect(await tokens.nodeOf(d.token)).toBe('node-d');
    const revoked = (await tokens.list('node-c')).map((r) => r.revokedAt);
    expect(revoked.every((r) => r instanceof Date)).toBe(true);
  });
});
