// The database that the SQL migrations build must be the one prisma/schema.prisma describes: the
// generated client relies on it, and nothing else checks it (prisma migrate cannot run here).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';
import { compareSchemaWithDatabase, SCHEMA_PATH } from '../testing/schema-compare.js';
import { migrate } from './migrate.js';

describe('schema.prisma and the migrated database', () => {
  let database: TestDatabase;
  let client: pg.Client;
  let scratch: string;
  let schema: string;

  setupOnce(async () => {
    database = await createTestDatabase('schema');
    await migrate(database.url);
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    scratch = await mkdtemp(join(tmpdir(), 'netatlas-schema-'));
    schema = await readFile(SCHEMA_PATH, 'utf8');
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** A temporary copy of schema.prisma with one line changed. */
  const schemaCopy = async (from: RegExp, to: string) => {
    const changed = schema.replace(from, to);
    expect(changed, `${from} must match schema.prisma`).not.toBe(schema);
    const path = join(scratch, `schema-${Math.random().toString(36).slice(2)}.prisma`);
    await writeFile(path, changed);
    return path;
  };

  it('match: tables, columns, types, nullability, defaults, keys, indexes, foreign keys, enums', async () => {
    expect(await compareSchemaWithDatabase(client)).toEqual([]);
  });

  it.each([
    {
      change: 'a column of the wrong type',
      from: /bootId(\s+)String\?/,
      to: 'bootId$1Int?   ',
      expected: [/^column nodes\.boot_id \(Node\.bootId\): type text in the database, integer in the schema$/],
    },
    {
      change: 'a column under another name',
      from: /@map\("cni_style"\)/,
      to: '@map("cni_flavour")',
      expected: [
        /^column nodes\.cni_flavour \(Node\.cniStyle\): missing in the database$/,
        /^column nodes\.cni_style: in the database, not in the schema$/,
      ],
    },
    {
      change: 'a required column that the database allows to be null',
      from: /validTo(\s+)DateTime\?/,
      to: 'validTo$1DateTime ',
      expected: [/^column facts\.valid_to \(Fact\.validTo\): nullable in the database, required in the schema$/],
    },
    {
      change: 'a default the database does not have',
      from: /kind(\s+)String\n/,
      to: 'kind$1String @default("route")\n',
      expected: [/^column facts\.kind \(Fact\.kind\): no default in the database, "route" in the schema$/],
    },
    {
      change: 'a different default',
      from: /@default\(pending\)/,
      to: '@default(lost)',
      expected: [/^column nodes\.status \(Node\.status\): default 'pending'::node_status in the database, "lost" in the schema$/],
    },
    {
      change: 'a unique key the database lacks',
      from: /key(\s+)String\n/,
      to: 'key$1String @unique\n',
      expected: [/^table facts: unique \(key\) in the schema, not in the database$/],
    },
    {
      change: 'a missing unique key',
      from: /name(\s+)String(\s+)@unique/,
      to: 'name$1String$2',
      expected: [/^table nodes: unique \(name\) in the database, not in the schema$/],
    },
    {
      change: 'an index on other columns',
      from: /@@index\(\[validTo\], map: "facts_valid_to"\)/,
      to: '@@index([validTo, validFrom], map: "facts_valid_to")',
      expected: [/^index facts_valid_to: on \(valid_to\) in the database, \(valid_to, valid_from\) in the schema$/],
    },
    {
      change: 'another ON DELETE',
      from: /(model NodeEvent[\s\S]*?)onDelete: Cascade/,
      to: '$1onDelete: Restrict',
      expected: [/^table node_events: foreign key \(node_id\) ON DELETE Cascade ON UPDATE Cascade in the database, Restrict \/ Cascade in the schema$/],
    },
    {
      change: 'an enum value the database lacks',
      from: /k8s_deleted\n/,
      to: 'k8s_deleted\n  rebooted\n',
      expected: [/^enum node_event_type: values \(.*k8s_deleted, left\) in the database, \(.*k8s_deleted, rebooted, left\) in the schema$/],
    },
  ])('differ when the schema has $change', async ({ from, to, expected }) => {
    const diffs = await compareSchemaWithDatabase(client, await schemaCopy(from, to));
    expect(diffs).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(diffs[i]).toMatch(pattern));
  });

  it('differ when the database drifts from the schema', async () => {
    await client.query('BEGIN');
    try {
      await client.query('ALTER TABLE facts ADD COLUMN extra integer');
      await client.query('ALTER TABLE nodes ALTER COLUMN boot_id SET NOT NULL');
      await client.query('DROP INDEX facts_valid_from');
      await client.query('CREATE TABLE stray (id integer PRIMARY KEY)');
      expect(await compareSchemaWithDatabase(client)).toEqual([
        'column nodes.boot_id (Node.bootId): NOT NULL in the database, optional in the schema',
        'column facts.extra: in the database, not in the schema',
        'index facts_valid_from on facts (valid_from): in the schema, not in the database',
        'table stray: in the database, not in the schema',
      ]);
    } finally {
      await client.query('ROLLBACK');
    }
    expect(await compareSchemaWithDatabase(client)).toEqual([]);
  });
});
