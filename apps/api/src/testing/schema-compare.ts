// Test support: does the database that the SQL migrations built match prisma/schema.prisma? The
// schema side comes from Prisma's DMMF (getDMMF runs the schema parser as WASM: no engine
// download), the database side from pg_catalog. Compared: enums and their values; every model's
// table; every column's name, type, nullability and default (presence, and kind: sequence, now(),
// literal); primary keys; unique constraints and indexes; the indexes the schema declares (name and
// columns); foreign keys (columns, target, ON DELETE / ON UPDATE). Tables and columns the schema
// does not declare are differences too. Partial and expression indexes (SQL-only by design) are
// outside the comparison.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import internals from '@prisma/internals';
import type pg from 'pg';
import { MIGRATIONS_TABLE } from '../db/migrate.js';

export const SCHEMA_PATH = fileURLToPath(new URL('../../../../prisma/schema.prisma', import.meta.url));

// The parts of the DMMF this reads (its full types live in @prisma/dmmf).
interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUnique: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { name: string | null; fields: string[] } | null;
  uniqueFields: string[][];
}
interface DmmfEnum {
  name: string;
  dbName?: string | null;
  values: Array<{ name: string; dbName: string | null }>;
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'normal' | 'unique' | 'fulltext';
  dbName?: string | null;
  fields: Array<{ name: string }>;
}
interface Datamodel {
  models: DmmfModel[];
  enums: DmmfEnum[];
  indexes: DmmfIndex[];
}

export async function loadDatamodel(schemaPath: string = SCHEMA_PATH): Promise<Datamodel> {
  const datamodel = await readFile(schemaPath, 'utf8');
  const dmmf = await internals.getDMMF({ datamodel });
  return dmmf.datamodel as unknown as Datamodel;
}

