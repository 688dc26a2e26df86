// The generated Prisma client, running through @prisma/adapter-pg on the migrated database.
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';
import { createDatabase, type Database } from './database.js';
import { migrate } from './migrate.js';
import { databaseUrlFromEnv, redactUrl } from './url.js';

describe('database (Prisma client through @prisma/adapter-pg)', () => {
  let testDatabase: TestDatabase;
  let db: Database;

  setupOnce(async () => {
    testDatabase = await createTestDatabase('client');
    await migrate(testDatabase.url);
    db = createDatabase({ url: testDatabase.url, max: 2 });
    await db.connect();
  });

  afterAll(async () => {
    await db?.disconnect();
    await testDatabase?.drop();
  });

  it('inserts and reads nodes, facts and events', async () => {
    const node = await db.prisma.node.create({
      data: {
        name: 'lab-node1',
        bootId: '2f6e1d7c-0000-4000-8000-000000000001',
        cniStyle: 'kube-router',
        readerStatus: { links: { status: 'ok', error: null }, ipvs: { status: 'missing', error: 'ipvsadm: not found' } },
        ackedEpoch: 1_763_900_000_000n,
        ackedSeq: 0n,
      },
    });
    expect(node).toMatchObject({ name: 'lab-node1', status: 'pending', ackedEpoch: 1_763_900_000_000n });
    expect(node.firstSeen).toBeInstanceOf(Date);

    const value = {
      table: 'main', family: 'inet', dst: '10.233.2.0/24', type: 'unicast', protocol: '17', scope: 'global',
      gateway: '172.20.0.12', dev: 'eth0', prefsrc: null, metric: 0, tos: 0, flags: [], nexthops: [],
    };
    const validFrom = new Date('2026-11-23T10:00:00.123Z');
    const fact = await db.prisma.fact.create({
      data: { nodeId: node.id, kind: 'route', key: 'main|inet|10.233.2.0/24|0|0|eth0', value, validFrom },
    });
    expect(typeof fact.id).toBe('bigint');

    const current = await db.prisma.fact.findMany({ where: { node: { name: 'lab-node1' }, validTo: null } });
    expect(current).toEqual([
      { id: fact.id, nodeId: node.id, kind: 'route', key: 'main|inet|10.233.2.0/24|0|0|eth0', value, validFrom, validTo: null },
    ]);

    await db.prisma.nodeEvent.create({ data: { nodeId: node.id, type: 'first_seen', detail: { via: 'collector' } } });
    const withEvents = await db.prisma.node.findUniqueOrThrow({ where: { name: 'lab-node1' }, include: { events: true } });
    expect(withEvents.events.map((event) => [event.type, event.detail])).toEqual([['first_seen', { via: 'collector' }]]);
  });

  it('surfaces the partial unique index as a unique violation', async () => {
    const node = await db.prisma.node.create({ data: { name: 'lab-node2' } });
    const data = { nodeId: node.id, kind: 'neigh', key: 'eth0|172.20.0.1', value: { state: ['REACHABLE'] } };
    await db.prisma.fact.create({ data });
    await expect(db.prisma.fact.create({ data })).rejects.toMatchObject({ code: 'P2002' });
  });

  it('shares its pool with raw SQL', async () => {
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM nodes`);
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it('fails to connect with a clear message that does not show the password', async () => {
    const broken = createDatabase({ url: 'postgresql://postgres:s3cret@127.0.0.1:1/nowhere' });
    try {
      const error = await broken.connect().then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/^cannot connect to the database at postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/nowhere: /);
      expect(error?.message).not.toContain('s3cret');
    } finally {
      await broken.disconnect();
    }
  });

  it('requires DATABASE_URL from the environment, and says so', () => {
    expect(() => databaseUrlFromEnv({})).toThrow(/DATABASE_URL is not set/);
    expect(() => databaseUrlFromEnv({ DATABASE_URL: '  ' })).toThrow(/DATABASE_URL is not set/);
    expect(databaseUrlFromEnv({ DATABASE_URL: 'postgresql://x@h/db' })).toBe('postgresql://x@h/db');
    expect(redactUrl('postgresql://u:p@h:5/db')).toBe('postgresql://u:***@h:5/db');
  });
});