/** Every difference between the schema and the database, as readable lines; [] when they match. */
export async function compareSchemaWithDatabase(
  client: pg.Client,
  schemaPath: string = SCHEMA_PATH,
  dbSchema = 'public',
): Promise<string[]> {
  const datamodel = await loadDatamodel(schemaPath);
  const catalog = await readCatalog(client, dbSchema);
  const diffs: string[] = [];
  const enumDbName = new Map(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));

  // enums
  for (const e of datamodel.enums) {
    const name = e.dbName ?? e.name;
    const expected = e.values.map((v) => v.dbName ?? v.name);
    const actual = catalog.enums.get(name);
    if (!actual) diffs.push(`enum ${name}: missing in the database`);
    else if (actual.join(',') !== expected.join(','))
      diffs.push(`enum ${name}: values (${actual.join(', ')}) in the database, (${expected.join(', ')}) in the schema`);
  }
  for (const name of catalog.enums.keys())
    if (![...enumDbName.values()].includes(name)) diffs.push(`enum ${name}: in the database, not in the schema`);

  const tableOf = new Map(datamodel.models.map((m) => [m.name, m.dbName ?? m.name]));
  for (const model of datamodel.models) {
    const table = model.dbName ?? model.name;
    const columns = catalog.columns.get(table);
    if (!columns) {
      diffs.push(`table ${table} (model ${model.name}): missing in the database`);
      continue;
    }
    const columnOf = new Map(model.fields.map((f) => [f.name, f.dbName ?? f.name]));
    const scalars = model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');

    // columns
    for (const field of scalars) {
      const name = field.dbName ?? field.name;
      const where = `${table}.${name} (${model.name}.${field.name})`;
      const column = columns.get(name);
      if (!column) {
        diffs.push(`column ${where}: missing in the database`);
        continue;
      }
      const type = expectedType(field, enumDbName);
      if (column.type !== type) diffs.push(`column ${where}: type ${column.type} in the database, ${type} in the schema`);
      if (column.notNull !== field.isRequired)
        diffs.push(`column ${where}: ${column.notNull ? 'NOT NULL' : 'nullable'} in the database, ${field.isRequired ? 'required' : 'optional'} in the schema`);
      const defaultDiff = compareDefault(field, column);
      if (defaultDiff) diffs.push(`column ${where}: ${defaultDiff}`);
    }
    const declared = new Set(scalars.map((f) => f.dbName ?? f.name));
    for (const name of columns.keys())
      if (!declared.has(name)) diffs.push(`column ${table}.${name}: in the database, not in the schema`);

    // primary key
    const idFields = model.primaryKey?.fields ?? scalars.filter((f) => f.isId).map((f) => f.name);
    const expectedPk = idFields.map((f) => columnOf.get(f) ?? f);
    const indexes = catalog.indexes.filter((i) => i.table === table);
    const pk = indexes.find((i) => i.primary);
    if (!pk) diffs.push(`table ${table}: no primary key in the database, (${expectedPk.join(', ')}) in the schema`);
    else if (pk.columns.join(',') !== expectedPk.join(','))
      diffs.push(`table ${table}: primary key (${pk.columns.join(', ')}) in the database, (${expectedPk.join(', ')}) in the schema`);

    // unique keys (partial and expression indexes are SQL-only by design)
    const expectedUniques = [
      ...scalars.filter((f) => f.isUnique).map((f) => [columnOf.get(f.name) ?? f.name]),
      ...model.uniqueFields.map((fields) => fields.map((f) => columnOf.get(f) ?? f)),
    ].map((cols) => cols.join(','));
    const actualUniques = indexes.filter((i) => i.unique && !i.primary && !i.partial && !i.expressions).map((i) => i.columns.join(','));
    for (const u of expectedUniques)
      if (!actualUniques.includes(u)) diffs.push(`table ${table}: unique (${u}) in the schema, not in the database`);
    for (const u of actualUniques)
      if (!expectedUniques.includes(u)) diffs.push(`table ${table}: unique (${u}) in the database, not in the schema`);

    // plain indexes the schema declares
    for (const index of datamodel.indexes.filter((i) => i.model === model.name && i.type === 'normal')) {
      const cols = index.fields.map((f) => columnOf.get(f.name) ?? f.name);
      const name = index.dbName ?? `${table}_${cols.join('_')}_idx`;
      const actual = indexes.find((i) => i.name === name);
      if (!actual) diffs.push(`index ${name} on ${table} (${cols.join(', ')}): in the schema, not in the database`);
      else if (actual.columns.join(',') !== cols.join(',') || actual.expressions || actual.partial)
        diffs.push(`index ${name}: on (${actual.columns.join(', ')}) in the database, (${cols.join(', ')}) in the schema`);
    }

    // foreign keys
    const expectedFks = model.fields
      .filter((f) => f.kind === 'object' && f.relationFromFields?.length)
      .map((f) => {
        const from = f.relationFromFields ?? [];
        const required = from.every((name) => model.fields.find((x) => x.name === name)?.isRequired);
        const target = datamodel.models.find((m) => m.name === f.type);
        const targetColumns = new Map(target?.fields.map((x) => [x.name, x.dbName ?? x.name]));
        return {
          columns: from.map((name) => columnOf.get(name) ?? name).join(','),
          references: `${tableOf.get(f.type)}(${(f.relationToFields ?? []).map((n) => targetColumns.get(n) ?? n).join(',')})`,
          onDelete: f.relationOnDelete ?? (required ? 'Restrict' : 'SetNull'),
          onUpdate: f.relationOnUpdate ?? 'Cascade',
        };
      });
    const actualFks = catalog.foreignKeys.filter((fk) => fk.table === table);
    for (const fk of expectedFks) {
      const actual = actualFks.find((a) => a.columns === fk.columns);
      if (!actual) diffs.push(`table ${table}: foreign key (${fk.columns}) -> ${fk.references} in the schema, not in the database`);
      else {
        if (actual.references !== fk.references)
          diffs.push(`table ${table}: foreign key (${fk.columns}) references ${actual.references} in the database, ${fk.references} in the schema`);
        if (actual.onDelete !== fk.onDelete || actual.onUpdate !== fk.onUpdate)
          diffs.push(
            `table ${table}: foreign key (${fk.columns}) ON DELETE ${actual.onDelete} ON UPDATE ${actual.onUpdate} in the database, ` +
              `${fk.onDelete} / ${fk.onUpdate} in the schema`,
          );
      }
    }
    for (const fk of actualFks)
      if (!expectedFks.some((e) => e.columns === fk.columns))
        diffs.push(`table ${table}: foreign key (${fk.columns}) -> ${fk.references} in the database, not in the schema`);
  }

  const modelled = new Set(tableOf.values());
  for (const table of catalog.columns.keys())
    if (!modelled.has(table) && table !== MIGRATIONS_TABLE) diffs.push(`table ${table}: in the database, not in the schema`);
  return diffs;
}

const NATIVE_TYPES: Record<string, (args: string[]) => string> = {
  Text: () => 'text',
  VarChar: (a) => (a.length ? `character varying(${a[0]})` : 'character varying'),
  Char: (a) => `character(${a[0] ?? 1})`,
  Uuid: () => 'uuid',
  Inet: () => 'inet',
  Citext: () => 'citext',
  Xml: () => 'xml',
  SmallInt: () => 'smallint',
  Integer: () => 'integer',
  BigInt: () => 'bigint',
  Oid: () => 'oid',
  Real: () => 'real',
  DoublePrecision: () => 'double precision',
  Decimal: (a) => (a.length ? `numeric(${a.join(',')})` : 'numeric'),
  Money: () => 'money',
  Boolean: () => 'boolean',
  Date: () => 'date',
  Timestamp: (a) => (a.length ? `timestamp(${a[0]}) without time zone` : 'timestamp without time zone'),
  Timestamptz: (a) => (a.length ? `timestamp(${a[0]}) with time zone` : 'timestamp with time zone'),
  Time: (a) => (a.length ? `time(${a[0]}) without time zone` : 'time without time zone'),
  Timetz: (a) => (a.length ? `time(${a[0]}) with time zone` : 'time with time zone'),
  Json: () => 'json',
  JsonB: () => 'jsonb',
  ByteA: () => 'bytea',
};

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Boolean: 'boolean',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

/** The PostgreSQL type (as format_type prints it) that Prisma maps a field to. */
function expectedType(field: DmmfField, enumDbName: Map<string, string>): string {
  let type: string;
  if (field.kind === 'enum') type = enumDbName.get(field.type) ?? field.type;
  else if (field.nativeType) {
    const [name, args] = field.nativeType;
    type = NATIVE_TYPES[name]?.(args) ?? `(unmapped native type ${name})`;
  } else type = SCALAR_TYPES[field.type] ?? `(unmapped type ${field.type})`;
  return field.isList ? `${type}[]` : type;
}

/** Prisma fills these in itself: no database default. */
const CLIENT_SIDE_DEFAULTS = new Set(['uuid', 'cuid', 'nanoid', 'ulid']);

function compareDefault(field: DmmfField, column: CatalogColumn): string | null {
  const actual = column.identity ? 'identity' : column.default;
  const fn = typeof field.default === 'object' && field.default !== null ? (field.default as { name: string }).name : null;
  if (!field.hasDefaultValue || (fn && CLIENT_SIDE_DEFAULTS.has(fn))) {
    return actual === null ? null : `default ${actual} in the database, none in the schema`;
  }
  if (actual === null) return `no default in the database, ${describeDefault(field.default)} in the schema`;
  if (fn === 'autoincrement') {
    return actual === 'identity' || /^nextval\(/.test(actual) ? null : `default ${actual} in the database, autoincrement() in the schema`;
  }
  if (fn === 'now') {
    return /^(CURRENT_TIMESTAMP|now\(\))/i.test(actual) ? null : `default ${actual} in the database, now() in the schema`;
  }
  if (fn !== null) return null; // dbgenerated(…), sequence(…): any database default will do
  // a literal: '{}'::jsonb, 'pending'::node_status, 0, true
  const literal = actual.replace(/::[\w ."[\]()]+$/, '').replace(/^'(.*)'$/s, '$1').replace(/''/g, "'");
  const expected = Array.isArray(field.default) ? JSON.stringify(field.default) : String(field.default);
  return literal === expected ? null : `default ${actual} in the database, ${describeDefault(field.default)} in the schema`;
}

function describeDefault(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'name' in value) return `${(value as { name: string }).name}()`;
  return JSON.stringify(value);
}

interface CatalogColumn {
  type: string;
  notNull: boolean;
  default: string | null;
  identity: boolean;
}
interface CatalogIndex {
  table: string;
  name: string;
  primary: boolean;
  unique: boolean;
  partial: boolean;
  expressions: boolean;
  columns: string[];
}
interface CatalogForeignKey {
  table: string;
  columns: string;
  references: string;
  onDelete: string;
  onUpdate: string;
}

const FK_ACTIONS: Record<string, string> = { a: 'NoAction', r: 'Restrict', c: 'Cascade', n: 'SetNull', d: 'SetDefault' };

async function readCatalog(client: pg.Client, schema: string) {
  const columns = new Map<string, Map<string, CatalogColumn>>();
  const columnRows = await client.query<{
    table: string;
    column: string;
    type: string;
    not_null: boolean;
    default: string | null;
    identity: boolean;
  }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity <> '' AS identity
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  for (const row of columnRows.rows) {
    const table = columns.get(row.table) ?? new Map<string, CatalogColumn>();
    columns.set(row.table, table);
    table.set(row.column, { type: row.type, notNull: row.not_null, default: row.default, identity: row.identity });
  }

  const indexes = (
    await client.query<CatalogIndex>(
      `SELECT t.relname AS table, i.relname AS name, x.indisprimary AS primary, x.indisunique AS unique,
              x.indpred IS NOT NULL AS partial, x.indexprs IS NOT NULL AS expressions,
              array(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                     WHERE k.ord <= x.indnkeyatts ORDER BY k.ord) AS columns
         FROM pg_index x
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = $1`,
      [schema],
    )
  ).rows;

  const foreignKeys = (
    await client.query<{ table: string; columns: string; references: string; del: string; upd: string }>(
      `SELECT t.relname AS table,
              array_to_string(array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord), ',') AS columns,
              r.relname || '(' || array_to_string(array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.ord), ',') || ')' AS references,
              c.confdeltype AS del, c.confupdtype AS upd
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_class r ON r.oid = c.confrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = $1 AND c.contype = 'f'`,
      [schema],
    )
  ).rows.map(
    (row): CatalogForeignKey => ({
    table: row.table,
    columns: row.columns,
    references: row.references,
    onDelete: FK_ACTIONS[row.del] ?? row.del,
    onUpdate: FK_ACTIONS[row.upd] ?? row.upd,
  }),
  );

  const enums = new Map<string, string[]>();
  const enumRows = await client.query<{ name: string; labels: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = $1 GROUP BY t.typname`,
    [schema],
  );
  for (const row of enumRows.rows) enums.set(row.name, row.labels);

  return { columns, indexes, foreignKeys, enums };
}
